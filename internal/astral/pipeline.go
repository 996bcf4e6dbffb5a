package astral

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"
)

// call is one logical call, across its attempts. One goroutine, the
// caller's, runs them all.
type call struct {
	method string
	url    string
	// req is the template of every attempt: the same headers, the
	// Idempotency-Key among them, and the same body bytes.
	req *http.Request
	// attempts counts the attempts sent; retries, the retries that
	// MaxRetries bounds.
	attempts, retries int
	// ended is when the last attempt's outcome was known.
	ended time.Time
	// rateWaited is the time the call has waited for the rate limit, and
	// reportedWait whether that wait has been logged.
	rateWaited   time.Duration
	reportedWait bool
	// last429 is the API's last 429 of the call, for a *RateLimitError.
	last429 *APIError
	// mayHaveArrived is set once an attempt may have reached the API: it got a
	// response, or failed after its connection was made.
	mayHaveArrived bool
}

// outcome is what one attempt brought back, as every stage after it reads it.
type outcome struct {
	// index is the attempt's number in its call, from 0.
	index int
	// wait is the time between the previous attempt's outcome and this
	// attempt's start: its backoff and its wait for the rate limit.
	wait time.Duration
	// resp is the response, or nil when none arrived; status is its status
	// code, or 0.
	resp   *http.Response
	status int
	// err is why no response arrived.
	err error
	// limits are the response's rate-limit headers, read once.
	limits rateHeaders
	// at is when the outcome was known.
	at time.Time
}

// send runs a call's attempts through the stages of the request pipeline:
//
//  1. the rate gate holds the attempt until the API's rate limit lets it
//     leave (rateGate.wait), outside the attempt's timeout;
//  2. the attempt is sent, within RequestTimeout, and the rate-limit
//     headers of its response read once (Client.attempt);
//  3. the retry policy decides on it (retryPolicy.decide);
//  4. the rate gate learns from it (rateGate.observe);
//  5. it is logged (Client.logAttempt);
//  6. a retry waits the policy's backoff (sleep) and goes round again.
//
// It returns the last response, so that the API's own error reaches the
// caller, or the error that ended the call: the context's, the last
// attempt's, or a *RateLimitError from the gate.
func (c *Client) send(ctx context.Context, st *call) (*http.Response, error) {
	for {
		if err := c.gate.wait(ctx, st); err != nil {
			return nil, err
		}
		o := c.attempt(ctx, st)
		v := c.retry.decide(ctx, o, st.retries)
		c.gate.observe(o, v.pause)
		c.logAttempt(ctx, st, o, v)
		if !v.retry {
			return o.resp, v.err
		}
		if v.counted {
			st.retries++
		}
		if o.resp != nil {
			st.discard(o)
		}
		if err := sleep(ctx, v.wait); err != nil {
			return nil, err
		}
	}
}

// attempt sends the call's request once. The transport's *url.Error is
// unwrapped: it repeats the method and URL that the call's errors and log
// entries already show.
func (c *Client) attempt(ctx context.Context, st *call) *outcome {
	start := time.Now()
	o := &outcome{index: st.attempts, limits: rateHeaders{remaining: -1}}
	if st.attempts > 0 {
		o.wait = start.Sub(st.ended)
	}
	st.attempts++
	req := st.req.Clone(ctx)
	if st.req.GetBody != nil {
		// A bytes.Reader's GetBody does not fail.
		req.Body, _ = st.req.GetBody()
	}
	o.resp, o.err = c.http.Do(req) //nolint:bodyclose // send hands the last response to do, which closes it, and discards the others
	o.at = time.Now()
	st.ended = o.at
	var ue *url.Error
	if errors.As(o.err, &ue) {
		o.err = ue.Err
	}
	if o.resp != nil {
		o.status = o.resp.StatusCode
		o.limits = parseRateHeaders(o.resp.Header, o.at)
	}
	if o.resp != nil || !notSent(o.err) {
		st.mayHaveArrived = true
	}
	return o
}

// discard closes the response of an attempt that will be retried, keeping
// a 429's error for a *RateLimitError.
func (st *call) discard(o *outcome) {
	defer o.resp.Body.Close()
	if o.status == http.StatusTooManyRequests {
		data, err := readLimited(o.resp.Body)
		st.last429 = newAPIError(st, o.resp, data, err)
		return
	}
	// Reading a short body lets the connection serve the next attempt.
	_, _ = io.Copy(io.Discard, io.LimitReader(o.resp.Body, 4<<10))
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// logAttempt writes the one log entry of an attempt (see Logger).
func (c *Client) logAttempt(ctx context.Context, st *call, o *outcome, v verdict) {
	if c.logger == nil {
		return
	}
	kv := []any{"method", st.method, "url", st.url, "attempt", o.index + 1, "wait", o.wait.Round(time.Millisecond).String(), "retry", v.retry}
	if o.resp != nil {
		kv = append(kv, "status", o.status, "request_id", o.resp.Header.Get("X-Request-Id"))
	}
	if v.err != nil {
		c.logger.WarnContext(ctx, "astral: request failed", append(kv, "error", v.err.Error())...)
		return
	}
	c.logger.DebugContext(ctx, "astral: response", kv...)
}
