# Rotation on the sandbox's clock: 77 days after creation a key is inside its
# 14-day rotation window, and the next apply replaces it. The sandbox's clock
# only moves forward, so run this against a sandbox of its own, or last.
run "create" {}

run "before_the_window_nothing_rotates" {
  assert {
    condition     = output.key_ids == run.create.key_ids
    error_message = "A key must not rotate before its window."
  }
}

run "move_the_clock_77_days" {
  module {
    source = "./tests/clock"
  }

  variables {
    advance_seconds = 77 * 24 * 3600
  }
}

run "apply_inside_the_window_rotates_the_key" {
  assert {
    condition     = output.key_ids["Roster sync script"] != run.create.key_ids["Roster sync script"]
    error_message = "The key must have been replaced."
  }

  assert {
    condition     = !astral_api_key.integration["Roster sync script"].ready_for_rotation
    error_message = "The new key must not be due."
  }
}
