package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// faultKeys is how many keys each fault run applies: enough that a fault
// injected at 20 or 30 % hits many of them.
const faultKeys = 50

// TestAccFaults applies faultKeys keys while the sandbox (or a proxy in
// front of it) misbehaves, then runs again with the fault gone, and proves
// through the API that every key is in the state exactly once and that no
// key exists that the state does not know.
//
// The provider's client waits 10 to 100 ms between retries here
// (shortRetryWaits): the length of a wait changes none of what the test
// proves.
func TestAccFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults sandbox.Faults
		// refuse is how many requests for keys the proxy in front of the
		// sandbox answers by closing the connection: the server is
		// unreachable for that part of the run. A negative value refuses
		// every request of the first run, GET /v1/me included.
		refuse int64
		// stall is how many requests for keys the proxy forwards but answers
		// only once the client has given up: a timeout after the API committed.
		stall  int64
		client faultClient
		// wantError, when set, is the error of the first run; otherwise
		// the first run succeeds.
		wantError *regexp.Regexp
		// placeholders is set when the first run leaves placeholders.
		placeholders bool
	}{
		{
			name:   "30% 503 retried",
			faults: sandbox.Faults{ErrorRate: 0.3, ErrorStatus: http.StatusServiceUnavailable},
			client: faultClient{maxRetries: 10},
		},
		{
			name:   "30% 503 without retries",
			faults: sandbox.Faults{ErrorRate: 0.3, ErrorStatus: http.StatusServiceUnavailable},
			// One of 50 creates fails but for a chance of 0.7^50 (2e-8).
			wantError: wrapped(`Could not create the API key.*The Astral API failed on every attempt.*POST http://127\.0\.0\.1:\d+/v1/api-keys: 503 unavailable.*\(request req_[0-9A-Z]{26}\)`),
		},
		{
			name:   "429 storm with Retry-After",
			faults: sandbox.Faults{RateLimitPerSecond: 10, ErrorRate: 0.2, ErrorStatus: http.StatusTooManyRequests},
			client: faultClient{maxRetries: 10},
		},
		{
			// Waiting for the rate limit is no retry: without retries, a
			// limit that refuses every request ends the run only once
			// rate_limit_wait is spent.
			name:   "429 on every request beyond rate_limit_wait",
			faults: sandbox.Faults{ErrorRate: 1, ErrorStatus: http.StatusTooManyRequests},
			client: faultClient{rateLimitWait: "1s"},
			// A call held back by another's 429 never gets one of its own:
			// the error then names the wait instead of the API's answer.
			// The create fails at its first request: GET /v1/me, or the
			// POST when another create's GET /v1/me got through.
			wantError: wrapped(`Could not create the API key.*sends too many requests.*raise rate_limit_wait.*(GET|POST) http://127\.0\.0\.1:\d+/v1/(me|api-keys): rate limited: the call waited`),
		},
		{
			name:   "200 ms latency",
			faults: sandbox.Faults{LatencyMS: 200},
		},
		{
			name:   "20% dropped after commit",
			faults: sandbox.Faults{DropAfterCommitRate: 0.2},
			client: faultClient{maxRetries: 10},
		},
		{
			name:   "unreachable for 20 requests",
			refuse: 20,
			client: faultClient{maxRetries: 10},
		},
		{
			name:   "unreachable for the whole run",
			refuse: -1,
			// Nothing is sent: the create first hears the API's clock, and
			// that request fails.
			wantError: wrapped(`Could not create the API key.*No response from the Astral API at http://127\.0\.0\.1:\d+\..*GET http://127\.0\.0\.1:\d+/v1/me: no response after 2 attempts`),
			client:    faultClient{maxRetries: 1},
		},
		{
			name:   "request timeout elapsing after commit",
			stall:  20,
			client: faultClient{timeout: "2s", maxRetries: 3},
		},
		{
			// Without a retry, every create whose answer is lost leaves a
			// tainted placeholder; the next run finds each key by its
			// Idempotency-Key, revokes it and replaces it.
			name:         "request timeout after commit, without retries",
			stall:        faultKeys,
			client:       faultClient{timeout: "2s"},
			wantError:    wrapped(`Could not create the API key.*did not finish in time.*raise request_timeout.*POST http://127\.0\.0\.1:\d+/v1/api-keys`),
			placeholders: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Only a create that leaves placeholders meets the CLI.
			if !tt.placeholders {
				skipInCLIMatrix(t)
			}
			env := newTestAccEnv(t)
			env.tuneClient = shortRetryWaits
			endpoint := env.URL
			var proxy *faultyProxy
			if tt.refuse != 0 || tt.stall != 0 {
				proxy = newFaultyProxy(t, env.URL)
				endpoint = proxy.URL
			}
			startFault := func() {
				env.Server.SetFaults(tt.faults)
				if proxy != nil {
					proxy.refusals.Store(tt.refuse)
					proxy.stalls.Store(tt.stall)
				}
			}
			endFault := func() {
				env.Server.ClearFaults()
				if proxy != nil {
					proxy.refusals.Store(0)
					proxy.stalls.Store(0)
				}
			}
			first := resource.TestStep{PreConfig: startFault, Config: faultConfig(endpoint, env.HeadCoachKey, tt.client), ExpectError: tt.wantError}
			if tt.placeholders {
				first = lostCreateStep(first)
			}
			var sum faultSummary
			resource.ParallelTest(t, env.TestCase(t,
				first,
				resource.TestStep{
					PreConfig: endFault,
					// With the fault gone, the client has the default timeout
					// and a few retries: the short timeouts that make some
					// faults could otherwise fail a request on a loaded machine.
					Config: faultConfig(endpoint, env.HeadCoachKey, faultClient{maxRetries: 3}),
					ConfigPlanChecks: resource.ConfigPlanChecks{
						PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					},
					Check: func(s *terraform.State) error {
						var err error
						sum, err = env.compareKeys(t, s, faultKeys)
						return err
					},
				},
			))
			stats := env.Server.Stats()
			t.Logf("fault %q: runs 2, keys created %d, in state %d, orphans %d, duplicates %d; sandbox requests %d, responses %v",
				tt.name, sum.created, sum.inState, sum.orphans, sum.duplicates, total(stats.Requests), stats.Responses)
		})
	}
}

// faultClient is how the provider's client of a fault row retries and waits.
type faultClient struct {
	maxRetries int
	timeout    string // request_timeout; empty: the default
	// rateLimitWait is rate_limit_wait; empty: the default.
	rateLimitWait string
}

func faultConfig(endpoint, apiKey string, client faultClient) string {
	var extra string
	if client.timeout != "" {
		extra = fmt.Sprintf("  request_timeout = %q\n", client.timeout)
	}
	if client.rateLimitWait != "" {
		extra += fmt.Sprintf("  rate_limit_wait = %q\n", client.rateLimitWait)
	}
	return fmt.Sprintf(`
provider "astral" {
  endpoint    = %q
  api_key     = %q
  max_retries = %d
%s}

resource "astral_api_key" "fault" {
  count = %d
  name  = "%sfault-${count.index}"
}
`, endpoint, apiKey, client.maxRetries, extra, faultKeys, testKeyPrefix)
}

// faultyProxy forwards to the sandbox, except that it refuses the next
// refusals requests (all of them while refusals is negative) by closing the
// connection without an answer, as a server that is down does, and forwards
// the next stalls requests but answers none until the client has given up.
type faultyProxy struct {
	URL              string
	refusals, stalls atomic.Int64
}

// startProxy starts a server in front of the sandbox at target, whose
// handle answers each request, with forward to pass it on, and returns its
// URL.
func startProxy(t *testing.T, target string, handle func(w http.ResponseWriter, r *http.Request, forward http.Handler)) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handle(w, r, forward) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

func newFaultyProxy(t *testing.T, target string) *faultyProxy {
	t.Helper()
	p := &faultyProxy{}
	p.URL = startProxy(t, target, func(w http.ResponseWriter, r *http.Request, forward http.Handler) {
		switch {
		case r.URL.Path == "/v1/me" && p.refusals.Load() >= 0:
			// The plan's one GET /v1/me would take the refusals and stalls
			// one after another, each retry waiting longer than the last;
			// they are meant for the keys' requests, many at once.
			forward.ServeHTTP(w, r)
		case p.refusals.Load() < 0 || take(&p.refusals):
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(http.ErrAbortHandler)
			}
			conn.Close()
		case take(&p.stalls):
			// The API handles the request in full, whenever the client gives up.
			forward.ServeHTTP(httptest.NewRecorder(), r.WithContext(context.WithoutCancel(r.Context())))
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		default:
			forward.ServeHTTP(w, r)
		}
	})
	return p
}

// take spends one of n, if there is one left.
func take(n *atomic.Int64) bool {
	for {
		v := n.Load()
		if v <= 0 {
			return false
		}
		if n.CompareAndSwap(v, v-1) {
			return true
		}
	}
}

type faultSummary struct {
	created, inState, orphans, duplicates int
}

// compareKeys compares the organization's active keys (its members' own
// aside) with the keys in the state. It fails unless the state holds want
// keys, every key of the state is active and there once, and every active
// key is in the state.
func (e *testAccEnv) compareKeys(t *testing.T, s *terraform.State, want int) (faultSummary, error) {
	var sum faultSummary
	active, err := e.Server.ActiveKeyIDs(t.Context(), e.Org.ID)
	if err != nil {
		return sum, err
	}
	active = slices.DeleteFunc(active, func(id string) bool {
		return slices.ContainsFunc(e.Org.Members, func(m sandbox.Member) bool { return m.APIKeyID == id })
	})
	sum.created = len(active)

	inState := map[string]int{}
	for _, rs := range s.RootModule().Resources {
		if rs.Type == "astral_api_key" {
			inState[rs.Primary.ID]++
			sum.inState++
		}
	}
	var problems []string
	for id, n := range inState {
		if n > 1 {
			sum.duplicates += n - 1
			problems = append(problems, fmt.Sprintf("%s is in the state %d times", id, n))
		}
		if !slices.Contains(active, id) {
			problems = append(problems, id+" is in the state but not active")
		}
	}
	for _, id := range active {
		if inState[id] == 0 {
			sum.orphans++
			problems = append(problems, id+" is active but not in the state (an orphan)")
		}
	}
	// A retried create that minted a second key would leave two keys of one name.
	keys, err := e.Client.APIKeys.ListAll(t.Context())
	if err != nil {
		return sum, err
	}
	names := map[string]int{}
	for _, k := range keys {
		if strings.HasPrefix(k.Name, testKeyPrefix) {
			names[k.Name]++
		}
	}
	for name, n := range names {
		if n > 1 {
			sum.duplicates += n - 1
			problems = append(problems, fmt.Sprintf("%d active keys are named %q", n, name))
		}
	}
	if sum.inState != want || len(names) != want {
		problems = append(problems, fmt.Sprintf("%d keys in the state and %d names active, want %d", sum.inState, len(names), want))
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return sum, fmt.Errorf("the API and the state disagree:\n%s", strings.Join(problems, "\n"))
	}
	return sum, nil
}

// wrapped compiles a pattern of an error that Terraform prints wrapped: a
// space matches any white space.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)` + strings.ReplaceAll(pattern, " ", `\s+`))
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}
