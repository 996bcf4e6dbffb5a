package provider

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

func TestPendingCreateOf(t *testing.T) {
	attempted := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	expires := attempted.Add(90 * 24 * time.Hour)
	opts := func(expiresAt *time.Time) astral.APIKeyCreateOptions {
		return astral.APIKeyCreateOptions{Name: "CI", ExpiresAt: expiresAt, IdempotencyKey: "K"}
	}
	tests := []struct {
		name  string
		state apiKeyResourceModel
		want  *pendingCreate
	}{
		{name: "a key the API confirmed", state: *stored(t, "CI", &expires)},
		{name: "a placeholder", state: newPendingCreate(opts(&expires), attempted).placeholder(*planned(rfc3339(&expires))),
			want: &pendingCreate{IdempotencyKey: "K", Name: "k", ExpiresAt: &expires, AttemptedAt: attempted}},
		{name: "a placeholder without expiry", state: newPendingCreate(opts(nil), attempted).placeholder(*planned(timestampNull())),
			want: &pendingCreate{IdempotencyKey: "K", Name: "k", AttemptedAt: attempted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pendingCreateOf(tt.state)
			switch {
			case (got == nil) != (tt.want == nil):
				t.Fatalf("got %+v, want %+v", got, tt.want)
			case got != nil && (got.IdempotencyKey != tt.want.IdempotencyKey || got.Name != tt.want.Name ||
				!got.AttemptedAt.Equal(tt.want.AttemptedAt) || !equalTime(got.ExpiresAt, tt.want.ExpiresAt)):
				t.Errorf("got %+v, want %+v", *got, *tt.want)
			}
			if got != nil && (!tt.state.ID.IsNull() || !tt.state.Secret.IsNull()) {
				t.Errorf("the placeholder has an id or a secret: %+v", tt.state)
			}
		})
	}
}

// TestPendingCreateRecover asks the sandbox again for creates whose answer
// was lost, in every way that can end.
func TestPendingCreateRecover(t *testing.T) {
	t.Parallel()
	e := newTestAccEnv(t)
	now := e.Server.Now()
	later := now.Add(30 * 24 * time.Hour)
	// committed is a create the API carried out; its answer is "lost".
	committedOpts := astral.APIKeyCreateOptions{Name: testKeyPrefix + "committed", ExpiresAt: &later, IdempotencyKey: rand.Text()}
	committed, err := e.Client.APIKeys.Create(t.Context(), committedOpts)
	if err != nil {
		t.Fatal(err)
	}
	unreachable := newTestClient(t, "http://127.0.0.1:1", e.HeadCoachKey)
	past := now.Add(-time.Minute)

	tests := []struct {
		name        string
		pending     pendingCreate
		client      *astral.Client
		wantID      string // the key recovered; "new" for a key created now
		wantOutcome recoveryOutcome
		wantDiag    string // how the diagnostic's summary starts; "" for none
	}{
		{name: "answer lost after the API created the key", pending: newPendingCreate(committedOpts, now.Add(-time.Hour)),
			client: e.Client, wantID: committed.ID, wantOutcome: keyRecovered},
		{name: "request lost before it reached the API",
			pending: newPendingCreate(astral.APIKeyCreateOptions{Name: testKeyPrefix + "lost", IdempotencyKey: rand.Text()}, now.Add(-time.Hour)),
			client:  e.Client, wantID: "new", wantOutcome: keyRecovered},
		{name: "API unreachable again", pending: newPendingCreate(committedOpts, now.Add(-time.Hour)),
			client: unreachable, wantOutcome: recoveryRetryLater, wantDiag: "Could not confirm whether the API key"},
		{name: "beyond the replay window", pending: newPendingCreate(committedOpts, now.Add(-replayWindow)),
			client: e.Client, wantOutcome: recoveryGivenUp, wantDiag: "API key creation could not be confirmed"},
		{name: "never arrived, and its expiry has passed since",
			pending: newPendingCreate(astral.APIKeyCreateOptions{Name: testKeyPrefix + "late", ExpiresAt: &past, IdempotencyKey: rand.Text()}, now.Add(-time.Hour)),
			client:  e.Client, wantOutcome: recoveryGivenUp, wantDiag: "API key creation could not be confirmed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.pending.askAgain(t.Context(), tt.client, now)
			if got.outcome != tt.wantOutcome {
				t.Errorf("outcome = %v, want %v", got.outcome, tt.wantOutcome)
			}
			key := got.key
			var summaries []string
			for _, d := range got.diags {
				summaries = append(summaries, d.Summary())
				if strings.Contains(d.Detail(), "astral_live_") {
					t.Errorf("diagnostic holds a secret: %s", d.Detail())
				}
			}
			if got := strings.Join(summaries, "; "); (got == "") != (tt.wantDiag == "") || !strings.HasPrefix(got, tt.wantDiag) {
				t.Errorf("diagnostics %q, want %q", got, tt.wantDiag)
			}
			switch {
			case tt.wantID == "" && key != nil:
				t.Errorf("recovered %s, want none", key.ID)
			case tt.wantID == "":
			case key == nil:
				t.Fatalf("recovered nothing, want a key")
			case key.Name != tt.pending.Name || key.Secret == "":
				t.Errorf("recovered %q with secret %v, want %q with its secret", key.Name, key.Secret != "", tt.pending.Name)
			case tt.wantID != "new" && (key.ID != tt.wantID || key.Secret != committed.Secret):
				t.Errorf("recovered %s, want %s with the secret of its creation", key.ID, tt.wantID)
			}
			if key == nil {
				return
			}
			// Asking once more gives the same key: a key is created once.
			again := tt.pending.askAgain(t.Context(), tt.client, now)
			if again.key == nil || again.key.ID != key.ID {
				t.Errorf("asked again, got %v, want %s", again.key, key.ID)
			}
		})
	}
}
