# An API key is imported by its id. Its secret cannot be recovered: after an
# import, secret is null.
terraform import astral_api_key.roster_sync key_01JD3X8Z6W4Q9T2B7N5M1K0C3R
