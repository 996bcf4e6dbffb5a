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

# The public key of an age identity (age-keygen -y) or an SSH public key.
variable "astral_recipient" {
  type = string
}

# The matching private key. Ephemeral: Terraform keeps it out of the state
# and the plan, and so is everything computed from it.
variable "astral_identity" {
  type      = string
  ephemeral = true
}

resource "vault_mount" "kv" {
  path = "astral"
  type = "kv-v2"
}

resource "astral_api_key" "roster_sync" {
  name       = "Roster sync script"
  expires_at = "2028-06-30T00:00:00Z"

  # The state holds the secret encrypted to this recipient only.
  secret_recipients = [var.astral_recipient]

  lifecycle {
    create_before_destroy = true
  }
}

resource "vault_kv_secret_v2" "roster_sync" {
  mount = vault_mount.kv.path
  name  = "roster-sync"

  # Decrypted with an ephemeral identity, the secret is ephemeral: it goes to
  # Vault through a write-only argument, which no state or plan records.
  data_json_wo = jsonencode({
    id     = astral_api_key.roster_sync.id
    secret = provider::astral::decrypt_secret(astral_api_key.roster_sync.encrypted_secret, var.astral_identity)
  })
  # A write-only argument is sent when its version changes: the creation
  # time of the key, as a number, changes with each new key.
  data_json_wo_version = parseint(formatdate("YYYYMMDDhhmmss", astral_api_key.roster_sync.created_at), 10)
}
