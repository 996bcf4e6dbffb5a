terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
    time = {
      source = "hashicorp/time"
    }
    vault = {
      source = "hashicorp/vault"
    }
  }
}

# An outside schedule on top of the key's own: a new id every Monday.
resource "time_rotating" "weekly" {
  rotation_days = 7
}

resource "astral_api_key" "ci" {
  name = "CI deploys"

  rotation = {
    expire_after  = "90d" # each key lives 90 days
    rotate_before = "14d" # the first apply in the last 14 days replaces it
  }

  # The replaced key keeps working until it expires: the grace overlap during
  # which consumers move to the new secret. That is at most 14 days after a
  # rotation by the window, and up to 90 days after an earlier replacement
  # (by rotate_when_changed, for example).
  revoke_on_destroy = false

  # Optional: any change to these values replaces the key at once.
  rotate_when_changed = {
    schedule = time_rotating.weekly.id
    manual   = "1" # change to rotate now
  }

  lifecycle {
    # The new key is created, and its secret written to Vault, before the old
    # one is destroyed. Without this, Terraform destroys the old key first,
    # and consumers have no working key until Vault holds the new secret.
    create_before_destroy = true
  }
}

# The apply that creates each new key writes its secret to Vault, where the
# consumers read it.
resource "vault_kv_secret_v2" "ci" {
  mount = "astral" # the kv-v2 mount of the Vault guide
  name  = "ci-deploys"
  data_json = jsonencode({
    id         = astral_api_key.ci.id
    secret     = astral_api_key.ci.secret
    expires_at = astral_api_key.ci.expires_at
  })
}
