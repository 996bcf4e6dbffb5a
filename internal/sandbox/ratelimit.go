package sandbox

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter keeps a token bucket per calling key, refilled on the server's
// clock so that tests with a fixed clock are deterministic.
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second; 0 disables the limit
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// quota is a bucket as a request leaves it, for the RateLimit headers.
type quota struct {
	burst      int
	rate       float64
	remaining  int // whole requests the bucket allows now
	reset      int // whole seconds until the bucket is full, rounded up
	retryAfter int // whole seconds, at least 1, until a refused request would pass; 0 when allowed
}

// setHeaders writes the contract's RateLimit headers. The rate is written in
// the shortest decimal form that reads back as the same number, so a
// fractional rate such as 0.25 shows as it was set.
func (q *quota) setHeaders(h http.Header) {
	h.Set("RateLimit-Policy", strconv.Itoa(q.burst)+";w=1;rate="+strconv.FormatFloat(q.rate, 'f', -1, 64))
	h.Set("RateLimit-Remaining", strconv.Itoa(q.remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(q.reset))
}

// burstOf is the bucket's size in whole requests: one second's worth of the
// rate, and never less than one request, so a slow rate still lets a key in.
func burstOf(rate float64) int {
	return max(1, int(rate))
}

// setRate starts every bucket afresh at the new rate.
func (l *rateLimiter) setRate(rate float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rate = rate
	l.buckets = map[string]*bucket{}
}

// take spends a token of key's bucket, or refuses when there is none (the
// quota's retryAfter is then set). It is nil when no limit is set.
func (l *rateLimiter) take(key string, now time.Time) *quota { return l.spend(key, now, 1) }

// peek is the quota of key's bucket without spending from it, for a request
// that is refused before the limit applies.
func (l *rateLimiter) peek(key string, now time.Time) *quota { return l.spend(key, now, 0) }

func (l *rateLimiter) spend(key string, now time.Time, cost float64) *quota {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rate <= 0 {
		return nil
	}
	burst := burstOf(l.rate)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(burst), last: now}
		l.buckets[key] = b
	}
	// Refilling is capped at the burst, and the cap makes refills in steps
	// add up to one refill over the whole time, so peeking changes nothing.
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(float64(burst), b.tokens+elapsed*l.rate)
		b.last = now
	}
	q := &quota{burst: burst, rate: l.rate}
	if b.tokens >= cost {
		b.tokens -= cost
	} else {
		q.retryAfter = max(1, int(math.Ceil((cost-b.tokens)/l.rate)))
	}
	q.remaining = int(b.tokens)
	q.reset = int(math.Ceil((float64(burst) - b.tokens) / l.rate))
	return q
}
