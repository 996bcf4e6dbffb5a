package astral

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateSecret(t *testing.T) {
	tests := []struct {
		name    string
		secret  string
		wantErr string
	}{
		{"a well-formed secret is accepted", testSecret, ""},
		{"an all-digit secret is accepted", "astral_live_" + strings.Repeat("7", 32), ""},
		{"an empty secret is refused", "", "it is empty"},
		{"a secret pasted with a newline is refused", testSecret + "\n", "white space"},
		{"a secret pasted with its Bearer scheme is refused", "Bearer " + testSecret, "must start with"},
		{"a secret of another environment is refused", "astral_test_0123456789abcdefghijABCDEFGHIJkl", "must start with"},
		{"a secret one character short is refused", testSecret[:len(testSecret)-1], "not 31 characters"},
		{"a secret one character long is refused", testSecret + "m", "not 33 characters"},
		{"a secret with punctuation is refused", "astral_live_0123456789abcdefghij-BCDEFGHIJkl", "letters and digits only"},
		{"a secret with non-ASCII letters is refused", "astral_live_0123456789abcdefghijÄBCDEFGHIJk", "letters and digits only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateSecret(tt.secret)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateSecret: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrMalformedSecret) {
				t.Fatalf("error %v is not ErrMalformedSecret", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not say %q", err, tt.wantErr)
			}
			// Not even a part of the value: the 32 characters after the prefix
			// are the secret, so any run of 8 of them would be a leak.
			if body := strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(tt.secret, "Bearer ")), secretPrefix); len(body) >= 8 {
				for i := 0; i+8 <= len(body); i++ {
					if strings.Contains(err.Error(), body[i:i+8]) {
						t.Fatalf("error %q contains part of the secret", err)
					}
				}
			}
		})
	}
}

func TestValidateKeyID(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		wantErr string
	}{
		{"a well-formed ID is accepted", testKeyID, ""},
		{"the smallest ULID is accepted", "key_" + strings.Repeat("0", 26), ""},
		{"an empty ID is refused", "", "26-character ULID"},
		{"an ID of another object is refused", "mem_01JD3X8Z6W4Q9T2B7N5M1K0C3R", "26-character ULID"},
		{"an ID in lower case is refused", "key_01jd3x8z6w4q9t2b7n5m1k0c3r", "upper case"},
		{"an ID one character short is refused", testKeyID[:len(testKeyID)-1], "26-character ULID"},
		{"an ID with a letter outside Crockford's alphabet is refused", "key_01JD3X8Z6W4Q9T2B7N5M1K0C3U", "26-character ULID"},
		{"an ID whose timestamp overflows is refused", "key_81JD3X8Z6W4Q9T2B7N5M1K0C3R", "26-character ULID"},
		{"an ID with a path in it is refused", "key_01JD3X8Z6W4Q9T2B7/../../x", "26-character ULID"},
		{"a secret given as an ID is refused without echoing it", testSecret, "is an API key secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateKeyID(tt.id)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateKeyID: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidKeyID) {
				t.Fatalf("error %v is not ErrInvalidKeyID", err)
			}
			if errors.Is(err, ErrNotFound) {
				t.Errorf("error %v is ErrNotFound: a malformed ID must not read as a deleted key", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not say %q", err, tt.wantErr)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func TestValidIdempotencyKey(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		wantErr string
	}{
		{"a printable key is accepted", "deploy-42 ~!", ""},
		{"a key of 255 characters is accepted", strings.Repeat("k", 255), ""},
		{"a key of 256 characters is refused", strings.Repeat("k", 256), "not 256"},
		{"a key with a newline is refused", "a\nb", "character 2"},
		{"a key with a non-ASCII letter is refused", "clé", "character 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validIdempotencyKey(tt.key)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("validIdempotencyKey: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error = %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}
