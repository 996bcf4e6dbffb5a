# A key for a script that runs until the end of a season: it stops working on
# its own when it expires.
resource "astral_api_key" "roster_sync" {
  name       = "Roster sync script"
  expires_at = "2028-06-30T00:00:00Z"

  # A replacement (a new name or expires_at) is created, and its secret
  # handed on, before the old key is revoked: otherwise the script would have
  # a revoked key until it gets the new secret.
  lifecycle {
    create_before_destroy = true
  }
}

# A key that never expires. Prefer an expiry for keys used by scripts.
resource "astral_api_key" "analytics" {
  name = "Analytics integration"
}

# The secret is known only to the apply that created the key: hand it on from
# here (see the Vault guide), as it cannot be read back later.
output "roster_sync_secret" {
  value     = astral_api_key.roster_sync.secret
  sensitive = true
}

# A key replaced every 90 days: each new key expires 90 days after it is
# created, and the first apply in its last 14 days replaces it, creating the
# new key before revoking the old one (see the rotation guide for a grace
# overlap with revoke_on_destroy = false).
resource "astral_api_key" "ci" {
  name = "CI deploys"

  rotation = {
    expire_after  = "90d"
    rotate_before = "14d"
  }

  lifecycle {
    create_before_destroy = true
  }
}
