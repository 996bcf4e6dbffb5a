package provider

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// A plan that only creates keys fails at plan time, before anything is
// created, for every provider key that could not create them at apply.
func TestAccProvider_planTimeCredentials(t *testing.T) {
	t.Parallel()
	env := newTestAccEnv(t)
	free, err := env.Server.CreateOrganization(t.Context(), "Free Rowing Club", sandbox.PlanFree)
	if err != nil {
		t.Fatal(err)
	}
	revoked := env.CreateKey(t, testKeyPrefix+"revoked before use", nil)
	env.RevokeKey(t, revoked.ID)
	soon := env.Server.Now().Add(time.Hour)
	expired := env.CreateKey(t, testKeyPrefix+"expired before use", &soon)
	env.Server.AdvanceClock(2 * time.Hour)
	env.Server.ResetStats()

	const createKey = `
resource "astral_api_key" "test" {
  name = "` + testKeyPrefix + `refused"
}
`
	invalid := messagePattern("Invalid Astral API key", "The provider's API key is not valid: it may be revoked or expired.", "GET", "/v1/me: 401 unauthenticated", "(request req_")
	tests := []struct {
		name   string
		apiKey string
		want   *regexp.Regexp
	}{
		{"coach", env.CoachKey, messagePattern("Only the head coach may manage API keys",
			`The provider's API key belongs to Sam Lee, a coach of the organization "Test Rowing Club"; only the organization's head coach may manage API keys.`)},
		{"athlete", env.AthleteKey, messagePattern("Only the head coach may manage API keys", "belongs to Alex Kim, an athlete of the organization")},
		{"free plan", free.Member(sandbox.RoleHeadCoach).APIKey, messagePattern("Coach plan required",
			`The organization "Free Rowing Club" (`+free.ID+`) is on the free plan, and API keys need the Coach plan or above.`)},
		{"revoked key", revoked.Secret, invalid},
		{"expired key", expired.Secret, invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: env.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      env.ProviderBlock(tt.apiKey) + createKey,
					PlanOnly:    true,
					ExpectError: tt.want,
				}},
			})
		})
	}
	if posts := env.Server.Stats().Requests["POST /v1/api-keys"]; posts != 0 {
		t.Errorf("the refused plans sent %d creates, want none", posts)
	}
}

// Switching the provider's key to another organization changes nothing:
// refresh, plan and apply fail with both organizations named, the keys stay
// active and in the state, and the other organization gets no key.
func TestAccAPIKey_otherOrganization(t *testing.T) {
	skipInCLIMatrix(t)
	t.Parallel()
	env := newTestAccEnv(t)
	other, err := env.Server.CreateOrganization(t.Context(), "Lakeside Rowing Club", sandbox.PlanCoach)
	if err != nil {
		t.Fatal(err)
	}
	const keys = `
resource "astral_api_key" "test" {
  count = 2
  name  = "` + testKeyPrefix + `pinned-${count.index}"
}
`
	otherConfig := env.ProviderBlock(other.Member(sandbox.RoleHeadCoach).APIKey) + keys
	refused := messagePattern("API key of another organization", "in the state belongs to the organization "+env.Org.ID,
		`but the provider's api_key belongs to the organization "Lakeside Rowing Club" (`+other.ID+`)`, "Terraform has changed nothing")
	var ids [2]string
	otherKeys, err := env.Server.ActiveKeyIDs(t.Context(), other.ID)
	if err != nil {
		t.Fatal(err)
	}
	untouched := func(*terraform.State) error {
		for _, id := range ids {
			key, err := env.Client.APIKeys.Read(t.Context(), id)
			if err != nil || key.Status != astral.APIKeyStatusActive {
				return fmt.Errorf("key %s after the other organization's run: %v, %w", id, key, err)
			}
		}
		got, err := env.Server.ActiveKeyIDs(t.Context(), other.ID)
		if err != nil || !slices.Equal(got, otherKeys) {
			return fmt.Errorf("the other organization's keys are %v, want %v (%w)", got, otherKeys, err)
		}
		return nil
	}
	resource.Test(t, env.TestCase(t,
		resource.TestStep{
			Config: env.Config(keys),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("astral_api_key.test[0]", tfjsonpath.New("organization_id"), knownvalue.StringExact(env.Org.ID)),
				statecheck.ExpectKnownValue("astral_api_key.test[0]", tfjsonpath.New("id"), captureString(&ids[0])),
				statecheck.ExpectKnownValue("astral_api_key.test[1]", tfjsonpath.New("id"), captureString(&ids[1])),
			},
		},
		resource.TestStep{Config: otherConfig, PlanOnly: true, ExpectError: refused},
		resource.TestStep{Config: otherConfig, ExpectError: refused},
		resource.TestStep{Config: otherConfig, Destroy: true, ExpectError: refused},
		resource.TestStep{
			Config: env.Config(keys),
			Check:  untouched,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("astral_api_key.test[0]", tfjsonpath.New("id"), knownvalue.StringFunc(func(v string) error {
					if v != ids[0] {
						return fmt.Errorf("id %s, want %s", v, ids[0])
					}
					return nil
				})),
			},
		},
	))
}

// A plan after a create whose answer was lost sends no create: the apply
// settles it, and no key is left behind or made twice.
func TestAccAPIKey_lostCreatePlanSendsNoPost(t *testing.T) {
	t.Parallel()
	env := newTestAccEnv(t)
	proxy := newFaultyProxy(t, env.URL)
	config := providerBlock(proxy.URL, env.HeadCoachKey, `request_timeout = "250ms"`) + `
resource "astral_api_key" "test" {
  name = "` + testKeyPrefix + `lost-answer"
}
`
	resource.Test(t, env.TestCase(t,
		lostCreateStep(resource.TestStep{
			// The create commits, but its answer comes after the client gave up.
			PreConfig:   func() { proxy.stalls.Store(1) },
			Config:      config,
			ExpectError: messagePattern("Could not create the API key", "did not finish in time"),
		}),
		resource.TestStep{
			PreConfig:          env.Server.ResetStats,
			Config:             config,
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		},
		resource.TestStep{
			PreConfig: func() {
				if writes := env.writes(); writes != 0 {
					t.Errorf("the plan sent %d requests other than GET, want none", writes)
				}
			},
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("astral_api_key.test", plancheck.ResourceActionReplace)},
			},
			// The one active key is the state's: the key of the lost create
			// is revoked, and no other was made.
			Check: func(s *terraform.State) error {
				active, err := env.Server.ActiveKeyIDs(t.Context(), env.Org.ID)
				if err != nil {
					return err
				}
				active = slices.DeleteFunc(active, func(id string) bool {
					return slices.ContainsFunc(env.Org.Members, func(m sandbox.Member) bool { return m.APIKeyID == id })
				})
				if id := s.RootModule().Resources["astral_api_key.test"].Primary.ID; !slices.Equal(active, []string{id}) {
					return fmt.Errorf("active keys %v, want only the state's %s", active, id)
				}
				return nil
			},
		},
	))
}

// writes counts the requests since the last reset that were not GETs.
func (e *testAccEnv) writes() int {
	var n int
	for route, count := range e.Server.Stats().Requests {
		if !regexp.MustCompile(`^GET `).MatchString(route) {
			n += count
		}
	}
	return n
}

// The sandbox's clock alone drives rotation: the provider runs on this
// machine's clock and follows the API's through its Date header, so a key
// created after the clock moved far ahead gets its lifetime from the API's
// time, and is due when the API's time enters its window.
func TestAccAPIKey_rotationByTheAPIClock(t *testing.T) {
	t.Parallel()
	env := newTestAccEnv(t)
	const day = 24 * time.Hour
	config := env.Config(`
resource "astral_api_key" "test" {
  name = "` + testKeyPrefix + `rotated-by-the-api-clock"
  rotation = {
    expire_after  = "90d"
    rotate_before = "14d"
  }
}
`)
	var firstID string
	// stepStarted is the API's time when a step began: the key's expiry is
	// 90 days after a moment of the apply, between then and the check.
	var stepStarted time.Time
	advance := func(d time.Duration) func() {
		return func() {
			env.Server.AdvanceClock(d)
			stepStarted = env.Server.Now()
		}
	}
	expires90DaysIntoTheStep := knownvalue.StringFunc(func(v string) error {
		return expectInstantBetween(v, stepStarted.Add(90*day), env.Server.Now().Add(90*day))
	})
	resource.Test(t, env.TestCase(t,
		resource.TestStep{
			PreConfig: advance(400 * day),
			Config:    config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("astral_api_key.test", tfjsonpath.New("id"), captureString(&firstID)),
				statecheck.ExpectKnownValue("astral_api_key.test", tfjsonpath.New("expires_at"), expires90DaysIntoTheStep),
			},
		},
		resource.TestStep{
			PreConfig: advance(77 * day),
			Config:    config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("astral_api_key.test", plancheck.ResourceActionReplace)},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("astral_api_key.test", tfjsonpath.New("expires_at"), expires90DaysIntoTheStep),
			},
		},
	))
}

// expectInstantBetween checks that v names an instant from lo to hi, give
// or take the second that the API's Date header rounds the client's clock
// to: a slow apply widens the range rather than failing the test.
func expectInstantBetween(v string, lo, hi time.Time) error {
	got, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return err
	}
	if got.Before(lo.Add(-time.Second)) || got.After(hi.Add(time.Second)) {
		return fmt.Errorf("%s is not between %s and %s", v, lo.UTC().Format(time.RFC3339), hi.UTC().Format(time.RFC3339))
	}
	return nil
}

// A destroy that leaves a key active says so, naming the key and its expiry.
func TestAPIKeyResource_DeleteLeavesKeyActive(t *testing.T) {
	t.Parallel()
	env := newTestAccEnv(t)
	s := apiKeySchemaFor(t)
	ctx := context.Background()
	expiry := env.Server.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	key := env.CreateKey(t, testKeyPrefix+"left to expire", &expiry)

	prior := stored(t, key.Name, key.ExpiresAt)
	prior.ID = types.StringValue(key.ID)
	prior.RevokeOnDestroy = types.BoolValue(false)
	r := &apiKeyResource{configured{data: &providerData{client: env.Client, machineNow: time.Now}}}
	req := fwresource.DeleteRequest{State: tfsdk.State{Schema: s, Raw: rawOf(t, s, prior)}}
	resp := fwresource.DeleteResponse{State: req.State}
	r.Delete(ctx, req, &resp)

	checkDiagnostics(t, resp.Diagnostics, wantDiagnostics{warning: fmt.Sprintf("The API key %q (%s) has left the state but stays active until it expires at %s, because revoke_on_destroy is false.",
		key.Name, key.ID, expiry.Format(time.RFC3339))})
	got, err := env.Client.APIKeys.Read(ctx, key.ID)
	if err != nil || got.Status != astral.APIKeyStatusActive {
		t.Errorf("the key after the destroy: %v, %v; want it active", got, err)
	}
}

// meProxy is a proxy in front of the sandbox that answers 503 to the next
// failNext requests for GET /v1/me, as an API that is briefly unavailable
// does, and counts those requests.
type meProxy struct {
	URL             string
	failNext, asked atomic.Int64
	// hold delays each answer to GET /v1/me, so that calls overlap.
	hold time.Duration
}

func newMeProxy(t *testing.T, target string) *meProxy {
	t.Helper()
	p := &meProxy{}
	p.URL = startProxy(t, target, func(w http.ResponseWriter, r *http.Request, forward http.Handler) {
		if r.URL.Path == "/v1/me" {
			p.asked.Add(1)
			time.Sleep(p.hold)
			if take(&p.failNext) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprint(w, `{"error":{"code":"unavailable","message":"briefly unavailable"}}`)
				return
			}
		}
		forward.ServeHTTP(w, r)
	})
	return p
}

// A failed GET /v1/me belongs to the call that met it: the next call asks
// again, with its own context, and only a success is remembered.
func TestCallerIdentityFailureNotKept(t *testing.T) {
	t.Parallel()
	env := newTestAccEnv(t)
	proxy := newMeProxy(t, env.URL)
	proxy.failNext.Store(2)
	data := &providerData{client: newTestClient(t, proxy.URL, env.HeadCoachKey), machineNow: time.Now}

	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := data.callerIdentity(canceled); err == nil {
		t.Fatal("a call with a canceled context succeeded")
	}
	for i := range 2 {
		if _, err := data.callerIdentity(t.Context()); err == nil {
			t.Fatalf("call %d succeeded while the API answers 503", i+1)
		}
	}
	for i := range 5 {
		identity, err := data.callerIdentity(t.Context())
		if err != nil || identity.Organization.ID != env.Org.ID {
			t.Fatalf("call %d after the API recovered: %v, %v", i+1, identity, err)
		}
	}
	if got := proxy.asked.Load(); got != 3 {
		t.Errorf("GET /v1/me reached the API %d times, want 3: two 503s, then one answer remembered", got)
	}
}

// Calls made while GET /v1/me is in flight wait for its answer instead of
// each sending one, and share its failure, unless that failure is only the
// end of the sending call's own context.
func TestCallerIdentitySharedFlight(t *testing.T) {
	t.Parallel()
	env := newTestAccEnv(t)
	proxy := newMeProxy(t, env.URL)
	proxy.hold = 300 * time.Millisecond
	data := &providerData{client: newTestClient(t, proxy.URL, env.HeadCoachKey), machineNow: time.Now}

	// callAtOnce makes n calls, the first with ctx and the others, started
	// while it is in flight, with the test's context.
	callAtOnce := func(ctx context.Context, n int) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c := t.Context()
				if i == 0 {
					c = ctx
				} else {
					time.Sleep(100 * time.Millisecond)
				}
				_, errs[i] = data.callerIdentity(c)
			})
		}
		wg.Wait()
		return errs
	}

	proxy.failNext.Store(1)
	for i, err := range callAtOnce(t.Context(), 5) {
		if err == nil {
			t.Errorf("call %d succeeded while the one request in flight got a 503", i)
		}
	}
	if got := proxy.asked.Load(); got != 1 {
		t.Errorf("5 calls at once sent GET /v1/me %d times, want 1", got)
	}

	short, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	errs := callAtOnce(short, 5)
	if errs[0] == nil {
		t.Error("the call whose context ended succeeded")
	}
	for i, err := range errs[1:] {
		if err != nil {
			t.Errorf("call %d failed with the ended context of another call: %v", i+1, err)
		}
	}
}

// A destroy needs no answer from GET /v1/me: while every one fails, a
// destroy of 20 keys succeeds in one run and revokes them all.
func TestAccAPIKey_destroyWhileMeFails(t *testing.T) {
	skipInCLIMatrix(t)
	t.Parallel()
	env := newTestAccEnv(t)
	proxy := newMeProxy(t, env.URL)
	config := providerBlock(proxy.URL, env.HeadCoachKey) + `
resource "astral_api_key" "test" {
  count = 20
  name  = "` + testKeyPrefix + `me-fails-${count.index}"
}
`
	tc := env.TestCase(t,
		resource.TestStep{Config: config},
		resource.TestStep{
			PreConfig: func() { proxy.failNext.Store(math.MaxInt32) },
			Config:    config,
			Destroy:   true,
		},
	)
	tc.CheckDestroy = env.checkKeysRevoked(t)
	resource.Test(t, tc)
}

// A key that may not manage keys, on a state that already has several,
// fails the run with one error, the one that says whose key it is and what
// to do, instead of one for each key's refresh and the data source.
func TestAccProvider_oneRefusalPerRun(t *testing.T) {
	skipInCLIMatrix(t)
	t.Parallel()
	env := newTestAccEnv(t)
	revoked := env.CreateKey(t, testKeyPrefix+"revoked provider key", nil)
	env.RevokeKey(t, revoked.ID)
	const keys = `
resource "astral_api_key" "test" {
  count = 3
  name  = "` + testKeyPrefix + `refused-${count.index}"
}

data "astral_api_keys" "all" {}
`
	tests := []struct {
		name   string
		apiKey string
		want   *regexp.Regexp
	}{
		{"coach", env.CoachKey, messagePattern("Error: Only the head coach may manage API keys",
			`The provider's API key belongs to Sam Lee, a coach of the organization "Test Rowing Club"`, "Set api_key (or ASTRAL_API_KEY) to a key that the head coach created")},
		{"revoked key", revoked.Secret, messagePattern("Error: Invalid Astral API key", "The provider's API key is not valid: it may be revoked or expired.")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failed := 0
			refused := env.ProviderBlock(tt.apiKey) + keys
			tc := env.TestCase(t,
				resource.TestStep{Config: env.ProviderBlock(env.HeadCoachKey) + keys},
				// A plan that refreshes: each key's read is refused.
				resource.TestStep{Config: refused},
				// A plan that does not: each key's plan is refused.
				resource.TestStep{Config: refused, PlanOnly: true},
				// The head coach's key again, for the destroy.
				resource.TestStep{Config: env.ProviderBlock(env.HeadCoachKey) + keys, PlanOnly: true},
			)
			// ExpectError cannot count errors; ErrorCheck sees each failing step's.
			tc.ErrorCheck = func(err error) error {
				failed++
				if n := strings.Count(err.Error(), "Error: "); n != 1 {
					return fmt.Errorf("%d errors, want one: %w", n, err)
				}
				if !tt.want.MatchString(err.Error()) {
					return fmt.Errorf("the error does not match %s: %w", tt.want, err)
				}
				return nil
			}
			resource.Test(t, tc)
			if failed != 2 {
				t.Errorf("%d of the 2 plans with the refused key failed", failed)
			}
		})
	}
}
