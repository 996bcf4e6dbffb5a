# Rotation on the sandbox's clock: 77 days after creation a key is inside its
# 14-day rotation window, and the next apply replaces it. The sandbox's clock
# only moves forward, so run this against a sandbox of its own, or last.
run "create" {}

run "before_the_window_nothing_rotates" {
  assert {
    condition     = output.key_id == run.create.key_id
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

run "inside_the_window_the_next_apply_rotates_the_key" {
  assert {
    condition     = output.key_id != run.create.key_id
    error_message = "The key must have been replaced."
  }

  assert {
    condition     = !astral_api_key.this.ready_for_rotation
    error_message = "The new key must not be due."
  }
}
