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

data "astral_api_keys" "active" {
  lifecycle {
    postcondition {
      condition     = length(setintersection(self.keys[*].id, var.demo_key_ids)) == 0
      error_message = "Destroyed keys are still active: ${join(", ", setintersection(self.keys[*].id, var.demo_key_ids))}."
    }
  }
}

output "destroyed_keys_still_active" {
  value = tolist(setintersection(data.astral_api_keys.active.keys[*].id, var.demo_key_ids))
}

output "active_keys" {
  description = "What remains: the keys the sandbox gave its members."
  value       = [for k in data.astral_api_keys.active.keys : "${k.name} (...${k.secret_hint})"]
}
