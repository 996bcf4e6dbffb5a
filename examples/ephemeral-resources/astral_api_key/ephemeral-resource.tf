# A key for one run only: created when Terraform needs it, revoked at the end
# of the run, never written to the state or a plan file.
ephemeral "astral_api_key" "roster_import" {
  name         = "One-time roster import"
  expire_after = "1h" # the default; the limit if the run cannot revoke it
}

# Hand the secret to a provider configuration (or to a write-only argument):
# here a second configuration of this provider that authenticates with it.
provider "astral" {
  alias   = "roster_import"
  api_key = ephemeral.astral_api_key.roster_import.secret
}

data "astral_api_keys" "seen_by_import" {
  provider = astral.roster_import
}
