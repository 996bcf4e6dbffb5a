package provider

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// providerData is what Configure hands to every resource and data source.
type providerData struct {
	// client is nil when the provider's configuration is not known yet (a
	// plan whose provider arguments depend on other resources).
	client *astral.Client
	// machineNow is this machine's clock, the time without a client; tests
	// replace it. With a client, the time is the API's (see now).
	machineNow func() time.Time
	// listing serves the reads of this process (see keyListing).
	listing keyListing
	// caller is who the provider's key is, once the API has said so.
	caller callerCache
	// refused is whether this process has said why the provider's key
	// cannot manage API keys (see reportRefusal).
	refused callerRefusal
	// terraformVersion is the version of the CLI that runs the provider
	// (OpenTofu sends its own); see failedCreateKept.
	terraformVersion string
	// created are the keys this process created, which a killed run
	// revokes (see undoRun).
	created runKeys
}

// now is the API's current time, by which it decides expiry, as far as
// this process has heard from the API (see astral.Client.Now); before
// that, this machine's. It sends nothing: a call that must agree with the
// API's clock asks the API first (see syncClock).
func (d *providerData) now() time.Time {
	if d.client == nil {
		return d.machineNow()
	}
	return d.client.Now()
}

// syncClock makes sure this process has heard the API's clock, asking who
// the provider's key is (a read it needs anyway) when nothing has been
// heard yet, so that an expiry computed from now agrees with the API even
// when this machine's clock does not.
func (d *providerData) syncClock(ctx context.Context) error {
	if d.client.ClockObserved() {
		return nil
	}
	_, err := d.callerIdentity(ctx)
	return err
}

// apiClient returns the client, or, when there is none (the provider's
// arguments are known only after apply), the error that says so. Every
// caller returns on that error; a refresh returns without it.
func (d *providerData) apiClient() (*astral.Client, diag.Diagnostic) {
	if d == nil || d.client == nil {
		return nil, diag.NewErrorDiagnostic("Provider configuration not known",
			"The provider's arguments depend on values known only after apply, so it cannot call the Astral API yet. "+
				"Apply the resources the provider configuration depends on first (for example with -target), then run Terraform again.")
	}
	return d.client, nil
}

// readAPIKey is the one way a resource reads a key, so that the reads of
// one run share one listing of the organization's keys.
func (d *providerData) readAPIKey(ctx context.Context, client *astral.Client, id string) (*astral.APIKey, error) {
	if key, ok := d.listing.read(ctx, client, id); ok {
		return key, nil
	}
	return client.APIKeys.Read(ctx, id)
}

// keyChanged tells later reads of this process that the key was created or
// revoked here, so that they do not answer from a listing older than that.
func (d *providerData) keyChanged(id string) {
	d.listing.forget(id)
}

// configured is embedded by every resource and data source: it is the one
// place that receives the provider's data.
type configured struct {
	data *providerData
}

// configure stores the provider's data. It is nil when Terraform validates
// a configuration before configuring the provider; the data is then unused.
func (c *configured) configure(v any, diags *diag.Diagnostics) {
	if v == nil {
		return
	}
	data, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", v))
		return
	}
	c.data = data
}

// callerCache holds the answer to GET /v1/me for the life of a process
// once the API has given it: one successful request per process, whatever
// the number of resources. A failure is never kept: it is the answer of
// the calls that were waiting for that request, and the next call asks
// again, with its own context.
type callerCache struct {
	mu       sync.Mutex
	identity *astral.Identity
	// flight is the request in progress, which calls made meanwhile wait
	// for instead of each sending the same one.
	flight *callerFlight
}

type callerFlight struct {
	done     chan struct{}
	identity *astral.Identity
	err      error
	// ctxEnded reports that the request failed because the context of the
	// call that sent it ended: a failure of that call alone.
	ctxEnded bool
}

// callerIdentity is who the provider's key is: its member, with the
// member's role, and its organization, with its plan. The caller has checked
// that there is a client (apiClient).
func (d *providerData) callerIdentity(ctx context.Context) (*astral.Identity, error) {
	for {
		d.caller.mu.Lock()
		if d.caller.identity != nil {
			defer d.caller.mu.Unlock()
			return d.caller.identity, nil
		}
		if f := d.caller.flight; f != nil {
			d.caller.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if f.ctxEnded {
				continue
			}
			return f.identity, f.err
		}
		f := &callerFlight{done: make(chan struct{})}
		d.caller.flight = f
		d.caller.mu.Unlock()

		f.identity, f.err = d.client.Me(ctx)
		f.ctxEnded = f.err != nil && ctx.Err() != nil
		d.caller.mu.Lock()
		d.caller.flight = nil
		if f.err == nil {
			d.caller.identity = f.identity
		}
		d.caller.mu.Unlock()
		close(f.done)
		return f.identity, f.err
	}
}
