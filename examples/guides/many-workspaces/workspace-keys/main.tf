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
resource "astral_api_key" "workspace" {
  for_each = toset(["coaching-app", "ci", "data-exports"])

  name = "Terraform workspace ${each.key}"

  rotation = {
    expire_after  = "90d"
    rotate_before = "14d"
  }

  lifecycle {
    create_before_destroy = true
  }
}

output "workspace_api_keys" {
  value     = { for workspace, key in astral_api_key.workspace : workspace => key.secret }
  sensitive = true
}
