// Command terraform-provider-astral serves the Astral Terraform provider.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/astral/terraform-provider-astral/internal/pluginserve"
	"github.com/astral/terraform-provider-astral/internal/provider"
)

// version is set at build time by goreleaser (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := pluginserve.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/astral/astral",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
