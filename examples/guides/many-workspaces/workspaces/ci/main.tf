terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

provider "astral" {
  rate_limit_wait = "10m"
}

resource "astral_api_key" "ci" {
  for_each = toset(["build", "deploy", "nightly-tests"])

  name       = "CI ${each.key}"
  expires_at = "2027-12-31T00:00:00Z"
}
