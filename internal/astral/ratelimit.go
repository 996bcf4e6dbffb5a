package astral

import (
	"context"
	"fmt"
	"net/http"
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

// rateGate is the stage of the request pipeline that paces every call of a
// Client, whichever goroutine makes it, to the API's rate limit: each
// attempt waits for its turn (wait) and the gate learns from each outcome
// (observe). It knows no limit until a response announces one
// (RateLimit-Policy), or until a 429 without one, from whose Retry-After it
// takes a cautious pace of its own. It mirrors the API's token bucket as a
// schedule (the generic cell rate algorithm): tat is when the bucket would
// be full again, had every request reserved so far been sent; a request
// may leave once the bucket holds a token, at tat less the burst's length.
type rateGate struct {
	// maxWait bounds the time one call waits at the gate, in all.
	maxWait time.Duration
	// reportAfter is how long a call waits before the wait is logged at
	// INFO, once, through logger.
	reportAfter time.Duration
	logger      Logger

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
	// heard says the API has answered once. Until then one request goes
	// alone, and probe is closed when it is answered (see firstAnswer).
	heard bool
	probe chan struct{}
}

// wait holds an attempt of st until the rate limit lets it leave, and
// counts it as sent. It returns a *RateLimitError, before sending, when the
// wait would take the call's waiting past maxWait, and ctx's error when
// ctx ends first.
func (g *rateGate) wait(ctx context.Context, st *call) error {
	for {
		answered, alone := g.firstAnswer()
		if alone {
			return nil
		}
		if answered == nil {
			break
		}
		if err := g.sleep(ctx, st, answered); err != nil {
			return err
		}
	}
	for {
		wait, epoch, ok := g.reserve(time.Now(), g.maxWait-st.rateWaited)
		if !ok {
			return g.rateLimitError(st, wait)
		}
		if wait <= 0 {
			g.sending()
			return nil
		}
		g.report(ctx, st, wait)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		st.rateWaited += wait
		if g.currentEpoch() == epoch {
			g.sending()
			return nil
		}
	}
}

// firstAnswer says whether a request must wait for the API's first answer,
// and returns the channel closed by it. Until the API has answered once,
// its limit is unknown: a client whose first calls leave at once (a
// destroy's revokes, -parallelism at a time) would spend the bucket before
// any answer announced it. So one request goes alone (alone is then true,
// and the request counted as sent), and the others follow the pace its
// answer sets.
func (g *rateGate) firstAnswer() (answered <-chan struct{}, alone bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.heard:
		return nil, false
	case g.probe == nil:
		g.probe = make(chan struct{})
		g.inFlight++
		return nil, true
	}
	return g.probe, false
}

// sleep waits for the request that went alone to be answered, within what
// is left of the call's bound.
func (g *rateGate) sleep(ctx context.Context, st *call, answered <-chan struct{}) error {
	left := g.maxWait - st.rateWaited
	if left <= 0 {
		return g.rateLimitError(st, 0)
	}
	start := time.Now()
	timer := time.NewTimer(left)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		st.rateWaited += time.Since(start)
		return g.rateLimitError(st, 0)
	case <-answered:
		st.rateWaited += time.Since(start)
		return nil
	}
}

// report logs, once per call, a wait for the rate limit that takes the
// call's waiting past reportAfter.
func (g *rateGate) report(ctx context.Context, st *call, wait time.Duration) {
	if st.reportedWait || st.rateWaited+wait <= g.reportAfter || g.logger == nil {
		return
	}
	st.reportedWait = true
	kv := []any{"method", st.method, "url", st.url, "wait", wait.Round(time.Millisecond).String(),
		"waited", st.rateWaited.Round(time.Millisecond).String(), "max_wait", g.maxWait.String()}
	if p, known := g.current(); known {
		kv = append(kv, "policy", p.String())
	}
	g.logger.InfoContext(ctx, "astral: waiting for the API's rate limit", kv...)
}

// interval is the time between two requests at the pace the gate keeps.
// A pace taken from a 429 is cautious already.
func (g *rateGate) interval() time.Duration {
	if g.derived {
		return time.Duration(float64(time.Second) / g.policy.Rate)
	}
	return time.Duration(float64(time.Second) / (g.policy.Rate * paceFactor))
}

// reserve returns how long a request at now must wait to leave, and
// reserves that time for it, unless the wait exceeds budget (then ok is
// false and nothing is reserved). epoch is the gate's epoch at the
// reservation.
func (g *rateGate) reserve(now time.Time, budget time.Duration) (wait time.Duration, epoch uint64, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	at := now
	if g.pausedUntil.After(at) {
		at = g.pausedUntil
	}
	var tat time.Time
	if g.known {
		interval := g.interval()
		tat = g.tat
		if tat.Before(at) {
			tat = at
		}
		if allowed := tat.Add(-time.Duration(g.policy.Burst-1) * interval); allowed.After(at) {
			at = allowed
		}
		tat = tat.Add(interval)
	}
	wait = at.Sub(now)
	if wait > budget {
		return wait, g.epoch, false
	}
	if g.known {
		g.tat = tat
	}
	return wait, g.epoch, true
}

// sending counts a request that leaves now; observe counts it back.
func (g *rateGate) sending() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight++
}

func (g *rateGate) currentEpoch() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.epoch
}

// observe learns from the outcome of an attempt: from a response, the
// policy and the requests left (RateLimit-Policy and RateLimit-Remaining),
// and from a 429 the pause that Retry-After asks for, pause being that
// wait as the client honours it (see verdict.pause), or zero when none was
// given. An attempt that got no response only counts back: another request
// may then go alone to hear the API first.
func (g *rateGate) observe(o *outcome, pause time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight = max(0, g.inFlight-1)
	if g.probe != nil {
		close(g.probe)
		g.probe = nil
	}
	if o.resp == nil {
		return
	}
	g.heard = true
	remaining := o.limits.remaining
	if o.status == http.StatusTooManyRequests {
		remaining = 0
	}
	policy, hasPolicy := o.limits.policy, o.limits.hasPolicy
	switch {
	case hasPolicy && (!g.known || g.derived || g.policy != policy):
		// A new policy: the schedule starts from what the API says is
		// left, less the requests on their way that no schedule held, as
		// they may reach the API after this answer's count.
		g.policy, g.known, g.derived = policy, true, false
		left := policy.Burst
		if remaining >= 0 {
			left = min(remaining, policy.Burst)
		}
		g.tat = o.at.Add(time.Duration(policy.Burst-left+g.inFlight) * g.interval())
	case hasPolicy && remaining >= 0:
		// The API's count leaves out the requests on their way to it,
		// which tat already holds: only a lower count (another client
		// spending from the same key) moves the schedule.
		if empty := o.at.Add(time.Duration(policy.Burst-min(remaining, policy.Burst)) * g.interval()); empty.After(g.tat) {
			g.tat = empty
		}
	case hasPolicy:
	case o.status >= 200 && o.status <= 299 && g.known && !g.derived:
		// The API announces its limit on every answer to a limited key;
		// a success without it means the limit is gone.
		g.known = false
	case o.status == http.StatusTooManyRequests && !g.known && pause > 0:
		// No policy to follow: one request per pause is slow, but the API
		// has just said that the last one came too soon.
		g.policy = RateLimitPolicy{Burst: 1, Rate: float64(time.Second) / float64(pause)}
		g.known, g.derived = true, true
	}
	if o.status == http.StatusTooManyRequests && pause > 0 {
		if until := o.at.Add(pause); until.After(g.pausedUntil) {
			g.pausedUntil = until
		}
		// Every waiting request reserves its time again after the pause,
		// so the times reserved before it no longer count; the API's
		// bucket is empty.
		if g.known {
			g.tat = o.at.Add(time.Duration(g.policy.Burst) * g.interval())
		}
		g.epoch++
	}
}

// current is the policy that the API announced, and false when none is in
// force or the pace is the gate's own.
func (g *rateGate) current() (RateLimitPolicy, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.policy, g.known && !g.derived
}

// rateLimitError is the error of a call that next would have to wait,
// beyond the bound, or zero when the wait is for the API's first answer.
func (g *rateGate) rateLimitError(st *call, next time.Duration) *RateLimitError {
	e := &RateLimitError{Method: st.method, URL: st.url, Waited: st.rateWaited, MaxWait: g.maxWait, Next: next, Last: st.last429}
	if p, known := g.current(); known {
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
	// much longer its next attempt would have had to wait, or zero when it
	// was waiting for the API's first answer, which tells the limit.
	Waited, Next time.Duration
	MaxWait      time.Duration
	// Last is the API's last 429 of this call, or nil when the call was
	// held back before the API refused it.
	Last *APIError
}

func (e *RateLimitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: rate limited: the call waited %s for the API's rate limit", e.Method, e.URL, e.Waited.Round(time.Millisecond))
	if e.Next > 0 {
		fmt.Fprintf(&b, " and its next attempt would wait %s more, beyond the limit of %s", e.Next.Round(time.Millisecond), e.MaxWait)
	} else {
		fmt.Fprintf(&b, ", the limit of %s", e.MaxWait)
	}
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
