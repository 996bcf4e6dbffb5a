// Package stopsignal tells a provider's request whether Terraform asked
// the provider to stop, so that a request whose context ends can tell a
// graceful stop (SIGINT, SIGTERM: Terraform still saves what the request
// returns) from a Terraform that is gone (killed: nothing it returns will
// ever be saved).
package stopsignal

import "context"

type key struct{}

// With returns ctx carrying stopRequested, which reports whether
// Terraform has asked the provider to stop. The server that serves the
// provider to Terraform sets it (see pluginserve).
func With(ctx context.Context, stopRequested func() bool) context.Context {
	return context.WithValue(ctx, key{}, stopRequested)
}

// RunGone reports whether the Terraform run that made the request of ctx
// is gone: the context ended and Terraform had not asked the provider to
// stop. Without a stop signal (a provider served in-process by tests), a
// context that ends is taken for a graceful stop.
func RunGone(ctx context.Context) bool {
	stopRequested, ok := ctx.Value(key{}).(func() bool)
	return ok && ctx.Err() != nil && !stopRequested()
}
