# A module under test: one API key per integration, each rotated every 90
# days. Its tests are in tests/, run by `terraform test` against the sandbox.
terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

variable "integrations" {
  description = "Names of the integrations that each get a key."
  type        = set(string)
  default     = ["Roster sync script"]
}

resource "astral_api_key" "integration" {
  for_each = var.integrations

  name = each.key
  rotation = {
    expire_after  = "90d"
    rotate_before = "14d"
  }
}

output "key_ids" {
  description = "The id of each integration's key."
  value       = { for name, key in astral_api_key.integration : name => key.id }
}
