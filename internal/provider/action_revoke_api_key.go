package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

var (
	_ action.Action              = (*revokeAPIKeyAction)(nil)
	_ action.ActionWithConfigure = (*revokeAPIKeyAction)(nil)
)

// revokeAPIKeyAction revokes a key by id (Terraform 1.14+), without a
// resource for it: a leaked key, or one that a query found and nobody
// wants to manage.
type revokeAPIKeyAction struct {
	configured
}

type revokeAPIKeyActionModel struct {
	ID                       types.String `tfsdk:"id"`
	AllowRevokingProviderKey types.Bool   `tfsdk:"allow_revoking_provider_key"`
}

func newRevokeAPIKeyAction() action.Action {
	return &revokeAPIKeyAction{}
}

func (a *revokeAPIKeyAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_revoke_api_key"
}

func (a *revokeAPIKeyAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Revokes an API key of the organization at once, by id, whether or not Terraform manages it: " +
			"a leaked key, or a key found by `terraform query` that nobody needs. Run it with " +
			"`terraform apply -invoke=action.astral_revoke_api_key.NAME`, or from a resource's `action_trigger` (Terraform 1.14+).\n\n" +
			"Revoking a key that is already revoked succeeds and says when it was revoked. " +
			"A key of another organization, or an id the API does not know, is an error: the API tells neither apart. " +
			"The provider's own API key is refused unless `allow_revoking_provider_key` is true, since every later request of the provider would fail. " +
			"A key that Terraform manages and this action revokes is removed from its state, with a warning, by the next refresh, and the next apply creates a new one.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The id of the key to revoke, such as `key_01JD3X8Z6W4Q9T2B7N5M1K0C3R`: `key_` and a 26-character ULID, checked when the configuration is validated. " +
					"`terraform query` lists the keys' ids, and so does the `astral_api_keys` data source.",
				Required:   true,
				Validators: []validator.String{keyIDValidator{}},
			},
			"allow_revoking_provider_key": schema.BoolAttribute{
				MarkdownDescription: "Whether `id` may be the provider's own API key (its `api_key`). Defaults to `false`, so that the key Terraform runs with " +
					"is never revoked by mistake; revoking it makes every later request with it fail.",
				Optional: true,
			},
		},
	}
}

func (a *revokeAPIKeyAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.configure(req.ProviderData, &resp.Diagnostics)
}

func (a *revokeAPIKeyAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	client, missing := a.data.apiClient()
	if missing != nil {
		resp.Diagnostics.Append(missing)
		return
	}
	var config revokeAPIKeyActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	caller := a.caller(ctx, &resp.Diagnostics)
	if caller == nil {
		return
	}
	id := config.ID.ValueString()
	org := fmt.Sprintf("%q (%s)", caller.Organization.Name, caller.Organization.ID)
	if caller.APIKey != nil && caller.APIKey.ID == id && !config.AllowRevokingProviderKey.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Refusing to revoke the provider's own API key",
			fmt.Sprintf("The API key %s is the provider's own api_key, of the organization %s: revoking it would make every later request with it fail, "+
				"this run's included. Nothing was revoked. If this is what you want (the key has leaked, for example), set allow_revoking_provider_key = true; "+
				"then set api_key (or %s) to another key of the head coach.", id, org, envAPIKey))
		return
	}

	// Read first: to name the key in what the action reports, and to tell a
	// key already revoked, which revoking again would not.
	key, err := client.APIKeys.Read(ctx, id)
	if errors.Is(err, astral.ErrNotFound) {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "API key not found",
			fmt.Sprintf("There is no key with the id %s in the organization %s of the provider's API key. "+
				"The key may belong to another organization (the API does not say which), or the id may be mistyped. Nothing was revoked.\n\n%s",
				id, org, err))
		return
	}
	if err != nil {
		resp.Diagnostics.Append(clientErrorDiagnostic("Could not read the API key "+id, err))
		return
	}
	if key.Status == astral.APIKeyStatusRevoked {
		tflog.Info(ctx, "API key to revoke was revoked already", map[string]any{"id": key.ID})
		resp.SendProgress(action.InvokeProgressEvent{
			Message: fmt.Sprintf("The API key %q (%s) was already revoked%s; nothing to do.", key.Name, key.ID, revokedAtPhrase(key)),
		})
		return
	}

	resp.SendProgress(action.InvokeProgressEvent{
		Message: fmt.Sprintf("Revoking the API key %q (%s) of the organization %s.", key.Name, key.ID, org),
	})
	a.data.keyChanged(id)
	revoked, err := client.APIKeys.Revoke(ctx, id)
	if err != nil {
		resp.Diagnostics.Append(clientErrorDiagnostic(fmt.Sprintf("Could not revoke the API key %q (%s)", key.Name, id), err))
		return
	}
	tflog.Info(ctx, "Revoked API key", map[string]any{"id": revoked.ID})
	resp.SendProgress(action.InvokeProgressEvent{
		Message: fmt.Sprintf("Revoked the API key %q (%s)%s.", revoked.Name, revoked.ID, revokedAtPhrase(revoked)),
	})
}

// caller is who the provider's key is, or nil with the error that says why
// not: unlike a plan, an action cannot go on without knowing whether the
// key to revoke is the provider's own.
func (a *revokeAPIKeyAction) caller(ctx context.Context, diags *diag.Diagnostics) *astral.Identity {
	var proved diag.Diagnostics
	identity, ok := a.data.proveCaller(ctx, &proved)
	if identity != nil || !ok {
		diags.Append(proved...)
		return identity
	}
	_, err := a.data.callerIdentity(ctx)
	diags.Append(clientErrorDiagnostic("Could not verify the provider's API key", err))
	return nil
}

func revokedAtPhrase(key *astral.APIKey) string {
	if key.RevokedAt == nil {
		return ""
	}
	return " at " + key.RevokedAt.UTC().Format(time.RFC3339)
}

// keyIDValidator refuses what is not a key's id, before any request.
type keyIDValidator struct{}

var _ validator.String = keyIDValidator{}

func (keyIDValidator) Description(context.Context) string {
	return `"key_" followed by a 26-character ULID`
}

func (v keyIDValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (keyIDValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	value := req.ConfigValue.ValueString()
	err := astral.ValidateKeyID(value)
	if err == nil {
		return
	}
	summary, detail := "Invalid API key ID", "The value of "+req.Path.String()+" is not the ID of an API key: "+validationReason(err)+". "+
		"terraform query lists the keys' IDs, and so does the astral_api_keys data source."
	if astral.ValidateSecret(value) == nil {
		// Without a path: Terraform would print the configuration's line, and
		// with it the secret pasted there.
		resp.Diagnostics.AddError(summary, detail+" Revoke that key now if the configuration has been shared: its secret is in it.")
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, summary, detail)
}
