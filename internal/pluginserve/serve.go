// Package pluginserve starts a provider process tuned for the way Terraform
// runs it: a short-lived process whose logs Terraform usually discards.
package pluginserve

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
)

// gcPercent is the garbage collector's target while serving. A plan of a
// thousand keys allocates about 750 MB in short-lived request values; at
// Go's default of 100 the collector takes a quarter of the provider's CPU
// time. At 400 it takes a quarter of that, for a peak resident set 1.6 to 2
// times as large (250 to 320 MiB instead of 160 MiB for a thousand keys).
const gcPercent = 400

// Serve serves the provider after tuning the process; see quietSDKLogs and
// tuneGC. A user's GOGC and TF_LOG_SDK* variables are left alone.
func Serve(ctx context.Context, p func() provider.Provider, opts providerserver.ServeOpts) error {
	if err := quietSDKLogs(); err != nil {
		return err
	}
	tuneGC()
	return providerserver.Serve(ctx, p, opts)
}

// quietSDKLogs turns the plugin SDK's own loggers off when Terraform will
// discard what they write. Unless TF_LOG or TF_LOG_PROVIDER is set, Terraform
// reads the provider's stderr and drops every line, yet the SDK still formats
// a trace-level entry for each call: about half the provider's CPU time in a
// refresh of a thousand keys. The SDK reads these variables on every call, so
// setting them before serving is enough; a variable the user set is left
// alone, and with TF_LOG or TF_LOG_PROVIDER set the logs are complete.
func quietSDKLogs() error {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return nil
	}
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"} {
		if _, set := os.LookupEnv(name); !set {
			if err := os.Setenv(name, "off"); err != nil {
				return fmt.Errorf("turn the SDK's logs off: %w", err)
			}
		}
	}
	return nil
}

// tuneGC trades memory for CPU time (see gcPercent), unless GOGC says
// otherwise.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}
