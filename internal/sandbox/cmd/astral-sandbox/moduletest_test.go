package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// guideModule is the module of the guide "Testing your modules against the
// sandbox", with its terraform test files.
const guideModule = "../../../../examples/guides/sandbox-module-tests"

// TestModuleTests does what the guide tells users to do: it starts the
// sandbox command, installs the provider with dev_overrides, and runs the
// example module's own `terraform test` files against the sandbox, one of
// which moves the sandbox's clock to rotate a key.
func TestModuleTests(t *testing.T) {
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not on PATH")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not on PATH: the guide's clock module posts to the sandbox with it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	plugins := filepath.Join(dir, "plugins")
	for pkg, out := range map[string]string{
		"../../../..": filepath.Join(plugins, "terraform-provider-astral"),
		".":           filepath.Join(dir, "astral-sandbox"),
	} {
		if b, err := exec.CommandContext(ctx, "go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	creds := filepath.Join(dir, "credentials.json")
	sb, _ := start(t, filepath.Join(dir, "astral-sandbox"), "--listen", "127.0.0.1:0", "--db", ":memory:", "--credentials", creds)
	defer sb.stop(t, os.Interrupt)
	var sum summary
	data, err := os.ReadFile(creds)
	if err == nil {
		err = json.Unmarshal(data, &sum)
	}
	if err != nil {
		t.Fatal(err)
	}

	cliConfig := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(cliConfig, []byte(`provider_installation {
  dev_overrides {
    "astral/astral" = "`+filepath.ToSlash(plugins)+`"
  }
  direct {}
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	module := filepath.Join(dir, "module")
	if err := os.CopyFS(module, os.DirFS(guideModule)); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE="+cliConfig,
		"ASTRAL_ENDPOINT="+sum.Endpoint, "ASTRAL_API_KEY="+sum.Organization.Members[0].APIKey,
		"ASTRAL_SANDBOX_ADMIN_TOKEN="+sum.AdminToken)
	terraform := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, tf, args...)
		cmd.Dir, cmd.Env = module, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// `terraform get` installs the test files' modules without asking a
	// registry for the provider, which `terraform init` would.
	terraform("get", "-no-color")
	out := terraform("test", "-no-color")
	if !strings.Contains(out, "Success! 6 passed, 0 failed.") {
		t.Errorf("terraform test:\n%s", out)
	}

	var now struct {
		Now string `json:"now"`
	}
	clock := post(t, sum.Endpoint+"/_sandbox/clock", sum.AdminToken, `{"advance_seconds": 0}`)
	if err := json.Unmarshal(clock, &now); err != nil {
		t.Fatal(err)
	}
	if moved, err := time.Parse(time.RFC3339, now.Now); err != nil || time.Until(moved) < 76*24*time.Hour {
		t.Errorf("the sandbox's clock is at %s: the rotation test did not move it 77 days", now.Now)
	}
	if got := activeKeys(t, sum.Endpoint, sum.Organization.Members[0].APIKey); got != len(sum.Organization.Members) {
		t.Errorf("%d active keys after the tests, want only the members' %d: the tests left keys behind", got, len(sum.Organization.Members))
	}
}

func post(t *testing.T, url, token, body string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %v: %s", url, resp.StatusCode, err, b)
	}
	return b
}

func activeKeys(t *testing.T, endpoint, secret string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, endpoint+"/v1/api-keys?limit=100", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("list keys: %d %v", resp.StatusCode, err)
	}
	return len(page.Data)
}
