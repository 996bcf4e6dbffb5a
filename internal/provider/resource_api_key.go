package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

var (
	_ resource.Resource                = (*apiKeyResource)(nil)
	_ resource.ResourceWithConfigure   = (*apiKeyResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*apiKeyResource)(nil)
	_ resource.ResourceWithImportState = (*apiKeyResource)(nil)
	_ planmodifier.String              = sameInstantAsState{}
)

type apiKeyResource struct {
	configured
}

type apiKeyResourceModel struct {
	apiKeyModel
	Secret types.String `tfsdk:"secret"`
}

func newAPIKeyResource() resource.Resource {
	return &apiKeyResource{}
}

func (r *apiKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (r *apiKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An API key of the organization. The API cannot change a key, so a change to any argument " +
			"replaces the key: Terraform creates a new key (with a new secret) and revokes the old one. " +
			"Destroying the resource revokes the key; a key already revoked counts as destroyed.\n\n" +
			"The secret is known only to the apply that creates the key; it is stored in the state, which must be kept private.",
		Attributes: map[string]schema.Attribute{
			// Arguments.
			"name": schema.StringAttribute{
				MarkdownDescription: "What the key is for, as shown in the Astral app. " +
					"1 to 100 characters, without control characters and without white space at either end. " +
					"Names need not be unique. Changing it replaces the key.",
				Required:      true,
				Validators:    []validator.String{nameValidator{}},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"expires_at": schema.StringAttribute{
				MarkdownDescription: "When the key stops working, as an RFC 3339 timestamp with an offset, such as `2027-06-30T00:00:00Z`. " +
					"Omitted, the key never expires. Must be in the future when a key is created with it. " +
					"Timestamps compare by the instant they name: `2027-06-30T02:00:00+02:00` equals `2027-06-30T00:00:00Z`. " +
					"Changing it replaces the key; a key that has expired stays in the state until then.",
				Optional: true,
				// Computed only so that a timestamp spelled differently but
				// naming the state's instant can keep the state's spelling.
				Computed:   true,
				CustomType: timetypes.RFC3339Type{},
				PlanModifiers: []planmodifier.String{
					sameInstantAsState{},
					stringplanmodifier.RequiresReplace(),
				},
			},

			// Computed.
			"id": schema.StringAttribute{
				MarkdownDescription: "The key's identifier, such as `key_01JD3X8Z6W4Q9T2B7N5M1K0C3R`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"secret": schema.StringAttribute{
				MarkdownDescription: "The key's secret (`astral_live_…`), to send as `Authorization: Bearer <secret>`. " +
					"The API shows it only once: it is known only to the apply that creates the key, and null after an import.",
				Computed:      true,
				Sensitive:     true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"secret_hint": schema.StringAttribute{
				MarkdownDescription: "The last four characters of the secret, as the Astral app shows them to tell keys apart.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "When the key was created, as an RFC 3339 timestamp in UTC.",
				Computed:            true,
				CustomType:          timetypes.RFC3339Type{},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"created_by": schema.SingleNestedAttribute{
				MarkdownDescription: "The member of the organization who created the key: the head coach whose key the provider used.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
				Attributes: map[string]schema.Attribute{
					"id": schema.StringAttribute{
						MarkdownDescription: "The member's identifier, such as `mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S`.",
						Computed:            true,
					},
					"name": schema.StringAttribute{
						MarkdownDescription: "The member's name.",
						Computed:            true,
					},
				},
			},
		},
	}
}

func (r *apiKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.configure(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan refuses a create with an expiry that has passed, and tells
// about a key that has expired. Only the create side of a plan can fail: a
// replacement is planned by Terraform as a create without prior state.
func (r *apiKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	// Before Configure (validation) there is no clock, and a destroy has nothing to check.
	if r.data == nil || req.Plan.Raw.IsNull() {
		return
	}
	var plan apiKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	now := r.data.now()

	if req.State.Raw.IsNull() {
		if expiresAt, ok := parseTime(plan.ExpiresAt.StringValue); ok {
			addPastExpiryError(&resp.Diagnostics, expiresAt, now)
		}
		return
	}

	var state apiKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	expiresAt, ok := parseTime(state.ExpiresAt.StringValue)
	// A changed expires_at already replaces the key: nothing to tell.
	if ok && !now.Before(expiresAt) && plan.ExpiresAt.Equal(state.ExpiresAt) {
		resp.Diagnostics.AddAttributeWarning(path.Root("expires_at"), "API key expired",
			fmt.Sprintf("The API key %q (%s) expired at %s and no longer authenticates. "+
				"It stays in the state. To replace it, set expires_at to a later time, or remove expires_at for a key that never expires, and apply.",
				state.Name.ValueString(), state.ID.ValueString(), expiresAt.UTC().Format(time.RFC3339Nano)))
	}
}

// addPastExpiryError refuses an expiry at or before now, as the API does.
func addPastExpiryError(diags *diag.Diagnostics, expiresAt, now time.Time) {
	if expiresAt.After(now) {
		return
	}
	diags.AddAttributeError(path.Root("expires_at"), "Expiry in the past",
		fmt.Sprintf("A key cannot be created with expires_at %s: it is not after the current time, %s. "+
			"Set expires_at to a time in the future, or remove it for a key that never expires.",
			expiresAt.Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339)))
}

func (r *apiKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	client := r.data.apiClient(&resp.Diagnostics)
	var plan apiKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}

	opts := astral.APIKeyCreateOptions{Name: plan.Name.ValueString()}
	// Known at apply time: a value from another resource may have been unknown at plan time.
	if expiresAt, ok := parseTime(plan.ExpiresAt.StringValue); ok {
		if addPastExpiryError(&resp.Diagnostics, expiresAt, r.data.now()); resp.Diagnostics.HasError() {
			return
		}
		opts.ExpiresAt = &expiresAt
	}

	key, err := client.APIKeys.Create(ctx, opts)
	if err != nil {
		resp.Diagnostics.Append(clientErrorDiagnostic("Could not create the API key", err))
		return
	}

	// The secret exists nowhere else: it goes into the state before anything
	// else can fail, so that an error below still leaves a key Terraform knows.
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), key.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("secret"), key.Secret)...)

	plan.setFrom(key)
	plan.Secret = types.StringValue(key.Secret)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *apiKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// Without a client (a plan whose provider configuration is not known
	// yet), the prior state stands; Configure has said why.
	if r.data.client == nil {
		return
	}
	var state apiKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}

	key, err := r.data.readAPIKey(ctx, state.ID.ValueString())
	switch {
	case errors.Is(err, astral.ErrNotFound):
		resp.Diagnostics.AddWarning("API key no longer exists",
			fmt.Sprintf("The API key %q (%s) no longer exists in the organization of the provider's API key, "+
				"so it has been removed from the state and the next plan creates a new one. "+
				"If the provider's api_key now belongs to another organization, set it back before applying.",
				state.Name.ValueString(), state.ID.ValueString()))
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		// Anything but "gone" leaves the state as it was.
		resp.Diagnostics.Append(clientErrorDiagnostic("Could not read the API key "+state.ID.ValueString(), err))
		return
	case key.Status == astral.APIKeyStatusRevoked:
		revokedAt := "earlier"
		if key.RevokedAt != nil {
			revokedAt = "at " + key.RevokedAt.UTC().Format(time.RFC3339)
		}
		resp.Diagnostics.AddWarning("API key revoked outside Terraform",
			fmt.Sprintf("The API key %q (%s) was revoked %s, outside Terraform (in the Astral app or through the API). "+
				"It has been removed from the state, and the next plan creates a new one.",
				key.Name, key.ID, revokedAt))
		resp.State.RemoveResource(ctx)
		return
	}

	state.setFrom(key)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update is never called: every argument requires replacement and every
// computed attribute keeps its state.
func (r *apiKeyResource) Update(_ context.Context, _ resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.AddError("API keys cannot be updated",
		"The provider planned an in-place update of an astral_api_key, which the API cannot do. This is a bug in the provider; please report it.")
}

func (r *apiKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	client := r.data.apiClient(&resp.Diagnostics)
	var state apiKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Revoking a revoked key succeeds; a key that is gone needs no revoking.
	if _, err := client.APIKeys.Revoke(ctx, state.ID.ValueString()); err != nil && !errors.Is(err, astral.ErrNotFound) {
		resp.Diagnostics.Append(clientErrorDiagnostic("Could not revoke the API key "+state.ID.ValueString(), err))
	}
}

func (r *apiKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if err := astral.ValidateKeyID(req.ID); err != nil {
		resp.Diagnostics.AddError("Invalid API key ID",
			"The import ID must be the ID of an API key: "+reason(err, astral.ErrInvalidKeyID)+". "+
				"The Astral app shows a key's ID in Settings → Security, and the astral_api_keys data source lists them.")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.AddWarning("API key secret not imported",
		"The API shows a key's secret only when the key is created, so the imported "+req.ID+" has a null secret. "+
			"Whatever uses the secret must keep getting it from where it is stored today; to have Terraform hold a secret, replace the key.")
}

// sameInstantAsState plans the state's timestamp when the configuration
// names the same instant with another spelling (Z or +00:00, another
// offset), so that the spelling alone never replaces a key. A null
// configuration plans null: the attribute is computed only for this.
type sameInstantAsState struct{}

func (sameInstantAsState) Description(context.Context) string {
	return "keeps the state's timestamp when the configuration names the same instant"
}

func (m sameInstantAsState) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (sameInstantAsState) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.ConfigValue.IsNull() {
		resp.PlanValue = types.StringNull()
		return
	}
	if state, ok := parseTime(req.StateValue); ok && sameInstant(req.ConfigValue, &state) {
		resp.PlanValue = req.StateValue
	}
}
