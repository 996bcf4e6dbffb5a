package provider

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// The README and every guide install the provider as users do: `make
// install` builds it into a filesystem mirror and prints the CLI
// configuration that installs it from there, and each guide starts with
// `terraform init`. The tests of the guides' content serve the provider in
// process (TF_REATTACH_PROVIDERS), with which init skips it; the test below
// runs init itself, with make install's mirror and configuration, on each
// CLI of the matrix.

// installScript is what `make install` runs.
const installScript = "../../scripts/install.sh"

// installedProvider is the outcome of one run of installScript.
type installedProvider struct {
	mirror    string
	cliConfig []byte // as the script wrote it
	version   string // as the mirror's layout gives it
}

// installProvider runs make install's script into a directory of the test,
// and checks the layout of the mirror it built.
func installProvider(t *testing.T) *installedProvider {
	t.Helper()
	dir := t.TempDir()
	inst := &installedProvider{mirror: filepath.Join(dir, "mirror")}
	config := filepath.Join(dir, "astral.tfrc")
	cmd := exec.CommandContext(t.Context(), installScript, inst.mirror, config)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", installScript, err, stdout, stderr.Bytes())
	}
	if inst.cliConfig, err = os.ReadFile(config); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(stdout, inst.cliConfig) || !strings.Contains(string(stdout), "export TF_CLI_CONFIG_FILE="+config) {
		t.Errorf("make install does not print the CLI configuration it wrote, and how to use it:\n%s", stdout)
	}
	// HOSTNAME/astral/astral/VERSION/OS_ARCH/terraform-provider-astral_vVERSION,
	// for each CLI's default host.
	binaries, err := filepath.Glob(filepath.Join(inst.mirror, "*", "astral", "astral", "*", "*", "terraform-provider-astral_v*"))
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]bool{}
	for _, b := range binaries {
		rel, _ := filepath.Rel(inst.mirror, b)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		hosts[parts[0]] = true
		if parts[5] != "terraform-provider-astral_v"+parts[3] || parts[4] != runtime.GOOS+"_"+runtime.GOARCH ||
			(inst.version != "" && parts[3] != inst.version) {
			t.Errorf("%s: not laid out as HOSTNAME/astral/astral/VERSION/OS_ARCH/terraform-provider-astral_vVERSION", rel)
		}
		inst.version = parts[3]
	}
	if host := os.Getenv(resource.EnvTfAccProviderHost); !hosts[host] {
		t.Fatalf("the mirror has no astral/astral under %s, the host of this CLI: %v", host, binaries)
	}
	return inst
}

// testProviders are the other providers that the guides use, which the
// tests install from the mirror of ASTRAL_TEST_PROVIDER_MIRROR.
var testProviders = []string{"hashicorp/vault", "hashicorp/time"}

// cliConfigWithTestMirror is make install's CLI configuration edited as the
// README tells users with a mirror of their own for other providers: a
// second filesystem_mirror, which direct then leaves out. Here the other
// providers are those of the tests' mirror, if set, and no provider is
// installed from a registry.
func cliConfigWithTestMirror(t *testing.T, config []byte) []byte {
	t.Helper()
	file, diags := hclwrite.ParseConfig(config, "astral.tfrc", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("make install's CLI configuration: %v\n%s", diags, config)
	}
	installation := file.Body().FirstMatchingBlock("provider_installation", nil)
	var direct *hclwrite.Block
	if installation != nil {
		direct = installation.Body().FirstMatchingBlock("direct", nil)
	}
	if direct == nil {
		t.Fatalf("make install's CLI configuration has no provider_installation block with direct:\n%s", config)
	}
	excluded := []cty.Value{cty.StringVal("astral/astral")}
	if mirror := os.Getenv(envProviderMirror); mirror != "" {
		installation.Body().RemoveBlock(direct)
		block := installation.Body().AppendNewBlock("filesystem_mirror", nil).Body()
		block.SetAttributeValue("path", cty.StringVal(mirror))
		var others []cty.Value
		for _, p := range testProviders {
			others = append(others, cty.StringVal(p))
		}
		block.SetAttributeValue("include", cty.ListVal(others))
		excluded = append(excluded, others...)
		installation.Body().AppendBlock(direct)
	}
	direct.Body().SetAttributeValue("exclude", cty.ListVal(excluded))
	return file.Bytes()
}

// newInstalledSession runs the CLI with config as its CLI configuration:
// it installs every provider, this one from make install's mirror.
func newInstalledSession(t *testing.T, config []byte) *cliSession {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cli.tfrc")
	writeFile(t, path, config)
	return newPlainCLISession(t, "TF_CLI_CONFIG_FILE="+path)
}

// mirrorWarning is what init says of each provider it installs from a
// mirror: the lock file gets the checksum of this platform's package only,
// where a registry gives those of every platform.
const mirrorWarning = "Warning: Incomplete lock file information for providers"

// skipUnlessGuideInstalls skips the test unless the CLI has the features of
// the guide's configuration, and the tests can install its providers.
func skipUnlessGuideInstalls(t *testing.T, ex *example) {
	t.Helper()
	for _, f := range ex.features {
		skipUnlessCLI(t, f)
	}
	for _, p := range ex.otherProviders() {
		if !slices.Contains(testProviders, "hashicorp/"+p) {
			t.Skipf("needs the provider %s, which the tests cannot install", p)
		}
		skipUnlessVaultProviders(t)
	}
}

// TestAccGuidesInstalled follows the README with each guide and the demo on
// the CLI: make install, then terraform init with the CLI configuration it
// prints (plus the tests' mirror of other providers): init installs the
// provider, with no warning but the one every mirror brings, and writes a
// lock file with its version and checksum; validate runs the installed
// binary. A second init accepts the lock file, and a rebuilt provider is
// refused by it until its checksum is added, as make install says. What the guides do once the provider is
// installed, their other tests run with the provider served in process.
func TestAccGuidesInstalled(t *testing.T) {
	requireAcceptanceCLI(t)
	inst := installProvider(t)
	config := cliConfigWithTestMirror(t, inst.cliConfig)
	examples, err := loadExamples(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		// A helper module without the provider (the module-test guide's
		// clock) is installed by its guide's init.
		if ex.name != "demo" && !strings.HasPrefix(ex.name, "guides/") || !ex.providers["astral"] {
			continue
		}
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			skipUnlessGuideInstalls(t, ex)
			s := newInstalledSession(t, config)
			if err := os.CopyFS(s.Dir, os.DirFS(ex.dir)); err != nil {
				t.Fatal(err)
			}
			if out := s.Run("init"); strings.Count(out, "Warning:") != strings.Count(out, mirrorWarning) {
				t.Errorf("terraform init warns of more than %q:\n%s", mirrorWarning, out)
			}
			lock := readLockFile(t, s.Dir)
			checkLocked(t, lock, "astral/astral", inst.version)
			for _, p := range ex.otherProviders() {
				checkLocked(t, lock, "hashicorp/"+p, "")
			}
			if ex.query == "" {
				s.Run("validate")
			} else {
				// Its list blocks too, which the provider validates.
				s.Run("validate", "-query")
			}
		})
	}
	t.Run("guides/many-workspaces/run-all.sh", func(t *testing.T) { testManyWorkspacesGuide(t, inst) })
	t.Run("a rebuilt provider", func(t *testing.T) {
		t.Parallel()
		testRebuiltProvider(t, inst)
	})
}

// testRebuiltProvider installs the provider from a mirror whose binary is
// an earlier build, then runs make install into that mirror again, as after
// a change to the provider: init refuses the new binary, by the lock
// file's checksum, and the command that make install then prints adds its
// checksum, after which init accepts it and it runs. Installing the same
// provider once more changes nothing.
func testRebuiltProvider(t *testing.T, inst *installedProvider) {
	dir := t.TempDir()
	mirror, cliConfig := filepath.Join(dir, "mirror"), filepath.Join(dir, "astral.tfrc")
	if err := os.CopyFS(mirror, os.DirFS(inst.mirror)); err != nil {
		t.Fatal(err)
	}
	binaries, err := filepath.Glob(filepath.Join(mirror, "*", "astral", "astral", inst.version, "*", "terraform-provider-astral_v*"))
	if err != nil || len(binaries) == 0 {
		t.Fatalf("no binary in the copy of the mirror: %v", err)
	}
	for _, b := range binaries {
		// Bytes after the end of an executable change its checksum, not what it does.
		f, err := os.OpenFile(b, os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString("an earlier build")
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	config := bytes.Replace(inst.cliConfig, []byte(hclString(inst.mirror)), []byte(hclString(mirror)), 1)
	if bytes.Equal(config, inst.cliConfig) {
		t.Fatalf("make install's CLI configuration does not name its mirror %s:\n%s", inst.mirror, inst.cliConfig)
	}
	s := newInstalledSession(t, cliConfigWithTestMirror(t, config))
	s.WriteFile("main.tf", requiredAstral)
	s.Run("init")
	before := readLockFile(t, s.Dir)
	s.Run("init")

	out, err := exec.CommandContext(t.Context(), installScript, mirror, cliConfig).Output()
	if err != nil {
		t.Fatalf("make install again: %v\n%s", err, out)
	}
	_, lock, found := strings.Cut(string(out), "\n  terraform providers lock ")
	lock, _, _ = strings.Cut(lock, "\n")
	if !found {
		t.Fatalf("make install of another build does not say how to add its checksum:\n%s", out)
	}
	if out, err := s.Try("init"); err == nil || !strings.Contains(out, "checksums") {
		t.Fatalf("terraform init accepted a binary whose checksum the lock file does not hold (%v):\n%s", err, out)
	}
	s.Run(append([]string{"providers", "lock"}, strings.Fields(lock)...)...)
	s.Run("init")
	after := readLockFile(t, s.Dir)
	checkLocked(t, after, "astral/astral", inst.version)
	if len(after["astral/astral"].hashes) <= len(before["astral/astral"].hashes) {
		t.Errorf("terraform providers lock added no checksum: %v, was %v", after["astral/astral"].hashes, before["astral/astral"].hashes)
	}
	s.Run("validate")

	// The build is reproducible: installing the same provider again changes
	// nothing, and the lock file stays valid.
	out, err = exec.CommandContext(t.Context(), installScript, mirror, cliConfig).Output()
	if err != nil || !strings.Contains(string(out), "is unchanged") || strings.Contains(string(out), "providers lock") {
		t.Fatalf("make install of the same provider (%v):\n%s", err, out)
	}
	s.Run("init")
}

// hclString is s as an HCL string literal, quotes included.
func hclString(s string) string {
	return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
}

// lockedProvider is a provider as a lock file records it.
type lockedProvider struct {
	version string
	hashes  []string
}

// readLockFile reads dir's .terraform.lock.hcl, by provider source without
// its host (hashicorp/vault), which differs between Terraform and OpenTofu.
func readLockFile(t *testing.T, dir string) map[string]lockedProvider {
	t.Helper()
	path := filepath.Join(dir, ".terraform.lock.hcl")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("terraform init wrote no lock file: %v", err)
	}
	body, diags := parseHCL(src, path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	locked := map[string]lockedProvider{}
	for _, block := range body.Blocks {
		if block.Type != "provider" || len(block.Labels) != 1 {
			continue
		}
		var p lockedProvider
		for name, target := range map[string]any{"version": &p.version, "hashes": &p.hashes} {
			attr, ok := block.Body.Attributes[name]
			if !ok {
				t.Fatalf("%s: provider %q has no %s", path, block.Labels[0], name)
			}
			v, diags := attr.Expr.Value(nil)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			// The hashes are a tuple, which converts to a list of strings.
			if v.Type().IsTupleType() {
				if v, err = convert.Convert(v, cty.List(cty.String)); err != nil {
					t.Fatalf("%s: %s of %q: %v", path, name, block.Labels[0], err)
				}
			}
			if err := gocty.FromCtyValue(v, target); err != nil {
				t.Fatalf("%s: %s of %q: %v", path, name, block.Labels[0], err)
			}
		}
		_, source, _ := strings.Cut(block.Labels[0], "/")
		locked[source] = p
	}
	return locked
}

// checkLocked checks that the lock file records source with an h1 checksum,
// the hash of an unpacked provider, and version unless it is "".
func checkLocked(t *testing.T, locked map[string]lockedProvider, source, version string) {
	t.Helper()
	p, ok := locked[source]
	switch {
	case !ok:
		t.Errorf("the lock file does not record %s: %v", source, locked)
	case version != "" && p.version != version:
		t.Errorf("the lock file records %s %s, want %s", source, p.version, version)
	case !slices.ContainsFunc(p.hashes, func(h string) bool { return strings.HasPrefix(h, "h1:") }):
		t.Errorf("the lock file records no h1 checksum of %s: %v", source, p.hashes)
	}
}
