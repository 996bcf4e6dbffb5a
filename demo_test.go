package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The README's quick start: make demo builds the provider into a mirror,
// installs it with terraform init, applies the demo to a throwaway sandbox,
// plans again (empty) and destroys, each step announced once, with the
// outputs shown once and no warning but the mirror's, explained.
func TestDemo(t *testing.T) {
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("make demo needs terraform on PATH")
	}
	cmd := exec.CommandContext(t.Context(), "./scripts/demo.sh")
	// Not a terminal: the demo does not wait for a key revoked in the app.
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make demo: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"==> Building the provider into a filesystem mirror",
		"a first build downloads and compiles the Go modules",
		"==> Building the sandbox (a first build",
		"Installed astral/astral v",
		"Second plan: no changes",
		"Demo complete",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("make demo does not say %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "Warning:"); n != 1 || !strings.Contains(text, "Warning: Incomplete lock file information") {
		t.Errorf("make demo shows %d warnings, want only the mirror's lock file warning:\n%s", n, text)
	}
	// The outputs of the apply, once (a plan's "Changes to Outputs" differ:
	// "+ created_keys"); the verification's are another configuration's.
	if n := strings.Count(text, "\ncreated_keys = {"); n != 1 {
		t.Errorf("make demo shows the demo's outputs %d times, want once:\n%s", n, text)
	}
}
