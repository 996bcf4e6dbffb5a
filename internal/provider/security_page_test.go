package provider

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

// The drift a team meets most: someone revokes a Terraform-managed key in
// the app's Security page. The next plan sees it revoked and creates the key
// again.
func TestAccAPIKey_revokedInTheApp(t *testing.T) {
	env, browser := newBrowserTestAccEnv(t)
	config := env.Config(keyConfig(testKeyPrefix+"revoked in the app", ""))
	var revoked string
	sameKey := statecheck.CompareValue(compare.ValuesDiffer())
	resource.Test(t, env.TestCase(t,
		resource.TestStep{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), captureString(&revoked)),
				sameKey.AddStateValue(testKeyAddr, at("id")),
			},
		},
		resource.TestStep{
			PreConfig: func() { revokeInTheApp(t, env, browser, revoked) },
			Config:    config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionCreate)},
			},
			ConfigStateChecks: []statecheck.StateCheck{sameKey.AddStateValue(testKeyAddr, at("id"))},
		},
	))
}

// The import error's advice, followed: a key made in the app is imported
// by the ID that its row of the Security page shows and copies.
func TestAccAPIKey_importByIDFromTheApp(t *testing.T) {
	env, browser := newBrowserTestAccEnv(t)
	const name = testKeyPrefix + "made in the app"
	made := env.CreateKey(t, name, nil)
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancel()
	tab, cancelTimeout := context.WithTimeout(tab, 30*time.Second)
	defer cancelTimeout()
	if err := chromedp.Do(tab,
		chromedp.Navigate(env.SignInURL(t, env.Org.Member(sandbox.RoleHeadCoach).ID)),
		chromedp.Click("#sign-in"),
		chromedp.WaitVisible("#keys"),
	); err != nil {
		t.Fatalf("signing in to the Security page: %v", err)
	}
	// The row is found by the key's name, as a person would find it.
	id, err := chromedp.Run(tab, chromedp.Evaluate[string](`[...document.querySelectorAll("#keys tbody tr")]
		.find((row) => row.querySelector("td.name").textContent === `+strconv.Quote(name)+`)
		.querySelector("code.key-id").textContent`))
	if err != nil {
		t.Fatalf("reading the key's ID in the Security page: %v", err)
	}
	if id != made.ID {
		t.Fatalf("the Security page shows the ID %q, want %s", id, made.ID)
	}
	config := env.Config(keyConfig(name, ""))
	resource.Test(t, env.TestCase(t,
		resource.TestStep{
			Config:             config,
			ResourceName:       testKeyAddr,
			ImportState:        true,
			ImportStateId:      id,
			ImportStatePersist: true,
		},
		resource.TestStep{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testKeyAddr, at("id"), knownvalue.StringExact(made.ID)),
			},
		},
	))
}

// revokeInTheApp signs the head coach in to the Security page and revokes
// the key with id there, as a person would: open the sign-in link, press
// Sign in, find the key by its ID, press Revoke, then confirm.
func revokeInTheApp(t *testing.T, env *testAccEnv, browser context.Context, id string) {
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancel()
	tab, cancelTimeout := context.WithTimeout(tab, 30*time.Second)
	defer cancelTimeout()
	row := `tr[data-key-id="` + id + `"]`
	if err := chromedp.Do(tab,
		chromedp.Navigate(env.SignInURL(t, env.Org.Member(sandbox.RoleHeadCoach).ID)),
		chromedp.Click("#sign-in"),
		chromedp.WaitVisible(row),
		chromedp.Click(row+" a.danger"),
		chromedp.WaitVisible("#confirm-revoke"),
		chromedp.Click("#confirm-revoke"),
		chromedp.WaitVisible("#revoked"),
	); err != nil {
		t.Fatalf("revoking %s in the Security page: %v", id, err)
	}
	key, err := env.Client.APIKeys.Read(t.Context(), id)
	if err != nil || key.Status != astral.APIKeyStatusRevoked {
		t.Fatalf("after revoking it in the page, the API has %v (%v)", key, err)
	}
}

// newBrowserTestAccEnv starts Chromium and a sandbox for an acceptance test
// that acts in the app's pages as a member does. Such a test runs once: the
// app does not change with the CLI.
func newBrowserTestAccEnv(t *testing.T) (*testAccEnv, context.Context) {
	t.Helper()
	skipInCLIMatrix(t)
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("Acceptance tests skipped unless env '%s' set", resource.EnvTfAcc)
	}
	browser := sandboxtest.StartChromium(t)
	t.Parallel()
	return newTestAccEnv(t), browser
}
