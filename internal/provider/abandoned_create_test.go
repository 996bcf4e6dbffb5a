package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// An abandoned create is undone against the sandbox: whatever key it made
// ends revoked, and a create that made none makes none now.
func TestUndoAbandonedCreate(t *testing.T) {
	t.Parallel()
	e := newTestAccEnv(t)
	r := &apiKeyResource{configured{data: &providerData{client: e.Client, machineNow: time.Now}}}
	sentNoAnswer := &astral.ConnectionError{Method: "POST", URL: e.URL + "/v1/api-keys", Attempts: 1, Err: context.Canceled}
	notSent := &astral.ConnectionError{Method: "POST", URL: e.URL + "/v1/api-keys", Attempts: 1, Err: context.Canceled, NotSent: true}
	opts := func(name string) astral.APIKeyCreateOptions {
		return astral.APIKeyCreateOptions{Name: testKeyPrefix + name, IdempotencyKey: rand.Text()}
	}

	tests := []struct {
		name string
		// create makes what the abandoned create left: the key it returned
		// (nil when none reached the provider) and its error.
		create  func(t *testing.T, o astral.APIKeyCreateOptions) (*astral.APIKey, error)
		wantKey bool
	}{
		{"the answer arrived as the run went", func(t *testing.T, o astral.APIKeyCreateOptions) (*astral.APIKey, error) {
			key, err := e.Client.APIKeys.Create(t.Context(), o)
			if err != nil {
				t.Fatal(err)
			}
			return key, nil
		}, true},
		{"the API made the key, the answer was lost", func(t *testing.T, o astral.APIKeyCreateOptions) (*astral.APIKey, error) {
			if _, err := e.Client.APIKeys.Create(t.Context(), o); err != nil {
				t.Fatal(err)
			}
			return nil, sentNoAnswer
		}, true},
		{"the request was sent but never arrived", func(*testing.T, astral.APIKeyCreateOptions) (*astral.APIKey, error) {
			return nil, sentNoAnswer
		}, true},
		{"nothing was sent", func(*testing.T, astral.APIKeyCreateOptions) (*astral.APIKey, error) { return nil, notSent }, false},
		{"the API refused the create", func(*testing.T, astral.APIKeyCreateOptions) (*astral.APIKey, error) {
			return nil, &astral.APIError{StatusCode: 400, Code: "invalid_request"}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts(tt.name)
			key, err := tt.create(t, o)
			// The request's context has ended: the clean-up must not need it.
			ended, cancel := context.WithCancel(t.Context())
			cancel()
			r.undoAbandonedCreate(ended, e.Client, o, key, err)

			found, err := e.Client.APIKeys.FindByIdempotencyKey(t.Context(), o.IdempotencyKey)
			switch {
			case !tt.wantKey && errors.Is(err, astral.ErrNotFound):
			case !tt.wantKey:
				t.Errorf("found %v (%v), want no key made", found, err)
			case err != nil:
				t.Fatal(err)
			case len(found) != 1 || found[0].Status != astral.APIKeyStatusRevoked:
				t.Errorf("keys %v of the create, want one, revoked", found)
			}
		})
	}
}
