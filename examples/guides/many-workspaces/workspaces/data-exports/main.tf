terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

provider "astral" {
  rate_limit_wait = "10m"
}

resource "astral_api_key" "export" {
  count = 4

  name = "Season export ${count.index + 1}"
}
