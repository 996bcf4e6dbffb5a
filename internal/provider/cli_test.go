package provider

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// The acceptance tests run on Terraform and on OpenTofu (make test runs them
// with each CLI of TF_ACC_CLI_MATRIX). The two resolve a source without a
// host, such as astral/astral, to different registry hosts, and number
// their releases independently, so the harness asks the CLI itself which it
// is and which host it uses.

// testCLI is the CLI that runs the acceptance tests.
type testCLI struct {
	product string // "Terraform" or "OpenTofu"
	version string // as the CLI prints it, e.g. "1.12.6"
}

func (c testCLI) String() string { return c.product + " " + c.version }

// acceptanceCLI is found by TestMain before any test runs, so that the
// provider's reattach address is right for every test; acceptanceCLIErr
// fails the tests that gate on the CLI.
var (
	acceptanceCLI    testCLI
	acceptanceCLIErr error
)

// setUpAcceptanceCLI finds the CLI the way terraform-plugin-testing does,
// points it at a CLI configuration of the tests' own, sets
// TF_ACC_PROVIDER_HOST to the host it gives astral/astral, unless set, and
// TF_ACC_TERRAFORM_PATH to wrappedCLI's script. The processes the
// tests start then run without the garbage collector (see
// collectNoGarbageInChildren).
func setUpAcceptanceCLI() (testCLI, error) {
	if os.Getenv(resource.EnvTfAcc) == "" {
		return testCLI{}, nil
	}
	if err := collectNoGarbageInChildren(); err != nil {
		return testCLI{}, err
	}
	if err := useTestCLIConfig(); err != nil {
		return testCLI{}, err
	}
	if v := os.Getenv("TF_ACC_TERRAFORM_VERSION"); v != "" && os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		// terraform-plugin-testing installs this Terraform release, whose
		// host is its default one.
		return testCLI{product: "Terraform", version: strings.TrimPrefix(v, "v")}, nil
	}
	path, err := acceptanceCLIPath()
	if err != nil {
		return testCLI{}, err
	}
	// The CLI runs in other directories: each test's own.
	if path, err = filepath.Abs(path); err != nil {
		return testCLI{}, err
	}
	cli, err := identifyCLI(path)
	if err != nil {
		return testCLI{}, err
	}
	if os.Getenv(resource.EnvTfAccProviderHost) == "" {
		host, err := defaultProviderHost(path)
		if err != nil {
			return testCLI{}, fmt.Errorf("%s: %w", cli, err)
		}
		if err := os.Setenv(resource.EnvTfAccProviderHost, host); err != nil {
			return testCLI{}, err
		}
	}
	shim, err := wrappedCLI(path)
	if err != nil {
		return testCLI{}, fmt.Errorf("%s: %w", cli, err)
	}
	if err := os.Setenv("TF_ACC_TERRAFORM_PATH", shim); err != nil {
		return testCLI{}, err
	}
	return cli, nil
}

// acceptanceCLIPath is the CLI that runs the acceptance tests:
// TF_ACC_TERRAFORM_PATH, which TestMain points at wrappedCLI's
// script, or else the terraform on PATH.
func acceptanceCLIPath() (string, error) {
	if path := os.Getenv("TF_ACC_TERRAFORM_PATH"); path != "" {
		return path, nil
	}
	return exec.LookPath("terraform")
}

// wrappedCLI writes a script that runs the CLI at path with the arguments
// it is given, and returns the script's path. The script does two things
// that save CLI and provider processes, each of which costs mostly its
// start-up (about 0.1 s of CPU):
//
//   - It answers `version -json` itself, with what the CLI answered once.
//     terraform-plugin-testing asks the CLI its version twice for each test
//     case (once to find it, once when it opens the test's working
//     directory), and the answer cannot change during a run: they were one
//     CLI process in fourteen of make test.
//   - It adds the providers that a test serves for its whole length
//     (envReattachProviders, see serveMirroredProviders) to those that
//     terraform-plugin-testing serves in-process, in TF_REATTACH_PROVIDERS,
//     which terraform-plugin-testing sets for each command.
//
// Every other command is the CLI's own: the script execs it, which leaves
// its process ID to signals. On Windows, which runs no sh script, path is
// returned as it is.
func wrappedCLI(path string) (string, error) {
	if runtime.GOOS == "windows" {
		return path, nil
	}
	version, err := runCLI(path, "", "version", "-json")
	if err != nil {
		return "", err
	}
	script := fmt.Sprintf(`#!/bin/sh
if [ "$#" = 2 ] && [ "$1" = version ] && [ "$2" = -json ]; then
  cat <<'END_OF_VERSION'
%sEND_OF_VERSION
  exit 0
fi
extra=${%[3]s:-}
if [ -n "$extra" ]; then
  case ${TF_REATTACH_PROVIDERS:-} in
  '' | '{}') TF_REATTACH_PROVIDERS=$extra ;;
  *) TF_REATTACH_PROVIDERS="${TF_REATTACH_PROVIDERS%%\}},${extra#\{}" ;;
  esac
  export TF_REATTACH_PROVIDERS
fi
exec %[2]s "$@"
`, version, shellQuote(path), envReattachProviders)
	return writeCacheFile("cli-*.sh", script, 0o700)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// collectNoGarbageInChildren turns the garbage collector off, up to a
// memory limit, in the processes the tests start, the CLI's above all:
// they live for a fraction of a second, in which the collector's work is
// wasted. The test process keeps its own setting, read when it started.
// A GOGC or GOMEMLIMIT that the environment sets is left as it is.
func collectNoGarbageInChildren() error {
	for name, value := range map[string]string{"GOGC": "off", "GOMEMLIMIT": "512MiB"} {
		if _, set := os.LookupEnv(name); set {
			continue
		}
		if err := os.Setenv(name, value); err != nil {
			return err
		}
	}
	return nil
}

// envProviderMirror names a provider filesystem mirror that holds the
// hashicorp/vault and hashicorp/time providers, for the tests of the guides
// that hand secrets to Vault (.ci/run sets it).
const envProviderMirror = "ASTRAL_TEST_PROVIDER_MIRROR"

// mirroredProviders are the providers the tests install from the mirror.
// A hostname can be a wildcard only with the rest, so each CLI's default
// host is spelled out.
var mirroredProviders = []string{
	"registry.terraform.io/hashicorp/vault", "registry.terraform.io/hashicorp/time",
	"registry.opentofu.org/hashicorp/vault", "registry.opentofu.org/hashicorp/time",
}

// testCLIConfig installs no provider from a registry, so no test run ever
// reaches one (the public ones are out of reach in CI): the tests serve
// their own provider, and take the others from mirror, if any.
func testCLIConfig(mirror string) string {
	var b strings.Builder
	b.WriteString("provider_installation {\n")
	if mirror != "" {
		quoted := make([]string, len(mirroredProviders))
		for i, p := range mirroredProviders {
			quoted[i] = strconv.Quote(p)
		}
		fmt.Fprintf(&b, "  filesystem_mirror {\n    path    = %s\n    include = [%s]\n  }\n",
			strconv.Quote(mirror), strings.Join(quoted, ", "))
	}
	b.WriteString("  direct {\n    exclude = [\"*/*/*\"]\n  }\n}\n")
	return b.String()
}

// useTestCLIConfig points TF_CLI_CONFIG_FILE at testCLIConfig, whatever it
// was: a user's configuration (dev_overrides, mirrors) would change what the
// tests run, and OpenTofu prints a warning about a missing one on stdout,
// where terraform-exec then fails to read `tofu version`. The file lives in
// the user's cache folder, rewritten in place, so runs leave nothing behind
// but one file for each configuration.
func useTestCLIConfig() error {
	path, err := writeCacheFile("acceptance-*.tfrc", testCLIConfig(os.Getenv(envProviderMirror)), 0o600)
	if err != nil {
		return err
	}
	return os.Setenv("TF_CLI_CONFIG_FILE", path)
}

// writeCacheFile writes content to a file of the user's cache folder, named
// by pattern with its "*" replaced by a digest of content, and returns its
// path. Named by its content, the file is rewritten in place, and test
// processes that run at the same time with different contents (a mirror or
// none, another CLI) do not rewrite each other's.
func writeCacheFile(pattern, content string, mode os.FileMode) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "terraform-provider-astral")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	_, err = tmp.WriteString(content)
	err = errors.Join(err, tmp.Chmod(mode), tmp.Close())
	sum := sha256.Sum256([]byte(content))
	path := filepath.Join(dir, strings.Replace(pattern, "*", hex.EncodeToString(sum[:4]), 1))
	if err == nil {
		// A rename, so a test process that runs at the same time never reads
		// half a file.
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return "", errors.Join(err, os.Remove(tmp.Name()))
	}
	return path, nil
}

// versionLine is the first line of `version`. `version -json` gives the
// version as terraform_version on both CLIs and nothing that tells them
// apart.
var versionLine = regexp.MustCompile(`^(Terraform|OpenTofu) v(\d+\.\d+\.\d+\S*)\n`)

func identifyCLI(path string) (testCLI, error) {
	out, err := runCLI(path, "", "version")
	if err != nil {
		return testCLI{}, err
	}
	m := versionLine.FindSubmatch(out)
	if m == nil {
		return testCLI{}, fmt.Errorf("%s version printed %q: neither Terraform nor OpenTofu", path, out)
	}
	return testCLI{product: string(m[1]), version: string(m[2])}, nil
}

// providerAddress is how `providers` prints a provider's fully qualified
// address.
var providerAddress = regexp.MustCompile(`provider\[([^/\]]+)/astral/astral\]`)

// defaultProviderHost is the host the CLI gives astral/astral. `providers`
// prints it from the configuration alone, with no init and no request.
func defaultProviderHost(path string) (string, error) {
	dir, err := os.MkdirTemp("", "astral-provider-host")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	const config = `terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		return "", err
	}
	out, err := runCLI(path, dir, "providers")
	if err != nil {
		return "", err
	}
	m := providerAddress.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("`providers` printed no address of astral/astral: %q", out)
	}
	return string(m[1]), nil
}

func runCLI(path, dir string, args ...string) ([]byte, error) {
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", path, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// cliFeatures are the language features that tests gate on, with the first
// release of each CLI that has them; "" where no release has. Verified with
// Terraform 1.5.7, 1.11.4 and 1.15.9 and OpenTofu 1.12.6 (the CLIs of
// make test's matrix), each of which either runs the feature or rejects it;
// the exact first releases between those come from the changelogs of
// terraform-plugin-framework for Terraform, and from OpenTofu's release
// notes, not at hand when this was written, for OpenTofu:
//   - ephemeral resources: 1.5.7 has no ephemeral block; 1.11.4, 1.15.9 and
//     OpenTofu 1.12.6 run TestAccEphemeralAPIKey.
//   - write-only arguments: data_json_wo of the vault provider 5.11 runs
//     TestAccVaultWriteOnlyChain on 1.11.4; the framework refuses them
//     below Terraform 1.11 by the client's capabilities.
//   - resource identity: an import block's identity argument is unknown to
//     1.11.4, accepted by 1.15.9 and by OpenTofu 1.12.6.
//   - list resources: `query` is a command of 1.15.9, not of 1.11.4 nor
//     OpenTofu 1.12.6.
//   - actions: an action block is valid in 1.15.9, unknown to 1.11.4 and to
//     OpenTofu 1.12.6.
//   - provider functions: provider::terraform::encode_tfvars runs on 1.11.4,
//     1.15.9 and OpenTofu 1.12.6; 1.5.7 cannot parse the name.
//   - generated configurations (plan -generate-config-out): 1.5.7 crashes in
//     configschema.(*Block).Filter on astral_api_key's nested attributes;
//     1.11.4, 1.15.9 and OpenTofu 1.12.6 write it. Between 1.5.7 and 1.11.4
//     no release was at hand, so 1.11 is the lowest known to work.
//   - lifecycle { destroy = false }: Terraform 1.16.0-rc2 and OpenTofu
//     1.12.6 forget such a resource instead of destroying it; 1.15.9
//     rejects the argument ("An argument named \"destroy\" is not expected
//     here").
var cliFeatures = []struct {
	name                string
	terraform, openTofu string
}{
	{"ephemeral resources", "1.10", "1.11"},
	{"write-only arguments", "1.11", "1.11"},
	{"resource identity", "1.12", "1.12"},
	{"list resources", "1.14", ""},
	{"actions", "1.14", ""},
	{"provider functions", "1.8", "1.7"},
	{"generated configurations", "1.11", "1.12"},
	{"lifecycle destroy", "1.16", "1.12"},
}

// skipUnlessCLI skips the test unless the CLI that runs it has feature, one
// of cliFeatures. terraform-plugin-testing's tfversion checks compare
// version numbers alone, which would take OpenTofu 1.12 for Terraform 1.12.
func skipUnlessCLI(t *testing.T, feature string) {
	t.Helper()
	requireAcceptanceCLI(t)
	for _, f := range cliFeatures {
		if f.name != feature {
			continue
		}
		if cliHas(feature) {
			testFeatures.record(t, feature)
			return
		}
		need := "Terraform " + f.terraform + "+"
		if f.openTofu == "" {
			need += " (OpenTofu has none)"
		} else {
			need += " or OpenTofu " + f.openTofu + "+"
		}
		t.Skipf("%s need %s; this run uses %s", feature, need, acceptanceCLI)
	}
	t.Fatalf("no feature %q in cliFeatures", feature)
}

// requireAcceptanceCLI skips the test unless TF_ACC is set, and fails it
// unless TestMain found the CLI, for a test that runs the CLI itself.
func requireAcceptanceCLI(t *testing.T) {
	t.Helper()
	if os.Getenv(resource.EnvTfAcc) == "" {
		// No CLI was asked; terraform-plugin-testing would skip the test too.
		t.Skipf("Acceptance tests skipped unless env '%s' set", resource.EnvTfAcc)
	}
	if acceptanceCLIErr != nil {
		t.Fatalf("which CLI runs the tests: %v", acceptanceCLIErr)
	}
}

// cliHas reports whether the CLI that runs the acceptance tests has
// feature, one of cliFeatures, for a test that checks more where it can.
func cliHas(feature string) bool {
	if acceptanceCLIErr != nil {
		return false
	}
	for _, f := range cliFeatures {
		if f.name != feature {
			continue
		}
		first := f.terraform
		if acceptanceCLI.product == "OpenTofu" {
			first = f.openTofu
		}
		return first != "" && !versionBefore(acceptanceCLI.version, first)
	}
	return false
}

// blockFeatures are the features that a top-level block of a configuration
// needs, by block type.
var blockFeatures = map[string]string{
	"ephemeral": "ephemeral resources",
	"action":    "actions",
	"list":      "list resources",
}

// configFeatures are the cliFeatures that a configuration needs, once each
// and sorted: those of its top-level blocks, provider functions for a call
// of one, and write-only arguments for an argument named like one (_wo, and
// its _wo_version), which a CLI without them rejects as it parses.
func configFeatures(body *hclsyntax.Body) []string {
	var features []string
	for _, block := range body.Blocks {
		if f, ok := blockFeatures[block.Type]; ok {
			features = append(features, f)
		}
	}
	_ = hclsyntax.VisitAll(body, func(node hclsyntax.Node) hcl.Diagnostics {
		switch n := node.(type) {
		case *hclsyntax.FunctionCallExpr:
			if strings.HasPrefix(n.Name, "provider::") {
				features = append(features, "provider functions")
			}
		case *hclsyntax.Attribute:
			if strings.HasSuffix(n.Name, "_wo") || strings.HasSuffix(n.Name, "_wo_version") {
				features = append(features, "write-only arguments")
			}
		}
		return nil
	})
	slices.Sort(features)
	return slices.Compact(features)
}

// skipUnlessCLIRuns skips the test unless the CLI has every feature that
// config's blocks need. A config that does not parse needs none: the test
// is about what the CLI says of it.
func skipUnlessCLIRuns(t *testing.T, config string) {
	t.Helper()
	body, diags := parseHCL([]byte(config), "config.tf")
	if diags.HasErrors() {
		return
	}
	for _, f := range configFeatures(body) {
		skipUnlessCLI(t, f)
	}
}

// parseHCL parses a file of native syntax, whose body hclsyntax gives as
// a *hclsyntax.Body.
func parseHCL(src []byte, filename string) (*hclsyntax.Body, hcl.Diagnostics) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("%s: the body of type %T is not native syntax", filename, file.Body)})
	}
	return body, diags
}

// versionBefore says whether version v (1.12.6, 1.14.0-beta1) is below
// first (1.12), comparing the numbers of first.
func versionBefore(v, first string) bool {
	have := strings.Split(strings.SplitN(v, "-", 2)[0], ".")
	for i, w := range strings.Split(first, ".") {
		want, _ := strconv.Atoi(w)
		got := 0
		if i < len(have) {
			got, _ = strconv.Atoi(have[i])
		}
		if got != want {
			return got < want
		}
	}
	return false
}

func TestWrappedCLI(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	// A CLI that logs each call's arguments, one per line, and answers
	// version -json; its path needs quoting.
	dir := filepath.Join(t.TempDir(), "it's a CLI")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	calls := filepath.Join(dir, "calls")
	shim := wrapFakeCLI(t, filepath.Join(dir, "terraform"), `#!/bin/sh
printf '%s\n' "$@" "--" >>"$(dirname "$0")/calls"
if [ "$1" = version ]; then printf '{\n  "terraform_version": "1.99.0"\n}\n'; fi
`)
	const version = "{\n  \"terraform_version\": \"1.99.0\"\n}\n"
	for _, tc := range []struct {
		args      []string
		stdout    string
		callsThen string // what the CLI has been called with, by then
	}{
		{[]string{"version", "-json"}, version, "version\n-json\n--\n"},
		{[]string{"version", "-json"}, version, "version\n-json\n--\n"},
		{[]string{"plan", "-out", "a plan's file"}, "", "version\n-json\n--\nplan\n-out\na plan's file\n--\n"},
		{[]string{"version"}, version, "version\n-json\n--\nplan\n-out\na plan's file\n--\nversion\n--\n"},
	} {
		out, err := runCLI(shim, "", tc.args...)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != tc.stdout {
			t.Errorf("%v printed %q, want %q", tc.args, out, tc.stdout)
		}
		got, err := os.ReadFile(calls)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.callsThen {
			t.Errorf("after %v, the CLI was called with %q, want %q", tc.args, got, tc.callsThen)
		}
	}
}

// wrapFakeCLI writes script at path as an executable CLI, and returns the
// script that wrappedCLI writes for it.
func wrapFakeCLI(t *testing.T, path, script string) string {
	t.Helper()
	writeFile(t, path, []byte(script))
	if err := os.Chmod(path, 0o700); err != nil {
		t.Fatal(err)
	}
	shim, err := wrappedCLI(path)
	if err != nil {
		t.Fatal(err)
	}
	return shim
}

// TestWrappedCLIReattach checks that the script adds the providers of
// envReattachProviders to those of TF_REATTACH_PROVIDERS, and leaves the
// latter as it is when a test serves none.
func TestWrappedCLIReattach(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	shim := wrapFakeCLI(t, filepath.Join(t.TempDir(), "terraform"), `#!/bin/sh
if [ "$1" = version ]; then printf '{}\n'; exit 0; fi
printf '%s' "${TF_REATTACH_PROVIDERS-unset}"
`)
	const astral = `{"h/astral/astral":{"Protocol":"grpc","Addr":{"Network":"unix","String":"/a"}}}`
	const vault = `{"h/hashicorp/vault":{"Protocol":"grpc","Addr":{"Network":"unix","String":"/v"}}}`
	tests := []struct {
		name, reattach, served, want string
	}{
		{"none served", astral, "", astral},
		{"none at all", "", "", "unset"},
		{"served alone", "", vault, vault},
		{"served beside an empty set", "{}", vault, vault},
		{"served beside the provider's", astral, vault,
			`{"h/astral/astral":{"Protocol":"grpc","Addr":{"Network":"unix","String":"/a"}},"h/hashicorp/vault":{"Protocol":"grpc","Addr":{"Network":"unix","String":"/v"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// t.Setenv first, so that the variable is restored after the test.
			t.Setenv("TF_REATTACH_PROVIDERS", tt.reattach)
			if tt.reattach == "" {
				os.Unsetenv("TF_REATTACH_PROVIDERS")
			}
			t.Setenv(envReattachProviders, tt.served)
			out, err := runCLI(shim, "", "plan")
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("the CLI saw TF_REATTACH_PROVIDERS=%s, want %s", out, tt.want)
			}
			if tt.want != "unset" && !json.Valid(out) {
				t.Errorf("TF_REATTACH_PROVIDERS=%s is not JSON", out)
			}
		})
	}
}

func TestVersionBefore(t *testing.T) {
	tests := []struct {
		v, first string
		want     bool
	}{
		{"1.5.7", "1.10", true},
		{"1.9.99", "1.10", true},
		{"1.10.0", "1.10", false},
		{"1.11.4", "1.10", false},
		{"1.14.0-beta1", "1.14", false},
		{"1.13.5", "1.14", true},
		{"2.0.0", "1.14", false},
		{"1.12.6", "1.12.7", true},
		{"1.16.0-rc2", "1.16", false},
		{"1.15.9", "1.16", true},
	}
	for _, tt := range tests {
		if got := versionBefore(tt.v, tt.first); got != tt.want {
			t.Errorf("versionBefore(%q, %q) = %v, want %v", tt.v, tt.first, got, tt.want)
		}
	}
}

// envCLIMatrix is set by make testacc-matrix for its runs with more CLIs.
const envCLIMatrix = "ASTRAL_TEST_CLI_MATRIX"

// skipInCLIMatrix skips, in the runs of the CLI matrix, a test of what the
// CLI takes no part in: make test's first run, with the terraform on PATH
// and the race detector, has run it. Such a test checks the provider's own
// logic, which every CLI drives through the same calls of protocol 6: a
// bad input's diagnostic, drift found by a read (a key revoked, expired or
// of another organization), the requests that reads cost, encryption to
// secret_recipients, the client against the API's faults and rate limits,
// the process outliving a killed Terraform. What a CLI does take part in
// runs on every CLI: each example and guide, the features that CLIs add
// (ephemeral resources, identity and import, list resources, actions,
// functions, write-only arguments, generated configuration), and the plans
// that replace keys, keep placeholders and upgrade states. A test skipped
// here must run with the CLI on PATH (Terraform 1.11 or later).
func skipInCLIMatrix(t *testing.T) {
	t.Helper()
	if os.Getenv(envCLIMatrix) != "" {
		t.Skip("what it tests does not change with the CLI: it runs once, with the terraform on PATH")
	}
	testFeatures.record(t, runsOnce)
}

// runsOnce marks, among a test's features, a test that skipInCLIMatrix
// lets run: the one run it has, which skipOnIntermediateCLI leaves be.
const runsOnce = "runs once"

// envCLIPrevious is set by make testacc (scripts/cli-previous.sh) for a
// Terraform that is neither the oldest nor the newest of the run: it names
// the Terraform version just below it (see skipOnIntermediateCLI).
const envCLIPrevious = "ASTRAL_TEST_CLI_PREVIOUS"

// skipOnIntermediateCLI skips, on a Terraform between the oldest and the
// newest of the run, a test that needs nothing the Terraform just below it
// lacks: the releases on either side, which run it too, bracket what it
// proves. Such a Terraform runs the tests of the features it is the oldest
// of the run to have (skipUnlessCLI records a test's features, which is why
// it comes first in a test).
func skipOnIntermediateCLI(t *testing.T) {
	t.Helper()
	previous := os.Getenv(envCLIPrevious)
	if previous == "" || acceptanceCLI.product != "Terraform" {
		return
	}
	for _, feature := range testFeatures.of(t) {
		if feature == runsOnce {
			return
		}
		for _, f := range cliFeatures {
			if f.name == feature && versionBefore(previous, f.terraform) {
				return
			}
		}
	}
	t.Skipf("%s lies between older and newer Terraform releases of this run, which run this test; here run only the tests of what Terraform %s lacks", acceptanceCLI, previous)
}

// featureRecord holds, by test name, the features that skipUnlessCLI found
// a test to need.
type featureRecord struct {
	mu     sync.Mutex
	byTest map[string][]string
}

var testFeatures featureRecord

func (r *featureRecord) record(t *testing.T, feature string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byTest == nil {
		r.byTest = map[string][]string{}
	}
	r.byTest[t.Name()] = append(r.byTest[t.Name()], feature)
}

// of returns the features recorded for t and for the tests it is a subtest of.
func (r *featureRecord) of(t *testing.T) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var features []string
	name := t.Name()
	for {
		features = append(features, r.byTest[name]...)
		i := strings.LastIndex(name, "/")
		if i < 0 {
			return features
		}
		name = name[:i]
	}
}

func TestConfigFeatures(t *testing.T) {
	tests := []struct {
		name, config string
		want         []string
	}{
		{"resource only", `resource "astral_api_key" "k" { name = "k" }`, nil},
		{"ephemeral block", `ephemeral "astral_api_key" "k" { name = "k" }`, []string{"ephemeral resources"}},
		{"provider function", `output "s" { value = provider::astral::decrypt_secret("x", "y") }`, []string{"provider functions"}},
		{"built-in function", `output "s" { value = upper("x") }`, nil},
		{"write-only argument", `resource "vault_kv_secret_v2" "s" {
  data_json_wo         = "{}"
  data_json_wo_version = 1
}`, []string{"write-only arguments"}},
		{"action block", `action "astral_revoke_api_key" "a" {
  config {
    id = "key_1"
  }
}`, []string{"actions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, diags := parseHCL([]byte(tt.config), "main.tf")
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if got := configFeatures(body); !slices.Equal(got, tt.want) {
				t.Errorf("configFeatures = %q, want %q", got, tt.want)
			}
		})
	}
}
