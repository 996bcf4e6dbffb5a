package provider

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

// testAccEnv is a sandbox for one acceptance test, with an organization on
// the coach plan, and a client of it that acts as the head coach.
type testAccEnv struct {
	*sandboxtest.Env
	// Client uses the head coach's key: it sets up and inspects what a test
	// needs without going through Terraform.
	Client *astral.Client
	// tuneClient adjusts the client of the provider that the test case's
	// Terraform runs (see shortRetryWaits).
	tuneClient func(*astral.Config)
}

// newTestAccEnv starts a sandbox that the test alone uses, so tests that
// each start one may run in parallel.
func newTestAccEnv(t *testing.T) *testAccEnv {
	t.Helper()
	skipOnIntermediateCLI(t)
	env := sandboxtest.Start(t)
	return &testAccEnv{Env: env, Client: newTestClient(t, env.URL, env.HeadCoachKey)}
}

// newTestClient returns a client of the sandbox at url that makes one
// attempt per call: the sandbox injects no faults unless a test asks.
func newTestClient(t *testing.T, url, apiKey string) *astral.Client {
	t.Helper()
	client, err := astral.NewClient(astral.Config{Endpoint: url, APIKey: apiKey, MaxRetries: new(0)})
	if err != nil {
		t.Fatalf("client of the sandbox: %v", err)
	}
	return client
}

// ProviderFactories serves the provider as users run it: with this
// machine's clock, which it corrects by the API's Date header, so that
// Server.AdvanceClock moves the provider's idea of "now" too.
func (e *testAccEnv) ProviderFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"astral": providerserver.NewProtocol6WithError(&astralProvider{version: "test", tuneClient: e.tuneClient}),
	}
}

// shortRetryWaits makes the provider's client wait 10 to 100 ms between
// retries, a server's Retry-After included, instead of 0.5 to 30 s: the
// tests of faults prove that no key is lost and none is duplicated, which
// the length of a wait does not change, while the client's own tests prove
// each wait (internal/astral).
func shortRetryWaits(cfg *astral.Config) {
	cfg.RetryWaitMin = 10 * time.Millisecond
	cfg.RetryWaitMax = 100 * time.Millisecond
}

// ProviderBlock is a provider block for the sandbox that authenticates
// with apiKey. Tests configure the provider in HCL rather than with
// environment variables, which would keep them from running in parallel.
func (e *testAccEnv) ProviderBlock(apiKey string) string {
	return providerBlock(e.URL, apiKey)
}

// providerBlock is a provider block for endpoint (the sandbox, or a proxy
// in front of it) that makes one attempt per call, with more arguments
// given as lines of HCL.
func providerBlock(endpoint, apiKey string, arguments ...string) string {
	var extra strings.Builder
	for _, a := range arguments {
		extra.WriteString("  " + a + "\n")
	}
	return fmt.Sprintf(`
provider "astral" {
  endpoint    = %q
  api_key     = %q
  max_retries = 0
%s}
`, endpoint, apiKey, extra.String())
}

// closedEndpoint is the URL of a port that was just free: nothing listens
// there, so a connection is refused.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return endpoint
}

// Config is configuration for the sandbox as its head coach.
func (e *testAccEnv) Config(hcl string) string {
	return e.ProviderBlock(e.HeadCoachKey) + hcl
}

// TestCase is a test case against the sandbox whose CheckDestroy proves,
// through the API, that destroying revoked every astral_api_key.
func (e *testAccEnv) TestCase(t *testing.T, steps ...resource.TestStep) resource.TestCase {
	return resource.TestCase{
		ProtoV6ProviderFactories: e.ProviderFactories(),
		CheckDestroy:             e.checkKeysRevoked(t),
		Steps:                    steps,
	}
}

// expectPlanError plans hcl with the head coach's provider and expects an
// error whose text holds each of want.
func (e *testAccEnv) expectPlanError(t *testing.T, hcl string, want ...string) {
	t.Helper()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      e.Config(hcl),
			PlanOnly:    true,
			ExpectError: messagePattern(want...),
		}},
	})
}

// CreateKey creates a key through the API, outside Terraform.
func (e *testAccEnv) CreateKey(t *testing.T, name string, expiresAt *time.Time) *astral.APIKey {
	t.Helper()
	key, err := e.Client.APIKeys.Create(t.Context(), astral.APIKeyCreateOptions{Name: name, ExpiresAt: expiresAt})
	if err != nil {
		t.Fatalf("create key %q: %v", name, err)
	}
	return key
}

// RevokeKey revokes a key through the API, outside Terraform.
func (e *testAccEnv) RevokeKey(t *testing.T, id string) {
	t.Helper()
	if _, err := e.Client.APIKeys.Revoke(t.Context(), id); err != nil {
		t.Fatalf("revoke key %s: %v", id, err)
	}
}

// checkKeysRevoked checks that every key in the state is revoked.
func (e *testAccEnv) checkKeysRevoked(t *testing.T) func(*terraform.State) error {
	return func(s *terraform.State) error {
		for addr, rs := range s.RootModule().Resources {
			if rs.Type != "astral_api_key" {
				continue
			}
			key, err := e.Client.APIKeys.Read(t.Context(), rs.Primary.ID)
			if err != nil {
				return fmt.Errorf("%s: reading %s after destroy: %w", addr, rs.Primary.ID, err)
			}
			if key.Status != astral.APIKeyStatusRevoked {
				return fmt.Errorf("%s: %s is %s after destroy, want revoked", addr, key.ID, key.Status)
			}
		}
		return nil
	}
}

// captureString is a knownvalue check that accepts any string and keeps it,
// for a later step's PreConfig (the id of a key to revoke out of band).
func captureString(dst *string) knownvalue.Check {
	return knownvalue.StringFunc(func(v string) error {
		*dst = v
		return nil
	})
}

// messagePattern matches an error output holding each part in order.
// Terraform wraps long lines, so a space in a part matches any white space.
func messagePattern(parts ...string) *regexp.Regexp {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = strings.Join(strings.Fields(regexp.QuoteMeta(p)), `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, `.*`))
}

var (
	keyIDPattern  = regexp.MustCompile(`^key_[0-9A-HJKMNP-TV-Z]{26}$`)
	secretPattern = regexp.MustCompile(`^astral_live_[A-Za-z0-9]{32}$`)
)

// testAccPlanOnlyFactories serves the provider with no sandbox behind it,
// for tests that fail before any request.
func testAccPlanOnlyFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"astral": providerserver.NewProtocol6WithError(New("test")()),
	}
}

// testKeyPrefix starts the name of every key an acceptance test creates, so
// that the sweeper can tell leftovers of a test run from real keys.
const testKeyPrefix = "tf-acc-"

// A well-formed key that no sandbox knows, for tests that fail before any request.
const unusedKey = "astral_live_0123456789abcdefghijABCDEFGHIJKL"

func TestAccProvider_configErrors(t *testing.T) {
	skipInCLIMatrix(t)
	t.Parallel()
	const readKeys = `
data "astral_api_keys" "all" {}
`
	// args are the provider block's arguments.
	tests := []struct {
		name string
		args string
		want *regexp.Regexp
	}{
		{
			name: "http on a network host",
			args: `endpoint = "http://api.example.com"` + "\n" + `api_key = "` + unusedKey + `"`,
			want: messagePattern("Insecure Astral endpoint", "http on api.example.com, which is not a loopback address"),
		},
		{
			name: "endpoint not http",
			args: `endpoint = "ftp://api.astral.app"` + "\n" + `api_key = "` + unusedKey + `"`,
			want: messagePattern("Invalid Astral endpoint", "The endpoint is not usable: ftp://api.astral.app must be an http or https URL"),
		},
		{
			name: "endpoint with /v1",
			args: `endpoint = "https://api.astral.app/v1/"` + "\n" + `api_key = "` + unusedKey + `"`,
			want: messagePattern("Invalid Astral endpoint", "must be the base URL without /v1"),
		},
		{
			name: "endpoint without a scheme",
			args: `endpoint = "localhost:8790"` + "\n" + `api_key = "` + unusedKey + `"`,
			want: messagePattern("Invalid Astral endpoint", `endpoint = "localhost:8790"`, `The endpoint "localhost:8790" has no scheme: write "http://localhost:8790".`,
				"An endpoint is the API's base URL with its scheme"),
		},
		{
			name: "a key's ID as api_key",
			args: `endpoint = "https://127.0.0.1:1"` + "\n" + `api_key = "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"`,
			want: messagePattern("Astral API key ID instead of its secret",
				"The API key set by the api_key argument is key_01JD3X8Z6W4Q9T2B7N5M1K0C3R, the ID of a key, not its secret."),
		},
		{
			name: "malformed key",
			args: `endpoint = "https://127.0.0.1:1"` + "\n" + `api_key = "astral_live_tooshort"`,
			want: messagePattern("Malformed Astral API key", "set by the api_key argument", "followed by exactly 32 letters or digits"),
		},
		{
			name: "max_retries out of range",
			args: `api_key = "` + unusedKey + `"` + "\n" + `max_retries = 11`,
			want: messagePattern("max_retries", "value must be between 0 and 10"),
		},
		{
			name: "request_timeout not positive",
			args: `api_key = "` + unusedKey + `"` + "\n" + `request_timeout = "0s"`,
			want: messagePattern("Invalid duration", `request_timeout: "0s" is not above zero: give a duration such as "30s", "1m30s" or "250ms".`),
		},
		{
			name: "request_timeout not a duration",
			args: `api_key = "` + unusedKey + `"` + "\n" + `request_timeout = "thirty seconds"`,
			want: messagePattern("Invalid duration", `request_timeout: "thirty seconds" is not a duration such as "30s"`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccPlanOnlyFactories(),
				Steps: []resource.TestStep{{
					Config:      "provider \"astral\" {\n" + tt.args + "\n}\n" + readKeys,
					PlanOnly:    true,
					ExpectError: tt.want,
				}},
			})
		})
	}
}

// The API's refusals reach the user as what to do about them.
func TestAccProvider_accessErrors(t *testing.T) {
	skipInCLIMatrix(t)
	t.Parallel()
	env := newTestAccEnv(t)

	free, err := env.Server.CreateOrganization(context.Background(), "Free Rowing Club", sandbox.PlanFree)
	if err != nil {
		t.Fatal(err)
	}
	revoked := env.CreateKey(t, testKeyPrefix+"revoked before use", nil)
	env.RevokeKey(t, revoked.ID)

	const readKeys = `
data "astral_api_keys" "all" {}
`
	const createKey = `
resource "astral_api_key" "test" {
  name = "` + testKeyPrefix + `refused"
}
`
	// The provider asks who its key is (GET /v1/me) before it lists, so
	// that the error names the member and the organization.
	headCoachOnly := func(who string) *regexp.Regexp {
		return messagePattern("Only the head coach may manage API keys", "The provider's API key belongs to "+who+` of the organization "Test Rowing Club"; only the organization's head coach may manage API keys.`, "Settings → Security")
	}
	tests := []struct {
		name   string
		apiKey string
		config string
		want   *regexp.Regexp
	}{
		{"coach lists", env.CoachKey, readKeys, headCoachOnly("Sam Lee, a coach")},
		{"athlete lists", env.AthleteKey, readKeys, headCoachOnly("Alex Kim, an athlete")},
		{"coach creates", env.CoachKey, createKey, headCoachOnly("Sam Lee, a coach")},
		{
			"free plan", free.Member(sandbox.RoleHeadCoach).APIKey, readKeys,
			messagePattern("Coach plan required", `The organization "Free Rowing Club" (`+free.ID+`) is on the free plan, and API keys need the Coach plan or above. Upgrade the organization's plan`),
		},
		{
			"revoked provider key", revoked.Secret, readKeys,
			messagePattern("The provider's API key is not valid: it may be revoked or expired.", "Settings → Security and set api_key (or ASTRAL_API_KEY)", "401 unauthenticated", "(request req_"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: env.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      env.ProviderBlock(tt.apiKey) + tt.config,
					ExpectError: tt.want,
				}},
			})
		})
	}
}

// A connection failure names the endpoint it could not reach.
func TestAccProvider_unreachable(t *testing.T) {
	skipInCLIMatrix(t)
	endpoint := closedEndpoint(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccPlanOnlyFactories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "astral" {
  endpoint    = %q
  api_key     = %q
  max_retries = 0
}

data "astral_api_keys" "all" {}
`, endpoint, unusedKey),
			ExpectError: messagePattern("Could not connect to the Astral API at " + endpoint + ", so nothing was sent. Check the provider's endpoint"),
		}},
	})
}

func TestClientConfig(t *testing.T) {
	const (
		configKey = "astral_live_ConfigConfigConfigConfigConfigOk"
		envKey    = "astral_live_EnvironmentEnvironmentEnvironmen"
	)
	str := types.StringValue
	tests := []struct {
		name        string
		config      providerModel
		env         map[string]string
		want        astral.Config
		wantError   string // summary; empty: none
		wantPath    string // attribute of the error; empty: none
		wantInError []string
		// wantNotInError are texts the error must not repeat.
		wantNotInError []string
	}{
		{
			name:   "arguments",
			config: providerModel{Endpoint: str("https://astral.example.com"), APIKey: str(configKey), MaxRetries: types.Int64Value(7), RequestTimeout: types.StringValue("1m30s"), RateLimitWait: types.StringValue("2m")},
			want:   astral.Config{Endpoint: "https://astral.example.com", APIKey: configKey, MaxRetries: new(7), RequestTimeout: 90 * time.Second, MaxRateLimitWait: 2 * time.Minute},
		},
		{
			name: "environment",
			env:  map[string]string{envEndpoint: "https://env.example.com", envAPIKey: envKey},
			want: astral.Config{Endpoint: "https://env.example.com", APIKey: envKey, MaxRetries: new(4), RequestTimeout: 30 * time.Second},
		},
		{
			name:   "arguments win",
			config: providerModel{Endpoint: str("https://astral.example.com"), APIKey: str(configKey)},
			env:    map[string]string{envEndpoint: "https://env.example.com", envAPIKey: envKey},
			want:   astral.Config{Endpoint: "https://astral.example.com", APIKey: configKey, MaxRetries: new(4), RequestTimeout: 30 * time.Second},
		},
		{
			name:   "default endpoint",
			config: providerModel{APIKey: str(configKey)},
			want:   astral.Config{Endpoint: "https://api.astral.app", APIKey: configKey, MaxRetries: new(4), RequestTimeout: 30 * time.Second},
		},
		{
			name:   "no retries",
			config: providerModel{APIKey: str(configKey), MaxRetries: types.Int64Value(0)},
			want:   astral.Config{Endpoint: "https://api.astral.app", APIKey: configKey, MaxRetries: new(0), RequestTimeout: 30 * time.Second},
		},
		{
			name:   "http on loopback",
			config: providerModel{Endpoint: str("http://127.0.0.1:8790"), APIKey: str(configKey)},
			want:   astral.Config{Endpoint: "http://127.0.0.1:8790", APIKey: configKey, MaxRetries: new(4), RequestTimeout: 30 * time.Second},
		},
		{
			name:   "http on localhost",
			config: providerModel{Endpoint: str("http://LocalHost:8790"), APIKey: str(configKey)},
			want:   astral.Config{Endpoint: "http://LocalHost:8790", APIKey: configKey, MaxRetries: new(4), RequestTimeout: 30 * time.Second},
		},
		{
			name:   "http on IPv6 loopback",
			config: providerModel{Endpoint: str("http://[::1]:8790"), APIKey: str(configKey)},
			want:   astral.Config{Endpoint: "http://[::1]:8790", APIKey: configKey, MaxRetries: new(4), RequestTimeout: 30 * time.Second},
		},
		{
			name:        "http on a network address",
			config:      providerModel{Endpoint: str("http://10.0.0.8:8790"), APIKey: str(configKey)},
			wantError:   "Insecure Astral endpoint",
			wantPath:    "endpoint",
			wantInError: []string{"http on 10.0.0.8", "endpoint argument or the ASTRAL_ENDPOINT environment variable"},
		},
		{
			name:        "http on a host named like loopback",
			env:         map[string]string{envEndpoint: "http://localhost.example.com", envAPIKey: envKey},
			wantError:   "Insecure Astral endpoint",
			wantPath:    "endpoint",
			wantInError: []string{"http on localhost.example.com"},
		},
		{
			name:        "no key",
			wantError:   "Missing Astral API key",
			wantInError: []string{"Set the api_key argument", "ASTRAL_API_KEY environment variable", "Settings → Security"},
		},
		{
			name:        "malformed key argument",
			config:      providerModel{APIKey: str("astral_live_" + strings.Repeat("s", 31) + "!")},
			wantError:   "Malformed Astral API key",
			wantInError: []string{"set by the api_key argument", "letters and digits only"},
		},
		{
			name:        "malformed key in the environment",
			env:         map[string]string{envAPIKey: "astral_test_SecretSecretSecretSecretSecretSe"},
			wantError:   "Malformed Astral API key",
			wantInError: []string{"set by the ASTRAL_API_KEY environment variable", `must start with "astral_live_"`},
		},
		{
			name:      "a key's ID as api_key",
			config:    providerModel{APIKey: str("key_01JD3X8Z6W4Q9T2B7N5M1K0C3R")},
			wantError: "Astral API key ID instead of its secret",
			wantInError: []string{"The API key set by the api_key argument is key_01JD3X8Z6W4Q9T2B7N5M1K0C3R, the ID of a key, not its secret.",
				"astral_live_ followed by 32 letters or digits", "Settings → Security", "the secret attribute of the astral_api_key that created it",
				"Set api_key (or ASTRAL_API_KEY) to that secret"},
		},
		{
			name:        "a key's ID in the environment",
			env:         map[string]string{envAPIKey: "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"},
			wantError:   "Astral API key ID instead of its secret",
			wantInError: []string{"set by the ASTRAL_API_KEY environment variable is key_01JD3X8Z6W4Q9T2B7N5M1K0C3R, the ID of a key"},
		},
		{
			name:      "endpoint without a scheme",
			config:    providerModel{Endpoint: str("api.astral.app"), APIKey: str(configKey)},
			wantError: "Invalid Astral endpoint",
			wantPath:  "endpoint",
			wantInError: []string{`The endpoint "api.astral.app" has no scheme: write "https://api.astral.app".`,
				"An endpoint is the API's base URL with its scheme: https://api.astral.app, or http://localhost:8080 for a sandbox on this machine."},
		},
		{
			name:        "sandbox endpoint without a scheme",
			env:         map[string]string{envEndpoint: "127.0.0.1:8790", envAPIKey: envKey},
			wantError:   "Invalid Astral endpoint",
			wantPath:    "endpoint",
			wantInError: []string{`The endpoint "127.0.0.1:8790" has no scheme: write "http://127.0.0.1:8790".`, "the ASTRAL_ENDPOINT environment variable"},
		},
		{
			name:        "localhost without a scheme",
			config:      providerModel{Endpoint: str("localhost:8790/"), APIKey: str(configKey)},
			wantError:   "Invalid Astral endpoint",
			wantPath:    "endpoint",
			wantInError: []string{`The endpoint "localhost:8790/" has no scheme: write "http://localhost:8790/".`},
		},
		{
			// Credentials in a URL are never repeated.
			name:           "endpoint without a scheme, with credentials",
			config:         providerModel{Endpoint: str("admin:hunter2@api.astral.app"), APIKey: str(configKey)},
			wantError:      "Invalid Astral endpoint",
			wantPath:       "endpoint",
			wantInError:    []string{"The endpoint has no scheme (https://)."},
			wantNotInError: []string{"hunter2"},
		},
		{
			name:        "key with a line break",
			env:         map[string]string{envAPIKey: envKey + "\n"},
			wantError:   "Malformed Astral API key",
			wantInError: []string{"leading or trailing white space"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envEndpoint, tt.env[envEndpoint])
			t.Setenv(envAPIKey, tt.env[envAPIKey])
			// A field a case leaves out is null (the zero value), as when the configuration leaves it out.
			config := tt.config

			var diags diag.Diagnostics
			got := clientConfig(config, "1.2.3", &diags)

			if tt.wantError == "" {
				if diags.HasError() {
					t.Fatalf("unexpected errors: %v", diags)
				}
				tt.want.UserAgent = "terraform-provider-astral/1.2.3"
				tt.want.Logger = tflogLogger{}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %+v\nwant %+v", got, tt.want)
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary() != tt.wantError {
				t.Fatalf("got %v, want one error %q", diags, tt.wantError)
			}
			d := diags[0]
			for _, want := range tt.wantInError {
				if !strings.Contains(d.Detail(), want) {
					t.Errorf("detail %q lacks %q", d.Detail(), want)
				}
			}
			for _, unwanted := range tt.wantNotInError {
				if strings.Contains(d.Detail(), unwanted) {
					t.Errorf("detail %q repeats %q", d.Detail(), unwanted)
				}
			}
			withPath, ok := d.(diag.DiagnosticWithPath)
			if tt.wantPath != "" && (!ok || !withPath.Path().Equal(path.Root(tt.wantPath))) || tt.wantPath == "" && ok {
				t.Errorf("error %q has the wrong attribute path", d.Summary())
			}
			// The key is never repeated, not even in part; a key's ID is no secret.
			for _, secret := range []string{config.APIKey.ValueString(), tt.env[envAPIKey]} {
				if astral.ValidateKeyID(secret) == nil {
					continue
				}
				if body := strings.TrimPrefix(strings.TrimSpace(secret), "astral_live_"); len(body) >= 8 && strings.Contains(d.Summary()+d.Detail(), body[:8]) {
					t.Errorf("the diagnostic repeats the key: %q", d.Detail())
				}
			}
		})
	}
}
