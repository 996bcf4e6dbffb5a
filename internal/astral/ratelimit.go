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
// Other clients of the key (other runs) draw on the same bucket: the gate
// paces at a share of the rate that it adapts to them (see fleetShare).
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
	// rescheduled is closed, and replaced, when the schedule changes (a
	// pause, a new share): a request that waits for the time it reserved
	// wakes and reserves again.
	rescheduled chan struct{}
	// inFlight counts the requests sent and not yet answered.
	inFlight int
	// heard says the API has answered once, and since the last 429's
	// pause. Until then one request goes alone, and probe is closed when
	// it is answered (see turn).
	heard bool
	probe chan struct{}
	// share is the part of the policy's rate that this client takes, as
	// others may call with the same key; own is when the next request
	// may leave at that share, and lastSent when the last one left.
	// mirror follows the API's bucket as the client's requests leave, to
	// tell the client's draws from others'. shareNote is the last change
	// of the share, logged by the next call that waits.
	share         fleetShare
	own, lastSent time.Time
	// sentUnderPolicy counts the requests sent since the policy was learnt.
	sentUnderPolicy int
	mirror          bucketMirror
	shareNote       *shareChange
}

// wait holds an attempt of st until the rate limit lets it leave, and
// counts it as sent. It returns a *RateLimitError, before sending, when the
// wait would take the call's waiting past maxWait, and ctx's error when
// ctx ends first.
func (g *rateGate) wait(ctx context.Context, st *call) error {
	g.logShare(ctx)
	for {
		answered, probe := g.turn()
		if answered != nil {
			if err := g.sleep(ctx, st, answered); err != nil {
				return err
			}
			continue
		}
		sent, err := g.leave(ctx, st, probe)
		if err != nil || sent {
			return err
		}
	}
}

// leave waits for the time that the request reserves and counts it as
// sent. It returns false, with no error, when the schedule changed while
// the request waited: it then takes its turn again, unless it is the
// probe (see turn), which reserves again at once.
func (g *rateGate) leave(ctx context.Context, st *call, probe bool) (bool, error) {
	for {
		wait, rescheduled, ok := g.reserve(time.Now(), g.maxWait-st.rateWaited)
		if !ok {
			g.release(probe)
			return false, g.rateLimitError(st, wait)
		}
		if wait > 0 {
			g.report(ctx, st, wait)
			waited, err := sleepUnless(ctx, wait, rescheduled)
			st.rateWaited += waited
			if err != nil {
				g.release(probe)
				return false, err
			}
			select {
			case <-rescheduled:
				if probe {
					continue
				}
				return false, nil
			default:
			}
		}
		g.sending(time.Now())
		return true, nil
	}
}

// sleepUnless waits d, or until ctx ends or changed is closed, and
// returns the time it waited.
func sleepUnless(ctx context.Context, d time.Duration, changed <-chan struct{}) (time.Duration, error) {
	start := time.Now()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return time.Since(start), ctx.Err()
	case <-changed:
		return time.Since(start), nil
	case <-timer.C:
		return d, nil
	}
}

// turn says whether a request must wait for another's answer, and returns
// the channel closed by it. Until the API has answered once, its limit is
// unknown: a client whose first calls leave at once (a destroy's revokes,
// -parallelism at a time) would spend the bucket before any answer
// announced it. After a 429, the bucket the client mirrors refills during
// the pause, but others may take it: calls that leave together when the
// pause ends would be refused together. So one request, the probe, goes
// alone (probe is then true), and the others follow the pace its answer
// sets.
func (g *rateGate) turn() (answered <-chan struct{}, probe bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.heard:
		return nil, false
	case g.probe == nil:
		g.probe = make(chan struct{})
		return nil, true
	}
	return g.probe, false
}

// release lets the others go when the probe ends before it is sent.
func (g *rateGate) release(probe bool) {
	if !probe {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.probe != nil {
		close(g.probe)
		g.probe = nil
	}
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
		if share := g.currentShare(); share < 1 {
			kv = append(kv, "share", formatShare(share))
		}
	}
	g.logger.InfoContext(ctx, "astral: waiting for the API's rate limit", kv...)
}

// logShare logs the last change of the share, once, at DEBUG.
func (g *rateGate) logShare(ctx context.Context) {
	g.mu.Lock()
	ch := g.shareNote
	g.shareNote = nil
	policy := g.policy
	g.mu.Unlock()
	if ch == nil || g.logger == nil {
		return
	}
	g.logger.DebugContext(ctx, "astral: pacing at a share of the API's rate limit",
		"share", formatShare(ch.to), "previous_share", formatShare(ch.from), "reason", ch.reason, "policy", policy.String())
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
// false and nothing is reserved). rescheduled is closed when the schedule
// changes, and the reservation with it.
func (g *rateGate) reserve(now time.Time, budget time.Duration) (wait time.Duration, rescheduled <-chan struct{}, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	at := now
	if g.pausedUntil.After(at) {
		at = g.pausedUntil
	}
	var interval, ownInterval time.Duration
	if g.known {
		// The request leaves once the schedule says the API's bucket
		// holds a request (one more once the first burst is spent, see
		// keepsReserve) and, at a share, one interval of the share after
		// the client's last request: a client that shares the bucket
		// sends no bursts, which would take the requests the others are
		// due.
		interval = g.interval()
		burst := g.policy.Burst
		if g.keepsReserve() {
			burst--
		}
		at = later(at, g.tat.Add(-time.Duration(burst-1)*interval))
		ownInterval = g.ownInterval()
		if g.sharing() {
			at = later(at, g.own)
		}
	}
	wait = at.Sub(now)
	if wait > budget {
		return wait, g.rescheduledChan(), false
	}
	if g.known {
		g.tat = later(g.tat, at).Add(interval)
		g.own = later(g.own, at).Add(ownInterval)
	}
	return wait, g.rescheduledChan(), true
}

// rescheduledChan is the channel that the next change of the schedule
// closes.
func (g *rateGate) rescheduledChan() chan struct{} {
	if g.rescheduled == nil {
		g.rescheduled = make(chan struct{})
	}
	return g.rescheduled
}

// reschedule drops the times that waiting requests reserved: they wake
// and reserve again.
func (g *rateGate) reschedule() {
	if g.rescheduled != nil {
		close(g.rescheduled)
	}
	g.rescheduled = make(chan struct{})
}

// keepsReserve says that the next request leaves a request in the
// bucket. Once its first burst is spent, a client keeps the bucket's last
// request for others: a client that took every request as it came back
// into the bucket would leave others only 429s, which it never sees,
// while a request that another takes shows in the client's next count.
// The pace is the same; only the bucket holds one request more.
func (g *rateGate) keepsReserve() bool {
	return !g.derived && g.policy.Burst >= 2 && g.sentUnderPolicy >= g.policy.Burst
}

// sharing says that the client paces at a share of the policy's rate.
func (g *rateGate) sharing() bool {
	return g.known && !g.derived && g.share.frac < 1
}

// ownInterval is the time between two requests at the client's share.
func (g *rateGate) ownInterval() time.Duration {
	if !g.sharing() {
		return g.interval()
	}
	return time.Duration(float64(g.interval()) / g.share.frac)
}

// sending counts a request that leaves at now; observe counts it back.
func (g *rateGate) sending(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight++
	g.lastSent = now
	g.sentUnderPolicy++
	if g.known && !g.derived {
		g.mirror.take(now, g.policy)
	}
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
	// An answer within a pause is to a request sent before it: the
	// request that goes alone after the pause has yet to be heard.
	withinPause := o.at.Before(g.pausedUntil)
	if g.probe != nil && (o.resp == nil || !withinPause) {
		close(g.probe)
		g.probe = nil
	}
	if o.resp == nil {
		return
	}
	if !withinPause {
		g.heard = true
	}
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
		g.mirror.set(o.at, policy, float64(left-g.inFlight))
		g.share.start(o.at, o.status == http.StatusTooManyRequests)
		g.sentUnderPolicy = 0
		g.own = g.tat
	case hasPolicy && remaining >= 0:
		g.learnShare(o, remaining)
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
		// The next request goes alone (see turn).
		g.heard = false
		// Every waiting request reserves its time again after the pause,
		// so the times reserved before it no longer count; the API's
		// bucket is empty.
		if g.known {
			g.tat = o.at.Add(time.Duration(g.policy.Burst) * g.interval())
		}
		g.reschedule()
	}
}

// learnShare compares the API's count with the mirror's and adapts the
// share to it (see fleetShare). After a change, the requests that hold a
// time reserve again at the new pace, from the client's last request:
// the schedules drop the times they had reserved, and keep the requests
// sent.
func (g *rateGate) learnShare(o *outcome, remaining int) {
	sig := bucketSignal{at: o.at, policy: g.policy, remaining: min(remaining, g.policy.Burst),
		refused: o.status == http.StatusTooManyRequests, overlapped: g.inFlight > 0}
	sig.took = g.mirror.tokens(o.at, g.policy) - float64(sig.remaining)
	if sig.refused {
		// The mirror counted the refused request, which took nothing.
		sig.took++
	}
	g.mirror.lower(o.at, g.policy, sig.remaining)
	ch, othersDrew := g.share.learn(sig)
	if ch != nil {
		g.shareNote = ch
	}
	if ch == nil && !othersDrew {
		return
	}
	// The times reserved so far assumed another pace, or a bucket that
	// others have drawn on: the schedules restart from the requests sent.
	g.own = g.lastSent.Add(g.ownInterval())
	if othersDrew && sig.remaining <= lowWater(g.policy) {
		// Another client's request came just before this one's and left
		// the bucket nearly empty: the next leaves a request's refill
		// later, out of the way of the others' pace, so that clients
		// pacing alike spread apart instead of meeting again.
		g.own = g.own.Add(perRequest(g.policy))
	}
	g.tat = g.mirror.full
	g.reschedule()
}

// currentShare is the part of the policy's rate that the client takes.
func (g *rateGate) currentShare() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.sharing() {
		return 1
	}
	return g.share.frac
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
