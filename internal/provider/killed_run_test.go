package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
	// killedRunLatencyMS late: an apply of about 8.5 s on two cores, whose
	// plan ends and first creates go out about 2.2 s in.
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
	skipInCLIMatrix(t)
	if runtime.GOOS != "linux" {
		t.Skip("finds the provider's process through /proc, which only Linux has")
	}
	tf, err := acceptanceCLIPath()
	if err != nil {
		t.Skip("terraform is not on PATH")
	}
	t.Parallel()
	h := newKilledRunHarness(t, tf)

	// In the plan, with nothing created yet; amid the creates; near the end.
	for _, moment := range []time.Duration{1500 * time.Millisecond, 4 * time.Second, 7 * time.Second} {
		t.Run("terraform killed at "+moment.String(), func(t *testing.T) {
			testTerraformKilled(t, h, moment)
		})
	}
	t.Run("provider killed at 4s", func(t *testing.T) {
		testProviderKilled(t, h, 4*time.Second)
	})
	t.Run("terraform interrupted at 4s", func(t *testing.T) {
		testTerraformInterrupted(t, h, 4*time.Second)
	})
}

// testTerraformInterrupted stops Terraform gracefully (SIGINT, as Ctrl-C
// does) at moment: Terraform asks the provider to stop and saves what each
// create returns, so the provider revokes nothing, every key the state
// holds stays active, and the next apply completes the rest.
func testTerraformInterrupted(t *testing.T, h *killedRunHarness, moment time.Duration) {
	r := newKilledRun(t, h)
	apply := r.startApply(t)
	r.runUntil(t, apply, moment)
	atStop := r.mark(t)
	if err := apply.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("interrupt terraform: %v", err)
	}
	if err := apply.waitExit(pluginExitLimit); err == nil {
		t.Fatalf("terraform apply succeeded although interrupted:\n%s", apply.output())
	}
	r.waitForPlugins(t, time.Now())
	r.waitForAPI(t)
	created, revoked := r.since(t, atStop)
	inState, placeholders, err := r.readState(true)
	if err != nil {
		t.Fatal(err)
	}

	r.applyToCompletion(t)
	audit := r.audit(t)
	t.Logf("killed-run: moment=interrupted-%s created_by_stop=%d state=%d placeholders=%d created_after_stop=%d revoked_after_stop=%d orphans=%d duplicates=%d",
		moment, atStop.active, inState, placeholders, created, revoked, len(audit.orphans), audit.duplicates)
	audit.check(t)
	if revoked > 0 {
		t.Errorf("a graceful stop revoked %d keys; Terraform saved them, and the provider must leave them be", revoked)
	}
	if len(audit.orphans) > 0 || audit.duplicates > 0 {
		t.Errorf("%d orphans and %d duplicates after a graceful stop and another apply", len(audit.orphans), audit.duplicates)
	}
}

// testTerraformKilled kills Terraform alone at moment: the provider's
// process must finish what Terraform left in flight, revoking what no
// state will hold, and exit.
//
// A kill that lands while Terraform writes terraform.tfstate, which it
// truncates and rewrites in place, leaves the file cut short: every key is
// then lost to Terraform, whatever the provider does. Such a moment is
// logged and tried again a little later, on a fresh sandbox.
func testTerraformKilled(t *testing.T, h *killedRunHarness, moment time.Duration) {
	const attempts, shift = 3, 150 * time.Millisecond
	for attempt := range attempts {
		at := moment + time.Duration(attempt)*shift
		r := newKilledRun(t, h)
		apply := r.startApply(t)
		stateWritten := r.runUntil(t, apply, at)
		plugins := len(r.pluginPIDs(t))
		atKill := r.mark(t)
		killedAt := apply.kill(t)
		pluginExit := r.waitForPlugins(t, killedAt)
		r.waitForAPI(t)
		created, revoked := r.since(t, atKill)
		inState, placeholders, err := r.readState(stateWritten)
		var cut *cutStateError
		if errors.As(err, &cut) {
			t.Logf("killed-run: moment=%s state=cut (%v)", at, err)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}

		r.applyToCompletion(t)
		audit := r.audit(t)
		t.Logf("killed-run: moment=%s plugins=%d created_by_kill=%d state=%d placeholders=%d created_after_kill=%d revoked_after_kill=%d orphans=%d duplicates=%d plugin_exit=%s",
			at, plugins, atKill.active, inState, placeholders, created, revoked, len(audit.orphans), audit.duplicates, pluginExit.Round(10*time.Millisecond))
		audit.check(t)
		if len(audit.orphans) > 0 {
			t.Errorf("%d orphans, active keys in no state after Terraform was killed and applied again: %s",
				len(audit.orphans), audit.describe(audit.orphans, killedAt))
		}
		if audit.duplicates > 0 {
			t.Errorf("%d duplicates, active keys whose name another active key has", audit.duplicates)
		}
		return
	}
	t.Fatalf("each of %d kills from %s on, %s apart, cut the state file short", attempts, moment, shift)
}

// testProviderKilled kills the provider's process at moment, which nothing
// can clean up after: the test measures what it leaves, and checks that a
// listing of the keys by the configuration's name prefix finds every
// orphan, as the documentation tells operators to look for them.
func testProviderKilled(t *testing.T, h *killedRunHarness, moment time.Duration) {
	r := newKilledRun(t, h)
	apply := r.startApply(t)
	r.runUntil(t, apply, moment)
	// On a loaded machine the moment may fall between the processes that
	// Terraform starts for the plan and for the apply: the kill waits for
	// the next one.
	pids := r.pluginPIDs(t)
	for wait := time.Now().Add(10 * time.Second); len(pids) == 0 && time.Now().Before(wait); pids = r.pluginPIDs(t) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(pids) == 0 {
		t.Fatalf("no provider process was running %s into the apply", moment)
	}
	atKill := r.mark(t)
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill the provider's process %d: %v", pid, err)
		}
	}
	killedAt := time.Now()
	// Terraform reports the provider's crash and exits with an error,
	// having written its state.
	if err := apply.waitExit(pluginExitLimit); err == nil {
		t.Fatalf("terraform apply succeeded after its provider was killed:\n%s", apply.output())
	}
	terraformExit := time.Since(killedAt)
	r.waitForAPI(t)
	created, revoked := r.since(t, atKill)
	// Terraform was not killed: an empty file is one it had nothing to
	// write to.
	inState, placeholders, err := r.readState(false)
	if err != nil {
		t.Fatal(err)
	}

	r.applyToCompletion(t)
	audit := r.audit(t)
	t.Logf("killed-run: moment=provider-%s created_by_kill=%d state=%d placeholders=%d created_after_kill=%d revoked_after_kill=%d orphans=%d duplicates=%d terraform_exit=%s",
		moment, atKill.active, inState, placeholders, created, revoked, len(audit.orphans), audit.duplicates, terraformExit.Round(10*time.Millisecond))
	audit.check(t)
	for _, id := range audit.orphans {
		if key := audit.listed[id]; key == nil || !strings.HasPrefix(key.Name, killedRunNamePrefix) {
			t.Errorf("orphan %s is not among the keys the API lists named %s*", id, killedRunNamePrefix)
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
	// members are the ids of the members' own keys, the provider's among
	// them, which the audit leaves out.
	members map[string]bool
	dir     string
	// marker is the killedRunMarker variable of this subtest's processes.
	marker string
}

func newKilledRun(t *testing.T, h *killedRunHarness) *killedRun {
	tally := &requestTally{}
	env := sandboxtest.Start(t, func(o *sandbox.Options) {
		o.Logger = slog.New(tally)
		o.Faults = sandbox.Faults{LatencyMS: killedRunLatencyMS}
	})
	r := &killedRun{
		h:       h,
		env:     env,
		client:  newTestClient(t, env.URL, env.HeadCoachKey),
		tally:   tally,
		members: make(map[string]bool),
		dir:     t.TempDir(),
		marker:  killedRunMarker + "=" + t.Name(),
	}
	for _, m := range env.Org.Members {
		r.members[m.APIKeyID] = true
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

// apiMark is what the API had done at a moment of the run.
type apiMark struct {
	// active counts the active keys besides the members'.
	active, revoked int
}

func (r *killedRun) mark(t *testing.T) apiMark {
	t.Helper()
	_, revoked := r.tally.counts()
	return apiMark{active: len(r.activeKeyIDs(t)), revoked: revoked}
}

// since counts the keys created and the keys revoked after m. A create
// sent again with its Idempotency-Key is answered 201 as the first was, so
// the keys created are counted from the active ones: every key revoked was
// active once.
func (r *killedRun) since(t *testing.T, m apiMark) (created, revoked int) {
	t.Helper()
	_, revoked = r.tally.counts()
	revoked -= m.revoked
	return len(r.activeKeyIDs(t)) - m.active + revoked, revoked
}

// activeKeyIDs are the organization's active keys besides the members',
// from the sandbox's database.
func (r *killedRun) activeKeyIDs(t *testing.T) []string {
	t.Helper()
	ids, err := r.env.Server.ActiveKeyIDs(t.Context(), r.env.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(ids, func(id string) bool { return r.members[id] })
}

// waitForAPI waits until the sandbox has answered every request that
// reached it: a create whose caller died still runs to its end, so the
// counts of what happened after a kill are complete only then.
func (r *killedRun) waitForAPI(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		arrived := 0
		for _, n := range r.env.Server.Stats().Requests {
			arrived += n
		}
		answered, _ := r.tally.counts()
		if answered >= arrived {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox answered %d of the %d requests it received, 10s after the kill", answered, arrived)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readState counts, in the state file, the keys the API confirmed and the
// tainted placeholders of creates that got no answer. The file is read
// directly: `terraform show` would start a provider process. An empty file
// is a cut one if Terraform had written it before (see runUntil).
func (r *killedRun) readState(written bool) (keys, placeholders int, err error) {
	if info, err := os.Stat(r.statePath()); written && err == nil && info.Size() == 0 {
		return 0, 0, &cutStateError{err: errors.New("empty after the kill, though Terraform had written it")}
	}
	instances, err := r.stateInstances()
	for _, inst := range instances {
		if inst.Attributes.ID == "" {
			placeholders++
		} else {
			keys++
		}
	}
	return keys, placeholders, err
}

// stateInstance is an instance of astral_api_key in a state file.
type stateInstance struct {
	Status     string `json:"status"`
	Attributes struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"attributes"`
}

// cutStateError is a state file that does not parse.
type cutStateError struct {
	size int
	err  error
}

func (e *cutStateError) Error() string {
	return fmt.Sprintf("terraform.tfstate of %d bytes: %v", e.size, e.err)
}

// statePath is the state file: the configuration has no backend block,
// so Terraform keeps its state in the working directory.
func (r *killedRun) statePath() string { return filepath.Join(r.dir, "terraform.tfstate") }

func (r *killedRun) stateInstances() ([]stateInstance, error) {
	data, err := os.ReadFile(r.statePath())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if len(data) == 0 {
		return nil, nil
	}
	var state struct {
		Resources []struct {
			Mode      string          `json:"mode"`
			Type      string          `json:"type"`
			Instances []stateInstance `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &state); err != nil {
		return nil, &cutStateError{size: len(data), err: err}
	}
	var instances []stateInstance
	for _, res := range state.Resources {
		if res.Mode == "managed" && res.Type == "astral_api_key" {
			instances = append(instances, res.Instances...)
		}
	}
	return instances, nil
}

// killedRunAudit compares the organization's active keys, except the
// members' own, with the state.
type killedRunAudit struct {
	// listed are the active keys the API lists, by id.
	listed map[string]*astral.APIKey
	// orphans are the ids of the active keys that no state holds, from the
	// sandbox's database, so that a listing that missed a key could not
	// hide one.
	orphans []string
	// duplicates counts the listed keys beyond the first of each name.
	duplicates int
	// stateIDs are the ids of the keys in the state, tainted or not;
	// stateProblems say what keeps the state from holding each key once.
	stateIDs      map[string]bool
	stateProblems []string
}

func (r *killedRun) audit(t *testing.T) killedRunAudit {
	t.Helper()
	a := killedRunAudit{listed: make(map[string]*astral.APIKey), stateIDs: make(map[string]bool)}
	keys, err := r.client.APIKeys.ListAll(t.Context())
	if err != nil {
		t.Fatalf("list the organization's keys: %v", err)
	}
	perName := make(map[string]int)
	for _, key := range keys {
		if r.members[key.ID] {
			continue
		}
		a.listed[key.ID] = key
		if perName[key.Name]++; perName[key.Name] > 1 {
			a.duplicates++
		}
	}

	instances, err := r.stateInstances()
	if err != nil {
		t.Fatalf("the state after the second apply: %v", err)
	}
	names := make(map[string]bool)
	for _, inst := range instances {
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

	for _, id := range r.activeKeyIDs(t) {
		if !a.stateIDs[id] {
			a.orphans = append(a.orphans, id)
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
	for id := range a.stateIDs {
		if id != "" && a.listed[id] == nil {
			t.Errorf("key %s of the state is not among the active keys the API lists", id)
		}
	}
}

// describe names keys by id, with their names where the API listed them
// and when the API made them, relative to the kill: a key made before it
// is one whose create had returned to Terraform, which died before it
// wrote the key to its state, unless the provider missed that its run was
// gone; a key made after it, one the provider did not revoke.
func (a killedRunAudit) describe(ids []string, killedAt time.Time) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id
		if key := a.listed[id]; key != nil {
			out[i] = key.Name + " " + id
		}
		if made, err := mintedAt(id); err == nil {
			out[i] += fmt.Sprintf(" (made %+dms from the kill)", made.Sub(killedAt).Milliseconds())
		}
	}
	return strings.Join(out, ", ")
}

// mintedAt is when the sandbox made a key's id, to the millisecond: the
// first ten characters of the ULID after "key_" are its Unix milliseconds
// in Crockford base32. The API's created_at has whole seconds only.
func mintedAt(id string) (time.Time, error) {
	ulid, ok := strings.CutPrefix(id, "key_")
	if !ok || len(ulid) != 26 {
		return time.Time{}, fmt.Errorf("%q is not a key id", id)
	}
	var ms int64
	for _, c := range ulid[:10] {
		digit := strings.IndexRune("0123456789ABCDEFGHJKMNPQRSTVWXYZ", c)
		if digit < 0 {
			return time.Time{}, fmt.Errorf("%q is not a key id", id)
		}
		ms = ms<<5 | int64(digit)
	}
	return time.UnixMilli(ms), nil
}

// terraformProcess is a running terraform command and its output.
type terraformProcess struct {
	cmd     *exec.Cmd
	out     bytes.Buffer
	started time.Time
	done    chan struct{}
	err     error // of Wait, once done is closed
}

// runUntil lets Terraform run until moment after its start, and fails the
// test if it has exited by then: it was to be killed mid-run. It reports
// whether Terraform had written its state file by then: Terraform creates
// the file empty when it locks it, so an empty file after a kill is a
// state lost only if Terraform had filled it before.
func (r *killedRun) runUntil(t *testing.T, p *terraformProcess, moment time.Duration) (stateWritten bool) {
	t.Helper()
	deadline := time.After(time.Until(p.started.Add(moment)))
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if info, err := os.Stat(r.statePath()); err == nil && info.Size() > 0 {
			stateWritten = true
		}
		select {
		case <-p.done:
			t.Fatalf("terraform exited %s after its start, before the kill at %s (%v):\n%s",
				time.Since(p.started).Round(time.Millisecond), moment, p.err, p.output())
		case <-deadline:
			return stateWritten
		case <-tick.C:
		}
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
	if !errors.As(p.err, &exit) {
		t.Fatalf("terraform ended with %v before the kill:\n%s", p.err, p.output())
	}
	if status, ok := exit.Sys().(syscall.WaitStatus); !ok || status.Signal() != syscall.SIGKILL {
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

// requestTally counts the sandbox's answers to /v1 requests, and the keys
// revoked among them, from the line the sandbox logs once it has answered:
// its Stats count requests as they arrive, so they would count a revoke
// that never happened.
type requestTally struct {
	mu                sync.Mutex
	answered, revoked int
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
	// The routes of /v1, which the sandbox's Stats count too.
	if !strings.HasPrefix(route, "/v1/") {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answered++
	if method == http.MethodDelete && status == http.StatusOK {
		c.revoked++
	}
	return nil
}

// The sandbox's logger adds no attributes or groups of its own.
func (c *requestTally) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *requestTally) WithGroup(string) slog.Handler      { return c }

func (c *requestTally) counts() (answered, revoked int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answered, c.revoked
}

// An abandoned create is undone against the sandbox: whatever key it made
// ends revoked, and a create that made none makes none now.
func TestSettleAbandonedCreate(t *testing.T) {
	t.Parallel()
	e := newTestAccEnv(t)
	r := &apiKeyResource{configured{data: &providerData{client: e.Client, machineNow: time.Now}}}
	sentNoAnswer := &astral.ConnectionError{Method: "POST", URL: e.URL + "/v1/api-keys", Attempts: 1, Err: context.Canceled}
	notSent := &astral.ConnectionError{Method: "POST", URL: e.URL + "/v1/api-keys", Attempts: 1, Err: context.Canceled, NotSent: true}
	opts := func(name string) astral.APIKeyCreateOptions {
		return astral.APIKeyCreateOptions{Name: testKeyPrefix + name, IdempotencyKey: rand.Text()}
	}

	tests := []struct {
		name string
		// create makes what the abandoned create left: the key it returned
		// (nil when none reached the provider) and its error.
		create  func(t *testing.T, o astral.APIKeyCreateOptions) (*astral.APIKey, error)
		wantKey bool
	}{
		{"the answer arrived as the run went", func(t *testing.T, o astral.APIKeyCreateOptions) (*astral.APIKey, error) {
			key, err := e.Client.APIKeys.Create(t.Context(), o)
			if err != nil {
				t.Fatal(err)
			}
			return key, nil
		}, true},
		{"the API made the key, the answer was lost", func(t *testing.T, o astral.APIKeyCreateOptions) (*astral.APIKey, error) {
			if _, err := e.Client.APIKeys.Create(t.Context(), o); err != nil {
				t.Fatal(err)
			}
			return nil, sentNoAnswer
		}, true},
		{"the request was sent but never arrived", func(*testing.T, astral.APIKeyCreateOptions) (*astral.APIKey, error) {
			return nil, sentNoAnswer
		}, true},
		{"nothing was sent", func(*testing.T, astral.APIKeyCreateOptions) (*astral.APIKey, error) { return nil, notSent }, false},
		{"the API refused the create", func(*testing.T, astral.APIKeyCreateOptions) (*astral.APIKey, error) {
			return nil, &astral.APIError{StatusCode: 400, Code: "invalid_request"}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts(tt.name)
			key, err := tt.create(t, o)
			// The request's context has ended: the settling must not need it.
			ended, cancel := context.WithCancel(t.Context())
			cancel()
			if key == nil {
				key = r.settleAbandonedCreate(ended, e.Client, o, err)
			}
			if key != nil {
				r.data.created.add(key)
			}
			r.data.undoRun(t.Context())

			found, err := e.Client.APIKeys.FindByIdempotencyKey(t.Context(), o.IdempotencyKey)
			switch {
			case !tt.wantKey && errors.Is(err, astral.ErrNotFound):
			case !tt.wantKey:
				t.Errorf("found %v (%v), want no key made", found, err)
			case err != nil:
				t.Fatal(err)
			case len(found) != 1 || found[0].Status != astral.APIKeyStatusRevoked:
				t.Errorf("keys %v of the create, want one, revoked", found)
			}
		})
	}
}

// A killed run's keys are all revoked, whether Terraform saved them or not.
func TestUndoRun(t *testing.T) {
	t.Parallel()
	e := newTestAccEnv(t)
	data := &providerData{client: e.Client, machineNow: time.Now}
	var keys []*astral.APIKey
	for i := range 12 {
		key, err := e.Client.APIKeys.Create(t.Context(), astral.APIKeyCreateOptions{Name: fmt.Sprintf("%skilled-run-%d", testKeyPrefix, i)})
		if err != nil {
			t.Fatal(err)
		}
		data.created.add(key)
		keys = append(keys, key)
	}
	// One revoked already, as Delete or an ephemeral key's Close does.
	e.RevokeKey(t, keys[0].ID)
	untouched := e.CreateKey(t, testKeyPrefix+"not of this run", nil)

	data.undoRun(t.Context())
	for _, key := range append(keys, untouched) {
		got, err := e.Client.APIKeys.Read(t.Context(), key.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]astral.APIKeyStatus{true: astral.APIKeyStatusActive, false: astral.APIKeyStatusRevoked}[key == untouched]; got.Status != want {
			t.Errorf("%s is %s, want %s", key.Name, got.Status, want)
		}
	}
}
