package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

// The project issue "Nothing lost": a `terraform apply` of many keys killed
// with SIGKILL (an OOM kill, a CI runner cancelled) must leave no key active
// in the API that no state knows, and the next apply must not create a key
// twice. Terraform cannot help once it is killed: the provider's process,
// which outlives it, settles what was in flight. These tests run the real
// CLI against the provider built from this repository, kill it, wait for the
// provider's process to go, apply again, and audit the organization.

const (
	// killedRunKeys keys, killedRunParallelism at a time, each request
	// killedRunLatency late: a run that lasts about 8 s, the kills falling
	// at its start, in its middle and near its end.
	killedRunKeys        = 100
	killedRunParallelism = 10
	killedRunLatencyMS   = 600
	// killedRunNamePrefix starts every key's name: it is how operators find
	// the keys a killed run may have left behind.
	killedRunNamePrefix = "killed-run-"
	// pluginExitLimit bounds the wait for the provider's process after a
	// kill: the provider promises to exit on its own within about 30 s.
	pluginExitLimit = 60 * time.Second
	// killedRunMarker names the environment variable that ties the
	// processes of one subtest together: Terraform hands its environment
	// to the provider's process, which is found by it after Terraform is
	// gone and the process belongs to init.
	killedRunMarker = "ASTRAL_TEST_KILLED_RUN"
)

// TestAccKilledRun kills `terraform apply` with SIGKILL at several moments
// of a run creating 100 keys, and the provider's process itself once, then
// applies again and audits the organization's keys through the API. A
// killed Terraform must leave no orphan (an active key in no state) and no
// duplicate (two active keys of one name); a killed provider can, and the
// test measures how many and checks that a listing finds them by name.
//
// Each kill moment gets a sandbox and a working directory of its own; the
// subtests run one after another, so that the moments are not skewed by
// each other's load on a small machine. The figures go to the log as one
// line per moment starting with "killed-run:".
func TestAccKilledRun(t *testing.T) {
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("Acceptance tests skipped unless env '%s' set", resource.EnvTfAcc)
	}
	if runtime.GOOS != "linux" {
		t.Skip("finds the provider's process through /proc, which only Linux has")
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		var err error
		if tf, err = exec.LookPath("terraform"); err != nil {
			t.Skip("terraform is not on PATH")
		}
	}
	t.Parallel()
	h := newKilledRunHarness(t, tf)

	for _, moment := range []time.Duration{1500 * time.Millisecond, 4 * time.Second, 7 * time.Second} {
		t.Run("terraform killed at "+moment.String(), func(t *testing.T) {
			testTerraformKilled(t, h, moment)
		})
	}
	t.Run("provider killed at 4s", func(t *testing.T) {
		testProviderKilled(t, h, 4*time.Second)
	})
}

// testTerraformKilled kills Terraform alone at moment: the provider's
// process must finish what Terraform left in flight, revoking what no
// state will hold, and exit.
func testTerraformKilled(t *testing.T, h *killedRunHarness, moment time.Duration) {
	r := newKilledRun(t, h)
	apply := r.startApply(t)
	apply.sleepUntil(t, moment)
	plugins := len(r.pluginPIDs(t))
	before := r.tally.snapshot()
	killedAt := apply.kill(t)
	pluginExit := r.waitForPlugins(t, killedAt)
	afterKill := r.tally.since(before)
	inState, placeholders := r.readState(t)

	r.applyToCompletion(t)
	audit := r.audit(t)
	t.Logf("killed-run: moment=%s plugins=%d created_by_kill=%d state=%d placeholders=%d created_after_kill=%d revoked_after_kill=%d orphans=%d duplicates=%d plugin_exit=%s",
		moment, plugins, before.created(), inState, placeholders, afterKill.created(), afterKill.revoked(), len(audit.orphans), audit.duplicates, pluginExit.Round(10*time.Millisecond))
	audit.check(t)
	if len(audit.orphans) > 0 {
		t.Errorf("%d orphans, active keys in no state after Terraform was killed and applied again: %s", len(audit.orphans), keyNames(audit.orphans))
	}
	if audit.duplicates > 0 {
		t.Errorf("%d duplicates, active keys whose name another active key has", audit.duplicates)
	}
}

// testProviderKilled kills the provider's process at moment, which nothing
// can clean up after: the test measures what it leaves, and checks that a
// listing of the keys by the configuration's name prefix finds every
// orphan, as the documentation tells operators to look for them.
func testProviderKilled(t *testing.T, h *killedRunHarness, moment time.Duration) {
	r := newKilledRun(t, h)
	apply := r.startApply(t)
	apply.sleepUntil(t, moment)
	pids := r.pluginPIDs(t)
	if len(pids) == 0 {
		t.Fatalf("no provider process was running %s into the apply", moment)
	}
	before := r.tally.snapshot()
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill the provider's process %d: %v", pid, err)
		}
	}
	killedAt := time.Now()
	// Terraform reports the provider's crash and exits with an error.
	if err := apply.waitExit(pluginExitLimit); err == nil {
		t.Fatalf("terraform apply succeeded after its provider was killed:\n%s", apply.output())
	}
	terraformExit := time.Since(killedAt)
	afterKill := r.tally.since(before)
	inState, placeholders := r.readState(t)

	r.applyToCompletion(t)
	audit := r.audit(t)
	t.Logf("killed-run: moment=provider-%s created_by_kill=%d state=%d placeholders=%d created_after_kill=%d revoked_after_kill=%d orphans=%d duplicates=%d terraform_exit=%s",
		moment, before.created(), inState, placeholders, afterKill.created(), afterKill.revoked(), len(audit.orphans), audit.duplicates, terraformExit.Round(10*time.Millisecond))
	audit.check(t)
	listed := make(map[string]bool)
	for _, key := range audit.active {
		if strings.HasPrefix(key.Name, killedRunNamePrefix) {
			listed[key.ID] = true
		}
	}
	for _, key := range audit.orphans {
		if !listed[key.ID] {
			t.Errorf("orphan %s (%q) is not among the listed keys named %s*", key.ID, key.Name, killedRunNamePrefix)
		}
	}
}

// killedRunHarness is what every subtest shares: the CLI, the provider
// built from this repository, and a CLI configuration that installs it.
type killedRunHarness struct {
	terraform string
	// plugin is the provider's binary, as /proc/PID/exe names it.
	plugin    string
	cliConfig string
}

// newKilledRunHarness builds the provider as users run it (a process that
// Terraform starts, not one served by the test), and writes a CLI
// configuration whose dev_overrides point Terraform at it, so that no
// `terraform init` is needed.
func newKilledRunHarness(t *testing.T, tf string) *killedRunHarness {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	dir := t.TempDir()
	plugins := filepath.Join(dir, "plugins")
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(plugins, "terraform-provider-astral"), ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build the provider in %s: %v\n%s", root, err, out)
	}
	plugin, err := filepath.EvalSymlinks(filepath.Join(plugins, "terraform-provider-astral"))
	if err != nil {
		t.Fatal(err)
	}
	host, err := defaultProviderHost(tf)
	if err != nil {
		t.Fatalf("the CLI's provider host: %v", err)
	}
	cliConfig := filepath.Join(dir, "terraformrc")
	config := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", host+"/astral/astral", plugins)
	if err := os.WriteFile(cliConfig, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return &killedRunHarness{terraform: tf, plugin: plugin, cliConfig: cliConfig}
}

// killedRun is one subtest: a sandbox of its own, with latency on every
// request, and a working directory holding the configuration of 100 keys.
type killedRun struct {
	h      *killedRunHarness
	env    *sandboxtest.Env
	client *astral.Client
	tally  *requestTally
	dir    string
	// marker is the killedRunMarker variable of this subtest's processes.
	marker string
}

func newKilledRun(t *testing.T, h *killedRunHarness) *killedRun {
	tally := &requestTally{counts: map[string]int{}}
	env := sandboxtest.Start(t, func(o *sandbox.Options) {
		o.Logger = slog.New(tally)
		o.Faults = sandbox.Faults{LatencyMS: killedRunLatencyMS}
	})
	r := &killedRun{
		h:      h,
		env:    env,
		client: newTestClient(t, env.URL, env.HeadCoachKey),
		tally:  tally,
		dir:    t.TempDir(),
		marker: killedRunMarker + "=" + t.Name(),
	}
	config := fmt.Sprintf(`terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}

provider "astral" {
  endpoint = %q
  api_key  = %q
}

resource "astral_api_key" "key" {
  count = %d
  name  = "%s${count.index}"
}
`, env.URL, env.HeadCoachKey, killedRunKeys, killedRunNamePrefix)
	if err := os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	// Registered after the sandbox's cleanup, so run before it: a provider
	// left running would hold requests the sandbox waits for.
	t.Cleanup(func() {
		pids, err := r.findPlugins()
		if err != nil {
			t.Error(err)
		}
		for _, pid := range pids {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				t.Errorf("kill the provider's process %d: %v", pid, err)
			}
		}
	})
	return r
}

// applyArgs apply without a question, as CI does, at the parallelism of
// the report.
var applyArgs = []string{"apply", "-auto-approve", "-parallelism=" + strconv.Itoa(killedRunParallelism), "-input=false", "-no-color"}

// startApply starts `terraform apply`; the test's cleanup kills it if the
// test ends first.
func (r *killedRun) startApply(t *testing.T) *terraformProcess {
	cmd := exec.Command(r.h.terraform, applyArgs...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+r.h.cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", r.marker)
	p := &terraformProcess{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	// The provider's process does not inherit Terraform's output, but a
	// bound on copying it costs nothing.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start terraform apply: %v", err)
	}
	p.started = time.Now()
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			if err := cmd.Process.Kill(); err != nil {
				t.Errorf("kill terraform: %v", err)
			}
			<-p.done
		}
	})
	return p
}

// applyToCompletion applies again, as an operator would after the kill.
// The latency stays at 600 ms: the next run meets the same API.
func (r *killedRun) applyToCompletion(t *testing.T) {
	p := r.startApply(t)
	if err := p.waitExit(3 * time.Minute); err != nil {
		t.Fatalf("terraform apply after the kill: %v\n%s", err, p.output())
	}
}

// pluginPIDs are the provider processes of this subtest.
func (r *killedRun) pluginPIDs(t *testing.T) []int {
	t.Helper()
	pids, err := r.findPlugins()
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// findPlugins lists the processes that run the built provider with this
// subtest's marker in their environment. A zombie has no exe to read, so
// a process that has exited is not listed, whoever reaps it.
func (r *killedRun) findPlugins() ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// Errors are expected: a process that is gone, or not ours to read.
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || exe != r.h.plugin {
			continue
		}
		environ, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !slices.Contains(strings.Split(string(environ), "\x00"), r.marker) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// waitForPlugins waits for every provider process of the subtest to exit,
// and returns how long after since the last one went.
func (r *killedRun) waitForPlugins(t *testing.T, since time.Time) time.Duration {
	t.Helper()
	for {
		pids := r.pluginPIDs(t)
		waited := time.Since(since)
		if len(pids) == 0 {
			return waited
		}
		if waited > pluginExitLimit {
			t.Fatalf("provider process %v still running %s after Terraform was killed; it must exit on its own within %s",
				pids, waited.Round(time.Millisecond), pluginExitLimit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readState counts, in the state file, the keys the API confirmed and the
// tainted placeholders of creates that got no answer. The file is read
// directly: `terraform show` would start a provider process.
func (r *killedRun) readState(t *testing.T) (keys, placeholders int) {
	t.Helper()
	for _, inst := range r.stateInstances(t) {
		if inst.Attributes.ID == "" {
			placeholders++
		} else {
			keys++
		}
	}
	return keys, placeholders
}

// stateInstance is an instance of astral_api_key in a state file.
type stateInstance struct {
	Status     string `json:"status"`
	Attributes struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"attributes"`
}

func (r *killedRun) stateInstances(t *testing.T) []stateInstance {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.dir, "terraform.tfstate"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	// Terraform creates the file empty when it locks it, and fills it in
	// once a resource is done.
	if len(data) == 0 {
		return nil
	}
	var state struct {
		Resources []struct {
			Mode      string          `json:"mode"`
			Type      string          `json:"type"`
			Instances []stateInstance `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &state); err != nil {
		t.Fatalf("the state file after the kill: %v", err)
	}
	var instances []stateInstance
	for _, res := range state.Resources {
		if res.Mode == "managed" && res.Type == "astral_api_key" {
			instances = append(instances, res.Instances...)
		}
	}
	return instances
}

// killedRunAudit compares the organization's active keys, except the
// members' own, with the state.
type killedRunAudit struct {
	// active are the keys the API lists.
	active []*astral.APIKey
	// orphans are the active keys that no state holds.
	orphans []*astral.APIKey
	// duplicates counts the active keys beyond the first of each name.
	duplicates int
	// stateIDs are the ids of the keys in the state, tainted or not;
	// stateProblems say what keeps the state from holding each key once.
	stateIDs      map[string]bool
	stateProblems []string
}

// audit takes the active keys from the API's listing, and checks them
// against the sandbox's database, so that a listing that missed a key
// could not hide an orphan.
func (r *killedRun) audit(t *testing.T) killedRunAudit {
	t.Helper()
	members := make(map[string]bool)
	for _, m := range r.env.Org.Members {
		members[m.APIKeyID] = true
	}
	var a killedRunAudit
	listed, err := r.client.APIKeys.ListAll(t.Context())
	if err != nil {
		t.Fatalf("list the organization's keys: %v", err)
	}
	for _, key := range listed {
		if !members[key.ID] {
			a.active = append(a.active, key)
		}
	}
	activeIDs, err := r.env.Server.ActiveKeyIDs(t.Context(), r.env.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(activeIDs) - len(members); len(a.active) != want {
		t.Fatalf("the API listed %d active keys besides the members', the database holds %d", len(a.active), want)
	}

	a.stateIDs = make(map[string]bool)
	names := make(map[string]bool)
	for _, inst := range r.stateInstances(t) {
		switch {
		case inst.Attributes.ID == "":
			a.stateProblems = append(a.stateProblems, fmt.Sprintf("%s is a placeholder", inst.Attributes.Name))
		case inst.Status == "tainted":
			a.stateProblems = append(a.stateProblems, fmt.Sprintf("%s (%s) is tainted", inst.Attributes.Name, inst.Attributes.ID))
		case a.stateIDs[inst.Attributes.ID] || names[inst.Attributes.Name]:
			a.stateProblems = append(a.stateProblems, fmt.Sprintf("%s (%s) is in the state twice", inst.Attributes.Name, inst.Attributes.ID))
		}
		a.stateIDs[inst.Attributes.ID] = true
		names[inst.Attributes.Name] = true
	}
	if len(names) != killedRunKeys {
		a.stateProblems = append(a.stateProblems, fmt.Sprintf("%d names, want %d", len(names), killedRunKeys))
	}

	perName := make(map[string]int)
	for _, key := range a.active {
		if !a.stateIDs[key.ID] {
			a.orphans = append(a.orphans, key)
		}
		if perName[key.Name]++; perName[key.Name] > 1 {
			a.duplicates++
		}
	}
	return a
}

// check fails the test unless the applied state holds each of the 100
// keys once, each active.
func (a killedRunAudit) check(t *testing.T) {
	t.Helper()
	if len(a.stateProblems) > 0 {
		t.Errorf("the state after the second apply does not hold %d keys once each: %s", killedRunKeys, strings.Join(a.stateProblems, "; "))
	}
	active := make(map[string]bool, len(a.active))
	for _, key := range a.active {
		active[key.ID] = true
	}
	for id := range a.stateIDs {
		if id != "" && !active[id] {
			t.Errorf("key %s of the state is not active", id)
		}
	}
}

func keyNames(keys []*astral.APIKey) string {
	names := make([]string, len(keys))
	for i, key := range keys {
		names[i] = key.Name + " (" + key.ID + ")"
	}
	return strings.Join(names, ", ")
}

// terraformProcess is a running terraform command and its output.
type terraformProcess struct {
	cmd     *exec.Cmd
	out     bytes.Buffer
	started time.Time
	done    chan struct{}
	err     error // of Wait, once done is closed
}

// sleepUntil sleeps until moment after the start, and fails the test if
// Terraform has exited by then: it was to be killed mid-run.
func (p *terraformProcess) sleepUntil(t *testing.T, moment time.Duration) {
	t.Helper()
	select {
	case <-p.done:
		t.Fatalf("terraform exited %s after its start, before the kill at %s (%v):\n%s",
			time.Since(p.started).Round(time.Millisecond), moment, p.err, p.output())
	case <-time.After(time.Until(p.started.Add(moment))):
	}
}

// kill sends SIGKILL to Terraform alone, not to its process group: the
// provider's process must live on, as it does when the kernel's OOM killer
// or a CI runner kills Terraform. It returns the moment of the kill.
func (p *terraformProcess) kill(t *testing.T) time.Time {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill terraform: %v", err)
	}
	killedAt := time.Now()
	<-p.done
	var exit *exec.ExitError
	if !errors.As(p.err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("terraform ended with %v before the kill:\n%s", p.err, p.output())
	}
	return killedAt
}

// waitExit waits up to limit for Terraform to exit, and returns its error.
func (p *terraformProcess) waitExit(limit time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(limit):
		return fmt.Errorf("still running after %s", limit)
	}
}

// output is what Terraform printed; read only once it has exited.
func (p *terraformProcess) output() string { return p.out.String() }

// requestTally counts the sandbox's answers to the keys' requests by method
// and status ("POST 201", "DELETE 200"), from the line the sandbox logs
// once it has answered: its Stats count requests as they arrive, so they
// would count a revoke that never happened.
type requestTally struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *requestTally) Enabled(context.Context, slog.Level) bool { return true }

func (c *requestTally) Handle(_ context.Context, rec slog.Record) error {
	var method, route string
	var status int64
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "method":
			method = a.Value.String()
		case "route":
			route = a.Value.String()
		case "status":
			status = a.Value.Int64()
		}
		return true
	})
	if route != "/v1/api-keys" && route != "/v1/api-keys/{id}" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[fmt.Sprintf("%s %d", method, status)]++
	return nil
}

// The sandbox's logger adds no attributes or groups of its own.
func (c *requestTally) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *requestTally) WithGroup(string) slog.Handler      { return c }

func (c *requestTally) snapshot() requestCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// since counts the answers given after before was taken.
func (c *requestTally) since(before requestCounts) requestCounts {
	counts := c.snapshot()
	for k, n := range before {
		counts[k] -= n
	}
	return counts
}

// requestCounts are answers by method and status.
type requestCounts map[string]int

// created counts keys created (or a create replayed).
func (c requestCounts) created() int { return c["POST 201"] }

// revoked counts keys revoked.
func (c requestCounts) revoked() int { return c["DELETE 200"] }
