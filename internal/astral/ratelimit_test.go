package astral

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// InfoContext completes recordingLogger (client_test.go) as a Logger.
func (l *recordingLogger) InfoContext(_ context.Context, msg string, kv ...any) {
	l.record("INFO", msg, kv...)
}

func limitHeaders(policy, remaining string) http.Header {
	h := http.Header{}
	if policy != "" {
		h.Set("RateLimit-Policy", policy)
	}
	if remaining != "" {
		h.Set("RateLimit-Remaining", remaining)
	}
	return h
}

// answerAt is the outcome of an attempt answered at t with status and h.
func answerAt(t time.Time, status int, h http.Header) *outcome {
	return &outcome{resp: &http.Response{StatusCode: status, Header: h}, status: status, limits: parseRateHeaders(h, t), at: t}
}

// TestRateGate drives the gate's schedule on a fixed time: each case shows
// it answers, then asks for waits of five requests made at the same
// instant.
func TestRateGate(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	// At 2 requests per second, paced at paceFactor.
	iv := (&rateGate{policy: RateLimitPolicy{Burst: 2, Rate: 2}}).interval()
	type answer struct {
		header http.Header
		status int
		pause  time.Duration
	}
	tests := []struct {
		name      string
		answers   []answer
		wantWaits []time.Duration
		wantKnown bool
	}{
		{
			name:      "without headers nothing waits",
			answers:   []answer{{http.Header{}, 200, 0}},
			wantWaits: []time.Duration{0, 0, 0, 0, 0},
		},
		{
			name:      "a malformed policy is ignored",
			answers:   []answer{{limitHeaders("two;w=1", "1"), 200, 0}},
			wantWaits: []time.Duration{0, 0, 0, 0, 0},
		},
		{
			name:      "a policy paces from the requests left",
			answers:   []answer{{limitHeaders("2;w=1;rate=2", "1"), 200, 0}},
			wantWaits: []time.Duration{0, iv, 2 * iv, 3 * iv, 4 * iv},
			wantKnown: true,
		},
		{
			name:      "a full bucket lets a burst through",
			answers:   []answer{{limitHeaders("2;w=1;rate=2", "2"), 200, 0}},
			wantWaits: []time.Duration{0, 0, iv, 2 * iv, 3 * iv},
			wantKnown: true,
		},
		{
			name:      "zero remaining waits from the first request",
			answers:   []answer{{limitHeaders("2;w=1;rate=2", "0"), 200, 0}},
			wantWaits: []time.Duration{iv, 2 * iv, 3 * iv, 4 * iv, 5 * iv},
			wantKnown: true,
		},
		{
			name:      "more remaining than the burst counts as a full bucket",
			answers:   []answer{{limitHeaders("2;w=1;rate=2", "50"), 200, 0}},
			wantWaits: []time.Duration{0, 0, iv, 2 * iv, 3 * iv},
			wantKnown: true,
		},
		{
			name:      "a malformed remaining leaves the bucket full",
			answers:   []answer{{limitHeaders("2;w=1;rate=2", "lots"), 200, 0}},
			wantWaits: []time.Duration{0, 0, iv, 2 * iv, 3 * iv},
			wantKnown: true,
		},
		{
			name:      "a success without headers ends the limit",
			answers:   []answer{{limitHeaders("2;w=1;rate=2", "0"), 200, 0}, {http.Header{}, 200, 0}},
			wantWaits: []time.Duration{0, 0, 0, 0, 0},
		},
		{
			name:      "an error without headers keeps the limit",
			answers:   []answer{{limitHeaders("2;w=1;rate=2", "0"), 200, 0}, {http.Header{}, 503, 0}},
			wantWaits: []time.Duration{iv, 2 * iv, 3 * iv, 4 * iv, 5 * iv},
			wantKnown: true,
		},
		{
			name:      "a 429 pauses every request until its Retry-After",
			answers:   []answer{{limitHeaders("2;w=1;rate=2", "0"), 429, 3 * time.Second}},
			wantWaits: []time.Duration{3 * time.Second, 3 * time.Second, 3*time.Second + iv, 3*time.Second + 2*iv, 3*time.Second + 3*iv},
			wantKnown: true,
		},
		{
			name:      "a 429 without a policy paces one request per Retry-After",
			answers:   []answer{{http.Header{}, 429, time.Second}},
			wantWaits: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second},
			// The pace is the client's own: no policy to report.
			wantKnown: false,
		},
		{
			name: "a policy replaces the pace taken from a 429",
			answers: []answer{
				{http.Header{}, 429, time.Second},
				{limitHeaders("2;w=1;rate=2", "2"), 200, 0},
			},
			wantWaits: []time.Duration{time.Second, time.Second, time.Second + iv, time.Second + 2*iv, time.Second + 3*iv},
			wantKnown: true,
		},
		{
			name:      "a 429 without Retry-After does not pause",
			answers:   []answer{{limitHeaders("2;w=1;rate=2", "0"), 429, 0}},
			wantWaits: []time.Duration{iv, 2 * iv, 3 * iv, 4 * iv, 5 * iv},
			wantKnown: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l rateGate
			for _, a := range tt.answers {
				l.observe(answerAt(t0, a.status, a.header), a.pause)
			}
			var waits []time.Duration
			for range tt.wantWaits {
				w, _, ok := l.reserve(t0, time.Hour)
				if !ok {
					t.Fatalf("reserve refused a wait of %s within an hour", w)
				}
				waits = append(waits, w)
			}
			if !slices.Equal(waits, tt.wantWaits) {
				t.Errorf("waits %v, want %v", waits, tt.wantWaits)
			}
			if _, known := l.current(); known != tt.wantKnown {
				t.Errorf("policy known = %v, want %v", known, tt.wantKnown)
			}
		})
	}

	t.Run("a wait beyond the budget reserves nothing", func(t *testing.T) {
		var l rateGate
		l.observe(answerAt(t0, 200, limitHeaders("1;w=1;rate=2", "0")), 0)
		if w, _, ok := l.reserve(t0, iv/2); ok {
			t.Fatalf("reserve accepted a wait of %s within %s", w, iv/2)
		}
		if w, _, _ := l.reserve(t0, time.Hour); w != iv {
			t.Errorf("after a refusal the wait is %s, want %s: the refusal reserved time", w, iv)
		}
	})

	t.Run("time refills the bucket", func(t *testing.T) {
		var l rateGate
		l.observe(answerAt(t0, 200, limitHeaders("2;w=1;rate=2", "0")), 0)
		if w, _, _ := l.reserve(t0.Add(time.Minute), time.Hour); w != 0 {
			t.Errorf("a minute later the wait is %s, want none", w)
		}
	})

	t.Run("a pause changes the epoch, so waiting requests reserve again", func(t *testing.T) {
		var l rateGate
		_, before, _ := l.reserve(t0, time.Hour)
		l.observe(answerAt(t0, 429, http.Header{}), time.Second)
		if _, after, _ := l.reserve(t0, time.Hour); after == before {
			t.Errorf("epoch %d did not change with the pause", after)
		}
	})
}

// rateLimitServer answers every request with handle, and records when each
// arrived.
type rateLimitServer struct {
	mu       sync.Mutex
	arrivals []time.Time
}

func (s *rateLimitServer) arrived() (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arrivals = append(s.arrivals, time.Now())
	return len(s.arrivals), s.arrivals[len(s.arrivals)-1]
}

func (s *rateLimitServer) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.arrivals)
}

func write429(w http.ResponseWriter, policy string) {
	if policy != "" {
		w.Header().Set("RateLimit-Policy", policy)
		w.Header().Set("RateLimit-Remaining", "0")
	}
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests for this API key")
}

// TestRateLimitedCalls runs each case in a synctest bubble: the waits are
// the bubble's, so they take no wall time and are exact, and the
// arrivals' times can be compared without slack.
func TestRateLimitedCalls(t *testing.T) {
	t.Run("the gate paces concurrent callers to the policy", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const callers = 6
			srv := &rateLimitServer{}
			c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				srv.arrived()
				w.Header().Set("RateLimit-Policy", "1;w=1;rate=20")
				w.Header().Set("RateLimit-Remaining", "0")
				writeJSON(w, http.StatusOK, keyJSON)
			}))
			ctx := t.Context()
			if _, err := c.APIKeys.Read(ctx, testKeyID); err != nil {
				t.Fatalf("Read: %v", err)
			}
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					if _, err := c.APIKeys.Read(ctx, testKeyID); err != nil {
						t.Errorf("Read: %v", err)
					}
				})
			}
			wg.Wait()
			times := srv.times()
			if len(times) != callers+1 {
				t.Fatalf("%d requests, want %d", len(times), callers+1)
			}
			// One interval each after the first request, and no more: the
			// bubble's clock runs neither late nor early.
			interval := (&rateGate{policy: RateLimitPolicy{Burst: 1, Rate: 20}}).interval()
			if span := times[len(times)-1].Sub(times[0]); span != callers*interval {
				t.Errorf("%d callers took %s after the first request, want %s at 20 per second", callers, span, callers*interval)
			}
			for i := 1; i < len(times); i++ {
				if gap := times[i].Sub(times[i-1]); gap != interval {
					t.Errorf("request %d came %s after the one before, want %s", i+1, gap, interval)
				}
			}
		})
	})

	t.Run("a 429 pauses every caller until its Retry-After", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const pause = time.Second // the Retry-After of write429
			srv := &rateLimitServer{}
			refused := make(chan time.Time, 1)
			// The client's own waits, as the provider uses them.
			c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n, at := srv.arrived(); n == 1 {
					write429(w, "")
					refused <- at
					return
				}
				writeJSON(w, http.StatusOK, keyJSON)
			}), func(cfg *Config) { cfg.RetryWaitMin, cfg.RetryWaitMax = 0, 0 })
			ctx := t.Context()
			var wg sync.WaitGroup
			wg.Go(func() {
				if _, err := c.APIKeys.Read(ctx, testKeyID); err != nil {
					t.Errorf("Read: %v", err)
				}
			})
			at := <-refused
			// The client takes the 429 in: its call then waits at the gate.
			synctest.Wait()
			for range 4 {
				wg.Go(func() {
					if _, err := c.APIKeys.Read(ctx, testKeyID); err != nil {
						t.Errorf("Read: %v", err)
					}
				})
			}
			wg.Wait()
			times := srv.times()
			if len(times) != 6 {
				t.Fatalf("%d requests, want 6: one refused, its retry and four others", len(times))
			}
			for i, arrived := range times[1:] {
				if arrived.Before(at.Add(pause)) {
					t.Errorf("request %d arrived %s after the 429, within its pause of %s", i+2, arrived.Sub(at), pause)
				}
			}
			// A 429 without a policy makes the client pace one request per
			// pause: the five others leave one pause apart.
			if last := times[5].Sub(at); last != 5*pause {
				t.Errorf("the last request arrived %s after the 429, want %s", last, 5*pause)
			}
		})
	})

	t.Run("429s that say how to wait do not consume retries", func(t *testing.T) {
		tests := []struct {
			name         string
			refuse       func(w http.ResponseWriter)
			wantErr      bool
			wantRequests int32
		}{
			{"with Retry-After", func(w http.ResponseWriter) { write429(w, "") }, false, 6},
			{"with a policy", func(w http.ResponseWriter) {
				w.Header().Set("RateLimit-Policy", "100;w=1;rate=100")
				w.Header().Set("RateLimit-Remaining", "0")
				writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests")
			}, false, 6},
			// A bare 429 is retried as a 5xx is: MaxRetries of 0 is one attempt.
			{"bare", func(w http.ResponseWriter) {
				writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests")
			}, true, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					var requests atomic.Int32
					c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if requests.Add(1) <= 5 {
							tt.refuse(w)
							return
						}
						writeJSON(w, http.StatusOK, keyJSON)
					}), func(cfg *Config) { cfg.MaxRetries = new(0) })
					_, err := c.APIKeys.Read(t.Context(), testKeyID)
					if (err != nil) != tt.wantErr {
						t.Errorf("Read: error %v, want error %v", err, tt.wantErr)
					}
					if got := requests.Load(); got != tt.wantRequests {
						t.Errorf("%d requests, want %d", got, tt.wantRequests)
					}
				})
			})
		}
	})

	t.Run("429s and 5xx together: only the 5xx count", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var requests atomic.Int32
			c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch n := requests.Add(1); {
				case n%2 == 1 && n < 8:
					write429(w, "")
				case n < 8:
					writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "in maintenance")
				default:
					writeJSON(w, http.StatusOK, keyJSON)
				}
			}), func(cfg *Config) { cfg.MaxRetries = new(2) })
			_, err := c.APIKeys.Read(t.Context(), testKeyID)
			if !errors.Is(err, ErrServer) {
				t.Errorf("error %v, want the third 503 (ErrServer) once two retries are spent", err)
			}
			if got := requests.Load(); got != 6 {
				t.Errorf("%d requests, want 6: three 429s and three 503s", got)
			}
		})
	})

	t.Run("the bound on waiting ends the call with the API's 429", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var requests atomic.Int32
			c, endpoint := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				write429(w, "1;w=1;rate=0.5")
			}), func(cfg *Config) {
				cfg.RetryWaitMin, cfg.RetryWaitMax = 0, 0
				cfg.MaxRateLimitWait = time.Second
			})
			start := time.Now()
			_, err := c.APIKeys.Read(t.Context(), testKeyID)
			var rateErr *RateLimitError
			if !errors.As(err, &rateErr) {
				t.Fatalf("error %v (%T), want a *RateLimitError", err, err)
			}
			if waited := time.Since(start); waited != 0 {
				t.Errorf("the call failed after %s, want at once: its next attempt would wait 2 s", waited)
			}
			if !errors.Is(err, ErrRateLimited) {
				t.Errorf("error %v is not ErrRateLimited", err)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Code != CodeRateLimited || apiErr.RequestID != testReqID {
				t.Errorf("error %v does not carry the API's 429 and request id", err)
			}
			if rateErr.Policy == nil || *rateErr.Policy != (RateLimitPolicy{Burst: 1, Rate: 0.5}) || rateErr.MaxWait != time.Second {
				t.Errorf("error %+v, want the policy 1 per 2 s and the bound of 1s", rateErr)
			}
			for _, want := range []string{
				"GET " + endpoint + "/v1/api-keys/" + testKeyID, "rate limited", "waited", "would wait 2.041s more, beyond the limit of 1s",
				"the API allows 0.5 requests per second in bursts of up to 1",
				"429 rate_limited: too many requests for this API key (request " + testReqID + ")",
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if got := requests.Load(); got != 1 {
				// The 429 empties the bucket: the next request would wait 2 s.
				t.Errorf("%d requests, want 1", got)
			}
		})
	})

	t.Run("a wait beyond the bound fails before any request", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var requests atomic.Int32
			c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header().Set("RateLimit-Policy", "1;w=60;rate=1")
				w.Header().Set("RateLimit-Remaining", "0")
				writeJSON(w, http.StatusOK, keyJSON)
			}), func(cfg *Config) { cfg.MaxRateLimitWait = time.Second })
			ctx := t.Context()
			if _, err := c.APIKeys.Read(ctx, testKeyID); err != nil {
				t.Fatalf("first Read: %v", err)
			}
			_, err := c.APIKeys.Read(ctx, testKeyID)
			var rateErr *RateLimitError
			if !errors.As(err, &rateErr) || !errors.Is(err, ErrRateLimited) || rateErr.Last != nil || rateErr.Next < 30*time.Second {
				t.Errorf("error %v, want a *RateLimitError with no answer and about a minute to wait", err)
			}
			if got := requests.Load(); got != 1 {
				t.Errorf("%d requests, want 1: the second call must not be sent", got)
			}
		})
	})

	t.Run("a long wait is logged once per call", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			logger := &recordingLogger{}
			var requests atomic.Int32
			c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if requests.Add(1) <= 3 {
					write429(w, "1;w=1;rate=20")
					return
				}
				writeJSON(w, http.StatusOK, keyJSON)
			}), func(cfg *Config) {
				cfg.Logger = logger
				cfg.RetryWaitMin, cfg.RetryWaitMax = 0, 0
			})
			// Three pauses of a second: the third takes the call past the
			// client's 5 s, the first two past 1 s.
			c.gate.reportAfter = time.Second
			if _, err := c.APIKeys.Read(t.Context(), testKeyID); err != nil {
				t.Fatalf("Read: %v", err)
			}
			var infos []string
			for _, e := range logger.entries {
				if strings.HasPrefix(e, "INFO ") {
					infos = append(infos, e)
				}
			}
			if len(infos) != 1 {
				t.Fatalf("%d INFO entries, want 1 for the call: %q", len(infos), logger.entries)
			}
			for _, want := range []string{"waiting for the API's rate limit", "method=GET", "wait=1s", "waited=1s", "max_wait=5m0s", "policy=20 requests per second in bursts of up to 1"} {
				if !strings.Contains(infos[0], want) {
					t.Errorf("INFO entry %q lacks %q", infos[0], want)
				}
			}
		})
	})

	t.Run("MaxRateLimitWait must not be negative", func(t *testing.T) {
		_, err := NewClient(Config{APIKey: testSecret, MaxRateLimitWait: -time.Second})
		var invalid *ValidationError
		if !errors.As(err, &invalid) || invalid.Field != "MaxRateLimitWait" || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewClient = %v, want a ValidationError of MaxRateLimitWait", err)
		}
	})
}

func ExampleRateLimitError() {
	err := error(&RateLimitError{
		Method: "POST", URL: "https://api.astral.app/v1/api-keys",
		Policy: &RateLimitPolicy{Burst: 8, Rate: 8}, Waited: 5 * time.Minute, Next: time.Second, MaxWait: 5 * time.Minute,
	})
	fmt.Println(err, errors.Is(err, ErrRateLimited))
	// Output: POST https://api.astral.app/v1/api-keys: rate limited: the call waited 5m0s for the API's rate limit and its next attempt would wait 1s more, beyond the limit of 5m0s; the API allows 8 requests per second in bursts of up to 8 true
}

// Until the API has answered once, one request goes alone: calls that
// start together (a destroy's revokes) do not spend the bucket before an
// answer announces it.
func TestFirstAnswerGoesAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			arrivals  rateLimitServer
			mu        sync.Mutex
			firstDone time.Time
		)
		c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, _ := arrivals.arrived()
			first := n == 1
			if first {
				time.Sleep(200 * time.Millisecond)
			}
			writeJSON(w, http.StatusOK, keyJSON)
			if first {
				mu.Lock()
				firstDone = time.Now()
				mu.Unlock()
			}
		}))
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if _, err := c.APIKeys.Read(t.Context(), testKeyID); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(arrivals.times()) != 10 {
			t.Fatalf("%d requests arrived, want 10", len(arrivals.times()))
		}
		for i, at := range arrivals.times()[1:] {
			if at.Before(firstDone) {
				t.Errorf("request %d arrived %s before the first answer", i+2, firstDone.Sub(at))
			}
		}
	})

	t.Run("when the first request gets no answer, another goes alone", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var arrivals rateLimitServer
			c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := arrivals.arrived()
				if n == 1 {
					time.Sleep(100 * time.Millisecond)
					conn, _, _ := http.NewResponseController(w).Hijack()
					conn.Close()
					return
				}
				time.Sleep(100 * time.Millisecond)
				writeJSON(w, http.StatusOK, keyJSON)
			}))
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					if _, err := c.APIKeys.Read(t.Context(), testKeyID); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			// The first is dropped after 100 ms; one other goes alone then,
			// and is answered at 200 ms, when the rest leave together.
			at := arrivals.times()
			if len(at) != 4 || at[1].Sub(at[0]) != 100*time.Millisecond || at[2].Sub(at[0]) != 200*time.Millisecond {
				t.Errorf("arrivals at %v, want one at 0, one at 100ms and two at 200ms", offsets(at))
			}
		})
	})

	// The gate's mirror refills during the pause, but others may take
	// what refilled: calls that left together when it ends would be
	// refused together.
	t.Run("after a 429, one request goes alone again", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var arrivals rateLimitServer
			refused := make(chan struct{})
			c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := arrivals.arrived()
				switch n {
				case 1:
					writeJSON(w, http.StatusOK, keyJSON)
					return
				case 2:
					write429(w, "10;w=1;rate=10")
					close(refused)
					return
				case 3:
					time.Sleep(300 * time.Millisecond)
				}
				w.Header().Set("RateLimit-Policy", "10;w=1;rate=10")
				w.Header().Set("RateLimit-Remaining", "9")
				writeJSON(w, http.StatusOK, keyJSON)
			}), func(cfg *Config) { cfg.RetryWaitMin, cfg.RetryWaitMax = 0, 0 })
			ctx := t.Context()
			if _, err := c.APIKeys.Read(ctx, testKeyID); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			wg.Go(func() {
				if _, err := c.APIKeys.Read(ctx, testKeyID); err != nil {
					t.Error(err)
				}
			})
			<-refused
			synctest.Wait()
			for range 4 {
				wg.Go(func() {
					if _, err := c.APIKeys.Read(ctx, testKeyID); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			// The 429's Retry-After is a second: the refused call's retry
			// leaves then, alone, and the four others after its answer,
			// 300 ms later.
			after := offsets(arrivals.times()[1:])
			if len(after) != 6 || after[1] != time.Second {
				t.Fatalf("arrivals after the 429 at %v, want the retry 1s after it", after)
			}
			for i, at := range after[2:] {
				if at < time.Second+300*time.Millisecond {
					t.Errorf("request %d arrived %s after the 429, before the answer to the one that went alone", i+4, at)
				}
			}
		})
	})

	t.Run("an answer within the pause, to a request sent before it, lets no other go", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var arrivals rateLimitServer
			c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := arrivals.arrived()
				switch n {
				case 1:
					writeJSON(w, http.StatusOK, keyJSON)
					return
				case 2:
					time.Sleep(50 * time.Millisecond)
					write429(w, "10;w=1;rate=10")
					return
				case 3:
					// Sent with the refused one, answered within its pause.
					time.Sleep(300 * time.Millisecond)
				case 4:
					// The one that goes alone when the pause ends.
					time.Sleep(200 * time.Millisecond)
				}
				w.Header().Set("RateLimit-Policy", "10;w=1;rate=10")
				w.Header().Set("RateLimit-Remaining", "9")
				writeJSON(w, http.StatusOK, keyJSON)
			}), func(cfg *Config) { cfg.RetryWaitMin, cfg.RetryWaitMax = 0, 0 })
			ctx := t.Context()
			read := func() {
				if _, err := c.APIKeys.Read(ctx, testKeyID); err != nil {
					t.Error(err)
				}
			}
			read()
			var wg sync.WaitGroup
			wg.Go(read)
			wg.Go(read)
			time.Sleep(100 * time.Millisecond)
			for range 3 {
				wg.Go(read)
			}
			wg.Wait()
			// Arrivals from the one refused, answered 50 ms later: the
			// other request sent with it, answered within the pause, the
			// retry alone when the pause of a second ends, and the three
			// others once it is answered, 200 ms later.
			after := offsets(arrivals.times()[1:])
			if len(after) != 6 || after[1] != 0 || after[2] != 1050*time.Millisecond {
				t.Fatalf("arrivals at %v, want one at 0 and the retry 1.05s after the refused one", after)
			}
			for i, at := range after[3:] {
				if at < 1250*time.Millisecond {
					t.Errorf("request %d arrived %s after the refused one, before the answer to the one that went alone", i+5, at)
				}
			}
		})
	})

	t.Run("a call that waits for the first answer past its bound fails before sending", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var requests atomic.Int32
			c, _ := newBubbleClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				time.Sleep(2 * time.Second)
				writeJSON(w, http.StatusOK, keyJSON)
			}), func(cfg *Config) { cfg.MaxRateLimitWait = time.Second })
			var wg sync.WaitGroup
			defer wg.Wait()
			wg.Go(func() {
				if _, err := c.APIKeys.Read(t.Context(), testKeyID); err != nil {
					t.Errorf("the first Read: %v", err)
				}
			})
			synctest.Wait()
			start := time.Now()
			_, err := c.APIKeys.Read(t.Context(), testKeyID)
			var rateErr *RateLimitError
			if !errors.As(err, &rateErr) || rateErr.Waited != time.Second || rateErr.Next != 0 {
				t.Fatalf("error %v, want a *RateLimitError after 1s of waiting", err)
			}
			if want := "rate limited: the call waited 1s for the API's rate limit, the limit of 1s"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
			if waited := time.Since(start); waited != time.Second {
				t.Errorf("the call failed after %s, want 1s", waited)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	})
}

// offsets are times as durations since the first.
func offsets(times []time.Time) []time.Duration {
	var d []time.Duration
	for _, at := range times {
		d = append(d, at.Sub(times[0]))
	}
	return d
}
