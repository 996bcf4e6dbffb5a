# terraform query lists every active key of the organization, with its
# identity and a display name: name, last four characters, expiry, last use.
list "astral_api_key" "all" {
  provider = astral
  # Terraform stops at 100 results unless told otherwise.
  limit = 1000
}

# The keys no one has used since the start of the year, with each key's
# resource object, so that -generate-config-out can write their configuration.
list "astral_api_key" "unused" {
  provider         = astral
  include_resource = true
  limit            = 1000

  config {
    unused_since = "2026-01-01T00:00:00Z"
  }
}
