package sandbox_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	browserpkg "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

// newChromium starts a headless Chromium for one test, or skips it.
func newChromium(t *testing.T) context.Context { return sandboxtest.StartChromium(t) }

// incognito is a new tab with cookies of its own, as another person's browser.
func incognito(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	// A page that opens a dialog (alert, confirm) ran script it should not.
	dialogs := chromedp.WithListener(func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			t.Errorf("the page opened a %s dialog: %q", d.Type, d.Message)
		}
	})
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext(), dialogs)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func bodyText(t *testing.T, ctx context.Context) string { return text(t, ctx, "body") }

// openLink signs a member in by following a sign-in link, as from the
// sandbox's summary, and pressing its page's Sign in button; it returns
// the status of the page it lands on.
func openLink(t *testing.T, ctx context.Context, link string) int64 {
	t.Helper()
	run(t, ctx, chromedp.Navigate(link))
	return pressSignIn(t, ctx)
}

// pressSignIn presses the Sign in button of a sign-in link's page and
// returns the status of the page it lands on.
func pressSignIn(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	if got := text(t, ctx, "h1"); !strings.HasPrefix(got, "Sign in to ") {
		t.Fatalf("the link's page says %q: %s", got, bodyText(t, ctx))
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click("#sign-in"))
	if err != nil {
		t.Fatal(err)
	}
	return resp.Status
}

func apiKey(t *testing.T, env *sandboxtest.Env, id string) keyObject {
	t.Helper()
	r := do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys/" + id, auth: bearer(env.HeadCoachKey)})
	expectStatus(t, r, http.StatusOK)
	return r.key(t)
}

func TestBrowserCreateKey(t *testing.T) {
	browser := newChromium(t)
	env := sandboxtest.Start(t)
	tab := incognito(t, browser)
	if status := openLink(t, tab, env.SignInURL(t, env.Org.Member(sandbox.RoleHeadCoach).ID)); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	if got := text(t, tab, "h1"); got != "API keys" {
		t.Fatalf("heading %q", got)
	}
	run(t, tab,
		chromedp.SendKeys("#name", "Roster sync script"),
		chromedp.SetValue("#expires_on", "2099-01-31"),
		chromedp.Click("#create"),
		chromedp.WaitVisible("#new-secret"),
	)
	secret := text(t, tab, "#new-secret")
	if !secretPattern.MatchString(secret) {
		t.Fatalf("secret %q", secret)
	}
	if !strings.Contains(bodyText(t, tab), "It will not be shown again") {
		t.Error("no warning that the secret will not be shown again")
	}
	if n, err := chromedp.Run(tab, chromedp.Nodes("#copy-secret")); err != nil || len(n) != 1 {
		t.Errorf("no copy button: %v", err)
	}

	k := callerKey(t, env, secret)
	if k.Name != "Roster sync script" || k.CreatedBy.Name != "Dana Ortiz" || k.ExpiresAt == nil || *k.ExpiresAt != "2099-01-31T00:00:00Z" {
		t.Errorf("the API's key %+v", k)
	}
	listed := false
	for _, l := range listAll(t, env.URL, secret, 2) {
		listed = listed || l.ID == k.ID
	}
	if !listed {
		t.Error("the API's listing, followed to its end, lacks the key")
	}
	row := `tr[data-key-id="` + k.ID + `"]`
	if got := text(t, tab, row+" td.name"); got != "Roster sync script" {
		t.Errorf("the list shows %q", got)
	}

	run(t, tab, chromedp.Navigate(env.SecurityPageURL()), chromedp.WaitVisible(row))
	if body := bodyText(t, tab); strings.Contains(body, secret) || strings.Contains(body, "will not be shown again") {
		t.Error("the page shows the secret again after a reload")
	}
}

func TestBrowserRevokeKey(t *testing.T) {
	browser := newChromium(t)
	env := sandboxtest.Start(t)
	k := createKey(t, env, `{"name":"Revoked in the app"}`)
	tab := incognito(t, browser)
	openLink(t, tab, env.SignInURL(t, env.Org.Member(sandbox.RoleHeadCoach).ID))
	row := `tr[data-key-id="` + k.ID + `"]`
	run(t, tab, chromedp.Click(row+" a.danger"), chromedp.WaitVisible("#confirm-revoke"))
	if got := text(t, tab, "h1"); got != "Revoke “Revoked in the app”?" {
		t.Errorf("confirmation %q", got)
	}
	if got := apiKey(t, env, k.ID).Status; got != "active" {
		t.Fatalf("status %s before the confirmation", got)
	}
	resp, err := chromedp.RunResponse(tab, chromedp.Click("#confirm-revoke"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, "/app/settings/security?revoked="+k.ID) {
		t.Errorf("after revoking: %d %s", resp.Status, resp.URL)
	}
	if !strings.Contains(text(t, tab, "#revoked"), "“Revoked in the app”") {
		t.Error("the page does not say which key was revoked")
	}
	if n, _ := chromedp.Run(tab, chromedp.Nodes(row, chromedp.AtLeast(0))); len(n) != 0 {
		t.Error("the list still shows the revoked key")
	}
	if got := apiKey(t, env, k.ID); got.Status != "revoked" || got.RevokedAt == nil {
		t.Errorf("the API's key %+v", got)
	}
	expectStatus(t, do(t, env.URL, request{method: http.MethodGet, path: "/v1/me", auth: bearer(*k.Secret)}), http.StatusUnauthorized)
}

func TestBrowserViews(t *testing.T) {
	browser := newChromium(t)
	env := sandboxtest.Start(t)
	head := env.Org.Member(sandbox.RoleHeadCoach)

	t.Run("a coach sees why they cannot manage keys", func(t *testing.T) {
		tab := incognito(t, browser)
		if status := openLink(t, tab, env.SignInURL(t, env.Org.Member(sandbox.RoleCoach).ID)); status != http.StatusForbidden {
			t.Errorf("status %d", status)
		}
		if got := text(t, tab, "#refusal"); !strings.Contains(got, "Only the head coach of Test Rowing Club") {
			t.Errorf("refusal %q", got)
		}
		if n, _ := chromedp.Run(tab, chromedp.Nodes("#keys, #new-key", chromedp.AtLeast(0))); len(n) != 0 {
			t.Error("a coach sees the keys or the form")
		}
	})
	t.Run("a name is shown as text, never run", func(t *testing.T) {
		const name = `<script>alert(1)</script><img src=x onerror=alert(2)>`
		k := createKey(t, env, `{"name":`+string(must(json.Marshal(name)))+`}`)
		tab := incognito(t, browser)
		openLink(t, tab, env.SignInURL(t, head.ID))
		if got := text(t, tab, `tr[data-key-id="`+k.ID+`"] td.name`); got != name {
			t.Errorf("the list shows %q", got)
		}
	})
	t.Run("a form posted without its CSRF token is refused", func(t *testing.T) {
		before := len(listAll(t, env.URL, env.HeadCoachKey, 100))
		tab := incognito(t, browser)
		openLink(t, tab, env.SignInURL(t, head.ID))
		run(t, tab, chromedp.SendKeys("#name", "forged"))
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector('#new-key input[name=csrf_token]').remove(); true`)); err != nil {
			t.Fatal(err)
		}
		resp, err := chromedp.RunResponse(tab, chromedp.Click("#create"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != http.StatusForbidden || !strings.Contains(bodyText(t, tab), "The form was refused") {
			t.Errorf("status %d: %s", resp.Status, bodyText(t, tab))
		}
		if after := len(listAll(t, env.URL, env.HeadCoachKey, 100)); after != before {
			t.Errorf("%d keys, was %d", after, before)
		}
	})
	t.Run("a sign-in link works once", func(t *testing.T) {
		link := env.SignInURL(t, head.ID)
		if status := openLink(t, incognito(t, browser), link); status != http.StatusOK {
			t.Fatalf("first use: status %d", status)
		}
		tab := incognito(t, browser)
		resp, err := chromedp.Run(tab, chromedp.NavigateResponse(link))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != http.StatusUnauthorized {
			t.Errorf("second use: status %d", resp.Status)
		}
		if !strings.Contains(bodyText(t, tab), "This sign-in link does not work") {
			t.Errorf("second use: %s", bodyText(t, tab))
		}
	})
	t.Run("a free organization sees that the Coach plan is needed", func(t *testing.T) {
		if err := env.Server.SetPlan(context.Background(), env.Org.ID, sandbox.PlanFree); err != nil {
			t.Fatal(err)
		}
		tab := incognito(t, browser)
		if status := openLink(t, tab, env.SignInURL(t, head.ID)); status != http.StatusForbidden {
			t.Errorf("status %d", status)
		}
		if body := bodyText(t, tab); !strings.Contains(body, "API keys need the Coach plan or higher") || !strings.Contains(body, "Upgrade") {
			t.Errorf("page: %s", body)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSecurityPageScreenshot refreshes the screenshot of the page in the
// README when ASTRAL_SCREENSHOT names the file to write (`make screenshot`);
// otherwise it skips, so that test runs never change the repository.
func TestSecurityPageScreenshot(t *testing.T) {
	out := os.Getenv("ASTRAL_SCREENSHOT")
	if out == "" {
		t.Skip("set ASTRAL_SCREENSHOT to the PNG to write, as make screenshot does")
	}
	browser := newChromium(t)
	env := sandboxtest.Start(t, withClock(newFakeClock()))
	for _, body := range []string{`{"name":"Roster sync script","expires_at":"2027-02-23T00:00:00Z"}`, `{"name":"Analytics integration"}`} {
		k := createKey(t, env, body)
		do(t, env.URL, request{method: http.MethodGet, path: "/v1/me", auth: bearer(*k.Secret)})
	}
	tab := incognito(t, browser)
	openLink(t, tab, env.SignInURL(t, env.Org.Member(sandbox.RoleHeadCoach).ID))
	run(t, tab, chromedp.SendKeys("#name", "CI deploys"), chromedp.SetValue("#expires_on", "2027-05-25"),
		chromedp.Click("#create"), chromedp.WaitVisible("#new-secret"))
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserCreateSurvivesResubmit creates a key, reloads the page that
// showed its secret, and sends the same form again: the reload shows no
// secret, the form sent again is refused as already sent, and the API has
// one key.
func TestBrowserCreateSurvivesResubmit(t *testing.T) {
	browser := newChromium(t)
	env := sandboxtest.Start(t)
	tab := incognito(t, browser)
	openLink(t, tab, env.SignInURL(t, env.Org.Member(sandbox.RoleHeadCoach).ID))
	before := len(listAll(t, env.URL, env.HeadCoachKey, 100))
	run(t, tab, chromedp.SendKeys("#name", "Sent once"))
	// The form as the browser sends it, to send it again.
	form, err := chromedp.Run(tab, chromedp.Evaluate[string](`new URLSearchParams(new FormData(document.querySelector("#new-key"))).toString()`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(tab, chromedp.Click("#create"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || !strings.Contains(resp.URL, "/app/settings/security?created=key_") {
		t.Errorf("after the create: %d %s", resp.Status, resp.URL)
	}
	secret := text(t, tab, "#new-secret")
	if !secretPattern.MatchString(secret) {
		t.Fatalf("secret %q", secret)
	}

	run(t, tab, chromedp.Reload(), chromedp.WaitVisible("#shown"))
	if body := bodyText(t, tab); strings.Contains(body, secret) || !strings.Contains(body, "is shown once") {
		t.Errorf("the reloaded page: %s", body)
	}
	// The page's policy allows no fetch, so the form goes again as a form.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`{
		const f = document.createElement("form");
		f.method = "post";
		f.action = "/app/settings/security";
		for (const [name, value] of new URLSearchParams(`+string(must(json.Marshal(form)))+`)) {
			const input = document.createElement("input");
			input.type = "hidden";
			input.name = name;
			input.value = value;
			f.appendChild(input);
		}
		document.body.appendChild(f);
		f.submit();
		true;
	}`)); err != nil {
		t.Fatal(err)
	}
	run(t, tab, chromedp.WaitVisible("#resubmitted"))
	if got := text(t, tab, "#resubmitted"); !strings.Contains(got, "“Sent once”") || !strings.Contains(got, "No second key") {
		t.Errorf("the form sent again: %q", got)
	}
	if strings.Contains(bodyText(t, tab), secret) {
		t.Error("the answer to the form sent again shows the secret")
	}
	if after := len(listAll(t, env.URL, env.HeadCoachKey, 100)); after != before+1 {
		t.Errorf("%d keys, was %d: want one more", after, before)
	}
}

// TestBrowserSignInFromAnotherSite opens a sign-in link from a page of
// another site, as from a web mail or a chat, after that site's server
// fetched it for a preview: the link still works, and its one use lands
// on the Security page, signed in.
func TestBrowserSignInFromAnotherSite(t *testing.T) {
	browser := newChromium(t)
	env := sandboxtest.Start(t)
	link := env.SignInURL(t, env.Org.Member(sandbox.RoleHeadCoach).ID)
	mail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><title>Mail</title><a id="link" href="`+html.EscapeString(link)+`">Sign in to Astral</a>`)
	}))
	defer mail.Close()
	// localhost and 127.0.0.1 are different sites to the browser.
	mailURL := strings.Replace(mail.URL, "127.0.0.1", "localhost", 1)
	if !strings.HasPrefix(link, "http://127.0.0.1:") {
		t.Fatalf("the sandbox is not at 127.0.0.1: %s", link)
	}
	// The chat's server fetches the link to preview it.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	preview, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	preview.Body.Close()
	if preview.StatusCode != http.StatusOK {
		t.Fatalf("the preview's fetch: status %d", preview.StatusCode)
	}

	tab := incognito(t, browser)
	run(t, tab, chromedp.Navigate(mailURL), chromedp.WaitVisible("#link"))
	resp, err := chromedp.RunResponse(tab, chromedp.Click("#link"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || resp.URL != link {
		t.Fatalf("the link opened %d %s", resp.Status, resp.URL)
	}
	if status := pressSignIn(t, tab); status != http.StatusOK {
		t.Errorf("signing in: status %d", status)
	}
	url, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(url, "/app/settings/security") {
		t.Errorf("landed on %s", url)
	}
	if got := text(t, tab, "h1"); got != "API keys" {
		t.Errorf("heading %q: %s", got, bodyText(t, tab))
	}
	// A page of the app opened from the other site later is signed in too.
	run(t, tab, chromedp.Navigate(mailURL), chromedp.WaitVisible("#link"))
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector("#link").href = `+
		string(must(json.Marshal(env.SecurityPageURL())))+`; true`)); err != nil {
		t.Fatal(err)
	}
	resp, err = chromedp.RunResponse(tab, chromedp.Click("#link"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || text(t, tab, "h1") != "API keys" {
		t.Errorf("the Security page opened from another site: %d %s", resp.Status, bodyText(t, tab))
	}
}

// TestBrowserCopyKeyID copies a key's ID with its button, as the import
// error advises, and finds the page readable without script: the ID is
// text, and no button is shown that could not work.
func TestBrowserCopyKeyID(t *testing.T) {
	browser := newChromium(t)
	env := sandboxtest.Start(t)
	k := createKey(t, env, `{"name":"Roster sync script"}`)
	button := "#copy-" + k.ID

	t.Run("the button copies the ID", func(t *testing.T) {
		tab := incognito(t, browser)
		openLink(t, tab, env.SignInURL(t, env.Org.Member(sandbox.RoleHeadCoach).ID))
		allowClipboard(t, tab, env.URL)
		if got := text(t, tab, "#id-"+k.ID); got != k.ID {
			t.Errorf("the row shows the ID %q", got)
		}
		// The name a screen reader announces: the button's text, then the key's name.
		name, err := chromedp.Run(tab, chromedp.Evaluate[string](`(() => {
			const b = document.querySelector("`+button+`");
			return b.getAttribute("aria-labelledby").split(" ").map((id) => document.getElementById(id).textContent).join(" ");
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if name != "Copy ID Roster sync script" {
			t.Errorf("the button's accessible name is %q", name)
		}
		run(t, tab, chromedp.WaitVisible(button), chromedp.Click(button))
		copied, err := chromedp.Run(tab, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if copied != k.ID {
			t.Errorf("the clipboard holds %q, want %s", copied, k.ID)
		}
		if got := text(t, tab, button); got != "Copied" {
			t.Errorf("the button says %q", got)
		}
		if got := text(t, tab, "#copy-status"); got != "Copied to the clipboard." {
			t.Errorf("the status says %q", got)
		}
	})
	t.Run("without script the ID is text and no button shows", func(t *testing.T) {
		tab := incognito(t, browser)
		if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			_, err := cdp.Call(ctx, target, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		})); err != nil {
			t.Fatal(err)
		}
		openLink(t, tab, env.SignInURL(t, env.Org.Member(sandbox.RoleHeadCoach).ID))
		if got := text(t, tab, "#id-"+k.ID); got != k.ID {
			t.Errorf("the row shows the ID %q", got)
		}
		// DevTools evaluates, though the page may run no script.
		shown, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector("`+button+`").checkVisibility()`))
		if err != nil || shown {
			t.Errorf("a copy button shows without script: %v, %v", shown, err)
		}
	})
}

// allowClipboard lets the pages of origin in the tab read and write the
// clipboard, as a person's browser does after asking, and keeps the tab
// focused, which the clipboard needs, though no window shows it.
func allowClipboard(t *testing.T, tab context.Context, origin string) {
	t.Helper()
	c := chromedp.FromContext(tab)
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := cdp.Call(tab, c.Browser, browserpkg.SetPermission, browserpkg.SetPermissionParams{
			Permission: &browserpkg.PermissionDescriptor{Name: name}, Setting: browserpkg.PermissionSettingGranted,
			Origin: origin, BrowserContextID: c.BrowserContextID,
		}); err != nil {
			t.Fatalf("allowing %s: %v", name, err)
		}
	}
	if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	})); err != nil {
		t.Fatal(err)
	}
}
