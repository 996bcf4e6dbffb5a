package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

const securityPage = "/app/settings/security"

var (
	csrfPattern      = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	formTokenPattern = regexp.MustCompile(`name="form_token" value="([^"]+)"`)
	shownSecret      = regexp.MustCompile(`<code id="new-secret">(astral_live_[A-Za-z0-9]{32})</code>`)
	signInLinkSuffix = regexp.MustCompile(`^/app/sign-in/[A-Za-z0-9_-]{43}$`)
)

// browser is a member's browser: a cookie jar that follows redirects.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
}

func newBrowser(t testing.TB, base string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, c: &http.Client{Jar: jar}}
}

// signIn opens a new sign-in link of the member in a new browser and
// presses its Sign in button.
func signIn(t testing.TB, env *sandboxtest.Env, memberID string) *browser {
	t.Helper()
	b := newBrowser(t, env.URL)
	b.useLink(env.SignInURL(t, memberID))
	return b
}

// useLink opens a sign-in link and presses its page's Sign in button,
// which posts to the link, and returns the page it lands on.
func (b *browser) useLink(link string) *response {
	b.t.Helper()
	if page := b.open(http.MethodGet, link, nil); page.status != http.StatusOK || !bytes.Contains(page.body, []byte(`id="sign-in"`)) {
		b.t.Fatalf("the sign-in link's page: status %d: %s", page.status, page.body)
	}
	r := b.open(http.MethodPost, link, url.Values{})
	if r.status != http.StatusOK && r.status != http.StatusForbidden {
		b.t.Fatalf("sign in: status %d: %s", r.status, r.body)
	}
	return r
}

func (b *browser) open(method, u string, form url.Values) *response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}
}

func (b *browser) get(path string) *response { return b.open(http.MethodGet, b.base+path, nil) }

func (b *browser) post(path string, form url.Values) *response {
	return b.open(http.MethodPost, b.base+path, form)
}

// csrf is the token of the page's forms.
func (b *browser) csrf() string {
	b.t.Helper()
	m := csrfPattern.FindSubmatch(b.get(securityPage).body)
	if m == nil {
		b.t.Fatal("the Security page has no CSRF token")
	}
	return string(m[1])
}

// form is the New API key form of a Security page just opened, filled in:
// its CSRF token and its one-time form token with the name and date.
func (b *browser) form(name, expiresOn string) url.Values {
	b.t.Helper()
	page := b.get(securityPage).body
	csrf := csrfPattern.FindSubmatch(page)
	if csrf == nil {
		b.t.Fatalf("the Security page has no CSRF token:\n%s", page)
	}
	form := url.Values{"csrf_token": {string(csrf[1])}, "name": {name}, "expires_on": {expiresOn}}
	// A member who may not manage keys has no create form, and its token.
	if token := formTokenPattern.FindSubmatch(page); token != nil {
		form.Set("form_token", string(token[1]))
	}
	return form
}

// create submits the New API key form and follows the answer's redirect.
func (b *browser) create(name, expiresOn string) *response {
	return b.post(securityPage, b.form(name, expiresOn))
}

func expectPage(t testing.TB, r *response, status int, wants ...string) {
	t.Helper()
	expectStatus(t, r, status)
	for _, w := range wants {
		if !bytes.Contains(r.body, []byte(w)) {
			t.Errorf("the page does not say %q:\n%s", w, r.body)
		}
	}
}

func TestAppSignIn(t *testing.T) {
	clock := newFakeClock()
	env := sandboxtest.Start(t, withClock(clock))
	head := env.Org.Member(sandbox.RoleHeadCoach)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	t.Run("opening a link shows whom it signs in, sets no cookie and spends nothing", func(t *testing.T) {
		link := env.SignInURL(t, head.ID)
		if !signInLinkSuffix.MatchString(strings.TrimPrefix(link, env.URL)) {
			t.Fatalf("link %s", link)
		}
		// As a mail scanner or a chat's link preview would, then the person.
		for range 2 {
			resp, err := noRedirect.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			page := &response{status: resp.StatusCode, header: resp.Header, body: body}
			expectPage(t, page, http.StatusOK, "Sign in to Test Rowing Club", "Dana Ortiz</strong>, head coach of Test Rowing Club",
				`<form method="post" action="`+strings.TrimPrefix(link, env.URL)+`"`, `<button type="submit" id="sign-in">Sign in as Dana Ortiz</button>`)
			if len(resp.Cookies()) != 0 {
				t.Errorf("opening the link set cookies %v", resp.Cookies())
			}
		}
		expectPage(t, newBrowser(t, env.URL).useLink(link), http.StatusOK, "API keys", "Dana Ortiz")
	})
	t.Run("the link's button sets a Lax, HttpOnly, expiring session cookie and opens the Security page", func(t *testing.T) {
		link := env.SignInURL(t, head.ID)
		resp, err := noRedirect.Post(link, "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != securityPage {
			t.Fatalf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		cookies := resp.Cookies()
		if len(cookies) != 1 {
			t.Fatalf("cookies %v", cookies)
		}
		c := cookies[0]
		if c.Name != "astral_session" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 12*3600 || c.Path != "/app/" {
			t.Errorf("cookie %s", c.String())
		}
	})
	t.Run("a link works once", func(t *testing.T) {
		link := env.SignInURL(t, head.ID)
		expectPage(t, newBrowser(t, env.URL).useLink(link), http.StatusOK, "API keys", "Dana Ortiz")
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			expectPage(t, newBrowser(t, env.URL).open(method, link, url.Values{}), http.StatusUnauthorized, "does not work")
		}
	})
	t.Run("a link expires after 15 minutes of the sandbox's clock", func(t *testing.T) {
		link := env.SignInURL(t, head.ID)
		clock.Advance(15 * time.Minute)
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			expectPage(t, newBrowser(t, env.URL).open(method, link, url.Values{}), http.StatusUnauthorized, "does not work")
		}
	})
	t.Run("a sign-in posted by another site is refused and spends nothing", func(t *testing.T) {
		link := env.SignInURL(t, head.ID)
		for _, h := range []http.Header{
			{"Sec-Fetch-Site": {"cross-site"}},
			{"Sec-Fetch-Site": {"same-site"}},
			{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"null"}},
			{"Origin": {"http://localhost:1"}},
		} {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, link, strings.NewReader(""))
			if err != nil {
				t.Fatal(err)
			}
			req.Header = h
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
				t.Errorf("%v: status %d, cookies %v", h, resp.StatusCode, resp.Cookies())
			}
		}
		// From the link's own page, as a browser sends it.
		b := newBrowser(t, env.URL)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, link, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		// The page's Referrer-Policy is no-referrer, so its origin is "null".
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", "null")
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != securityPage {
			t.Errorf("from the link's page: status %d at %s", resp.StatusCode, resp.Request.URL)
		}
	})
	t.Run("a session ends after 12 hours of the sandbox's clock", func(t *testing.T) {
		b := signIn(t, env, head.ID)
		clock.Advance(12*time.Hour - time.Second)
		expectPage(t, b.get(securityPage), http.StatusOK, "API keys")
		clock.Advance(time.Second)
		expectPage(t, b.get(securityPage), http.StatusUnauthorized, "Sign in")
	})
	t.Run("without a session the page asks for a sign-in link", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		expectPage(t, b.get(securityPage), http.StatusUnauthorized, "Sign in", "/_sandbox/members/{id}/sign-in-link")
		expectPage(t, b.post(securityPage, url.Values{"name": {"x"}}), http.StatusUnauthorized, "Sign in")
	})
	t.Run("signing out ends the session", func(t *testing.T) {
		b := signIn(t, env, head.ID)
		expectPage(t, b.post("/app/sign-out", url.Values{"csrf_token": {b.csrf()}}), http.StatusOK, "Signed out")
		expectPage(t, b.get(securityPage), http.StatusUnauthorized, "Sign in")
	})
	t.Run("the admin surface mints a link for any member", func(t *testing.T) {
		path := "/_sandbox/members/" + head.ID + "/sign-in-link"
		expectStatus(t, do(t, env.URL, request{method: http.MethodPost, path: path, auth: bearer(env.HeadCoachKey)}), http.StatusUnauthorized)
		expectStatus(t, do(t, env.URL, request{method: http.MethodPost, path: "/_sandbox/members/mem_nobody/sign-in-link",
			auth: bearer(env.Server.AdminToken())}), http.StatusNotFound)
		r := do(t, env.URL, request{method: http.MethodPost, path: path, auth: bearer(env.Server.AdminToken())})
		expectStatus(t, r, http.StatusCreated)
		var v struct {
			MemberID  string `json:"member_id"`
			AppURL    string `json:"app_url"`
			ExpiresAt string `json:"expires_at"`
		}
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatal(err)
		}
		if want := clock.Now().Add(15 * time.Minute).Format(time.RFC3339); v.MemberID != head.ID || v.ExpiresAt != want ||
			!signInLinkSuffix.MatchString(strings.TrimPrefix(v.AppURL, env.URL)) {
			t.Errorf("%s, want expires_at %s", r.body, want)
		}
		expectPage(t, newBrowser(t, env.URL).useLink(v.AppURL), http.StatusOK, "Dana Ortiz")
	})
	t.Run("a new organization's members come with links", func(t *testing.T) {
		r := do(t, env.URL, request{method: http.MethodPost, path: "/_sandbox/organizations", auth: bearer(env.Server.AdminToken()),
			body: `{"name":"Linked Club","plan":"team"}`})
		expectStatus(t, r, http.StatusCreated)
		var org sandbox.Organization
		if err := json.Unmarshal(r.body, &org); err != nil {
			t.Fatal(err)
		}
		for _, m := range org.Members {
			if !signInLinkSuffix.MatchString(strings.TrimPrefix(m.AppURL, env.URL)) {
				t.Errorf("%s's app_url %q", m.Role, m.AppURL)
			}
		}
		expectPage(t, newBrowser(t, env.URL).useLink(org.Members[0].AppURL), http.StatusOK, "Linked Club")
	})
}

func TestAppHeaders(t *testing.T) {
	env := sandboxtest.Start(t)
	b := signIn(t, env, env.Org.Member(sandbox.RoleHeadCoach).ID)
	for name, r := range map[string]*response{
		"the page":              b.get(securityPage),
		"the page of a new key": b.create("headers", ""),
		"an unknown page":       b.get("/app/nowhere"),
		"a refused form":        b.post(securityPage, url.Values{"name": {"x"}}),
		"a page signed out":     newBrowser(t, env.URL).get(securityPage),
	} {
		t.Run(name, func(t *testing.T) {
			h := r.header
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("Content-Security-Policy %q allows inline code", csp)
			}
			for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
				"Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8"} {
				if got := h.Get(k); got != want {
					t.Errorf("%s %q, want %q", k, got, want)
				}
			}
			if bytes.Contains(r.body, []byte("<script>")) {
				t.Error("the page has inline script")
			}
		})
	}
	t.Run("the copy button's script is a file of its own", func(t *testing.T) {
		r := b.get("/app/static/app.js")
		expectPage(t, r, http.StatusOK, "navigator.clipboard")
		if got := r.header.Get("Content-Type"); got != "text/javascript; charset=utf-8" {
			t.Errorf("Content-Type %q", got)
		}
	})
	t.Run("the app does not count in the API's stats", func(t *testing.T) {
		st := env.Server.Stats()
		if len(st.Requests) != 0 || len(st.Responses) != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestAppCreateAndRevoke(t *testing.T) {
	clock := newFakeClock()
	env := sandboxtest.Start(t, withClock(clock))
	b := signIn(t, env, env.Org.Member(sandbox.RoleHeadCoach).ID)

	r := b.create("Roster sync script", "2027-02-23")
	expectPage(t, r, http.StatusOK, "Roster sync script", "will not be shown again")
	m := shownSecret.FindSubmatch(r.body)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", r.body)
	}
	secret := string(m[1])
	t.Run("the secret authenticates against the API", func(t *testing.T) {
		k := callerKey(t, env, secret)
		if k.Name != "Roster sync script" || k.ExpiresAt == nil || *k.ExpiresAt != "2027-02-23T00:00:00Z" ||
			k.CreatedBy.Name != "Dana Ortiz" || k.SecretHint != secret[len(secret)-4:] {
			t.Errorf("key %+v", k)
		}
	})
	var id string
	for _, k := range listAll(t, env.URL, env.HeadCoachKey, 100) {
		if k.Name == "Roster sync script" {
			id = k.ID
		}
	}
	if id == "" {
		t.Fatal("the API does not list the key made in the page")
	}
	t.Run("the page lists it, and never shows the secret again", func(t *testing.T) {
		page := b.get(securityPage)
		expectPage(t, page, http.StatusOK, `data-key-id="`+id+`"`, "2027-02-23 00:00 UTC", "…"+secret[len(secret)-4:])
		if bytes.Contains(page.body, []byte(secret)) || bytes.Contains(page.body, []byte("new-secret")) {
			t.Error("a later page shows the secret")
		}
	})
	t.Run("the page shows each key's ID as text, with a copy button that its script shows", func(t *testing.T) {
		page := b.get(securityPage)
		// Without script the ID is text to select; the button, which only
		// the script can make work, stays hidden until the script runs.
		expectPage(t, page, http.StatusOK, `<code class="key-id" id="id-`+id+`">`+id+`</code>`,
			`<button type="button" class="copy" data-copy="id-`+id+`" id="copy-`+id+`" aria-labelledby="copy-`+id+` name-`+id+`" hidden>Copy ID</button>`,
			`<td class="name" id="name-`+id+`">Roster sync script</td>`, `role="status" id="copy-status"`)
		expectPage(t, b.get(securityPage+"/keys/"+id+"/revoke"), http.StatusOK, `<code class="key-id">`+id+`</code>`)
	})
	t.Run("names are shown as text", func(t *testing.T) {
		page := b.create(`<script>alert(1)</script>`, "")
		expectPage(t, page, http.StatusOK, "&lt;script&gt;alert(1)&lt;/script&gt;")
		if bytes.Contains(page.body, []byte("<script>alert")) {
			t.Error("the name is not escaped")
		}
	})
	t.Run("the API's rules refuse a bad name or date", func(t *testing.T) {
		before := len(listAll(t, env.URL, env.HeadCoachKey, 100))
		expectPage(t, b.create("   ", ""), http.StatusBadRequest, "name must not be empty or only white space")
		expectPage(t, b.create(strings.Repeat("n", 101), ""), http.StatusBadRequest, "at most 100 characters")
		expectPage(t, b.create("ok", "2026-11-25"), http.StatusBadRequest, "must be after 2026-11-25")
		expectPage(t, b.create("ok", "tomorrow"), http.StatusBadRequest, "a date such as")
		if after := len(listAll(t, env.URL, env.HeadCoachKey, 100)); after != before {
			t.Errorf("%d keys, was %d", after, before)
		}
		expectPage(t, b.create("ok", "2026-11-26"), http.StatusOK, "will not be shown again")
	})
	t.Run("revoking in the page revokes in the API", func(t *testing.T) {
		expectPage(t, b.get(securityPage+"/keys/"+id+"/revoke"), http.StatusOK, "Revoke “Roster sync script”?")
		page := b.post(securityPage+"/keys/"+id+"/revoke", url.Values{"csrf_token": {b.csrf()}})
		expectPage(t, page, http.StatusOK, "is revoked")
		if bytes.Contains(page.body, []byte(`data-key-id="`+id+`"`)) {
			t.Error("the list still shows the revoked key")
		}
		r := do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys/" + id, auth: bearer(env.HeadCoachKey)})
		expectStatus(t, r, http.StatusOK)
		if k := r.key(t); k.Status != "revoked" || k.RevokedAt == nil {
			t.Errorf("key %+v", k)
		}
		expectStatus(t, do(t, env.URL, request{method: http.MethodGet, path: "/v1/me", auth: bearer(secret)}), http.StatusUnauthorized)
	})
	t.Run("another organization's key or a malformed id is not found", func(t *testing.T) {
		other, err := env.Server.CreateOrganization(context.Background(), "Other Club", sandbox.PlanCoach)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{other.Members[0].APIKeyID, "key_nope"} {
			expectStatus(t, b.get(securityPage+"/keys/"+k+"/revoke"), http.StatusNotFound)
			expectStatus(t, b.post(securityPage+"/keys/"+k+"/revoke", url.Values{"csrf_token": {b.csrf()}}), http.StatusNotFound)
		}
		expectStatus(t, do(t, env.URL, request{method: http.MethodGet, path: "/v1/me", auth: bearer(other.Members[0].APIKey)}), http.StatusOK)
	})
}

func TestAppCSRF(t *testing.T) {
	env := sandboxtest.Start(t)
	head := env.Org.Member(sandbox.RoleHeadCoach)
	b := signIn(t, env, head.ID)
	other := signIn(t, env, head.ID)
	before := len(listAll(t, env.URL, env.HeadCoachKey, 100))
	for name, token := range map[string][]string{
		"without a token":              nil,
		"with an empty token":          {""},
		"with another session's token": {other.csrf()},
		"with a token twice":           {b.csrf(), b.csrf()},
	} {
		t.Run(name, func(t *testing.T) {
			form := url.Values{"name": {"forged"}}
			if token != nil {
				form["csrf_token"] = token
			}
			expectPage(t, b.post(securityPage, form), http.StatusForbidden, "The form was refused")
			expectPage(t, b.post(securityPage+"/keys/"+head.APIKeyID+"/revoke", form), http.StatusForbidden, "The form was refused")
			expectPage(t, b.post("/app/sign-out", form), http.StatusForbidden, "The form was refused")
		})
	}
	if after := len(listAll(t, env.URL, env.HeadCoachKey, 100)); after != before {
		t.Errorf("%d keys, was %d: a forged form changed something", after, before)
	}
}

func TestAppRoleAndPlan(t *testing.T) {
	env := sandboxtest.Start(t)
	ctx := context.Background()
	before := len(listAll(t, env.URL, env.HeadCoachKey, 100))
	for _, role := range []sandbox.Role{sandbox.RoleCoach, sandbox.RoleAthlete} {
		t.Run(string(role)+" sees why they cannot manage keys", func(t *testing.T) {
			m := env.Org.Member(role)
			b := signIn(t, env, m.ID)
			page := b.get(securityPage)
			expectPage(t, page, http.StatusForbidden, "Only the head coach of Test Rowing Club", m.Name)
			if bytes.Contains(page.body, []byte(`id="keys"`)) || bytes.Contains(page.body, []byte(`id="new-key"`)) {
				t.Error("the page shows the keys or the form")
			}
			expectPage(t, b.create("not mine", ""), http.StatusForbidden, "Only the head coach")
			expectStatus(t, b.get(securityPage+"/keys/"+m.APIKeyID+"/revoke"), http.StatusForbidden)
			expectStatus(t, b.post(securityPage+"/keys/"+m.APIKeyID+"/revoke", url.Values{"csrf_token": {b.csrf()}}), http.StatusForbidden)
		})
	}
	if after := len(listAll(t, env.URL, env.HeadCoachKey, 100)); after != before {
		t.Errorf("%d keys, was %d", after, before)
	}
	t.Run("the role is read at every request", func(t *testing.T) {
		coach := env.Org.Member(sandbox.RoleCoach)
		b := signIn(t, env, coach.ID)
		if err := env.Server.SetRole(ctx, coach.ID, sandbox.RoleHeadCoach); err != nil {
			t.Fatal(err)
		}
		expectPage(t, b.get(securityPage), http.StatusOK, `id="new-key"`)
	})
	t.Run("a free organization sees that the Coach plan is needed, before the role", func(t *testing.T) {
		if err := env.Server.SetPlan(ctx, env.Org.ID, sandbox.PlanFree); err != nil {
			t.Fatal(err)
		}
		for _, m := range env.Org.Members {
			b := signIn(t, env, m.ID)
			expectPage(t, b.get(securityPage), http.StatusForbidden, "need the Coach plan", "Free plan")
			expectPage(t, b.create("free", ""), http.StatusForbidden, "need the Coach plan")
		}
	})
}

func TestAppLogsHoldNoSecret(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env := sandboxtest.Start(t, func(o *sandbox.Options) { o.Logger = logger })
	head := env.Org.Member(sandbox.RoleHeadCoach)
	link := env.SignInURL(t, head.ID)
	token := link[strings.LastIndex(link, "/")+1:]
	b := newBrowser(t, env.URL)
	b.useLink(link)
	b.open(http.MethodGet, link, nil)
	created := b.create("logged", "")
	secret := string(shownSecret.FindSubmatch(created.body)[1])
	b.get(securityPage + "/keys/" + head.APIKeyID + "/revoke")
	b.post(securityPage+"/keys/"+head.APIKeyID+"/revoke", url.Values{"csrf_token": {b.csrf()}})
	b.post(securityPage, url.Values{"name": {"forged"}})
	u, _ := url.Parse(env.URL + securityPage)
	session := b.c.Jar.Cookies(u)
	if len(session) != 1 {
		t.Fatalf("cookies %v", session)
	}
	formToken := b.form("", "").Get("form_token")
	for _, bad := range []string{token, secret, session[0].Value, b.csrf(), formToken, "astral_live_", "/app/sign-in/" + token[:8]} {
		if strings.Contains(logs.String(), bad) {
			t.Errorf("the logs hold %q", bad)
		}
	}
	if !strings.Contains(logs.String(), `"route":"/app/sign-in/{token}"`) {
		t.Errorf("no log line names the sign-in route:\n%s", logs.String())
	}
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// callerKey is the key whose secret is secret, as GET /v1/me shows it: the
// secret authenticates against the API.
func callerKey(t *testing.T, env *sandboxtest.Env, secret string) keyObject {
	t.Helper()
	me := do(t, env.URL, request{method: http.MethodGet, path: "/v1/me", auth: bearer(secret)})
	expectStatus(t, me, http.StatusOK)
	var id struct {
		APIKey keyObject `json:"api_key"`
	}
	if err := json.Unmarshal(me.body, &id); err != nil {
		t.Fatal(err)
	}
	return id.APIKey
}

// altered changes one character of a token's nonce.
func altered(token string) string {
	c := byte('A')
	if token[5] == c {
		c = 'B'
	}
	return token[:5] + string(c) + token[6:]
}

// noRedirects is b's browser that stops at a redirect, to see it.
func (b *browser) noRedirects() *browser {
	c := *b.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: b.t, base: b.base, c: &c}
}

// TestAppCreateOnce checks that the create form survives being sent again:
// the create answers 303 to a page that shows the secret once; reloading
// that page, or sending the same form again, creates no second key.
func TestAppCreateOnce(t *testing.T) {
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "sandbox.db")
	env := sandboxtest.Start(t, withClock(clock), func(o *sandbox.Options) { o.DBPath = path })
	head := env.Org.Member(sandbox.RoleHeadCoach)
	b := signIn(t, env, head.ID)
	keyCount := func() int {
		t.Helper()
		return len(listAll(t, env.URL, env.HeadCoachKey, 100))
	}
	before := keyCount()

	form := b.form("Sent once", "")
	created := b.noRedirects().post(securityPage, form)
	expectStatus(t, created, http.StatusSeeOther)
	location := created.header.Get("Location")
	if !regexp.MustCompile(`^` + securityPage + `\?created=key_[0-9A-Z]{26}$`).MatchString(location) {
		t.Fatalf("Location %q", location)
	}
	keyID := strings.TrimPrefix(location, securityPage+"?created=")
	if keyCount() != before+1 {
		t.Fatalf("%d keys, was %d", keyCount(), before)
	}

	var secret string
	t.Run("the page after the create shows the secret, once", func(t *testing.T) {
		page := b.get(location)
		expectPage(t, page, http.StatusOK, "“Sent once” is ready", "will not be shown again")
		m := shownSecret.FindSubmatch(page.body)
		if m == nil {
			t.Fatalf("no secret:\n%s", page.body)
		}
		secret = string(m[1])
		if k := callerKey(t, env, secret); k.ID != keyID || k.Name != "Sent once" {
			t.Errorf("the secret is of %+v", k)
		}
		again := b.get(location)
		expectPage(t, again, http.StatusOK, `id="shown"`, "“Sent once”", "is shown once")
		if bytes.Contains(again.body, []byte(secret)) || bytes.Contains(again.body, []byte("new-secret")) {
			t.Error("the reloaded page shows the secret again")
		}
	})
	t.Run("the same form sent again creates nothing and says so", func(t *testing.T) {
		again := b.post(securityPage, form)
		expectPage(t, again, http.StatusConflict, `id="resubmitted"`, "already sent", "“Sent once”", "No second key")
		if bytes.Contains(again.body, []byte(secret)) || formTokenPattern.FindSubmatch(again.body) == nil {
			t.Error("the answer shows the secret, or no fresh form")
		}
		if n := keyCount(); n != before+1 {
			t.Errorf("%d keys, want %d", n, before+1)
		}
	})
	t.Run("a form sent twice at once creates one key", func(t *testing.T) {
		twice := b.form("Double click", "")
		statuses := make(chan int, 2)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, env.URL+securityPage, strings.NewReader(twice.Encode()))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := b.noRedirects().c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				statuses <- resp.StatusCode
			})
		}
		wg.Wait()
		close(statuses)
		got := map[int]int{}
		for s := range statuses {
			got[s]++
		}
		if got[http.StatusSeeOther] != 1 || got[http.StatusConflict] != 1 {
			t.Errorf("statuses %v, want one 303 and one 409", got)
		}
		if n := keyCount(); n != before+2 {
			t.Errorf("%d keys, want %d", n, before+2)
		}
	})
	t.Run("a form refused for its name may be corrected and sent as it is", func(t *testing.T) {
		fix := b.form("   ", "")
		refused := b.post(securityPage, fix)
		expectPage(t, refused, http.StatusBadRequest, "name must not be empty")
		if m := formTokenPattern.FindSubmatch(refused.body); m == nil || string(m[1]) != fix.Get("form_token") {
			t.Error("the refused form does not keep its token")
		}
		fix.Set("name", "Corrected")
		expectStatus(t, b.noRedirects().post(securityPage, fix), http.StatusSeeOther)
	})
	other := signIn(t, env, head.ID)
	t.Run("a form token of another session, or none, is refused", func(t *testing.T) {
		n := keyCount()
		for name, token := range map[string][]string{
			"another session's": {other.form("x", "").Get("form_token")},
			"none":              nil,
			"empty":             {""},
			"twice":             {form.Get("form_token"), form.Get("form_token")},
			"altered":           {altered(form.Get("form_token"))},
		} {
			f := b.form("Forged", "")
			f["form_token"] = token
			if token == nil {
				f.Del("form_token")
			}
			expectPage(t, b.post(securityPage, f), http.StatusBadRequest, "This form is out of date", `value="Forged"`)
			if got := keyCount(); got != n {
				t.Errorf("%s token: %d keys, want %d", name, got, n)
			}
		}
	})
	t.Run("the page of another session, or another site, shows no secret", func(t *testing.T) {
		fresh := b.noRedirects().post(securityPage, b.form("Not shown elsewhere", ""))
		expectStatus(t, fresh, http.StatusSeeOther)
		next := fresh.header.Get("Location")
		if page := other.get(next); bytes.Contains(page.body, []byte("new-secret")) || bytes.Contains(page.body, []byte(`id="shown"`)) {
			t.Error("another session sees the create")
		}
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, env.URL+next, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(body, []byte("new-secret")) {
			t.Error("a page another site opened shows the secret")
		}
		expectPage(t, b.get(next), http.StatusOK, "“Not shown elsewhere” is ready")
	})
	t.Run("a secret no page came for is dropped after 10 minutes", func(t *testing.T) {
		late := b.noRedirects().post(securityPage, b.form("Late", ""))
		expectStatus(t, late, http.StatusSeeOther)
		clock.Advance(10 * time.Minute)
		page := b.get(late.header.Get("Location"))
		expectPage(t, page, http.StatusOK, `id="shown"`, "“Late”")
		if bytes.Contains(page.body, []byte("new-secret")) {
			t.Error("the page shows the secret after 10 minutes")
		}
	})
	t.Run("no secret reaches the database's files in plaintext", func(t *testing.T) {
		pending := b.noRedirects().post(securityPage, b.form("Pending", ""))
		expectStatus(t, pending, http.StatusSeeOther)
		m := shownSecret.FindSubmatch(b.get(pending.header.Get("Location")).body)
		if m == nil {
			t.Fatal("no secret shown")
		}
		entries, err := os.ReadDir(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(filepath.Dir(path), e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, m[1][len("astral_live_"):]) {
				t.Errorf("%s holds the secret", e.Name())
			}
		}
	})
}
