terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

# Every workspace runs with the head coach's key in ASTRAL_API_KEY. When the
# workspaces run at once on one key, they share its rate limit, and a
# request may wait longer for its turn than in a run alone.
provider "astral" {
  rate_limit_wait = "10m"
}

locals {
  integrations = ["roster-sync", "results-import", "calendar-feed"]
}

resource "astral_api_key" "app" {
  count = length(local.integrations)

  name = "Coaching app ${local.integrations[count.index]}"
}
