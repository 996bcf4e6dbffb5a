package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

const testListAddr = "astral_api_key.test"

// listBlock is a list block of astral_api_key named test, with config's
// arguments.
func listBlock(includeResource bool, config string) string {
	return fmt.Sprintf(`
list "astral_api_key" "test" {
  provider         = astral
  include_resource = %t
  limit            = 1000
  config {
%s
  }
}
`, includeResource, config)
}

// queryTestCase runs the query steps after a step that writes the provider's
// configuration, which the query's list blocks use.
func queryTestCase(t *testing.T, env *testAccEnv, steps ...resource.TestStep) resource.TestCase {
	return env.TestCase(t, append([]resource.TestStep{{Config: env.Config("")}}, steps...)...)
}

// A query lists every active key with its identity and a display name; with
// include_resource, the key as a refresh after an import records it.
func TestAccListAPIKey_results(t *testing.T) {
	skipUnlessCLI(t, "list resources")
	t.Parallel()
	env := newTestAccEnv(t)
	expiresAt := env.Server.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	roster := env.CreateKey(t, testKeyPrefix+"Roster sync script", &expiresAt)
	ci := env.CreateKey(t, testKeyPrefix+"Old CI key", nil)
	revoked := env.CreateKey(t, testKeyPrefix+"revoked", nil)
	env.RevokeKey(t, revoked.ID)
	headCoach := env.Org.Member(sandbox.RoleHeadCoach)

	identity := func(k *astral.APIKey) querycheck.QueryResultCheck {
		return querycheck.ExpectIdentity(testListAddr, map[string]knownvalue.Check{
			"id":              knownvalue.StringExact(k.ID),
			"organization_id": knownvalue.StringExact(env.Org.ID),
		})
	}
	filter := func(k *astral.APIKey) queryfilter.QueryFilter {
		return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{
			"id":              knownvalue.StringExact(k.ID),
			"organization_id": knownvalue.StringExact(env.Org.ID),
		})
	}
	resource.Test(t, queryTestCase(t, env,
		resource.TestStep{
			Query:  true,
			Config: listBlock(false, ""),
			QueryResultChecks: []querycheck.QueryResultCheck{
				// The members' three keys, and the two made "in the app"; not the revoked one.
				querycheck.ExpectLength(testListAddr, 5),
				identity(roster),
				identity(ci),
				querycheck.ExpectResourceDisplayName(testListAddr, filter(roster), knownvalue.StringExact(
					fmt.Sprintf("%sRoster sync script (…%s, expires %s, never used)", testKeyPrefix, roster.SecretHint, expiresAt.Format(time.DateOnly)))),
				querycheck.ExpectResourceDisplayName(testListAddr, filter(ci), knownvalue.StringExact(
					fmt.Sprintf("%sOld CI key (…%s, never expires, never used)", testKeyPrefix, ci.SecretHint))),
				// The provider's own key has just been used, by this query.
				querycheck.ExpectResourceDisplayName(testListAddr,
					queryfilter.ByResourceIdentity(map[string]knownvalue.Check{
						"id": knownvalue.StringExact(headCoach.APIKeyID), "organization_id": knownvalue.StringExact(env.Org.ID),
					}),
					knownvalue.StringRegexp(regexp.MustCompile(`^Sandbox key of .+ \(…\w{4}, never expires, last used \d{4}-\d\d-\d\d\)$`))),
			},
		},
		resource.TestStep{
			Query:  true,
			Config: listBlock(true, ""),
			QueryResultChecks: []querycheck.QueryResultCheck{
				querycheck.ExpectLength(testListAddr, 5),
				querycheck.ExpectResourceKnownValues(testListAddr, filter(roster), []querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("id"), KnownValue: knownvalue.StringExact(roster.ID)},
					{Path: tfjsonpath.New("organization_id"), KnownValue: knownvalue.StringExact(env.Org.ID)},
					{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact(roster.Name)},
					{Path: tfjsonpath.New("secret_hint"), KnownValue: knownvalue.StringExact(roster.SecretHint)},
					{Path: tfjsonpath.New("expires_at"), KnownValue: knownvalue.StringExact(expiresAt.Format(time.RFC3339))},
					{Path: tfjsonpath.New("created_at"), KnownValue: knownvalue.StringExact(roster.CreatedAt.UTC().Format(time.RFC3339))},
					{Path: tfjsonpath.New("created_by"), KnownValue: knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id": knownvalue.StringExact(headCoach.ID), "name": knownvalue.StringExact(headCoach.Name),
					})},
					// What an import's refresh records: no secret, defaults.
					{Path: tfjsonpath.New("secret"), KnownValue: knownvalue.Null()},
					{Path: tfjsonpath.New("encrypted_secret"), KnownValue: knownvalue.Null()},
					{Path: tfjsonpath.New("idempotency_key"), KnownValue: knownvalue.Null()},
					{Path: tfjsonpath.New("revoke_on_destroy"), KnownValue: knownvalue.Bool(true)},
					{Path: tfjsonpath.New("ready_for_rotation"), KnownValue: knownvalue.Bool(false)},
					{Path: tfjsonpath.New("rotation"), KnownValue: knownvalue.Null()},
					{Path: tfjsonpath.New("rotate_when_changed"), KnownValue: knownvalue.Null()},
					{Path: tfjsonpath.New("secret_recipients"), KnownValue: knownvalue.Null()},
				}),
				querycheck.ExpectResourceKnownValues(testListAddr, filter(ci), []querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("expires_at"), KnownValue: knownvalue.Null()},
				}),
			},
		},
	))
}

// Each filter of the data source narrows a query the same way.
func TestAccListAPIKey_filters(t *testing.T) {
	skipUnlessCLI(t, "list resources")
	t.Parallel()
	env := newTestAccEnv(t)
	t0, neverExpires, expiresSoon, expiresLater, used := env.createAuditKeys(t)

	// exactly checks that the query lists the keys want and no other.
	exactly := func(want ...*astral.APIKey) []querycheck.QueryResultCheck {
		checks := []querycheck.QueryResultCheck{querycheck.ExpectLength(testListAddr, len(want))}
		for _, k := range want {
			checks = append(checks, querycheck.ExpectIdentity(testListAddr, map[string]knownvalue.Check{
				"id": knownvalue.StringExact(k.ID), "organization_id": knownvalue.StringExact(env.Org.ID),
			}))
		}
		return checks
	}
	step := func(config string, want ...*astral.APIKey) resource.TestStep {
		return resource.TestStep{Query: true, Config: listBlock(false, config), QueryResultChecks: exactly(want...)}
	}
	resource.Test(t, queryTestCase(t, env,
		step(`name_regex = "later$"`, expiresLater),
		// Keys that never expire are not "expiring before".
		step(fmt.Sprintf(`expires_before = %q`, t0.Add(30*24*time.Hour).Format(time.RFC3339)), expiresSoon),
		// Never used, or last used before the time.
		step(fmt.Sprintf("name_regex = \"^tf-acc-audit\"\nunused_since = %q", t0.Add(30*time.Minute).Format(time.RFC3339)),
			neverExpires, expiresSoon, expiresLater),
		step(fmt.Sprintf("name_regex = \"^tf-acc-audit\"\nunused_since = %q", t0.Add(2*time.Hour).Format(time.RFC3339)),
			neverExpires, expiresSoon, expiresLater, used),
		step(`name_regex = "^nothing like this$"`),
	))
}

// A query of a large organization costs pages, not keys: 253 keys are
// three pages of 100.
func TestAccListAPIKey_paging(t *testing.T) {
	skipUnlessCLI(t, "list resources")
	t.Parallel()
	env := newTestAccEnv(t)
	for i := range 250 {
		env.CreateKey(t, fmt.Sprintf("%sbulk-%03d", testKeyPrefix, i), nil)
	}
	ids, err := env.Server.ActiveKeyIDs(context.Background(), env.Org.ID)
	if err != nil || len(ids) != 253 {
		t.Fatalf("the organization has %d active keys (%v), want the members' 3 and 250 more", len(ids), err)
	}
	resource.Test(t, queryTestCase(t, env,
		resource.TestStep{
			PreConfig: env.Server.ResetStats,
			Query:     true,
			Config:    listBlock(false, ""),
			QueryResultChecks: []querycheck.QueryResultCheck{
				querycheck.ExpectLength(testListAddr, 253),
				// The first key and the last, on the first page and the third.
				querycheck.ExpectIdentity(testListAddr, map[string]knownvalue.Check{
					"id": knownvalue.StringExact(ids[0]), "organization_id": knownvalue.StringExact(env.Org.ID),
				}),
				querycheck.ExpectIdentity(testListAddr, map[string]knownvalue.Check{
					"id": knownvalue.StringExact(ids[252]), "organization_id": knownvalue.StringExact(env.Org.ID),
				}),
				requestCount(env, "GET /v1/api-keys", 3),
			},
		},
	))
}

// requestCount is a query check that the sandbox served route want times
// since the step began.
func requestCount(env *testAccEnv, route string, want int) querycheck.QueryResultCheck {
	return requestCountCheck{env: env, route: route, want: want}
}

type requestCountCheck struct {
	env   *testAccEnv
	route string
	want  int
}

func (c requestCountCheck) CheckQuery(_ context.Context, _ querycheck.CheckQueryRequest, resp *querycheck.CheckQueryResponse) {
	if got := c.env.Server.Stats().Requests[c.route]; got != c.want {
		resp.Error = fmt.Errorf("%s: %d requests, want %d", c.route, got, c.want)
	}
}

// terraform query -generate-config-out writes an import and a resource
// block for each key, and applying them imports every key with nothing to
// change afterwards.
func TestAccListAPIKey_generatedConfig(t *testing.T) {
	skipUnlessCLI(t, "list resources")
	env := newTestAccEnv(t)
	expiresAt := env.Server.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	env.CreateKey(t, testKeyPrefix+"Roster sync script", &expiresAt)
	env.CreateKey(t, testKeyPrefix+"Old CI key", nil)
	// An expiry to the nanosecond, which the API keeps as given.
	precise := env.Server.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Millisecond).Add(123 * time.Microsecond)
	env.CreateKey(t, testKeyPrefix+"precise expiry", &precise)

	s := newCLISession(t, env)
	s.WriteFile("main.tf", requiredAstral+"\nprovider \"astral\" {}\n")
	s.WriteFile("keys.tfquery.hcl", `
list "astral_api_key" "made_in_app" {
  provider         = astral
  include_resource = true
  config {
    name_regex = "^tf-acc-"
  }
}
`)
	s.Run("init")
	s.Run("query", "-generate-config-out=keys.tf")
	generated, err := os.ReadFile(filepath.Join(s.Dir, "keys.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(generated), "import {"); n != 3 {
		t.Fatalf("keys.tf has %d import blocks, want 3:\n%s", n, generated)
	}
	if out := s.Run("apply", "-auto-approve"); !strings.Contains(out, "Resources: 3 imported, 0 added, 0 changed, 0 destroyed.") {
		t.Fatalf("apply did not import 3 keys without change:\n%s", out)
	}
	// -detailed-exitcode exits 2 when the plan has changes.
	s.Run("plan", "-detailed-exitcode")
}

// requiredAstral requires the provider by its registry address.
const requiredAstral = `terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}
`
