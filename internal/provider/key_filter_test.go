package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

func TestKeyFilter(t *testing.T) {
	day := func(d int) *time.Time {
		v := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
		return &v
	}
	str := types.StringValue
	rfc := func(d int) timestamp { return rfc3339(day(d)) }
	key := func(name string, expiresAt, lastUsedAt *time.Time) *astral.APIKey {
		return &astral.APIKey{Name: name, ExpiresAt: expiresAt, LastUsedAt: lastUsedAt}
	}
	tests := []struct {
		name   string
		filter keyFilterModel
		key    *astral.APIKey
		want   bool
	}{
		{"no filter", keyFilterModel{}, key("any", nil, nil), true},
		{"name matches anywhere", keyFilterModel{NameRegex: str("sync")}, key("Roster sync script", nil, nil), true},
		{"name anchored", keyFilterModel{NameRegex: str("^sync")}, key("Roster sync script", nil, nil), false},
		{"name is case sensitive", keyFilterModel{NameRegex: str("roster")}, key("Roster sync", nil, nil), false},
		{"name, case folded", keyFilterModel{NameRegex: str("(?i)roster")}, key("Roster sync", nil, nil), true},
		{"expires before", keyFilterModel{ExpiresBefore: rfc(10)}, key("k", day(9), nil), true},
		{"expires at the time", keyFilterModel{ExpiresBefore: rfc(10)}, key("k", day(10), nil), false},
		{"expires after", keyFilterModel{ExpiresBefore: rfc(10)}, key("k", day(11), nil), false},
		{"never expires", keyFilterModel{ExpiresBefore: rfc(10)}, key("k", nil, nil), false},
		{"expires before, another offset", keyFilterModel{ExpiresBefore: timestampValue("2027-01-10T23:30:00-01:00")}, key("k", day(10), nil), true},
		{"never used", keyFilterModel{UnusedSince: rfc(10)}, key("k", nil, nil), true},
		{"last used before", keyFilterModel{UnusedSince: rfc(10)}, key("k", nil, day(9)), true},
		{"last used at the time", keyFilterModel{UnusedSince: rfc(10)}, key("k", nil, day(10)), false},
		{"last used since", keyFilterModel{UnusedSince: rfc(10)}, key("k", nil, day(11)), false},
		{"every filter holds", keyFilterModel{NameRegex: str("^ci-"), ExpiresBefore: rfc(10), UnusedSince: rfc(5)}, key("ci-1", day(9), day(4)), true},
		{"one filter fails", keyFilterModel{NameRegex: str("^ci-"), ExpiresBefore: rfc(10), UnusedSince: rfc(5)}, key("ci-1", day(9), day(6)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A filter a case leaves out is null: the zero value of each type.
			f, err := newKeyFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.match(tt.key); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

// createAuditKeys creates the keys that the filter tests of the data source
// and the list resource tell apart, at t0 by the sandbox's clock: one that
// never expires, one that expires in 10 days, one in 100 days, and one that
// is used an hour later (the clock moves on by that hour).
func (e *testAccEnv) createAuditKeys(t *testing.T) (t0 time.Time, neverExpires, expiresSoon, expiresLater, used *astral.APIKey) {
	t.Helper()
	t0 = e.Server.Now().UTC().Truncate(time.Second)
	soon, later := t0.Add(10*24*time.Hour), t0.Add(100*24*time.Hour)
	neverExpires = e.CreateKey(t, testKeyPrefix+"audit never expires", nil)
	expiresSoon = e.CreateKey(t, testKeyPrefix+"audit expires soon", &soon)
	expiresLater = e.CreateKey(t, testKeyPrefix+"audit expires later", &later)
	used = e.CreateKey(t, testKeyPrefix+"audit used", nil)
	e.Server.AdvanceClock(time.Hour)
	if _, err := newTestClient(t, e.URL, used.Secret).APIKeys.List(t.Context(), nil); err != nil {
		t.Fatalf("using a key: %v", err)
	}
	return t0, neverExpires, expiresSoon, expiresLater, used
}
