package provider

import (
	"strings"
	"testing"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// forgottenMessage is how each CLI says, in a plan, that it removes an
// object from the state without destroying it (Terraform 1.16.0-rc2,
// OpenTofu 1.12.6).
var forgottenMessage = map[string]string{
	"Terraform": "will no longer be managed by Terraform, but will not be destroyed",
	"OpenTofu":  "will be removed from the OpenTofu state but will not be destroyed",
}

// lifecycleDestroyConfig is a key that the CLI forgets rather than destroys.
func lifecycleDestroyConfig(name string) string {
	return `resource "astral_api_key" "kept" {
  name = "` + name + `"

  lifecycle {
    destroy = false
  }
}

output "id" {
  value = astral_api_key.kept.id
}
`
}

// With lifecycle { destroy = false } (Terraform 1.16, OpenTofu 1.12), a
// destroy forgets the key: the CLI says so, asks the provider to delete
// nothing (no revoke reaches the API), and the key stays active, as the
// resource's page and the rotation guide say; the action revokes it by id,
// where the CLI has actions. A replacement forgets the old key on OpenTofu,
// and revokes it on Terraform 1.16.0-rc2, which applies destroy = false to
// destroys only.
func TestAccAPIKey_lifecycleDestroyFalse(t *testing.T) {
	skipUnlessCLI(t, "lifecycle destroy")
	env := newTestAccEnv(t)
	s := newCLISession(t, env)
	s.WriteFile("main.tf", requiredAstral+lifecycleDestroyConfig("Kept key"))
	s.Run("init")
	s.Run("apply", "-auto-approve")
	first := strings.TrimSpace(s.Run("output", "-raw", "id"))
	forgotten := forgottenMessage[acceptanceCLI.product]
	openTofu := acceptanceCLI.product == "OpenTofu"

	status := func(t *testing.T, id string) astral.APIKeyStatus {
		t.Helper()
		key, err := env.Client.APIKeys.Read(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return key.Status
	}
	revokes := func() int { return env.Server.Stats().Requests["DELETE /v1/api-keys/{id}"] }

	t.Run("a replacement", func(t *testing.T) {
		s.WriteFile("main.tf", requiredAstral+lifecycleDestroyConfig("Kept key, renamed"))
		env.Server.ResetStats()
		out := s.Run("apply", "-auto-approve")
		if openTofu {
			if !strings.Contains(out, "0 to destroy, 1 to forget") || revokes() != 0 || status(t, first) != astral.APIKeyStatusActive {
				t.Errorf("OpenTofu did not forget the replaced key %s (%d revokes, key %s):\n%s", first, revokes(), status(t, first), out)
			}
			return
		}
		if strings.Contains(out, forgotten) || revokes() != 1 || status(t, first) != astral.APIKeyStatusRevoked {
			t.Errorf("Terraform did not revoke the replaced key %s (%d revokes, key %s):\n%s", first, revokes(), status(t, first), out)
		}
	})
	second := strings.TrimSpace(s.Run("output", "-raw", "id"))
	if second == first {
		t.Fatalf("the rename did not replace the key %s", first)
	}

	t.Run("a destroy forgets the key", func(t *testing.T) {
		env.Server.ResetStats()
		out, err := s.Try("destroy", "-auto-approve")
		// OpenTofu fails a destroy that forgets, unless -suppress-forget-errors.
		if openTofu != (err != nil) || !strings.Contains(out, forgotten) {
			t.Errorf("the destroy (error %v) does not say that it forgets the key:\n%s", err, out)
		}
		if n := revokes(); n != 0 {
			t.Errorf("%d revokes reached the API", n)
		}
		if out := s.Run("state", "list"); strings.TrimSpace(out) != "" {
			t.Errorf("the state still holds:\n%s", out)
		}
		if got := status(t, second); got != astral.APIKeyStatusActive {
			t.Errorf("the forgotten key %s is %s, want active", second, got)
		}
	})

	t.Run("the action revokes a forgotten key", func(t *testing.T) {
		skipUnlessCLI(t, "actions")
		s.WriteFile("main.tf", requiredAstral+`action "astral_revoke_api_key" "forgotten" {
  config {
    id = "`+second+`"
  }
}
`)
		s.Run("apply", "-invoke=action.astral_revoke_api_key.forgotten", "-auto-approve")
		if got := status(t, second); got != astral.APIKeyStatusRevoked {
			t.Errorf("%s is %s after the action: want revoked", second, got)
		}
	})
}
