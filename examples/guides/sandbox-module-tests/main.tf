# A module under test: an integration's API key, rotated every 90 days. Its
# tests are in tests/, run by `terraform test` against the sandbox.
terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

variable "integration" {
  description = "The integration the key is for; the key's name."
  type        = string
  default     = "Roster sync script"
}

resource "astral_api_key" "this" {
  name = var.integration
  rotation = {
    expire_after  = "90d"
    rotate_before = "14d"
  }
}

output "key_id" {
  description = "The key's id."
  value       = astral_api_key.this.id
}
