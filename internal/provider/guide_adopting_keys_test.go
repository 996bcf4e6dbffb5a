package provider

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// The guide "Adopting the keys your organization already has", command by
// command, with its example's files: query, generate the configuration of
// the keys to keep, import them, revoke a key nobody needs, and audit.
func TestAccGuideAdopting_keys(t *testing.T) {
	skipUnlessCLI(t, "list resources")
	skipUnlessCLI(t, "actions")
	env := newTestAccEnv(t)
	expiresAt := env.Server.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)
	roster := env.CreateKey(t, "Roster sync script", &expiresAt)
	export := env.CreateKey(t, "Results export", nil)
	oldCI := env.CreateKey(t, "Old CI key", nil)

	s := newCLISession(t, env)
	dir := filepath.Join(examplesDir, "guides", "adopting-keys")
	for _, name := range []string{"main.tf", "keys.tfquery.hcl"} {
		s.WriteFile(name, readExample(t, dir, name))
	}
	s.Run("init")

	// 1. Review every key.
	out := s.Run("query")
	for _, k := range []*astral.APIKey{roster, export, oldCI} {
		if !strings.Contains(out, k.ID) || !strings.Contains(out, k.Name+" (…"+k.SecretHint) {
			t.Errorf("terraform query does not show %s (%s)", k.Name, k.ID)
		}
	}

	// 2. Generate the configuration of the keys to keep, and import them.
	s.Run("query", "-var=keep=^(Roster sync script|Results export)$", "-generate-config-out=keys.tf")
	generated := readExample(t, s.Dir, "keys.tf")
	for _, k := range []*astral.APIKey{roster, export} {
		if !strings.Contains(generated, k.ID) {
			t.Errorf("keys.tf does not import %s (%s):\n%s", k.Name, k.ID, generated)
		}
	}
	if strings.Contains(generated, oldCI.ID) {
		t.Errorf("keys.tf imports %s, which the guide revokes", oldCI.ID)
	}
	s.Run("plan")
	if out := s.Run("apply", "-auto-approve"); !strings.Contains(out, "Resources: 2 imported, 0 added, 0 changed, 0 destroyed.") {
		t.Fatalf("apply did not import the 2 keys to keep without change:\n%s", out)
	}
	s.Run("plan", "-detailed-exitcode")

	// 3. Revoke the key nobody needs, without importing it.
	s.WriteFile("revoke.tf", strings.Replace(readExample(t, dir, "revoke.tf"), "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R", oldCI.ID, 1))
	if out := s.Run("apply", "-invoke=action.astral_revoke_api_key.old_ci_key", "-auto-approve"); !strings.Contains(out, `Revoked the API key "Old CI key" (`+oldCI.ID+`)`) {
		t.Errorf("the action did not report the key it revoked:\n%s", out)
	}
	if key, err := env.Client.APIKeys.Read(t.Context(), oldCI.ID); err != nil || key.Status != astral.APIKeyStatusRevoked {
		t.Fatalf("%s reads %v, %v after the action: want revoked", oldCI.ID, key, err)
	}
	for _, k := range []*astral.APIKey{roster, export} {
		if key, err := env.Client.APIKeys.Read(t.Context(), k.ID); err != nil || key.Status != astral.APIKeyStatusActive {
			t.Errorf("%s reads %v, %v: want it active", k.ID, key, err)
		}
	}

	// 4. Audit from then on: 91 days later, the imported keys are unused.
	s.WriteFile("audit.tf", readExample(t, dir, "audit.tf"))
	env.Server.AdvanceClock(91 * 24 * time.Hour)
	out = s.Run("plan")
	if !strings.Contains(out, "Unused for 90 days") || !strings.Contains(out, roster.ID) || strings.Contains(out, oldCI.ID) {
		t.Errorf("the audit does not report the unused keys, and only those still active:\n%s", out)
	}
}

func readExample(t *testing.T, dir, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}
