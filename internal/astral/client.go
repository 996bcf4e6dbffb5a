package astral

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
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
	// context bounds, nor the waits for the rate limit and the backoffs
	// between attempts); zero means DefaultRequestTimeout.
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
	// The stages of the request pipeline (see Client.send): the HTTP
	// client sends each attempt, within RequestTimeout; the retry policy
	// rules on it; the rate gate paces every call of the client.
	http  *http.Client
	retry retryPolicy
	gate  rateGate
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
		http:          hc,
		retry:         retryPolicy{maxRetries: retries, waitMin: waitMin, waitMax: waitMax},
		gate:          rateGate{maxWait: maxRateLimitWait, reportAfter: defaultReportWaitAfter, logger: cfg.Logger},
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

// response is a response body type that can tell whether it is complete.
type response interface {
	validate() error
}

// request is what every attempt of a call sends.
type request struct {
	method string
	url    *url.URL
	body   []byte
	// idempotencyKey is sent when non-empty.
	idempotencyKey string
}

// do sends one call, with retries, and decodes a 2xx body into v.
func (c *Client) do(ctx context.Context, r request, v response) error {
	st, err := c.newCall(ctx, r)
	if err != nil {
		return err
	}
	resp, err := c.send(ctx, st)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		var rateErr *RateLimitError
		if errors.As(err, &rateErr) {
			return rateErr
		}
		return &ConnectionError{Method: r.method, URL: st.url, Attempts: max(st.attempts, 1), Err: err, NotSent: !st.mayHaveArrived}
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

// newCall builds the request that every attempt of a call sends.
func (c *Client) newCall(ctx context.Context, r request) (*call, error) {
	st := &call{method: r.method, url: r.url.String()}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, st.url, body)
	if err != nil {
		return nil, fmt.Errorf("astral: %s %s: %w", r.method, st.url, err)
	}
	req.Header.Set("Authorization", c.authorization)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", r.idempotencyKey)
	}
	st.req = req
	return st, nil
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
