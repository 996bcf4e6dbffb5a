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
// server (so that dropped connections can be simulated), with the timeouts
// of the sandbox's own http.Server (Server.HTTPServer), and closes both when
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
	hs := httptest.NewUnstartedServer(srv)
	hs.Config = srv.HTTPServer()
	hs.Start()
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

// SignInURL mints a one-time sign-in link to the app for a member of any
// organization of the sandbox (such as Org.Member(sandbox.RoleHeadCoach).ID):
// opening it in a browser signs the member in and shows the Security page,
// at URL + "/app/settings/security". The link works once, for 15 minutes of
// the sandbox's clock.
func (e *Env) SignInURL(t testing.TB, memberID string) string {
	t.Helper()
	link, _, err := e.Server.SignInLink(context.Background(), memberID)
	if err != nil {
		t.Fatalf("sign-in link for %s: %v", memberID, err)
	}
	return e.URL + link
}

// SecurityPageURL is the address of the app's Security page.
func (e *Env) SecurityPageURL() string { return e.URL + "/app/settings/security" }
