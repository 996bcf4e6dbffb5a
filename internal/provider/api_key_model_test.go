package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

func TestAPIKeyModelSetFrom(t *testing.T) {
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	key := func(expiresAt *time.Time) *astral.APIKey {
		return &astral.APIKey{
			ID: "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R", Name: " Roster sync ", Status: astral.APIKeyStatusActive, SecretHint: "x7Qa",
			CreatedAt: *at("2026-11-25T09:30:00Z"),
			CreatedBy: astral.Member{ID: "mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S", Name: "Dana Ortiz"},
			ExpiresAt: expiresAt,
			Secret:    "astral_live_aaaaaaaaaaaaaaaaaaaaaaaaaaaax7Qa",
		}
	}
	tests := []struct {
		name      string
		current   timestamp
		expiresAt *time.Time
		want      timestamp
	}{
		{"never expires", timestampNull(), nil, timestampNull()},
		{"expiry dropped", timestampValue("2027-06-30T00:00:00Z"), nil, timestampNull()},
		{"new expiry", timestampNull(), at("2027-06-30T00:00:00Z"), timestampValue("2027-06-30T00:00:00Z")},
		{"planned, unknown", timestampUnknown(), at("2027-06-30T00:00:00Z"), timestampValue("2027-06-30T00:00:00Z")},
		{"same instant, +00:00 kept", timestampValue("2027-06-30T00:00:00+00:00"), at("2027-06-30T00:00:00Z"), timestampValue("2027-06-30T00:00:00+00:00")},
		{"same instant, offset kept", timestampValue("2027-06-29T17:00:00-07:00"), at("2027-06-30T00:00:00Z"), timestampValue("2027-06-29T17:00:00-07:00")},
		{"other instant", timestampValue("2027-06-30T00:00:00Z"), at("2027-07-01T00:00:00Z"), timestampValue("2027-07-01T00:00:00Z")},
		{"fraction kept", timestampNull(), at("2027-06-30T00:00:00.25+02:00"), timestampValue("2027-06-29T22:00:00.25Z")},
		{"fraction differs", timestampValue("2027-06-30T00:00:00Z"), at("2027-06-30T00:00:00.5Z"), timestampValue("2027-06-30T00:00:00.5Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := apiKeyModel{ExpiresAt: tt.current}
			m.setFrom(key(tt.expiresAt))

			want := apiKeyModel{
				ID:         types.StringValue("key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"),
				Name:       types.StringValue(" Roster sync "),
				SecretHint: types.StringValue("x7Qa"),
				CreatedAt:  timestampValue("2026-11-25T09:30:00Z"),
				CreatedBy: types.ObjectValueMust(memberAttrTypes, map[string]attr.Value{
					"id":   types.StringValue("mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S"),
					"name": types.StringValue("Dana Ortiz"),
				}),
				ExpiresAt: tt.want,
			}
			if !m.ID.Equal(want.ID) || !m.Name.Equal(want.Name) || !m.SecretHint.Equal(want.SecretHint) ||
				!m.CreatedAt.Equal(want.CreatedAt) || !m.CreatedBy.Equal(want.CreatedBy) || !m.ExpiresAt.Equal(want.ExpiresAt) {
				t.Errorf("setFrom gave\n%+v\nwant\n%+v", m, want)
			}
		})
	}
}
