package sandbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// idempotencyTTL is how long a create can be replayed.
const idempotencyTTL = 24 * time.Hour

// idempotencyKey returns the request's Idempotency-Key, "" when it has none.
func idempotencyKey(r *http.Request) (string, *apiError) {
	values := r.Header.Values("Idempotency-Key")
	if len(values) == 0 {
		return "", nil
	}
	return oneIdempotencyKey("Idempotency-Key", values)
}

// oneIdempotencyKey applies the rules of an Idempotency-Key, as a header or
// as the idempotency_key parameter (param): one value of 1 to 255 printable
// ASCII characters.
func oneIdempotencyKey(param string, values []string) (string, *apiError) {
	bad := errInvalid(param, param+" must be 1 to 255 printable ASCII characters, sent once")
	if len(values) != 1 || len(values[0]) < 1 || len(values[0]) > 255 {
		return "", bad
	}
	for i := 0; i < len(values[0]); i++ {
		if c := values[0][i]; c < 0x20 || c > 0x7e {
			return "", bad
		}
	}
	return values[0], nil
}

// fingerprint identifies the meaning of a create body: the same name and the
// same expiry instant, however the instant was written.
func fingerprint(in createInput) []byte {
	var exp []int64
	if in.expiresAt != nil {
		exp = []int64{in.expiresAt.Unix(), int64(in.expiresAt.Nanosecond())}
	}
	b, _ := json.Marshal([]any{in.name, exp})
	sum := sha256.Sum256(b)
	return sum[:]
}

func hashIdempotencyKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// sealer is AES-256-GCM keyed by HKDF-SHA-256 of a secret that the server
// does not store (a calling secret, a session id) and a purpose.
func sealer(secret, purpose string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, purpose, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// replayAEAD is keyed by the calling secret and the Idempotency-Key: a stored
// response holds a secret, and only a request presenting both can read it.
func replayAEAD(secret, idemKey string) (cipher.AEAD, error) {
	return sealer(secret, "astral-sandbox idempotent replay\x00"+idemKey)
}

// seal encrypts a response body; the caller key id is bound as additional data.
func seal(secret, idemKey, callerKeyID string, body []byte) ([]byte, error) {
	aead, err := replayAEAD(secret, idemKey)
	if err != nil {
		return nil, err
	}
	return sealWith(aead, body, callerKeyID), nil
}

func openSealed(secret, idemKey, callerKeyID string, sealed []byte) ([]byte, error) {
	aead, err := replayAEAD(secret, idemKey)
	if err != nil {
		return nil, err
	}
	return openWith(aead, sealed, callerKeyID)
}

// sealWith encrypts plain under a random nonce, which it prepends, binding
// ad as additional data.
func sealWith(aead cipher.AEAD, plain []byte, ad string) []byte {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, []byte(ad))
}

func openWith(aead cipher.AEAD, sealed []byte, ad string) ([]byte, error) {
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("sealed data too short")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(ad))
}
