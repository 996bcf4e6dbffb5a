package astral_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

func TestSandboxMe(t *testing.T) {
	tests := []struct {
		name  string
		plan  sandbox.Plan
		role  sandbox.Role // the member whose key asks
		wantR astral.MemberRole
		wantP astral.Plan
	}{
		{"the head coach's key is the head coach on the coach plan", sandbox.PlanCoach, sandbox.RoleHeadCoach,
			astral.MemberRoleHeadCoach, astral.PlanCoach},
		{"a coach's key answers though a coach may not manage keys", sandbox.PlanCoach, sandbox.RoleCoach,
			astral.MemberRoleCoach, astral.PlanCoach},
		{"an athlete's key answers though an athlete may not manage keys", sandbox.PlanTeam, sandbox.RoleAthlete,
			astral.MemberRoleAthlete, astral.PlanTeam},
		{"a key of a free-plan organization answers with the free plan", sandbox.PlanFree, sandbox.RoleHeadCoach,
			astral.MemberRoleHeadCoach, astral.PlanFree},
		{"a key of an enterprise organization answers with its plan", sandbox.PlanEnterprise, sandbox.RoleCoach,
			astral.MemberRoleCoach, astral.PlanEnterprise},
	}
	env := sandboxtest.Start(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newOrganization(t, env, tt.plan)
			m := org.Member(tt.role)
			before := env.Server.Now().Truncate(time.Second)
			id, err := newClient(t, env, m.APIKey).Me(context.Background())
			if err != nil {
				t.Fatalf("Me: %v", err)
			}
			if id.Member != (astral.CallerMember{ID: m.ID, Name: m.Name, Role: tt.wantR}) {
				t.Errorf("member %+v, want %s (%s) as %s", id.Member, m.ID, m.Name, tt.wantR)
			}
			if id.Organization != (astral.Organization{ID: org.ID, Name: org.Name, Plan: tt.wantP}) {
				t.Errorf("organization %+v, want %s (%s) on %s", id.Organization, org.ID, org.Name, tt.wantP)
			}
			k := id.APIKey
			if k.ID != m.APIKeyID || k.OrganizationID != org.ID || k.Status != astral.APIKeyStatusActive ||
				k.CreatedBy != (astral.Member{ID: m.ID, Name: m.Name}) || k.Secret != "" {
				t.Errorf("api_key %+v, want the active key %s of %s by %s, without its secret", k, m.APIKeyID, org.ID, m.ID)
			}
			if k.LastUsedAt == nil || k.LastUsedAt.Before(before) {
				t.Errorf("last_used_at %v, want this call (at or after %s)", k.LastUsedAt, before)
			}
		})
	}

	t.Run("a revoked key is unauthenticated", func(t *testing.T) {
		org := newOrganization(t, env, sandbox.PlanCoach)
		head := newClient(t, env, org.Member(sandbox.RoleHeadCoach).APIKey)
		coach := org.Member(sandbox.RoleCoach)
		if _, err := head.APIKeys.Revoke(context.Background(), coach.APIKeyID); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		_, err := newClient(t, env, coach.APIKey).Me(context.Background())
		var apiErr *astral.APIError
		if !errors.Is(err, astral.ErrUnauthenticated) || !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
			t.Fatalf("Me with a revoked key: %v, want a 401 matching ErrUnauthenticated", err)
		}
		if !requestIDPattern.MatchString(apiErr.RequestID) {
			t.Errorf("request id %q", apiErr.RequestID)
		}
	})
}

func TestSandboxOrganizationID(t *testing.T) {
	env := sandboxtest.Start(t)
	ctx := context.Background()
	other := newOrganization(t, env, sandbox.PlanTeam)
	for _, org := range []*sandbox.Organization{env.Org, other} {
		t.Run("every key of "+org.Name+" names its organization", func(t *testing.T) {
			c := newClient(t, env, org.Member(sandbox.RoleHeadCoach).APIKey)
			created := create(t, c, astral.APIKeyCreateOptions{Name: "tf-acc-organization"})
			keys := map[string]*astral.APIKey{"created": created}
			var err error
			if keys["read"], err = c.APIKeys.Read(ctx, created.ID); err != nil {
				t.Fatalf("Read: %v", err)
			}
			listed, err := c.APIKeys.ListAll(ctx)
			if err != nil {
				t.Fatalf("ListAll: %v", err)
			}
			for _, k := range listed {
				keys["listed "+k.ID] = k
			}
			if keys["revoked"], err = c.APIKeys.Revoke(ctx, created.ID); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			id, err := c.Me(ctx)
			if err != nil {
				t.Fatalf("Me: %v", err)
			}
			keys["Me"] = id.APIKey
			for from, k := range keys {
				if k.OrganizationID != org.ID {
					t.Errorf("%s: organization_id %q, want %q", from, k.OrganizationID, org.ID)
				}
			}
		})
	}
}

// TestDecodeOlderServers answers as a server from before organization_id
// and checks what the client makes of it, and of identities that lack what
// a caller decides on.
func TestDecodeOlderServers(t *testing.T) {
	const (
		secret = "astral_live_OlderOlderOlderOlderOlderOlderOl"
		key    = `{"id":"key_01JD3X8Z6W4Q9T2B7N5M1K0C3R","name":"Roster sync script","status":"active","secret_hint":"x7Qa",` +
			`"created_at":"2026-11-25T09:30:00Z","created_by":{"id":"mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S","name":"Dana Ortiz"},` +
			`"expires_at":null,"revoked_at":null,"last_used_at":"2026-11-25T09:31:00Z"}`
		member = `"member":{"id":"mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S","name":"Dana Ortiz","role":"head_coach"}`
		org    = `"organization":{"id":"org_01JD3X8Z6W4Q9T2B7N5M1K0C3Q","name":"Riverside Rowing Club","plan":"coach"}`
	)
	answering := func(t *testing.T, body string) *astral.Client {
		t.Helper()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-Id", "req_01JD3X8Z6W4Q9T2B7N5M1K0C3R")
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		c, err := astral.NewClient(astral.Config{Endpoint: srv.URL, APIKey: secret, MaxRetries: new(0)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("a key without organization_id decodes with it empty", func(t *testing.T) {
		k, err := answering(t, key).APIKeys.Read(context.Background(), "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R")
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if k.OrganizationID != "" || k.ID != "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R" || k.CreatedBy.Name != "Dana Ortiz" {
			t.Errorf("%+v", k)
		}
	})
	t.Run("a listing of keys without organization_id decodes", func(t *testing.T) {
		keys, err := answering(t, `{"data":[`+key+`],"next_cursor":null}`).APIKeys.ListAll(context.Background())
		if err != nil || len(keys) != 1 || keys[0].OrganizationID != "" {
			t.Fatalf("ListAll: %v, %+v", err, keys)
		}
	})
	t.Run("an identity whose key lacks organization_id decodes", func(t *testing.T) {
		id, err := answering(t, `{"api_key":`+key+`,`+member+`,`+org+`}`).Me(context.Background())
		if err != nil {
			t.Fatalf("Me: %v", err)
		}
		if id.APIKey.OrganizationID != "" || id.Organization.ID != "org_01JD3X8Z6W4Q9T2B7N5M1K0C3Q" || id.Member.Role != astral.MemberRoleHeadCoach {
			t.Errorf("%+v", id)
		}
	})
	t.Run("a role and a plan the client does not know are kept as sent", func(t *testing.T) {
		body := `{"api_key":` + key + `,` + strings.Replace(member, "head_coach", "assistant_coach", 1) + `,` +
			strings.Replace(org, `"coach"`, `"club"`, 1) + `}`
		id, err := answering(t, body).Me(context.Background())
		if err != nil {
			t.Fatalf("Me: %v", err)
		}
		if id.Member.Role != "assistant_coach" || id.Organization.Plan != "club" {
			t.Errorf("role %q, plan %q", id.Member.Role, id.Organization.Plan)
		}
	})

	incomplete := []struct {
		name, body, want string
	}{
		{"an identity without api_key is refused", `{` + member + `,` + org + `}`, "lacks api_key"},
		{"an identity whose key lacks its id is refused", `{"api_key":` + strings.Replace(key, `"id":"key_01JD3X8Z6W4Q9T2B7N5M1K0C3R",`, "", 1) +
			`,` + member + `,` + org + `}`, "api_key: the API key object lacks id"},
		{"an identity without a member role is refused", `{"api_key":` + key + `,` + strings.Replace(member, `,"role":"head_coach"`, "", 1) +
			`,` + org + `}`, "lacks member.role"},
		{"an identity without an organization is refused", `{"api_key":` + key + `,` + member + `}`,
			"lacks organization.id, organization.plan"},
	}
	for _, tt := range incomplete {
		t.Run(tt.name, func(t *testing.T) {
			_, err := answering(t, tt.body).Me(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "req_01JD3X8Z6W4Q9T2B7N5M1K0C3R") {
				t.Errorf("Me: %v, want an error saying %q with the request id", err, tt.want)
			}
		})
	}
}
