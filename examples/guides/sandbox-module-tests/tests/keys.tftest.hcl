# Each integration gets a working key that expires 90 days after its creation.
variables {
  integrations = ["Roster sync script", "Analytics integration"]
}

run "creates_a_key_per_integration" {
  assert {
    condition     = length(output.key_ids) == 2
    error_message = "Expected one key per integration."
  }

  assert {
    condition = alltrue([
      for key in astral_api_key.integration :
      key.expires_at == timeadd(key.created_at, "2160h") && !key.ready_for_rotation
    ])
    error_message = "Each key must expire 90 days after its creation and not be due yet."
  }

  assert {
    condition     = alltrue([for key in astral_api_key.integration : startswith(key.secret, "astral_live_")])
    error_message = "Each key must have a secret."
  }
}

run "a_new_integration_adds_a_key_and_keeps_the_others" {
  variables {
    integrations = ["Roster sync script", "Analytics integration", "CI deploys"]
  }

  assert {
    condition     = output.key_ids["Roster sync script"] == run.creates_a_key_per_integration.key_ids["Roster sync script"]
    error_message = "Adding an integration must not replace the other keys."
  }

  assert {
    condition     = length(output.key_ids) == 3
    error_message = "Expected a key for the new integration."
  }
}
