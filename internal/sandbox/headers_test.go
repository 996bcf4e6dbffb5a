package sandbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

// TestDateHeader checks that every answer, errors and the admin surface
// included, carries Date from the sandbox's clock once it has been moved
// far from the wall clock, in whole seconds.
func TestDateHeader(t *testing.T) {
	const unknownSecret = "astral_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct {
		name   string
		req    func(t *testing.T, env *sandboxtest.Env) request
		faults sandbox.Faults
		status int
	}{
		{name: "a listing", status: 200, req: func(_ *testing.T, env *sandboxtest.Env) request {
			return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey)}
		}},
		{name: "a create", status: 201, req: func(_ *testing.T, env *sandboxtest.Env) request {
			return request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey), body: `{"name":"dated"}`}
		}},
		{name: "GET /v1/me", status: 200, req: func(_ *testing.T, env *sandboxtest.Env) request {
			return request{method: http.MethodGet, path: "/v1/me", auth: bearer(env.AthleteKey)}
		}},
		{name: "a 400", status: 400, req: func(_ *testing.T, env *sandboxtest.Env) request {
			return request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey), body: `{}`}
		}},
		{name: "a 401", status: 401, req: func(_ *testing.T, _ *sandboxtest.Env) request {
			return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(unknownSecret)}
		}},
		{name: "a 403", status: 403, req: func(_ *testing.T, env *sandboxtest.Env) request {
			return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.CoachKey)}
		}},
		{name: "an unknown route", status: 404, req: func(_ *testing.T, _ *sandboxtest.Env) request {
			return request{method: http.MethodGet, path: "/v1/nowhere"}
		}},
		{name: "another method", status: 405, req: func(_ *testing.T, _ *sandboxtest.Env) request {
			return request{method: http.MethodPut, path: "/v1/api-keys"}
		}},
		{name: "outside /v1", status: 404, req: func(_ *testing.T, _ *sandboxtest.Env) request {
			return request{method: http.MethodGet, path: "/"}
		}},
		{name: "an injected 503", status: 503, faults: sandbox.Faults{ErrorRate: 1}, req: func(_ *testing.T, env *sandboxtest.Env) request {
			return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey)}
		}},
		{name: "a 429 of the rate limit", status: 429, faults: sandbox.Faults{RateLimitPerSecond: 1}, req: func(t *testing.T, env *sandboxtest.Env) request {
			do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey)})
			return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey)}
		}},
		{name: "an admin route", status: 200, req: func(_ *testing.T, env *sandboxtest.Env) request {
			return request{method: http.MethodGet, path: "/_sandbox/stats", auth: bearer(env.Server.AdminToken())}
		}},
		{name: "an admin route without the token", status: 401, req: func(_ *testing.T, _ *sandboxtest.Env) request {
			return request{method: http.MethodGet, path: "/_sandbox/faults"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			clock.Advance(700 * time.Millisecond) // Date drops the fraction
			env := sandboxtest.Start(t, withClock(clock))
			moved := do(t, env.URL, request{method: http.MethodPost, path: "/_sandbox/clock", auth: bearer(env.Server.AdminToken()),
				body: `{"advance_seconds":31536000}`})
			expectStatus(t, moved, http.StatusOK)
			const want = "Thu, 25 Nov 2027 09:30:00 GMT" // a year on from the fake clock's start
			if got := moved.header.Get("Date"); got != want {
				t.Errorf("the clock move itself: Date %q, want the moved clock %q", got, want)
			}
			env.Server.SetFaults(tt.faults)
			r := do(t, env.URL, tt.req(t, env))
			expectStatus(t, r, tt.status)
			if got := r.header.Values("Date"); len(got) != 1 || got[0] != want {
				t.Errorf("Date %q, want %q", got, want)
			}
		})
	}
}

// TestRateLimitHeaders walks the buckets of a rate of 2 requests a second
// (burst 2) on a fixed clock and checks the headers of each answer.
func TestRateLimitHeaders(t *testing.T) {
	const unknownKeyID = "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"
	clock := newFakeClock()
	env := sandboxtest.Start(t, withClock(clock))
	list := func(secret string) request {
		return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(secret)}
	}
	whoAmI := func(secret string) request {
		return request{method: http.MethodGet, path: "/v1/me", auth: bearer(secret)}
	}
	type headers struct{ policy, remaining, reset, retryAfter string }
	check := func(t *testing.T, r *response, status int, want headers) {
		t.Helper()
		expectStatus(t, r, status)
		got := headers{r.header.Get("RateLimit-Policy"), r.header.Get("RateLimit-Remaining"),
			r.header.Get("RateLimit-Reset"), r.header.Get("Retry-After")}
		if got != want {
			t.Errorf("policy, remaining, reset, Retry-After = %q, want %q", got, want)
		}
	}

	t.Run("without a limit the headers are absent", func(t *testing.T) {
		check(t, do(t, env.URL, list(env.HeadCoachKey)), 200, headers{})
		check(t, do(t, env.URL, list(env.CoachKey)), 403, headers{})
		check(t, do(t, env.URL, whoAmI(env.AthleteKey)), 200, headers{})
	})

	env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: 2})
	const policy = "2;w=1;rate=2"
	steps := []struct {
		name    string
		advance time.Duration
		req     request
		status  int
		want    headers
	}{
		{"the first request leaves one of the burst", 0, list(env.HeadCoachKey), 200, headers{policy, "1", "1", ""}},
		{"the second empties the bucket", 0, list(env.HeadCoachKey), 200, headers{policy, "0", "1", ""}},
		{"the third is refused and waits a second", 0, list(env.HeadCoachKey), 429, headers{policy, "0", "1", "1"}},
		{"half a second refills one request, which is spent", 500 * time.Millisecond, list(env.HeadCoachKey), 200,
			headers{policy, "0", "1", ""}},
		{"a full second refills the bucket; a 400 spends from it", time.Second,
			request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey), body: `{}`}, 400,
			headers{policy, "1", "1", ""}},
		{"so does a 404 of a key", 0,
			request{method: http.MethodGet, path: "/v1/api-keys/" + unknownKeyID, auth: bearer(env.HeadCoachKey)}, 404,
			headers{policy, "0", "1", ""}},
		{"another key has its own full bucket, which a 403 shows unspent", 0, list(env.CoachKey), 403,
			headers{policy, "2", "0", ""}},
		{"GET /v1/me spends from the coach's bucket", 0, whoAmI(env.CoachKey), 200, headers{policy, "1", "1", ""}},
		{"and the next 403 shows it", 0, list(env.CoachKey), 403, headers{policy, "1", "1", ""}},
		{"a 401 has no key, so no bucket", 0, list("astral_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 401, headers{}},
		{"an unknown route is answered before credentials", 0,
			request{method: http.MethodGet, path: "/v1/nowhere", auth: bearer(env.HeadCoachKey)}, 404, headers{}},
		{"as is another method", 0, request{method: http.MethodPut, path: "/v1/me", auth: bearer(env.HeadCoachKey)}, 405, headers{}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clock.Advance(s.advance)
			check(t, do(t, env.URL, s.req), s.status, s.want)
		})
	}

	t.Run("a fractional rate is written as set, with a burst of 1", func(t *testing.T) {
		env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: 0.25})
		check(t, do(t, env.URL, list(env.HeadCoachKey)), 200, headers{"1;w=1;rate=0.25", "0", "4", ""})
		clock.Advance(time.Second)
		check(t, do(t, env.URL, list(env.HeadCoachKey)), 429, headers{"1;w=1;rate=0.25", "0", "3", "3"})
	})
	t.Run("a burst is the whole part of a rate above 1", func(t *testing.T) {
		env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: 2.5})
		check(t, do(t, env.URL, list(env.HeadCoachKey)), 200, headers{"2;w=1;rate=2.5", "1", "1", ""})
	})
	t.Run("an injected 429 comes before the key is known", func(t *testing.T) {
		env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: 2, ErrorRate: 1, ErrorStatus: 429})
		check(t, do(t, env.URL, list(env.HeadCoachKey)), 429, headers{"", "", "", "1"})
	})
	t.Run("clearing the faults removes the headers", func(t *testing.T) {
		env.Server.ClearFaults()
		check(t, do(t, env.URL, list(env.HeadCoachKey)), 200, headers{})
	})
}
