// Command plugin-floor is a provider with no API behind it, for the
// benchmark to tell apart what Terraform charges for any plugin resource from
// what this provider adds. It serves two resources:
//
//   - floor_data has terraform_data's schema and behaviour: beside
//     terraform_data (built into Terraform) it measures what running a
//     resource in a plugin costs, over gRPC, msgpack and cty.
//   - floor_api_key has astral_api_key's schema and state of the same size,
//     but none of the provider's own code: beside astral_api_key it measures
//     what that code adds.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/dynamicplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/astral/terraform-provider-astral/internal/pluginserve"
	astralprovider "github.com/astral/terraform-provider-astral/internal/provider"
)

func main() {
	ctx := context.Background()
	p, err := newFloorProvider(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// Served like the provider itself, so that only the code inside the
	// provider differs.
	err = pluginserve.Serve(ctx, func() provider.Provider { return p },
		providerserver.ServeOpts{Address: "registry.terraform.io/astral/floor"})
	if err != nil {
		log.Fatal(err)
	}
}

var (
	_ provider.Provider = floorProvider{}
	_ resource.Resource = floorData{}
	_ resource.Resource = floorAPIKey{}
)

type floorProvider struct {
	// apiKey makes the provider's own astral_api_key resource.
	apiKey func() resource.Resource
}

// newFloorProvider finds astral_api_key among the provider's resources, so
// that floor_api_key follows its schema as it changes.
func newFloorProvider(ctx context.Context) (floorProvider, error) {
	for _, f := range astralprovider.New("bench")().Resources(ctx) {
		var resp resource.MetadataResponse
		f().Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "astral"}, &resp)
		if resp.TypeName == "astral_api_key" {
			return floorProvider{apiKey: f}, nil
		}
	}
	return floorProvider{}, errors.New("the astral provider has no astral_api_key resource")
}

func (floorProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "floor"
}

func (floorProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (floorProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (p floorProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return floorData{} },
		func() resource.Resource { return floorAPIKey{p.apiKey()} },
	}
}

func (floorProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// floorData is terraform_data: output follows input, triggers_replace
// replaces, and id is a random UUID.
type floorData struct{}

type floorDataModel struct {
	ID              types.String  `tfsdk:"id"`
	Input           types.Dynamic `tfsdk:"input"`
	Output          types.Dynamic `tfsdk:"output"`
	TriggersReplace types.Dynamic `tfsdk:"triggers_replace"`
}

func (floorData) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_data"
}

func (floorData) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"input":  schema.DynamicAttribute{Optional: true},
			"output": schema.DynamicAttribute{Computed: true},
			"triggers_replace": schema.DynamicAttribute{
				Optional:      true,
				PlanModifiers: []planmodifier.Dynamic{dynamicplanmodifier.RequiresReplace()},
			},
		},
	}
}

func (floorData) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m floorDataModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.ID = types.StringValue(uuid())
	m.Output = m.Input
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (floorData) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (floorData) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m floorDataModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.Output = m.Input
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (floorData) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// floorAPIKey is astral_api_key with no API behind it. Embedding the
// interface promotes only Metadata, Schema and the CRUD methods: the
// resource's ValidateConfig, ModifyPlan and Configure are its own code, which
// this floor leaves out on purpose.
type floorAPIKey struct{ resource.Resource }

func (floorAPIKey) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

// Create sets every computed attribute to a value as long as the API's, so
// that each instance takes as many bytes in the state as a real key.
func (floorAPIKey) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	secret := "astral_live_" + random(alnum, 32)
	// Timestamps are set as Go values, which the framework converts into
	// the schema's own type, whichever that is.
	values := map[string]any{
		"id":          types.StringValue("key_" + random(crockford, 26)),
		"secret":      types.StringValue(secret),
		"secret_hint": types.StringValue(secret[len(secret)-4:]),
		"created_at":  time.Now().UTC().Truncate(time.Second).Format(time.RFC3339),
		"created_by": types.ObjectValueMust(map[string]attr.Type{"id": types.StringType, "name": types.StringType},
			map[string]attr.Value{"id": types.StringValue("mem_" + random(crockford, 26)), "name": types.StringValue("Dana Ortiz")}),
		"ready_for_rotation": types.BoolValue(false),
		"organization_id":    types.StringValue("org_" + random(crockford, 26)),
		// Null on every key the API confirmed, as on a key whose secret
		// is not encrypted to recipients.
		"idempotency_key":  (*string)(nil),
		"encrypted_secret": (*string)(nil),
	}
	// Unset, expires_at is unknown in the plan; the API answers null.
	var plan map[string]tftypes.Value
	if err := req.Plan.Raw.As(&plan); err != nil {
		resp.Diagnostics.AddError("Unreadable plan", err.Error())
		return
	}
	if !plan["expires_at"].IsKnown() {
		values["expires_at"] = (*string)(nil)
	}
	// The arguments, revoke_on_destroy's default among them, come from the plan.
	resp.State.Raw = req.Plan.Raw
	for name, v := range values {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(name), v)...)
	}
}

func (floorAPIKey) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (floorAPIKey) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
}

func (floorAPIKey) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

const (
	// crockford is the alphabet of the ULIDs in the API's identifiers.
	crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	alnum     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// random returns n characters of alphabet. Only the length matters here:
// the modulo's slight bias does not.
func random(alphabet string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
