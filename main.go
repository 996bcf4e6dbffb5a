// Command terraform-provider-astral serves the Astral Terraform provider.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/astral/terraform-provider-astral/internal/provider"
)

// version is set at build time by goreleaser (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	quietSDKLogs()
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/astral/astral",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}

// quietSDKLogs turns the plugin SDK's own loggers off when Terraform will
// discard what they write. Unless TF_LOG or TF_LOG_PROVIDER is set, Terraform
// reads the provider's stderr and drops every line, yet the SDK still formats
// a trace-level entry for each call: about half the provider's CPU time in a
// refresh of a thousand keys. The SDK reads these variables on every call, so
// setting them before Serve is enough; a variable the user set is left alone,
// and with TF_LOG or TF_LOG_PROVIDER set the logs are complete.
func quietSDKLogs() {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"} {
		if _, set := os.LookupEnv(name); !set {
			if err := os.Setenv(name, "off"); err != nil {
				log.Fatal(err)
			}
		}
	}
}
