package sandbox_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

func TestDropAfterCommit(t *testing.T) {
	env := sandboxtest.Start(t)
	env.Server.SetFaults(sandbox.Faults{DropAfterCommitRate: 1})
	create := request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey), body: `{"name":"dropped"}`,
		header: map[string]string{"Idempotency-Key": "drop-1"}}
	if r, err := send(env.URL, create); err == nil {
		t.Fatalf("the connection was not dropped: status %d", r.status)
	}

	ids, err := env.Server.ActiveKeyIDs(context.Background(), env.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 4 {
		t.Fatalf("%d active keys after a dropped create, want the 3 members' and the committed one", len(ids))
	}
	st := env.Server.Stats()
	if st.Requests["POST /v1/api-keys"] != 1 || st.Responses["dropped"] != 1 || len(st.Responses) != 1 {
		t.Errorf("stats %+v", st)
	}

	// The retry a client makes finds the committed key.
	env.Server.ClearFaults()
	r := do(t, env.URL, create)
	expectStatus(t, r, http.StatusCreated)
	if r.header.Get("Idempotent-Replayed") != "true" || r.key(t).ID != ids[3] {
		t.Errorf("retry: replayed %q, key %s, want the committed %s", r.header.Get("Idempotent-Replayed"), r.key(t).ID, ids[3])
	}
}

func TestInjectedErrors(t *testing.T) {
	tests := []struct {
		errorStatus int
		status      int
		code        string
		retryAfter  string
	}{
		{0, 503, "unavailable", "1"},
		{503, 503, "unavailable", "1"},
		{500, 500, "internal", ""},
		{502, 502, "unavailable", ""},
		{504, 504, "unavailable", ""},
		{429, 429, "rate_limited", "1"},
	}
	for _, tt := range tests {
		t.Run("error_status "+strconv.Itoa(tt.errorStatus), func(t *testing.T) {
			t.Parallel()
			env := sandboxtest.Start(t)
			env.Server.SetFaults(sandbox.Faults{ErrorRate: 1, ErrorStatus: tt.errorStatus})
			r := do(t, env.URL, request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey), body: `{"name":"x"}`})
			expectStatus(t, r, tt.status)
			e := r.errorEnvelope(t)
			if e.Error.Code != tt.code || e.Error.RequestID != r.header.Get("X-Request-Id") {
				t.Errorf("error %+v", e.Error)
			}
			if got := r.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if ids, _ := env.Server.ActiveKeyIDs(context.Background(), env.Org.ID); len(ids) != 3 {
				t.Errorf("%d active keys: a failed request created one", len(ids))
			}
			// The admin surface is never faulted.
			expectStatus(t, do(t, env.URL, request{method: http.MethodGet, path: "/_sandbox/stats", auth: bearer(env.Server.AdminToken())}), http.StatusOK)
		})
	}
}

func TestSeededFaultsRepeat(t *testing.T) {
	statuses := func() []int {
		env := sandboxtest.Start(t, func(o *sandbox.Options) {
			o.Seed = 42
			o.Faults = sandbox.Faults{ErrorRate: 0.5}
		})
		var got []int
		for range 24 {
			got = append(got, do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey)}).status)
		}
		return got
	}
	first, second := statuses(), statuses()
	counts := map[int]int{}
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("seed 42 gave %v, then %v", first, second)
		}
		counts[first[i]]++
	}
	if counts[200] == 0 || counts[503] == 0 || counts[200]+counts[503] != len(first) {
		t.Errorf("error rate 0.5 gave %v", counts)
	}
}

func TestLatency(t *testing.T) {
	env := sandboxtest.Start(t)
	env.Server.SetFaults(sandbox.Faults{LatencyMS: 60_000})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL+"/v1/api-keys", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", bearer(env.HeadCoachKey))
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d despite a minute of latency", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the caller's deadline", err)
	}
}

func TestRateLimit(t *testing.T) {
	clock := newFakeClock()
	env := sandboxtest.Start(t, withClock(clock), func(o *sandbox.Options) {
		o.Faults = sandbox.Faults{RateLimitPerSecond: 2}
	})
	other := createKey(t, env, `{"name":"other caller"}`) // the bucket's first token
	list := func(secret string) *response {
		return do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(secret)})
	}
	steps := []struct {
		name       string
		advance    time.Duration
		secret     string
		status     int
		retryAfter string
	}{
		{"second token of the burst of 2", 0, env.HeadCoachKey, 200, ""},
		{"bucket empty", 0, env.HeadCoachKey, 429, "1"},
		{"another key has its own bucket", 0, *other.Secret, 200, ""},
		{"a refused key is not limited", 0, env.CoachKey, 403, ""},
		{"half a second refills one token", 500 * time.Millisecond, env.HeadCoachKey, 200, ""},
		{"and only one", 0, env.HeadCoachKey, 429, "1"},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		r := list(s.secret)
		if r.status != s.status || r.header.Get("Retry-After") != s.retryAfter {
			t.Fatalf("%s: status %d, Retry-After %q; want %d, %q", s.name, r.status, r.header.Get("Retry-After"), s.status, s.retryAfter)
		}
		if s.status == 429 && r.errorEnvelope(t).Error.Code != "rate_limited" {
			t.Fatalf("%s: %s", s.name, r.body)
		}
	}

	t.Run("a slow rate waits whole seconds", func(t *testing.T) {
		env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: 0.25}) // burst 1
		expectStatus(t, list(env.HeadCoachKey), http.StatusOK)
		r := list(env.HeadCoachKey)
		if r.status != 429 || r.header.Get("Retry-After") != "4" {
			t.Errorf("status %d, Retry-After %q; want 429, 4", r.status, r.header.Get("Retry-After"))
		}
	})
	t.Run("clearing the faults lifts the limit", func(t *testing.T) {
		env.Server.ClearFaults()
		for range 5 {
			expectStatus(t, list(env.HeadCoachKey), http.StatusOK)
		}
	})
}

func TestStats(t *testing.T) {
	env := sandboxtest.Start(t)
	k := createKey(t, env, `{"name":"counted"}`)
	for _, rq := range []request{
		{method: http.MethodGet, path: "/v1/api-keys"},
		{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey)},
		{method: http.MethodGet, path: "/v1/api-keys/" + k.ID, auth: bearer(env.HeadCoachKey)},
		{method: http.MethodDelete, path: "/v1/api-keys/" + k.ID, auth: bearer(env.HeadCoachKey)},
		{method: http.MethodPatch, path: "/v1/api-keys/" + k.ID, auth: bearer(env.HeadCoachKey)},
		{method: http.MethodGet, path: "/v1/nowhere", auth: bearer(env.HeadCoachKey)},
		{method: http.MethodGet, path: "/_sandbox/faults", auth: bearer(env.Server.AdminToken())},
	} {
		do(t, env.URL, rq)
	}
	want := sandbox.Stats{
		Requests: map[string]int{"POST /v1/api-keys": 1, "GET /v1/api-keys": 2, "GET /v1/api-keys/{id}": 1,
			"DELETE /v1/api-keys/{id}": 1, "PATCH /v1/api-keys/{id}": 1},
		Responses: map[string]int{"201": 1, "401": 1, "200": 3, "405": 1, "404": 1},
	}
	got := env.Server.Stats()
	if !maps.Equal(got.Requests, want.Requests) || !maps.Equal(got.Responses, want.Responses) {
		t.Errorf("stats\n got %+v\nwant %+v", got, want)
	}
	env.Server.ResetStats()
	if got := env.Server.Stats(); len(got.Requests)+len(got.Responses) != 0 {
		t.Errorf("after reset: %+v", got)
	}
}
