package astral

import (
	"net/http"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

func TestAPIClockObserve(t *testing.T) {
	received := time.Date(2026, 12, 1, 12, 0, 0, 300_000_000, time.UTC)
	date := func(t time.Time) string { return t.Format(http.TimeFormat) }
	tests := []struct {
		name string
		date string
		want time.Duration
	}{
		{"without a Date the machine's clock stands", "", 0},
		{"a malformed Date changes nothing", "yesterday", 0},
		{"a Date in the same second is no offset", date(received.Truncate(time.Second)), 0},
		{"a Date a second behind, as network latency makes it, is no offset", date(received.Add(-time.Second)), 0},
		{"an API thirty days ahead", date(received.Add(30 * 24 * time.Hour).Truncate(time.Second)), 30*24*time.Hour + 200*time.Millisecond},
		{"an API an hour behind", date(received.Add(-time.Hour).Truncate(time.Second)), -time.Hour + 200*time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c apiClock
			c.observe(tt.date, received)
			if got := time.Duration(c.offset.Load()); got != tt.want {
				t.Errorf("offset = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestClientNowFollowsTheSandboxClock(t *testing.T) {
	env := sandboxtest.Start(t)
	c, err := NewClient(Config{Endpoint: env.URL, APIKey: env.HeadCoachKey})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(c.Now()); d < -time.Second || d > time.Second {
		t.Fatalf("before any response, Now is %s away from this machine's clock", d)
	}
	apiNow := env.Server.AdvanceClock(45 * 24 * time.Hour)
	if _, err := c.APIKeys.List(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if d := c.Now().Sub(apiNow); d < -clockResolution || d > clockResolution {
		t.Errorf("after a response, Now is %s away from the sandbox's clock", d)
	}
}
