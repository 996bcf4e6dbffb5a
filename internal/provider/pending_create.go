package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// replayWindow is how long after a create the provider asks the API again
// with its Idempotency-Key: the API replays a create for 24 hours, and the
// hour left is a margin for clocks that disagree.
const replayWindow = 23 * time.Hour

// pendingCreate is a create request that got no answer (the connection
// failed or timed out), so the API may or may not have created the key.
// Sent again with the same Idempotency-Key and body within the replay
// window, it returns that key, or creates it once if the first never
// arrived: either way the key reaches a state that knows it.
//
// It lives in the placeholder's state, not in private state: Terraform
// plans a tainted placeholder's replacement as a create and hands the
// delete half that plan's private state, in which it would be lost.
type pendingCreate struct {
	IdempotencyKey string
	Name           string
	ExpiresAt      *time.Time
	AttemptedAt    time.Time
}

func newPendingCreate(opts astral.APIKeyCreateOptions, now time.Time) pendingCreate {
	return pendingCreate{IdempotencyKey: opts.IdempotencyKey, Name: opts.Name, ExpiresAt: opts.ExpiresAt, AttemptedAt: now.UTC().Truncate(time.Second)}
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
	m.Secret = types.StringNull()
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
	p := &pendingCreate{IdempotencyKey: state.IdempotencyKey.ValueString(), Name: state.Name.ValueString()}
	if t, ok := parseTime(state.CreatedAt.StringValue); ok {
		p.AttemptedAt = t
	}
	if t, ok := parseTime(state.ExpiresAt.StringValue); ok {
		p.ExpiresAt = &t
	}
	return p
}

// replayable reports whether the API still replays p at now.
func (p pendingCreate) replayable(now time.Time) bool {
	return now.Sub(p.AttemptedAt) < replayWindow
}

// recoveryOutcome is how asking the API again for a pending create ended.
type recoveryOutcome int

const (
	// keyRecovered: the API returned the key, which existed already or was
	// created now; the placeholder becomes that key.
	keyRecovered recoveryOutcome = iota
	// recoveryRetryLater: the API could not answer (an error says why); the
	// placeholder stays for a later run.
	recoveryRetryLater
	// recoveryGivenUp: nothing can be recovered any more (a warning says
	// which key to look for); the placeholder goes.
	recoveryGivenUp
)

// recovery is the result of asking the API again for a pending create.
type recovery struct {
	outcome recoveryOutcome
	// key is set when the outcome is keyRecovered.
	key   *astral.APIKey
	diags diag.Diagnostics
}

// askAgain sends the create of p again, with its Idempotency-Key.
func (p pendingCreate) askAgain(ctx context.Context, client *astral.Client, now time.Time) recovery {
	if !p.replayable(now) {
		return p.givenUp("the API no longer remembers that request (it does for 24 hours)")
	}
	key, err := client.APIKeys.Create(ctx, astral.APIKeyCreateOptions{Name: p.Name, ExpiresAt: p.ExpiresAt, IdempotencyKey: p.IdempotencyKey})
	switch {
	case err == nil:
		return recovery{outcome: keyRecovered, key: key}
	case errors.Is(err, astral.ErrInvalidRequest), errors.Is(err, astral.ErrIdempotencyConflict):
		// A create that never arrived, sent too late for its expiry, is
		// refused: no key exists to recover.
		return p.givenUp(fmt.Sprintf("the API refused the same request now (%s)", err))
	default:
		return recovery{outcome: recoveryRetryLater, diags: diag.Diagnostics{
			clientErrorDiagnostic(fmt.Sprintf("Could not confirm whether the API key %q was created", p.Name), err),
		}}
	}
}

// givenUp is the recovery of a placeholder that is given up, with a warning
// that says why and which key to look for.
func (p pendingCreate) givenUp(why string) recovery {
	return recovery{outcome: recoveryGivenUp, diags: diag.Diagnostics{diag.NewWarningDiagnostic("API key creation could not be confirmed",
		fmt.Sprintf("An apply at %s could not tell whether the API created the key %q, and %s. "+
			"The placeholder has been removed from the state, and the next plan creates a new key. "+
			"Look for an active key named %q created around %s (the astral_api_keys data source or Settings → Security in the app), then import it or revoke it.",
			p.AttemptedAt.Format(time.RFC3339), p.Name, why, p.Name, p.AttemptedAt.Format(time.RFC3339)))}}
}
