package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

const testKeysAddr = "data.astral_api_keys.test"

// More keys than one page (100) holds: the data source must follow the cursor.
func TestAccAPIKeysDataSource_paging(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	for i := range 120 {
		env.CreateKey(t, fmt.Sprintf("%sbulk-%03d", testKeyPrefix, i), nil)
	}
	// The API's order, straight from the sandbox's database.
	ids, err := env.Server.ActiveKeyIDs(context.Background(), env.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 123 {
		t.Fatalf("the organization has %d active keys, want the members' 3 and 120 more", len(ids))
	}
	want := make([]knownvalue.Check, len(ids))
	for i, id := range ids {
		want[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact(id)})
	}

	resource.ParallelTest(t, env.TestCase(t, resource.TestStep{
		Config: env.Config(`
data "astral_api_keys" "test" {}
`),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(testKeysAddr, at("keys"), knownvalue.ListExact(want)),
		},
	}))
}

func TestAccAPIKeysDataSource_filters(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	t0, neverExpires, expiresSoon, expiresLater, used := env.createAuditKeys(t)
	usedAt, err := env.Client.APIKeys.Read(context.Background(), used.ID)
	if err != nil || usedAt.LastUsedAt == nil {
		t.Fatalf("the used key reads %v, %v: want a last use", usedAt, err)
	}

	// Each key's every attribute, and nothing else: no secret.
	item := func(k *astral.APIKey) knownvalue.Check {
		var expiresAt knownvalue.Check = knownvalue.Null()
		if k.ExpiresAt != nil {
			expiresAt = knownvalue.StringExact(k.ExpiresAt.Format(time.RFC3339))
		}
		headCoach := env.Org.Member(sandbox.RoleHeadCoach)
		return knownvalue.ObjectExact(map[string]knownvalue.Check{
			"id":              knownvalue.StringExact(k.ID),
			"organization_id": knownvalue.StringExact(env.Org.ID),
			"name":            knownvalue.StringExact(k.Name),
			"secret_hint":     knownvalue.StringExact(k.SecretHint),
			"created_at":      knownvalue.StringExact(k.CreatedAt.Format(time.RFC3339)),
			"created_by": knownvalue.ObjectExact(map[string]knownvalue.Check{
				"id":   knownvalue.StringExact(headCoach.ID),
				"name": knownvalue.StringExact(headCoach.Name),
			}),
			"expires_at":   expiresAt,
			"last_used_at": knownvalue.Null(),
		})
	}
	keys := func(want ...knownvalue.Check) []statecheck.StateCheck {
		return []statecheck.StateCheck{statecheck.ExpectKnownValue(testKeysAddr, at("keys"), knownvalue.ListExact(want))}
	}
	step := func(args string, checks []statecheck.StateCheck) resource.TestStep {
		return resource.TestStep{
			Config:            env.Config("data \"astral_api_keys\" \"test\" {\n" + args + "\n}\n"),
			ConfigStateChecks: checks,
		}
	}

	resource.ParallelTest(t, env.TestCase(t,
		// Refused at plan time; first, since the last step's configuration is destroyed at the end.
		resource.TestStep{
			Config:      env.Config(`data "astral_api_keys" "test" { name_regex = "audit (" }`),
			ExpectError: messagePattern("Invalid regular expression", `name_regex = "audit ("`, "not a regular expression in RE2 syntax", "missing closing )"),
		},
		resource.TestStep{
			Config:      env.Config(`data "astral_api_keys" "test" { unused_since = "yesterday" }`),
			ExpectError: messagePattern("Invalid timestamp", `unused_since: "yesterday" is not an RFC 3339 timestamp`),
		},
		step(`name_regex = "later$"`, keys(item(expiresLater))),
		// Keys that never expire are not "expiring before".
		step(fmt.Sprintf(`expires_before = %q`, t0.Add(30*24*time.Hour).Format(time.RFC3339)), keys(item(expiresSoon))),
		step(fmt.Sprintf(`expires_before = %q`, expiresLater.ExpiresAt.Add(time.Second).Format("2006-01-02T15:04:05-00:00")), keys(item(expiresSoon), item(expiresLater))),
		// Never used, or last used before the time.
		step(fmt.Sprintf("name_regex = \"^tf-acc-audit\"\nunused_since = %q", t0.Add(30*time.Minute).Format(time.RFC3339)),
			keys(item(neverExpires), item(expiresSoon), item(expiresLater))),
		step(fmt.Sprintf("name_regex = \"^tf-acc-audit used$\"\nunused_since = %q", t0.Add(2*time.Hour).Format(time.RFC3339)),
			[]statecheck.StateCheck{statecheck.ExpectKnownValue(testKeysAddr, at("keys"), knownvalue.ListExact([]knownvalue.Check{
				knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"id":           knownvalue.StringExact(used.ID),
					"last_used_at": knownvalue.StringExact(usedAt.LastUsedAt.Format(time.RFC3339)),
				}),
			}))}),
		// No match is an empty list, not null.
		step(`name_regex = "^nothing like this$"`, keys()),
	))
}
