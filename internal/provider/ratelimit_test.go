package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// TestAccRateLimit applies and destroys many keys, at Terraform's default
// parallelism, under a rate limit far below what those requests would
// take at once: each step succeeds at its first try, with max_retries = 0,
// and the API refuses few of its requests, because the provider paces
// them to the policy that the API's answers announce.
func TestAccRateLimit(t *testing.T) {
	skipInCLIMatrix(t)
	// Thirty keys at ten requests a second: the requests of Terraform's
	// parallelism, ten at once, would spend the bucket in a moment, and
	// each step still waits only about two seconds for the limit.
	const (
		keys = 30
		rate = 10
	)
	env := newTestAccEnv(t)
	var steps [2]struct {
		stats   sandbox.Stats
		started time.Time
		took    time.Duration
	}
	start := func(i int) func() {
		return func() {
			env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: rate})
			env.Server.ResetStats()
			steps[i].started = time.Now()
		}
	}
	// The checks read the API only once the limit is off, so that their
	// own requests are neither counted nor refused.
	end := func(i int) func(*terraform.State) error {
		return func(*terraform.State) error {
			steps[i].took = time.Since(steps[i].started)
			steps[i].stats = env.Server.Stats()
			env.Server.ClearFaults()
			return nil
		}
	}
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			PreConfig: start(0),
			Config: env.Config(fmt.Sprintf(`
resource "astral_api_key" "paced" {
  count = %d
  name  = "%spaced-${count.index}"
}
`, keys, testKeyPrefix)),
			Check: resource.ComposeTestCheckFunc(
				end(0),
				resource.TestCheckResourceAttrSet("astral_api_key.paced.29", "secret"),
			),
		},
		resource.TestStep{
			PreConfig: start(1),
			Config:    env.Config(""),
			Check:     end(1),
		},
	))
	if t.Failed() {
		return
	}
	for i, name := range []string{"apply", "destroy"} {
		st := steps[i].stats
		sent, refused := total(st.Requests), st.Responses["429"]
		t.Logf("%s of %d keys at %d requests per second: %s, %d requests, responses %v",
			name, keys, rate, steps[i].took.Round(time.Millisecond), sent, st.Responses)
		if sent < keys {
			t.Errorf("%s: %d requests for %d keys: the counts are not the step's", name, sent, keys)
		}
		if refused*20 > sent {
			t.Errorf("%s: %d of %d requests were refused with 429, want at most 5 %%", name, refused, sent)
		}
	}
}
