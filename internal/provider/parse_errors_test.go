package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// goParseErrors are what Go's own parse errors say: Terraform must print
// none of them.
var goParseErrors = append([]string{"time: invalid duration", "time: unknown unit", "time: missing unit"}, goLayout...)

// expectOwnWords plans config, which must fail with an error that matches
// want and quotes nothing of Go's parse errors. ExpectError cannot say that
// a text is absent, so the step's error goes through ErrorCheck instead.
func expectOwnWords(t *testing.T, tc resource.TestCase, config string, want *regexp.Regexp) {
	t.Helper()
	failed := false
	tc.ErrorCheck = func(err error) error {
		failed = true
		if !want.MatchString(err.Error()) {
			return fmt.Errorf("the error does not match %s: %w", want, err)
		}
		for _, goText := range goParseErrors {
			if strings.Contains(err.Error(), goText) {
				return fmt.Errorf("the error quotes Go's %q: %w", goText, err)
			}
		}
		return nil
	}
	tc.Steps = []resource.TestStep{{Config: config, PlanOnly: true}}
	resource.Test(t, tc)
	if !failed {
		t.Errorf("planning succeeded, want an error matching %s", want)
	}
}

const timestampForm = `is not an RFC 3339 timestamp with a time and an offset, such as "2027-06-30T00:00:00Z" or "2027-06-30T02:00:00+02:00".`

func TestAccParseErrors_timestamps(t *testing.T) {
	skipInCLIMatrix(t)
	t.Parallel()
	env := newTestAccEnv(t)
	key := func(expiresAt string) string {
		return fmt.Sprintf("resource \"astral_api_key\" \"bad\" {\n  name       = \"Bad expiry\"\n  expires_at = %q\n}\n", expiresAt)
	}
	keys := func(filter, value string) string {
		return fmt.Sprintf("data \"astral_api_keys\" \"audit\" {\n  %s = %q\n}\n", filter, value)
	}
	tests := []struct {
		name   string
		config string
		want   []string
	}{
		{"expires_at a date", key("2027-06-31"), []string{"Invalid timestamp", `expires_at = "2027-06-31"`, `expires_at: "2027-06-31" ` + timestampForm}},
		{"expires_at without offset", key("2027-06-30T00:00:00"), []string{"Invalid timestamp", `expires_at: "2027-06-30T00:00:00" ` + timestampForm}},
		{"expires_at empty", key(""), []string{"Invalid timestamp", `expires_at: "" ` + timestampForm}},
		{"expires_at no such day", key("2027-06-31T00:00:00Z"), []string{"Invalid timestamp", `expires_at: "2027-06-31T00:00:00Z" names no real time: its day is out of range. Use an RFC 3339 timestamp with a time and an offset, such as "2027-06-30T00:00:00Z"`}},
		{"unused_since in words", keys("unused_since", "last month"), []string{"Invalid timestamp", `unused_since = "last month"`, `unused_since: "last month" ` + timestampForm}},
		{"expires_before with a space", keys("expires_before", "2027-01-01 00:00:00Z"), []string{"Invalid timestamp", `expires_before: "2027-01-01 00:00:00Z" ` + timestampForm}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expectOwnWords(t, resource.TestCase{ProtoV6ProviderFactories: env.ProviderFactories()}, env.Config(tt.config), messagePattern(tt.want...))
		})
	}
}

func TestAccParseErrors_requestTimeout(t *testing.T) {
	skipInCLIMatrix(t)
	t.Parallel()
	for _, timeout := range []string{"30 seconds", "30", "1 minute"} {
		t.Run(timeout, func(t *testing.T) {
			t.Parallel()
			config := fmt.Sprintf("provider \"astral\" {\n  api_key         = %q\n  request_timeout = %q\n}\n\ndata \"astral_api_keys\" \"all\" {}\n", unusedKey, timeout)
			expectOwnWords(t, resource.TestCase{ProtoV6ProviderFactories: testAccPlanOnlyFactories()}, config, messagePattern(
				"Invalid duration",
				fmt.Sprintf("request_timeout = %q", timeout),
				fmt.Sprintf(`request_timeout: %q is not a duration such as "30s", "1m30s" or "250ms": whole numbers, each followed by its unit (d, h, m, s and ms), largest first, each unit at most once.`, timeout),
			))
		})
	}
}

// An empty endpoint or api_key is an error, even with the environment
// variable set, rather than the production endpoint or a missing key; left
// out (or null), the argument takes the variable. The test sets both
// variables, so it cannot run in parallel.
func TestAccParseErrors_emptyProviderArguments(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	t.Setenv(envEndpoint, env.URL)
	t.Setenv(envAPIKey, env.HeadCoachKey)
	const readKeys = "\ndata \"astral_api_keys\" \"all\" {}\n"
	tests := []struct {
		name string
		args string
		want []string
	}{
		{
			name: "endpoint",
			args: `endpoint = ""`,
			want: []string{"Empty Astral endpoint", `endpoint = ""`,
				"endpoint is an empty string. Leave endpoint out of the provider block (or set it to null) to use the ASTRAL_ENDPOINT environment variable, or https://api.astral.app when it is not set."},
		},
		{
			// The error shows the argument's line: an empty string is no secret.
			name: "api_key",
			args: `api_key = ""`,
			want: []string{"Empty Astral API key", `api_key = ""`,
				"api_key is an empty string. Leave api_key out of the provider block (or set it to null) to use the ASTRAL_API_KEY environment variable."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: env.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      "provider \"astral\" {\n  " + tt.args + "\n}\n" + readKeys,
					PlanOnly:    true,
					ExpectError: messagePattern(tt.want...),
				}},
			})
		})
	}
	t.Run("null", func(t *testing.T) {
		existing := env.CreateKey(t, testKeyPrefix+"listed", nil)
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: env.ProviderFactories(),
			Steps: []resource.TestStep{{
				Config: "provider \"astral\" {\n  endpoint = null\n  api_key  = null\n}\n" +
					"data \"astral_api_keys\" \"listed\" {\n  name_regex = \"^" + testKeyPrefix + "listed$\"\n}\n",
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.astral_api_keys.listed", tfjsonpath.New("keys"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact(existing.ID)}),
					})),
				},
			}},
		})
	})
}

func TestParseErrorValidators(t *testing.T) {
	tests := []struct {
		name      string
		validator validator.String
		value     types.String
		wantError string // the detail; empty: valid
	}{
		{"duration", durationValidator{timeoutDuration}, types.StringValue("1m30s"), ""},
		{"duration zero", durationValidator{timeoutDuration}, types.StringValue("0s"), `attribute: "0s" is not above zero: give a duration such as "30s", "1m30s" or "250ms".`},
		{"duration milliseconds", durationValidator{timeoutDuration}, types.StringValue("1500ms"), ""},
		{"duration in words", durationValidator{timeoutDuration}, types.StringValue("30 seconds"), `attribute: "30 seconds" is not a duration such as "30s", "1m30s" or "250ms": whole numbers, each followed by its unit (d, h, m, s and ms), largest first, each unit at most once.`},
		{"duration without unit", durationValidator{timeoutDuration}, types.StringValue("30"), `attribute: "30" is not a duration`},
		{"duration in days", durationValidator{timeoutDuration}, types.StringValue("1d"), ""},
		{"duration in Go's fractions", durationValidator{timeoutDuration}, types.StringValue("1.5s"), `attribute: "1.5s" is not a duration`},
		{"duration null", durationValidator{timeoutDuration}, types.StringNull(), ""},
		{"duration unknown", durationValidator{timeoutDuration}, types.StringUnknown(), ""},
		{"not empty", notEmptyValidator{summary: "Empty", env: envEndpoint, fallback: "https://api.astral.app"}, types.StringValue(""),
			"attribute is an empty string. Leave attribute out of the provider block (or set it to null) to use the ASTRAL_ENDPOINT environment variable, or https://api.astral.app when it is not set."},
		{"not empty without fallback", notEmptyValidator{summary: "Empty", env: envAPIKey}, types.StringValue(""),
			"(or set it to null) to use the ASTRAL_API_KEY environment variable."},
		{"not empty, set", notEmptyValidator{summary: "Empty", env: envAPIKey}, types.StringValue(" "), ""},
		{"not empty, null", notEmptyValidator{summary: "Empty", env: envAPIKey}, types.StringNull(), ""},
		{"not empty, unknown", notEmptyValidator{summary: "Empty", env: envAPIKey}, types.StringUnknown(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := path.Root("attribute")
			var resp validator.StringResponse
			tt.validator.ValidateString(context.Background(), validator.StringRequest{Path: at, ConfigValue: tt.value}, &resp)
			checkDiagnostics(t, resp.Diagnostics, wantDiagnostics{error: tt.wantError, at: at})
			for _, goText := range goParseErrors {
				for _, d := range resp.Diagnostics {
					if strings.Contains(d.Detail(), goText) {
						t.Errorf("the detail quotes Go's %q: %q", goText, d.Detail())
					}
				}
			}
			if tt.validator.Description(context.Background()) == "" {
				t.Error("no description")
			}
		})
	}
}
