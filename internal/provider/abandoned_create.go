package provider

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// A create is abandoned when the Terraform run that asked for it is gone
// before the answer could reach it: Terraform was killed (out of memory, a
// lost CI runner, SIGKILL), so the request's context ended although
// Terraform never asked the provider to stop. A key created for it would be
// active with no state that knows it, and its secret in nobody's hands: the
// provider revokes it at once. A graceful stop (SIGINT, SIGTERM) asks the
// provider to stop first; Terraform then saves what the create returns,
// the key or a placeholder.

// abandonedCreateTimeout bounds the clean-up of one abandoned create; the
// plugin process stays alive until its clean-ups end (see pluginserve).
const abandonedCreateTimeout = 30 * time.Second

// undoAbandonedCreate revokes the key that an abandoned create made: key,
// when the create returned it, or the one its Idempotency-Key names. A
// create whose answer was lost is sent once more with the same
// Idempotency-Key: the API serialises it with the first, still in flight
// perhaps, and returns the key that one made, or makes it now, once.
func (r *apiKeyResource) undoAbandonedCreate(ctx context.Context, client *astral.Client, opts astral.APIKeyCreateOptions, key *astral.APIKey, createErr error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonedCreateTimeout)
	defer cancel()
	if key == nil {
		var connErr *astral.ConnectionError
		if !errors.As(createErr, &connErr) || connErr.NotSent {
			// The API answered with an error, or never got the request:
			// no key exists.
			return
		}
		var err error
		if key, err = client.APIKeys.Create(ctx, opts); err != nil {
			tflog.Error(ctx, "Could not settle the create of an abandoned run; look for an active key of this name", map[string]any{"name": opts.Name, "error": err.Error()})
			return
		}
	}
	r.data.keyChanged(key.ID)
	if _, err := client.APIKeys.Revoke(ctx, key.ID); err != nil && !errors.Is(err, astral.ErrNotFound) {
		tflog.Error(ctx, "Could not revoke the key of an abandoned run", map[string]any{"id": key.ID, "name": key.Name, "error": err.Error()})
		return
	}
	tflog.Warn(ctx, "Revoked the key of a create whose Terraform run is gone", map[string]any{"id": key.ID, "name": key.Name, "replayed": key.Replayed})
}
