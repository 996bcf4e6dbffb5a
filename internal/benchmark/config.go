package benchmark

import "fmt"

// Config returns the Terraform configuration of n resources of a kind, each
// named prefix followed by its index. The provider's endpoint and key come
// from the environment, so the configuration holds no secret.
func Config(kind Kind, n int, prefix string) string {
	switch kind {
	case KindFloor:
		return fmt.Sprintf(`resource "terraform_data" "bench" {
  count = %d
  input = "%s${count.index}"
}
`, n, prefix)
	case KindPluginFloor:
		return requireProvider("floor") + fmt.Sprintf(`
resource "floor_data" "bench" {
  count = %d
  input = "%s${count.index}"
}
`, n, prefix)
	case KindSchemaFloor:
		return requireProvider("floor") + fmt.Sprintf(`
resource "floor_api_key" "bench" {
  count = %d
  name  = "%s${count.index}"
}
`, n, prefix)
	case KindProvider:
		return requireProvider("astral") + fmt.Sprintf(`
provider "astral" {}

resource "astral_api_key" "bench" {
  count = %d
  name  = "%s${count.index}"
}
`, n, prefix)
	}
	panic(fmt.Sprintf("benchmark: unknown kind %q", kind))
}

// requireProvider is the terraform block that requires astral/<name>, which
// the benchmark's CLI configuration overrides with a built binary.
func requireProvider(name string) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    %s = {
      source = "astral/%s"
    }
  }
}
`, name, name)
}
