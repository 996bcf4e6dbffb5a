package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// The guide "Gating plans with policies": the policy of
// examples/guides/policies, run by OPA (pinned in tools/go.mod) on the
// JSON of plans that the CLI makes against the sandbox, with the guide's
// script, as a CI job would.

// policiesDir is the guide's example: a configuration, the Rego policy,
// its parameters and the script that checks a plan.
var policiesDir = filepath.Join(examplesDir, "guides", "policies")

// policyRuleCases are, for each rule of the policy, a key that breaks it
// and a key that keeps it, as the bodies of astral_api_key resources named
// NAME_breaks and NAME_keeps. broken is every rule the first breaks.
var policyRuleCases = []struct {
	name          string
	breaks, keeps string
	broken        []string
}{
	{
		name:   "expiry",
		breaks: `name = "ci-forever"`,
		keeps:  `name = "ci-rotated"` + "\n" + `rotation = { expire_after = "90d", rotate_before = "14d" }`,
		broken: []string{"expiry"},
	},
	{
		name:   "lifetime_rotation",
		breaks: `name = "ci-long"` + "\n" + `rotation = { expire_after = "91d", rotate_before = "14d" }`,
		keeps:  `name = "ci-short"` + "\n" + `rotation = { expire_after = "2160h", rotate_before = "14d" }`,
		broken: []string{"lifetime"},
	},
	{
		// Counted from the plan's timestamp, which plantimestamp() is.
		name:   "lifetime_expires_at",
		breaks: `name = "ci-until-later"` + "\n" + `expires_at = timeadd(plantimestamp(), "2184h")`,
		keeps:  `name = "ci-until-soon"` + "\n" + `expires_at = timeadd(plantimestamp(), "2136h")`,
		broken: []string{"lifetime"},
	},
	{
		name:   "name",
		breaks: `name = "Roster sync"` + "\n" + `rotation = { expire_after = "30d", rotate_before = "7d" }`,
		keeps:  `name = "roster-sync"` + "\n" + `rotation = { expire_after = "30d", rotate_before = "7d" }`,
		broken: []string{"name"},
	},
	{
		// The provider refuses revoke_on_destroy = false on a key whose
		// configuration has no expiry; one known only after apply passes it,
		// and the policy refuses it (its lifetime rule too).
		name:   "revoke_on_destroy",
		breaks: `name = "ci-grace"` + "\n" + `revoke_on_destroy = false` + "\n" + `expires_at = terraform_data.expiry.output`,
		keeps:  `name = "ci-grace"` + "\n" + `revoke_on_destroy = false` + "\n" + `rotation = { expire_after = "30d", rotate_before = "7d" }`,
		broken: []string{"lifetime", "revoke_on_destroy"},
	},
}

// policyRulesConfig is the configuration of policyRuleCases' keys.
func policyRulesConfig() string {
	var b strings.Builder
	b.WriteString("resource \"terraform_data\" \"expiry\" {\n  input = timeadd(plantimestamp(), \"720h\")\n}\n")
	for _, c := range policyRuleCases {
		for _, key := range []struct{ suffix, body string }{{"breaks", c.breaks}, {"keeps", c.keeps}} {
			fmt.Fprintf(&b, "\nresource \"astral_api_key\" \"%s_%s\" {\n%s\n}\n", c.name, key.suffix, key.body)
		}
	}
	return b.String()
}

// TestGuidePolicies_rego runs the policy's own tests and checks it as its
// CI would: opa check --strict, opa fmt and opa test.
func TestGuidePolicies_rego(t *testing.T) {
	opa := opaBinary(t)
	dir := filepath.Join(policiesDir, "policy")
	for _, args := range [][]string{
		{"check", "--strict", dir},
		{"fmt", "--list", "--fail", dir},
		{"test", "--verbose", dir},
	} {
		out, err := exec.Command(opa, args...).CombinedOutput()
		if err != nil {
			t.Errorf("opa %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestAccGuidePolicies follows the guide: its script passes the example,
// and fails a plan of keys that break each rule, with a message per key.
func TestAccGuidePolicies(t *testing.T) {
	p := newPolicyCheck(t)
	if out, err := p.checkPlan(); err != nil {
		t.Fatalf("the guide's example breaks its policy: %v\n%s", err, out)
	}

	p.s.WriteFile("rules.tf", policyRulesConfig())
	out, err := p.checkPlan()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("check-plan.sh of keys that break the rules: %v, want exit status 1\n%s", err, out)
	}
	broken := map[string][]string{}
	for _, v := range p.violations(t) {
		broken[v.Address] = append(broken[v.Address], v.Rule)
		if !strings.Contains(out, v.Message) {
			t.Errorf("check-plan.sh does not print %q", v.Message)
		}
	}
	for _, c := range policyRuleCases {
		breaks, keeps := "astral_api_key."+c.name+"_breaks", "astral_api_key."+c.name+"_keeps"
		got := broken[breaks]
		slices.Sort(got)
		if !slices.Equal(got, c.broken) {
			t.Errorf("%s breaks rules %v, want %v", breaks, got, c.broken)
		}
		if len(broken[keeps]) > 0 {
			t.Errorf("%s breaks rules %v, want none", keeps, broken[keeps])
		}
		delete(broken, breaks)
		delete(broken, keeps)
	}
	if len(broken) > 0 {
		t.Errorf("other addresses break rules: %v", broken)
	}
}

// TestAccGuidePolicies_changeWindow plans a revocation by the action: the
// guide's script passes it inside a change window; outside, the policy
// refuses it.
func TestAccGuidePolicies_changeWindow(t *testing.T) {
	skipUnlessCLI(t, "actions")
	p := newPolicyCheck(t)
	key := p.env.CreateKey(t, "old-ci", nil)
	p.s.WriteFile("revoke.tf", fmt.Sprintf("action \"astral_revoke_api_key\" \"cleanup\" {\n  config {\n    id = %q\n  }\n}\n", key.ID))
	// Every day, the whole day: the plan's time is inside.
	p.writeParams(t, []changeWindow{{Days: weekdayNames(), Start: "00:00", End: "24:00"}})
	invoke := "-invoke=action.astral_revoke_api_key.cleanup"
	if out, err := p.checkPlan(invoke); err != nil {
		t.Fatalf("check-plan.sh %s inside a change window: %v\n%s", invoke, err, out)
	}
	plan := p.planJSON(t)
	if len(plan.ActionInvocations) != 1 {
		t.Fatalf("the plan invokes %d actions, want 1: terraform show -json no longer lists action_invocations", len(plan.ActionInvocations))
	}

	// Every day but the plan's own.
	planned, err := time.Parse(time.RFC3339, plan.Timestamp)
	if err != nil {
		t.Fatalf("the plan's timestamp: %v", err)
	}
	planned = planned.UTC()
	days := slices.DeleteFunc(weekdayNames(), func(d string) bool { return d == planned.Weekday().String() })
	p.writeParams(t, []changeWindow{{Days: days, Start: "00:00", End: "24:00"}})
	got := p.violations(t)
	want := "action.astral_revoke_api_key.cleanup revokes the API key " + key.ID + " in a plan made on " + planned.Format("Monday at 15:04") + " UTC"
	if len(got) != 1 || got[0].Rule != "change_window" || !strings.HasPrefix(got[0].Message, want) {
		t.Errorf("violations of a revocation outside the change windows: %+v, want one of change_window starting %q", got, want)
	}
	if k, err := p.env.Client.APIKeys.Read(t.Context(), key.ID); err != nil || k.Status != astral.APIKeyStatusActive {
		t.Errorf("%s reads %v, %v after planning its revocation: want it active", key.ID, k, err)
	}
}

func weekdayNames() []string {
	var days []string
	for d := time.Sunday; d <= time.Saturday; d++ {
		days = append(days, d.String())
	}
	return days
}

// policyCheck runs the guide's commands in a CLI session's directory.
type policyCheck struct {
	env *testAccEnv
	s   *cliSession
	opa string
}

// newPolicyCheck starts a sandbox and a CLI session whose directory holds
// the guide's example, as a repository that follows the guide would, and
// initializes it.
func newPolicyCheck(t *testing.T) *policyCheck {
	t.Helper()
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("Acceptance tests skipped unless env '%s' set", resource.EnvTfAcc)
	}
	opa := opaBinary(t)
	env := newTestAccEnv(t)
	s := newCLISession(t, env)
	if err := os.Mkdir(filepath.Join(s.Dir, "policy"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"main.tf", "params.json", "check-plan.sh", "policy/astral_api_key.rego", "policy/astral_api_key_test.rego"} {
		s.WriteFile(name, readExample(t, policiesDir, name))
	}
	s.Run("init")
	return &policyCheck{env: env, s: s, opa: opa}
}

// checkPlan runs the guide's check-plan.sh with args, with the session's
// CLI as terraform and the built OPA as opa on PATH, and returns what it
// printed.
func (p *policyCheck) checkPlan(args ...string) (string, error) {
	bin := filepath.Join(p.s.Dir, ".bin")
	for name, target := range map[string]string{"terraform": p.s.bin, "opa": p.opa} {
		link := filepath.Join(bin, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := errors.Join(os.MkdirAll(bin, 0o700), os.Symlink(target, link)); err != nil {
			return "", err
		}
	}
	cmd := exec.Command("sh", append([]string{"check-plan.sh"}, args...)...)
	cmd.Dir = p.s.Dir
	cmd.Env = append(slices.Clone(p.s.env), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	p.s.t.Logf("$ sh check-plan.sh %s\n%s", strings.Join(args, " "), out)
	return string(out), err
}

// planJSON reads the tfplan.json that check-plan.sh wrote.
func (p *policyCheck) planJSON(t *testing.T) (plan struct {
	Timestamp         string            `json:"timestamp"`
	ActionInvocations []json.RawMessage `json:"action_invocations"`
}) {
	t.Helper()
	if err := json.Unmarshal([]byte(readExample(t, p.s.Dir, "tfplan.json")), &plan); err != nil {
		t.Fatalf("tfplan.json: %v", err)
	}
	return plan
}

// policyViolation is one element of data.astral.api_keys.violations.
type policyViolation struct {
	Rule    string `json:"rule"`
	Address string `json:"address"`
	Message string `json:"message"`
}

// violations evaluates the policy's violations of tfplan.json, with the
// parameters of params.json, as objects.
func (p *policyCheck) violations(t *testing.T) []policyViolation {
	t.Helper()
	cmd := exec.Command(p.opa, "eval", "--format=json", "--data", "policy/", "--data", "params.json",
		"--input", "tfplan.json", "data.astral.api_keys.violations")
	cmd.Dir = p.s.Dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("opa eval: %v\n%s", err, out)
	}
	var result struct {
		Result []struct {
			Expressions []struct {
				Value []policyViolation `json:"value"`
			} `json:"expressions"`
		} `json:"result"`
	}
	if err := json.Unmarshal(out, &result); err != nil || len(result.Result) != 1 || len(result.Result[0].Expressions) != 1 {
		t.Fatalf("opa eval printed %s (%v): want one result of one expression", out, err)
	}
	return result.Result[0].Expressions[0].Value
}

// changeWindow is one window of the policy's change_windows.
type changeWindow struct {
	Days  []string `json:"days"`
	Start string   `json:"start"`
	End   string   `json:"end"`
}

// writeParams rewrites params.json, the example's, with windows for its
// change windows.
func (p *policyCheck) writeParams(t *testing.T, windows []changeWindow) {
	t.Helper()
	var params map[string]map[string]any
	if err := json.Unmarshal([]byte(readExample(t, policiesDir, "params.json")), &params); err != nil {
		t.Fatalf("params.json: %v", err)
	}
	params["astral_api_key_policy"]["change_windows"] = windows
	src, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	p.s.WriteFile("params.json", string(src))
}

// opaBuild is OPA, built once per test process: the module is big, and its
// first build takes minutes.
var opaBuild struct {
	once sync.Once
	path string
	err  error
}

// opaBinary is the path of OPA, built at the version tools/go.mod pins.
func opaBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("the policy tests build OPA (github.com/open-policy-agent/opa, pinned in tools/go.mod), which takes minutes the first time: they do not run with -short")
	}
	opaBuild.once.Do(func() { opaBuild.path, opaBuild.err = buildOPA() })
	if opaBuild.err != nil {
		t.Fatalf("building OPA: %v", opaBuild.err)
	}
	return opaBuild.path
}

// buildOPA builds OPA into the user's cache folder, where the next run
// finds it up to date, holding a lock: make test's runs start at the same
// time, and each would otherwise compile the module anew.
func buildOPA() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command, which builds OPA: %w", err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "terraform-provider-astral")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "opa.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	// Closing the file releases the lock.
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	bin := filepath.Join(dir, "opa")
	cmd := exec.Command(goBin, "build", "-modfile=tools/go.mod", "-o", bin, "github.com/open-policy-agent/opa")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -modfile=tools/go.mod github.com/open-policy-agent/opa: %w\n%s", err, out)
	}
	return bin, nil
}
