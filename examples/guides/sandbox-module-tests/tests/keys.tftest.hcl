# The key works, expires 90 days after its creation, and is replaced when
# the integration is renamed.
variables {
  integration = "Analytics integration"
}

run "creates_a_key_that_expires_in_90_days" {
  assert {
    condition     = astral_api_key.this.name == "Analytics integration"
    error_message = "The key must be named after the integration."
  }

  assert {
    condition     = astral_api_key.this.expires_at == timeadd(astral_api_key.this.created_at, "2160h")
    error_message = "The key must expire 90 days after its creation."
  }

  assert {
    condition     = startswith(astral_api_key.this.secret, "astral_live_") && !astral_api_key.this.ready_for_rotation
    error_message = "A new key must have a secret and not be due for rotation."
  }
}

# An earlier run's outputs reach an assertion through a variable: OpenTofu
# accepts run.NAME references in variables blocks only.
run "renaming_the_integration_replaces_the_key" {
  variables {
    integration  = "Analytics export"
    previous_key = run.creates_a_key_that_expires_in_90_days.key_id
  }

  assert {
    condition     = astral_api_key.this.id != var.previous_key
    error_message = "A new name must replace the key."
  }
}
