terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

# Set only for the run that does the job: terraform apply -var run_import=true.
# Every other run, terraform plan included, creates no key.
variable "run_import" {
  description = "Whether this run imports the roster, with a key of its own."
  type        = bool
  default     = false
}

ephemeral "astral_api_key" "roster_import" {
  count = var.run_import ? 1 : 0
  name  = "One-time roster import"
}

provider "astral" {
  alias   = "roster_import"
  api_key = one(ephemeral.astral_api_key.roster_import[*].secret)
}

# Whatever uses the key has the same count: without a key, the provider
# above would fall back to the ASTRAL_API_KEY environment variable.
data "astral_api_keys" "seen_by_import" {
  count    = var.run_import ? 1 : 0
  provider = astral.roster_import
}
