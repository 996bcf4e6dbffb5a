# Every active key of the organization, oldest first.
data "astral_api_keys" "all" {}

# Keys of the roster integrations that expire before the end of the season.
data "astral_api_keys" "roster_expiring" {
  name_regex     = "^Roster "
  expires_before = "2028-07-01T00:00:00Z"
}

output "all_keys" {
  value = [for k in data.astral_api_keys.all.keys : "${k.name} (...${k.secret_hint})"]
}

output "roster_keys_expiring" {
  value = data.astral_api_keys.roster_expiring.keys[*].name
}
