package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// revoke_on_destroy = false: a destroyed or replaced key is left to expire
// on its own, so that its consumers keep working while a new secret
// propagates. Allowed only for a key that expires.

// validateRevokeOnDestroy refuses revoke_on_destroy = false for a key that
// never expires: it would stay active forever.
func validateRevokeOnDestroy(config configValues, diags *diag.Diagnostics) {
	keep := config.RevokeOnDestroy
	if keep.IsNull() || keep.IsUnknown() || keep.ValueBool() || !config.ExpiresAt.IsNull() || !config.Rotation.IsNull() {
		return
	}
	diags.AddAttributeError(path.Root("revoke_on_destroy"), "Key left active forever",
		"revoke_on_destroy = false leaves a destroyed or replaced key active until it expires, and this key never expires. "+
			"Set expires_at or rotation, or remove revoke_on_destroy.")
}

// leftActive reports whether the destroy of state leaves the key active,
// with a warning that says until when. A key without an expiry would stay
// active forever: it is revoked whatever revoke_on_destroy says (it can be
// false for such a key only after an import into a configuration with
// rotation).
func (r *apiKeyResource) leftActive(ctx context.Context, state apiKeyResourceModel, diags *diag.Diagnostics) bool {
	if state.RevokeOnDestroy.IsNull() || state.RevokeOnDestroy.ValueBool() || state.ExpiresAt.IsNull() {
		return false
	}
	if !r.data.inCallersOrganization(ctx, state.apiKeyModel, "Could not verify the organization of the provider's API key", diags) {
		return true
	}
	tflog.Info(ctx, "Leaving API key active: revoke_on_destroy is false", map[string]any{"id": state.ID.ValueString(), "expires_at": state.ExpiresAt.ValueString()})
	diags.AddWarning("API key left active",
		fmt.Sprintf("The API key %q (%s) has left the state but stays active until it expires at %s, because revoke_on_destroy is false. "+
			"If nothing uses it any more, revoke it in the Astral app under Settings → Security.",
			state.Name.ValueString(), state.ID.ValueString(), state.ExpiresAt.ValueString()))
	return true
}
