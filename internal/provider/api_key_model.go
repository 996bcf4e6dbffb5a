package provider

import (
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// apiKeyModel holds the attributes that the resource and each key of the
// data source share.
type apiKeyModel struct {
	ID             types.String `tfsdk:"id"`
	OrganizationID types.String `tfsdk:"organization_id"`
	Name           types.String `tfsdk:"name"`
	SecretHint     types.String `tfsdk:"secret_hint"`
	CreatedAt      timestamp    `tfsdk:"created_at"`
	CreatedBy      types.Object `tfsdk:"created_by"`
	ExpiresAt      timestamp    `tfsdk:"expires_at"`
}

// memberAttrTypes are the attributes of created_by.
var memberAttrTypes = map[string]attr.Type{
	"id":   types.StringType,
	"name": types.StringType,
}

// setFrom sets every attribute from key. An expires_at that names the same
// instant as the key's keeps its spelling, so that a configuration written
// with another offset than the API's UTC does not differ from the state.
func (m *apiKeyModel) setFrom(key *astral.APIKey) {
	m.ID = types.StringValue(key.ID)
	// An API older than organization_id leaves the recorded one, if any.
	if key.OrganizationID != "" {
		m.OrganizationID = types.StringValue(key.OrganizationID)
	} else if m.OrganizationID.IsUnknown() {
		m.OrganizationID = types.StringNull()
	}
	m.Name = types.StringValue(key.Name)
	m.SecretHint = types.StringValue(key.SecretHint)
	m.CreatedAt = rfc3339(&key.CreatedAt)
	m.CreatedBy = types.ObjectValueMust(memberAttrTypes, map[string]attr.Value{
		"id":   types.StringValue(key.CreatedBy.ID),
		"name": types.StringValue(key.CreatedBy.Name),
	})
	if !sameInstant(m.ExpiresAt.StringValue, key.ExpiresAt) {
		m.ExpiresAt = rfc3339(key.ExpiresAt)
	}
}

// rfc3339 spells t as the API does: UTC, with fractional seconds only when
// there are any. Nil is null.
func rfc3339(t *time.Time) timestamp {
	if t == nil {
		return timestampNull()
	}
	return timestampValue(t.UTC().Format(time.RFC3339Nano))
}

// sameInstant reports whether v is a known timestamp naming the instant t
// (false when either is missing).
func sameInstant(v types.String, t *time.Time) bool {
	if t == nil {
		return false
	}
	got, ok := parseTime(v)
	return ok && got.Equal(*t)
}

// parseTime reads a known, valid RFC 3339 value; the attribute's type has
// already rejected an invalid one (timestampProblem says why).
func parseTime(v types.String) (time.Time, bool) {
	if v.IsNull() || v.IsUnknown() {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v.ValueString())
	return t, err == nil
}
