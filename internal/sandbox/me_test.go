package sandbox_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

type identityObject struct {
	APIKey json.RawMessage `json:"api_key"`
	Member struct {
		ID   string       `json:"id"`
		Name string       `json:"name"`
		Role sandbox.Role `json:"role"`
	} `json:"member"`
	Organization struct {
		ID   string       `json:"id"`
		Name string       `json:"name"`
		Plan sandbox.Plan `json:"plan"`
	} `json:"organization"`
}

func me(t testing.TB, env *sandboxtest.Env, secret string) *response {
	t.Helper()
	return do(t, env.URL, request{method: http.MethodGet, path: "/v1/me", auth: bearer(secret)})
}

// TestMe asks GET /v1/me with each member's key on each plan: only
// authentication applies, so every valid key is answered with its member's
// current role and its organization's current plan.
func TestMe(t *testing.T) {
	tests := []struct {
		name  string
		role  sandbox.Role // the member, by the role it had at set-up
		setUp func(t *testing.T, env *sandboxtest.Env)
		want  sandbox.Role
		plan  sandbox.Plan
	}{
		{name: "head coach on the coach plan", role: sandbox.RoleHeadCoach, want: sandbox.RoleHeadCoach, plan: sandbox.PlanCoach},
		{name: "coach, who may not manage keys", role: sandbox.RoleCoach, want: sandbox.RoleCoach, plan: sandbox.PlanCoach},
		{name: "athlete, who may not manage keys", role: sandbox.RoleAthlete, want: sandbox.RoleAthlete, plan: sandbox.PlanCoach},
		{name: "head coach on the free plan", role: sandbox.RoleHeadCoach, want: sandbox.RoleHeadCoach, plan: sandbox.PlanFree,
			setUp: func(t *testing.T, env *sandboxtest.Env) { setPlan(t, env, sandbox.PlanFree) }},
		{name: "athlete on the free plan", role: sandbox.RoleAthlete, want: sandbox.RoleAthlete, plan: sandbox.PlanFree,
			setUp: func(t *testing.T, env *sandboxtest.Env) { setPlan(t, env, sandbox.PlanFree) }},
		{name: "head coach on the team plan", role: sandbox.RoleHeadCoach, want: sandbox.RoleHeadCoach, plan: sandbox.PlanTeam,
			setUp: func(t *testing.T, env *sandboxtest.Env) { setPlan(t, env, sandbox.PlanTeam) }},
		{name: "coach on the enterprise plan", role: sandbox.RoleCoach, want: sandbox.RoleCoach, plan: sandbox.PlanEnterprise,
			setUp: func(t *testing.T, env *sandboxtest.Env) { setPlan(t, env, sandbox.PlanEnterprise) }},
		{name: "coach promoted to head coach, on the next request", role: sandbox.RoleCoach, want: sandbox.RoleHeadCoach, plan: sandbox.PlanCoach,
			setUp: func(t *testing.T, env *sandboxtest.Env) { setRole(t, env, sandbox.RoleCoach, sandbox.RoleHeadCoach) }},
		{name: "athlete made a coach, on the next request", role: sandbox.RoleAthlete, want: sandbox.RoleCoach, plan: sandbox.PlanCoach,
			setUp: func(t *testing.T, env *sandboxtest.Env) { setRole(t, env, sandbox.RoleAthlete, sandbox.RoleCoach) }},
		{name: "head coach after a handover is a coach", role: sandbox.RoleHeadCoach, want: sandbox.RoleCoach, plan: sandbox.PlanCoach,
			setUp: func(t *testing.T, env *sandboxtest.Env) { setRole(t, env, sandbox.RoleAthlete, sandbox.RoleHeadCoach) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			env := sandboxtest.Start(t, withClock(clock))
			if tt.setUp != nil {
				tt.setUp(t, env)
			}
			clock.Advance(90 * time.Second)
			m := env.Org.Member(tt.role)
			r := me(t, env, m.APIKey)
			expectStatus(t, r, http.StatusOK)
			if !requestIDPattern.MatchString(r.header.Get("X-Request-Id")) || r.header.Get("Content-Type") != "application/json" {
				t.Errorf("X-Request-Id %q, Content-Type %q", r.header.Get("X-Request-Id"), r.header.Get("Content-Type"))
			}
			var got identityObject
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("%v: %s", err, r.body)
			}
			if got.Member.ID != m.ID || got.Member.Name != m.Name || got.Member.Role != tt.want {
				t.Errorf("member %+v, want %s (%s) as %s", got.Member, m.ID, m.Name, tt.want)
			}
			if got.Organization.ID != env.Org.ID || got.Organization.Name != env.Org.Name || got.Organization.Plan != tt.plan {
				t.Errorf("organization %+v, want %s (%s) on %s", got.Organization, env.Org.ID, env.Org.Name, tt.plan)
			}

			var fields map[string]json.RawMessage
			if err := json.Unmarshal(got.APIKey, &fields); err != nil {
				t.Fatalf("api_key: %v: %s", err, got.APIKey)
			}
			if _, ok := fields["secret"]; ok {
				t.Error("api_key carries the secret")
			}
			if len(fields) != 10 {
				t.Errorf("api_key has %d fields, want the key object's 10 without secret: %s", len(fields), got.APIKey)
			}
			var k keyObject
			if err := json.Unmarshal(got.APIKey, &k); err != nil {
				t.Fatal(err)
			}
			want := keyObject{ID: m.APIKeyID, OrganizationID: env.Org.ID, Name: "Sandbox key of " + m.Name, Status: "active",
				SecretHint: m.APIKey[len(m.APIKey)-4:], CreatedAt: "2026-11-25T09:30:00Z",
				// The request that asks is itself a use of the key.
				LastUsedAt: ptr("2026-11-25T09:31:30Z")}
			want.CreatedBy.ID, want.CreatedBy.Name = m.ID, m.Name
			if !equalKeys(k, want) {
				t.Errorf("api_key\n got %+v\nwant %+v", k, want)
			}
		})
	}
}

// TestMeRefuses checks what still applies to GET /v1/me: authentication,
// the method, and the rate limit.
func TestMeRefuses(t *testing.T) {
	tests := []struct {
		name   string
		req    func(t *testing.T, env *sandboxtest.Env) request
		status int
		code   string
	}{
		{name: "no Authorization header", status: 401, code: "unauthenticated",
			req: func(_ *testing.T, _ *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/v1/me"}
			}},
		{name: "revoked key", status: 401, code: "unauthenticated",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				revokeKey(t, env, env.Org.Member(sandbox.RoleAthlete).APIKeyID)
				return request{method: http.MethodGet, path: "/v1/me", auth: bearer(env.AthleteKey)}
			}},
		{name: "expired key", status: 401, code: "unauthenticated",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				k := createKey(t, env, `{"name":"short","expires_at":"2026-11-25T10:30:00Z"}`)
				env.Server.AdvanceClock(time.Hour)
				return request{method: http.MethodGet, path: "/v1/me", auth: bearer(*k.Secret)}
			}},
		{name: "admin token", status: 401, code: "unauthenticated",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/v1/me", auth: bearer(env.Server.AdminToken())}
			}},
		{name: "another method, even unauthenticated", status: 405, code: "method_not_allowed",
			req: func(_ *testing.T, _ *sandboxtest.Env) request {
				return request{method: http.MethodPost, path: "/v1/me"}
			}},
		{name: "rate limited, sharing the key's bucket with the other routes", status: 429, code: "rate_limited",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: 1})
				expectStatus(t, do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey)}), http.StatusOK)
				return request{method: http.MethodGet, path: "/v1/me", auth: bearer(env.HeadCoachKey)}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sandboxtest.Start(t, withClock(newFakeClock()))
			r := do(t, env.URL, tt.req(t, env))
			expectStatus(t, r, tt.status)
			if e := r.errorEnvelope(t); e.Error.Code != tt.code || e.Error.RequestID != r.header.Get("X-Request-Id") {
				t.Errorf("error %+v, want code %q and the request id", e.Error, tt.code)
			}
			if tt.status == http.StatusMethodNotAllowed && r.header.Get("Allow") != "GET" {
				t.Errorf("Allow %q, want GET", r.header.Get("Allow"))
			}
		})
	}
}

func TestMeInStats(t *testing.T) {
	env := sandboxtest.Start(t)
	expectStatus(t, me(t, env, env.AthleteKey), http.StatusOK)
	do(t, env.URL, request{method: http.MethodGet, path: "/v1/me"})
	do(t, env.URL, request{method: http.MethodDelete, path: "/v1/me", auth: bearer(env.HeadCoachKey)})
	st := env.Server.Stats()
	if st.Requests["GET /v1/me"] != 2 || st.Requests["DELETE /v1/me"] != 1 ||
		st.Responses["200"] != 1 || st.Responses["401"] != 1 || st.Responses["405"] != 1 {
		t.Errorf("stats %+v", st)
	}
}
