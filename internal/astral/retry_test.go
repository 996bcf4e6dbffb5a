package astral

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestRetryable(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	status := func(code int) *http.Response { return &http.Response{StatusCode: code, Header: http.Header{}} }
	connErr := func(err error) error { return &url.Error{Op: "Post", URL: "http://x/v1/api-keys", Err: err} }

	tests := []struct {
		name      string
		ctx       context.Context
		resp      *http.Response
		err       error
		wantRetry bool
		wantErr   error
	}{
		{"a 200 is final", live, status(200), nil, false, nil},
		{"a 201 is final", live, status(201), nil, false, nil},
		{"a 400 is final", live, status(400), nil, false, nil},
		{"a 401 is final", live, status(401), nil, false, nil},
		{"a 403 is final", live, status(403), nil, false, nil},
		{"a 404 is final", live, status(404), nil, false, nil},
		{"a 405 is final", live, status(405), nil, false, nil},
		{"a 409 is final", live, status(409), nil, false, nil},
		{"a 413 is final", live, status(413), nil, false, nil},
		{"a 501 is final", live, status(501), nil, false, nil},
		{"a 429 is retried", live, status(429), nil, true, nil},
		{"a 500 is retried", live, status(500), nil, true, nil},
		{"a 502 is retried", live, status(502), nil, true, nil},
		{"a 503 is retried", live, status(503), nil, true, nil},
		{"a 504 is retried", live, status(504), nil, true, nil},
		{"a refused connection is final", live, nil, connErr(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), false, syscall.ECONNREFUSED},
		{"a host name that does not exist is final", live, nil, connErr(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "astral.invalid", IsNotFound: true}}), false, nil},
		{"a name server that fails is retried", live, nil, connErr(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "server misbehaving", Name: "api.astral.app", IsTemporary: true}}), true, nil},
		{"a connection that times out is retried", live, nil, connErr(&net.OpError{Op: "dial", Err: os.ErrDeadlineExceeded}), true, os.ErrDeadlineExceeded},
		{"a reset connection is retried", live, nil, connErr(syscall.ECONNRESET), true, syscall.ECONNRESET},
		{"a connection closed without a response is retried", live, nil, connErr(io.EOF), true, io.EOF},
		{"an untrusted certificate is final", live, nil, connErr(x509.UnknownAuthorityError{}), false, nil},
		{"a 503 after the context ended is final", done, status(503), nil, false, context.Canceled},
		{"a connection error after the context ended is final", done, nil, connErr(context.Canceled), false, context.Canceled},
		{"a 200 that arrives as the context ends is kept", done, status(200), nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			retry, err := retryable(tt.ctx, tt.resp, tt.err)
			if retry != tt.wantRetry {
				t.Errorf("retry = %v, want %v", retry, tt.wantRetry)
			}
			if tt.wantErr == nil && tt.err == nil && err != nil {
				t.Errorf("error = %v, want none", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	const lo, hi = 100 * time.Millisecond, 2 * time.Second
	p := retryPolicy{waitMin: lo, waitMax: hi}
	withRetryAfter := func(v string) rateHeaders {
		return parseRateHeaders(http.Header{"Retry-After": {v}}, time.Now())
	}

	t.Run("when the server sends Retry-After", func(t *testing.T) {
		tests := []struct {
			name  string
			value string
			want  time.Duration
		}{
			{"it waits the seconds asked", "1", time.Second},
			{"it caps a long wait at the maximum", "3600", hi},
			{"it caps a far date at the maximum", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), hi},
			{"it waits at least the minimum", "0", lo},
			{"it waits at least the minimum for a past date", "Wed, 21 Oct 2015 07:28:00 GMT", lo},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for attempt := range 5 {
					if got := p.backoff(attempt, withRetryAfter(tt.value)); got != tt.want {
						t.Errorf("attempt %d: wait = %s, want %s", attempt, got, tt.want)
					}
				}
			})
		}
	})

	t.Run("without Retry-After it jitters within exponential bounds", func(t *testing.T) {
		for _, attempt := range []int{0, 1, 2, 3, 4, 5, 10, 63, 1000} {
			ceiling := hi
			if attempt < 4 {
				ceiling = lo << (attempt + 1)
			}
			seen := map[time.Duration]bool{}
			for range 500 {
				got := p.backoff(attempt, parseRateHeaders(http.Header{}, time.Now()))
				if got < lo || got > ceiling {
					t.Fatalf("attempt %d: wait %s outside [%s, %s]", attempt, got, lo, ceiling)
				}
				seen[got] = true
			}
			if len(seen) < 10 {
				t.Errorf("attempt %d: only %d distinct waits in 500; the wait is not jittered", attempt, len(seen))
			}
		}
	})

	t.Run("after a connection error it jitters too", func(t *testing.T) {
		got := p.backoff(0, rateHeaders{remaining: -1})
		if got < lo || got > 2*lo {
			t.Errorf("wait %s outside [%s, %s]", got, lo, 2*lo)
		}
	})
}

func TestRetryPolicyDecide(t *testing.T) {
	const lo, hi = 100 * time.Millisecond, 2 * time.Second
	p := retryPolicy{maxRetries: 2, waitMin: lo, waitMax: hi}
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	answer := func(status int, kv ...string) *outcome {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return &outcome{resp: &http.Response{StatusCode: status, Header: h}, status: status, limits: parseRateHeaders(h, time.Now())}
	}
	refused := &outcome{err: &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, limits: rateHeaders{remaining: -1}}
	dropped := &outcome{err: io.EOF, limits: rateHeaders{remaining: -1}}
	// jitter stands for a backoff without Retry-After: between lo and 2·lo
	// after the first attempt.
	const jitter = -1

	tests := []struct {
		name    string
		ctx     context.Context
		o       *outcome
		retries int
		want    verdict // wait jitter: any wait within the first backoff
	}{
		{"a success is final", live, answer(200), 0, verdict{}},
		{"a 404 is final", live, answer(404), 0, verdict{}},
		{"a 503 is retried after a jittered backoff", live, answer(503), 0, verdict{retry: true, counted: true, wait: jitter}},
		{"a 503 waits its Retry-After", live, answer(503, "Retry-After", "1"), 0, verdict{retry: true, counted: true, wait: time.Second}},
		{"a 503 after the last retry is final", live, answer(503), 2, verdict{}},
		{"a bare 429 is retried like a 503", live, answer(429), 0, verdict{retry: true, counted: true, wait: jitter}},
		{"a bare 429 after the last retry is final", live, answer(429), 2, verdict{}},
		{"a 429 with Retry-After pauses the gate and is not counted", live, answer(429, "Retry-After", "1"), 0, verdict{retry: true, pause: time.Second}},
		{"a 429 with Retry-After is retried after the last retry", live, answer(429, "Retry-After", "1"), 2, verdict{retry: true, pause: time.Second}},
		{"a 429's pause is kept within RetryWaitMax", live, answer(429, "Retry-After", "3600"), 0, verdict{retry: true, pause: hi}},
		{"a 429's pause is at least RetryWaitMin", live, answer(429, "Retry-After", "0"), 0, verdict{retry: true, pause: lo}},
		{"a 429 with a policy leaves the wait to the gate", live, answer(429, "RateLimit-Policy", "2;w=1;rate=2", "RateLimit-Remaining", "0"), 2, verdict{retry: true}},
		{"a 429 after the context ended is final", done, answer(429, "Retry-After", "1"), 0, verdict{pause: time.Second, err: context.Canceled}},
		{"a dropped connection is retried", live, dropped, 1, verdict{retry: true, counted: true, wait: jitter, err: io.EOF}},
		{"a refused connection is final", live, refused, 0, verdict{err: refused.err}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.decide(tt.ctx, tt.o, tt.retries)
			if tt.want.wait == jitter {
				if got.wait < lo || got.wait > 2*lo {
					t.Errorf("wait %s outside [%s, %s]", got.wait, lo, 2*lo)
				}
				tt.want.wait = got.wait
			}
			if !errors.Is(got.err, tt.want.err) || (got.err == nil) != (tt.want.err == nil) {
				t.Errorf("error %v, want %v", got.err, tt.want.err)
			}
			got.err, tt.want.err = nil, nil
			if got != tt.want {
				t.Errorf("verdict %+v, want %+v", got, tt.want)
			}
		})
	}
}
