package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// pendingCreate is a create request that was sent but got no answer (the
// connection failed or timed out after it was written), so the API may or
// may not have created the key. The API remembers the Idempotency-Key of
// the create that made a key for as long as the key exists, so a later
// apply asks it which key that was, if any, and revokes it: no key is left
// active without a state that knows it, however long the placeholder waits.
//
// It lives in the placeholder's state, not in private state: Terraform
// plans a tainted placeholder's replacement as a create and hands the
// delete half that plan's private state, in which it would be lost.
type pendingCreate struct {
	IdempotencyKey string
	Name           string
	ExpiresAt      *time.Time
	// AttemptedAt is when the request was sent, by the API's clock as far as
	// the provider had heard it (see providerData.now). Messages name it;
	// nothing is decided by it, since clocks may disagree.
	AttemptedAt time.Time
	// OrganizationID is the organization of the provider's key that sent
	// it, when known: a placeholder is settled only by that organization.
	OrganizationID string
}

func newPendingCreate(opts astral.APIKeyCreateOptions, attemptedAt time.Time, caller *astral.Identity) pendingCreate {
	p := pendingCreate{IdempotencyKey: opts.IdempotencyKey, Name: opts.Name, ExpiresAt: opts.ExpiresAt, AttemptedAt: attemptedAt.UTC().Truncate(time.Second)}
	if caller != nil {
		p.OrganizationID = caller.Organization.ID
	}
	return p
}

// placeholder is the state of a key whose create got no answer: the
// request's idempotency key, and its time as created_at.
func (p pendingCreate) placeholder(plan apiKeyResourceModel) apiKeyResourceModel {
	m := plan
	m.apiKeyModel = apiKeyModel{
		ID:             types.StringNull(),
		OrganizationID: types.StringNull(),
		Name:           plan.Name,
		SecretHint:     types.StringNull(),
		CreatedAt:      rfc3339(&p.AttemptedAt),
		CreatedBy:      types.ObjectNull(memberAttrTypes),
		ExpiresAt:      rfc3339(p.ExpiresAt),
	}
	if p.OrganizationID != "" {
		m.OrganizationID = types.StringValue(p.OrganizationID)
	}
	m.Secret = types.StringNull()
	m.EncryptedSecret = types.StringNull()
	m.IdempotencyKey = types.StringValue(p.IdempotencyKey)
	m.ReadyForRotation = types.BoolValue(false)
	return m
}

// pendingCreateOf returns the pending create of a placeholder's state, or
// nil for the state of a key the API confirmed.
func pendingCreateOf(state apiKeyResourceModel) *pendingCreate {
	if state.IdempotencyKey.IsNull() || state.IdempotencyKey.IsUnknown() {
		return nil
	}
	p := &pendingCreate{IdempotencyKey: state.IdempotencyKey.ValueString(), Name: state.Name.ValueString(), OrganizationID: state.OrganizationID.ValueString()}
	if t, ok := parseTime(state.CreatedAt.StringValue); ok {
		p.AttemptedAt = t
	}
	if t, ok := parseTime(state.ExpiresAt.StringValue); ok {
		p.ExpiresAt = &t
	}
	return p
}

// keepPendingCreate saves state, a placeholder or a key whose secret
// nothing holds, for a create that failed after the API may have made a
// key: the next plan replaces it, and its apply settles the create (see
// settlePendingCreate), so that no key is left active without a state that
// knows it. cause is the error that says why.
func (r *apiKeyResource) keepPendingCreate(ctx context.Context, state apiKeyResourceModel, cause diag.Diagnostic, resp *resource.CreateResponse) {
	tflog.Warn(ctx, "Create of an API key not confirmed: keeping a placeholder", map[string]any{"name": state.Name.ValueString(), "id": state.ID.ValueString()})
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	if resp.Identity != nil && state.ID.IsNull() {
		// A placeholder has no key id yet: its identity is its organization.
		resp.Diagnostics.Append(resp.Identity.Set(ctx, apiKeyIdentityModel{ID: types.StringNull(), OrganizationID: state.OrganizationID})...)
	}
	what := fmt.Sprintf("The API may have created the key %q before the connection failed. Terraform keeps a placeholder for it in the state, "+
		"and the next apply replaces it: it asks the API which key that request created, if any, revokes it (nothing holds its secret) "+
		"and creates a new one, so that no key is left behind. Run terraform apply again.", state.Name.ValueString())
	if !state.ID.IsNull() {
		what = fmt.Sprintf("The API created the key %q (%s), but nothing holds its secret. The next apply revokes it and creates a new one.",
			state.Name.ValueString(), state.ID.ValueString())
	}
	if failedCreateKept(r.data.terraformVersion) {
		resp.Diagnostics.Append(cause)
		resp.Diagnostics.AddWarning("API key creation not confirmed", what)
		return
	}
	// The apply cannot fail with the placeholder on this CLI: the warning
	// carries the error, and the plan replaces the untainted placeholder
	// all the same (see ModifyPlan).
	resp.Diagnostics.AddWarning("API key creation not confirmed: "+cause.Summary(),
		what+fmt.Sprintf(" (Terraform %s cannot save a failed create's state, so this apply does not fail.)\n\n", r.data.terraformVersion)+cause.Detail())
}

// failedCreateKept reports whether the CLI of terraformVersion saves the
// state that a create returns with an error, as a tainted object. Terraform
// 1.16 (1.16.0-rc2, and its main branch in 2026-12) does not: it saves the
// object as tainted, then once more with the status of the empty object it
// had before the create, and crashes ("has status ObjectStatus(0), which
// cannot be saved in state"), losing the run's state. There, the create
// returns with a warning. OpenTofu sends its own version, below 1.16.
func failedCreateKept(terraformVersion string) bool {
	parts := strings.SplitN(strings.SplitN(terraformVersion, "-", 2)[0], ".", 3)
	if len(parts) < 2 {
		return true
	}
	major, errMajor := strconv.Atoi(parts[0])
	minor, errMinor := strconv.Atoi(parts[1])
	if errMajor != nil || errMinor != nil {
		return true
	}
	return major < 1 || (major == 1 && minor < 16)
}

// settlePendingCreate destroys a placeholder: it asks the API which key its
// create made, if any, and revokes that key, whose secret nobody has. One
// warning tells what happened. When the API cannot answer, the placeholder
// stays, with the error.
func (r *apiKeyResource) settlePendingCreate(ctx context.Context, client *astral.Client, state apiKeyResourceModel, diags *diag.Diagnostics) {
	pending := pendingCreateOf(state)
	sent := "An earlier apply"
	if !pending.AttemptedAt.IsZero() {
		sent = "An apply at " + pending.AttemptedAt.Format(time.RFC3339)
	}
	keys, err := client.APIKeys.FindByIdempotencyKey(ctx, pending.IdempotencyKey)
	switch {
	case errors.Is(err, astral.ErrNotFound):
		tflog.Info(ctx, "Unconfirmed create made no key", map[string]any{"name": pending.Name})
		// The API answers 404 to another organization's key as well.
		if !r.data.inCallersOrganization(ctx, state.apiKeyModel, "Could not confirm whether the API key "+strconv.Quote(pending.Name)+" was created", diags) {
			return
		}
		diags.AddWarning("Unconfirmed API key creation settled",
			fmt.Sprintf("%s sent the creation of the API key %q and got no answer. The API says that request created no key (it never arrived, or failed), "+
				"so nothing is left behind; the new key takes the placeholder's place in the state.", sent, pending.Name))
		return
	case err != nil:
		diags.Append(clientErrorDiagnostic(fmt.Sprintf("Could not confirm whether the API key %q was created", pending.Name), err))
		return
	}

	// One key, unless the same idempotency key was sent again after the
	// API's replay had ended: each is the placeholder's, none has a holder.
	var settled []string
	for _, key := range keys {
		r.data.keyChanged(key.ID)
		outcome := "has been revoked"
		switch key.Status {
		case astral.APIKeyStatusActive:
			if _, err := client.APIKeys.Revoke(ctx, key.ID); err != nil && !errors.Is(err, astral.ErrNotFound) {
				diags.Append(clientErrorDiagnostic(fmt.Sprintf("Could not revoke the API key %q (%s), made by an unconfirmed create", key.Name, key.ID), err))
				return
			}
		case astral.APIKeyStatusRevoked:
			outcome = "had been revoked already"
		default:
			outcome = "had expired already"
		}
		tflog.Info(ctx, "Settled an unconfirmed create", map[string]any{"id": key.ID, "status": string(key.Status)})
		settled = append(settled, fmt.Sprintf("the API had created it at %s (%s), and that key, whose secret nothing holds, %s",
			key.CreatedAt.UTC().Format(time.RFC3339), key.ID, outcome))
	}
	diags.AddWarning("Unconfirmed API key creation settled",
		fmt.Sprintf("%s got no answer when it created the API key %q: %s. The new key takes the placeholder's place in the state.",
			sent, pending.Name, strings.Join(settled, "; ")))
}

// setPlaceholderIdentity gives a placeholder, which has no key id yet, the
// identity of its organization: the one it recorded, or the provider's.
func (r *apiKeyResource) setPlaceholderIdentity(ctx context.Context, state apiKeyResourceModel, resp *resource.ReadResponse) {
	if resp.Identity == nil || !state.ID.IsNull() {
		return
	}
	organization := state.OrganizationID
	if organization.IsNull() {
		caller, err := r.data.callerIdentity(ctx)
		if err != nil {
			resp.Diagnostics.Append(clientErrorDiagnostic("Could not tell the organization of the provider's API key", err))
			return
		}
		organization = types.StringValue(caller.Organization.ID)
	}
	resp.Diagnostics.Append(resp.Identity.Set(ctx, apiKeyIdentityModel{ID: types.StringNull(), OrganizationID: organization})...)
}
