terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

# Configured by ASTRAL_ENDPOINT and ASTRAL_API_KEY: a key of the head coach.
provider "astral" {}

variable "keep" {
  description = "A regular expression (RE2) of the names of the keys to list; every key by default."
  type        = string
  default     = ""
}
