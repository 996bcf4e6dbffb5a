# A key that the review found nobody needs: revoke it with
#   terraform apply -invoke=action.astral_revoke_api_key.old_ci_key
action "astral_revoke_api_key" "old_ci_key" {
  config {
    id = "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"
  }
}
