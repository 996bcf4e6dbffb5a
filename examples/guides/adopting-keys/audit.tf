# From now on, every plan and apply reports the keys nobody has used for 90
# days, imported or not: candidates for astral_revoke_api_key (see the guide
# on auditing keys for more checks).
data "astral_api_keys" "unused" {
  unused_since = timeadd(plantimestamp(), "-2160h")
}

check "no_unused_keys" {
  assert {
    condition     = length(data.astral_api_keys.unused.keys) == 0
    error_message = "Unused for 90 days: ${join(", ", [for k in data.astral_api_keys.unused.keys : "${k.name} (${k.id})"])}."
  }
}
