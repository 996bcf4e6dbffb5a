package astral

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

const (
	testSecret = "astral_live_0123456789abcdefghijABCDEFGHIJkl"
	testKeyID  = "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"
	testReqID  = "req_01JD3X8Z6W4Q9T2B7N5M1K0C3T"

	keyJSON = `{"id":"key_01JD3X8Z6W4Q9T2B7N5M1K0C3R","name":"Roster sync script","status":"active",` +
		`"secret_hint":"x7Qa","created_at":"2026-11-25T09:30:00Z",` +
		`"created_by":{"id":"mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S","name":"Dana Ortiz"},` +
		`"expires_at":"2027-02-23T00:00:00Z","revoked_at":null,"last_used_at":null}`
	createdKeyJSON = `{"id":"key_01JD3X8Z6W4Q9T2B7N5M1K0C3R","name":"Roster sync script","status":"active",` +
		`"secret_hint":"x7Qa","created_at":"2026-11-25T09:30:00Z",` +
		`"created_by":{"id":"mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S","name":"Dana Ortiz"},` +
		`"expires_at":null,"revoked_at":null,"last_used_at":null,"secret":"astral_live_ZYXWVUTSRQPONMLKJIHGFEDCBA987654"}`
)

// newTestClient serves h on httptest and returns a client of it with waits
// short enough for tests. Its connections are real TCP, so that a dropped
// connection, a refused one and a timeout fail as net/http makes them
// fail; tests that wait for rate limits or timeouts use newBubbleClient
// instead (transport_test.go), whose waits take no wall time.
func newTestClient(t testing.TB, h http.Handler, configure ...func(*Config)) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := Config{
		Endpoint:     srv.URL,
		APIKey:       testSecret,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
	}
	for _, f := range configure {
		f(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, srv
}

// writeError answers in the API's error envelope.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", testReqID)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":%q,"request_id":%q}}`, code, message, testReqID)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", testReqID)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body) // a failed write shows in the client's result
}

// dropConnection closes the connection without answering, as a server that
// crashed after committing the request would.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	if strings.Contains(s, testSecret) || strings.Contains(s, testSecret[len(secretPrefix):]) || strings.Contains(s, "Bearer") {
		t.Errorf("text shows the secret or the Authorization header: %s", s)
	}
}

func TestNewClient(t *testing.T) {
	t.Run("with a valid configuration", func(t *testing.T) {
		tests := []struct {
			name     string
			endpoint string
			wantURL  string
		}{
			{"it defaults to the public endpoint", "", "https://api.astral.app/v1/api-keys"},
			{"it keeps a base path", "https://proxy.example/astral", "https://proxy.example/astral/v1/api-keys"},
			{"it ignores a trailing slash", "http://127.0.0.1:8790/", "http://127.0.0.1:8790/v1/api-keys"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c, err := NewClient(Config{Endpoint: tt.endpoint, APIKey: testSecret})
				if err != nil {
					t.Fatalf("NewClient: %v", err)
				}
				if got := c.endpoint("api-keys").String(); got != tt.wantURL {
					t.Errorf("URL = %s, want %s", got, tt.wantURL)
				}
			})
		}
	})

	t.Run("with an invalid configuration", func(t *testing.T) {
		tests := []struct {
			name      string
			cfg       Config
			wantErr   string
			wantIs    error
			wantField string
		}{
			{"when the endpoint is not a URL", Config{Endpoint: "http://[::1", APIKey: testSecret}, "not a valid URL", ErrInvalidConfig, "Endpoint"},
			{"when the endpoint has another scheme", Config{Endpoint: "ftp://api.astral.app", APIKey: testSecret}, "must be an http or https URL", ErrInvalidConfig, "Endpoint"},
			{"when the endpoint has no host", Config{Endpoint: "https://", APIKey: testSecret}, "has no host", ErrInvalidConfig, "Endpoint"},
			{"when the endpoint carries credentials", Config{Endpoint: "https://me:" + testSecret + "@api.astral.app", APIKey: testSecret}, "must not contain user information", ErrInvalidConfig, "Endpoint"},
			{"when the endpoint has a query", Config{Endpoint: "https://api.astral.app?x=1", APIKey: testSecret}, "must not have a query", ErrInvalidConfig, "Endpoint"},
			{"when the endpoint ends in /v1", Config{Endpoint: "https://api.astral.app/v1/", APIKey: testSecret}, "without /v1", ErrInvalidConfig, "Endpoint"},
			{"when the API key is empty", Config{}, "it is empty", ErrMalformedSecret, "APIKey"},
			{"when the API key is malformed", Config{APIKey: testSecret + "x"}, "exactly 32", ErrMalformedSecret, "APIKey"},
			{"when the waits are inverted", Config{APIKey: testSecret, RetryWaitMin: time.Second, RetryWaitMax: time.Millisecond}, "must not exceed", ErrInvalidConfig, "RetryWaitMin"},
			{"when a wait is negative", Config{APIKey: testSecret, RetryWaitMin: -time.Second}, "must not be negative", ErrInvalidConfig, "RetryWaitMin"},
			{"when the retries are negative", Config{APIKey: testSecret, MaxRetries: new(-1)}, "must not be negative", ErrInvalidConfig, "MaxRetries"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c, err := NewClient(tt.cfg)
				if err == nil {
					t.Fatalf("NewClient returned a client (%v), want an error", c)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not say %q", err, tt.wantErr)
				}
				if !errors.Is(err, tt.wantIs) {
					t.Errorf("error %v is not %v", err, tt.wantIs)
				}
				var invalid *ValidationError
				if !errors.As(err, &invalid) || invalid.Field != tt.wantField {
					t.Errorf("error %v does not name the field %s", err, tt.wantField)
				}
				assertNoSecret(t, err.Error())
			})
		}
	})
}

func TestClientHeaders(t *testing.T) {
	tests := []struct {
		name          string
		userAgent     string
		wantUserAgent string
	}{
		{"when no user agent is configured", "", "terraform-provider-astral/dev"},
		{"when the provider sets its version", "terraform-provider-astral/1.2.3", "terraform-provider-astral/1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got http.Header
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Clone()
				writeJSON(w, http.StatusOK, keyJSON)
			}), func(cfg *Config) { cfg.UserAgent = tt.userAgent })
			if _, err := c.APIKeys.Read(context.Background(), testKeyID); err != nil {
				t.Fatalf("Read: %v", err)
			}
			want := map[string]string{
				"Authorization": "Bearer " + testSecret,
				"User-Agent":    tt.wantUserAgent,
				"Accept":        "application/json",
			}
			for name, value := range want {
				if got.Get(name) != value {
					t.Errorf("%s = %q, want %q", name, got.Get(name), value)
				}
			}
		})
	}
}

func TestRetries(t *testing.T) {
	t.Run("by status", func(t *testing.T) {
		tests := []struct {
			status       int
			code         string
			wantRequests int
		}{
			{400, CodeInvalidRequest, 1},
			{401, CodeUnauthenticated, 1},
			{403, CodeInsufficientRole, 1},
			{404, CodeNotFound, 1},
			{409, CodeIdempotencyConflict, 1},
			{413, CodeRequestTooLarge, 1},
			{429, CodeRateLimited, 3},
			{500, CodeInternal, 3},
			{502, "bad_gateway", 3},
			{503, CodeUnavailable, 3},
			{504, "gateway_timeout", 3},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("a %d keeps the API's words after %d requests", tt.status, tt.wantRequests), func(t *testing.T) {
				var requests atomic.Int32
				c, srv := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					writeError(w, tt.status, tt.code, "the server's own words")
				}), func(cfg *Config) { cfg.MaxRetries = new(2) })

				_, err := c.APIKeys.Read(context.Background(), testKeyID)
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error %v (%T) is not an *APIError", err, err)
				}
				want := APIError{
					StatusCode: tt.status, Code: tt.code, Message: "the server's own words", RequestID: testReqID,
					Method: http.MethodGet, URL: srv.URL + "/v1/api-keys/" + testKeyID,
				}
				if *apiErr != want {
					t.Errorf("error = %+v, want %+v", *apiErr, want)
				}
				if got := int(requests.Load()); got != tt.wantRequests {
					t.Errorf("requests = %d, want %d", got, tt.wantRequests)
				}
			})
		}
	})

	t.Run("when the server recovers the call succeeds", func(t *testing.T) {
		var requests atomic.Int32
		c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if requests.Add(1) <= 2 {
				writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "in maintenance")
				return
			}
			writeJSON(w, http.StatusOK, keyJSON)
		}))
		key, err := c.APIKeys.Read(context.Background(), testKeyID)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if key.ID != testKeyID || requests.Load() != 3 {
			t.Errorf("key %s after %d requests, want %s after 3", key.ID, requests.Load(), testKeyID)
		}
	})

	t.Run("MaxRetries selects the number of attempts", func(t *testing.T) {
		tests := []struct {
			name         string
			maxRetries   *int
			wantRequests int32
		}{
			{"nil means the default of four retries", nil, DefaultMaxRetries + 1},
			{"zero means one attempt", new(0), 1},
			{"one means two attempts", new(1), 2},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var requests atomic.Int32
				c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					writeError(w, http.StatusBadGateway, "bad_gateway", "upstream down")
				}), func(cfg *Config) { cfg.MaxRetries = tt.maxRetries })
				_, err := c.APIKeys.Read(context.Background(), testKeyID)
				if !errors.Is(err, ErrServer) {
					t.Errorf("error %v is not ErrServer", err)
				}
				if got := requests.Load(); got != tt.wantRequests {
					t.Errorf("requests = %d, want %d", got, tt.wantRequests)
				}
			})
		}
	})

	t.Run("a create reuses its Idempotency-Key and body on every retry", func(t *testing.T) {
		var (
			mu     sync.Mutex
			keys   []string
			bodies []string
		)
		c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			bodies = append(bodies, string(body))
			n := len(keys)
			mu.Unlock()
			switch n {
			case 1:
				writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "in maintenance")
			case 2:
				dropConnection(t, w)
			case 3:
				writeError(w, http.StatusTooManyRequests, CodeRateLimited, "slow down")
			default:
				writeJSON(w, http.StatusCreated, createdKeyJSON)
			}
		}))
		expires := time.Date(2027, 2, 23, 1, 0, 0, 0, time.FixedZone("CET", 3600))
		key, err := c.APIKeys.Create(context.Background(), APIKeyCreateOptions{Name: "Roster sync script", ExpiresAt: &expires})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if key.Secret == "" {
			t.Errorf("the created key has no secret")
		}
		if len(keys) != 4 {
			t.Fatalf("requests = %d, want 4", len(keys))
		}
		for i := range keys {
			if keys[i] == "" || keys[i] != keys[0] {
				t.Errorf("attempt %d sent Idempotency-Key %q, attempt 1 sent %q", i+1, keys[i], keys[0])
			}
			if bodies[i] != bodies[0] {
				t.Errorf("attempt %d sent body %s, attempt 1 sent %s", i+1, bodies[i], bodies[0])
			}
		}
		if want := `{"name":"Roster sync script","expires_at":"2027-02-23T00:00:00Z"}`; bodies[0] != want {
			t.Errorf("body = %s, want %s", bodies[0], want)
		}
	})

	t.Run("each create has its own Idempotency-Key unless one is given", func(t *testing.T) {
		var (
			mu   sync.Mutex
			keys []string
		)
		c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			mu.Unlock()
			writeJSON(w, http.StatusCreated, createdKeyJSON)
		}))
		ctx := context.Background()
		for _, opts := range []APIKeyCreateOptions{{Name: "a"}, {Name: "a"}, {Name: "a", IdempotencyKey: "deploy-42"}} {
			if _, err := c.APIKeys.Create(ctx, opts); err != nil {
				t.Fatalf("Create: %v", err)
			}
		}
		if keys[0] == "" || keys[0] == keys[1] {
			t.Errorf("two creates sent Idempotency-Keys %q and %q, want two distinct keys", keys[0], keys[1])
		}
		if keys[2] != "deploy-42" {
			t.Errorf("Idempotency-Key = %q, want the given deploy-42", keys[2])
		}
	})

	t.Run("a slow attempt times out and is retried", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var requests atomic.Int32
			c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if requests.Add(1) == 1 {
					select {
					case <-r.Context().Done():
					case <-time.After(time.Hour):
					}
					return
				}
				writeJSON(w, http.StatusOK, keyJSON)
			}), func(cfg *Config) { cfg.RequestTimeout = 0 }) // the client's 30 s
			start := time.Now()
			if _, err := c.APIKeys.Read(t.Context(), testKeyID); err != nil {
				t.Fatalf("Read: %v", err)
			}
			if requests.Load() != 2 {
				t.Errorf("requests = %d, want 2", requests.Load())
			}
			if took := time.Since(start); took < DefaultRequestTimeout || took > DefaultRequestTimeout+time.Second {
				t.Errorf("the call took %s, want the attempt's timeout of %s and a backoff", took, DefaultRequestTimeout)
			}
		})
	})

	t.Run("the attempt's timeout does not count the wait for the rate limit", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var requests atomic.Int32
			c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if requests.Add(1) == 1 {
					write429(w, "")
					return
				}
				time.Sleep(2 * time.Second) // within the timeout of 3 s
				writeJSON(w, http.StatusOK, keyJSON)
			}), func(cfg *Config) {
				cfg.RequestTimeout = 3 * time.Second
				cfg.RetryWaitMax = 2 * time.Second // the 429's pause
			})
			if _, err := c.APIKeys.Read(t.Context(), testKeyID); err != nil {
				t.Fatalf("Read: %v, want the second attempt to get its 3 s after the pause of 2 s", err)
			}
		})
	})
}

func TestConnectionErrors(t *testing.T) {
	t.Run("when every attempt loses the connection", func(t *testing.T) {
		var requests atomic.Int32
		c, srv := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			dropConnection(t, w)
		}), func(cfg *Config) { cfg.MaxRetries = new(2) })
		_, err := c.APIKeys.Create(context.Background(), APIKeyCreateOptions{Name: "a"})
		var connErr *ConnectionError
		if !errors.As(err, &connErr) {
			t.Fatalf("error %v (%T) is not a *ConnectionError", err, err)
		}
		wantURL := srv.URL + "/v1/api-keys"
		if connErr.Method != http.MethodPost || connErr.URL != wantURL || connErr.Attempts != 3 {
			t.Errorf("error names %s %s after %d attempts, want POST %s after 3", connErr.Method, connErr.URL, connErr.Attempts, wantURL)
		}
		if !errors.Is(err, io.EOF) {
			t.Errorf("error %v does not wrap io.EOF", err)
		}
		if want := "POST " + wantURL + ": no response after 3 attempts: EOF"; err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
		if requests.Load() != 3 {
			t.Errorf("requests = %d, want 3", requests.Load())
		}
	})

	t.Run("when nothing listens at the endpoint, at once and marked as not sent", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		endpoint := "http://" + ln.Addr().String()
		ln.Close()
		c, err := NewClient(Config{Endpoint: endpoint, APIKey: testSecret, MaxRetries: new(3), RetryWaitMin: time.Second, RetryWaitMax: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.APIKeys.Create(context.Background(), APIKeyCreateOptions{Name: "a"})
		var connErr *ConnectionError
		if !errors.As(err, &connErr) || connErr.Attempts != 1 || !connErr.NotSent {
			t.Fatalf("error %v, want a *ConnectionError after 1 attempt, not sent", err)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("error %v does not wrap ECONNREFUSED", err)
		}
		if !strings.Contains(err.Error(), "POST "+endpoint+"/v1/api-keys") {
			t.Errorf("error %q does not name the endpoint", err)
		}
	})

	t.Run("when the host name does not exist, at once and marked as not sent", func(t *testing.T) {
		// .invalid never resolves (RFC 2606).
		c, err := NewClient(Config{Endpoint: "http://astral.invalid", APIKey: testSecret, RetryWaitMin: time.Second, RetryWaitMax: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.APIKeys.Create(context.Background(), APIKeyCreateOptions{Name: "a"})
		var connErr *ConnectionError
		var dnsErr *net.DNSError
		if !errors.As(err, &connErr) || connErr.Attempts != 1 || !connErr.NotSent || !errors.As(err, &dnsErr) {
			t.Fatalf("error %v, want a *ConnectionError after 1 attempt, not sent, wrapping a *net.DNSError", err)
		}
	})

	t.Run("a create that lost its connection after it was sent may have arrived", func(t *testing.T) {
		c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			dropConnection(t, w)
		}), func(cfg *Config) { cfg.MaxRetries = new(0) })
		_, err := c.APIKeys.Create(context.Background(), APIKeyCreateOptions{Name: "a"})
		var connErr *ConnectionError
		if !errors.As(err, &connErr) || connErr.NotSent {
			t.Fatalf("error %v, want a *ConnectionError that may have been sent", err)
		}
	})

	t.Run("when the context ends", func(t *testing.T) {
		tests := []struct {
			name    string
			handler func(w http.ResponseWriter, r *http.Request)
		}{
			{"during a backoff wait no retry follows", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "60")
				writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "in maintenance")
			}},
			{"during a request no retry follows", func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					var requests atomic.Int32
					c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						requests.Add(1)
						tt.handler(w, r)
					}), func(cfg *Config) { cfg.RetryWaitMax = time.Minute })
					ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
					defer cancel()
					start := time.Now()
					_, err := c.APIKeys.Read(ctx, testKeyID)
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("error %v is not context.DeadlineExceeded", err)
					}
					var connErr *ConnectionError
					if !errors.As(err, &connErr) || connErr.Attempts != 1 || connErr.NotSent {
						t.Errorf("error %v, want a *ConnectionError after 1 attempt, sent", err)
					}
					if elapsed := time.Since(start); elapsed != 10*time.Second {
						t.Errorf("the call ended %s after it started, want when its context did (10s)", elapsed)
					}
					if requests.Load() != 1 {
						t.Errorf("requests = %d, want 1", requests.Load())
					}
				})
			})
		}

		t.Run("while waiting for the rate limit, before any attempt, it was not sent", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var requests atomic.Int32
				c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					w.Header().Set("RateLimit-Policy", "1;w=60;rate=1")
					w.Header().Set("RateLimit-Remaining", "0")
					writeJSON(w, http.StatusOK, keyJSON)
				}))
				if _, err := c.APIKeys.Read(t.Context(), testKeyID); err != nil {
					t.Fatalf("first Read: %v", err)
				}
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				_, err := c.APIKeys.Create(ctx, APIKeyCreateOptions{Name: "a"})
				var connErr *ConnectionError
				if !errors.As(err, &connErr) || !connErr.NotSent || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v, want a *ConnectionError, not sent, on the context's deadline", err)
				}
				if requests.Load() != 1 {
					t.Errorf("requests = %d, want 1: the create must not be sent", requests.Load())
				}
			})
		})
	})
}

// recordingLogger keeps every log entry as text.
type recordingLogger struct {
	mu      sync.Mutex
	entries []string
}

func (l *recordingLogger) record(level, msg string, kv ...any) {
	var b strings.Builder
	b.WriteString(level + " " + msg)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%v", kv[i], kv[i+1])
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, b.String())
}

func (l *recordingLogger) DebugContext(_ context.Context, msg string, kv ...any) {
	l.record("DEBUG", msg, kv...)
}

func (l *recordingLogger) WarnContext(_ context.Context, msg string, kv ...any) {
	l.record("WARN", msg, kv...)
}

func TestLogger(t *testing.T) {
	logger := &recordingLogger{}
	var requests atomic.Int32
	c, srv := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch requests.Add(1) {
		case 1:
			dropConnection(t, w)
		case 2:
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "in maintenance")
		default:
			writeJSON(w, http.StatusCreated, createdKeyJSON)
		}
	}), func(cfg *Config) { cfg.Logger = logger })

	key, err := c.APIKeys.Create(context.Background(), APIKeyCreateOptions{Name: "Roster sync script"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if len(logger.entries) != 3 {
		t.Fatalf("log has %d entries, want one per attempt (3): %q", len(logger.entries), logger.entries)
	}
	url := srv.URL + "/v1/api-keys"
	wants := [][]string{
		{"WARN ", "method=POST", "url=" + url, "attempt=1", "wait=0s ", "retry=true", "EOF"},
		{"DEBUG ", "method=POST", "url=" + url, "attempt=2", "wait=", "retry=true", "status=503", "request_id=" + testReqID},
		{"DEBUG ", "method=POST", "url=" + url, "attempt=3", "wait=", "retry=false", "status=201", "request_id=" + testReqID},
	}
	for i, entry := range logger.entries {
		for _, want := range wants[i] {
			if !strings.Contains(entry, want) {
				t.Errorf("log entry %d %q lacks %q", i+1, entry, want)
			}
		}
		// A retry waits at least RetryWaitMin, a millisecond in newTestClient.
		if i > 0 && strings.Contains(entry, "wait=0s ") {
			t.Errorf("log entry %d %q does not show the wait before its attempt", i+1, entry)
		}
		assertNoSecret(t, entry)
		if strings.Contains(entry, key.Secret) {
			t.Errorf("log entry %d shows the created key's secret: %s", i+1, entry)
		}
	}
}

func TestNoSecretInErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"when a proxy echoes the request in an HTML page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><pre>Authorization: %s</pre></html>", r.Header.Get("Authorization"))
		}},
		{"when a proxy echoes the request in a JSON body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"headers":{"Authorization":%q}}`, r.Header.Get("Authorization"))
		}},
		{"when a 200 body echoes the request and is not a key", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"authorization":%q`, r.Header.Get("Authorization"))
		}},
		{"when the connection drops", func(w http.ResponseWriter, r *http.Request) {
			dropConnection(t, w)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger := &recordingLogger{}
			c, _ := newTestClient(t, tt.handler, func(cfg *Config) {
				cfg.MaxRetries = new(1)
				cfg.Logger = logger
			})
			_, err := c.APIKeys.Read(context.Background(), testKeyID)
			if err == nil {
				t.Fatal("Read succeeded, want an error")
			}
			assertNoSecret(t, err.Error())
			for _, entry := range logger.entries {
				assertNoSecret(t, entry)
			}
		})
	}
}
