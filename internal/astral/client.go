package astral

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// DefaultEndpoint is the base URL of the Astral API, without the /v1 prefix.
const DefaultEndpoint = "https://api.astral.app"

// The defaults of Config, for callers that document or display them.
const (
	DefaultUserAgent      = "terraform-provider-astral/dev"
	DefaultMaxRetries     = 4
	DefaultRetryWaitMin   = 500 * time.Millisecond
	DefaultRetryWaitMax   = 30 * time.Second
	DefaultRequestTimeout = 30 * time.Second
)

const (

	// maxResponseBytes bounds every response body. A full page of 100 keys
	// is under 100 KiB, so a body near this size is not the Astral API and
	// must not be buffered without limit.
	maxResponseBytes = 10 << 20
)

// Config configures a Client. Only APIKey is required.
type Config struct {
	// Endpoint is the API's base URL without /v1; empty means DefaultEndpoint.
	Endpoint string
	// APIKey is the caller's secret (astral_live_ and 32 letters or digits).
	APIKey string
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
	// HTTPClient is copied, never modified: the client sets its own Timeout
	// (RequestTimeout) and does not follow redirects. Nil means a pooled
	// client from go-cleanhttp.
	HTTPClient *http.Client
	// MaxRetries is the number of retries after the first attempt: nil
	// means DefaultMaxRetries, zero means none.
	MaxRetries *int
	// RetryWaitMin is the shortest wait before a retry; zero means
	// DefaultRetryWaitMin.
	RetryWaitMin time.Duration
	// RetryWaitMax caps every single wait, a server's Retry-After included;
	// zero means DefaultRetryWaitMax.
	RetryWaitMax time.Duration
	// RequestTimeout bounds each attempt (not the whole call, which the
	// context bounds); zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxRateLimitWait bounds the time a call spends, in all, waiting for
	// the API's rate limit: for its turn under the policy the API
	// announces, and for the Retry-After of each 429. Those waits are not
	// retries: they never count against MaxRetries. A call that would wait
	// longer fails with a *RateLimitError. Zero means
	// DefaultMaxRateLimitWait.
	MaxRateLimitWait time.Duration
	// Logger, when set, receives one entry per attempt (see Logger).
	Logger Logger
}

// Logger receives one entry per attempt of a call, with the context of the
// call, so that a logger carried by the context (such as Terraform's) can
// write it. The key-value pairs are method, url, attempt, wait (the time
// waited before this attempt), retry, and status and request_id when a
// response arrived, or error when none did. A call that waits more than a
// few seconds for the API's rate limit also gets one INFO entry, with
// method, url, wait, waited, max_wait and the policy. No header or body is
// ever logged. *slog.Logger implements it.
type Logger interface {
	DebugContext(ctx context.Context, msg string, args ...any)
	InfoContext(ctx context.Context, msg string, args ...any)
	WarnContext(ctx context.Context, msg string, args ...any)
}

// Client is a client of the Astral API. It is safe for concurrent use.
type Client struct {
	// APIKeys are the operations on the organization's API keys.
	APIKeys APIKeys

	base          *url.URL
	authorization string
	userAgent     string
	logger        Logger
	clock         apiClock
	http          *retryablehttp.Client
	// limiter paces every call of the client, whichever goroutine makes it.
	limiter          rateLimiter
	maxRetries       int
	maxRateLimitWait time.Duration
	reportWaitAfter  time.Duration
}

// NewClient checks the configuration and returns a client. It makes no
// request: a secret that is well formed but not valid is found by the first call.
func NewClient(cfg Config) (*Client, error) {
	base, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if err := ValidateSecret(cfg.APIKey); err != nil {
		return nil, err
	}

	retries := DefaultMaxRetries
	if cfg.MaxRetries != nil {
		retries = *cfg.MaxRetries
	}
	waitMin := cmpOr(cfg.RetryWaitMin, DefaultRetryWaitMin)
	waitMax := cmpOr(cfg.RetryWaitMax, DefaultRetryWaitMax)
	timeout := cmpOr(cfg.RequestTimeout, DefaultRequestTimeout)
	maxRateLimitWait := cmpOr(cfg.MaxRateLimitWait, DefaultMaxRateLimitWait)
	for _, f := range []struct {
		field    string
		negative bool
	}{
		{"MaxRetries", retries < 0},
		{"RetryWaitMin", waitMin < 0},
		{"RetryWaitMax", waitMax < 0},
		{"RequestTimeout", timeout < 0},
		{"MaxRateLimitWait", maxRateLimitWait < 0},
	} {
		if f.negative {
			return nil, invalidConfig(f.field, "it must not be negative")
		}
	}
	if waitMin > waitMax {
		return nil, invalidConfig("RetryWaitMin", fmt.Sprintf("it (%s) must not exceed RetryWaitMax (%s)", waitMin, waitMax))
	}

	var hc *http.Client
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	} else {
		hc = cleanhttp.DefaultPooledClient()
	}
	hc.Timeout = timeout
	// A redirect would turn a POST into a GET and drop the Authorization
	// header on another host; it is reported as an unexpected response instead.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	c := &Client{
		base:          base,
		authorization: "Bearer " + cfg.APIKey,
		userAgent:     cmpOr(cfg.UserAgent, DefaultUserAgent),
		logger:        cfg.Logger,

		maxRetries:       retries,
		maxRateLimitWait: maxRateLimitWait,
		reportWaitAfter:  defaultReportWaitAfter,
	}
	c.http = &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: waitMin,
		RetryWaitMax: waitMax,
		// checkRetry counts the retries that MaxRetries bounds: waits for
		// the rate limit are not among them.
		RetryMax:   math.MaxInt,
		CheckRetry: c.checkRetry,
		Backoff:    c.backoff,
		// Each attempt waits here for the rate limit, outside the attempt's
		// timeout, and is marked as started, so that its log entry tells
		// how long the call waited before it.
		RequestLogHook: func(_ retryablehttp.Logger, req *http.Request, _ int) {
			st, _ := req.Context().Value(callKey{}).(*call)
			if st == nil {
				return
			}
			if err := c.waitForRateLimit(req.Context(), st); err != nil {
				// The hook cannot fail the attempt; ending its context does.
				st.abort(err)
			}
			st.started = time.Now()
		},
		// The last response, not "giving up after N attempts", must reach
		// the caller so that the API's code, message and request id survive.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		// retryablehttp's own log lines are not ours to vet; checkRetry logs.
		Logger: nil,
	}
	c.APIKeys = &apiKeys{client: c}
	return c, nil
}

func cmpOr[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}

func parseEndpoint(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultEndpoint
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the whole input, which may hold credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, invalidConfig("Endpoint", "it is not a valid URL: "+err.Error())
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, invalidConfig("Endpoint", fmt.Sprintf("%s must be an http or https URL, such as %s", u.Redacted(), DefaultEndpoint))
	case u.Host == "":
		return nil, invalidConfig("Endpoint", u.Redacted()+" has no host")
	case u.User != nil:
		return nil, invalidConfig("Endpoint", u.Redacted()+" must not contain user information; the API key is sent in the Authorization header")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, invalidConfig("Endpoint", u.Redacted()+" must not have a query or fragment")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	// Every route is under /v1, which the client adds; a /v1 here would make
	// every call an unknown route, and an unknown route answers not_found.
	if strings.HasSuffix(u.Path, "/v1") {
		return nil, invalidConfig("Endpoint", fmt.Sprintf("%s must be the base URL without /v1, such as %s", u.Redacted(), DefaultEndpoint))
	}
	return u, nil
}

// endpoint returns the URL of a route under /v1, escaping each segment.
func (c *Client) endpoint(segments ...string) *url.URL {
	return c.base.JoinPath(append([]string{"v1"}, segments...)...)
}

// callKey keys the per-call state that checkRetry reads from the request's context.
type callKey struct{}

// call is one logical call, across its attempts. retryablehttp runs the
// attempts and checkRetry one after the other in the caller's goroutine.
type call struct {
	method   string
	url      string
	attempts int
	// retries counts the retries that MaxRetries bounds.
	retries int
	// started is when the current attempt began; ended, when the last
	// one's outcome was known. The time between them is the wait.
	started, ended time.Time
	// rateWaited is the time the call has waited for the rate limit, and
	// reportedWait whether that wait has been logged.
	rateWaited   time.Duration
	reportedWait bool
	// last429 is the API's last 429 of the call, for a *RateLimitError.
	last429 *APIError
	// mayHaveArrived is set once an attempt may have reached the API: it got a
	// response, or failed after its connection was made.
	mayHaveArrived bool
	// abort ends the call's context with the reason, a *RateLimitError.
	abort context.CancelCauseFunc
}

// response is a response body type that can tell whether it is complete.
type response interface {
	validate() error
}

// do sends one call, with retries, and decodes a 2xx body into v.
// idempotencyKey is sent when non-empty.
func (c *Client) do(ctx context.Context, method string, u *url.URL, body []byte, idempotencyKey string, v response) error {
	ctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	st := &call{method: method, url: u.String(), abort: abort}
	var raw any // a nil []byte would still be sent as an empty chunked body
	if body != nil {
		raw = body
	}
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, callKey{}, st), method, st.url, raw)
	if err != nil {
		return fmt.Errorf("astral: %s %s: %w", method, st.url, err)
	}
	req.Header.Set("Authorization", c.authorization)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		var rateErr *RateLimitError
		if errors.As(err, &rateErr) {
			return rateErr
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // it repeats the method and URL that ConnectionError already shows
		}
		return &ConnectionError{Method: method, URL: st.url, Attempts: max(st.attempts, 1), Err: err, NotSent: !st.mayHaveArrived && notSent(err)}
	}
	defer resp.Body.Close()
	c.clock.observe(resp.Header.Get("Date"), time.Now())

	data, readErr := readLimited(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(st, resp, data, readErr)
	}
	if readErr != nil {
		return badResponse(st, resp, readErr)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return badResponse(st, resp, fmt.Errorf("the body is not valid JSON: %w", err))
	}
	if err := v.validate(); err != nil {
		return badResponse(st, resp, err)
	}
	if h, ok := v.(headerReader); ok {
		h.readHeader(resp.Header)
	}
	return nil
}

// headerReader is a response that also learns from its headers.
type headerReader interface {
	readHeader(http.Header)
}

var errBodyTooLarge = fmt.Errorf("the body exceeds %d MiB", maxResponseBytes>>20)

func readLimited(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if n > maxResponseBytes {
		return nil, errBodyTooLarge
	}
	return buf.Bytes(), nil
}

// checkRetry is the retry policy (see retryable) with the bound of
// MaxRetries, the rate limiter's lesson from each response, and the
// per-attempt log line.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st, _ := ctx.Value(callKey{}).(*call)
	var rateErr *RateLimitError
	if cause := context.Cause(ctx); errors.As(cause, &rateErr) {
		// The rate limit held this attempt back: it was never sent.
		return false, rateErr
	}
	if st != nil && (resp != nil || !notSent(err)) {
		st.mayHaveArrived = true
	}
	retry, err := retryable(ctx, resp, err)
	if st == nil {
		return retry, err
	}
	if resp != nil {
		c.limiter.observe(resp.Header, resp.StatusCode, time.Now(), c.retryAfter(resp))
		if resp.StatusCode == http.StatusTooManyRequests {
			st.last429 = keep429(st, resp)
		}
	} else {
		c.limiter.answered()
	}
	if retry && !waitsForRateLimit(resp) {
		if st.retries >= c.maxRetries {
			retry = false
		} else {
			st.retries++
		}
	}
	st.attempts++
	var wait time.Duration
	if st.attempts > 1 {
		wait = st.started.Sub(st.ended).Round(time.Millisecond)
	}
	st.ended = time.Now()
	if c.logger != nil {
		kv := []any{"method", st.method, "url", st.url, "attempt", st.attempts, "wait", wait.String(), "retry", retry}
		if resp != nil {
			kv = append(kv, "status", resp.StatusCode, "request_id", resp.Header.Get("X-Request-Id"))
		}
		if err != nil {
			c.logger.WarnContext(ctx, "astral: request failed", append(kv, "error", err.Error())...)
		} else {
			c.logger.DebugContext(ctx, "astral: response", kv...)
		}
	}
	return retry, err
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

// keep429 reads a 429's error before retryablehttp discards its body, and
// puts the body back for the caller when the 429 is the last answer.
func keep429(st *call, resp *http.Response) *APIError {
	data, err := readLimited(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return newAPIError(st, resp, data, err)
}

// waitsForRateLimit reports a 429 that says how to wait, by Retry-After or
// a policy to follow: its retry is a wait for the rate limit, which
// MaxRetries does not count and MaxRateLimitWait bounds. A bare 429 is
// retried like a 5xx.
func waitsForRateLimit(resp *http.Response) bool {
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		return false
	}
	_, hasRetryAfter := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	_, hasPolicy := parseRateLimitPolicy(resp.Header.Get("RateLimit-Policy"))
	return hasRetryAfter || hasPolicy
}

// retryAfter is the pause a 429 asks for, within RetryWaitMin and
// RetryWaitMax, or zero when it asks for none.
func (c *Client) retryAfter(resp *http.Response) time.Duration {
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0
	}
	d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if !ok {
		return 0
	}
	return min(max(d, c.http.RetryWaitMin), c.http.RetryWaitMax)
}

// backoff is the wait before a retry. A 429 that says how to wait leaves
// it to the rate limiter, which holds back every call of the client, not
// only this one, until the API accepts requests again.
func (c *Client) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if waitsForRateLimit(resp) {
		return 0
	}
	return backoff(lo, hi, attempt, resp)
}

// backoff waits what Retry-After asks, within [lo, hi]; without it, a
// random wait between lo and lo·2^(attempt+1), capped at hi ("full jitter",
// so that clients failing together do not retry together).
func backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(max(d, lo), hi)
		}
	}
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
