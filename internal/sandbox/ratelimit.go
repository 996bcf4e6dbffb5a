package sandbox

import (
	"math"
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

// setRate starts every bucket afresh at the new rate.
func (l *rateLimiter) setRate(rate float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rate = rate
	l.buckets = map[string]*bucket{}
}

// take spends a token of key's bucket. When there is none it reports how many
// whole seconds (at least 1) until there will be.
func (l *rateLimiter) take(key string, now time.Time) (retryAfter int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rate <= 0 {
		return 0, true
	}
	burst := math.Max(1, l.rate)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(burst, b.tokens+elapsed*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return max(1, int(math.Ceil((1-b.tokens)/l.rate))), false
}
