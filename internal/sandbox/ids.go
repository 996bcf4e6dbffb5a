package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

const (
	secretPrefix = "astral_live_"
	secretLen    = 32
	alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	crockford    = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// newID returns prefix_ followed by a ULID: 48 bits of milliseconds and 80
// random bits, in Crockford base32. Within one millisecond the random part
// counts up from the previous id's, so ids made one after another sort in
// the order they were made, as keys are listed.
func newID(prefix string, t time.Time) string {
	ms := uint64(t.UnixMilli())
	ulidMu.Lock()
	if ms <= ulidLast.ms {
		ms = ulidLast.ms
		ulidLast.lo++
		if ulidLast.lo == 0 {
			ulidLast.hi++
		}
	} else {
		var b [10]byte
		rand.Read(b[:])
		// Two spare high bits keep the increments from overflowing 80 bits.
		ulidLast = ulidState{ms: ms, hi: binary.BigEndian.Uint16(b[:2]) & 0x3fff, lo: binary.BigEndian.Uint64(b[2:])}
	}
	hi := ms<<16 | uint64(ulidLast.hi)
	lo := ulidLast.lo
	ulidMu.Unlock()

	// 128 bits become 26 characters of 5 bits, the first carrying only 3.
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return prefix + "_" + string(out[:])
}

type ulidState struct {
	ms uint64
	hi uint16 // top 16 of the 80 random bits
	lo uint64
}

var (
	ulidMu   sync.Mutex
	ulidLast ulidState
)

// validKeyID reports whether s looks like a key id newID made. It lets
// malformed ids answer 404 without a database round trip.
func validKeyID(s string) bool {
	ulid, ok := strings.CutPrefix(s, "key_")
	if !ok || len(ulid) != 26 || ulid[0] > '7' {
		return false
	}
	for i := 0; i < len(ulid); i++ {
		if strings.IndexByte(crockford, ulid[i]) < 0 {
			return false
		}
	}
	return true
}

// newSecret draws 32 characters from [A-Za-z0-9] without modulo bias by
// rejecting random bytes at or above the largest multiple of 62.
func newSecret() string {
	const limit = 256 - 256%len(alphanumeric)
	out := make([]byte, 0, len(secretPrefix)+secretLen)
	out = append(out, secretPrefix...)
	var buf [64]byte
	for len(out) < cap(out) {
		rand.Read(buf[:])
		for _, c := range buf {
			if int(c) < limit && len(out) < cap(out) {
				out = append(out, alphanumeric[int(c)%len(alphanumeric)])
			}
		}
	}
	return string(out)
}

// wellFormedSecret reports whether s has the shape of an Astral secret.
func wellFormedSecret(s string) bool {
	body, ok := strings.CutPrefix(s, secretPrefix)
	if !ok || len(body) != secretLen {
		return false
	}
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(alphanumeric, body[i]) < 0 {
			return false
		}
	}
	return true
}

func hashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

func secretHint(secret string) string {
	return secret[len(secret)-4:]
}
