package astral_test

// End-to-end tests: the client against the reference server, in process.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

var requestIDPattern = regexp.MustCompile(`^req_[0-9A-HJKMNP-TV-Z]{26}$`)

// newClient returns a client of env's sandbox that calls with secret, with
// waits short enough for tests.
func newClient(t testing.TB, env *sandboxtest.Env, secret string, configure ...func(*astral.Config)) *astral.Client {
	t.Helper()
	cfg := astral.Config{
		Endpoint:     env.URL,
		APIKey:       secret,
		UserAgent:    "terraform-provider-astral/test",
		MaxRetries:   new(10),
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
	}
	for _, f := range configure {
		f(&cfg)
	}
	c, err := astral.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// bubbleEnv is a sandbox started inside a synctest bubble (see
// startInBubble), and the transport that reaches it.
type bubbleEnv struct {
	*sandboxtest.Env
	http *http.Client
}

// startInBubble runs a sandbox, as sandboxtest.Start does, inside the
// synctest bubble of t: the sandbox's clock, rate limit and latency, and
// the client's waits, are the bubble's fake time, so tests of rate limits
// and retries take no wall time. Clients reach it in-process
// (astral.InMemoryHTTPClient): a real connection would keep the bubble
// from ever being idle. Connections dropped by the sandbox fail as io.EOF.
func startInBubble(t *testing.T, opts ...func(*sandbox.Options)) *bubbleEnv {
	t.Helper()
	var o sandbox.Options
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := sandbox.New(o)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
	})
	org, err := srv.CreateOrganization(t.Context(), "Test Rowing Club", sandbox.PlanCoach)
	if err != nil {
		t.Fatalf("create sandbox organization: %v", err)
	}
	return &bubbleEnv{
		Env: &sandboxtest.Env{
			Server:       srv,
			URL:          "http://sandbox.test",
			Org:          org,
			HeadCoachKey: org.Member(sandbox.RoleHeadCoach).APIKey,
			CoachKey:     org.Member(sandbox.RoleCoach).APIKey,
			AthleteKey:   org.Member(sandbox.RoleAthlete).APIKey,
		},
		http: astral.InMemoryHTTPClient(srv),
	}
}

// client is newClient for a sandbox in a bubble.
func (e *bubbleEnv) client(t testing.TB, secret string, configure ...func(*astral.Config)) *astral.Client {
	t.Helper()
	return newClient(t, e.Env, secret, append([]func(*astral.Config){func(cfg *astral.Config) { cfg.HTTPClient = e.http }}, configure...)...)
}

// newOrganization creates an organization with its three members and their keys.
func newOrganization(t testing.TB, env *sandboxtest.Env, plan sandbox.Plan) *sandbox.Organization {
	t.Helper()
	org, err := env.Server.CreateOrganization(context.Background(), "Org of "+t.Name(), plan)
	if err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	return org
}

func create(t testing.TB, c *astral.Client, opts astral.APIKeyCreateOptions) *astral.APIKey {
	t.Helper()
	key, err := c.APIKeys.Create(context.Background(), opts)
	if err != nil {
		t.Fatalf("Create(%q): %v", opts.Name, err)
	}
	return key
}

func activeKeyIDs(t testing.TB, env *sandboxtest.Env, orgID string) []string {
	t.Helper()
	ids, err := env.Server.ActiveKeyIDs(context.Background(), orgID)
	if err != nil {
		t.Fatalf("ActiveKeyIDs: %v", err)
	}
	return ids
}

// requests sums the sandbox's request counts since the last ResetStats.
func requests(env *sandboxtest.Env) int {
	n := 0
	for _, v := range env.Server.Stats().Requests {
		n += v
	}
	return n
}

func TestSandboxCreate(t *testing.T) {
	env := sandboxtest.Start(t)
	client := newClient(t, env, env.HeadCoachKey)
	ctx := context.Background()

	t.Run("with a name only it creates an active key that never expires", func(t *testing.T) {
		before := env.Server.Now().Truncate(time.Second)
		key := create(t, client, astral.APIKeyCreateOptions{Name: "Roster sync script"})
		if err := astral.ValidateKeyID(key.ID); err != nil {
			t.Errorf("ID: %v", err)
		}
		if err := astral.ValidateSecret(key.Secret); err != nil {
			t.Errorf("Secret: %v", err)
		}
		if key.Name != "Roster sync script" || key.Status != astral.APIKeyStatusActive {
			t.Errorf("name %q, status %s; want Roster sync script, active", key.Name, key.Status)
		}
		if key.SecretHint != key.Secret[len(key.Secret)-4:] {
			t.Errorf("secret hint %q is not the secret's last four characters", key.SecretHint)
		}
		if key.CreatedAt.Before(before) || key.CreatedAt.After(env.Server.Now()) || key.CreatedAt.Location() != time.UTC {
			t.Errorf("created_at %s is not the server's time of creation in UTC", key.CreatedAt)
		}
		if key.CreatedBy.ID != env.Org.Member(sandbox.RoleHeadCoach).ID || key.CreatedBy.Name == "" {
			t.Errorf("created_by = %+v, want the head coach", key.CreatedBy)
		}
		if key.ExpiresAt != nil || key.RevokedAt != nil || key.LastUsedAt != nil {
			t.Errorf("expires_at %v, revoked_at %v, last_used_at %v; want all null", key.ExpiresAt, key.RevokedAt, key.LastUsedAt)
		}
		if !slices.Contains(activeKeyIDs(t, env, env.Org.ID), key.ID) {
			t.Errorf("the server does not list %s as active", key.ID)
		}
	})

	t.Run("with an expiry in another zone it keeps the instant", func(t *testing.T) {
		expires := env.Server.Now().Add(90 * 24 * time.Hour).Truncate(time.Second).In(time.FixedZone("UTC-7", -7*3600))
		key := create(t, client, astral.APIKeyCreateOptions{Name: "Expiring", ExpiresAt: &expires})
		if key.ExpiresAt == nil || !key.ExpiresAt.Equal(expires) || key.ExpiresAt.Location() != time.UTC {
			t.Errorf("expires_at = %v, want %v in UTC", key.ExpiresAt, expires.UTC())
		}
	})

	t.Run("the name comes back exactly as given", func(t *testing.T) {
		name := "  Spaced   name ✓ "
		if key := create(t, client, astral.APIKeyCreateOptions{Name: name}); key.Name != name {
			t.Errorf("name = %q, want %q", key.Name, name)
		}
	})

	t.Run("the secret it returns authenticates as its creator", func(t *testing.T) {
		key := create(t, client, astral.APIKeyCreateOptions{Name: "Second credential"})
		self, err := newClient(t, env, key.Secret).APIKeys.Read(ctx, key.ID)
		if err != nil {
			t.Fatalf("Read with the new secret: %v", err)
		}
		if self.Secret != "" {
			t.Error("Read shows the secret again")
		}
		if self.LastUsedAt == nil {
			t.Error("last_used_at is null after the key was used")
		}
	})

	t.Run("with the same Idempotency-Key and body it replays the first key", func(t *testing.T) {
		before := len(activeKeyIDs(t, env, env.Org.ID))
		opts := astral.APIKeyCreateOptions{Name: "Deploy bot", IdempotencyKey: "deploy-" + t.Name()}
		first := create(t, client, opts)
		second := create(t, client, opts)
		if second.ID != first.ID || second.Secret != first.Secret {
			t.Errorf("the replay is %s, the first create %s; want the same key and secret", second.ID, first.ID)
		}
		if after := len(activeKeyIDs(t, env, env.Org.ID)); after != before+1 {
			t.Errorf("active keys went from %d to %d, want one more", before, after)
		}
	})
}

func TestSandboxReadAndRevoke(t *testing.T) {
	env := sandboxtest.Start(t)
	client := newClient(t, env, env.HeadCoachKey)
	ctx := context.Background()

	t.Run("Read returns the key as created, without its secret", func(t *testing.T) {
		created := create(t, client, astral.APIKeyCreateOptions{Name: "Read me"})
		got, err := client.APIKeys.Read(ctx, created.ID)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		same := got.ID == created.ID && got.Name == created.Name && got.Status == created.Status &&
			got.SecretHint == created.SecretHint && got.CreatedAt.Equal(created.CreatedAt) && got.CreatedBy == created.CreatedBy &&
			got.ExpiresAt == nil && got.RevokedAt == nil && got.LastUsedAt == nil
		if !same || got.Secret != "" {
			t.Errorf("Read = %+v, want %+v without its secret", *got, *created)
		}
	})

	t.Run("Revoke revokes at once and again changes nothing", func(t *testing.T) {
		created := create(t, client, astral.APIKeyCreateOptions{Name: "Revoke me"})
		revoked, err := client.APIKeys.Revoke(ctx, created.ID)
		if err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		if revoked.Status != astral.APIKeyStatusRevoked || revoked.RevokedAt == nil {
			t.Fatalf("Revoke = status %s, revoked_at %v; want revoked with a time", revoked.Status, revoked.RevokedAt)
		}
		again, err := client.APIKeys.Revoke(ctx, created.ID)
		if err != nil {
			t.Fatalf("second Revoke: %v", err)
		}
		if again.Status != astral.APIKeyStatusRevoked || !again.RevokedAt.Equal(*revoked.RevokedAt) {
			t.Errorf("second Revoke = status %s, revoked_at %v; want revoked at %v", again.Status, again.RevokedAt, revoked.RevokedAt)
		}
		read, err := client.APIKeys.Read(ctx, created.ID)
		if err != nil || read.Status != astral.APIKeyStatusRevoked {
			t.Errorf("Read after Revoke = %v, %v; want status revoked", read, err)
		}
		keys, err := client.APIKeys.ListAll(ctx)
		if err != nil {
			t.Fatalf("ListAll: %v", err)
		}
		if slices.ContainsFunc(keys, func(k *astral.APIKey) bool { return k.ID == created.ID }) {
			t.Error("the listing still shows the revoked key")
		}
		if _, err := newClient(t, env, created.Secret).APIKeys.ListAll(ctx); !errors.Is(err, astral.ErrUnauthenticated) {
			t.Errorf("a call with the revoked secret: %v, want ErrUnauthenticated", err)
		}
	})

	t.Run("a key may revoke itself and its next request is refused", func(t *testing.T) {
		created := create(t, client, astral.APIKeyCreateOptions{Name: "Self revoking"})
		self := newClient(t, env, created.Secret)
		if _, err := self.APIKeys.Revoke(ctx, created.ID); err != nil {
			t.Fatalf("self Revoke: %v", err)
		}
		if _, err := self.APIKeys.Read(ctx, created.ID); !errors.Is(err, astral.ErrUnauthenticated) {
			t.Errorf("the next request: %v, want ErrUnauthenticated", err)
		}
	})

	t.Run("an expired key reads as expired, authenticates no more, and can be revoked", func(t *testing.T) {
		env := sandboxtest.Start(t) // its clock moves
		client := newClient(t, env, env.HeadCoachKey)
		expires := env.Server.Now().Add(time.Hour)
		created := create(t, client, astral.APIKeyCreateOptions{Name: "Short lived", ExpiresAt: &expires})
		holder := newClient(t, env, created.Secret)
		if _, err := holder.APIKeys.ListAll(ctx); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
		env.Server.AdvanceClock(time.Hour)
		if _, err := holder.APIKeys.ListAll(ctx); !errors.Is(err, astral.ErrUnauthenticated) {
			t.Errorf("at expiry: %v, want ErrUnauthenticated", err)
		}
		read, err := client.APIKeys.Read(ctx, created.ID)
		if err != nil || read.Status != astral.APIKeyStatusExpired {
			t.Fatalf("Read = %v, %v; want status expired", read, err)
		}
		revoked, err := client.APIKeys.Revoke(ctx, created.ID)
		if err != nil || revoked.Status != astral.APIKeyStatusRevoked {
			t.Errorf("Revoke = %v, %v; want status revoked", revoked, err)
		}
	})
}

// TestSandboxErrors makes the server answer every error code of the
// contract and checks what the client makes of it. Each failing call must
// reach the server exactly once: no 4xx is retried.
func TestSandboxErrors(t *testing.T) {
	env := sandboxtest.Start(t)
	ctx := context.Background()
	headCoach := newClient(t, env, env.HeadCoachKey)
	victim := create(t, headCoach, astral.APIKeyCreateOptions{Name: "Someone else's"})

	createCall := func(c *astral.Client, opts astral.APIKeyCreateOptions) func() error {
		return func() error { _, err := c.APIKeys.Create(ctx, opts); return err }
	}
	listCall := func(c *astral.Client, opts *astral.APIKeyListOptions) func() error {
		return func() error { _, err := c.APIKeys.List(ctx, opts); return err }
	}
	past := time.Now().Add(-time.Hour)

	tests := []struct {
		name   string
		setup  func(t *testing.T) func() error
		status int
		code   string
		param  string
		is     []error
	}{
		{
			name: "an unknown secret is unauthenticated",
			setup: func(t *testing.T) func() error {
				return listCall(newClient(t, env, "astral_live_"+strings.Repeat("Q", 32)), nil)
			},
			status: 401, code: "unauthenticated", is: []error{astral.ErrUnauthenticated},
		},
		{
			name: "a revoked secret is unauthenticated on its next request",
			setup: func(t *testing.T) func() error {
				key := create(t, headCoach, astral.APIKeyCreateOptions{Name: "Soon revoked"})
				holder := newClient(t, env, key.Secret)
				if _, err := holder.APIKeys.List(ctx, nil); err != nil {
					t.Fatalf("before revocation: %v", err)
				}
				if _, err := headCoach.APIKeys.Revoke(ctx, key.ID); err != nil {
					t.Fatal(err)
				}
				return listCall(holder, nil)
			},
			status: 401, code: "unauthenticated", is: []error{astral.ErrUnauthenticated},
		},
		{
			name: "a plan below coach is plan_upgrade_required",
			setup: func(t *testing.T) func() error {
				org := newOrganization(t, env, sandbox.PlanFree)
				return listCall(newClient(t, env, org.Member(sandbox.RoleHeadCoach).APIKey), nil)
			},
			status: 403, code: "plan_upgrade_required", is: []error{astral.ErrForbidden, astral.ErrPlanUpgradeRequired},
		},
		{
			name: "a plan downgraded to free is plan_upgrade_required on the next request",
			setup: func(t *testing.T) func() error {
				org := newOrganization(t, env, sandbox.PlanTeam)
				c := newClient(t, env, org.Member(sandbox.RoleHeadCoach).APIKey)
				if _, err := c.APIKeys.List(ctx, nil); err != nil {
					t.Fatalf("on the team plan: %v", err)
				}
				if err := env.Server.SetPlan(ctx, org.ID, sandbox.PlanFree); err != nil {
					t.Fatal(err)
				}
				return listCall(c, nil)
			},
			status: 403, code: "plan_upgrade_required", is: []error{astral.ErrForbidden, astral.ErrPlanUpgradeRequired},
		},
		{
			name:   "a coach is insufficient_role",
			setup:  func(t *testing.T) func() error { return listCall(newClient(t, env, env.CoachKey), nil) },
			status: 403, code: "insufficient_role", is: []error{astral.ErrForbidden, astral.ErrInsufficientRole},
		},
		{
			name: "an athlete is insufficient_role",
			setup: func(t *testing.T) func() error {
				return createCall(newClient(t, env, env.AthleteKey), astral.APIKeyCreateOptions{Name: "x"})
			},
			status: 403, code: "insufficient_role", is: []error{astral.ErrForbidden, astral.ErrInsufficientRole},
		},
		{
			name: "a head coach replaced is insufficient_role on the next request",
			setup: func(t *testing.T) func() error {
				org := newOrganization(t, env, sandbox.PlanCoach)
				c := newClient(t, env, org.Member(sandbox.RoleHeadCoach).APIKey)
				if _, err := c.APIKeys.List(ctx, nil); err != nil {
					t.Fatalf("as head coach: %v", err)
				}
				if err := env.Server.SetRole(ctx, org.Member(sandbox.RoleCoach).ID, sandbox.RoleHeadCoach); err != nil {
					t.Fatal(err)
				}
				return listCall(c, nil)
			},
			status: 403, code: "insufficient_role", is: []error{astral.ErrForbidden, astral.ErrInsufficientRole},
		},
		{
			name: "an unknown key is not_found",
			setup: func(t *testing.T) func() error {
				return func() error { _, err := headCoach.APIKeys.Read(ctx, "key_"+strings.Repeat("0", 26)); return err }
			},
			status: 404, code: "not_found", is: []error{astral.ErrNotFound},
		},
		{
			name: "a key of another organization is not_found",
			setup: func(t *testing.T) func() error {
				other := newClient(t, env, newOrganization(t, env, sandbox.PlanCoach).Member(sandbox.RoleHeadCoach).APIKey)
				return func() error { _, err := other.APIKeys.Read(ctx, victim.ID); return err }
			},
			status: 404, code: "not_found", is: []error{astral.ErrNotFound},
		},
		{
			name: "revoking a key of another organization is not_found",
			setup: func(t *testing.T) func() error {
				other := newClient(t, env, newOrganization(t, env, sandbox.PlanCoach).Member(sandbox.RoleHeadCoach).APIKey)
				return func() error { _, err := other.APIKeys.Revoke(ctx, victim.ID); return err }
			},
			status: 404, code: "not_found", is: []error{astral.ErrNotFound},
		},
		{
			name:   "an empty name is invalid_request",
			setup:  func(t *testing.T) func() error { return createCall(headCoach, astral.APIKeyCreateOptions{}) },
			status: 400, code: "invalid_request", param: "name", is: []error{astral.ErrInvalidRequest},
		},
		{
			name: "a name of white space only is invalid_request",
			setup: func(t *testing.T) func() error {
				return createCall(headCoach, astral.APIKeyCreateOptions{Name: " \t\u00a0"})
			},
			status: 400, code: "invalid_request", param: "name", is: []error{astral.ErrInvalidRequest},
		},
		{
			name: "a name with a control character is invalid_request",
			setup: func(t *testing.T) func() error {
				return createCall(headCoach, astral.APIKeyCreateOptions{Name: "tab\there"})
			},
			status: 400, code: "invalid_request", param: "name", is: []error{astral.ErrInvalidRequest},
		},
		{
			name: "a name of 101 characters is invalid_request",
			setup: func(t *testing.T) func() error {
				return createCall(headCoach, astral.APIKeyCreateOptions{Name: strings.Repeat("é", 101)})
			},
			status: 400, code: "invalid_request", param: "name", is: []error{astral.ErrInvalidRequest},
		},
		{
			name: "an expiry in the past is invalid_request",
			setup: func(t *testing.T) func() error {
				return createCall(headCoach, astral.APIKeyCreateOptions{Name: "x", ExpiresAt: &past})
			},
			status: 400, code: "invalid_request", param: "expires_at", is: []error{astral.ErrInvalidRequest},
		},
		{
			name:   "a limit over 100 is invalid_request",
			setup:  func(t *testing.T) func() error { return listCall(headCoach, &astral.APIKeyListOptions{Limit: 101}) },
			status: 400, code: "invalid_request", param: "limit", is: []error{astral.ErrInvalidRequest},
		},
		{
			name:   "a negative limit is invalid_request",
			setup:  func(t *testing.T) func() error { return listCall(headCoach, &astral.APIKeyListOptions{Limit: -1}) },
			status: 400, code: "invalid_request", param: "limit", is: []error{astral.ErrInvalidRequest},
		},
		{
			name: "a cursor the server did not issue is invalid_request",
			setup: func(t *testing.T) func() error {
				return listCall(headCoach, &astral.APIKeyListOptions{Cursor: "forged"})
			},
			status: 400, code: "invalid_request", param: "cursor", is: []error{astral.ErrInvalidRequest},
		},
		{
			name: "a body over 64 KiB is request_too_large",
			setup: func(t *testing.T) func() error {
				return createCall(headCoach, astral.APIKeyCreateOptions{Name: strings.Repeat("n", 65*1024)})
			},
			status: 413, code: "request_too_large", is: []error{astral.ErrRequestTooLarge},
		},
		{
			name: "an Idempotency-Key reused with another name is idempotency_conflict",
			setup: func(t *testing.T) func() error {
				create(t, headCoach, astral.APIKeyCreateOptions{Name: "first", IdempotencyKey: "conflict-key"})
				return createCall(headCoach, astral.APIKeyCreateOptions{Name: "second", IdempotencyKey: "conflict-key"})
			},
			status: 409, code: "idempotency_conflict", is: []error{astral.ErrIdempotencyConflict},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call := tt.setup(t)
			env.Server.ResetStats()
			err := call()
			var apiErr *astral.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v (%T) is not an *APIError", err, err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Code != tt.code || apiErr.Param != tt.param {
				t.Errorf("error = %d %s param %q, want %d %s param %q", apiErr.StatusCode, apiErr.Code, apiErr.Param, tt.status, tt.code, tt.param)
			}
			if apiErr.Message == "" || !requestIDPattern.MatchString(apiErr.RequestID) {
				t.Errorf("error has message %q and request id %q, want the server's words and a req_ id", apiErr.Message, apiErr.RequestID)
			}
			if !strings.HasPrefix(apiErr.URL, env.URL+"/v1/api-keys") || !strings.Contains(err.Error(), apiErr.RequestID) {
				t.Errorf("error %q does not name the URL and the request id", err)
			}
			for _, sentinel := range tt.is {
				if !errors.Is(err, sentinel) {
					t.Errorf("error %v is not %v", err, sentinel)
				}
			}
			if errors.Is(err, astral.ErrNotFound) != (tt.code == "not_found") {
				t.Errorf("errors.Is(err, ErrNotFound) = %v for code %s", errors.Is(err, astral.ErrNotFound), tt.code)
			}
			if n := requests(env); n != 1 {
				t.Errorf("the server saw %d requests, want 1: %v", n, env.Server.Stats().Requests)
			}
		})
	}

	t.Run("a secret the client refuses never reaches the server", func(t *testing.T) {
		for _, secret := range []string{"", "astral_live_short", "Bearer " + env.HeadCoachKey} {
			env.Server.ResetStats()
			_, err := astral.NewClient(astral.Config{Endpoint: env.URL, APIKey: secret})
			if !errors.Is(err, astral.ErrMalformedSecret) {
				t.Errorf("NewClient: %v, want ErrMalformedSecret", err)
			}
			if strings.Contains(err.Error(), env.HeadCoachKey) {
				t.Errorf("error %q shows the secret", err)
			}
			if n := requests(env); n != 0 {
				t.Errorf("the server saw %d requests, want none", n)
			}
		}
	})
}

// TestSandboxListing lists while other goroutines create and revoke keys:
// every key active throughout must be seen exactly once, in order.
func TestSandboxListing(t *testing.T) {
	tests := []struct {
		name string
		list func(ctx context.Context, c *astral.Client, afterPage func()) ([]*astral.APIKey, error)
	}{
		{"List at limit 7, page by page", func(ctx context.Context, c *astral.Client, afterPage func()) ([]*astral.APIKey, error) {
			var keys []*astral.APIKey
			opts := &astral.APIKeyListOptions{Limit: 7}
			for {
				page, err := c.APIKeys.List(ctx, opts)
				if err != nil {
					return nil, err
				}
				keys = append(keys, page.Items...)
				afterPage()
				if page.NextCursor == "" {
					return keys, nil
				}
				opts.Cursor = page.NextCursor
			}
		}},
		{"All, following every cursor", func(ctx context.Context, c *astral.Client, afterPage func()) ([]*astral.APIKey, error) {
			var keys []*astral.APIKey
			for key, err := range c.APIKeys.All(ctx) {
				if err != nil {
					return nil, err
				}
				keys = append(keys, key)
				if len(keys)%10 == 0 { // All hides its pages; mutate as often as List would
					afterPage()
				}
			}
			return keys, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" sees every key active throughout exactly once", func(t *testing.T) {
			env := sandboxtest.Start(t)
			client := newClient(t, env, env.HeadCoachKey)
			ctx := context.Background()

			// Stable and doomed keys alternate, so revocations land on
			// every page, before and after the cursor.
			stable := map[string]bool{}
			var doomed []string
			for i := range 240 {
				key := create(t, client, astral.APIKeyCreateOptions{Name: fmt.Sprintf("seed %d", i)})
				if i%2 == 0 {
					stable[key.ID] = true
				} else {
					doomed = append(doomed, key.ID)
				}
			}

			// Each page hands a token to the mutators, which create and
			// revoke concurrently with the fetch of the next page.
			tokens := make(chan struct{})
			var (
				wg         sync.WaitGroup
				mu         sync.Mutex
				mutateErrs []error
				created    int
				revoked    int
			)
			wg.Go(func() {
				for range tokens {
					if _, err := client.APIKeys.Create(ctx, astral.APIKeyCreateOptions{Name: "created while listing"}); err != nil {
						mu.Lock()
						mutateErrs = append(mutateErrs, err)
						mu.Unlock()
						continue
					}
					mu.Lock()
					created++
					mu.Unlock()
				}
			})
			// Shuffled, so that keys are revoked both behind and ahead of the cursor.
			rng := rand.New(rand.NewPCG(1, 2))
			rng.Shuffle(len(doomed), func(i, j int) { doomed[i], doomed[j] = doomed[j], doomed[i] })
			revokeQueue := make(chan string, len(doomed))
			for _, id := range doomed {
				revokeQueue <- id
			}
			close(revokeQueue)
			revokeTokens := make(chan struct{})
			wg.Go(func() {
				for range revokeTokens {
					for range 2 {
						id, ok := <-revokeQueue
						if !ok {
							break
						}
						if _, err := client.APIKeys.Revoke(ctx, id); err != nil {
							mu.Lock()
							mutateErrs = append(mutateErrs, err)
							mu.Unlock()
							continue
						}
						mu.Lock()
						revoked++
						mu.Unlock()
					}
				}
			})

			keys, err := tt.list(ctx, client, func() {
				tokens <- struct{}{}
				revokeTokens <- struct{}{}
			})
			close(tokens)
			close(revokeTokens)
			wg.Wait()
			if err != nil {
				t.Fatalf("listing: %v", err)
			}
			if len(mutateErrs) > 0 {
				t.Fatalf("mutations failed: %v", mutateErrs)
			}
			if created == 0 || revoked == 0 {
				t.Fatalf("%d keys created and %d revoked during the listing, want some of each", created, revoked)
			}

			seen := map[string]int{}
			for _, k := range keys {
				seen[k.ID]++
				if k.Status != astral.APIKeyStatusActive {
					t.Errorf("the listing shows %s with status %s", k.ID, k.Status)
				}
			}
			for id, n := range seen {
				if n > 1 {
					t.Errorf("the listing shows %s %d times", id, n)
				}
			}
			for id := range stable {
				if seen[id] != 1 {
					t.Errorf("the listing shows stable key %s %d times, want once", id, seen[id])
				}
			}
			sorted := slices.IsSortedFunc(keys, func(a, b *astral.APIKey) int {
				if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
					return c
				}
				return strings.Compare(a.ID, b.ID)
			})
			if !sorted {
				t.Error("the listing is not oldest first (created_at, then id)")
			}
			t.Logf("%d keys listed while %d were created and %d revoked", len(keys), created, revoked)
		})
	}
}

// TestSandboxRetries injects the server's faults and checks that every
// call still has exactly one effect. Each case runs in a synctest bubble
// (see startInBubble), so the waits for the rate limit and the backoffs,
// the client's defaults among them, take no wall time.
func TestSandboxRetries(t *testing.T) {
	seeded := func(o *sandbox.Options) { o.Seed = 7 }

	for _, status := range []int{429, 500, 502, 503, 504} {
		t.Run(fmt.Sprintf("when half the requests fail with %d every create succeeds once", status), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				env := startInBubble(t, seeded)
				// The client's own waits: the server's Retry-After of 1 s is honoured.
				client := env.client(t, env.HeadCoachKey, func(cfg *astral.Config) { cfg.RetryWaitMin, cfg.RetryWaitMax = 0, 0 })
				before := len(activeKeyIDs(t, env.Env, env.Org.ID))
				env.Server.SetFaults(sandbox.Faults{ErrorRate: 0.5, ErrorStatus: status})
				for i := range 20 {
					create(t, client, astral.APIKeyCreateOptions{Name: fmt.Sprintf("through %d faults, %d", status, i)})
				}
				env.Server.ClearFaults()
				if after := len(activeKeyIDs(t, env.Env, env.Org.ID)); after != before+20 {
					t.Errorf("active keys went from %d to %d, want 20 more", before, after)
				}
				stats := env.Server.Stats()
				if stats.Responses[fmt.Sprint(status)] == 0 || stats.Responses["201"] != 20 {
					t.Errorf("responses %v, want some %d and exactly twenty 201", stats.Responses, status)
				}
			})
		})
	}

	t.Run("when connections drop after commit every create results in exactly one key", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := startInBubble(t, seeded)
			ctx := t.Context()
			client := env.client(t, env.HeadCoachKey)
			before := activeKeyIDs(t, env.Env, env.Org.ID)
			env.Server.SetFaults(sandbox.Faults{DropAfterCommitRate: 0.5})
			var keys []*astral.APIKey
			for i := range 20 {
				keys = append(keys, create(t, client, astral.APIKeyCreateOptions{Name: fmt.Sprintf("dropped %d", i)}))
			}
			env.Server.ClearFaults()

			after := activeKeyIDs(t, env.Env, env.Org.ID)
			if len(after) != len(before)+20 {
				t.Errorf("active keys went from %d to %d, want 20 more", len(before), len(after))
			}
			for _, key := range keys {
				if !slices.Contains(after, key.ID) {
					t.Errorf("the returned key %s is not active on the server", key.ID)
				}
				// A create whose first answer was dropped got the replay: its
				// secret must be the one the server committed.
				if _, err := env.client(t, key.Secret).APIKeys.Read(ctx, key.ID); err != nil {
					t.Errorf("the secret of %s does not authenticate: %v", key.ID, err)
				}
			}
			stats := env.Server.Stats()
			if stats.Responses["dropped"] == 0 || stats.Requests["POST /v1/api-keys"] <= 20 {
				t.Errorf("stats %+v show no dropped create; the test proves nothing", stats)
			}
		})
	})

	t.Run("when connections drop after commit Revoke still answers", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := startInBubble(t, seeded)
			ctx := t.Context()
			client := env.client(t, env.HeadCoachKey)
			var ids []string
			for i := range 10 {
				ids = append(ids, create(t, client, astral.APIKeyCreateOptions{Name: fmt.Sprintf("revoked through drops %d", i)}).ID)
			}
			env.Server.SetFaults(sandbox.Faults{DropAfterCommitRate: 0.5})
			for _, id := range ids {
				key, err := client.APIKeys.Revoke(ctx, id)
				if err != nil || key.Status != astral.APIKeyStatusRevoked {
					t.Errorf("Revoke(%s) = %v, %v; want revoked", id, key, err)
				}
			}
			if env.Server.Stats().Responses["dropped"] == 0 {
				t.Error("no revoke was dropped; the test proves nothing")
			}
		})
	})

	t.Run("under the server's rate limit it waits and succeeds", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := startInBubble(t, seeded)
			// The client's own waits: the server's Retry-After of 1 s is honoured.
			client := env.client(t, env.HeadCoachKey, func(cfg *astral.Config) {
				cfg.MaxRetries = new(50)
				cfg.RetryWaitMin, cfg.RetryWaitMax = 0, 0
			})
			env.Server.SetFaults(sandbox.Faults{RateLimitPerSecond: 100})
			start := time.Now()
			for range 250 {
				if _, err := client.APIKeys.List(t.Context(), &astral.APIKeyListOptions{Limit: 1}); err != nil {
					t.Fatalf("List: %v", err)
				}
			}
			// The client paces itself to the policy the answers announce.
			stats := env.Server.Stats()
			if stats.Responses["429"] > 5 || stats.Responses["200"] != 250 {
				t.Errorf("responses %v, want at most five 429 and exactly 250 200", stats.Responses)
			}
			// The burst of 100 goes at once, the rest at the pace (2 % under
			// the limit); a 429 would have cost a second.
			if took, floor := time.Since(start), 150*time.Second/100; took < floor || took > floor*21/20 {
				t.Errorf("250 calls took %s, want the %s that the limit allows, within 5 %%", took, floor)
			}
		})
	})

	t.Run("when retries run out the server's error survives", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := startInBubble(t, seeded)
			client := env.client(t, env.HeadCoachKey, func(cfg *astral.Config) { cfg.MaxRetries = new(2) })
			env.Server.SetFaults(sandbox.Faults{ErrorRate: 1, ErrorStatus: 503})
			env.Server.ResetStats()
			_, err := client.APIKeys.ListAll(t.Context())
			var apiErr *astral.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Code != "unavailable" || !requestIDPattern.MatchString(apiErr.RequestID) {
				t.Fatalf("error %v, want the server's 503 unavailable with its request id", err)
			}
			if !errors.Is(err, astral.ErrServer) {
				t.Errorf("error %v is not ErrServer", err)
			}
			if n := requests(env.Env); n != 3 {
				t.Errorf("the server saw %d requests, want 3", n)
			}
		})
	})

	t.Run("a 400 is not retried", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := startInBubble(t, seeded)
			client := env.client(t, env.HeadCoachKey)
			env.Server.ResetStats()
			_, err := client.APIKeys.Create(t.Context(), astral.APIKeyCreateOptions{Name: ""})
			if !errors.Is(err, astral.ErrInvalidRequest) {
				t.Fatalf("error %v, want ErrInvalidRequest", err)
			}
			if n := env.Server.Stats().Requests["POST /v1/api-keys"]; n != 1 {
				t.Errorf("the server saw %d creates, want 1", n)
			}
		})
	})
}

// BenchmarkSandboxListAll lists an organization's keys from the reference
// server: the client's work plus the server's queries and encoding.
func BenchmarkSandboxListAll(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("%d keys", n), func(b *testing.B) {
			env := sandboxtest.Start(b)
			client := newClient(b, env, env.HeadCoachKey)
			ctx := context.Background()
			existing := len(activeKeyIDs(b, env, env.Org.ID))

			// Seeding goes through the API too; four creators keep it short.
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for w := range 4 {
				wg.Go(func() {
					for i := w; i < n-existing; i += 4 {
						if _, err := client.APIKeys.Create(ctx, astral.APIKeyCreateOptions{Name: fmt.Sprintf("bench %d", i)}); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			if err := <-errs; err != nil {
				b.Fatalf("seeding: %v", err)
			}

			b.ReportAllocs()
			for b.Loop() {
				keys, err := client.APIKeys.ListAll(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(keys) != n {
					b.Fatalf("listed %d keys, want %d", len(keys), n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
		})
	}
}
