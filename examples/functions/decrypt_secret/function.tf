# The identity is ephemeral, so the secret is too: it can reach write-only
# arguments only, and never the state or the plan.
variable "astral_identity" {
  type      = string
  ephemeral = true
}

resource "astral_api_key" "roster_sync" {
  name              = "Roster sync script"
  secret_recipients = ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"]
}

resource "vault_kv_secret_v2" "roster_sync" {
  mount = "astral"
  name  = "roster-sync"
  data_json_wo = jsonencode({
    secret = provider::astral::decrypt_secret(astral_api_key.roster_sync.encrypted_secret, var.astral_identity)
  })
  data_json_wo_version = parseint(formatdate("YYYYMMDDhhmmss", astral_api_key.roster_sync.created_at), 10)
}
