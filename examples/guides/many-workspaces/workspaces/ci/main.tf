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

locals {
  jobs = ["build", "deploy", "nightly-tests"]
}

resource "astral_api_key" "ci" {
  count = length(local.jobs)

  name       = "CI ${local.jobs[count.index]}"
  expires_at = "2027-12-31T00:00:00Z"
}
