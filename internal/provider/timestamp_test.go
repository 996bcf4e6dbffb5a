package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func timestampUnknown() timestamp { return timestamp{StringValue: basetypes.NewStringUnknown()} }

// goLayout holds the parts of Go's layout string that its parse errors quote.
var goLayout = []string{"2006-01-02", "15:04:05", "Z07:00"}

func TestTimestampValidateAttribute(t *testing.T) {
	const form = `is not an RFC 3339 timestamp with a time and an offset, such as "2027-06-30T00:00:00Z" or "2027-06-30T02:00:00+02:00".`
	tests := []struct {
		name  string
		value timestamp
		want  string // the detail; empty: valid
	}{
		{"UTC", timestampValue("2027-06-30T00:00:00Z"), ""},
		{"offset", timestampValue("2027-06-30T02:00:00+02:00"), ""},
		{"fraction", timestampValue("2027-06-30T00:00:00.25Z"), ""},
		{"null", timestampNull(), ""},
		{"unknown", timestampUnknown(), ""},
		{"date only", timestampValue("2027-06-31"), `expires_at: "2027-06-31" ` + form},
		{"no offset", timestampValue("2027-06-30T00:00:00"), `expires_at: "2027-06-30T00:00:00" ` + form},
		{"words", timestampValue("next tuesday"), `expires_at: "next tuesday" ` + form},
		{"empty", timestampValue(""), `expires_at: "" ` + form},
		{"no such day", timestampValue("2027-06-31T00:00:00Z"), `expires_at: "2027-06-31T00:00:00Z" names no real time: its day is out of range. Use an RFC 3339 timestamp with a time and an offset`},
		{"no such month", timestampValue("2030-13-01T00:00:00Z"), `its month is out of range`},
		{"no 29 February", timestampValue("2027-02-29T00:00:00Z"), `its day is out of range`},
		{"29 February of a leap year", timestampValue("2028-02-29T00:00:00Z"), ""},
		{"no such hour", timestampValue("2027-06-30T24:00:00Z"), `its hour is out of range`},
		{"no such minute", timestampValue("2027-06-30T23:60:00Z"), `its minute is out of range`},
		{"no such offset", timestampValue("2027-06-30T23:00:00+25:00"), `its offset is out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := path.Root("expires_at")
			var resp xattr.ValidateAttributeResponse
			tt.value.ValidateAttribute(context.Background(), xattr.ValidateAttributeRequest{Path: at}, &resp)
			if tt.want == "" {
				if resp.Diagnostics.HasError() {
					t.Fatalf("unexpected error: %v", resp.Diagnostics)
				}
				return
			}
			if len(resp.Diagnostics) != 1 {
				t.Fatalf("got %d diagnostics, want 1: %v", len(resp.Diagnostics), resp.Diagnostics)
			}
			d := resp.Diagnostics[0]
			if d.Summary() != "Invalid timestamp" || !strings.Contains(d.Detail(), tt.want) {
				t.Errorf("got %q: %q, want Invalid timestamp: %q", d.Summary(), d.Detail(), tt.want)
			}
			for _, layout := range goLayout {
				if strings.Contains(d.Detail(), layout) {
					t.Errorf("the detail quotes Go's layout %q: %q", layout, d.Detail())
				}
			}
			if withPath, ok := d.(interface{ Path() path.Path }); !ok || !withPath.Path().Equal(at) {
				t.Errorf("the error is not on %s", at)
			}
		})
	}
}

func TestTimestampSemanticEquals(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"2027-06-30T00:00:00Z", "2027-06-30T00:00:00Z", true},
		{"2027-06-30T00:00:00Z", "2027-06-30T00:00:00+00:00", true},
		{"2027-06-30T00:00:00Z", "2027-06-30T02:00:00+02:00", true},
		{"2027-06-30T00:00:00Z", "2027-06-30T00:00:00.000Z", true},
		{"2027-06-30T00:00:00Z", "2027-06-30T00:00:00.5Z", false},
		{"2027-06-30T00:00:00Z", "2027-06-30T00:00:00+02:00", false},
	}
	for _, tt := range tests {
		got, diags := timestampValue(tt.a).StringSemanticEquals(context.Background(), timestampValue(tt.b))
		if diags.HasError() || got != tt.want {
			t.Errorf("%s equals %s: got %v (%v), want %v", tt.a, tt.b, got, diags, tt.want)
		}
	}
	if got, _ := timestampValue("2027-06-30T00:00:00Z").StringSemanticEquals(context.Background(), timestampNull()); got {
		t.Error("a timestamp equals null")
	}
	if _, diags := timestampValue("2027-06-30T00:00:00Z").StringSemanticEquals(context.Background(), basetypes.NewStringValue("2027-06-30T00:00:00Z")); !diags.HasError() {
		t.Error("no error for a value of another type")
	}
}

func TestTimestampType(t *testing.T) {
	ctx := context.Background()
	v, err := timestampType{}.ValueFromTerraform(ctx, tftypes.NewValue(tftypes.String, "2027-06-30T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if !v.Equal(timestampValue("2027-06-30T00:00:00Z")) {
		t.Errorf("got %v", v)
	}
	if !v.Type(ctx).Equal(timestampType{}) || (timestampType{}).Equal(basetypes.StringType{}) {
		t.Error("the value's type is not timestampType, or timestampType equals a plain string")
	}
	if _, ok := (timestampType{}).ValueType(ctx).(timestamp); !ok {
		t.Error("ValueType is not a timestamp")
	}
}

func TestSameInstantAsState(t *testing.T) {
	str := types.StringValue
	tests := []struct {
		name          string
		config, state types.String
		want          types.String
	}{
		{"Z for +00:00", str("2027-06-30T00:00:00Z"), str("2027-06-30T00:00:00+00:00"), str("2027-06-30T00:00:00+00:00")},
		{"another offset", str("2027-06-30T02:00:00+02:00"), str("2027-06-30T00:00:00Z"), str("2027-06-30T00:00:00Z")},
		{"zero fraction", str("2027-06-30T00:00:00.000Z"), str("2027-06-30T00:00:00Z"), str("2027-06-30T00:00:00Z")},
		{"another instant", str("2027-06-30T00:00:01Z"), str("2027-06-30T00:00:00Z"), str("2027-06-30T00:00:01Z")},
		{"another fraction", str("2027-06-30T00:00:00.5Z"), str("2027-06-30T00:00:00Z"), str("2027-06-30T00:00:00.5Z")},
		{"no state", str("2027-06-30T00:00:00Z"), types.StringNull(), str("2027-06-30T00:00:00Z")},
		{"unknown configuration", types.StringUnknown(), str("2027-06-30T00:00:00Z"), types.StringUnknown()},
		{"null configuration", types.StringNull(), str("2027-06-30T00:00:00Z"), types.StringNull()},
		{"null configuration, no state", types.StringNull(), types.StringNull(), types.StringNull()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := planmodifier.StringRequest{ConfigValue: tt.config, StateValue: tt.state, PlanValue: tt.config}
			// The framework plans a computed attribute left out of the configuration as unknown.
			if tt.config.IsNull() {
				req.PlanValue = types.StringUnknown()
			}
			resp := planmodifier.StringResponse{PlanValue: req.PlanValue}
			sameInstantAsState{}.PlanModifyString(context.Background(), req, &resp)
			if !resp.PlanValue.Equal(tt.want) {
				t.Errorf("planned %v, want %v", resp.PlanValue, tt.want)
			}
		})
	}
}
