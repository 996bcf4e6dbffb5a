package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

const day = 24 * time.Hour

// rotatingKeyConfig is one astral_api_key named test with a rotation and
// extra arguments (HCL lines), replaced before it is destroyed.
func rotatingKeyConfig(expireAfter, rotateBefore, extra string) string {
	return fmt.Sprintf(`
resource "astral_api_key" "test" {
  name = "tf-acc-rotating"
  rotation = {
    expire_after  = %q
    rotate_before = %q
  }
%s
  lifecycle {
    create_before_destroy = true
  }
}
`, expireAfter, rotateBefore, extra)
}

// expiresAfter checks that a timestamp is d after the sandbox's current time,
// give or take the minute a step takes.
func expiresAfter(env *testAccEnv, d time.Duration) knownvalue.Check {
	return knownvalue.StringFunc(func(v string) error {
		got, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return err
		}
		if diff := env.Server.Now().Add(d).Sub(got); diff < 0 || diff > time.Minute {
			return fmt.Errorf("expires_at %s is not %s after the sandbox's time %s", v, d, env.Server.Now().UTC().Format(time.RFC3339))
		}
		return nil
	})
}

// readKey reads a key through the API, outside Terraform.
func (e *testAccEnv) readKey(t *testing.T, id string) *astral.APIKey {
	t.Helper()
	key, err := e.Client.APIKeys.Read(context.Background(), id)
	if err != nil {
		t.Fatalf("read key %s: %v", id, err)
	}
	return key
}

// The rotation cycle on the sandbox's clock: a key is kept until its
// window, replaced once inside it (new key first), kept again, and replaced
// when it has expired without an apply in its window.
func TestAccAPIKey_rotation(t *testing.T) {
	env := newTestAccEnv(t)
	config := env.Config(rotatingKeyConfig("90d", "14d", ""))
	var first, second, third string
	ids := statecheck.CompareValue(compare.ValuesDiffer())
	replaced := []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionCreateBeforeDestroy),
		plancheck.ExpectKnownValue(testKeyAddr, at("ready_for_rotation"), knownvalue.Bool(false)),
		plancheck.ExpectUnknownValue(testKeyAddr, at("expires_at")),
	}
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionCreate),
				plancheck.ExpectUnknownValue(testKeyAddr, at("expires_at")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				ids.AddStateValue(testKeyAddr, at("id")),
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), captureString(&first)),
				statecheck.ExpectKnownValue(testKeyAddr, at("expires_at"), expiresAfter(env, 90*day)),
				statecheck.ExpectKnownValue(testKeyAddr, at("ready_for_rotation"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(testKeyAddr, at("revoke_on_destroy"), knownvalue.Bool(true)),
			},
		},
		resource.TestStep{
			// 15 days left: not due yet.
			PreConfig:        func() { env.Server.AdvanceClock(75 * day) },
			Config:           config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		},
		resource.TestStep{
			// 13 days left: due.
			PreConfig:        func() { env.Server.AdvanceClock(2 * day) },
			Config:           config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: replaced},
			ConfigStateChecks: []statecheck.StateCheck{
				ids.AddStateValue(testKeyAddr, at("id")),
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), captureString(&second)),
				statecheck.ExpectKnownValue(testKeyAddr, at("expires_at"), expiresAfter(env, 90*day)),
				statecheck.ExpectKnownValue(testKeyAddr, at("ready_for_rotation"), knownvalue.Bool(false)),
			},
			PostApplyFunc: func() {
				old, current := env.readKey(t, first), env.readKey(t, second)
				if old.Status != astral.APIKeyStatusRevoked || current.Status != astral.APIKeyStatusActive {
					t.Errorf("after rotation the old key is %s and the new one %s", old.Status, current.Status)
				}
				// create_before_destroy: the new key existed before the old one was revoked.
				if old.RevokedAt == nil || old.RevokedAt.Before(current.CreatedAt) {
					t.Errorf("old key revoked at %v, before the new key was created at %v", old.RevokedAt, current.CreatedAt)
				}
			},
		},
		resource.TestStep{
			Config:           config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		},
		resource.TestStep{
			// No apply in the window: the key has expired.
			PreConfig: func() {
				env.Server.AdvanceClock(91 * day)
				if key := env.readKey(t, second); key.Status != astral.APIKeyStatusExpired {
					t.Fatalf("the key is %s, want expired", key.Status)
				}
			},
			Config:           config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: replaced},
			ConfigStateChecks: []statecheck.StateCheck{
				ids.AddStateValue(testKeyAddr, at("id")),
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), captureString(&third)),
				statecheck.ExpectKnownValue(testKeyAddr, at("expires_at"), expiresAfter(env, 90*day)),
			},
			PostApplyFunc: func() {
				if key := env.readKey(t, third); key.Status != astral.APIKeyStatusActive {
					t.Errorf("the new key is %s", key.Status)
				}
			},
		},
		resource.TestStep{
			Config:           config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		},
	))
}

// A refresh inside the window records ready_for_rotation = true, which the
// plan then shows as the reason for the replacement.
func TestAccAPIKey_rotationRefresh(t *testing.T) {
	env := newTestAccEnv(t)
	config := env.Config(rotatingKeyConfig("1d", "1h", ""))
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{Config: config},
		resource.TestStep{
			PreConfig:          func() { env.Server.AdvanceClock(23 * time.Hour) },
			RefreshState:       true,
			Check:              resource.TestCheckResourceAttr(testKeyAddr, "ready_for_rotation", "true"),
			ExpectNonEmptyPlan: true,
		},
		resource.TestStep{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionCreateBeforeDestroy),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testKeyAddr, at("ready_for_rotation"), knownvalue.Bool(false)),
			},
		},
	))
}

// What the provider keeps for itself changes without a new key; a changed
// rotate_when_changed replaces it; revoke_on_destroy = false leaves the
// replaced key to expire on its own.
func TestAccAPIKey_rotationSettings(t *testing.T) {
	env := newTestAccEnv(t)
	ids := statecheck.CompareValue(compare.ValuesSame())
	var first, second string
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config: env.Config(rotatingKeyConfig("90d", "14d", "")),
			ConfigStateChecks: []statecheck.StateCheck{
				ids.AddStateValue(testKeyAddr, at("id")),
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), captureString(&first)),
			},
		},
		resource.TestStep{
			Config: env.Config(rotatingKeyConfig("60d", "7d", `
  revoke_on_destroy   = false
  rotate_when_changed = { schedule = "2027-W01" }
`)),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				ids.AddStateValue(testKeyAddr, at("id")),
				statecheck.ExpectKnownValue(testKeyAddr, at("revoke_on_destroy"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(testKeyAddr, at("rotation").AtMapKey("expire_after"), knownvalue.StringExact("60d")),
				// The key keeps the expiry it was created with.
				statecheck.ExpectKnownValue(testKeyAddr, at("expires_at"), expiresAfter(env, 90*day)),
			},
		},
		resource.TestStep{
			Config: env.Config(rotatingKeyConfig("60d", "7d", `
  revoke_on_destroy   = false
  rotate_when_changed = { schedule = "2027-W02" }
`)),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionCreateBeforeDestroy),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), captureString(&second)),
				statecheck.ExpectKnownValue(testKeyAddr, at("expires_at"), expiresAfter(env, 60*day)),
			},
			PostApplyFunc: func() {
				if second == first {
					t.Fatalf("the key %s was not replaced", first)
				}
				if key := env.readKey(t, first); key.Status != astral.APIKeyStatusActive {
					t.Errorf("the replaced key is %s, want active until it expires", key.Status)
				}
			},
		},
		resource.TestStep{
			// The replaced key expires on its own; the current one is due.
			PreConfig: func() {
				env.Server.AdvanceClock(55 * day)
				if key := env.readKey(t, first); key.Status != astral.APIKeyStatusActive {
					t.Errorf("the replaced key is %s after 55 days, want active", key.Status)
				}
				env.Server.AdvanceClock(36 * day)
				if key := env.readKey(t, first); key.Status != astral.APIKeyStatusExpired {
					t.Errorf("the replaced key is %s after 91 days, want expired", key.Status)
				}
			},
			// Back to the default, so that destroying revokes the last key.
			Config: env.Config(rotatingKeyConfig("60d", "7d", `
  rotate_when_changed = { schedule = "2027-W02" }
`)),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionCreateBeforeDestroy),
			}},
			PostApplyFunc: func() {
				// The state said revoke_on_destroy = false when the key was replaced.
				if key := env.readKey(t, second); key.Status != astral.APIKeyStatusExpired {
					t.Errorf("the replaced key is %s, want expired (not revoked)", key.Status)
				}
			},
		},
	))
}

// An imported key is kept until it is due; one without an expiry counts
// from its creation, and is revoked when replaced even with
// revoke_on_destroy = false, since it would otherwise never stop working.
func TestAccAPIKey_rotationImport(t *testing.T) {
	env := newTestAccEnv(t)
	existing := env.CreateKey(t, "tf-acc-rotating", nil)
	imported := func(extra string) string {
		return env.Config(fmt.Sprintf(`
import {
  to = astral_api_key.test
  id = %q
}
`, existing.ID) + rotatingKeyConfig("30d", "7d", extra))
	}
	config := imported("  revoke_on_destroy = false")
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), knownvalue.StringExact(existing.ID)),
				statecheck.ExpectKnownValue(testKeyAddr, at("expires_at"), knownvalue.Null()),
				statecheck.ExpectKnownValue(testKeyAddr, at("ready_for_rotation"), knownvalue.Bool(false)),
			},
		},
		resource.TestStep{
			PreConfig: func() { env.Server.AdvanceClock(22 * day) },
			Config:    config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectEmptyPlan(),
			}},
		},
		resource.TestStep{
			PreConfig: func() { env.Server.AdvanceClock(2 * day) },
			Config:    config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionCreateBeforeDestroy),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testKeyAddr, at("expires_at"), expiresAfter(env, 30*day)),
			},
			PostApplyFunc: func() {
				if key := env.readKey(t, existing.ID); key.Status != astral.APIKeyStatusRevoked {
					t.Errorf("the imported key without an expiry is %s after its rotation, want revoked", key.Status)
				}
			},
		},
		// Back to the default, so that destroying revokes the last key.
		resource.TestStep{Config: imported("")},
	))
}

func TestAccAPIKey_rotationPlanTimeErrors(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	tests := []struct {
		name   string
		config string
		want   []string
	}{
		{
			name:   "rotation with expires_at",
			config: rotatingKeyConfig("90d", "14d", `  expires_at = "2099-01-01T00:00:00Z"`),
			want:   []string{"Invalid Attribute Combination", "with astral_api_key.test", "rotation", `"expires_at"`},
		},
		{
			name:   "window as long as the lifetime",
			config: rotatingKeyConfig("14d", "336h", ""),
			want:   []string{"Rotation window too long", "rotation.rotate_before (14d) must be shorter than rotation.expire_after (14d)"},
		},
		{
			name:   "duration in weeks",
			config: rotatingKeyConfig("12w", "14d", ""),
			want:   []string{"Invalid duration", `rotation.expire_after: "12w" is not a duration such as "90d", "1d12h" or "30m": whole numbers, each followed by its unit (d, h, m and s)`},
		},
		{
			name:   "zero window",
			config: rotatingKeyConfig("90d", "0d", ""),
			want:   []string{"Invalid duration", `rotation.rotate_before: "0d" is not above zero: give a duration such as "90d"`},
		},
		{
			name: "revoke_on_destroy false on a key that never expires",
			config: `
resource "astral_api_key" "test" {
  name              = "tf-acc-forever"
  revoke_on_destroy = false
}
`,
			want: []string{"Key left active forever", "revoke_on_destroy = false", "Set expires_at or rotation"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.expectPlanError(t, tt.config, tt.want...)
		})
	}
}
