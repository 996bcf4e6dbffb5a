package astral

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMaxRateLimitWait is how long, in all, a call may wait for the API's
// rate limit when Config.MaxRateLimitWait is zero.
const DefaultMaxRateLimitWait = 5 * time.Minute

const (
	// paceFactor spaces requests a little wider than the API's rate: requests
	// that leave exactly one interval apart can reach the API closer together
	// than that, and the slack the margin leaves in the API's bucket absorbs
	// them.
	paceFactor = 0.98
	// defaultReportWaitAfter is how long a call waits for the rate limit
	// before the wait is logged at INFO: a shorter one is not worth a
	// user's attention.
	defaultReportWaitAfter = 5 * time.Second
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

// rateLimiter paces every call of a Client to the API's rate limit. It knows
// no limit until a response announces one (RateLimit-Policy), or until a 429
// without one, from whose Retry-After it takes a cautious pace of its own.
// It mirrors the API's token bucket as a schedule (the generic cell rate
// algorithm): tat is when the bucket would be full again, had every
// request reserved so far been sent; a request may leave once the bucket
// holds a token, at tat less the burst's length.
type rateLimiter struct {
	mu     sync.Mutex
	policy RateLimitPolicy
	// known says a policy is in force; derived, that it came from a 429
	// without a policy rather than from the API's headers.
	known, derived bool
	tat            time.Time
	// pausedUntil holds back every request after a 429, until its
	// Retry-After has passed.
	pausedUntil time.Time
	// epoch changes with each pause, so that a request that reserved its
	// time before the pause reserves again after it.
	epoch uint64
	// inFlight counts the requests sent and not yet answered.
	inFlight int
	// heard says the API has answered once; until then probing says that
	// one request is on its way alone (see awaitFirstAnswer).
	heard, probing bool
}

// probePoll is how often a request held back for the API's first answer
// looks again.
const probePoll = 20 * time.Millisecond

// awaitFirstAnswer reports whether a request must wait for the API's first
// answer. Until the API has answered once, its limit is unknown: a client
// whose first calls leave at once (a destroy's revokes, -parallelism at a
// time) would spend the bucket before any answer announced it. So one
// request goes alone, and the others follow the pace its answer sets.
func (l *rateLimiter) awaitFirstAnswer() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.heard {
		return false
	}
	if !l.probing {
		l.probing = true
		return false
	}
	return true
}

// interval is the time between two requests at the pace the limiter keeps.
// A pace taken from a 429 is cautious already.
func (l *rateLimiter) interval() time.Duration {
	if l.derived {
		return time.Duration(float64(time.Second) / l.policy.Rate)
	}
	return time.Duration(float64(time.Second) / (l.policy.Rate * paceFactor))
}

// reserve returns how long a request at now must wait to leave, and
// reserves that time for it, unless the wait exceeds budget (then ok is
// false and nothing is reserved). epoch is the limiter's epoch at the
// reservation.
func (l *rateLimiter) reserve(now time.Time, budget time.Duration) (wait time.Duration, epoch uint64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := now
	if l.pausedUntil.After(at) {
		at = l.pausedUntil
	}
	var tat time.Time
	if l.known {
		interval := l.interval()
		tat = l.tat
		if tat.Before(at) {
			tat = at
		}
		if allowed := tat.Add(-time.Duration(l.policy.Burst-1) * interval); allowed.After(at) {
			at = allowed
		}
		tat = tat.Add(interval)
	}
	wait = at.Sub(now)
	if wait > budget {
		return wait, l.epoch, false
	}
	if l.known {
		l.tat = tat
	}
	return wait, l.epoch, true
}

// sending counts a request that leaves now; answered (through observe)
// counts it back.
func (l *rateLimiter) sending() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight++
}

func (l *rateLimiter) currentEpoch() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.epoch
}

// answered counts back a request that got no response: another request
// may then go alone to hear the API first.
func (l *rateLimiter) answered() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight = max(0, l.inFlight-1)
	l.probing = false
}

// observe learns from a response received at now: the policy and the
// requests left (RateLimit-Policy and RateLimit-Remaining), and from a 429
// the pause that Retry-After asks for, pause being that wait as the client
// will honour it (see Client.retryAfter), or zero when none was given.
func (l *rateLimiter) observe(h http.Header, status int, now time.Time, pause time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight = max(0, l.inFlight-1)
	l.heard, l.probing = true, false
	// remaining is the API's count of the requests left, or -1 without one.
	remaining := -1
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Remaining"))); err == nil && n >= 0 {
		remaining = n
	}
	if status == http.StatusTooManyRequests {
		remaining = 0
	}
	policy, hasPolicy := parseRateLimitPolicy(h.Get("RateLimit-Policy"))
	switch {
	case hasPolicy && (!l.known || l.derived || l.policy != policy):
		// A new policy: the schedule starts from what the API says is
		// left, less the requests on their way that no schedule held, as
		// they may reach the API after this answer's count.
		l.policy, l.known, l.derived = policy, true, false
		left := policy.Burst
		if remaining >= 0 {
			left = min(remaining, policy.Burst)
		}
		l.tat = now.Add(time.Duration(policy.Burst-left+l.inFlight) * l.interval())
	case hasPolicy && remaining >= 0:
		// The API's count leaves out the requests on their way to it,
		// which tat already holds: only a lower count (another client
		// spending from the same key) moves the schedule.
		if empty := now.Add(time.Duration(policy.Burst-min(remaining, policy.Burst)) * l.interval()); empty.After(l.tat) {
			l.tat = empty
		}
	case hasPolicy:
	case status >= 200 && status <= 299 && l.known && !l.derived:
		// The API announces its limit on every answer to a limited key;
		// a success without it means the limit is gone.
		l.known = false
	case status == http.StatusTooManyRequests && !l.known && pause > 0:
		// No policy to follow: one request per pause is slow, but the API
		// has just said that the last one came too soon.
		l.policy = RateLimitPolicy{Burst: 1, Rate: float64(time.Second) / float64(pause)}
		l.known, l.derived = true, true
	}
	if status == http.StatusTooManyRequests && pause > 0 {
		if until := now.Add(pause); until.After(l.pausedUntil) {
			l.pausedUntil = until
		}
		// Every waiting request reserves its time again after the pause,
		// so the times reserved before it no longer count; the API's
		// bucket is empty.
		if l.known {
			l.tat = now.Add(time.Duration(l.policy.Burst) * l.interval())
		}
		l.epoch++
	}
}

// current is the policy that the API announced, and false when none is in
// force or the pace is the limiter's own.
func (l *rateLimiter) current() (RateLimitPolicy, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.policy, l.known && !l.derived
}

// waitForRateLimit holds an attempt of st until the rate limit lets it
// leave, or returns a *RateLimitError when that would take the call's
// waiting past the client's bound. It returns early, with no error, when
// ctx ends: the attempt then fails on ctx, as any other would.
func (c *Client) waitForRateLimit(ctx context.Context, st *call) error {
	for c.limiter.awaitFirstAnswer() {
		if st.rateWaited >= c.maxRateLimitWait {
			return c.rateLimitError(st, probePoll)
		}
		select {
		case <-ctx.Done():
			c.limiter.sending()
			return nil
		case <-time.After(probePoll):
		}
		st.rateWaited += probePoll
	}
	for {
		wait, epoch, ok := c.limiter.reserve(time.Now(), c.maxRateLimitWait-st.rateWaited)
		if !ok {
			return c.rateLimitError(st, wait)
		}
		if wait <= 0 {
			c.limiter.sending()
			return nil
		}
		if !st.reportedWait && st.rateWaited+wait > c.reportWaitAfter && c.logger != nil {
			st.reportedWait = true
			kv := []any{"method", st.method, "url", st.url, "wait", wait.Round(time.Millisecond).String(),
				"waited", st.rateWaited.Round(time.Millisecond).String(), "max_wait", c.maxRateLimitWait.String()}
			if p, known := c.limiter.current(); known {
				kv = append(kv, "policy", p.String())
			}
			c.logger.InfoContext(ctx, "astral: waiting for the API's rate limit", kv...)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			// The attempt fails on ctx and is answered like any other.
			timer.Stop()
			c.limiter.sending()
			return nil
		case <-timer.C:
		}
		st.rateWaited += wait
		if c.limiter.currentEpoch() == epoch {
			c.limiter.sending()
			return nil
		}
	}
}

func (c *Client) rateLimitError(st *call, next time.Duration) *RateLimitError {
	e := &RateLimitError{Method: st.method, URL: st.url, Waited: st.rateWaited, MaxWait: c.maxRateLimitWait, Next: next, Last: st.last429}
	if p, known := c.limiter.current(); known {
		e.Policy = &p
	}
	return e
}

// RateLimitError is a call that the API's rate limit would have kept
// waiting longer, in all, than Config.MaxRateLimitWait allows. It matches
// ErrRateLimited and, through Last, the API's *APIError.
type RateLimitError struct {
	Method string
	URL    string
	// Policy is the API's rate limit as the client followed it, or nil
	// when no answer has announced one.
	Policy *RateLimitPolicy
	// Waited is how long the call had waited for the rate limit; Next, how
	// much longer its next attempt would have had to wait.
	Waited, Next time.Duration
	MaxWait      time.Duration
	// Last is the API's last 429 of this call, or nil when the call was
	// held back before the API refused it.
	Last *APIError
}

func (e *RateLimitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: rate limited: the call waited %s for the API's rate limit and its next attempt would wait %s more, beyond the limit of %s",
		e.Method, e.URL, e.Waited.Round(time.Millisecond), e.Next.Round(time.Millisecond), e.MaxWait)
	if e.Policy != nil {
		fmt.Fprintf(&b, "; the API allows %s", e.Policy)
	}
	if e.Last != nil {
		fmt.Fprintf(&b, "; its last answer: %d %s", e.Last.StatusCode, e.Last.Code)
		if e.Last.Message != "" {
			b.WriteString(": " + e.Last.Message)
		}
		if e.Last.RequestID != "" {
			b.WriteString(" (request " + e.Last.RequestID + ")")
		}
	}
	return b.String()
}

func (e *RateLimitError) Unwrap() []error {
	if e.Last == nil {
		return []error{ErrRateLimited}
	}
	return []error{ErrRateLimited, e.Last}
}
