package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestNameProblems(t *testing.T) {
	tests := []struct {
		name string
		want []string // substrings, one per problem, in order
	}{
		{"Roster sync script", nil},
		{"x", nil},
		{"Équipe 🚣 d’aviron", nil},
		{"inner  double  spaces", nil},
		{strings.Repeat("é", 100), nil},
		{"", []string{"at least one character other than white space"}},
		{" \u00a0\u3000", []string{"at least one character other than white space"}},
		{strings.Repeat("a", 101), []string{"at most 100 characters; it has 101"}},
		{" " + strings.Repeat("a", 100), []string{"must not begin or end with white space"}},
		{" padded", []string{"must not begin or end with white space"}},
		{"padded\u00a0", []string{"must not begin or end with white space"}},
		{"tab\there", []string{"control characters such as tabs or line breaks; character 4 is U+0009"}},
		{"é\u0085", []string{"must not begin or end with white space", "character 2 is U+0085"}},
		{"bell\a", []string{"character 5 is U+0007"}},
		{"line\n", []string{"must not begin or end with white space", "character 5 is U+000A"}},
		{" " + strings.Repeat("b", 101) + "\x00", []string{"at most 100 characters; it has 102", "must not begin or end with white space", "character 103 is U+0000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nameProblems(tt.name)
			if len(got) != len(tt.want) {
				t.Fatalf("nameProblems(%q) = %q, want %d problems", tt.name, got, len(tt.want))
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("problem %d is %q, want it to contain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestStringValidators(t *testing.T) {
	tests := []struct {
		name      string
		validator validator.String
		value     types.String
		wantError string // substring of the detail; empty: valid
	}{
		{"name", nameValidator{}, types.StringValue("Roster sync"), ""},
		{"name padded", nameValidator{}, types.StringValue("Roster sync "), "must not begin or end with white space"},
		{"name null", nameValidator{}, types.StringNull(), ""},
		{"name unknown", nameValidator{}, types.StringUnknown(), ""},
		{"regex", regexValidator{}, types.StringValue(`^roster-(sync|export)$`), ""},
		{"regex empty matches everything", regexValidator{}, types.StringValue(""), ""},
		{"regex unbalanced", regexValidator{}, types.StringValue(`roster (`), "missing closing )"},
		{"regex Perl lookahead", regexValidator{}, types.StringValue(`roster(?!sync)`), "invalid or unsupported Perl syntax"},
		{"regex unknown", regexValidator{}, types.StringUnknown(), ""},
		{"timeout", durationValidator{timeoutDuration}, types.StringValue("1m30s"), ""},
		{"timeout in days", durationValidator{timeoutDuration}, types.StringValue("1d"), ""},
		{"timeout in milliseconds", durationValidator{timeoutDuration}, types.StringValue("250ms"), ""},
		{"timeout zero", durationValidator{timeoutDuration}, types.StringValue("0s"), `attribute: "0s" is not above zero: give a duration such as "30s", "1m30s" or "250ms".`},
		{"timeout negative", durationValidator{timeoutDuration}, types.StringValue("-5s"), `"-5s" is not a duration such as "30s", "1m30s" or "250ms": whole numbers, each followed by its unit (d, h, m, s and ms), largest first, each unit at most once.`},
		{"timeout in words", durationValidator{timeoutDuration}, types.StringValue("soon"), `"soon" is not a duration such as`},
		{"timeout null", durationValidator{timeoutDuration}, types.StringNull(), ""},
		{"timeout unknown", durationValidator{timeoutDuration}, types.StringUnknown(), ""},
		{"lifetime", durationValidator{lifetimeDuration}, types.StringValue("1d12h"), ""},
		{"lifetime in seconds", durationValidator{lifetimeDuration}, types.StringValue("90s"), ""},
		{"lifetime in milliseconds", durationValidator{lifetimeDuration}, types.StringValue("1m500ms"), `"1m500ms" counts ms, but a key expires at a whole second: give a duration such as "90d", "1d12h" or "30m": whole numbers, each followed by its unit (d, h, m and s)`},
		{"lifetime in weeks", durationValidator{lifetimeDuration}, types.StringValue("2w"), `"2w" is not a duration such as "90d", "1d12h" or "30m"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := path.Root("attribute")
			var resp validator.StringResponse
			tt.validator.ValidateString(context.Background(), validator.StringRequest{Path: at, ConfigValue: tt.value}, &resp)
			checkDiagnostics(t, resp.Diagnostics, wantDiagnostics{error: tt.wantError, at: at})
			if tt.validator.Description(context.Background()) == "" {
				t.Error("no description")
			}
		})
	}
}
