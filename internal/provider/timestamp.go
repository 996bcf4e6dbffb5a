package provider

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// timestampType is the type of every timestamp attribute. It is
// timetypes.RFC3339 with the provider's own error for a value that does not
// parse, instead of one that quotes Go's layout string, and with a semantic
// equality by instant rather than by offset.
type timestampType struct {
	basetypes.StringType
}

var _ basetypes.StringTypable = timestampType{}

func (t timestampType) String() string { return "provider.timestampType" }

func (t timestampType) ValueType(context.Context) attr.Value { return timestamp{} }

func (t timestampType) Equal(o attr.Type) bool {
	other, ok := o.(timestampType)
	return ok && t.StringType.Equal(other.StringType)
}

func (t timestampType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return timestamp{StringValue: in}, nil
}

func (t timestampType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type of %T", v)
	}
	return timestamp{StringValue: s}, nil
}

// timestamp is an RFC 3339 timestamp with an offset.
type timestamp struct {
	basetypes.StringValue
}

var (
	_ basetypes.StringValuableWithSemanticEquals = timestamp{}
	_ xattr.ValidateableAttribute                = timestamp{}
)

func timestampNull() timestamp { return timestamp{StringValue: basetypes.NewStringNull()} }

// timestampValue is a known timestamp; s must parse (see rfc3339).
func timestampValue(s string) timestamp { return timestamp{StringValue: basetypes.NewStringValue(s)} }

func (v timestamp) Type(context.Context) attr.Type { return timestampType{} }

func (v timestamp) Equal(o attr.Value) bool {
	other, ok := o.(timestamp)
	return ok && v.StringValue.Equal(other.StringValue)
}

// StringSemanticEquals reports whether both name the same instant, so that
// 2027-06-30T02:00:00+02:00 is 2027-06-30T00:00:00Z: Terraform then keeps
// the spelling the configuration or the state already has.
func (v timestamp) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	other, ok := newValuable.(timestamp)
	if !ok {
		diags.AddError("Semantic equality check error",
			fmt.Sprintf("A timestamp was compared with a value of type %T. This is a bug in the provider.", newValuable))
		return false, diags
	}
	t, ok := parseTime(other.StringValue)
	return ok && sameInstant(v.StringValue, &t), diags
}

func (v timestamp) ValidateAttribute(_ context.Context, req xattr.ValidateAttributeRequest, resp *xattr.ValidateAttributeResponse) {
	if v.IsNull() || v.IsUnknown() {
		return
	}
	if problem := timestampProblem(v.ValueString()); problem != "" {
		// Terraform shows the resource's line for a nested attribute: the detail names it.
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid timestamp", req.Path.String()+": "+problem)
	}
}

// timestampProblem says, in a sentence, why s is not a timestamp the
// provider accepts; it is empty for a good one. Go's own errors quote its
// layout string (2006-01-02T15:04:05Z07:00), which tells a user nothing.
func timestampProblem(s string) string {
	if _, err := time.Parse(time.RFC3339, s); err == nil {
		return ""
	}
	const form = "an RFC 3339 timestamp with a time and an offset, such as \"2027-06-30T00:00:00Z\" or \"2027-06-30T02:00:00+02:00\""
	if field := fieldOutOfRange(s); field != "" {
		return fmt.Sprintf("%q names no real time: its %s is out of range. Use %s.", s, field, form)
	}
	return fmt.Sprintf("%q is not %s.", s, form)
}

// rfc3339Fields is the form of an RFC 3339 timestamp, whatever its numbers.
var rfc3339Fields = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$`)

// fieldOutOfRange names the first field of a well-formed timestamp that no
// calendar or clock has, such as the day of February 30th; it is empty when
// s is not well-formed or names a real time.
func fieldOutOfRange(s string) string {
	m := rfc3339Fields.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	// The pattern allows only digits, or nothing after a Z.
	n := make([]int, len(m))
	for i, digits := range m[1:] {
		for _, d := range digits {
			n[i+1] = n[i+1]*10 + int(d-'0')
		}
	}
	year, month := n[1], n[2]
	daysInMonth := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	switch {
	case month < 1 || month > 12:
		return "month"
	case n[3] < 1 || n[3] > daysInMonth:
		return "day"
	case n[4] > 23:
		return "hour"
	case n[5] > 59:
		return "minute"
	case n[6] > 59:
		return "second"
	case n[7] > 23 || n[8] > 59:
		return "offset"
	}
	return ""
}

var _ planmodifier.String = sameInstantAsState{}

// sameInstantAsState plans the state's timestamp when the configuration
// names the same instant with another spelling (Z or +00:00, another
// offset), so that the spelling alone never replaces a key. A null
// configuration plans null, unless rotation computes the expiry: then an
// existing key keeps its own and a new key's is known after apply.
type sameInstantAsState struct{}

func (sameInstantAsState) Description(context.Context) string {
	return "keeps the state's timestamp when the configuration names the same instant"
}

func (m sameInstantAsState) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (sameInstantAsState) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.ConfigValue.IsNull() {
		var rotation types.Object
		if !req.Config.Raw.IsNull() {
			resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("rotation"), &rotation)...)
		}
		switch {
		case rotation.IsNull():
			resp.PlanValue = types.StringNull()
		case !req.State.Raw.IsNull():
			// rotation computes the expiry of a new key only: an existing key keeps its own.
			resp.PlanValue = req.StateValue
		}
		return
	}
	if state, ok := parseTime(req.StateValue); ok && sameInstant(req.ConfigValue, &state) {
		resp.PlanValue = req.StateValue
	}
}
