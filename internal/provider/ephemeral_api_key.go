package provider

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

var (
	_ ephemeral.EphemeralResource              = (*ephemeralAPIKey)(nil)
	_ ephemeral.EphemeralResourceWithConfigure = (*ephemeralAPIKey)(nil)
	_ ephemeral.EphemeralResourceWithClose     = (*ephemeralAPIKey)(nil)
)

const (
	defaultEphemeralLifetime = "1h"
	// privateKeyID is where Open leaves the key's ID for Close.
	privateKeyID = "key_id"
)

type ephemeralAPIKey struct {
	configured
}

type ephemeralAPIKeyModel struct {
	Name        types.String `tfsdk:"name"`
	ExpireAfter types.String `tfsdk:"expire_after"`
	ID          types.String `tfsdk:"id"`
	Secret      types.String `tfsdk:"secret"`
	ExpiresAt   timestamp    `tfsdk:"expires_at"`
}

func newEphemeralAPIKey() ephemeral.EphemeralResource {
	return &ephemeralAPIKey{}
}

func (e *ephemeralAPIKey) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (e *ephemeralAPIKey) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A short-lived API key for one run of Terraform, such as a one-time import. " +
			"Opening it creates a key that expires after `expire_after`; closing it, at the end of the run, revokes the key. " +
			"Nothing is written to the state or the plan. Terraform opens it in each run that needs it, " +
			"both `plan` and `apply`: each run gets a key of its own, revoked when the run ends.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				MarkdownDescription: "What the key is for, as shown in the Astral app: 1 to 100 characters, " +
					"without control characters and without white space at either end.",
				Required:   true,
				Validators: []validator.String{nameValidator{}},
			},
			"expire_after": schema.StringAttribute{
				MarkdownDescription: "How long the key lives if the run does not revoke it (a run that crashes), such as `1h` or `1d12h`. " +
					"Defaults to `" + defaultEphemeralLifetime + "`. " + lifetimeDuration.syntax(),
				Optional:   true,
				Validators: []validator.String{durationValidator{lifetimeDuration}},
			},
			"id": schema.StringAttribute{
				MarkdownDescription: "The key's identifier.",
				Computed:            true,
			},
			"secret": schema.StringAttribute{
				MarkdownDescription: "The key's secret (`astral_live_…`), to send as `Authorization: Bearer <secret>`.",
				Computed:            true,
				Sensitive:           true,
			},
			"expires_at": schema.StringAttribute{
				MarkdownDescription: "When the key expires, as an RFC 3339 timestamp in UTC.",
				Computed:            true,
				CustomType:          timestampType{},
			},
		},
	}
}

func (e *ephemeralAPIKey) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.configure(req.ProviderData, &resp.Diagnostics)
}

func (e *ephemeralAPIKey) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	client, missing := e.data.apiClient()
	if missing != nil {
		resp.Diagnostics.Append(missing)
		return
	}
	var config ephemeralAPIKeyModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	text := defaultEphemeralLifetime
	if !config.ExpireAfter.IsNull() {
		text = config.ExpireAfter.ValueString()
	}
	lifetime, err := parseLifetime(text)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("expire_after"), "Invalid duration", "expire_after: "+err.Error()+".")
		return
	}
	if err := e.data.syncClock(ctx); err != nil {
		resp.Diagnostics.Append(clientErrorDiagnostic("Could not read the Astral API's clock, by which the key's expiry is set", err))
		return
	}
	expiresAt := expiryAfter(e.data.now(), lifetime)
	key, err := client.APIKeys.Create(ctx, astral.APIKeyCreateOptions{Name: config.Name.ValueString(), ExpiresAt: &expiresAt})
	if err != nil {
		resp.Diagnostics.Append(clientErrorDiagnostic("Could not create the API key", err))
		return
	}
	// Revoked by Close, or, should Terraform be killed first, with the run.
	e.data.created.add(key)
	tflog.Info(ctx, "Opened ephemeral API key", map[string]any{"id": key.ID, "expires_at": expiresAt.Format(time.RFC3339)})
	id, err := json.Marshal(key.ID)
	if err != nil {
		resp.Diagnostics.AddError("Could not remember the ephemeral API key "+key.ID, "Its id did not encode as JSON ("+err.Error()+"). The key expires on its own at "+expiresAt.Format(time.RFC3339)+".")
		return
	}
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateKeyID, id)...)

	config.ID = types.StringValue(key.ID)
	config.Secret = types.StringValue(key.Secret)
	config.ExpiresAt = rfc3339(key.ExpiresAt)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &config)...)
}

func (e *ephemeralAPIKey) Close(ctx context.Context, req ephemeral.CloseRequest, resp *ephemeral.CloseResponse) {
	raw, diags := req.Private.GetKey(ctx, privateKeyID)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() || raw == nil {
		return
	}
	var id string
	if err := json.Unmarshal(raw, &id); err != nil {
		// Only Open writes it; the killed-run sweep still revokes the key.
		resp.Diagnostics.AddWarning("Ephemeral API key not revoked",
			"The provider could not read which key this run opened ("+err.Error()+"), so it is not revoked now; it expires on its own.")
		return
	}
	client, missing := e.data.apiClient()
	if missing != nil {
		resp.Diagnostics.Append(missing)
		return
	}
	// A key that is gone needs no revoking.
	_, err := client.APIKeys.Revoke(ctx, id)
	switch {
	case errors.Is(err, astral.ErrNotFound):
		tflog.Info(ctx, "Ephemeral API key already gone", map[string]any{"id": id})
	case err != nil:
		resp.Diagnostics.Append(clientErrorDiagnostic("Could not revoke the API key "+id+"; it expires on its own", err))
	default:
		tflog.Info(ctx, "Revoked ephemeral API key", map[string]any{"id": id})
	}
}
