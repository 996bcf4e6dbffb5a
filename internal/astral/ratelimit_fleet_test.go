package astral_test

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// A fleet is several processes that call with one key, as the runs of an
// orchestrator do: each has a client of its own, so a gate of its own,
// and ten calls at a time, as Terraform's parallelism.
type fleet struct {
	processes, keys int
	rate            float64
	// stagger spreads the processes' starts over this time.
	stagger time.Duration
	// latencyMS delays each answer of the sandbox.
	latencyMS int
}

// fleetFigures are what the sandbox counted while a fleet ran one step.
type fleetFigures struct {
	wall                 time.Duration
	requests, refused    int
	succeeded, processes int
}

// ideal is the least time the rate limit allows the requests that
// succeeded.
func (f fleetFigures) ideal(rate float64) time.Duration {
	return time.Duration(float64(f.succeeded) / rate * float64(time.Second))
}

func (f fleetFigures) String() string {
	return fmt.Sprintf("%d processes: %s, %d requests, %d refused with 429", f.processes, f.wall.Round(time.Millisecond), f.requests, f.refused)
}

// fleetParallelism is Terraform's default: ten calls at a time.
const fleetParallelism = 10

// runFleet runs step in each process of f, with a new client each, as
// Terraform starts a provider process per command; step gets the
// process's index and its client.
func runFleet(t *testing.T, env *bubbleEnv, f fleet, step func(ctx context.Context, c *astral.Client, process int) error) fleetFigures {
	t.Helper()
	env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: f.rate, LatencyMS: f.latencyMS})
	env.Server.ResetStats()
	ctx := t.Context()
	start := time.Now()
	var wg sync.WaitGroup
	for p := range f.processes {
		wg.Go(func() {
			time.Sleep(time.Duration(p) * f.stagger / time.Duration(max(1, f.processes-1)))
			c, err := astral.NewClient(astral.Config{Endpoint: env.URL, APIKey: env.HeadCoachKey, HTTPClient: env.http})
			if err != nil {
				t.Error(err)
				return
			}
			if err := step(ctx, c, p); err != nil {
				t.Errorf("process %d: %v", p, err)
			}
		})
	}
	wg.Wait()
	stats := env.Server.Stats()
	out := fleetFigures{wall: time.Since(start), requests: requests(env.Env), refused: stats.Responses["429"], processes: f.processes}
	out.succeeded = out.requests - out.refused
	env.Server.ClearFaults()
	return out
}

// parallel runs call for 0..n-1 from fleetParallelism goroutines, and
// returns the first error.
func parallel(n int, call func(i int) error) error {
	jobs := make(chan int)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range fleetParallelism {
		wg.Go(func() {
			for i := range jobs {
				if err := call(i); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return first
}

// applyAndDestroy runs a fleet's apply (GET /v1/me, then N creates per
// process) and its destroy (N revokes per process), each step in fresh
// clients, as Terraform starts a provider process per command.
func applyAndDestroy(t *testing.T, env *bubbleEnv, f fleet) (apply, destroy fleetFigures) {
	t.Helper()
	ids := make([][]string, f.processes)
	apply = runFleet(t, env, f, func(ctx context.Context, c *astral.Client, p int) error {
		if _, err := c.Me(ctx); err != nil {
			return err
		}
		var mu sync.Mutex
		return parallel(f.keys, func(i int) error {
			key, err := c.APIKeys.Create(ctx, astral.APIKeyCreateOptions{Name: fmt.Sprintf("fleet %d key %d", p, i)})
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			ids[p] = append(ids[p], key.ID)
			return nil
		})
	})
	destroy = runFleet(t, env, f, func(ctx context.Context, c *astral.Client, p int) error {
		return parallel(len(ids[p]), func(i int) error {
			_, err := c.APIKeys.Revoke(ctx, ids[p][i])
			return err
		})
	})
	return apply, destroy
}

// TestFleetSharesOneBucket runs processes with one key against one bucket
// of the sandbox, in a synctest bubble, so that the figures are exact and
// take no wall time: every call succeeds, few requests are refused, and
// the fleet keeps the bucket busy. Alone, a process keeps the pace it
// had before it shared: not one request refused, and the time the rate
// allows, less its burst, at the gate's pace.
func TestFleetSharesOneBucket(t *testing.T) {
	tests := []fleet{
		{processes: 6, keys: 40, rate: 10, stagger: 500 * time.Millisecond, latencyMS: 2},
		{processes: 2, keys: 60, rate: 8, stagger: 3 * time.Second, latencyMS: 5},
		{processes: 1, keys: 120, rate: 8, latencyMS: 2},
	}
	for _, f := range tests {
		t.Run(fmt.Sprintf("%d processes of %d keys at %g per second", f.processes, f.keys, f.rate), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				env := startInBubble(t)
				apply, destroy := applyAndDestroy(t, env, f)
				for _, step := range []struct {
					name string
					got  fleetFigures
				}{{"apply", apply}, {"destroy", destroy}} {
					ideal := step.got.ideal(f.rate)
					t.Logf("%s: %s; ideal %s, %.2fx", step.name, step.got, ideal.Round(time.Millisecond), float64(step.got.wall)/float64(ideal))
					if f.processes == 1 {
						checkAlone(t, step.name, step.got, f)
						continue
					}
					if share := float64(step.got.refused) / float64(step.got.requests); share > 0.05 {
						t.Errorf("%s: %d of %d requests refused with 429 (%.1f %%), want at most 5 %%", step.name, step.got.refused, step.got.requests, 100*share)
					}
					if limit := ideal * 115 / 100; step.got.wall > limit {
						t.Errorf("%s: %s, want at most %s: 1.15 times the %s that the rate allows %d requests", step.name, step.got.wall, limit, ideal, step.got.succeeded)
					}
				}
			})
		})
	}
}

// checkAlone fails a process alone that was refused a request, or that
// took longer than its burst and the gate's pace allow (the burst goes at
// once, the rest one interval apart, and the gate leaves one request in
// the bucket), with the round trips of the first and the last request.
func checkAlone(t *testing.T, step string, got fleetFigures, f fleet) {
	t.Helper()
	if got.refused != 0 {
		t.Errorf("%s: %d requests refused with 429, want none", step, got.refused)
	}
	burst := max(1, int(f.rate))
	paced := float64(got.succeeded-burst+1) / (f.rate * 0.98)
	limit := time.Duration(paced*float64(time.Second)) + 2*time.Duration(f.latencyMS)*time.Millisecond
	if got.wall > limit {
		t.Errorf("%s: %s alone, want at most %s: the burst at once, then the gate's pace", step, got.wall, limit)
	}
}
