package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// A key's identity is its id and organization: written by create, read and
// update, and enough to import the key with an import block.
func TestAccAPIKey_identity(t *testing.T) {
	skipUnlessCLI(t, "resource identity")
	t.Parallel()
	env := newTestAccEnv(t)
	expiresAt := env.Server.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	config := env.Config(keyConfig(testKeyPrefix+"identified", expiresAt))
	identity := statecheck.ExpectIdentity(testKeyAddr, map[string]knownvalue.Check{
		"id":              knownvalue.StringRegexp(keyIDPattern),
		"organization_id": knownvalue.StringExact(env.Org.ID),
	})
	tfresource.Test(t, env.TestCase(t,
		tfresource.TestStep{Config: config, ConfigStateChecks: []statecheck.StateCheck{identity}},
		// An update in place writes the identity too.
		tfresource.TestStep{
			Config: env.Config(`
resource "astral_api_key" "test" {
  name              = "` + testKeyPrefix + `identified"
  expires_at        = "` + expiresAt + `"
  revoke_on_destroy = false
}
`),
			ConfigPlanChecks:  tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionUpdate)}},
			ConfigStateChecks: []statecheck.StateCheck{identity},
		},
		tfresource.TestStep{Config: config, ConfigStateChecks: []statecheck.StateCheck{identity}},
		tfresource.TestStep{
			Config:          config,
			ResourceName:    testKeyAddr,
			ImportState:     true,
			ImportStateKind: tfresource.ImportBlockWithResourceIdentity,
		},
		tfresource.TestStep{
			Config:          config,
			ResourceName:    testKeyAddr,
			ImportState:     true,
			ImportStateKind: tfresource.ImportBlockWithID,
		},
	))
}

// terraform plan -generate-config-out writes a configuration for a key made
// outside Terraform that imports it with nothing else to change.
func TestAccAPIKey_generatedConfig(t *testing.T) {
	skipUnlessCLI(t, "generated configurations")
	t.Parallel()
	env := newTestAccEnv(t)
	expiresAt := env.Server.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	outside := env.CreateKey(t, testKeyPrefix+"made in the app", &expiresAt)
	never := env.CreateKey(t, testKeyPrefix+"made in the app, never expires", nil)
	for name, key := range map[string]string{"with an expiry": outside.ID, "without an expiry": never.ID} {
		t.Run(name, func(t *testing.T) {
			tfresource.Test(t, tfresource.TestCase{
				ProtoV6ProviderFactories: env.ProviderFactories(),
				Steps: []tfresource.TestStep{{
					Config:          env.ProviderBlock(env.HeadCoachKey),
					ResourceName:    testKeyAddr,
					ImportState:     true,
					ImportStateKind: tfresource.ImportBlockWithID,
					ImportStateId:   key,
					GenerateConfig:  true,
				}},
			})
		})
	}
}

// A key recorded by the provider before keys had an identity or recorded
// their organization gains both on its next refresh, with no change to plan,
// on every CLI: older ones send no identity to the refresh and the plan.
func TestAccAPIKey_stateBeforeIdentity(t *testing.T) {
	t.Parallel()
	env := newTestAccEnv(t)
	config := env.Config(keyConfig(testKeyPrefix+"recorded before identity", ""))
	checks := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(testKeyAddr, at("organization_id"), knownvalue.StringExact(env.Org.ID)),
	}
	if cliHas("resource identity") {
		checks = append(checks, statecheck.ExpectIdentityValue(testKeyAddr, at("organization_id"), knownvalue.StringExact(env.Org.ID)))
	}
	// Providers are given step by step: terraform-plugin-testing takes them
	// from the test case or from its steps, not both.
	current := env.ProviderFactories()
	tfresource.Test(t, tfresource.TestCase{
		CheckDestroy: env.checkKeysRevoked(t),
		Steps: []tfresource.TestStep{
			{
				ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
					"astral": providerserver.NewProtocol6WithError(&providerBeforeIdentity{&astralProvider{version: "test"}}),
				},
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testKeyAddr, at("organization_id"), knownvalue.Null()),
				},
			},
			{
				ProtoV6ProviderFactories: current,
				Config:                   config,
				ConfigPlanChecks:         tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks:        checks,
			},
		},
	})
}

// providerBeforeIdentity serves astral_api_key as the provider did before
// resource identity and organization_id: no identity schema, and no
// organization in the state.
type providerBeforeIdentity struct {
	*astralProvider
}

func (p *providerBeforeIdentity) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return &resourceBeforeIdentity{&apiKeyResource{}} }}
}

type resourceBeforeIdentity struct {
	r *apiKeyResource
}

var (
	_ provider.Provider                   = (*providerBeforeIdentity)(nil)
	_ resource.ResourceWithConfigure      = (*resourceBeforeIdentity)(nil)
	_ resource.ResourceWithModifyPlan     = (*resourceBeforeIdentity)(nil)
	_ resource.ResourceWithValidateConfig = (*resourceBeforeIdentity)(nil)
)

func (b *resourceBeforeIdentity) Metadata(ctx context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	b.r.Metadata(ctx, req, resp)
}

func (b *resourceBeforeIdentity) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	b.r.Schema(ctx, req, resp)
}

func (b *resourceBeforeIdentity) Configure(ctx context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	b.r.Configure(ctx, req, resp)
}

func (b *resourceBeforeIdentity) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	b.r.ValidateConfig(ctx, req, resp)
}

func (b *resourceBeforeIdentity) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	b.r.ModifyPlan(ctx, req, resp)
}

func (b *resourceBeforeIdentity) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	b.r.Create(ctx, req, resp)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("organization_id"), types.StringNull())...)
}

func (b *resourceBeforeIdentity) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	b.r.Read(ctx, req, resp)
	if !resp.State.Raw.IsNull() {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("organization_id"), types.StringNull())...)
	}
}

func (b *resourceBeforeIdentity) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	b.r.Update(ctx, req, resp)
}

func (b *resourceBeforeIdentity) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	b.r.Delete(ctx, req, resp)
}

// An import by identity that names another organization than the key's is
// refused, as every other path is refused a key of another organization,
// and imports nothing.
func TestAccAPIKey_importIdentityOfAnotherOrganization(t *testing.T) {
	skipUnlessCLI(t, "resource identity")
	env := newTestAccEnv(t)
	other, err := env.Server.CreateOrganization(t.Context(), "Lakeside Rowing Club", sandbox.PlanCoach)
	if err != nil {
		t.Fatal(err)
	}
	key := env.CreateKey(t, testKeyPrefix+"claimed by another organization", nil)
	env.expectPlanError(t, fmt.Sprintf(`
import {
  to = astral_api_key.test
  identity = {
    id              = %q
    organization_id = %q
  }
}

resource "astral_api_key" "test" {
  name = %q
}
`, key.ID, other.ID, key.Name),
		"API key of another organization", "The API key "+key.ID+" belongs to the organization "+env.Org.ID,
		"says "+other.ID, "Terraform has changed nothing")
}
