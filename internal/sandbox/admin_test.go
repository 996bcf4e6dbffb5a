package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

func TestAdmin(t *testing.T) {
	env := sandboxtest.Start(t, withClock(newFakeClock()))
	admin := func(method, path, body string) *response {
		t.Helper()
		return do(t, env.URL, request{method: method, path: path, auth: bearer(env.Server.AdminToken()), body: body})
	}
	decode := func(r *response, into any) {
		t.Helper()
		if err := json.Unmarshal(r.body, into); err != nil {
			t.Fatalf("%s: %v", r.body, err)
		}
	}
	listWith := func(secret string) int {
		return do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(secret)}).status
	}

	var org sandbox.Organization
	t.Run("POST /_sandbox/organizations", func(t *testing.T) {
		r := admin(http.MethodPost, "/_sandbox/organizations", `{"name":"Harbour Swim Team","plan":"team"}`)
		expectStatus(t, r, http.StatusCreated)
		decode(r, &org)
		if org.Name != "Harbour Swim Team" || org.Plan != sandbox.PlanTeam || len(org.Members) != 3 {
			t.Fatalf("%+v", org)
		}
		wantStatus := map[sandbox.Role]int{sandbox.RoleHeadCoach: 200, sandbox.RoleCoach: 403, sandbox.RoleAthlete: 403}
		for i, role := range []sandbox.Role{sandbox.RoleHeadCoach, sandbox.RoleCoach, sandbox.RoleAthlete} {
			m := org.Members[i]
			if m.Role != role || !secretPattern.MatchString(m.APIKey) || !keyIDPattern.MatchString(m.APIKeyID) {
				t.Errorf("member %d: %+v", i, m)
			}
			if got := listWith(m.APIKey); got != wantStatus[role] {
				t.Errorf("%s's key: status %d, want %d", role, got, wantStatus[role])
			}
		}
	})
	t.Run("PATCH /_sandbox/organizations/{id}", func(t *testing.T) {
		r := admin(http.MethodPatch, "/_sandbox/organizations/"+org.ID, `{"plan":"free"}`)
		expectStatus(t, r, http.StatusOK)
		var got sandbox.Organization
		decode(r, &got)
		if got.Plan != sandbox.PlanFree || len(got.Members) != 3 || got.Members[0].APIKey != "" {
			t.Errorf("%+v", got)
		}
		if s := listWith(org.Members[0].APIKey); s != 403 {
			t.Errorf("head coach on the free plan: %d", s)
		}
		expectStatus(t, admin(http.MethodPatch, "/_sandbox/organizations/"+org.ID, `{"plan":"coach"}`), http.StatusOK)
		if s := listWith(org.Members[0].APIKey); s != 200 {
			t.Errorf("head coach back on the coach plan: %d", s)
		}
	})
	t.Run("PATCH /_sandbox/members/{id} hands over the head coach's role", func(t *testing.T) {
		r := admin(http.MethodPatch, "/_sandbox/members/"+org.Members[2].ID, `{"role":"head_coach"}`)
		expectStatus(t, r, http.StatusOK)
		var got sandbox.Organization
		decode(r, &got)
		roles := []sandbox.Role{got.Members[0].Role, got.Members[1].Role, got.Members[2].Role}
		if roles[0] != sandbox.RoleCoach || roles[1] != sandbox.RoleCoach || roles[2] != sandbox.RoleHeadCoach {
			t.Errorf("roles after the handover %v", roles)
		}
		if a, b := listWith(org.Members[0].APIKey), listWith(org.Members[2].APIKey); a != 403 || b != 200 {
			t.Errorf("previous head coach %d, new head coach %d; want 403, 200", a, b)
		}
	})
	t.Run("POST /_sandbox/clock", func(t *testing.T) {
		r := admin(http.MethodPost, "/_sandbox/clock", `{"advance_seconds":3600}`)
		expectStatus(t, r, http.StatusOK)
		var got struct{ Now string }
		decode(r, &got)
		if got.Now != "2026-11-25T10:30:00Z" {
			t.Errorf("now %q", got.Now)
		}
	})
	t.Run("PUT, GET and DELETE /_sandbox/faults", func(t *testing.T) {
		r := admin(http.MethodPut, "/_sandbox/faults", `{"rate_limit_per_second":1,"latency_ms":0}`)
		expectStatus(t, r, http.StatusOK)
		var got sandbox.Faults
		decode(admin(http.MethodGet, "/_sandbox/faults", ""), &got)
		if got != (sandbox.Faults{RateLimitPerSecond: 1}) {
			t.Errorf("faults %+v", got)
		}
		head := org.Members[2].APIKey
		if a, b := listWith(head), listWith(head); a != 200 || b != 429 {
			t.Errorf("at 1 request per second: %d then %d", a, b)
		}
		expectStatus(t, admin(http.MethodDelete, "/_sandbox/faults", ""), http.StatusOK)
		if s := listWith(head); s != 200 {
			t.Errorf("without faults: %d", s)
		}
	})
	t.Run("GET and DELETE /_sandbox/stats", func(t *testing.T) {
		var st sandbox.Stats
		decode(admin(http.MethodGet, "/_sandbox/stats", ""), &st)
		if st.Requests["GET /v1/api-keys"] == 0 || st.Responses["200"] == 0 {
			t.Errorf("stats %+v", st)
		}
		expectStatus(t, admin(http.MethodDelete, "/_sandbox/stats", ""), http.StatusOK)
		var after sandbox.Stats
		decode(admin(http.MethodGet, "/_sandbox/stats", ""), &after)
		if len(after.Requests)+len(after.Responses) != 0 {
			t.Errorf("after DELETE: %+v", after)
		}
	})

	errorsTable := []struct {
		name, method, path, body string
		status                   int
		param                    string
	}{
		{"organization without a plan", http.MethodPost, "/_sandbox/organizations", `{"name":"x"}`, 400, ""},
		{"unknown plan", http.MethodPost, "/_sandbox/organizations", `{"name":"x","plan":"gold"}`, 400, "plan"},
		{"blank organization name", http.MethodPost, "/_sandbox/organizations", `{"name":" ","plan":"coach"}`, 400, "name"},
		{"unknown field", http.MethodPost, "/_sandbox/organizations", `{"name":"x","plan":"coach","seats":3}`, 400, "seats"},
		{"organization name with a tab", http.MethodPost, "/_sandbox/organizations", `{"name":"a\tb","plan":"coach"}`, 400, "name"},
		{"organization name with a NUL", http.MethodPost, "/_sandbox/organizations", `{"name":"a\u0000","plan":"coach"}`, 400, "name"},
		{"organization name with DEL", http.MethodPost, "/_sandbox/organizations", "{\"name\":\"a\x7f\",\"plan\":\"coach\"}", 400, "name"},
		{"organization name with a C1 control", http.MethodPost, "/_sandbox/organizations", `{"name":"a\u009bb","plan":"coach"}`, 400, "name"},
		{"organization name of invisible characters", http.MethodPost, "/_sandbox/organizations", `{"name":"\u200b\ufeff","plan":"coach"}`, 400, "name"},
		{"organization name of 101 characters", http.MethodPost, "/_sandbox/organizations",
			`{"name":"` + strings.Repeat("x", 101) + `","plan":"coach"}`, 400, "name"},
		{"organization name with a lone surrogate", http.MethodPost, "/_sandbox/organizations", `{"name":"a\ud800","plan":"coach"}`, 400, "name"},
		{"organization name not UTF-8", http.MethodPost, "/_sandbox/organizations", "{\"name\":\"a\xff\",\"plan\":\"coach\"}", 400, "name"},
		{"plan with a newline", http.MethodPost, "/_sandbox/organizations", `{"name":"x","plan":"coach\n"}`, 400, "plan"},
		{"role with a lone surrogate", http.MethodPatch, "/_sandbox/members/" + env.Org.Members[1].ID, `{"role":"\udc00coach"}`, 400, "role"},
		{"plan of an unknown organization", http.MethodPatch, "/_sandbox/organizations/org_01JD3X8Z6W4Q9T2B7N5M1K0C3R", `{"plan":"team"}`, 404, ""},
		{"role of an unknown member", http.MethodPatch, "/_sandbox/members/mem_01JD3X8Z6W4Q9T2B7N5M1K0C3R", `{"role":"coach"}`, 404, ""},
		{"unknown role", http.MethodPatch, "/_sandbox/members/" + env.Org.Members[1].ID, `{"role":"captain"}`, 400, "role"},
		{"demoting the only head coach", http.MethodPatch, "/_sandbox/members/" + env.Org.Members[0].ID, `{"role":"athlete"}`, 400, "role"},
		{"clock backwards", http.MethodPost, "/_sandbox/clock", `{"advance_seconds":-1}`, 400, "advance_seconds"},
		{"clock by a fraction", http.MethodPost, "/_sandbox/clock", `{"advance_seconds":1.5}`, 400, "advance_seconds"},
		{"clock without a value", http.MethodPost, "/_sandbox/clock", `{}`, 400, "advance_seconds"},
		{"error rate above 1", http.MethodPut, "/_sandbox/faults", `{"error_rate":2}`, 400, "error_rate"},
		{"error status 404", http.MethodPut, "/_sandbox/faults", `{"error_rate":1,"error_status":404}`, 400, "error_status"},
		{"negative rate limit", http.MethodPut, "/_sandbox/faults", `{"rate_limit_per_second":-1}`, 400, "rate_limit_per_second"},
		{"GET on the clock", http.MethodGet, "/_sandbox/clock", "", 405, ""},
		{"unknown admin route", http.MethodGet, "/_sandbox/keys", "", 404, ""},
	}
	for _, tt := range errorsTable {
		t.Run(tt.name, func(t *testing.T) {
			r := admin(tt.method, tt.path, tt.body)
			expectStatus(t, r, tt.status)
			e := r.errorEnvelope(t)
			if got := e.Error.Param; (got == nil) != (tt.param == "") || (got != nil && *got != tt.param) {
				t.Errorf("param %v, want %q: %s", got, tt.param, r.body)
			}
		})
	}
}
