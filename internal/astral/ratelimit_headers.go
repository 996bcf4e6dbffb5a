package astral

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateLimitPolicy is a rate limit as the API announces it: a token bucket
// of Burst requests, refilled at Rate requests per second.
type RateLimitPolicy struct {
	Burst int
	Rate  float64
}

func (p RateLimitPolicy) String() string {
	return fmt.Sprintf("%s requests per second in bursts of up to %d", strconv.FormatFloat(p.Rate, 'f', -1, 64), p.Burst)
}

// rateHeaders is what a response says of the rate limit, read once from its
// headers: the rate gate learns from it, and the retry policy reads it to
// decide how a 429 is retried.
type rateHeaders struct {
	// policy is RateLimit-Policy, when hasPolicy.
	policy    RateLimitPolicy
	hasPolicy bool
	// remaining is RateLimit-Remaining, or -1 without a valid one.
	remaining int
	// retryAfter is Retry-After, when hasRetryAfter; a date in the past is
	// zero.
	retryAfter    time.Duration
	hasRetryAfter bool
}

// parseRateHeaders reads the rate-limit headers of a response received at
// now. A malformed header counts as absent.
func parseRateHeaders(h http.Header, now time.Time) rateHeaders {
	r := rateHeaders{remaining: -1}
	r.policy, r.hasPolicy = parseRateLimitPolicy(h.Get("RateLimit-Policy"))
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Remaining"))); err == nil && n >= 0 {
		r.remaining = n
	}
	r.retryAfter, r.hasRetryAfter = parseRetryAfter(h.Get("Retry-After"), now)
	return r
}

// saysHowToWait reports headers that tell a 429's caller how to wait: a
// Retry-After, or a policy to follow.
func (r rateHeaders) saysHowToWait() bool {
	return r.hasRetryAfter || r.hasPolicy
}

// parseRateLimitPolicy reads RateLimit-Policy: "<burst>;w=<seconds>;rate=<n>",
// the rate per w seconds (one when w is absent). Without rate, the burst is
// the quota of each window. Of a list of policies only the first counts:
// the API sends one.
func parseRateLimitPolicy(v string) (RateLimitPolicy, bool) {
	first, _, _ := strings.Cut(v, ",")
	params := strings.Split(first, ";")
	burst, err := strconv.Atoi(strings.TrimSpace(params[0]))
	if err != nil || burst < 1 {
		return RateLimitPolicy{}, false
	}
	window, rate := 1.0, 0.0
	for _, p := range params[1:] {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		f, err := strconv.ParseFloat(strings.Trim(value, `"`), 64)
		if err != nil || !(f > 0) || f > 1e9 {
			return RateLimitPolicy{}, false
		}
		switch strings.ToLower(name) {
		case "w":
			window = f
		case "rate":
			rate = f
		}
	}
	if rate == 0 {
		rate = float64(burst)
	}
	return RateLimitPolicy{Burst: burst, Rate: rate / window}, true
}

// parseRetryAfter reads a Retry-After value, delay-seconds or an HTTP date.
// A date in the past means no wait.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	if when, err := http.ParseTime(v); err == nil {
		return max(when.Sub(now), 0), true
	}
	return 0, false
}
