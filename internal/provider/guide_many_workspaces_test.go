package provider

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// manyWorkspacesKeys are the name prefixes of the keys that the guide's
// workspaces declare, and how many each declares.
var manyWorkspacesKeys = map[string]int{"CI ": 3, "Coaching app ": 3, "Season export ": 4}

// testManyWorkspacesGuide follows the guide on running many workspaces at
// once with the provider that make install put in inst: its script
// applies every workspace at once, all with one shared key that the API
// limits, then destroys them at once. Every run succeeds at its first
// try, and the keys the workspaces declare are made, then revoked.
func testManyWorkspacesGuide(t *testing.T, inst *installedProvider) {
	env := newTestAccEnv(t)
	t.Parallel()
	cliConfig := filepath.Join(t.TempDir(), "astral.tfrc")
	writeFile(t, cliConfig, cliConfigWithTestMirror(t, inst.cliConfig))

	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(examplesDir, "guides", "many-workspaces"))); err != nil {
		t.Fatal(err)
	}
	// The script runs the terraform on PATH: the CLI of the tests.
	bin := t.TempDir()
	if err := os.Symlink(newPlainCLISession(t).bin, filepath.Join(bin, "terraform")); err != nil {
		t.Fatal(err)
	}
	runAll := func(args ...string) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), filepath.Join(dir, "run-all.sh"), args...)
		cmd.Env = append(os.Environ(),
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"TF_CLI_CONFIG_FILE="+cliConfig,
			"CHECKPOINT_DISABLE=1",
			envEndpoint+"="+env.URL,
			envAPIKey+"="+env.HeadCoachKey,
		)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "3 workspaces, 0 failed") {
			logs, _ := filepath.Glob(filepath.Join(dir, "workspaces", "*.log"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				t.Logf("%s:\n%s", filepath.Base(l), b)
			}
			t.Fatalf("run-all.sh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	// Four requests per second: the ten keys and the runs' reads take a
	// few seconds, so the runs draw on the bucket together.
	env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: 4})
	runAll("apply", "-auto-approve")
	env.Server.ClearFaults()
	checkGuideKeys(t, env, manyWorkspacesKeys)

	env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: 4})
	runAll("destroy", "-auto-approve")
	env.Server.ClearFaults()
	checkGuideKeys(t, env, map[string]int{})
}

// checkGuideKeys checks that the organization's active keys whose names
// start with a prefix of want are as many as want says.
func checkGuideKeys(t *testing.T, env *testAccEnv, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for key, err := range env.Client.APIKeys.All(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if key.Status != astral.APIKeyStatusActive {
			continue
		}
		for prefix := range manyWorkspacesKeys {
			if strings.HasPrefix(key.Name, prefix) {
				got[prefix]++
			}
		}
	}
	for prefix := range manyWorkspacesKeys {
		if got[prefix] != want[prefix] {
			t.Errorf("%d active keys named %q..., want %d", got[prefix], prefix, want[prefix])
		}
	}
}
