package provider

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The name validator accepts exactly the names the API's rules allow that
// cannot look alike: 1 to 100 characters, no control character, no white
// space at either end.
func FuzzNameValidation(f *testing.F) {
	for _, s := range []string{
		"Roster sync script", "", " ", "\t", " padded", "padded ", "Roster\nsync", "tab\there",
		strings.Repeat("é", 100), strings.Repeat("é", 101), "\u00a0nbsp", "zero\u200bwidth", "\u0085", "日本語のキー", "emoji 🚣",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !utf8.ValidString(name) {
			t.Skip("Terraform strings are valid UTF-8")
		}
		runes := []rune(name)
		want := len(runes) >= 1 && len(runes) <= maxNameLength &&
			!unicode.IsSpace(runes[0]) && !unicode.IsSpace(runes[len(runes)-1]) &&
			!strings.ContainsFunc(name, unicode.IsControl)
		problems := nameProblems(name)
		if got := len(problems) == 0; got != want {
			t.Fatalf("nameProblems(%q) = %q; accepted %v, want %v", name, problems, got, want)
		}
		for _, p := range problems {
			if !strings.HasPrefix(p, "The name must") || !strings.HasSuffix(p, ".") {
				t.Fatalf("problem %q of %q is not a sentence about the name", p, name)
			}
		}
	})
}

// A duration parses to a positive whole number of its kind's smallest
// unit within maxDuration, and formatDuration writes it back as it reads.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{
		"90d", "1d12h", "30m", "0m", "0d0h0m", "", "d", "1h1d", "36500d", "36501d", "36500d1m",
		"99999999999999999999d", "876000h", "52560000m", "1.5h", "-1d", "1d 2h", "1D", "30ms", "1m30s250ms", "1s1m",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, kind := range []durationKind{lifetimeDuration, timeoutDuration} {
			d, err := kind.parse(s)
			if err != nil {
				if d != 0 {
					t.Fatalf("parse(%q) = %v with error %v", s, d, err)
				}
				continue
			}
			smallest := durationUnits[kind.units-1].size
			if d <= 0 || d > maxDuration || d%smallest != 0 {
				t.Fatalf("parse(%q) = %v, outside (0, %v] or not whole %v", s, d, maxDuration, smallest)
			}
			formatted := formatDuration(d)
			if again, err := kind.parse(formatted); err != nil || again != d {
				t.Fatalf("parse(formatDuration(%v) = %q) = %v, %v", d, formatted, again, err)
			}
		}
	})
}
