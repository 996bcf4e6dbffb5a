terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

variable "name_prefix" {
  description = "The prefix of the names of the keys this configuration manages: no other key should carry it."
  type        = string
  default     = "ci-runner-"
}

resource "astral_api_key" "runner" {
  count = 2
  name  = "${var.name_prefix}${count.index}"
  rotation = {
    expire_after  = "90d"
    rotate_before = "14d"
  }
}

# Every active key named like the keys above, read after they are applied.
data "astral_api_keys" "named_like_ours" {
  name_regex = "^${var.name_prefix}"
  depends_on = [astral_api_key.runner]
}

locals {
  managed = toset(astral_api_key.runner[*].id)
  orphans = [
    for k in data.astral_api_keys.named_like_ours.keys : "${k.name} (${k.id}, created ${k.created_at})"
    if !contains(local.managed, k.id)
  ]
}

# A key that carries the prefix but is in no state: left by a run whose
# provider process was killed during a create, or made by hand. Revoke it
# (the astral_revoke_api_key action, or the app), or import it.
check "no_orphaned_keys" {
  assert {
    condition     = length(local.orphans) == 0
    error_message = "Active API keys named ${var.name_prefix}* that this state does not manage: ${join(", ", local.orphans)}."
  }
}

output "orphaned_keys" {
  value = local.orphans
}
