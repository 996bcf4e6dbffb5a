terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
    vault = {
      source = "hashicorp/vault"
    }
  }
}

resource "vault_mount" "kv" {
  path = "astral"
  type = "kv-v2"
}

resource "astral_api_key" "roster_sync" {
  name       = "Roster sync script"
  expires_at = "2028-06-30T00:00:00Z"

  lifecycle {
    # A replacement is created, and its secret written to Vault, before the
    # old key is revoked. Without this, Terraform revokes the old key first,
    # and the script fails until Vault holds the new secret.
    create_before_destroy = true
  }
}

# The secret is known only to the apply that created the key, so it is written
# to Vault in the same apply. A replaced key writes its new secret here too.
resource "vault_kv_secret_v2" "roster_sync" {
  mount = vault_mount.kv.path
  name  = "roster-sync"
  data_json = jsonencode({
    id     = astral_api_key.roster_sync.id
    secret = astral_api_key.roster_sync.secret
  })
}
