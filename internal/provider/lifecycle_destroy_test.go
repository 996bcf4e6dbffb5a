package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// forgottenMessage is how each CLI says, in a plan and an apply, that it
// removes an object from the state without destroying it.
var forgottenMessage = map[string]*regexp.Regexp{
	"Terraform": regexp.MustCompile(`will no longer be managed by Terraform`),
	"OpenTofu":  regexp.MustCompile(`will no longer be managed by OpenTofu`),
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
// replacement and a destroy forget the key: the CLI says so, calls the
// provider for nothing (no revoke reaches the API), and the key stays
// active, as the resource's page and the rotation guide say; the action
// revokes it by id, where the CLI has actions.
func TestAccAPIKey_lifecycleDestroyFalse(t *testing.T) {
	skipUnlessCLI(t, "lifecycle destroy")
	env := newTestAccEnv(t)
	s := newCLISession(t, env)
	s.WriteFile("main.tf", requiredAstral+lifecycleDestroyConfig("Kept key"))
	s.Run("init")
	s.Run("apply", "-auto-approve")
	first := strings.TrimSpace(s.Run("output", "-raw", "id"))
	forgotten := forgottenMessage[acceptanceCLI.product]

	stillActive := func(t *testing.T, id string) {
		t.Helper()
		key, err := env.Client.APIKeys.Read(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if key.Status != astral.APIKeyStatusActive {
			t.Errorf("the forgotten key %s is %s, want active: the CLI should not have destroyed it", id, key.Status)
		}
	}

	t.Run("a replacement forgets the old key", func(t *testing.T) {
		s.WriteFile("main.tf", requiredAstral+lifecycleDestroyConfig("Kept key, renamed"))
		env.Server.ResetStats()
		if out := s.Run("apply", "-auto-approve"); !forgotten.MatchString(out) {
			t.Errorf("the apply does not say that it forgets the old key:\n%s", out)
		}
		if n := env.Server.Stats().Requests["DELETE /v1/api-keys/{id}"]; n != 0 {
			t.Errorf("%d revokes reached the API", n)
		}
		stillActive(t, first)
	})
	second := strings.TrimSpace(s.Run("output", "-raw", "id"))
	if second == first {
		t.Fatalf("the rename did not replace the key %s", first)
	}

	t.Run("a destroy forgets the key", func(t *testing.T) {
		env.Server.ResetStats()
		if out := s.Run("destroy", "-auto-approve"); !forgotten.MatchString(out) {
			t.Errorf("the destroy does not say that it forgets the key:\n%s", out)
		}
		if n := env.Server.Stats().Requests["DELETE /v1/api-keys/{id}"]; n != 0 {
			t.Errorf("%d revokes reached the API", n)
		}
		if out := s.Run("state", "list"); strings.TrimSpace(out) != "" {
			t.Errorf("the state still holds:\n%s", out)
		}
		stillActive(t, second)
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
		key, err := env.Client.APIKeys.Read(t.Context(), second)
		if err != nil || key.Status != astral.APIKeyStatusRevoked {
			t.Errorf("%s reads %v, %v after the action: want revoked", second, key, err)
		}
	})
}
