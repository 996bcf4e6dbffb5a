package benchmark

import "fmt"

// Config returns the Terraform configuration of n resources of a kind, each
// named prefix followed by its index. The provider's endpoint and key come
// from the environment, so the configuration holds no secret.
func Config(kind Kind, n int, prefix string) string {
	switch kind {
	case KindProvider:
		return fmt.Sprintf(`terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

provider "astral" {}

resource "astral_api_key" "bench" {
  count = %d
  name  = "%s${count.index}"
}
`, n, prefix)
	case KindFloor:
		return fmt.Sprintf(`resource "terraform_data" "bench" {
  count = %d
  input = "%s${count.index}"
}
`, n, prefix)
	}
	panic(fmt.Sprintf("benchmark: unknown kind %q", kind))
}
