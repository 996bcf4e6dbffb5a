package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// The key authenticates while the run uses it (a second provider
// configuration lists keys with it), and is revoked when the run ends;
// nothing of it reaches the state but what the echo provider copies there.
func TestAccEphemeralAPIKey(t *testing.T) {
	skipUnlessCLI(t, "ephemeral resources")
	env := newTestAccEnv(t)
	factories := env.ProviderFactories()
	factories["echo"] = echoprovider.NewProviderServer()
	config := env.Config(fmt.Sprintf(`
ephemeral "astral_api_key" "job" {
  name         = "tf-acc-one-time import"
  expire_after = "2h"
}

provider "astral" {
  alias       = "job"
  endpoint    = %q
  api_key     = ephemeral.astral_api_key.job.secret
  max_retries = 0
}

data "astral_api_keys" "seen_by_job" {
  provider = astral.job
}

provider "echo" {
  data = ephemeral.astral_api_key.job
}

resource "echo" "job" {}
`, env.URL))
	data := func(name string) tfjsonpath.Path { return tfjsonpath.New("data").AtMapKey(name) }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.job", data("id"), knownvalue.StringRegexp(keyIDPattern)),
				statecheck.ExpectKnownValue("echo.job", data("id"), knownvalue.StringFunc(func(id string) error {
					key := env.readKey(t, id)
					if key.Status != astral.APIKeyStatusRevoked || key.ExpiresAt == nil {
						return fmt.Errorf("after the run the key is %s expiring at %v, want revoked with an expiry", key.Status, key.ExpiresAt)
					}
					return nil
				})),
				statecheck.ExpectKnownValue("echo.job", data("secret"), knownvalue.StringRegexp(secretPattern)),
				statecheck.ExpectKnownValue("echo.job", data("expires_at"), expiresAfter(env, 2*time.Hour)),
				statecheck.ExpectKnownValue("echo.job", data("name"), knownvalue.StringExact("tf-acc-one-time import")),
				// The data source read the organization's keys with the ephemeral key's secret.
				statecheck.ExpectKnownValue("data.astral_api_keys.seen_by_job", tfjsonpath.New("keys"), knownvalue.NotNull()),
			},
			Check: func(s *terraform.State) error {
				for addr, rs := range s.RootModule().Resources {
					if rs.Type == "astral_api_key" {
						return fmt.Errorf("%s is in the state", addr)
					}
				}
				return nil
			},
		}},
	})
}

// Without an expire_after the key lives an hour at most.
func TestAccEphemeralAPIKey_defaultLifetime(t *testing.T) {
	skipUnlessCLI(t, "ephemeral resources")
	env := newTestAccEnv(t)
	factories := map[string]func() (tfprotov6.ProviderServer, error){"echo": echoprovider.NewProviderServer()}
	for name, f := range env.ProviderFactories() {
		factories[name] = f
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: env.Config(`
ephemeral "astral_api_key" "job" {
  name = "tf-acc-default lifetime"
}

provider "echo" {
  data = ephemeral.astral_api_key.job
}

resource "echo" "job" {}
`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.job", tfjsonpath.New("data").AtMapKey("expires_at"), expiresAfter(env, time.Hour)),
			},
		}},
	})
}
