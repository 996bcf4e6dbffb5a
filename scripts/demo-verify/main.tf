# Run by scripts/demo.sh after `terraform destroy`: fails unless every key the
# demo created is gone from the organization's active keys.
terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

variable "demo_key_ids" {
  description = "Ids of the keys the demo created and then destroyed."
  type        = list(string)
}

# The list holds active keys only: a destroyed key that is not expired is
# missing from it only if it is revoked.
data "astral_api_keys" "active" {
  lifecycle {
    postcondition {
      condition     = length([for id in var.demo_key_ids : id if contains(self.keys[*].id, id)]) == 0
      error_message = "Destroyed keys are still active: ${join(", ", [for id in var.demo_key_ids : id if contains(self.keys[*].id, id)])}."
    }
  }
}

output "destroyed_keys_still_active" {
  value = [for id in var.demo_key_ids : id if contains(data.astral_api_keys.active.keys[*].id, id)]
}

output "active_keys" {
  description = "What remains: the keys the sandbox gave its members."
  value       = [for k in data.astral_api_keys.active.keys : "${k.name} (...${k.secret_hint})"]
}
