package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// providerData is what Configure hands to every resource and data source.
type providerData struct {
	// client is nil when the provider's configuration is not known yet (a
	// plan whose provider arguments depend on other resources).
	client *astral.Client
	// now decides whether a time has passed; tests replace it.
	now func() time.Time
	// listing serves the reads of this process (see keyListing).
	listing keyListing
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
// one run share one listing of the organization's keys. The caller has
// checked that there is a client (apiClient).
func (d *providerData) readAPIKey(ctx context.Context, id string) (*astral.APIKey, error) {
	if key, ok := d.listing.read(ctx, d.client, id); ok {
		return key, nil
	}
	return d.client.APIKeys.Read(ctx, id)
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
