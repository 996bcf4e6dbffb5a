# Revoke a leaked key at once, whether or not Terraform manages it:
#   terraform apply -invoke=action.astral_revoke_api_key.leaked
action "astral_revoke_api_key" "leaked" {
  config {
    id = "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"
  }
}
