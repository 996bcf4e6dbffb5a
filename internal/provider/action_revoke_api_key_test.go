package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// revokeConfig invokes the action with args once, after terraform_data is
// created, as terraform-provider-tfe tests its actions. The data changes
// with args, so that each step's arguments create it anew and invoke the
// action again.
func revokeConfig(args string) string {
	return fmt.Sprintf(`
action "astral_revoke_api_key" "test" {
  config {
%[1]s
  }
}

resource "terraform_data" "trigger" {
  triggers_replace = %[1]q
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.astral_revoke_api_key.test]
    }
  }
}
`, args)
}

// checkKeyRevoked checks through the API that the key is revoked, at
// revokedAt when that is not nil.
func (e *testAccEnv) checkKeyRevoked(t *testing.T, id string, revokedAt *time.Time) resource.TestCheckFunc {
	return func(*terraform.State) error {
		key, err := e.Client.APIKeys.Read(t.Context(), id)
		if err != nil {
			return err
		}
		if key.Status != astral.APIKeyStatusRevoked {
			return fmt.Errorf("%s is %s, want revoked", id, key.Status)
		}
		if revokedAt != nil && (key.RevokedAt == nil || !key.RevokedAt.Equal(*revokedAt)) {
			return fmt.Errorf("%s was revoked at %v, want %v: revoked again", id, key.RevokedAt, revokedAt)
		}
		return nil
	}
}

func TestAccRevokeAPIKeyAction_revokes(t *testing.T) {
	skipUnlessCLI(t, "actions")
	t.Parallel()
	env := newTestAccEnv(t)
	leaked := env.CreateKey(t, testKeyPrefix+"leaked", nil)
	resource.Test(t, env.TestCase(t, resource.TestStep{
		Config: env.Config(revokeConfig(fmt.Sprintf("id = %q", leaked.ID))),
		Check:  env.checkKeyRevoked(t, leaked.ID, nil),
	}))
	// The revoked key no longer authenticates.
	if _, err := newTestClient(t, env.URL, leaked.Secret).Me(context.Background()); err == nil {
		t.Error("the revoked key still authenticates")
	}
}

// Revoking a revoked key succeeds and leaves its revocation as it was.
func TestAccRevokeAPIKeyAction_alreadyRevoked(t *testing.T) {
	skipUnlessCLI(t, "actions")
	t.Parallel()
	env := newTestAccEnv(t)
	key := env.CreateKey(t, testKeyPrefix+"revoked before", nil)
	revoked, err := env.Client.APIKeys.Revoke(context.Background(), key.ID)
	if err != nil {
		t.Fatal(err)
	}
	env.Server.AdvanceClock(time.Hour)
	resource.Test(t, env.TestCase(t, resource.TestStep{
		Config: env.Config(revokeConfig(fmt.Sprintf("id = %q", key.ID))),
		Check:  env.checkKeyRevoked(t, key.ID, revoked.RevokedAt),
	}))
}

// A key of another organization and an id nobody has are both unknown to
// the API; the error names the organization the provider's key belongs to.
func TestAccRevokeAPIKeyAction_notFound(t *testing.T) {
	skipUnlessCLI(t, "actions")
	t.Parallel()
	env := newTestAccEnv(t)
	other, err := env.Server.CreateOrganization(context.Background(), "Other Rowing Club", sandbox.PlanCoach)
	if err != nil {
		t.Fatal(err)
	}
	othersKey := other.Member(sandbox.RoleHeadCoach).APIKeyID
	for name, id := range map[string]string{"another organization's key": othersKey, "an unknown id": "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"} {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, env.TestCase(t, resource.TestStep{
				Config: env.Config(revokeConfig(fmt.Sprintf("id = %q", id))),
				ExpectError: messagePattern("API key not found", "There is no key with the id "+id+" in the organization",
					fmt.Sprintf("%q (%s) of the provider's API key", env.Org.Name, env.Org.ID), "not_found"),
			}))
		})
	}
	key, err := newTestClient(t, env.URL, other.Member(sandbox.RoleHeadCoach).APIKey).APIKeys.Read(context.Background(), othersKey)
	if err != nil || key.Status != astral.APIKeyStatusActive {
		t.Errorf("the other organization's key reads %v, %v: want it active", key, err)
	}
}

// The provider's own key is revoked only with allow_revoking_provider_key.
func TestAccRevokeAPIKeyAction_providerKey(t *testing.T) {
	skipUnlessCLI(t, "actions")
	t.Parallel()
	env := newTestAccEnv(t)
	// A key of the head coach's own, so that revoking it leaves the
	// sandbox's key to check with.
	own := env.CreateKey(t, testKeyPrefix+"provider's key", nil)
	config := env.ProviderBlock(own.Secret)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:      config + revokeConfig(fmt.Sprintf("id = %q", own.ID)),
				ExpectError: messagePattern("Refusing to revoke the provider's own API key", "allow_revoking_provider_key = true"),
			},
			{
				Config: config + revokeConfig(fmt.Sprintf("id = %q\nallow_revoking_provider_key = false", own.ID)),
				ExpectError: messagePattern("Refusing to revoke the provider's own API key", own.ID,
					fmt.Sprintf("%q (%s)", env.Org.Name, env.Org.ID)),
			},
			{
				Config: config + revokeConfig(fmt.Sprintf("id = %q\nallow_revoking_provider_key = true", own.ID)),
				Check:  env.checkKeyRevoked(t, own.ID, nil),
			},
		},
	})
}

// A malformed id fails validation, before any request.
func TestAccRevokeAPIKeyAction_invalidID(t *testing.T) {
	skipUnlessCLI(t, "actions")
	t.Parallel()
	env := newTestAccEnv(t)
	env.Server.ResetStats()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:      env.Config(revokeConfig(`id = "key_123"`)),
				ExpectError: messagePattern("Invalid API key ID", `"key_" followed by a 26-character ULID`),
			},
			{
				// Without the attribute's path, so that Terraform does not
				// print the configuration's line.
				Config:      env.Config(revokeConfig(fmt.Sprintf("id = %q", unusedKey))),
				ExpectError: messagePattern("Invalid API key ID", "The value of id is not the ID of an API key: the value is an API key secret, not an ID"),
			},
		},
	})
	if n := env.Server.Stats().Requests["DELETE /v1/api-keys/{id}"]; n != 0 {
		t.Errorf("%d revoke requests, want none", n)
	}
}
