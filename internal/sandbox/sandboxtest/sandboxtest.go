// Package sandboxtest starts the Astral sandbox in-process for tests.
package sandboxtest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// Env is a running sandbox with one organization on the coach plan.
type Env struct {
	Server *sandbox.Server
	URL    string // base URL, without a trailing slash
	Org    *sandbox.Organization
	// The members' keys. Each is an active key of Org, so a listing of Org's
	// keys includes all three (their ids are in Org.Members[i].APIKeyID).
	HeadCoachKey, CoachKey, AthleteKey string
}

// Start runs a sandbox on an in-memory database behind an HTTP/1.1 test
// server (so that dropped connections can be simulated) and closes both when
// the test ends. Each option may adjust the sandbox's options.
func Start(t testing.TB, opts ...func(*sandbox.Options)) *Env {
	t.Helper()
	var o sandbox.Options
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := sandbox.New(o)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
	})
	org, err := srv.CreateOrganization(context.Background(), "Test Rowing Club", sandbox.PlanCoach)
	if err != nil {
		t.Fatalf("create sandbox organization: %v", err)
	}
	return &Env{
		Server:       srv,
		URL:          hs.URL,
		Org:          org,
		HeadCoachKey: org.Member(sandbox.RoleHeadCoach).APIKey,
		CoachKey:     org.Member(sandbox.RoleCoach).APIKey,
		AthleteKey:   org.Member(sandbox.RoleAthlete).APIKey,
	}
}
