package benchmark

import (
	"fmt"
	"strings"
)

// benchResources is what the configuration of each kind declares: the
// provider it requires (none for Terraform's own resource), the resource
// type, and the argument that receives each resource's name.
var benchResources = map[Kind]struct{ provider, typ, argument string }{
	KindFloor:       {"", "terraform_data", "input"},
	KindPluginFloor: {"floor", "floor_data", "input"},
	KindSchemaFloor: {"floor", "floor_api_key", "name"},
	KindProvider:    {"astral", "astral_api_key", "name"},
}

// Config returns the Terraform configuration of n resources of a kind, each
// named prefix followed by its index. The provider's endpoint and key come
// from the environment, so the configuration holds no secret.
func Config(kind Kind, n int, prefix string) string {
	r, ok := benchResources[kind]
	if !ok {
		panic(fmt.Sprintf("benchmark: unknown kind %q", kind))
	}
	var b strings.Builder
	if r.provider != "" {
		// The benchmark's CLI configuration overrides astral/<provider>
		// with a built binary.
		fmt.Fprintf(&b, "terraform {\n  required_providers {\n    %s = {\n      source = \"astral/%s\"\n    }\n  }\n}\n\n", r.provider, r.provider)
	}
	if kind == KindProvider {
		b.WriteString("provider \"astral\" {}\n\n")
	}
	fmt.Fprintf(&b, "resource %q \"bench\" {\n  count = %d\n  %-5s = \"%s${count.index}\"\n}\n", r.typ, n, r.argument, prefix)
	return b.String()
}
