package sandbox_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

// dial opens a connection to the sandbox, for a request written by hand as
// a slow or odd client writes it.
func dial(t *testing.T, base string) net.Conn {
	t.Helper()
	u, err := neturl.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c, err := (&net.Dialer{}).DialContext(context.Background(), "tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readAnswer reads the answer on c, waiting at most 10 s; nil when the
// sandbox closed the connection without one.
func readAnswer(t *testing.T, c net.Conn) *response {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil
	case err != nil:
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body, close: resp.Close}
}

// expectClosed checks that the sandbox closed c, having sent nothing more.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(make([]byte, 1))
	if n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("the connection is still open: read %d bytes, %v", n, err)
	}
}

// expectEnvelope checks that r is the API's error with code, as JSON.
func expectEnvelope(t *testing.T, r *response, status int, code string) {
	t.Helper()
	expectStatus(t, r, status)
	e := r.errorEnvelope(t)
	if e.Error.Code != code || e.Error.RequestID != r.header.Get("X-Request-Id") || !requestIDPattern.MatchString(e.Error.RequestID) {
		t.Errorf("error %+v, want code %q and the X-Request-Id", e.Error, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

// sessionCookie signs the head coach in to the app and returns the
// session's cookie and the page's CSRF token, for forms written by hand.
func sessionCookie(t *testing.T, env *sandboxtest.Env) (cookie, csrf string) {
	t.Helper()
	b := signIn(t, env, env.Org.Member(sandbox.RoleHeadCoach).ID)
	u, err := neturl.Parse(env.URL + securityPage)
	if err != nil {
		t.Fatal(err)
	}
	cookies := b.c.Jar.Cookies(u)
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	return cookies[0].String(), b.csrf()
}

// TestSlowClients checks that a client that sends its request slowly, or
// stops halfway, does not hold a connection: headers have HeaderTimeout, a
// body BodyTimeout, an idle connection IdleTimeout. A body that never comes
// is answered 408 where the answer can still be sent.
func TestSlowClients(t *testing.T) {
	const timeout = 300 * time.Millisecond
	env := sandboxtest.Start(t, func(o *sandbox.Options) {
		o.HeaderTimeout, o.BodyTimeout, o.IdleTimeout = timeout, timeout, timeout
	})
	admin := env.Server.AdminToken()
	cookie, csrf := sessionCookie(t, env)
	form := "csrf_token=" + neturl.QueryEscape(csrf) + "&name="
	tests := []struct {
		name    string
		request string // written, then nothing more
		status  int    // 0: the connection is closed without an answer
		code    string // the envelope's, for the API
		page    string // what the page says, for the app
	}{
		{name: "headers that never end", request: "GET /v1/me HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer " + env.HeadCoachKey + "\r\n"},
		{name: "a create whose body never comes", status: http.StatusRequestTimeout, code: "request_timeout",
			request: "POST /v1/api-keys HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer " + env.HeadCoachKey +
				"\r\nContent-Length: 40\r\n\r\n{\"name\":"},
		{name: "a chunked body that stops", status: http.StatusRequestTimeout, code: "request_timeout",
			request: "POST /v1/api-keys HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer " + env.HeadCoachKey +
				"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"nam\r\n"},
		{name: "an admin body that never comes", status: http.StatusRequestTimeout, code: "request_timeout",
			request: "POST /_sandbox/clock HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer " + admin +
				"\r\nContent-Length: 30\r\n\r\n{\"advance_"},
		{name: "an app form that never comes", status: http.StatusRequestTimeout, page: "The form did not arrive in time",
			request: "POST " + securityPage + " HTTP/1.1\r\nHost: sandbox\r\nCookie: " + cookie +
				"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n" + form},
	}
	t.Run("slow requests", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				slowRequest(t, env, timeout, tt.request, tt.status, tt.code, tt.page)
			})
		}
	})
	t.Run("an idle connection is closed", func(t *testing.T) {

		c := dial(t, env.URL)
		if _, err := io.WriteString(c, "GET /v1/me HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer "+env.HeadCoachKey+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if r := readAnswer(t, c); r == nil || r.status != http.StatusOK {
			t.Fatalf("answer %+v", r)
		}
		start := time.Now()
		expectClosed(t, c)
		if waited := time.Since(start); waited > timeout+5*time.Second {
			t.Errorf("closed after %v idle; the timeout is %v", waited, timeout)
		}
	})
	t.Run("no key was made and the stats count the API's 408s", func(t *testing.T) {
		if ids, err := env.Server.ActiveKeyIDs(context.Background(), env.Org.ID); err != nil || len(ids) != 3 {
			t.Errorf("active keys %v (%v), want the members' 3", ids, err)
		}
		if st := env.Server.Stats(); st.Responses["408"] != 2 {
			t.Errorf("stats %+v, want two 408 of the API", st)
		}
	})
}

// slowRequest writes request and nothing more, and checks the answer: none
// (status 0) or status with the envelope's code or a page, after timeout,
// ending the connection.
func slowRequest(t *testing.T, env *sandboxtest.Env, timeout time.Duration, request string, status int, code, page string) {
	t.Helper()
	c := dial(t, env.URL)
	start := time.Now()
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	r := readAnswer(t, c)
	if waited := time.Since(start); waited < timeout || waited > timeout+5*time.Second {
		t.Errorf("answered after %v; the timeout is %v", waited, timeout)
	}
	switch {
	case status == 0 && r != nil:
		t.Fatalf("answered %d: %s", r.status, r.body)
	case status == 0:
		return
	case r == nil:
		t.Fatalf("closed without an answer, want %d", status)
	case code != "":
		expectEnvelope(t, r, status, code)
	default:
		expectPage(t, r, status, page)
	}
	if !r.close {
		t.Error("the answer does not say Connection: close")
	}
	expectClosed(t, c)
}

// waitForStatus waits until the stats count a response with status, as
// they do once its handler is done.
func waitForStatus(t *testing.T, srv *sandbox.Server, status string) sandbox.Stats {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := srv.Stats()
		if st.Responses[status] > 0 {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s counted: %+v", status, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClientGone checks that a request whose client went away before the
// answer counts as 499 ("client closed request"), never as a server fault
// (500) or a refusal of the client's request (400, 503), and creates nothing.
func TestClientGone(t *testing.T) {
	type setup struct {
		env  *sandboxtest.Env
		send func(t *testing.T, env *sandboxtest.Env) // makes the request and goes away
	}
	// leave sends a request, whose client gives up after 100 ms.
	leave := func(method, body string) func(t *testing.T, env *sandboxtest.Env) {
		return func(t *testing.T, env *sandboxtest.Env) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, method, env.URL+"/v1/api-keys", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", bearer(env.HeadCoachKey))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				t.Fatalf("answered %d", resp.StatusCode)
			}
		}
	}
	tests := []struct {
		name  string
		route string
		setup func(t *testing.T) setup
	}{
		{"a create whose body stops, then its client leaves", "POST /v1/api-keys", func(t *testing.T) setup {
			return setup{env: sandboxtest.Start(t), send: func(t *testing.T, env *sandboxtest.Env) {
				c := dial(t, env.URL)
				if _, err := io.WriteString(c, "POST /v1/api-keys HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer "+
					env.HeadCoachKey+"\r\nContent-Length: 40\r\n\r\n{\"name\":"); err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond)
				c.Close()
			}}
		}},
		// A create's client that leaves during the latency is seen when its
		// body is read, after it: a listing's is seen at once.
		{"a listing under a latency fault", "GET /v1/api-keys", func(t *testing.T) setup {
			env := sandboxtest.Start(t)
			env.Server.SetFaults(sandbox.Faults{LatencyMS: 60_000})
			return setup{env: env, send: leave(http.MethodGet, "")}
		}},
		{"a create waiting for a database another process holds", "POST /v1/api-keys", func(t *testing.T) setup {
			path := filepath.Join(t.TempDir(), "sandbox.db")
			env := sandboxtest.Start(t, func(o *sandbox.Options) { o.DBPath = path })
			// A use of the key now spares the create's authentication a write.
			expectStatus(t, do(t, env.URL, request{method: http.MethodGet, path: "/v1/me", auth: bearer(env.HeadCoachKey)}), http.StatusOK)
			holdWriteLock(t, path)
			return setup{env: env, send: leave(http.MethodPost, `{"name":"gone"}`)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.setup(t)
			s.send(t, s.env)
			st := waitForStatus(t, s.env.Server, "499")
			if st.Responses["499"] != 1 || st.Responses["500"]+st.Responses["503"]+st.Responses["400"] != 0 {
				t.Errorf("stats %+v, want one 499", st)
			}
			if st.Requests[tt.route] != 1 {
				t.Errorf("stats %+v, want the %s counted", st, tt.route)
			}
			if ids, err := s.env.Server.ActiveKeyIDs(context.Background(), s.env.Org.ID); err != nil || len(ids) != 3 {
				t.Errorf("active keys %v (%v), want the members' 3", ids, err)
			}
		})
	}
}

// holdWriteLock takes SQLite's write lock on the database file, as another
// process (an operator's sqlite3 shell) can, until the test ends; the
// sandbox waits for it (busy_timeout) up to 5 s, then fails.
func holdWriteLock(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.ExecContext(context.Background(), `ROLLBACK`)
		conn.Close()
		db.Close()
	})
}

// TestCacheControl checks that no answer of the API or the admin surface may
// be stored by a cache: some hold a secret (a create, its replay, a new
// organization's keys), all are one caller's.
func TestCacheControl(t *testing.T) {
	env := sandboxtest.Start(t)
	head := bearer(env.HeadCoachKey)
	admin := bearer(env.Server.AdminToken())
	idem := map[string]string{"Idempotency-Key": "cached"}
	k := createKey(t, env, `{"name":"read"}`)
	for _, rq := range []struct {
		name string
		request
	}{
		{"a create", request{method: http.MethodPost, path: "/v1/api-keys", auth: head, body: `{"name":"a"}`, header: idem}},
		{"its replay", request{method: http.MethodPost, path: "/v1/api-keys", auth: head, body: `{"name":"a"}`, header: idem}},
		{"a listing", request{method: http.MethodGet, path: "/v1/api-keys", auth: head}},
		{"a lookup by Idempotency-Key", request{method: http.MethodGet, path: "/v1/api-keys?idempotency_key=cached", auth: head}},
		{"a read", request{method: http.MethodGet, path: "/v1/api-keys/" + k.ID, auth: head}},
		{"a revoke", request{method: http.MethodDelete, path: "/v1/api-keys/" + k.ID, auth: head}},
		{"who am I", request{method: http.MethodGet, path: "/v1/me", auth: head}},
		{"a 400", request{method: http.MethodPost, path: "/v1/api-keys", auth: head, body: `{}`}},
		{"a 401", request{method: http.MethodGet, path: "/v1/me"}},
		{"a 404 of a route", request{method: http.MethodGet, path: "/v1/nowhere"}},
		{"a 405", request{method: http.MethodPut, path: "/v1/me"}},
		{"outside every route", request{method: http.MethodGet, path: "/"}},
		{"a new organization with its keys", request{method: http.MethodPost, path: "/_sandbox/organizations", auth: admin,
			body: `{"name":"Cached Club","plan":"coach"}`}},
		{"a sign-in link", request{method: http.MethodPost, path: "/_sandbox/members/" + env.Org.Members[0].ID + "/sign-in-link", auth: admin}},
		{"the stats", request{method: http.MethodGet, path: "/_sandbox/stats", auth: admin}},
	} {
		t.Run(rq.name, func(t *testing.T) {
			r := do(t, env.URL, rq.request)
			if got := r.header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
				t.Errorf("status %d: Cache-Control %q, want no-store", r.status, got)
			}
		})
	}
	t.Run("the app's static files may be kept, if revalidated", func(t *testing.T) {
		r := do(t, env.URL, request{method: http.MethodGet, path: "/app/static/app.css"})
		if got := r.header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-cache" {
			t.Errorf("Cache-Control %q", got)
		}
	})
}

// TestHTTPLayerRefusals checks that refusals net/http would make in plain
// text, or by dropping the connection, are the sandbox's own, in the
// envelope: each request here is written by hand.
func TestHTTPLayerRefusals(t *testing.T) {
	env := sandboxtest.Start(t)
	auth := "\r\nHost: sandbox\r\nAuthorization: Bearer " + env.HeadCoachKey
	tests := []struct {
		name    string
		request string
		status  int
		code    string
	}{
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: sandbox\r\n\r\n", 404, "not_found"},
		{"a Content-Length over 64 KiB, refused before its body", "POST /v1/api-keys HTTP/1.1" + auth +
			"\r\nContent-Length: 1000000\r\n\r\n", 413, "request_too_large"},
		{"an admin body over 64 KiB by Content-Length", "POST /_sandbox/organizations HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer " +
			env.Server.AdminToken() + "\r\nContent-Length: 70000\r\n\r\n", 413, "request_too_large"},
		{"a chunked body over 64 KiB", "POST /v1/api-keys HTTP/1.1" + auth + "\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n" +
			strings.Repeat(" ", 0x10001) + "\r\n0\r\n\r\n", 413, "request_too_large"},
		{"a malformed chunked body", "POST /v1/api-keys HTTP/1.1" + auth + "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "invalid_request"},
		{"a path outside every route", "GET /v2/api-keys HTTP/1.1\r\nHost: sandbox\r\n\r\n", 404, "not_found"},
		{"an unknown method", "BREW /v1/api-keys HTTP/1.1\r\nHost: sandbox\r\n\r\n", 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, env.URL)
			if _, err := io.WriteString(c, tt.request); err != nil {
				t.Fatal(err)
			}
			r := readAnswer(t, c)
			if r == nil {
				t.Fatal("closed without an answer")
			}
			expectEnvelope(t, r, tt.status, tt.code)
		})
	}
}

// TestAppBodyLimits checks the app's form against the API's body rules:
// over 64 KiB is 413, with a page that says so.
func TestAppBodyLimits(t *testing.T) {
	env := sandboxtest.Start(t)
	b := signIn(t, env, env.Org.Member(sandbox.RoleHeadCoach).ID)
	r := b.post(securityPage, neturl.Values{"csrf_token": {b.csrf()}, "name": {strings.Repeat("n", 70000)}})
	expectPage(t, r, http.StatusRequestEntityTooLarge, "The form is too large")
	var st sandbox.Stats
	if err := json.Unmarshal(do(t, env.URL, request{method: http.MethodGet, path: "/_sandbox/stats",
		auth: bearer(env.Server.AdminToken())}).body, &st); err != nil || len(st.Responses) != 0 {
		t.Errorf("the app counted in the API's stats: %+v (%v)", st, err)
	}
}
