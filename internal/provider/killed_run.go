package provider

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// A run is killed when Terraform dies during an apply (SIGKILL, out of
// memory, a lost CI runner) while the provider's process lives on (see
// pluginserve). Terraform then saves nothing more: a key whose create is in
// flight can never reach the state, and a key already handed to Terraform
// may not have reached it either (Terraform writes the state after each
// resource, and a remote backend persists it only every few seconds). A key
// that no state knows is active with its secret in nobody's hands, so the
// provider undoes the run: it revokes every key it created for it. The
// next apply finds the ones Terraform did save revoked, and replaces them.
// A graceful stop (SIGINT, SIGTERM) asks the provider to stop first;
// Terraform then saves what each create returns, the key or a placeholder.

// killedRunTimeout bounds the clean-up of a killed run; the provider's
// process stays alive until it ends (see pluginserve).
const killedRunTimeout = 30 * time.Second

// runKeys are the keys this process created for its run.
type runKeys struct {
	mu   sync.Mutex
	keys map[string]string // id → name
}

func (k *runKeys) add(key *astral.APIKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[string]string{}
	}
	k.keys[key.ID] = key.Name
}

func (k *runKeys) all() map[string]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	all := make(map[string]string, len(k.keys))
	for id, name := range k.keys {
		all[id] = name
	}
	return all
}

// undoRun revokes every key this process created for its run, once the run
// is killed and its requests have ended (see runwatch.Watch.Gone), those
// settled by settleAbandonedCreate included. Revoking a key already
// revoked (by Delete, or by an ephemeral key's Close) succeeds.
func (d *providerData) undoRun(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, killedRunTimeout)
	defer cancel()
	var wg sync.WaitGroup
	// As many at once as Terraform's default parallelism: the client paces
	// them to the API's rate limit anyway.
	slots := make(chan struct{}, 10)
	for id, name := range d.created.all() {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			d.revokeForKilledRun(ctx, id, name)
		})
	}
	wg.Wait()
}

func (d *providerData) revokeForKilledRun(ctx context.Context, id, name string) {
	d.keyChanged(id)
	if _, err := d.client.APIKeys.Revoke(ctx, id); err != nil && !errors.Is(err, astral.ErrNotFound) {
		tflog.Error(ctx, "Could not revoke a key of a killed run; revoke it by hand", map[string]any{"id": id, "name": name, "error": err.Error()})
		return
	}
	tflog.Warn(ctx, "Revoked a key of a killed run", map[string]any{"id": id, "name": name})
}

// settleAbandonedCreate returns the key that a create of a killed run made
// although its answer was lost, for undoRun to revoke, or nil when it made
// none. The create is sent once more with the same Idempotency-Key: the API
// serialises it with the first, still in flight perhaps, and returns the
// key that one made, or makes it now, once.
func (r *apiKeyResource) settleAbandonedCreate(ctx context.Context, client *astral.Client, opts astral.APIKeyCreateOptions, createErr error) *astral.APIKey {
	var connErr *astral.ConnectionError
	if !errors.As(createErr, &connErr) || connErr.NotSent {
		// The API answered with an error, or never got the request: no key
		// exists.
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killedRunTimeout)
	defer cancel()
	key, err := client.APIKeys.Create(ctx, opts)
	if err != nil {
		tflog.Error(ctx, "Could not settle the create of a killed run; look for an active key of this name", map[string]any{"name": opts.Name, "error": err.Error()})
		return nil
	}
	// Replayed: the first request had made the key; otherwise it never
	// arrived, and this one made it.
	tflog.Debug(ctx, "Settled the create of a killed run", map[string]any{"id": key.ID, "first_request_arrived": key.Replayed})
	return key
}
