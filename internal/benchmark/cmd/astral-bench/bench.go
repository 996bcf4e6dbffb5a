package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/astral/terraform-provider-astral/internal/benchmark"
	sandboxapi "github.com/astral/terraform-provider-astral/internal/sandbox"
)

// namePrefix starts the name of every key and input the benchmark creates.
const namePrefix = "bench-"

// bench holds what every measurement needs: the working directory, the
// Terraform environment and the running sandbox.
type bench struct {
	dir       string
	env       []string
	usageFile string
	timeout   time.Duration
	sandbox   *sandbox
	// perfDir, when set, makes each step run under perf record, writing
	// its profile there.
	perfDir string
}

// setup builds the provider, the plugin floor, the rusage wrapper and the
// sandbox into dir, starts the sandbox and writes the Terraform CLI
// configuration.
func setup(ctx context.Context, dir string, timeout time.Duration) (*bench, error) {
	root, err := output(ctx, "", "go", "list", "-m", "-f", "{{.Dir}}")
	if err != nil {
		return nil, fmt.Errorf("find the module root: %w", err)
	}
	bin, plugins := filepath.Join(dir, "bin"), filepath.Join(dir, "plugins")
	sandboxBin := filepath.Join(bin, "astral-sandbox")
	// Terraform starts the wrapper under a provider's name; the wrapper
	// starts the provider of that name from bin and records its usage.
	builds := [][2]string{
		{filepath.Join(bin, "terraform-provider-astral"), "."},
		{filepath.Join(bin, "terraform-provider-floor"), "./internal/benchmark/cmd/plugin-floor"},
		{filepath.Join(plugins, "terraform-provider-astral"), "./internal/benchmark/cmd/rusage-exec"},
		{filepath.Join(plugins, "terraform-provider-floor"), "./internal/benchmark/cmd/rusage-exec"},
		{sandboxBin, "./internal/sandbox/cmd/astral-sandbox"},
	}
	for _, b := range builds {
		logf("go build -o %s %s", b[0], b[1])
		if _, err := output(ctx, root, "go", "build", "-o", b[0], b[1]); err != nil {
			return nil, err
		}
	}

	// Configurations and their state start afresh, like the sandbox's database.
	if err := os.RemoveAll(filepath.Join(dir, "tf")); err != nil {
		return nil, err
	}
	cliConfig := filepath.Join(dir, "terraform.tfrc")
	if err := os.WriteFile(cliConfig, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/astral/astral" = %q
    "registry.terraform.io/astral/floor"  = %q
  }
  direct {}
}
`, plugins, plugins)), 0o600); err != nil {
		return nil, err
	}

	sb, err := startSandbox(ctx, sandboxBin, dir)
	if err != nil {
		return nil, err
	}
	logf("sandbox listening on %s", sb.endpoint)

	b := &bench{dir: dir, usageFile: filepath.Join(dir, "provider-usage.jsonl"), timeout: timeout, sandbox: sb}
	b.env = append(cleanEnv(os.Environ()),
		"TF_IN_AUTOMATION=1",
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"CHECKPOINT_DISABLE=1",
		"ASTRAL_ENDPOINT="+sb.endpoint,
		"ASTRAL_API_KEY="+sb.headCoach,
		"ASTRAL_BENCH_EXEC_DIR="+bin,
		"ASTRAL_BENCH_RUSAGE_FILE="+b.usageFile,
	)
	return b, nil
}

// cleanEnv drops the variables that would change what Terraform or the
// provider do (logging, plugin cache, CLI configuration, credentials).
func cleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "ASTRAL_") || name == "CHECKPOINT_DISABLE" {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func (b *bench) close() { b.sandbox.stop() }

// measure runs every repetition of every N and returns the samples and, per
// N, the organization's active keys after apply. A warm-up of one resource
// per kind comes first, unmeasured: it fills the page cache and proves the
// setup before the long run.
func (b *bench) measure(ctx context.Context, sizes []size) ([]benchmark.Sample, map[int]int, error) {
	for _, kind := range benchmark.Kinds {
		logf("warm-up: %s, N = 1", kind)
		if _, err := b.cycle(ctx, kind, 1, 0, nil); err != nil {
			return nil, nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	var samples []benchmark.Sample
	active := map[int]int{}
	turn := 0
	for _, s := range sizes {
		for rep := 1; rep <= s.reps; rep++ {
			// Each repetition runs every kind; which goes first rotates,
			// so that none always runs on a warmer or a busier machine.
			for _, kind := range rotate(benchmark.Kinds, turn) {
				got, err := b.cycle(ctx, kind, s.n, rep, active)
				if err != nil {
					return nil, nil, fmt.Errorf("repetition %d of N = %d, %s: %w", rep, s.n, kind, err)
				}
				samples = append(samples, got...)
			}
			turn++
		}
	}
	return samples, active, nil
}

// rotate returns xs starting at its element i modulo len(xs).
func rotate[T any](xs []T, i int) []T {
	i %= len(xs)
	return append(slices.Clone(xs[i:]), xs[:i]...)
}

// cycle runs apply, plan and destroy on one configuration. For the provider
// it checks the sandbox's keys after apply and after destroy; every other
// kind must make no API request, which proves the sandbox took no part in
// it. active, when not nil, receives the number of active keys after a
// provider apply.
func (b *bench) cycle(ctx context.Context, kind benchmark.Kind, n, rep int, active map[int]int) ([]benchmark.Sample, error) {
	dir, err := b.config(kind, n)
	if err != nil {
		return nil, err
	}
	var out []benchmark.Sample
	for _, step := range benchmark.Steps {
		s, err := b.step(ctx, dir, kind, step, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", step, err)
		}
		s.Rep = rep
		logf("N = %d, rep %d, %s %s: %.2f s, %d requests", n, rep, kind, step, s.Wall.Seconds(), benchmark.RequestsOf(s.Stats).Total())
		out = append(out, s)
		if kind != benchmark.KindProvider {
			if got := benchmark.RequestsOf(s.Stats); got.Total() != 0 {
				return nil, fmt.Errorf("%s: %s made API requests (%s), want none", step, kind, got)
			}
			continue
		}
		if step == benchmark.StepPlan {
			continue
		}
		all, own, err := b.sandbox.activeKeys(ctx)
		if err != nil {
			return nil, err
		}
		if want := map[benchmark.Step]int{benchmark.StepApply: n, benchmark.StepDestroy: 0}[step]; own != want {
			return nil, fmt.Errorf("after %s the sandbox has %d active benchmark keys, want %d", step, own, want)
		}
		if step == benchmark.StepApply && active != nil {
			active[n] = all
		}
	}
	return out, nil
}

// profile runs the provider's steps over n resources once more, each under
// perf record, and says how to read the profiles. Terraform's binary is
// stripped, so only the provider's and the sandbox's functions get names.
func (b *bench) profile(ctx context.Context, dir string, n int) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	b.perfDir = dir
	defer func() { b.perfDir = "" }()
	if _, err := b.cycle(ctx, benchmark.KindProvider, n, 0, nil); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	logf("profiles in %s; read one with: perf report -i FILE --comm terraform-provi --children --sort sym", dir)
	return nil
}

// config writes the configuration of N resources of a kind, in a directory
// of its own so that each keeps its state apart.
func (b *bench) config(kind benchmark.Kind, n int) (string, error) {
	dir := filepath.Join(b.dir, "tf", fmt.Sprintf("%s-%d", kind, n))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(benchmark.Config(kind, n, namePrefix)), 0o600)
}

var stepArgs = map[benchmark.Step][]string{
	benchmark.StepApply:   {"apply", "-auto-approve"},
	benchmark.StepPlan:    {"plan", "-detailed-exitcode"},
	benchmark.StepDestroy: {"destroy", "-auto-approve"},
}

// step runs one terraform command and measures it: wall time, the CPU time
// of Terraform, of the provider processes and of the sandbox, the providers'
// peak RSS, and the API requests.
func (b *bench) step(ctx context.Context, dir string, kind benchmark.Kind, step benchmark.Step, n int) (benchmark.Sample, error) {
	s := benchmark.Sample{Kind: kind, Step: step, N: n}
	if err := b.sandbox.resetStats(ctx); err != nil {
		return s, err
	}
	if err := os.Remove(b.usageFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	sandboxBefore, err := b.sandbox.cpu()
	if err != nil {
		return s, err
	}
	logOffset, err := b.sandbox.logSize()
	if err != nil {
		return s, err
	}

	var profile string
	if b.perfDir != "" {
		profile = filepath.Join(b.perfDir, fmt.Sprintf("%s-%d-%s.perf", kind, n, step))
	}
	cmd, err := b.start(ctx, dir, step, profile)
	if err != nil {
		return s, err
	}
	runErr := cmd.wait()
	s.Wall = cmd.wall

	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
	case step == benchmark.StepPlan && errors.As(runErr, &exitErr) && exitErr.ExitCode() == 2:
		return s, fmt.Errorf("terraform plan found changes in an unchanged configuration; see %s", cmd.logPath)
	default:
		return s, fmt.Errorf("terraform %s: %w:\n%s", step, runErr, tail(cmd.logPath))
	}

	sandboxAfter, err := b.sandbox.cpu()
	if err != nil {
		return s, err
	}
	s.SandboxCPU = sandboxAfter - sandboxBefore
	if s.Stats, err = b.sandbox.stats(ctx); err != nil {
		return s, err
	}
	// The sandbox logs a request after answering it, so every request of
	// the step is in the log once terraform has exited.
	reqLog, err := b.sandbox.requestLog(logOffset)
	if err != nil {
		return s, err
	}
	s.APIBusy = reqLog.Busy

	// The wait status of terraform covers its children, the provider
	// processes among them; subtracting theirs leaves Terraform's own work.
	s.TerraformCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	data, err := os.ReadFile(b.usageFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	usage, err := benchmark.ReadUsage(bytes.NewReader(data))
	if err != nil {
		return s, err
	}
	for _, u := range usage {
		s.ProviderStarts++
		s.ProviderCPU += u.CPU()
		s.ProviderMaxRSS = max(s.ProviderMaxRSS, u.MaxRSSKiB<<10)
	}
	s.TerraformCPU -= s.ProviderCPU
	if kind != benchmark.KindFloor && s.ProviderStarts == 0 {
		return s, fmt.Errorf("no provider process recorded its usage in %s", b.usageFile)
	}
	return s, nil
}

// terraformRun is a terraform command started in a configuration's
// directory, its output going to the step's log there.
type terraformRun struct {
	*exec.Cmd
	logPath string
	log     *os.File
	cancel  context.CancelFunc
	started time.Time
	// wall is the command's time, once wait has returned.
	wall time.Duration
}

// start starts terraform's step in dir, within the step timeout; with a
// profile path, under perf record writing to it.
func (b *bench) start(ctx context.Context, dir string, step benchmark.Step, profile string) (*terraformRun, error) {
	logPath := filepath.Join(dir, string(step)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	name, args := "terraform", append(stepArgs[step], "-input=false", "-no-color")
	if profile != "" {
		name, args = "perf", append([]string{"record", "--quiet", "-g", "-F", "499", "-o", profile, "--", name}, args...)
	}
	cmd := exec.CommandContext(ctx, name, args...) //nolint:gosec // G204: fixed arguments
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, b.env, logFile, logFile
	// Interrupt rather than kill on timeout, so that Terraform stops its providers.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	r := &terraformRun{Cmd: cmd, logPath: logPath, log: logFile, cancel: cancel, started: time.Now()}
	if err := cmd.Start(); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// wait waits for the command to end and records its wall time.
func (r *terraformRun) wait() error {
	defer r.close()
	err := r.Wait()
	r.wall = time.Since(r.started)
	return err
}

func (r *terraformRun) close() {
	r.cancel()
	_ = r.log.Close()
}

// output runs a command and returns its trimmed standard output; on failure
// the error carries its standard error.
func output(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// scenarios runs each scenario's apply and destroy reps times, each step
// under the scenario's fault. A step that fails is recorded, then run again
// without the fault, unmeasured, so that the next step starts from the
// state it expects; only a second failure ends the run.
func (b *bench) scenarios(ctx context.Context, scenarios []benchmark.Scenario, reps int) ([]benchmark.ScenarioSample, error) {
	var out []benchmark.ScenarioSample
	for _, sc := range scenarios {
		dir := filepath.Join(b.dir, "tf", fmt.Sprintf("%s-%d", sc.Name, sc.N))
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(benchmark.Config(benchmark.KindProvider, sc.N, namePrefix)), 0o600); err != nil {
			return nil, err
		}
		for rep := 1; rep <= reps; rep++ {
			for _, step := range benchmark.ScenarioSteps {
				got, err := b.scenarioStep(ctx, dir, sc, step)
				if err != nil {
					return nil, fmt.Errorf("%s, repetition %d, %s: %w", sc, rep, step, err)
				}
				got.Rep = rep
				out = append(out, got)
			}
		}
	}
	return out, nil
}

func (b *bench) scenarioStep(ctx context.Context, dir string, sc benchmark.Scenario, step benchmark.Step) (benchmark.ScenarioSample, error) {
	out := benchmark.ScenarioSample{Scenario: sc, Step: step}
	if err := b.sandbox.setFaults(ctx, sc.Faults()); err != nil {
		return out, err
	}
	s, stepErr := b.step(ctx, dir, benchmark.KindProvider, step, sc.N)
	// The checks and any rerun go without the fault; setting a rate limit
	// again starts every bucket full, so each step starts alike.
	if err := b.sandbox.setFaults(ctx, sandboxapi.Faults{}); err != nil {
		return out, err
	}
	out.Wall, out.Stats = s.Wall, s.Stats
	if stepErr != nil {
		out.Error = strings.SplitN(stepErr.Error(), "\n", 2)[0]
		logf("%s %s failed at its first try: %v; running it again without the fault", sc, step, stepErr)
		if _, err := b.step(ctx, dir, benchmark.KindProvider, step, sc.N); err != nil {
			return out, err
		}
	}
	logf("%s, %s: %.2f s against a floor of %.2f s, %d requests, %d answered 429",
		sc, step, out.Wall.Seconds(), sc.Floor().Seconds(), benchmark.RequestsOf(out.Stats).Total(), out.Stats.Responses["429"])
	_, own, err := b.sandbox.activeKeys(ctx)
	if err != nil {
		return out, err
	}
	if want := map[benchmark.Step]int{benchmark.StepApply: sc.N, benchmark.StepDestroy: 0}[step]; own != want {
		return out, fmt.Errorf("after %s the sandbox has %d active benchmark keys, want %d", step, own, want)
	}
	return out, nil
}
