# Moves the sandbox's clock forward, for the run blocks of a module test:
# POST /_sandbox/clock with the admin token, from ASTRAL_ENDPOINT and
# ASTRAL_SANDBOX_ADMIN_TOKEN. Needs curl and a POSIX shell. With the
# default of 0 seconds it does nothing.
variable "advance_seconds" {
  description = "How far to move the sandbox's clock."
  type        = number
  default     = 0
}

resource "terraform_data" "advance" {
  count = var.advance_seconds > 0 ? 1 : 0
  input = var.advance_seconds

  provisioner "local-exec" {
    command = <<-EOT
      curl -fsS -X POST \
        -H "Authorization: Bearer $ASTRAL_SANDBOX_ADMIN_TOKEN" \
        -d '{"advance_seconds": ${var.advance_seconds}}' \
        "$ASTRAL_ENDPOINT/_sandbox/clock"
    EOT
  }
}
