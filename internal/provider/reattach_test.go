package provider

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// envReattachProviders holds, as TF_REATTACH_PROVIDERS does, the providers
// that a test serves for its whole length (serveMirroredProviders); the
// script of wrappedCLI adds them to those of terraform-plugin-testing.
const envReattachProviders = "ASTRAL_TEST_REATTACH_PROVIDERS"

// serveMirroredProviders starts the hashicorp providers named, from the
// mirror of envProviderMirror, for the length of the test, and has every
// command of its CLI use them. The CLI would otherwise start each provider
// about three times per command, at about 0.1 s of CPU each: in the tests
// of the Vault guides, a thousand processes of a make test run, a tenth of
// its CPU. Each provider runs in its debug mode, the one that serves
// Terraform's reattach, until the test ends.
//
// A provider reads the environment when it starts, as it would for each
// command, so the test sets VAULT_ADDR and the like first. Its log goes
// where the CLI's does, beside TF_ACC_LOG_PATH, when that is set: the CLI
// writes the log of a provider it starts into its own, and tests search
// those logs for secrets. On Windows, where the CLI runs without the
// script, the CLI starts the providers as usual.
func serveMirroredProviders(t *testing.T, names ...string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	host := os.Getenv(resource.EnvTfAccProviderHost) // set by TestMain
	served := map[string]json.RawMessage{}
	for _, name := range names {
		binaries, err := filepath.Glob(filepath.Join(os.Getenv(envProviderMirror), host, "hashicorp", name, "*",
			runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-"+name+"*"))
		if err != nil || len(binaries) != 1 {
			t.Fatalf("the mirror %s has %d builds of hashicorp/%s for %s, want one (%v)", os.Getenv(envProviderMirror), len(binaries), name, host, err)
		}
		reattach := serveProvider(t, binaries[0])
		if len(reattach) != 1 {
			t.Fatalf("%s serves %d providers, want one", binaries[0], len(reattach))
		}
		for _, config := range reattach {
			served[host+"/hashicorp/"+name] = config
		}
	}
	value, err := json.Marshal(served)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envReattachProviders, string(value))
}

// serveProvider starts the provider binary in its debug mode, stops it when
// the test ends, and returns what it prints for TF_REATTACH_PROVIDERS.
func serveProvider(t *testing.T, binary string) map[string]json.RawMessage {
	t.Helper()
	cmd := exec.Command(binary, "-debug")
	cmd.Stderr = io.Discard
	if logPath := os.Getenv("TF_ACC_LOG_PATH"); logPath != "" {
		log, err := os.Create(filepath.Join(filepath.Dir(logPath), filepath.Base(binary)+".log"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { log.Close() })
		cmd.Stderr = log
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The debug mode stops on an interrupt, and removes its socket.
		_ = cmd.Process.Signal(os.Interrupt)
		stopped := time.AfterFunc(10*time.Second, func() { _ = cmd.Process.Kill() })
		_ = cmd.Wait()
		stopped.Stop()
	})

	found := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if value, ok := reattachValue(lines.Text()); ok {
				found <- value
				break
			}
		}
		close(found)
		// Nothing blocks the provider on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case value, ok := <-found:
		if !ok {
			t.Fatalf("%s -debug ended without printing TF_REATTACH_PROVIDERS", binary)
		}
		var reattach map[string]json.RawMessage
		if err := json.Unmarshal([]byte(value), &reattach); err != nil {
			t.Fatalf("%s -debug printed TF_REATTACH_PROVIDERS=%s: %v", binary, value, err)
		}
		return reattach
	case <-time.After(time.Minute):
		t.Fatalf("%s -debug printed no TF_REATTACH_PROVIDERS within a minute", binary)
		return nil
	}
}

// reattachValue is the value of TF_REATTACH_PROVIDERS in a line that a
// provider's debug mode prints, such as
//
//	TF_REATTACH_PROVIDERS='{"registry.terraform.io/hashicorp/time":{...}}'
func reattachValue(line string) (string, bool) {
	_, value, ok := strings.Cut(line, "TF_REATTACH_PROVIDERS='")
	if !ok {
		return "", false
	}
	value, ok = strings.CutSuffix(strings.TrimSpace(value), "'")
	if !ok {
		return "", false
	}
	return value, true
}

func TestReattachValue(t *testing.T) {
	tests := []struct {
		line, want string
		ok         bool
	}{
		{`	TF_REATTACH_PROVIDERS='{"h/hashicorp/time":{"Pid":7}}'`, `{"h/hashicorp/time":{"Pid":7}}`, true},
		{`TF_REATTACH_PROVIDERS='{}'  `, `{}`, true},
		{`Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:`, "", false},
		{`	TF_REATTACH_PROVIDERS='{"cut off`, "", false},
		{`	Command Prompt:	set "TF_REATTACH_PROVIDERS={}"`, "", false},
	}
	for _, tt := range tests {
		got, ok := reattachValue(tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("reattachValue(%q) = %q, %v, want %q, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}
