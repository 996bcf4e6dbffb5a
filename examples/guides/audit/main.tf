terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

variable "unused_for" {
  description = "How long a key may go unused before the audit reports it, as a Terraform duration."
  type        = string
  default     = "2160h" # 90 days
}

# Keys never used, or not used since the cut-off.
data "astral_api_keys" "unused" {
  unused_since = timeadd(plantimestamp(), "-${var.unused_for}")
}

data "astral_api_keys" "all" {}

locals {
  unused_keys         = [for k in data.astral_api_keys.unused.keys : "${k.name} (${k.id}, last used ${coalesce(k.last_used_at, "never")})"]
  never_expiring_keys = [for k in data.astral_api_keys.all.keys : "${k.name} (${k.id})" if k.expires_at == null]
}

# A failed check is a warning on plan and apply: the audit reports, it does
# not block other changes.
check "no_unused_keys" {
  assert {
    condition     = length(local.unused_keys) == 0
    error_message = "Revoke these API keys, unused for ${var.unused_for}: ${join(", ", local.unused_keys)}."
  }
}

check "every_key_expires" {
  assert {
    condition     = length(local.never_expiring_keys) == 0
    error_message = "These API keys never expire; replace them with keys that set expires_at: ${join(", ", local.never_expiring_keys)}."
  }
}

output "unused_keys" {
  value = local.unused_keys
}

output "never_expiring_keys" {
  value = local.never_expiring_keys
}
