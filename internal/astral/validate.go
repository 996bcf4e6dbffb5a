package astral

import (
	"fmt"
	"strings"
)

const (
	secretPrefix = "astral_live_"
	secretLength = 32
	keyIDPrefix  = "key_"
	ulidLength   = 26
)

// ValidateSecret checks that secret has the form of an Astral API key
// secret: astral_live_ and 32 letters or digits. The error is a
// *ValidationError of field APIKey that matches ErrMalformedSecret; it never
// contains the secret, not even in part.
func ValidateSecret(secret string) error {
	switch {
	case secret == "":
		return malformedSecret("it is empty")
	case strings.TrimSpace(secret) != secret:
		return malformedSecret("it has leading or trailing white space")
	case !strings.HasPrefix(secret, secretPrefix):
		return malformedSecret(fmt.Sprintf("it must start with %q", secretPrefix))
	case len(secret) != len(secretPrefix)+secretLength:
		return malformedSecret(fmt.Sprintf("%q must be followed by exactly %d letters or digits, not %d characters",
			secretPrefix, secretLength, len(secret)-len(secretPrefix)))
	}
	for _, r := range secret[len(secretPrefix):] {
		if !isAlphanumeric(r) {
			return malformedSecret(fmt.Sprintf("%q must be followed by letters and digits only", secretPrefix))
		}
	}
	return nil
}

func malformedSecret(reason string) *ValidationError {
	return &ValidationError{Field: "APIKey", Reason: reason, kind: ErrMalformedSecret}
}

// ValidateKeyID checks that id has the form of an API key ID: key_ and a
// 26-character ULID in upper case. The error is a *ValidationError of field
// id that matches ErrInvalidKeyID, never ErrNotFound: a malformed ID says
// nothing about whether a key exists.
func ValidateKeyID(id string) error {
	const want = `an ID is "key_" followed by a 26-character ULID in upper case, such as key_01JD3X8Z6W4Q9T2B7N5M1K0C3R`
	invalid := &ValidationError{Field: "id", Reason: want, kind: ErrInvalidKeyID}
	// An ID is not secret, but a secret pasted where an ID belongs must not
	// be echoed back into a terminal or a log; the ID is never quoted.
	if strings.HasPrefix(id, secretPrefix) {
		invalid.Reason = "the value is an API key secret, not an ID; " + want
		return invalid
	}
	if !strings.HasPrefix(id, keyIDPrefix) || len(id) != len(keyIDPrefix)+ulidLength {
		return invalid
	}
	ulid := id[len(keyIDPrefix):]
	// The first character carries the top bits of a 48-bit timestamp, so it is at most 7.
	if ulid[0] > '7' {
		return invalid
	}
	for i := range len(ulid) {
		if !isCrockford(ulid[i]) {
			return invalid
		}
	}
	return nil
}

func isAlphanumeric(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// isCrockford reports an upper-case character of Crockford's base32, which
// leaves out I, L, O and U.
func isCrockford(c byte) bool {
	switch {
	case c >= '0' && c <= '9':
		return true
	case c >= 'A' && c <= 'Z':
		return c != 'I' && c != 'L' && c != 'O' && c != 'U'
	}
	return false
}

// validIdempotencyKey mirrors the API's rule (1 to 255 printable ASCII
// characters). Checking it here matters: net/http refuses some such header
// values before sending, and that failure would look like a connection error.
func validIdempotencyKey(k string) error {
	invalid := func(reason string) error {
		return &ValidationError{Field: "IdempotencyKey", Reason: reason, kind: ErrInvalidOption}
	}
	if len(k) < 1 || len(k) > 255 {
		return invalid(fmt.Sprintf("it must have 1 to 255 characters, not %d", len(k)))
	}
	for i := range len(k) {
		if k[i] < 0x20 || k[i] > 0x7e {
			return invalid(fmt.Sprintf("it must be printable ASCII; character %d is not", i+1))
		}
	}
	return nil
}
