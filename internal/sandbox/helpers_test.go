package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

var (
	requestIDPattern = regexp.MustCompile(`^req_[0-9A-HJKMNP-TV-Z]{26}$`)
	keyIDPattern     = regexp.MustCompile(`^key_[0-7][0-9A-HJKMNP-TV-Z]{25}$`)
	secretPattern    = regexp.MustCompile(`^astral_live_[A-Za-z0-9]{32}$`)
)

// fakeClock is a base clock that only moves when told, so that tests of
// expiry, last_used_at and rate limits do not depend on wall time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func withClock(c *fakeClock) func(*sandbox.Options) {
	return func(o *sandbox.Options) { o.Now = c.Now }
}

// response is an answer of the sandbox, decoded.
type response struct {
	status int
	header http.Header
	body   []byte
	close  bool // the answer ends the connection (Connection: close)
}

type errorEnvelope struct {
	Error struct {
		Code      string  `json:"code"`
		Message   string  `json:"message"`
		Param     *string `json:"param"`
		RequestID string  `json:"request_id"`
	} `json:"error"`
}

type keyObject struct {
	ID             string  `json:"id"`
	OrganizationID string  `json:"organization_id"`
	Name           string  `json:"name"`
	Status         string  `json:"status"`
	SecretHint     string  `json:"secret_hint"`
	Secret         *string `json:"secret"`
	CreatedAt      string  `json:"created_at"`
	CreatedBy      struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"created_by"`
	ExpiresAt  *string `json:"expires_at"`
	RevokedAt  *string `json:"revoked_at"`
	LastUsedAt *string `json:"last_used_at"`
}

type keyPage struct {
	Data       []keyObject `json:"data"`
	NextCursor *string     `json:"next_cursor"`
}

// request is one HTTP call; auth is the whole Authorization value or "".
type request struct {
	method, path, auth, body string
	header                   map[string]string
}

func bearer(secret string) string { return "Bearer " + secret }

func do(t testing.TB, base string, rq request) *response {
	t.Helper()
	r, err := send(base, rq)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// send is do for goroutines other than the test's, which may not call Fatal.
func send(base string, rq request) (*response, error) {
	req, err := http.NewRequestWithContext(context.Background(), rq.method, base+rq.path, strings.NewReader(rq.body))
	if err != nil {
		return nil, err
	}
	if rq.auth != "" {
		req.Header.Set("Authorization", rq.auth)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

func (r *response) errorEnvelope(t testing.TB) errorEnvelope {
	t.Helper()
	var e errorEnvelope
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("status %d: body is not an error envelope: %s", r.status, r.body)
	}
	return e
}

func (r *response) key(t testing.TB) keyObject {
	t.Helper()
	var k keyObject
	if err := json.Unmarshal(r.body, &k); err != nil {
		t.Fatalf("status %d: body is not a key: %s", r.status, r.body)
	}
	return k
}

func (r *response) page(t testing.TB) keyPage {
	t.Helper()
	var p keyPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("status %d: body is not a page: %s", r.status, r.body)
	}
	return p
}

func expectStatus(t testing.TB, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// createKey creates a key with the head coach's secret and returns it.
func createKey(t testing.TB, env *sandboxtest.Env, body string) keyObject {
	t.Helper()
	r := do(t, env.URL, request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey), body: body})
	expectStatus(t, r, http.StatusCreated)
	return r.key(t)
}

func revokeKey(t testing.TB, env *sandboxtest.Env, id string) keyObject {
	t.Helper()
	r := do(t, env.URL, request{method: http.MethodDelete, path: "/v1/api-keys/" + id, auth: bearer(env.HeadCoachKey)})
	expectStatus(t, r, http.StatusOK)
	return r.key(t)
}

// listAll follows next_cursor to the end with the given secret.
func listAll(t testing.TB, base, secret string, limit int) []keyObject {
	t.Helper()
	var all []keyObject
	path := "/v1/api-keys?limit=" + strconv.Itoa(limit)
	for {
		r := do(t, base, request{method: http.MethodGet, path: path, auth: bearer(secret)})
		expectStatus(t, r, http.StatusOK)
		p := r.page(t)
		all = append(all, p.Data...)
		if p.NextCursor == nil {
			return all
		}
		path = "/v1/api-keys?limit=" + strconv.Itoa(limit) + "&cursor=" + *p.NextCursor
	}
}

func memberKeyIDs(org *sandbox.Organization) []string {
	var ids []string
	for _, m := range org.Members {
		ids = append(ids, m.APIKeyID)
	}
	return ids
}
