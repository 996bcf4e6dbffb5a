terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

# Keys that keep every rule of the policy: each is named team-purpose and
# expires at most 90 days after it is created, and rotation replaces it
# before then.
resource "astral_api_key" "ci_deploys" {
  name = "ci-deploys"

  rotation = {
    expire_after  = "90d"
    rotate_before = "14d"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# A script's key, replaced every 30 days.
resource "astral_api_key" "roster_sync" {
  name = "roster-sync"

  rotation = {
    expire_after  = "30d"
    rotate_before = "7d"
  }

  lifecycle {
    create_before_destroy = true
  }
}
