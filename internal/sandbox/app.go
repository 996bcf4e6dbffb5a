package sandbox

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io"
	"math"
	"net/http"
	"path"
	"strings"
	"time"
)

// The app is the part of the Astral app that manages API keys, Settings ->
// Security, served under /app/. It signs members in with one-time links and
// keeps them in a cookie session; every rule it applies to keys is the API's,
// through the same functions.
const (
	securityPath  = "/app/settings/security"
	signInPrefix  = "/app/sign-in/"
	signInLinkTTL = 15 * time.Minute
	sessionTTL    = 12 * time.Hour
	sessionCookie = "astral_session"
	// revealTTL is how long after a create the page it redirects to may
	// show the new secret, once.
	revealTTL = 10 * time.Minute
	// formNonceLen is the random part of a create form's one-time token.
	formNonceLen = 16
)

// appCSP allows the page its own stylesheet and script and nothing else: no
// inline script, no framing, forms posting only back to the sandbox.
const appCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

//go:embed web
var webFS embed.FS

var appTemplates = template.Must(template.New("").ParseFS(webFS, "web/templates/*.html"))

func (s *Server) newAppRoutes() []route {
	return []route{
		newRoute(signInPrefix+"{token}", map[string]handler{
			http.MethodGet:  s.appSignInPage,
			http.MethodPost: s.appSignIn,
		}),
		newRoute("/app/sign-out", map[string]handler{http.MethodPost: s.appSignOut}),
		newRoute(securityPath, map[string]handler{
			http.MethodGet:  s.appSecurity,
			http.MethodPost: s.appCreateKey,
		}),
		newRoute(securityPath+"/keys/{id}/revoke", map[string]handler{
			http.MethodGet:  s.appConfirmRevoke,
			http.MethodPost: s.appRevokeKey,
		}),
		newRoute("/app/static/{file}", map[string]handler{http.MethodGet: s.appStatic}),
	}
}

// serveApp answers /app/. Faults, the rate limit and the stats are the
// API's and stay out of it: a person using the app calls with no key.
func (s *Server) serveApp(w http.ResponseWriter, r *http.Request, ex *exchange) {
	h := w.Header()
	h.Set("Content-Security-Policy", appCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	// Every page is one member's, and one of them shows a secret.
	h.Set("Cache-Control", "no-store")
	rt, param := match(s.appRoutes, r.URL.Path)
	if rt == nil {
		s.renderMessage(w, http.StatusNotFound, "Page not found", "There is no such page in the sandbox's app.")
		return
	}
	ex.route = rt.pattern
	hd := rt.handlers[r.Method]
	if hd == nil {
		h.Set("Allow", rt.allow)
		s.renderMessage(w, http.StatusMethodNotAllowed, "Method not allowed", r.Method+" is not allowed here.")
		return
	}
	hd(w, r, ex, param)
}

// SignInLink mints a one-time sign-in link to the app for a member and
// returns its path, /app/sign-in/<token>, to join to the sandbox's address,
// and when it expires. The link works once, within 15 minutes by the
// sandbox's clock; only a hash of its token is stored.
func (s *Server) SignInLink(ctx context.Context, memberID string) (string, time.Time, error) {
	if _, err := orgOf(ctx, s.db, memberID); err != nil {
		return "", time.Time{}, err
	}
	token := randomToken()
	expires := s.Now().Add(signInLinkTTL)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sign_in_links (token_hash, member_id, expires_at) VALUES (?, ?, ?)`,
		hashSecret(token), memberID, expires.Unix()); err != nil {
		return "", time.Time{}, err
	}
	return signInPrefix + token, expires.Truncate(time.Second), nil
}

func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// appUser is the member signed in to the app, as the API's checks see a
// caller: role and plan read at this request.
type appUser struct {
	principal
	memberName, orgName string
	sessionID           string // the cookie's value; only its hash is stored
	sessionExpires      int64  // Unix seconds of the sandbox's clock
	csrf                string
}

// csrfToken is derived from the session id, so it needs no storage and only
// the holder of the session cookie can know it.
func csrfToken(sessionID string) string {
	m := hmac.New(sha256.New, []byte(sessionID))
	m.Write([]byte("astral-sandbox csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// formToken is the one-time token of a create form: a random nonce and an
// HMAC of it under the session id. It needs no storage until it is used,
// and only this session's pages can have made it; createFromForm records
// its use.
func formToken(sessionID string, nonce []byte) string {
	return base64.RawURLEncoding.EncodeToString(nonce) + "." + base64.RawURLEncoding.EncodeToString(formMAC(sessionID, nonce))
}

func formMAC(sessionID string, nonce []byte) []byte {
	m := hmac.New(sha256.New, []byte(sessionID))
	m.Write([]byte("astral-sandbox create form\x00"))
	m.Write(nonce)
	return m.Sum(nil)
}

// formNonce returns the nonce of the form's token, if the form has exactly
// one token and this session made it.
func (u *appUser) formNonce(tokens []string) ([]byte, bool) {
	if len(tokens) != 1 {
		return nil, false
	}
	n, mac, _ := strings.Cut(tokens[0], ".")
	nonce, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil || len(nonce) != formNonceLen {
		return nil, false
	}
	sum, err := base64.RawURLEncoding.DecodeString(mac)
	return nonce, err == nil && hmac.Equal(sum, formMAC(u.sessionID, nonce))
}

// appSignInPage shows whom a sign-in link signs in, and a button that signs
// in (appSignIn). Opening the link spends nothing: a mail scanner or a
// chat's link preview that fetches it leaves it working for the person it
// was sent to, who then uses it once.
func (s *Server) appSignInPage(w http.ResponseWriter, r *http.Request, _ *exchange, token string) {
	var v struct {
		Member, Role, Organization string
		Action                     string
	}
	var role Role
	var expires int64
	err := s.db.QueryRowContext(r.Context(), `SELECT m.name, m.role, o.name, l.expires_at FROM sign_in_links l
		JOIN members m ON m.id = l.member_id JOIN organizations o ON o.id = m.org_id WHERE l.token_hash = ?`,
		hashSecret(token)).Scan(&v.Member, &role, &v.Organization, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && expires <= s.Now().Unix()):
		s.renderLinkSpent(w)
		return
	case err != nil:
		s.renderFault(w, r, "read sign-in link", err)
		return
	}
	// The token matched a stored link, so it is one the sandbox made.
	v.Role, v.Action = roleName(role), signInPrefix+token
	s.render(w, http.StatusOK, "sign-in.html", v)
}

// appSignIn spends a sign-in link and starts the session, from the link's
// own page (appSignInPage): the button's post is a navigation within the
// sandbox, so the cookie it sets comes with the redirect that follows,
// whatever site the link was opened from.
func (s *Server) appSignIn(w http.ResponseWriter, r *http.Request, _ *exchange, token string) {
	if !postedFromApp(r) {
		// Another site's form could otherwise sign a visitor in to an
		// account of its choosing. The link is not spent.
		s.renderMessage(w, http.StatusForbidden, "This sign-in was refused",
			"A sign-in link signs in from its own page. Open the link again and press Sign in.")
		return
	}
	ctx := r.Context()
	now := s.Now()
	var memberID string
	var expires int64
	// Deleting the link as it is read makes it single-use, even under
	// concurrent requests.
	err := s.db.QueryRowContext(ctx, `DELETE FROM sign_in_links WHERE token_hash = ? RETURNING member_id, expires_at`,
		hashSecret(token)).Scan(&memberID, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && expires <= now.Unix()) {
		s.renderLinkSpent(w)
		return
	}
	if err != nil {
		s.renderFault(w, r, "sign in", err)
		return
	}
	id := randomToken()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO app_sessions (id_hash, member_id, expires_at) VALUES (?, ?, ?)`,
		hashSecret(id), memberID, now.Add(sessionTTL).Unix()); err != nil {
		s.renderFault(w, r, "start session", err)
		return
	}
	// Secure needs TLS: over plain http, which the sandbox serves on
	// loopback, a Secure cookie would never come back. Lax, not Strict: a
	// link to a page of the app opened from another site (a mail, a chat)
	// is a cross-site navigation, which a Strict cookie would not come with,
	// so a member signed in would land on "Sign in". Every POST needs the
	// session's CSRF token whatever the cookie, and no GET changes anything
	// but the one-time show of a new secret, which refuses a request
	// another site started (see createdKey).
	http.SetCookie(w, &http.Cookie{ //nolint:gosec // G124: Secure whenever served over TLS, see above
		Name: sessionCookie, Value: id, Path: "/app/", MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, securityPath, http.StatusSeeOther)
}

// postedFromApp reports whether a form post came from a page of the
// sandbox. Browsers say where a request started (Sec-Fetch-Site); older
// ones say only from which origin (Origin), which the app's pages send as
// "null", since their Referrer-Policy is no-referrer. A client that says
// neither, such as curl, is no browser another site could drive.
func postedFromApp(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return origin == scheme+"://"+r.Host
}

func (s *Server) renderLinkSpent(w http.ResponseWriter) {
	s.renderMessage(w, http.StatusUnauthorized, "This sign-in link does not work",
		"A sign-in link works once, for 15 minutes. Ask the sandbox for a new one: POST /_sandbox/members/{id}/sign-in-link with the admin token.")
}

// signedIn returns the member of the request's session, or answers that
// there is none.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request) (*appUser, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		s.renderSignInNeeded(w)
		return nil, false
	}
	now := s.Now()
	u := &appUser{principal: principal{now: now}, sessionID: c.Value, csrf: csrfToken(c.Value)}
	err = s.db.QueryRowContext(r.Context(), `SELECT m.id, m.name, m.role, o.id, o.name, o.plan, a.expires_at
		FROM app_sessions a JOIN members m ON m.id = a.member_id JOIN organizations o ON o.id = m.org_id
		WHERE a.id_hash = ?`, hashSecret(c.Value)).Scan(&u.memberID, &u.memberName, &u.role, &u.orgID, &u.orgName, &u.plan, &u.sessionExpires)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && u.sessionExpires <= now.Unix()):
		s.renderSignInNeeded(w)
		return nil, false
	case err != nil:
		s.renderFault(w, r, "read session", err)
		return nil, false
	}
	return u, true
}

// postedBy is signedIn for a form: it also reads the form and refuses it
// without the session's CSRF token, whatever the cookie's SameSite.
func (s *Server) postedBy(w http.ResponseWriter, r *http.Request) (*appUser, bool) {
	u, ok := s.signedIn(w, r)
	if !ok {
		return nil, false
	}
	// The API's reading of a body: its limit, its timeout.
	body, e := s.readBody(w, r)
	switch {
	case e == errTooLarge:
		s.renderMessage(w, e.status, "The form is too large", "A form may have 64 KiB at most. Go back to the Security page and try again.")
		return nil, false
	case e == errBodyTimeout:
		s.renderMessage(w, e.status, "The form did not arrive in time", "Go back to the Security page and try again.")
		return nil, false
	case e != nil:
		s.renderMessage(w, e.status, "The form could not be read", "Go back to the Security page and try again.")
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := r.ParseForm(); err != nil {
		s.renderMessage(w, http.StatusBadRequest, "The form could not be read", "Go back to the Security page and try again.")
		return nil, false
	}
	if tokens := r.PostForm["csrf_token"]; len(tokens) != 1 || subtle.ConstantTimeCompare([]byte(tokens[0]), []byte(u.csrf)) != 1 {
		s.renderMessage(w, http.StatusForbidden, "The form was refused",
			"It did not come from this session's Security page. Reload the page and try again.")
		return nil, false
	}
	return u, true
}

func (s *Server) appSignOut(w http.ResponseWriter, r *http.Request, _ *exchange, _ string) {
	u, ok := s.postedBy(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	hash := hashSecret(u.sessionID)
	if err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM app_form_uses WHERE session_hash = ?`, hash); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM app_sessions WHERE id_hash = ?`, hash)
		return err
	}); err != nil {
		s.renderFault(w, r, "end session", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/app/", MaxAge: -1, HttpOnly: true, //nolint:gosec // G124: as at sign-in
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	s.renderMessage(w, http.StatusOK, "Signed out", "Sign in again with a new sign-in link.")
}

// keyRow is a key as the page shows it.
type keyRow struct {
	ID, Name, Hint, Status            string
	Created, CreatedBy, Expires, Used string
	Secret                            string
}

func newKeyRow(v keyView) keyRow {
	return keyRow{ID: v.ID, Name: v.Name, Hint: v.SecretHint, Status: v.Status,
		Created: pageTime(&v.CreatedAt, ""), CreatedBy: v.CreatedBy.Name,
		Expires: pageTime(v.ExpiresAt, "Never"), Used: pageTime(v.LastUsedAt, "Never"), Secret: v.Secret}
}

// pageTime shows an API time to the minute, in UTC like the API.
func pageTime(rfc3339 *string, none string) string {
	if rfc3339 == nil {
		return none
	}
	t, err := time.Parse(time.RFC3339Nano, *rfc3339)
	if err != nil {
		return *rfc3339
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// securityView is what the Security page shows.
type securityView struct {
	Member, Role, Organization, Plan string
	CSRF                             string
	// Refusal says why the member cannot manage keys; the page then shows
	// no keys and no form.
	Refusal      string
	NeedsUpgrade bool
	Keys         []keyRow
	// Created is the key the session's form just made, with its secret
	// the one time the page shows it, without it after.
	Created *keyRow
	// Resubmitted is the key a form sent again had made the first time.
	Resubmitted *keyRow
	Revoked     *keyRow
	Error       string
	Name        string
	ExpiresOn   string
	// FormToken is the create form's one-time token.
	FormToken string
}

func (u *appUser) view() securityView {
	v := securityView{Member: u.memberName, Role: string(u.role), Organization: u.orgName, Plan: string(u.plan),
		CSRF: u.csrf, FormToken: formToken(u.sessionID, randomBytes(formNonceLen))}
	switch e := mayManageKeys(&u.principal); e {
	case nil:
	case errPlanUpgradeRequired:
		v.Refusal, v.NeedsUpgrade = "API keys need the Coach plan or higher. "+u.orgName+" is on the Free plan.", true
	default:
		v.Refusal = "Only the head coach of " + u.orgName + " can create, list and revoke API keys. You are signed in as a " +
			roleName(u.role) + "."
	}
	return v
}

func roleName(r Role) string {
	switch r {
	case RoleHeadCoach:
		return "head coach"
	case RoleCoach:
		return "coach"
	}
	return "athlete"
}

func (s *Server) appSecurity(w http.ResponseWriter, r *http.Request, _ *exchange, _ string) {
	u, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	v := u.view()
	q := r.URL.Query()
	if id := q.Get("revoked"); id != "" && v.Refusal == "" && validKeyID(id) {
		k, err := scanKey(s.st.getKey.QueryRowContext(r.Context(), id, u.orgID))
		if err == nil {
			row := newKeyRow(k.view(u.now))
			v.Revoked = &row
		}
	}
	if id := q.Get("created"); id != "" && v.Refusal == "" && validKeyID(id) {
		created, err := s.createdKey(r, u, id)
		if err != nil {
			s.renderFault(w, r, "show created key", err)
			return
		}
		v.Created = created
	}
	status := http.StatusOK
	if v.Refusal != "" {
		status = http.StatusForbidden
	}
	s.renderSecurity(w, r, u, status, v)
}

// appCreateKey creates a key as POST /v1/api-keys would for the member,
// once per form, and answers 303 to the page that shows its secret, once
// (createdKey): reloading that page creates nothing, and a form sent again
// (a double click, a page resubmitted) is answered 409 naming the key the
// form made, creating nothing either.
func (s *Server) appCreateKey(w http.ResponseWriter, r *http.Request, _ *exchange, _ string) {
	u, ok := s.postedBy(w, r)
	if !ok {
		return
	}
	v := u.view()
	if v.Refusal != "" {
		s.renderSecurity(w, r, u, http.StatusForbidden, v)
		return
	}
	v.Name, v.ExpiresOn = r.PostForm.Get("name"), r.PostForm.Get("expires_on")
	nonce, ok := u.formNonce(r.PostForm["form_token"])
	if !ok {
		// The page shows the form again with a fresh token.
		v.Error = "This form is out of date: it was not made by this session's Security page. Check the name and date, then create the key again."
		s.renderSecurity(w, r, u, http.StatusBadRequest, v)
		return
	}
	// Not used yet: the form may be corrected and sent again as it is.
	v.FormToken = r.PostForm.Get("form_token")
	in, e := formInput(v.Name, v.ExpiresOn, u.now)
	if e != nil {
		v.Error = e.message
		s.renderSecurity(w, r, u, http.StatusBadRequest, v)
		return
	}
	keyID, first, err := s.createFromForm(r.Context(), u, nonce, in)
	if err != nil {
		s.renderFault(w, r, "create key", err)
		return
	}
	if first {
		// keyID is the key just made: the target is this page.
		http.Redirect(w, r, securityPath+"?created="+keyID, http.StatusSeeOther) //nolint:gosec // G710: see above
		return
	}
	k, err := scanKey(s.st.getKey.QueryRowContext(r.Context(), keyID, u.orgID))
	if err != nil {
		s.renderFault(w, r, "read created key", err)
		return
	}
	row := newKeyRow(k.view(u.now))
	fresh := u.view()
	fresh.Resubmitted = &row
	s.renderSecurity(w, r, u, http.StatusConflict, fresh)
}

// createFromForm creates a key as the app's form asks, once per form: the
// form's use is recorded with the key in one transaction, so that a form
// sent again finds the record and creates nothing. It returns the key's id
// and whether this request created it. The new secret is kept sealed to
// the session (AES-GCM under a key derived from the session id, which only
// the browser holds) for the page after the redirect to show once.
func (s *Server) createFromForm(ctx context.Context, u *appUser, nonce []byte, in createInput) (keyID string, first bool, err error) {
	sessionHash := hashSecret(u.sessionID)
	err = inTx(ctx, s.db, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT key_id FROM app_form_uses WHERE session_hash = ? AND nonce = ?`,
			sessionHash, nonce).Scan(&keyID)
		if !errors.Is(err, sql.ErrNoRows) {
			return err // nil: the form was used, for keyID
		}
		res, err := s.createTx(ctx, tx, &u.principal, "", in)
		if err != nil {
			return err
		}
		aead, err := revealSealer(u.sessionID, res.keyID)
		if err != nil {
			return err
		}
		keyID, first = res.keyID, true
		_, err = tx.ExecContext(ctx, `INSERT INTO app_form_uses (session_hash, nonce, key_id, sealed, reveal_until, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, sessionHash, nonce, keyID, sealWith(aead, []byte(res.view.Secret), keyID),
			u.now.Add(revealTTL).Unix(), u.sessionExpires)
		return err
	})
	return keyID, first, err
}

func revealSealer(sessionID, keyID string) (cipher.AEAD, error) {
	return sealer(sessionID, "astral-sandbox app reveal\x00"+keyID)
}

// createdKey is the key that this session's form created, for the page the
// create redirects to: with its secret the first time the page asks, within
// revealTTL; without it after. nil for a key no form of the session made.
// A request another site started (Sec-Fetch-Site cross-site or same-site;
// the session cookie is Lax) is shown nothing and spends nothing.
func (s *Server) createdKey(r *http.Request, u *appUser, keyID string) (*keyRow, error) {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return nil, nil
	}
	ctx := r.Context()
	sessionHash := hashSecret(u.sessionID)
	var sealed []byte
	var revealUntil int64
	// Taken and cleared in one transaction: of two pages asking at once,
	// one shows the secret.
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT sealed, reveal_until FROM app_form_uses WHERE session_hash = ? AND key_id = ?`,
			sessionHash, keyID).Scan(&sealed, &revealUntil)
		if err != nil || sealed == nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE app_form_uses SET sealed = NULL WHERE session_hash = ? AND key_id = ?`, sessionHash, keyID)
		return err
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	var secret string
	if sealed != nil && revealUntil > u.now.Unix() {
		aead, err := revealSealer(u.sessionID, keyID)
		if err != nil {
			return nil, err
		}
		plain, err := openWith(aead, sealed, keyID)
		if err != nil {
			return nil, err
		}
		secret = string(plain)
	}
	k, err := scanKey(s.st.getKey.QueryRowContext(ctx, keyID, u.orgID))
	if err != nil {
		return nil, err
	}
	row := newKeyRow(k.view(u.now))
	row.Secret = secret
	return &row, nil
}

// formInput reads the form's name and expiration date (a day, from its
// first instant in UTC) under the API's rules.
func formInput(name, expiresOn string, now time.Time) (createInput, *apiError) {
	var expiresAt *time.Time
	if expiresOn != "" {
		t, err := time.Parse(time.DateOnly, expiresOn)
		if err != nil {
			return createInput{}, errInvalid("expires_at", "The expiration date must be a date such as 2027-01-31.")
		}
		expiresAt = &t
	}
	in, e := newCreateInput(name, expiresAt, now)
	if e != nil && e.param == "expires_at" {
		e = errInvalid("expires_at", "The expiration date must be after "+now.Format(time.DateOnly)+
			", the sandbox's date: a key expires at the start of its expiration date, in UTC.")
	}
	return in, e
}

// appKey reads the key of the page's URL, answering when it cannot.
func (s *Server) appKey(w http.ResponseWriter, r *http.Request, u *appUser, id string) (*keyRecord, bool) {
	if v := u.view(); v.Refusal != "" {
		s.renderSecurity(w, r, u, http.StatusForbidden, v)
		return nil, false
	}
	if !validKeyID(id) {
		s.renderNoKey(w)
		return nil, false
	}
	k, err := scanKey(s.st.getKey.QueryRowContext(r.Context(), id, u.orgID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		s.renderNoKey(w)
		return nil, false
	case err != nil:
		s.renderFault(w, r, "read key", err)
		return nil, false
	}
	return k, true
}

func (s *Server) appConfirmRevoke(w http.ResponseWriter, r *http.Request, _ *exchange, id string) {
	u, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	k, ok := s.appKey(w, r, u, id)
	if !ok {
		return
	}
	s.render(w, http.StatusOK, "confirm.html", struct {
		Key  keyRow
		CSRF string
	}{newKeyRow(k.view(u.now)), u.csrf})
}

// appRevokeKey revokes as DELETE /v1/api-keys/{id} would, then sends the
// browser back to the list, so that reloading it revokes nothing.
func (s *Server) appRevokeKey(w http.ResponseWriter, r *http.Request, _ *exchange, id string) {
	u, ok := s.postedBy(w, r)
	if !ok {
		return
	}
	if _, ok := s.appKey(w, r, u, id); !ok {
		return
	}
	if _, err := s.revoke(r.Context(), &u.principal, id); err != nil {
		s.renderFault(w, r, "revoke key", err)
		return
	}
	// appKey found id among the organization's keys, so the target is this page.
	http.Redirect(w, r, securityPath+"?revoked="+id, http.StatusSeeOther) //nolint:gosec // G710: see above
}

var staticTypes = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

func (s *Server) appStatic(w http.ResponseWriter, r *http.Request, _ *exchange, file string) {
	body, err := webFS.ReadFile("web/static/" + file)
	if err != nil {
		s.renderMessage(w, http.StatusNotFound, "Page not found", "There is no such file in the sandbox's app.")
		return
	}
	w.Header().Set("Content-Type", staticTypes[path.Ext(file)])
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(body) //nolint:gosec // G705: an embedded file, not request data
}

func (s *Server) renderSecurity(w http.ResponseWriter, r *http.Request, u *appUser, status int, v securityView) {
	if v.Refusal == "" {
		keys, err := s.activeKeys(r.Context(), &u.principal)
		if err != nil {
			s.renderFault(w, r, "list keys", err)
			return
		}
		for _, k := range keys {
			v.Keys = append(v.Keys, newKeyRow(k))
		}
	}
	s.render(w, status, "security.html", v)
}

// activeKeys follows the API's listing to its end.
func (s *Server) activeKeys(ctx context.Context, p *principal) ([]keyView, error) {
	after := position{createdAt: math.MinInt64}
	var keys []keyView
	for {
		page, err := s.listPage(ctx, p, after, 100)
		if err != nil {
			return nil, err
		}
		keys = append(keys, page.Data...)
		if page.NextCursor == nil {
			return keys, nil
		}
		after, _ = s.decodeCursor(p.orgID, *page.NextCursor)
	}
}

func (s *Server) renderSignInNeeded(w http.ResponseWriter) {
	s.renderMessage(w, http.StatusUnauthorized, "Sign in to the sandbox's app",
		"Open a sign-in link: each member's app_url in the sandbox's summary, or a new one from POST /_sandbox/members/{id}/sign-in-link with the admin token.")
}

func (s *Server) renderNoKey(w http.ResponseWriter) {
	s.renderMessage(w, http.StatusNotFound, "No such API key", "Your organization has no API key with this id.")
}

// renderFault logs a server fault, never with request data, and says so;
// a client that went away is not a fault (499, as in the API).
func (s *Server) renderFault(w http.ResponseWriter, r *http.Request, op string, err error) {
	e := s.internal(r, op, err)
	s.renderMessage(w, e.status, "Something went wrong", "The sandbox logged the error.")
}

func (s *Server) renderMessage(w http.ResponseWriter, status int, title, text string) {
	s.render(w, status, "message.html", struct{ Title, Text string }{title, text})
}

// render writes a whole page or, if the template fails, none of it.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := appTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render "+name, "error", err)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, renderFailed)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderFailed is the page of a template that failed, which cannot be a
// template itself.
const renderFailed = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Something went wrong · Astral sandbox</title>` +
	`<h1>Something went wrong</h1><p>The sandbox logged the error.</p></html>`

// purgeApp deletes expired sign-in links, sessions and the records of their
// forms, and the new secrets that no page came to show in time.
func (s *Server) purgeApp(ctx context.Context, now time.Time) {
	for _, q := range []string{`DELETE FROM sign_in_links WHERE expires_at <= ?`, `DELETE FROM app_sessions WHERE expires_at <= ?`,
		`DELETE FROM app_form_uses WHERE expires_at <= ?`, `UPDATE app_form_uses SET sealed = NULL WHERE sealed IS NOT NULL AND reveal_until <= ?`} {
		if _, err := s.db.ExecContext(ctx, q, now.Unix()); err != nil {
			s.log.Error("purge app sessions", "error", err)
		}
	}
}
