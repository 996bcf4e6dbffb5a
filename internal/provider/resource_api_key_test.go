package provider

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

const testKeyAddr = "astral_api_key.test"

// keyConfig is one astral_api_key named test; expiresAt is left out when empty.
func keyConfig(name, expiresAt string) string {
	if expiresAt == "" {
		return fmt.Sprintf(`
resource "astral_api_key" "test" {
  name = %q
}
`, name)
	}
	return fmt.Sprintf(`
resource "astral_api_key" "test" {
  name       = %q
  expires_at = %q
}
`, name, expiresAt)
}

func at(name string) tfjsonpath.Path { return tfjsonpath.New(name) }

func TestAccAPIKey_basic(t *testing.T) {
	env := newTestAccEnv(t)
	headCoach := env.Org.Member(sandbox.RoleHeadCoach)
	expiresAt := env.Server.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	config := env.Config(keyConfig("Roster sync script", expiresAt.Format(time.RFC3339)))

	var secret, id string
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectSensitiveValue(testKeyAddr, at("secret")),
					plancheck.ExpectUnknownValue(testKeyAddr, at("secret")),
				},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), knownvalue.StringRegexp(keyIDPattern)),
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), captureString(&id)),
				statecheck.ExpectKnownValue(testKeyAddr, at("name"), knownvalue.StringExact("Roster sync script")),
				statecheck.ExpectKnownValue(testKeyAddr, at("expires_at"), knownvalue.StringExact(expiresAt.Format(time.RFC3339))),
				statecheck.ExpectKnownValue(testKeyAddr, at("secret"), knownvalue.StringRegexp(secretPattern)),
				statecheck.ExpectKnownValue(testKeyAddr, at("secret"), captureString(&secret)),
				statecheck.ExpectSensitiveValue(testKeyAddr, at("secret")),
				statecheck.ExpectKnownValue(testKeyAddr, at("created_at"), knownvalue.StringFunc(func(v string) error {
					created, err := time.Parse(time.RFC3339, v)
					if err != nil {
						return err
					}
					if d := env.Server.Now().Sub(created); d < 0 || d > time.Minute {
						return fmt.Errorf("created_at %s is not the sandbox's recent past", v)
					}
					return nil
				})),
				statecheck.ExpectKnownValue(testKeyAddr, at("created_by"), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"id":   knownvalue.StringExact(headCoach.ID),
					"name": knownvalue.StringExact(headCoach.Name),
				})),
				statecheck.ExpectKnownValue(testKeyAddr, at("secret_hint"), knownvalue.StringFunc(func(v string) error {
					if len(secret) < 4 || v != secret[len(secret)-4:] {
						return fmt.Errorf("secret_hint %q is not the secret's last four characters", v)
					}
					return nil
				})),
			},
			PostApplyFunc: func() {
				// The secret in the state authenticates, and the API holds the key as planned.
				key, err := newTestClient(t, env.URL, secret).APIKeys.Read(context.Background(), id)
				if err != nil {
					t.Fatalf("reading the key with its own secret: %v", err)
				}
				if key.Status != astral.APIKeyStatusActive || key.Name != "Roster sync script" || !key.ExpiresAt.Equal(expiresAt) {
					t.Errorf("the API holds %+v", key)
				}
			},
		},
		resource.TestStep{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		},
	))
}

func TestAccAPIKey_neverExpires(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	config := env.Config(keyConfig("CI deploys", ""))
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					// Known to be null at plan time, not "known after apply".
					plancheck.ExpectKnownValue(testKeyAddr, at("expires_at"), knownvalue.Null()),
				},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testKeyAddr, at("expires_at"), knownvalue.Null()),
			},
		},
		resource.TestStep{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		},
	))
}

func TestAccAPIKey_replace(t *testing.T) {
	env := newTestAccEnv(t)
	expiresAt := env.Server.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	later := env.Server.Now().Add(60 * 24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)

	ids := statecheck.CompareValue(compare.ValuesDiffer())
	secrets := statecheck.CompareValue(compare.ValuesDiffer())
	var previous string
	replaced := func(name, expiresAt string) resource.TestStep {
		return resource.TestStep{
			Config: env.Config(keyConfig(name, expiresAt)),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionReplace)},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				ids.AddStateValue(testKeyAddr, at("id")),
				secrets.AddStateValue(testKeyAddr, at("secret")),
			},
			Check: func(*terraform.State) error {
				// The key replaced is revoked.
				key, err := env.Client.APIKeys.Read(context.Background(), previous)
				if err != nil {
					return err
				}
				if key.Status != astral.APIKeyStatusRevoked {
					return fmt.Errorf("the replaced key %s is %s, want revoked", key.ID, key.Status)
				}
				return nil
			},
		}
	}
	first := resource.TestStep{
		Config: env.Config(keyConfig("Roster sync", expiresAt)),
		ConfigStateChecks: []statecheck.StateCheck{
			ids.AddStateValue(testKeyAddr, at("id")),
			secrets.AddStateValue(testKeyAddr, at("secret")),
		},
	}
	remember := statecheck.ExpectKnownValue(testKeyAddr, at("id"), captureString(&previous))
	first.ConfigStateChecks = append(first.ConfigStateChecks, remember)

	steps := []resource.TestStep{first}
	for _, change := range []struct{ name, expiresAt string }{
		{"Roster sync v2", expiresAt}, // name
		{"Roster sync v2", later},     // expires_at
		{"Roster sync v2", ""},        // expires_at removed
		{"Roster sync v2", expiresAt}, // expires_at added
	} {
		step := replaced(change.name, change.expiresAt)
		step.ConfigStateChecks = append(step.ConfigStateChecks, remember)
		steps = append(steps, step)
	}
	resource.ParallelTest(t, env.TestCase(t, steps...))
}

// A timestamp is compared by the instant it names, however it is spelled.
func TestAccAPIKey_timestampsByMeaning(t *testing.T) {
	env := newTestAccEnv(t)
	instant := env.Server.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)
	spellings := []string{
		instant.Format("2006-01-02T15:04:05+00:00"),
		instant.Format(time.RFC3339),
		instant.In(time.FixedZone("", 2*3600)).Format(time.RFC3339),
		instant.In(time.FixedZone("", -7*3600)).Format("2006-01-02T15:04:05.000-07:00"),
	}
	ids := statecheck.CompareValue(compare.ValuesSame())
	steps := []resource.TestStep{{
		Config: env.Config(keyConfig("Spelled", spellings[0])),
		ConfigStateChecks: []statecheck.StateCheck{
			ids.AddStateValue(testKeyAddr, at("id")),
			// The configuration's spelling survives the API's answer in UTC.
			statecheck.ExpectKnownValue(testKeyAddr, at("expires_at"), knownvalue.StringExact(spellings[0])),
		},
	}}
	for _, spelling := range spellings[1:] {
		steps = append(steps, resource.TestStep{
			Config: env.Config(keyConfig("Spelled", spelling)),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{ids.AddStateValue(testKeyAddr, at("id"))},
		})
	}
	resource.ParallelTest(t, env.TestCase(t, steps...))
}

func TestAccAPIKey_import(t *testing.T) {
	env := newTestAccEnv(t)
	expiresAt := env.Server.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	outside := env.CreateKey(t, "Made in the app", &expiresAt)
	// Written with another offset than the API's UTC: still no change to plan.
	config := env.Config(keyConfig("Made in the app", expiresAt.Format("2006-01-02T15:04:05+00:00")))

	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config: config + fmt.Sprintf(`
import {
  to = astral_api_key.test
  id = %q
}
`, outside.ID),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionNoop)},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), knownvalue.StringExact(outside.ID)),
				statecheck.ExpectKnownValue(testKeyAddr, at("secret"), knownvalue.Null()),
				statecheck.ExpectKnownValue(testKeyAddr, at("secret_hint"), knownvalue.StringExact(outside.SecretHint)),
				statecheck.ExpectKnownValue(testKeyAddr, at("created_at"), knownvalue.StringExact(outside.CreatedAt.Format(time.RFC3339))),
			},
		},
		resource.TestStep{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		},
		// terraform import
		resource.TestStep{
			Config:            config,
			ResourceName:      testKeyAddr,
			ImportState:       true,
			ImportStateVerify: true,
		},
		// An import block in a fresh working directory: no change to plan.
		resource.TestStep{
			Config:          config,
			ResourceName:    testKeyAddr,
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithID,
		},
		resource.TestStep{
			Config:        config,
			ResourceName:  testKeyAddr,
			ImportState:   true,
			ImportStateId: "key_not-an-id",
			ExpectError:   messagePattern("Invalid API key ID", `"key_" followed by a 26-character ULID`),
		},
		resource.TestStep{
			Config:        config,
			ResourceName:  testKeyAddr,
			ImportState:   true,
			ImportStateId: "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R",
			ExpectError:   messagePattern("Cannot import non-existent remote object"),
		},
	))
}

func TestAccAPIKey_revokedOutOfBand(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	config := env.Config(keyConfig("Revoked in the app", ""))
	ids := statecheck.CompareValue(compare.ValuesDiffer())
	var id string
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				ids.AddStateValue(testKeyAddr, at("id")),
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), captureString(&id)),
			},
		},
		resource.TestStep{
			PreConfig: func() { env.RevokeKey(t, id) },
			Config:    config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionCreate)},
			},
			ConfigStateChecks: []statecheck.StateCheck{ids.AddStateValue(testKeyAddr, at("id"))},
		},
	))
}

// An error that does not say the key is gone never empties the state.
func TestAccAPIKey_readErrorKeepsState(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	config := env.Config(keyConfig("Kept through outages", ""))
	ids := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config:            config,
			ConfigStateChecks: []statecheck.StateCheck{ids.AddStateValue(testKeyAddr, at("id"))},
		},
		resource.TestStep{
			PreConfig:   func() { env.Server.SetFaults(sandbox.Faults{ErrorRate: 1, ErrorStatus: 503}) },
			Config:      config,
			ExpectError: messagePattern("Could not read the API key", "The Astral API failed on every attempt", "503 unavailable"),
		},
		resource.TestStep{
			PreConfig: env.Server.ClearFaults,
			Config:    config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{ids.AddStateValue(testKeyAddr, at("id"))},
		},
	))
}

// A key that has expired stays, and does not block plans until its
// expires_at changes.
func TestAccAPIKey_expired(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	expiresAt := env.Server.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	config := env.Config(keyConfig("Short lived", expiresAt))
	ids := statecheck.CompareValue(compare.ValuesSame())
	var id string
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				ids.AddStateValue(testKeyAddr, at("id")),
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), captureString(&id)),
			},
		},
		resource.TestStep{
			PreConfig: func() {
				env.Server.AdvanceClock(2 * time.Hour)
				key, err := env.Client.APIKeys.Read(context.Background(), id)
				if err != nil || key.Status != astral.APIKeyStatusExpired {
					t.Fatalf("after moving the clock the key is %v (%v), want expired", key, err)
				}
			},
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{ids.AddStateValue(testKeyAddr, at("id"))},
		},
		// Any change now creates a key, so the past expiry is refused at plan time.
		resource.TestStep{
			Config:      env.Config(keyConfig("Short lived, renamed", expiresAt)),
			ExpectError: messagePattern("Expiry in the past", `expires_at = "`+expiresAt+`"`, "A key cannot be created with expires_at "+expiresAt),
		},
		resource.TestStep{
			Config: env.Config(keyConfig("Short lived", "")),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionReplace)},
			},
		},
	))
}

func TestAccAPIKey_planTimeErrors(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	past := env.Server.Now().Add(-time.Minute).UTC().Truncate(time.Second).Format(time.RFC3339)
	tests := []struct {
		name   string
		config string
		want   []string
	}{
		{"expiry in the past", keyConfig("Late", past), []string{"Expiry in the past", `expires_at = "` + past + `"`, "A key cannot be created with expires_at " + past}},
		{"expiry without offset", keyConfig("Local", "2030-01-01T00:00:00"), []string{"Invalid timestamp", `expires_at: "2030-01-01T00:00:00" is not an RFC 3339 timestamp with a time and an offset`}},
		{"empty name", keyConfig("", ""), []string{"Invalid API key name", "at least one character other than white space"}},
		{"blank name", keyConfig("   ", ""), []string{"Invalid API key name", "at least one character other than white space"}},
		{"padded name", keyConfig(" Roster sync", ""), []string{"Invalid API key name", "must not begin or end with white space"}},
		{"name with a line break", keyConfig("Roster\nsync", ""), []string{"Invalid API key name", "control characters", "U+000A"}},
		{"long name", keyConfig(strings.Repeat("é", 101), ""), []string{"Invalid API key name", "at most 100 characters; it has 101"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.expectPlanError(t, tt.config, tt.want...)
		})
	}
}

// A provider whose arguments are known only at apply time still plans and
// applies a resource; a data source, read at plan time, says what to do.
func TestAccAPIKey_unknownProviderConfig(t *testing.T) {
	env := newTestAccEnv(t)
	lateProvider := fmt.Sprintf(`
resource "terraform_data" "credentials" {
  input = %q
}

provider "astral" {
  endpoint = %q
  api_key  = terraform_data.credentials.output
}
`, env.HeadCoachKey, env.URL)
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config:      lateProvider + `data "astral_api_keys" "test" {}`,
			ExpectError: messagePattern("Provider configuration not known", "Apply the resources the provider configuration depends on first"),
		},
		resource.TestStep{
			Config: lateProvider + keyConfig("Configured late", ""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testKeyAddr, at("secret"), knownvalue.StringRegexp(secretPattern)),
			},
		},
	))
}

// apiKeySchemaFor returns the resource's schema, for tests that call its
// methods without Terraform.
func apiKeySchemaFor(t *testing.T) schema.Schema {
	t.Helper()
	var resp fwresource.SchemaResponse
	(&apiKeyResource{}).Schema(context.Background(), fwresource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("schema: %v", resp.Diagnostics)
	}
	return resp.Schema
}

// stored is the model of a key as the state holds it after a create.
func stored(t *testing.T, name string, expiresAt *time.Time) *apiKeyResourceModel {
	t.Helper()
	var m apiKeyResourceModel
	m.setFrom(&astral.APIKey{
		ID: "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R", Name: name, Status: astral.APIKeyStatusActive, SecretHint: "x7Qa",
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		CreatedBy: astral.Member{ID: "mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S", Name: "Dana Ortiz"},
		ExpiresAt: expiresAt,
	})
	m.Secret = types.StringValue("astral_live_" + strings.Repeat("a", 28) + "x7Qa")
	m.Rotation = types.ObjectNull(rotationAttrTypes)
	m.ReadyForRotation = types.BoolValue(false)
	m.RotateWhenChanged = types.MapNull(types.StringType)
	m.RevokeOnDestroy = types.BoolValue(true)
	m.SecretRecipients = types.ListNull(types.StringType)
	return &m
}

// planned is the model of a key named k planned for creation.
func planned(expiresAt timestamp) *apiKeyResourceModel {
	return &apiKeyResourceModel{
		apiKeyModel: apiKeyModel{
			ID: types.StringUnknown(), Name: types.StringValue("k"), SecretHint: types.StringUnknown(),
			CreatedAt: timestampUnknown(), CreatedBy: types.ObjectUnknown(memberAttrTypes),
			ExpiresAt: expiresAt,
		},
		Secret:            types.StringUnknown(),
		Rotation:          types.ObjectNull(rotationAttrTypes),
		ReadyForRotation:  types.BoolUnknown(),
		RotateWhenChanged: types.MapNull(types.StringType),
		RevokeOnDestroy:   types.BoolValue(true),
		SecretRecipients:  types.ListNull(types.StringType),
	}
}

// rawOf turns a model (nil: no object) into a value of the schema's type.
func rawOf(t *testing.T, s schema.Schema, m *apiKeyResourceModel) tftypes.Value {
	t.Helper()
	state := tfsdk.State{Schema: s, Raw: tftypes.NewValue(s.Type().TerraformType(context.Background()), nil)}
	if m != nil {
		if diags := state.Set(context.Background(), m); diags.HasError() {
			t.Fatalf("building a value: %v", diags)
		}
	}
	return state.Raw
}

// withRotation is m under a rotation of expire_after and rotate_before.
func withRotation(m *apiKeyResourceModel, expireAfter, rotateBefore string) *apiKeyResourceModel {
	m.Rotation = types.ObjectValueMust(rotationAttrTypes, map[string]attr.Value{
		"expire_after":  types.StringValue(expireAfter),
		"rotate_before": types.StringValue(rotateBefore),
	})
	return m
}

func TestAPIKeyResource_ModifyPlan(t *testing.T) {
	s := apiKeySchemaFor(t)
	now := time.Date(2027, 6, 30, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	in15d, in14d := now.Add(15*24*time.Hour), now.Add(14*24*time.Hour)
	// stored() keys were created on 2026-01-01, 545 days before now.
	tests := []struct {
		name         string
		state, plan  *apiKeyResourceModel
		wantReady    types.Bool // planned ready_for_rotation
		wantReplaced bool       // ready_for_rotation forces replacement
		wantError    string     // detail substring; empty: no error
		wantWarning  string     // detail substring; empty: no warning
	}{
		{name: "create without expiry", plan: planned(timestampNull()), wantReady: types.BoolValue(false)},
		{name: "create with future expiry", plan: planned(rfc3339(&future)), wantReady: types.BoolValue(false)},
		{name: "create with unknown expiry", plan: planned(timestampUnknown()), wantReady: types.BoolValue(false)},
		{name: "create with rotation", plan: withRotation(planned(timestampUnknown()), "1d", "1h"), wantReady: types.BoolValue(false)},
		{
			name: "create with past expiry", plan: planned(rfc3339(&past)), wantReady: types.BoolValue(false),
			wantError: "A key cannot be created with expires_at 2027-06-30T11:00:00Z: it is not after the current time, 2027-06-30T12:00:00Z.",
		},
		{
			name: "create expiring now", plan: planned(timestampValue("2027-06-30T14:00:00+02:00")), wantReady: types.BoolValue(false),
			wantError: "A key cannot be created with expires_at 2027-06-30T14:00:00+02:00",
		},
		{name: "active key", state: stored(t, "k", &future), plan: stored(t, "k", &future), wantReady: types.BoolValue(false)},
		{name: "key that never expires", state: stored(t, "k", nil), plan: stored(t, "k", nil), wantReady: types.BoolValue(false)},
		{
			name: "expired key", state: stored(t, "k", &past), plan: stored(t, "k", &past), wantReady: types.BoolValue(false),
			wantWarning: `The API key "k" (key_01JD3X8Z6W4Q9T2B7N5M1K0C3R) expired at 2027-06-30T11:00:00Z`,
		},
		{name: "expired key being given a new expiry", state: stored(t, "k", &past), plan: planned(rfc3339(&future)), wantReady: types.BoolValue(false)},
		{name: "destroy of an expired key", state: stored(t, "k", &past)},
		{
			name: "rotation, before the window", state: withRotation(stored(t, "k", &in15d), "90d", "14d"),
			plan: withRotation(stored(t, "k", &in15d), "90d", "14d"), wantReady: types.BoolValue(false),
		},
		{
			name: "rotation, window starts", state: withRotation(stored(t, "k", &in14d), "90d", "14d"),
			plan: withRotation(stored(t, "k", &in14d), "90d", "14d"), wantReady: types.BoolUnknown(), wantReplaced: true,
		},
		{
			name: "rotation, expired: replaced without a warning", state: withRotation(stored(t, "k", &past), "90d", "14d"),
			plan: withRotation(stored(t, "k", &past), "90d", "14d"), wantReady: types.BoolUnknown(), wantReplaced: true,
		},
		{
			name: "rotation added, key not due", state: stored(t, "k", &in15d),
			plan: withRotation(stored(t, "k", &in15d), "90d", "14d"), wantReady: types.BoolValue(false),
		},
		{
			name: "rotation changed, key now due", state: withRotation(stored(t, "k", &in15d), "90d", "14d"),
			plan: withRotation(stored(t, "k", &in15d), "90d", "15d"), wantReady: types.BoolUnknown(), wantReplaced: true,
		},
		{
			name: "rotation, key without expiry, created within expire_after less rotate_before", state: stored(t, "k", nil),
			plan: withRotation(stored(t, "k", nil), "600d", "50d"), wantReady: types.BoolValue(false),
		},
		{
			name: "rotation, key without expiry, created longer ago", state: stored(t, "k", nil),
			plan: withRotation(stored(t, "k", nil), "600d", "56d"), wantReady: types.BoolUnknown(), wantReplaced: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &apiKeyResource{configured{data: &providerData{machineNow: func() time.Time { return now }}}}
			req := fwresource.ModifyPlanRequest{
				State: tfsdk.State{Schema: s, Raw: rawOf(t, s, tt.state)},
				Plan:  tfsdk.Plan{Schema: s, Raw: rawOf(t, s, tt.plan)},
			}
			resp := fwresource.ModifyPlanResponse{Plan: req.Plan}
			r.ModifyPlan(context.Background(), req, &resp)

			checkDiagnostics(t, resp.Diagnostics, wantDiagnostics{error: tt.wantError, warning: tt.wantWarning, at: path.Root("expires_at")})
			want := rawOf(t, s, nil)
			if tt.plan != nil {
				p := *tt.plan
				p.ReadyForRotation = tt.wantReady
				want = rawOf(t, s, &p)
			}
			if !resp.Plan.Raw.Equal(want) {
				t.Errorf("planned %v\nwant %v", resp.Plan.Raw, want)
			}
			if replaced := slices.ContainsFunc(resp.RequiresReplace, path.Root("ready_for_rotation").Equal); replaced != tt.wantReplaced {
				t.Errorf("ready_for_rotation forces replacement: %v, want %v (%v)", replaced, tt.wantReplaced, resp.RequiresReplace)
			}
		})
	}
}

// wantDiagnostics is what checkDiagnostics expects: at most one error and
// one warning, each with the given detail (empty: none of that severity)
// and, unless at is empty, at that attribute.
type wantDiagnostics struct {
	error, warning string
	at             path.Path
}

func checkDiagnostics(t *testing.T, diags diag.Diagnostics, want wantDiagnostics) {
	t.Helper()
	at := want.at
	for _, c := range []struct {
		got  diag.Diagnostics
		want string
	}{{diags.Errors(), want.error}, {diags.Warnings(), want.warning}} {
		switch {
		case c.want == "" && len(c.got) > 0:
			t.Errorf("unexpected diagnostics: %v", c.got)
		case c.want != "" && len(c.got) != 1:
			t.Errorf("got %d diagnostics %v, want one with %q", len(c.got), c.got, c.want)
		case c.want != "":
			d := c.got[0]
			if !strings.Contains(d.Detail(), c.want) {
				t.Errorf("detail %q lacks %q", d.Detail(), c.want)
			}
			if withPath, ok := d.(diag.DiagnosticWithPath); len(at.Steps()) > 0 && (!ok || !withPath.Path().Equal(at)) {
				t.Errorf("diagnostic %q is not at %s", d.Summary(), at)
			}
		}
	}
}

// Read against the sandbox: what is gone leaves the state with a warning,
// what failed leaves it untouched with an error.
func TestAPIKeyResource_Read(t *testing.T) {
	t.Parallel()
	env := newTestAccEnv(t)
	s := apiKeySchemaFor(t)
	ctx := context.Background()
	soon := env.Server.Now().Add(time.Hour).UTC().Truncate(time.Second)

	revoked := env.CreateKey(t, "Revoked in the app", nil)
	env.RevokeKey(t, revoked.ID)
	expiring := env.CreateKey(t, "Expires soon", &soon)
	active := env.CreateKey(t, "Active", nil)

	tests := []struct {
		name        string
		key         *astral.APIKey
		setup       func()
		wantRemoved bool
		wantError   string
		wantWarning string
	}{
		{name: "active", key: active},
		{
			name: "revoked", key: revoked, wantRemoved: true,
			wantWarning: `The API key "Revoked in the app" (` + revoked.ID + `) was revoked at `,
		},
		{
			name: "gone", key: &astral.APIKey{ID: "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R", Name: "Never existed"}, wantRemoved: true,
			wantWarning: `The API key "Never existed" (key_01JD3X8Z6W4Q9T2B7N5M1K0C3R) no longer exists`,
		},
		{
			name: "id in the state changed by hand", key: &astral.APIKey{ID: "astral_live_" + strings.Repeat("a", 32), Name: "Hand-edited"},
			wantError: `The state holds "astral_live_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" as the id of the API key "Hand-edited", which is not an API key ID`,
		},
		{
			name: "API failing", key: active,
			setup:     func() { env.Server.SetFaults(sandbox.Faults{ErrorRate: 1, ErrorStatus: 500}) },
			wantError: "500 internal",
		},
		{
			name: "expired", key: expiring,
			setup: func() { env.Server.AdvanceClock(2 * time.Hour) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
				t.Cleanup(env.Server.ClearFaults)
			}
			prior := stored(t, tt.key.Name, tt.key.ExpiresAt)
			prior.ID = types.StringValue(tt.key.ID)
			r := &apiKeyResource{configured{data: &providerData{client: env.Client, machineNow: env.Server.Now}}}
			req := fwresource.ReadRequest{State: tfsdk.State{Schema: s, Raw: rawOf(t, s, prior)}}
			resp := fwresource.ReadResponse{State: req.State}
			r.Read(ctx, req, &resp)

			checkDiagnostics(t, resp.Diagnostics, wantDiagnostics{error: tt.wantError, warning: tt.wantWarning})
			switch {
			case tt.wantRemoved:
				if !resp.State.Raw.IsNull() {
					t.Errorf("the key stayed in the state")
				}
			case tt.wantError != "":
				if !resp.State.Raw.Equal(req.State.Raw) {
					t.Errorf("the state changed on an error")
				}
			default:
				var got apiKeyResourceModel
				resp.State.Get(ctx, &got)
				if got.ID.ValueString() != tt.key.ID || got.SecretHint.ValueString() != tt.key.SecretHint || got.Secret != prior.Secret {
					t.Errorf("state after Read: %+v", got)
				}
			}
		})
	}
}

// A create that could not connect sent nothing: it fails at once, with no
// placeholder, naming the endpoint to check.
func TestAPIKeyResource_CreateNotSent(t *testing.T) {
	endpoint := closedEndpoint(t)
	s := apiKeySchemaFor(t)
	client := newTestClient(t, endpoint, unusedKey)
	r := &apiKeyResource{configured{data: &providerData{client: client, machineNow: time.Now}}}
	plan := planned(timestampNull())
	req := fwresource.CreateRequest{Plan: tfsdk.Plan{Schema: s, Raw: rawOf(t, s, plan)}}
	resp := fwresource.CreateResponse{State: tfsdk.State{Schema: s, Raw: rawOf(t, s, nil)}}
	r.Create(context.Background(), req, &resp)

	checkDiagnostics(t, resp.Diagnostics, wantDiagnostics{error: "Could not connect to the Astral API at " + endpoint + ", so nothing was sent"})
	if !resp.State.Raw.IsNull() {
		t.Errorf("a create that was not sent left a state: %v", resp.State.Raw)
	}
}

// The structs that getAttributes fills name attributes of the resource,
// each with the attribute's value type: a misspelt tag fails here, not in a
// user's plan.
func TestAttributeStructsMatchSchema(t *testing.T) {
	ctx := context.Background()
	var resp fwresource.SchemaResponse
	newAPIKeyResource().Schema(ctx, fwresource.SchemaRequest{}, &resp)
	for _, target := range []any{configValues{}, priorValues{}, plannedValues{}} {
		typ := reflect.TypeOf(target)
		for i := range typ.NumField() {
			field := typ.Field(i)
			name := field.Tag.Get("tfsdk")
			attribute, ok := resp.Schema.Attributes[name]
			if !ok {
				t.Errorf("%s.%s: the tag %q names no attribute of astral_api_key", typ.Name(), field.Name, name)
				continue
			}
			if want := reflect.TypeOf(attribute.GetType().ValueType(ctx)); field.Type != want {
				t.Errorf("%s.%s is a %s, but the attribute %q holds a %s", typ.Name(), field.Name, field.Type, name, want)
			}
		}
	}
}
