terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

# One key of the head coach per workspace, so that each workspace has a rate
# limit of its own. Apply this configuration on its own, with the head
# coach's key, and store each secret where that workspace's runs read
# ASTRAL_API_KEY from (see the Vault guide).
locals {
  workspaces = ["coaching-app", "ci", "data-exports"]
}

resource "astral_api_key" "workspace" {
  count = length(local.workspaces)

  name = "Terraform workspace ${local.workspaces[count.index]}"

  rotation = {
    expire_after  = "90d"
    rotate_before = "14d"
  }

  lifecycle {
    create_before_destroy = true
  }
}

output "workspace_api_keys" {
  value     = zipmap(local.workspaces, astral_api_key.workspace[*].secret)
  sensitive = true
}
