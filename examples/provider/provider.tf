terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

variable "astral_api_key" {
  description = "An API key of the organization's head coach (astral_live_...)."
  type        = string
  sensitive   = true
}

provider "astral" {
  # endpoint = "https://api.astral.app" # the default; or set ASTRAL_ENDPOINT
  api_key = var.astral_api_key # or leave it out and set ASTRAL_API_KEY
}
