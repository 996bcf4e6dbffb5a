package provider

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

func TestPendingCreateOf(t *testing.T) {
	attempted := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	expires := attempted.Add(90 * 24 * time.Hour)
	opts := func(expiresAt *time.Time) astral.APIKeyCreateOptions {
		return astral.APIKeyCreateOptions{Name: "CI", ExpiresAt: expiresAt, IdempotencyKey: "K"}
	}
	caller := &astral.Identity{Organization: astral.Organization{ID: "org_01JD3X8Z6W4Q9T2B7N5M1K0C3Q"}}
	tests := []struct {
		name  string
		state apiKeyResourceModel
		want  *pendingCreate
	}{
		{name: "a key the API confirmed", state: *stored(t, "CI", &expires)},
		{name: "a placeholder", state: newPendingCreate(opts(&expires), attempted, nil).placeholder(*planned(rfc3339(&expires))),
			want: &pendingCreate{IdempotencyKey: "K", Name: "k", ExpiresAt: &expires, AttemptedAt: attempted}},
		{name: "a placeholder without expiry", state: newPendingCreate(opts(nil), attempted, nil).placeholder(*planned(timestampNull())),
			want: &pendingCreate{IdempotencyKey: "K", Name: "k", AttemptedAt: attempted}},
		{name: "a placeholder of a known organization", state: newPendingCreate(opts(nil), attempted, caller).placeholder(*planned(timestampNull())),
			want: &pendingCreate{IdempotencyKey: "K", Name: "k", AttemptedAt: attempted, OrganizationID: caller.Organization.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pendingCreateOf(tt.state)
			switch {
			case (got == nil) != (tt.want == nil):
				t.Fatalf("got %+v, want %+v", got, tt.want)
			case got != nil && (got.IdempotencyKey != tt.want.IdempotencyKey || got.Name != tt.want.Name || got.OrganizationID != tt.want.OrganizationID ||
				!got.AttemptedAt.Equal(tt.want.AttemptedAt) || !equalTime(got.ExpiresAt, tt.want.ExpiresAt)):
				t.Errorf("got %+v, want %+v", *got, *tt.want)
			}
			if got != nil && (!tt.state.ID.IsNull() || !tt.state.Secret.IsNull() || !tt.state.EncryptedSecret.IsNull()) {
				t.Errorf("the placeholder has an id or a secret: %+v", tt.state)
			}
		})
	}
}

func TestFailedCreateKept(t *testing.T) {
	tests := []struct {
		version string
		want    bool
	}{
		{"1.5.7", true},
		{"1.11.4", true},
		{"1.15.9", true},
		{"1.12.6", true}, // OpenTofu
		{"1.16.0-rc2", false},
		{"1.16.0", false},
		{"1.17.0-alpha20260812", false},
		{"2.0.0", false},
		{"", true}, // a CLI that sends no version
		{"dev", true},
	}
	for _, tt := range tests {
		if got := failedCreateKept(tt.version); got != tt.want {
			t.Errorf("failedCreateKept(%q) = %t, want %t", tt.version, got, tt.want)
		}
	}
}

// TestSettlePendingCreate settles placeholders against the sandbox, in
// every way that can end: the API's answer decides, never the time that
// passed, so a placeholder a day or months old, or stamped by a clock that
// disagrees with the API's, is settled like a fresh one.
func TestSettlePendingCreate(t *testing.T) {
	t.Parallel()
	e := newTestAccEnv(t)
	other, err := e.Server.CreateOrganization(t.Context(), "Lakeside Rowing Club", sandbox.PlanCoach)
	if err != nil {
		t.Fatal(err)
	}
	now := e.Server.Now()
	later := now.Add(300 * 24 * time.Hour)
	// create makes a key with an idempotency key, as a create whose answer
	// was lost does, and returns the pending create that remembers it.
	create := func(t *testing.T, name string, attemptedAt time.Time) (pendingCreate, *astral.APIKey) {
		opts := astral.APIKeyCreateOptions{Name: testKeyPrefix + name, ExpiresAt: &later, IdempotencyKey: rand.Text()}
		key, err := e.Client.APIKeys.Create(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		return newPendingCreate(opts, attemptedAt, &astral.Identity{Organization: astral.Organization{ID: e.Org.ID}}), key
	}
	lost := func(name string) pendingCreate {
		return newPendingCreate(astral.APIKeyCreateOptions{Name: testKeyPrefix + name, IdempotencyKey: rand.Text()}, now, nil)
	}
	otherClient := newTestClient(t, e.URL, other.Member(sandbox.RoleHeadCoach).APIKey)
	unreachable := newTestClient(t, "http://127.0.0.1:1", e.HeadCoachKey)

	tests := []struct {
		name    string
		setUp   func(t *testing.T) (pendingCreate, *astral.APIKey)
		client  *astral.Client
		want    string // the one diagnostic's summary
		wantErr bool
		detail  string // a part of its detail
	}{
		{name: "answer lost after the API created the key", setUp: func(t *testing.T) (pendingCreate, *astral.APIKey) { return create(t, "lost-answer", now) },
			client: e.Client, want: "Unconfirmed API key creation settled", detail: "has been revoked"},
		{name: "stamped by a machine clock a day behind the API's", setUp: func(t *testing.T) (pendingCreate, *astral.APIKey) {
			return create(t, "skewed-day", now.Add(-25*time.Hour))
		}, client: e.Client, want: "Unconfirmed API key creation settled", detail: "has been revoked"},
		{name: "stamped by a machine clock months ahead of the API's", setUp: func(t *testing.T) (pendingCreate, *astral.APIKey) {
			return create(t, "skewed-months", now.Add(120*24*time.Hour))
		}, client: e.Client, want: "Unconfirmed API key creation settled", detail: "has been revoked"},
		{name: "key revoked since in the app", setUp: func(t *testing.T) (pendingCreate, *astral.APIKey) {
			p, key := create(t, "revoked-since", now)
			e.RevokeKey(t, key.ID)
			return p, key
		}, client: e.Client, want: "Unconfirmed API key creation settled", detail: "had been revoked already"},
		{name: "request that never reached the API", setUp: func(*testing.T) (pendingCreate, *astral.APIKey) { return lost("never-arrived"), nil },
			client: e.Client, want: "Unconfirmed API key creation settled", detail: "created no key"},
		{name: "API unreachable again", setUp: func(t *testing.T) (pendingCreate, *astral.APIKey) { return create(t, "unreachable", now) },
			client: unreachable, want: "Could not confirm whether the API key", wantErr: true},
		{name: "provider key of another organization", setUp: func(t *testing.T) (pendingCreate, *astral.APIKey) { return create(t, "other-org", now) },
			client: otherClient, want: "API key of another organization", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pending, key := tt.setUp(t)
			r := &apiKeyResource{configured{data: &providerData{client: tt.client, machineNow: time.Now}}}
			var diags diag.Diagnostics
			r.settlePendingCreate(t.Context(), tt.client, pending.placeholder(*planned(rfc3339(pending.ExpiresAt))), &diags)
			if len(diags) != 1 || diags.HasError() != tt.wantErr || !strings.HasPrefix(diags[0].Summary(), tt.want) || !strings.Contains(diags[0].Detail(), tt.detail) {
				t.Fatalf("diagnostics %v, want one %q saying %q (error: %t)", diags, tt.want, tt.detail, tt.wantErr)
			}
			if strings.Contains(diags[0].Detail(), "astral_live_") {
				t.Errorf("diagnostic holds a secret: %s", diags[0].Detail())
			}
			if key == nil {
				return
			}
			if !tt.wantErr && !strings.Contains(diags[0].Detail(), key.CreatedAt.UTC().Format(time.RFC3339)) {
				t.Errorf("warning %q does not name the key's creation time %s", diags[0].Detail(), key.CreatedAt.UTC().Format(time.RFC3339))
			}
			got, err := e.Client.APIKeys.Read(t.Context(), key.ID)
			if err != nil {
				t.Fatal(err)
			}
			if wantStatus := map[bool]astral.APIKeyStatus{false: astral.APIKeyStatusRevoked, true: astral.APIKeyStatusActive}[tt.wantErr]; got.Status != wantStatus {
				t.Errorf("key %s is %s, want %s", key.ID, got.Status, wantStatus)
			}
		})
	}

	t.Run("more than a day after the create, when the API no longer replays it", func(t *testing.T) {
		pending, key := create(t, "after-replay", now)
		e.Server.AdvanceClock(25 * time.Hour)
		r := &apiKeyResource{configured{data: &providerData{client: e.Client, machineNow: time.Now}}}
		var diags diag.Diagnostics
		r.settlePendingCreate(t.Context(), e.Client, pending.placeholder(*planned(rfc3339(pending.ExpiresAt))), &diags)
		if len(diags) != 1 || diags.HasError() {
			t.Fatalf("diagnostics %v, want one warning", diags)
		}
		if _, err := e.Client.APIKeys.Read(t.Context(), key.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := e.Client.APIKeys.FindByIdempotencyKey(t.Context(), pending.IdempotencyKey); err != nil || len(got) != 1 || got[0].Status != astral.APIKeyStatusRevoked {
			t.Errorf("keys of the create are %v (%v), want one, revoked", got, err)
		}
		if _, err := e.Client.APIKeys.FindByIdempotencyKey(t.Context(), rand.Text()); !errors.Is(err, astral.ErrNotFound) {
			t.Errorf("an idempotency key never used: %v, want ErrNotFound", err)
		}
	})
}

// Creates whose answers are lost while the API's clock is a day, or
// months, ahead of this machine's (moved for a rotation rehearsal, or a
// machine clock set wrong): the next apply settles each one by the API's
// answer, and every resource ends with one active key, the state's.
func TestAccAPIKey_lostCreateClockSkew(t *testing.T) {
	t.Parallel()
	const keys = 5
	for _, skew := range []time.Duration{25 * time.Hour, 120 * 24 * time.Hour} {
		t.Run(fmt.Sprintf("API clock %s ahead", skew), func(t *testing.T) {
			t.Parallel()
			env := newTestAccEnv(t)
			proxy := newFaultyProxy(t, env.URL)
			config := providerBlock(proxy.URL, env.HeadCoachKey, `request_timeout = "3s"`) + fmt.Sprintf(`
resource "astral_api_key" "skew" {
  count = %d
  name  = "%sskew-${count.index}"
  rotation = {
    expire_after  = "90d"
    rotate_before = "14d"
  }
}
`, keys, testKeyPrefix)
			lost := lostCreateStep(resource.TestStep{
				PreConfig: func() {
					env.Server.AdvanceClock(skew)
					// Every create is carried out, and its answer lost.
					proxy.stalls.Store(keys)
				},
				Config:      config,
				ExpectError: wrapped(`Could not create the API key.*did not finish in time`),
			})
			resource.Test(t, env.TestCase(t, lost,
				resource.TestStep{
					Config: config,
					ConfigPlanChecks: resource.ConfigPlanChecks{
						PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					},
					Check: func(s *terraform.State) error {
						_, err := env.compareKeys(t, s, keys)
						return err
					},
				},
			))
		})
	}
}

// lostCreateStep is a step whose creates lose their answers and which
// fails with its ExpectError, where the CLI saves a failed create's state.
// Elsewhere (see failedCreateKept) the step succeeds with warnings and
// leaves placeholders, which the next plan replaces.
func lostCreateStep(step resource.TestStep) resource.TestStep {
	if !failedCreateKept(acceptanceCLI.version) {
		step.ExpectError, step.ExpectNonEmptyPlan = nil, true
	}
	return step
}
