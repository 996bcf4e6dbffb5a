# The configuration `make demo` applies to the sandbox. The provider reads its
# endpoint and key from ASTRAL_ENDPOINT and ASTRAL_API_KEY.
terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

# The expiry is fixed when the key is created, 90 days ahead; later plans keep
# it, so they do not replace the key.
resource "terraform_data" "roster_sync_expiry" {
  input = timeadd(plantimestamp(), "2160h")

  lifecycle {
    ignore_changes = [input]
  }
}

resource "astral_api_key" "roster_sync" {
  name       = "Demo roster sync script"
  expires_at = terraform_data.roster_sync_expiry.output
}

resource "astral_api_key" "analytics" {
  name = "Demo analytics integration"
}

data "astral_api_keys" "demo" {
  name_regex = "^Demo "

  depends_on = [astral_api_key.roster_sync, astral_api_key.analytics]
}

output "created_keys" {
  description = "The keys this configuration manages: names, ids, hints and expiry, never secrets."
  value = {
    for k in [astral_api_key.roster_sync, astral_api_key.analytics] : k.name => {
      id          = k.id
      secret_hint = k.secret_hint
      expires_at  = coalesce(k.expires_at, "never")
    }
  }
}

output "listed_keys" {
  description = "The same keys as the data source lists them."
  value       = [for k in data.astral_api_keys.demo.keys : "${k.name} (...${k.secret_hint}, created by ${k.created_by.name})"]
}

output "key_ids" {
  description = "Ids of the keys, to check after destroy that they are revoked."
  value       = [astral_api_key.roster_sync.id, astral_api_key.analytics.id]
}
