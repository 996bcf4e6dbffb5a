package astral

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"
)

// retryPolicy is the one place that decides, after each attempt, whether a
// call tries again, whether that retry spends one of MaxRetries, and how
// long it waits first.
type retryPolicy struct {
	// maxRetries bounds the retries that count (see verdict.counted).
	maxRetries int
	// waitMin and waitMax bound every wait, Retry-After included.
	waitMin, waitMax time.Duration
}

// verdict is the retry policy's decision on one attempt.
type verdict struct {
	retry bool
	// counted says that the retry spends one of MaxRetries. A 429 that says
	// how to wait (Retry-After or RateLimit-Policy) does not: its retry is
	// a wait for the rate limit, which MaxRateLimitWait bounds instead.
	counted bool
	// wait is the backoff before the next attempt. It is zero when the
	// rate gate paces that attempt, after a 429 that says how to wait.
	wait time.Duration
	// pause is how long a 429's Retry-After, within waitMin and waitMax,
	// holds back every call of the client (see rateGate.observe); zero
	// for any other answer.
	pause time.Duration
	// err is why the call failed, or nil: the attempt's own error, or the
	// context's when it ended.
	err error
}

// decide rules on the outcome of an attempt, given the counted retries the
// call has spent so far.
func (p retryPolicy) decide(ctx context.Context, o *outcome, retries int) verdict {
	retry, err := retryable(ctx, o.resp, o.err)
	v := verdict{retry: retry, err: err}
	rateLimited := o.status == http.StatusTooManyRequests
	if rateLimited && o.limits.hasRetryAfter {
		v.pause = p.clamp(o.limits.retryAfter)
	}
	switch {
	case !retry:
	case rateLimited && o.limits.saysHowToWait():
		// The rate gate holds this call, and every other, until the API
		// takes requests again.
	case retries >= p.maxRetries:
		v.retry = false
	default:
		v.counted = true
		v.wait = p.backoff(o.index, o.limits)
	}
	return v
}

// clamp keeps a wait the server asks for within waitMin and waitMax.
func (p retryPolicy) clamp(d time.Duration) time.Duration {
	return min(max(d, p.waitMin), p.waitMax)
}

// backoff is the wait before the retry of attempt (from 0): what
// Retry-After asks, within waitMin and waitMax; without it, a random wait
// between waitMin and waitMin·2^(attempt+1), capped at waitMax ("full
// jitter", so that clients failing together do not retry together).
func (p retryPolicy) backoff(attempt int, h rateHeaders) time.Duration {
	if h.hasRetryAfter {
		return p.clamp(h.retryAfter)
	}
	lo, hi := p.waitMin, p.waitMax
	ceiling := lo
	for i := 0; i <= attempt && ceiling < hi; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, hi)
	if ceiling <= lo {
		return lo
	}
	return lo + rand.N(ceiling-lo+1) //nolint:gosec // jitter spreads retries; it needs no secrecy
}

// retryable decides whether an attempt is worth repeating: connection
// failures and 429, 500, 502, 503, 504, never another status, and never
// once the caller's context is done. A non-nil error replaces err as the
// reason the call failed.
func retryable(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if err == nil && !retryableStatus(resp.StatusCode) {
		return false, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	if err != nil {
		return !permanentTransportError(err) && !unreachable(err), err
	}
	return true, nil
}

func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// notSent reports an attempt that failed before its request was written:
// the connection was never made.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// unreachable reports an endpoint that retries cannot reach within a run:
// its host name does not exist, or nothing listens on its port. Such a
// call fails at once, so that a wrong endpoint costs no backoff.
func unreachable(err error) bool {
	var dns *net.DNSError
	return (errors.As(err, &dns) && dns.IsNotFound) || errors.Is(err, syscall.ECONNREFUSED)
}

// permanentTransportError reports a certificate the client will never
// trust: every retry would fail the same way.
func permanentTransportError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}
