package provider

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// cliSession runs the CLI of the acceptance tests by hand, in a directory
// of its own, with the provider served by this process: for the commands a
// guide tells users to type that terraform-plugin-testing has no step for,
// such as terraform query -generate-config-out and terraform apply -invoke.
type cliSession struct {
	t   *testing.T
	Dir string
	bin string
	env []string
}

// newCLISession serves the provider for the test's life and configures it,
// as users do, through ASTRAL_ENDPOINT and ASTRAL_API_KEY: the provider runs
// in this process, so the test cannot run in parallel.
func newCLISession(t *testing.T, env *testAccEnv) *cliSession {
	t.Helper()
	t.Setenv(envEndpoint, env.URL)
	t.Setenv(envAPIKey, env.HeadCoachKey)
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	address := os.Getenv(resource.EnvTfAccProviderHost) + "/astral/astral"
	go func() {
		err := tf6server.Serve(address, providerserver.NewProtocol6(New("test")()),
			tf6server.WithDebug(ctx, reattach, closed),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			// Logs go where terraform-plugin-testing sends them (TF_LOG and
			// TF_ACC_LOG_PATH), not to the test's output.
			tf6server.WithLoggingSink(t))
		if err != nil {
			t.Errorf("serving the provider: %v", err)
		}
	}()
	var cfg *plugin.ReattachConfig
	select {
	case cfg = <-reattach:
	case <-closed:
		t.Fatal("the provider stopped before it served")
	}
	t.Cleanup(func() {
		cancel()
		<-closed
	})
	providers, err := json.Marshal(map[string]any{address: map[string]any{
		"Protocol": cfg.Protocol, "ProtocolVersion": cfg.ProtocolVersion, "Pid": cfg.Pid, "Test": true,
		"Addr": map[string]string{"Network": cfg.Addr.Network(), "String": cfg.Addr.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return newPlainCLISession(t, "TF_REATTACH_PROVIDERS="+string(providers))
}

// newPlainCLISession runs the CLI of the acceptance tests in a directory of
// its own, with the environment of the test and env added: the CLI
// installs and starts each provider itself, unless env says otherwise.
func newPlainCLISession(t *testing.T, env ...string) *cliSession {
	t.Helper()
	bin, err := acceptanceCLIPath()
	if err != nil {
		t.Fatal(err)
	}
	return &cliSession{
		t:   t,
		Dir: t.TempDir(),
		bin: bin,
		env: append(append(os.Environ(),
			"CHECKPOINT_DISABLE=1",
			"TF_IN_AUTOMATION=1",
			"TF_CLI_ARGS=-no-color",
		), env...),
	}
}

// WriteFile writes a file of the configuration.
func (s *cliSession) WriteFile(name, content string) {
	s.t.Helper()
	writeFile(s.t, filepath.Join(s.Dir, name), []byte(content))
}

// Run runs the CLI with args and fails the test if it fails; it returns
// what the CLI printed, stdout then stderr.
func (s *cliSession) Run(args ...string) string {
	s.t.Helper()
	out, err := s.Try(args...)
	if err != nil {
		s.t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Try runs the CLI with args and returns what it printed and its error.
func (s *cliSession) Try(args ...string) (string, error) {
	s.t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.Dir
	cmd.Env = s.env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	s.t.Logf("$ terraform %s\n%s%s", strings.Join(args, " "), stdout.String(), stderr.String())
	return stdout.String() + stderr.String(), err
}
