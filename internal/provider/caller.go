package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// What the provider decides from who its own key is (GET /v1/me): whether
// that key may manage API keys at all, which a plan proves before it shows
// a change that the apply could not make, and whether a key in the state
// belongs to the same organization, so that switching credentials never
// makes one organization's keys look deleted.

// proveCaller adds an error when the provider's key cannot manage API keys:
// it is not valid, its organization's plan is below Coach, or its member is
// not the head coach (checked in the API's own order). It returns who the
// key is, or nil when that is not known: with ok false when the key cannot
// manage keys (the error is this process's one refusal, see
// reportRefusal), or with a warning when the API did not answer (the apply
// then reports what fails).
func (d *providerData) proveCaller(ctx context.Context, diags *diag.Diagnostics) (identity *astral.Identity, ok bool) {
	if d.refused.reported.Load() {
		return nil, false
	}
	identity, err := d.callerIdentity(ctx)
	var refusal diag.Diagnostic
	switch {
	case errors.Is(err, astral.ErrUnauthenticated):
		refusal = clientErrorDiagnostic("Invalid Astral API key", err)
	case err != nil:
		diags.AddWarning("Could not verify the provider's API key",
			"The plan could not ask the Astral API who the provider's API key is, so it cannot tell yet whether the key may manage API keys. "+
				"The apply reports it if it may not.\n\n"+err.Error())
		return nil, true
	case identity.Organization.Plan == astral.PlanFree:
		refusal = diag.NewErrorDiagnostic("Coach plan required",
			fmt.Sprintf("The organization %q (%s) is on the free plan, and API keys need the Coach plan or above. "+
				"Upgrade the organization's plan in the Astral app, then run Terraform again.",
				identity.Organization.Name, identity.Organization.ID))
	case identity.Member.Role != astral.MemberRoleHeadCoach:
		refusal = diag.NewErrorDiagnostic("Only the head coach may manage API keys",
			fmt.Sprintf("The provider's API key belongs to %s, %s of the organization %q; only the organization's head coach may manage API keys. "+
				"Set api_key (or %s) to a key that the head coach created in the Astral app under Settings → Security.",
				identity.Member.Name, withArticle(roleName(identity.Member.Role)), identity.Organization.Name, envAPIKey))
	default:
		return identity, true
	}
	d.reportRefusal(ctx, diags, refusal)
	return nil, false
}

// callerRefusal makes the refusal of the provider's key one error per
// process. Every resource that a run refreshes or plans with such a key
// fails for the same reason, and Terraform prints one copy per resource,
// sorted by where each is written, so that the copy that says whose key it
// is could come last, after a screenful of others.
type callerRefusal struct {
	reported atomic.Bool
}

// reportRefusal adds refusal, the error that says why the provider's key
// cannot manage API keys, unless this process has reported one already.
// The run fails by that one; a call that finds it reported fails silently.
func (d *providerData) reportRefusal(ctx context.Context, diags *diag.Diagnostics, refusal diag.Diagnostic) {
	if d.refused.reported.CompareAndSwap(false, true) {
		diags.Append(refusal)
		return
	}
	tflog.Debug(ctx, "The API refused the provider's API key; this process has reported why")
}

// refusesCaller reports whether err is the API refusing the provider's key
// itself, whatever the call: not valid, a plan below Coach, not the head
// coach. Every call of the run would get the same answer.
func refusesCaller(err error) bool {
	return errors.Is(err, astral.ErrUnauthenticated) || errors.Is(err, astral.ErrPlanUpgradeRequired) ||
		errors.Is(err, astral.ErrInsufficientRole)
}

// addReadError adds the error of a read that failed (a refresh, a data
// source, a listing): a refusal of the provider's key is reported once per
// process, by proveCaller, in words that name the key's member, role and
// organization; anything else as the client's error under summary.
func (d *providerData) addReadError(ctx context.Context, diags *diag.Diagnostics, summary string, err error) {
	if !refusesCaller(err) {
		diags.Append(clientErrorDiagnostic(summary, err))
		return
	}
	if _, ok := d.proveCaller(ctx, diags); !ok {
		return
	}
	// GET /v1/me sees nothing wrong, or did not answer: the role or plan
	// changed since the call. The call's own error says what it was.
	d.reportRefusal(ctx, diags, clientErrorDiagnostic(summary, err))
}

// checkOrganization adds an error when key, of the state, belongs to
// another organization than the provider's key. A state written before keys
// recorded their organization passes.
func checkOrganization(identity *astral.Identity, key apiKeyModel, diags *diag.Diagnostics) {
	organization, name, id := key.OrganizationID, key.Name, key.ID
	if organization.IsNull() || organization.IsUnknown() || organization.ValueString() == identity.Organization.ID {
		return
	}
	diags.AddError("API key of another organization",
		fmt.Sprintf("The API key %q (%s) in the state belongs to the organization %s, but the provider's api_key belongs to the organization %q (%s). "+
			"Terraform has changed nothing. Set api_key (or %s) back to a key of %s; "+
			"to stop managing this key from this configuration instead, remove it from the state with terraform state rm.",
			name.ValueString(), id.ValueString(), organization.ValueString(), identity.Organization.Name, identity.Organization.ID,
			envAPIKey, organization.ValueString()))
}

// inCallersOrganization reports whether key, from the state, belongs to the
// organization of the provider's key. Otherwise it adds the error that says
// so, or, when the API cannot tell who the provider's key is, one under
// summary. A key recorded before keys carried their organization passes.
func (d *providerData) inCallersOrganization(ctx context.Context, key apiKeyModel, summary string, diags *diag.Diagnostics) bool {
	if key.OrganizationID.IsNull() {
		return true
	}
	identity, err := d.callerIdentity(ctx)
	if err != nil {
		diags.Append(clientErrorDiagnostic(summary, err))
		return false
	}
	var found diag.Diagnostics
	checkOrganization(identity, key, &found)
	diags.Append(found...)
	return !found.HasError()
}

// roleName spells a role as the Astral app does.
func roleName(role astral.MemberRole) string {
	return strings.ReplaceAll(string(role), "_", " ")
}

func withArticle(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}
