# Rotation on the sandbox's clock: 77 days after creation a key is inside its
# 14-day rotation window, and the next apply replaces it. The sandbox's clock
# only moves forward, so run this against a sandbox of its own, or last.
run "create" {}

run "before_the_window_nothing_rotates" {
  variables {
    created_key = run.create.key_id
  }

  assert {
    condition     = astral_api_key.this.id == var.created_key
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

# The sandbox's clock is now 77 days ahead of this machine's: only a key
# that this run's apply created has a created_at that far ahead. (OpenTofu
# plans run.create.key_id anew here, unknown since the key is replaced.)
run "inside_the_window_the_next_apply_rotates_the_key" {
  assert {
    condition     = timecmp(astral_api_key.this.created_at, timeadd(plantimestamp(), "1824h")) >= 0
    error_message = "The key must have been replaced: created after the clock moved."
  }

  assert {
    condition     = !astral_api_key.this.ready_for_rotation
    error_message = "The new key must not be due."
  }
}
