package provider

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// recipientsConfig is a key whose secret is encrypted to recipients.
func recipientsConfig(env *testAccEnv, recipients ...string) string {
	quoted := make([]string, len(recipients))
	for i, r := range recipients {
		quoted[i] = strconv.Quote(r)
	}
	return env.Config(`
resource "astral_api_key" "test" {
  name              = "` + testKeyPrefix + `encrypted"
  secret_recipients = [` + strings.Join(quoted, ", ") + `]
}
`)
}

// A key created with secret_recipients has no secret in the plan or the
// state, only encrypted_secret, which each recipient's identity decrypts to
// a secret that authenticates; changing the recipients replaces the key.
func TestAccSecretRecipients(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	x25519, ed, rsaKey := newX25519TestIdentity(t), newEd25519TestIdentity(t), newRSATestIdentity(t)

	// decryptsWith checks that each identity decrypts the state's
	// encrypted_secret to a secret that authenticates.
	decryptsWith := func(ids ...testIdentity) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			attrs := s.RootModule().Resources[testKeyAddr].Primary.Attributes
			for _, id := range ids {
				identities, err := parseIdentity(id.identity)
				if err != nil {
					return err
				}
				secret, err := decryptSecret(attrs["encrypted_secret"], identities)
				if err != nil {
					return fmt.Errorf("%s: %w", id.name, err)
				}
				if !secretPattern.MatchString(secret) || !strings.HasSuffix(secret, attrs["secret_hint"]) {
					return fmt.Errorf("%s decrypts to no secret of the key (hint %s)", id.name, attrs["secret_hint"])
				}
				if status := authStatus(t, env.URL, secret); status != http.StatusOK {
					return fmt.Errorf("the secret decrypted with %s authenticates with status %d, want 200", id.name, status)
				}
			}
			return nil
		}
	}
	encrypted := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(testKeyAddr, at("secret"), knownvalue.Null()),
		statecheck.ExpectKnownValue(testKeyAddr, at("encrypted_secret"), knownvalue.StringRegexp(messagePattern("-----BEGIN AGE ENCRYPTED FILE-----", "-----END AGE ENCRYPTED FILE-----"))),
		statecheck.ExpectSensitiveValue(testKeyAddr, at("encrypted_secret")),
	}
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config: recipientsConfig(env, x25519.recipient, ed.recipient, rsaKey.recipient),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(testKeyAddr, at("secret"), knownvalue.Null()),
				plancheck.ExpectUnknownValue(testKeyAddr, at("encrypted_secret")),
			}},
			ConfigStateChecks: encrypted,
			Check:             decryptsWith(x25519, ed, rsaKey),
		},
		resource.TestStep{
			Config:   recipientsConfig(env, x25519.recipient, ed.recipient, rsaKey.recipient),
			PlanOnly: true,
		},
		resource.TestStep{
			Config: recipientsConfig(env, ed.recipient),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionDestroyBeforeCreate),
			}},
			ConfigStateChecks: encrypted,
			Check: resource.ComposeTestCheckFunc(
				decryptsWith(ed),
				func(s *terraform.State) error {
					ids, err := parseIdentity(x25519.identity)
					if err != nil {
						return err
					}
					if _, err := decryptSecret(s.RootModule().Resources[testKeyAddr].Primary.Attributes["encrypted_secret"], ids); err == nil {
						return fmt.Errorf("a recipient removed from the list still decrypts the new secret")
					}
					return nil
				},
			),
		},
		// Back to plaintext: a new key, whose secret is in the state.
		resource.TestStep{
			Config: env.Config(`
resource "astral_api_key" "test" {
  name = "` + testKeyPrefix + `encrypted"
}
`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionDestroyBeforeCreate),
				plancheck.ExpectKnownValue(testKeyAddr, at("encrypted_secret"), knownvalue.Null()),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testKeyAddr, at("secret"), knownvalue.StringRegexp(secretPattern)),
				statecheck.ExpectKnownValue(testKeyAddr, at("encrypted_secret"), knownvalue.Null()),
			},
		},
	))
}

// A recipient that is not one fails the plan, naming its index and the
// forms accepted.
func TestAccSecretRecipients_invalid(t *testing.T) {
	skipInCLIMatrix(t)
	env := newTestAccEnv(t)
	good := newX25519TestIdentity(t).recipient
	tests := []struct {
		name       string
		recipients []string
		want       []string
	}{
		{"ecdsa", []string{good, "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY="}, []string{"Invalid secret recipient", "secret_recipients[1] is not an age X25519 recipient (age1…) or an SSH public key of type ssh-ed25519 or ssh-rsa"}},
		{"age identity", []string{"AGE-SECRET-KEY-1QQQQ"}, []string{"Invalid secret recipient", "secret_recipients[0] is not an age X25519 recipient"}},
		{"truncated age", []string{good, good, good[:len(good)-3]}, []string{"secret_recipients[2] is not"}},
		{"empty list", []string{}, []string{"secret_recipients", "at least 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: env.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      recipientsConfig(env, tt.recipients...),
					PlanOnly:    true,
					ExpectError: messagePattern(tt.want...),
				}},
			})
		})
	}
}
