// Command astral-bench measures what the provider costs on top of Terraform
// itself. It builds the provider, the plugin floor (cmd/plugin-floor) and
// the sandbox server, starts the sandbox on a file-backed SQLite database,
// and for each N runs terraform apply, plan and destroy over N resources of
// four kinds, in rotating order, for several repetitions: terraform_data
// (the floor, built into Terraform), floor_data (the same resource in a
// plugin), floor_api_key (astral_api_key's schema without the provider's
// code) and astral_api_key. Then it applies and destroys astral_api_key
// under the sandbox's rate limit (-ratelimit) and under a latency
// (-latency), and in several directories at once on one key (-fleet). It
// prints a Markdown report and writes results.md, chart.svg and
// results.json to -out.
//
//	go run ./internal/benchmark/cmd/astral-bench -n 10,100,1000 -reps 3
//	go run ./internal/benchmark/cmd/astral-bench -n "" -reps 1 # the scenarios and fleets alone
//	go run ./internal/benchmark/cmd/astral-bench -n "" -ratelimit "" -latency "" # the fleets alone
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/astral/terraform-provider-astral/internal/benchmark"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "astral-bench: %v\n", err)
		os.Exit(1)
	}
}

func run() (err error) {
	var (
		sizes     = flag.String("n", "10,100,1000", "comma-separated resource counts; N:R runs R repetitions of that N instead of -reps; empty for none")
		limited   = flag.String("ratelimit", "120:8", "N:R applies and destroys N keys while the sandbox allows R requests per second; empty for none")
		latency   = flag.String("latency", "200:50", "N:MS applies and destroys N keys while the sandbox waits MS milliseconds before every answer; empty for none")
		fleet     = flag.String("fleet", "6x40:10,6x40:2", "comma-separated KxN:R: K working directories of N keys each, applied at once and then destroyed at once, all with one key, while the sandbox allows R requests per second; empty for none")
		fleetReps = flag.Int("fleet-reps", 1, "repetitions of each fleet (at 2 requests per second, one takes minutes)")
		reps      = flag.Int("reps", 3, "repetitions of each N")
		out       = flag.String("out", "bench-results", "directory that receives results.md, chart.svg and results.json")
		work      = flag.String("work", "", "working directory (binaries, database, Terraform configurations and logs); a temporary one when empty")
		keep      = flag.Bool("keep", false, "keep the temporary working directory")
		timeout   = flag.Duration("step-timeout", 30*time.Minute, "longest a single terraform command may run")
		perfDir   = flag.String("perf", "", "after measuring, run the provider's steps at the largest N once more under `perf record -g`, writing one profile per step to this directory (not counted in the results)")
	)
	flag.Parse()
	plan, err := parseSizes(*sizes, *reps)
	if err != nil {
		return err
	}
	var scenarios []benchmark.Scenario
	for _, f := range []struct{ name, value string }{{benchmark.ScenarioRateLimit, *limited}, {benchmark.ScenarioLatency, *latency}} {
		if f.value == "" {
			continue
		}
		sc, err := benchmark.ParseScenario(f.name, f.value)
		if err != nil {
			return err
		}
		scenarios = append(scenarios, sc)
	}
	fleets, err := benchmark.ParseFleets(*fleet)
	if err != nil {
		return err
	}
	if *fleetReps < 1 {
		return errors.New("-fleet-reps: want at least one repetition")
	}
	if len(plan) == 0 && len(scenarios) == 0 && len(fleets) == 0 {
		return errors.New("nothing to measure: -n, -ratelimit, -latency and -fleet are all empty")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir := *work
	if dir == "" {
		if dir, err = os.MkdirTemp("", "astral-bench-"); err != nil {
			return err
		}
		// A failed run keeps its directory: the error points into its logs.
		defer func() {
			if err == nil && !*keep {
				_ = os.RemoveAll(dir)
			} else {
				logf("kept the working directory %s", dir)
			}
		}()
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	logf("working directory %s", dir)

	b, err := setup(ctx, dir, *timeout)
	if err != nil {
		return err
	}
	defer b.close()

	started := time.Now()
	machine := describeMachine(ctx)
	var (
		samples []benchmark.Sample
		active  map[int]int
	)
	if len(plan) > 0 {
		if samples, active, err = b.measure(ctx, plan); err != nil {
			return err
		}
	}
	scenarioSamples, err := b.scenarios(ctx, scenarios, *reps)
	if err != nil {
		return err
	}
	fleetSamples, err := b.fleets(ctx, fleets, *fleetReps)
	if err != nil {
		return err
	}
	machine.LoadAfter = loadAverage()
	elapsed := time.Since(started)
	if *perfDir != "" && len(plan) > 0 {
		if err := b.profile(ctx, *perfDir, plan[len(plan)-1].n); err != nil {
			return err
		}
	}

	report := benchmark.Report{
		Machine:   machine,
		Reps:      map[int]int{},
		Summaries: benchmark.Summarize(samples, active),
		Scenarios: benchmark.SummarizeScenarios(scenarioSamples),
		Fleets:    fleetSamples,
		Duration:  elapsed,
	}
	for _, s := range plan {
		report.Ns = append(report.Ns, s.n)
		report.Reps[s.n] = s.reps
	}
	md := report.Markdown()
	fmt.Print(md)
	return write(*out, md, report.Chart(), rawResults{Machine: machine, Active: active, Samples: samples, Scenarios: scenarioSamples, Fleets: fleetSamples})
}

// size is one N and how many repetitions it gets.
type size struct{ n, reps int }

// parseSizes reads "10,100,1000:1": each N, optionally with its own
// repetition count.
func parseSizes(s string, reps int) ([]size, error) {
	var out []size
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for f := range strings.SplitSeq(s, ",") {
		nStr, rStr, hasReps := strings.Cut(strings.TrimSpace(f), ":")
		n, err := strconv.Atoi(nStr)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-n: %q is not a positive resource count", nStr)
		}
		r := reps
		if hasReps {
			if r, err = strconv.Atoi(rStr); err != nil {
				return nil, fmt.Errorf("-n: %q is not a repetition count", rStr)
			}
		}
		if r < 1 {
			return nil, fmt.Errorf("-n: N = %d needs at least one repetition", n)
		}
		if slices.ContainsFunc(out, func(x size) bool { return x.n == n }) {
			return nil, fmt.Errorf("-n: %d appears twice", n)
		}
		out = append(out, size{n, r})
	}
	slices.SortFunc(out, func(a, b size) int { return a.n - b.n })
	return out, nil
}

// rawResults is results.json: every sample, so that later analysis need
// not rerun the benchmark.
type rawResults struct {
	Machine benchmark.Machine `json:"machine"`
	// Active is, per N, the organization's active keys after apply.
	Active    map[int]int                `json:"active_keys"`
	Samples   []benchmark.Sample         `json:"samples"`
	Scenarios []benchmark.ScenarioSample `json:"scenarios"`
	Fleets    []benchmark.FleetSample    `json:"fleets"`
}

func write(dir, md string, svg []byte, raw rawResults) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	js, err := json.MarshalIndent(raw, "", "  ")
	if err != nil {
		return err
	}
	return errors.Join(
		os.WriteFile(filepath.Join(dir, "results.md"), []byte(md), 0o600),
		os.WriteFile(filepath.Join(dir, "chart.svg"), svg, 0o600),
		os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o600),
	)
}

// logf reports progress on stderr, so that stdout carries only the table.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
