package main

import (
	"context"
	"encoding/json"
	"fmt"
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

// installScript is what `make install` runs.
const installScript = "../../../../scripts/install.sh"

// TestModuleTests does what the guide tells users to do: it starts the
// sandbox command, installs the provider with make install, and runs
// `terraform init` and the example module's own `terraform test` files
// against the sandbox, one of which moves the sandbox's clock to rotate a
// key. It does so with the terraform on PATH and with each CLI of
// TF_ACC_CLI_MATRIX that has a test command, each against a sandbox of its
// own, since the tests move its clock.
func TestModuleTests(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not on PATH: the guide's clock module posts to the sandbox with it")
	}
	clis := strings.Fields(os.Getenv("TF_ACC_CLI_MATRIX"))
	if tf, err := exec.LookPath("terraform"); err == nil {
		clis = append([]string{tf}, clis...)
	}
	if len(clis) == 0 {
		t.Skip("no terraform on PATH, and TF_ACC_CLI_MATRIX names no CLI")
	}
	dir := t.TempDir()
	sandboxBin := build(t, dir)
	cliConfig := filepath.Join(dir, "astral.tfrc")
	if out, err := exec.CommandContext(t.Context(), installScript, filepath.Join(dir, "mirror"), cliConfig).CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	for _, cli := range clis {
		t.Run(filepath.Base(cli), func(t *testing.T) {
			t.Parallel()
			testModuleTests(t, cli, sandboxBin, cliConfig)
		})
	}
}

// testCommandSince is the first Terraform release with `terraform test`;
// OpenTofu has had it from its first.
const testCommandSince = 6

func testModuleTests(t *testing.T, cli, sandboxBin, cliConfig string) {
	version, err := exec.CommandContext(t.Context(), cli, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", cli, err)
	}
	var minor int
	if _, err := fmt.Sscanf(string(version), "Terraform v1.%d.", &minor); err == nil && minor < testCommandSince {
		t.Skipf("Terraform 1.%d has no terraform test (Terraform 1.%d+ or OpenTofu)", minor, testCommandSince)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.json")
	sb, _ := start(t, sandboxBin, "--listen", "127.0.0.1:0", "--db", ":memory:", "--credentials", creds)
	defer sb.stop(t, os.Interrupt)
	var sum summary
	data, err := os.ReadFile(creds)
	if err == nil {
		err = json.Unmarshal(data, &sum)
	}
	if err != nil {
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
		cmd := exec.CommandContext(ctx, cli, args...)
		cmd.Dir, cmd.Env = module, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// The guide's commands: init installs the provider from make install's
	// mirror and the test files' modules.
	terraform("init", "-no-color")
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
