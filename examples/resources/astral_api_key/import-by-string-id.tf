import {
  to = astral_api_key.roster_sync
  id = "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"
}
