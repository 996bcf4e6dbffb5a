package sandbox

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The API reads every input as it was sent or refuses it: nothing is
// replaced, dropped or rounded on the way in.

// maxNameLength is the longest name, in code points after trimming.
const maxNameLength = 100

// validateText applies the rules of a name (a key's, an organization's),
// given as param: valid UTF-8, no control character, 1 to 100 characters
// after trimming white space, at least one of them visible.
func validateText(param, s string) *apiError {
	if !utf8.ValidString(s) {
		return errInvalid(param, param+" must be valid UTF-8")
	}
	for _, r := range s {
		if unicode.Is(unicode.Cc, r) {
			return errInvalid(param, param+" must not contain control characters")
		}
	}
	trimmed := strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(trimmed); {
	case n == 0:
		return errInvalid(param, param+" must not be empty or only white space")
	case n > maxNameLength:
		return errInvalid(param, param+" must be at most 100 characters, not counting leading and trailing white space")
	}
	if !strings.ContainsFunc(trimmed, visible) {
		return errInvalid(param, param+" must have a visible character: white space, invisible format characters "+
			"(such as U+200B or U+FEFF) and combining marks alone show nothing")
	}
	return nil
}

// visible reports whether r shows as something: a letter, digit,
// punctuation, symbol or private-use character that is not one of the
// code points Unicode says to ignore when they cannot be shown (the Hangul
// fillers, for one) nor the blank Braille pattern. White space, format
// characters (Cf: U+200B, U+200D, U+FEFF, ...), combining marks (M),
// controls and unassigned code points are not.
func visible(r rune) bool {
	return unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S, unicode.Co) &&
		!unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) && r != '\u2800'
}

// surrogatesPaired reports whether every \u escape of a UTF-16 surrogate in
// raw JSON is a high surrogate followed by a low one. encoding/json turns a
// lone one (such as "\ud800") into U+FFFD, which is not what was sent.
// raw must be valid JSON, so a backslash starts an escape.
func surrogatesPaired(raw []byte) bool {
	escape := func(i int) (rune, bool) { // the \uXXXX at raw[i:], if any
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		// Four hex digits fit in 16 bits, far below a rune's range.
		n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r, ok := escape(i)
		if !ok {
			i++ // a one-character escape: \" \\ \/ \b \f \n \r \t
			continue
		}
		i += 5
		if !utf16.IsSurrogate(r) {
			continue
		}
		low, ok := escape(i + 1)
		if r >= 0xdc00 || !ok || utf16.DecodeRune(r, low) == unicode.ReplacementChar {
			return false
		}
		i += 6
	}
	return true
}

// rfc3339 is the shape of an RFC 3339 date-time that the API reads: Go's
// time.Parse also takes a one-digit hour, a comma before the fraction and
// any number of fractional digits (dropping those past nine).
var rfc3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

// Offsets in use by the world's time zones run from -12:00 (Etc/GMT+12,
// Baker Island) to +14:00 (Pacific/Kiritimati).
const (
	minOffset = -12 * 60
	maxOffset = 14 * 60
)

// parseInstant reads an RFC 3339 time with an offset, refusing what would
// not mean what was sent: more than nanosecond precision, an offset of 60
// minutes or more (time.Parse reads +05:60 as +06:00), or an offset that no
// time zone uses.
func parseInstant(param, s string) (time.Time, *apiError) {
	m := rfc3339.FindStringSubmatch(s)
	t, err := time.Parse(time.RFC3339Nano, s)
	if m == nil || err != nil {
		return time.Time{}, errInvalid(param, param+" must be an RFC 3339 time with a UTC offset, such as 2027-01-31T00:00:00Z")
	}
	if fraction := m[1]; len(fraction) > 1+9 {
		return time.Time{}, errInvalid(param, param+" must have at most nine fractional digits (nanoseconds)")
	}
	if offset := m[2]; offset != "Z" {
		hours, _ := strconv.Atoi(offset[1:3])
		minutes, _ := strconv.Atoi(offset[4:6])
		total := hours*60 + minutes
		if offset[0] == '-' {
			total = -total
		}
		if minutes > 59 || total < minOffset || total > maxOffset {
			return time.Time{}, errInvalid(param, param+" has the UTC offset "+offset+
				", which no time zone uses: offsets run from -12:00 to +14:00, with minutes below 60")
		}
	}
	return t, nil
}
