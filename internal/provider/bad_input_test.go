package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// Every bad input a user can give, and the error they see, is tested; the
// tests of this file cover the cases no other test does. The others:
//
// Provider:
//   - no key, malformed key (argument and environment), http on a network
//     host: TestClientConfig (the diagnostic and its attribute path) and
//     TestAccProvider_configErrors (what Terraform prints);
//   - unreachable endpoint: TestAccProvider_unreachable;
//   - revoked key, coach's key, athlete's key, free plan:
//     TestAccProvider_accessErrors;
//   - no key and expired key as Terraform prints them: TestAccBadInput_provider.
//
// Resource:
//   - empty, blank, padded, over-long and line-break names, past and
//     timezone-less expires_at: TestAccAPIKey_planTimeErrors;
//   - tab in a name, malformed expires_at and the ephemeral key's
//     expire_after: TestAccBadInput_resource;
//   - rotation: durations not written as the provider writes them, zero, a window as
//     long as the lifetime, rotation with expires_at, revoke_on_destroy
//     false on a key that never expires: TestAccAPIKey_rotationPlanTimeErrors;
//   - import of an unknown and of a malformed id: TestAccAPIKey_import.
//
// Server responses, which must neither panic, nor make a key look deleted,
// nor empty the state: TestAccBadInput_serverResponses.

// Terraform prints these errors; TestClientConfig checks the diagnostics.
// The test sets ASTRAL_API_KEY, so it cannot run in parallel.
func TestAccBadInput_provider(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	expiresAt := env.Server.Now().Add(time.Hour)
	expiring := env.CreateKey(t, testKeyPrefix+"expires in an hour", &expiresAt)
	env.Server.AdvanceClock(2 * time.Hour)

	const readKeys = `
data "astral_api_keys" "all" {}
`
	tests := []struct {
		name   string
		config string
		want   *regexp.Regexp
	}{
		{
			name:   "no key",
			config: fmt.Sprintf("provider \"astral\" {\n  endpoint = %q\n}\n", env.URL) + readKeys,
			want:   messagePattern("Missing Astral API key", "Set the api_key argument in the provider block", "or the ASTRAL_API_KEY environment variable"),
		},
		{
			name:   "expired key",
			config: env.ProviderBlock(expiring.Secret) + readKeys,
			want:   messagePattern("The provider's API key is not valid: it may be revoked or expired.", "401 unauthenticated", "(request req_"),
		},
	}
	t.Setenv(envAPIKey, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: env.ProviderFactories(),
				Steps:                    []resource.TestStep{{Config: tt.config, ExpectError: tt.want}},
			})
		})
	}
}

func TestAccBadInput_resource(t *testing.T) {
	skipInCLIMatrix(t)
	t.Parallel()
	env := newTestAccEnv(t)
	tests := []struct {
		name   string
		config string
		want   *regexp.Regexp
	}{
		{
			name:   "tab in a name",
			config: `resource "astral_api_key" "bad" { name = "Roster\tsync" }`,
			want:   messagePattern("Invalid API key name", "control characters", "character 7 is U+0009"),
		},
		{
			name:   "expires_at not a time",
			config: `resource "astral_api_key" "bad" {` + "\n" + `  name = "Bad expiry"` + "\n" + `  expires_at = "next tuesday"` + "\n}",
			want:   messagePattern("Invalid timestamp", `expires_at: "next tuesday" is not an RFC 3339 timestamp`),
		},
		{
			name:   "expires_at out of range",
			config: `resource "astral_api_key" "bad" {` + "\n" + `  name = "Bad expiry"` + "\n" + `  expires_at = "2030-13-01T00:00:00Z"` + "\n}",
			want:   messagePattern("Invalid timestamp", `expires_at: "2030-13-01T00:00:00Z" names no real time: its month is out of range`),
		},
		{
			name:   "ephemeral key's lifetime not a duration",
			config: `ephemeral "astral_api_key" "bad" {` + "\n" + `  name = "One-off import"` + "\n" + `  expire_after = "forever"` + "\n}",
			want:   messagePattern("Invalid duration", `expire_after: "forever" is not a duration such as "90d", "1d12h" or "30m"`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			skipUnlessCLIRuns(t, tt.config)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: env.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      env.Config(tt.config),
					PlanOnly:    true,
					ExpectError: tt.want,
				}},
			})
		})
	}
}

// synthetic is a response that no Astral API would send.
type synthetic struct {
	status      int
	contentType string
	body        string
}

// A response the client cannot use fails the refresh with an error, and the
// key stays in the state as it was.
func TestAccBadInput_serverResponses(t *testing.T) {
	skipInCLIMatrix(t)
	t.Parallel()
	const requestID = "req_01JD3X8Z6W4Q9T2B7N5M1K0C3R"
	tests := []struct {
		name string
		resp synthetic
		want string // a pattern for the error after "Could not read the API key"
	}{
		{
			name: "malformed JSON",
			resp: synthetic{http.StatusOK, "application/json", `{"id": "key_`},
			want: `unusable 200 response \(request ` + requestID + `\): the body is not valid JSON`,
		},
		{
			name: "unexpected status",
			resp: synthetic{http.StatusTeapot, "text/plain", "short and stout"},
			want: `418 unexpected_response: I'm a teapot with a text/plain body that is not an Astral API error; check the endpoint \(request ` + requestID + `\)`,
		},
		{
			name: "HTML error page of a proxy",
			resp: synthetic{http.StatusBadGateway, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"},
			want: `502 unexpected_response: Bad Gateway with a text/html body that is not an Astral API error`,
		},
		{
			// A proxy's 404 is not the API saying the key is gone.
			name: "HTML not found page of a proxy",
			resp: synthetic{http.StatusNotFound, "text/html", "<html><body>Not Found</body></html>"},
			want: `404 unexpected_response: Not Found with a text/html body that is not an Astral API error`,
		},
		{
			name: "oversized body",
			resp: synthetic{http.StatusOK, "application/json", `{"name": "` + strings.Repeat("x", 11<<20) + `"}`},
			want: `unusable 200 response \(request ` + requestID + `\): the body exceeds 10 MiB`,
		},
		{
			name: "key missing fields",
			resp: synthetic{http.StatusOK, "application/json", `{"id": "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R", "name": "No status"}`},
			want: `unusable 200 response \(request ` + requestID + `\): the API key object lacks status, created_at`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestAccEnv(t)
			var answer atomic.Pointer[synthetic]
			endpoint := syntheticProxy(t, env.URL, requestID, &answer)
			config := fmt.Sprintf(`
provider "astral" {
  endpoint    = %q
  api_key     = %q
  max_retries = 0
}

resource "astral_api_key" "test" {
  name = "%sbad response"
}
`, endpoint, env.HeadCoachKey, testKeyPrefix)
			ids := statecheck.CompareValue(compare.ValuesSame())
			resource.ParallelTest(t, env.TestCase(t,
				resource.TestStep{
					Config:            config,
					ConfigStateChecks: []statecheck.StateCheck{ids.AddStateValue("astral_api_key.test", at("id"))},
				},
				resource.TestStep{
					PreConfig:   func() { answer.Store(&tt.resp) },
					Config:      config,
					ExpectError: wrapped(`Could not read the API key.*GET http://127\.0\.0\.1:\d+/v1/api-keys/key_[0-9A-Z]{26}: ` + tt.want),
				},
				resource.TestStep{
					PreConfig: func() { answer.Store(nil) },
					Config:    config,
					ConfigPlanChecks: resource.ConfigPlanChecks{
						PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					},
					ConfigStateChecks: []statecheck.StateCheck{ids.AddStateValue("astral_api_key.test", at("id"))},
				},
			))
		})
	}
}

// syntheticProxy forwards to the sandbox, but answers a read of one key
// with *answer while it is set.
func syntheticProxy(t *testing.T, target, requestID string, answer *atomic.Pointer[synthetic]) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := answer.Load()
		if a == nil || r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/v1/api-keys/") {
			forward.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", a.contentType)
		w.Header().Set("X-Request-Id", requestID)
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
