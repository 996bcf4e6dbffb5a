package astral_test

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// TestSandboxRateLimit makes calls from ten goroutines at once, as
// Terraform does, under the sandbox's rate limit: paced by the client, they
// collide on the server's bucket only while the client has yet to hear its
// policy.
func TestSandboxRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			calls   = 60
			workers = 10
			rate    = 20
		)
		env := startInBubble(t)
		// The client's defaults, Retry-After included, as the provider uses them.
		client, err := astral.NewClient(astral.Config{Endpoint: env.URL, APIKey: env.HeadCoachKey, MaxRetries: new(0), HTTPClient: env.http})
		if err != nil {
			t.Fatal(err)
		}
		env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: rate})
		env.Server.ResetStats()

		ctx := t.Context()
		jobs := make(chan int)
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for i := range jobs {
					if _, err := client.APIKeys.Create(ctx, astral.APIKeyCreateOptions{Name: fmt.Sprintf("paced %d", i)}); err != nil {
						t.Errorf("Create %d: %v", i, err)
					}
				}
			})
		}
		for i := range calls {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		elapsed := time.Since(start)

		stats := env.Server.Stats()
		sent := requests(env.Env)
		t.Logf("%d creates at %d per second: %s, %d requests, responses %v", calls, rate, elapsed.Round(time.Millisecond), sent, stats.Responses)
		if stats.Responses["201"] != calls {
			t.Errorf("responses %v, want %d 201", stats.Responses, calls)
		}
		// At most 5 %: the ten first calls fit in the burst of 20, so even
		// those need not collide.
		if got := stats.Responses["429"]; got*20 > sent {
			t.Errorf("%d of %d requests were refused with 429, want at most 5 %%", got, sent)
		}
		// The burst of 20 lets the first calls through at once; the rest
		// go at the client's pace, 2 % under the server's rate, so the
		// bubble's clock shows the floor that the server's limit allows,
		// and not much more.
		if floor := time.Duration(calls-rate) * time.Second / rate; elapsed < floor || elapsed > floor*21/20 {
			t.Errorf("%d calls took %s, want the %s that the server's limit allows, within 5 %%", calls, elapsed, floor)
		}
	})
}
