package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/astral/terraform-provider-astral/internal/benchmark"
	sandboxapi "github.com/astral/terraform-provider-astral/internal/sandbox"
)

// fleets runs each fleet's apply and destroy reps times: every directory's
// terraform command started at once, all with the head coach's key,
// under the fleet's rate limit.
func (b *bench) fleets(ctx context.Context, fleets []benchmark.Fleet, reps int) ([]benchmark.FleetSample, error) {
	var out []benchmark.FleetSample
	for _, f := range fleets {
		dirs, err := b.fleetConfigs(f)
		if err != nil {
			return nil, err
		}
		for rep := 1; rep <= reps; rep++ {
			for _, step := range benchmark.ScenarioSteps {
				got, err := b.fleetStep(ctx, f, dirs, step)
				if err != nil {
					return nil, fmt.Errorf("%s, repetition %d, %s: %w", f, rep, step, err)
				}
				got.Rep = rep
				out = append(out, got)
			}
		}
	}
	return out, nil
}

// fleetConfigs writes one configuration per directory of the fleet, its
// keys named apart from the other directories'.
func (b *bench) fleetConfigs(f benchmark.Fleet) ([]string, error) {
	root := filepath.Join(b.dir, "tf", fmt.Sprintf("fleet-%dx%d-%g", f.Dirs, f.N, f.RatePerSecond))
	dirs := make([]string, f.Dirs)
	for i := range dirs {
		dirs[i] = filepath.Join(root, fmt.Sprintf("dir-%d", i))
		if err := os.MkdirAll(dirs[i], 0o750); err != nil {
			return nil, err
		}
		config := benchmark.Config(benchmark.KindProvider, f.N, fmt.Sprintf("%sfleet-%d-", namePrefix, i))
		if err := os.WriteFile(filepath.Join(dirs[i], "main.tf"), []byte(config), 0o600); err != nil {
			return nil, err
		}
	}
	return dirs, nil
}

// fleetStep starts step in every directory at once under the fleet's rate
// limit and waits for them all. A directory whose command fails is
// recorded, then run again without the limit, unmeasured, so that the next
// step starts from the state it expects.
func (b *bench) fleetStep(ctx context.Context, f benchmark.Fleet, dirs []string, step benchmark.Step) (benchmark.FleetSample, error) {
	out := benchmark.FleetSample{Fleet: f, Step: step}
	if err := b.sandbox.resetStats(ctx); err != nil {
		return out, err
	}
	if err := b.sandbox.setFaults(ctx, f.Faults()); err != nil {
		return out, err
	}
	start := time.Now()
	runs := make([]*terraformRun, len(dirs))
	var startErr error
	for i, dir := range dirs {
		if runs[i], startErr = b.start(ctx, dir, step, ""); startErr != nil {
			break
		}
	}
	failed := make([]bool, len(dirs))
	for i, r := range runs {
		if r == nil {
			continue
		}
		if err := r.wait(); err != nil {
			failed[i] = true
			out.Errors = append(out.Errors, fmt.Sprintf("%s: terraform %s: %v", filepath.Base(dirs[i]), step, err))
		}
	}
	out.Wall = time.Since(start)
	if startErr != nil {
		return out, startErr
	}
	var err error
	if out.Stats, err = b.sandbox.stats(ctx); err != nil {
		return out, err
	}
	if err := b.sandbox.setFaults(ctx, sandboxapi.Faults{}); err != nil {
		return out, err
	}
	for i, dir := range dirs {
		if !failed[i] {
			continue
		}
		logf("%s %s: %s failed at its first try: %s; running it again without the limit", f, step, filepath.Base(dir), tail(filepath.Join(dir, string(step)+".log")))
		r, err := b.start(ctx, dir, step, "")
		if err != nil {
			return out, err
		}
		if err := r.wait(); err != nil {
			return out, fmt.Errorf("%s, again without the limit: %w:\n%s", filepath.Base(dir), err, tail(r.logPath))
		}
	}
	logf("%s, %s: %.2f s against an ideal of %.2f s, %d requests, %d answered 429 (%.1f %%), %d of %d first time",
		f, step, out.Wall.Seconds(), out.Ideal().Seconds(), out.Requests(), out.Refused(), 100*out.Share429(), f.Dirs-len(out.Errors), f.Dirs)
	_, own, err := b.sandbox.activeKeys(ctx)
	if err != nil {
		return out, err
	}
	if want := map[benchmark.Step]int{benchmark.StepApply: f.Dirs * f.N, benchmark.StepDestroy: 0}[step]; own != want {
		return out, fmt.Errorf("after %s the sandbox has %d active benchmark keys, want %d", step, own, want)
	}
	return out, nil
}
