package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func runDecryptSecret(encrypted, identity string) (string, *function.FuncError) {
	resp := function.RunResponse{Result: function.NewResultData(types.StringUnknown())}
	decryptSecretFunction{}.Run(context.Background(), function.RunRequest{
		Arguments: function.NewArgumentsData([]attr.Value{types.StringValue(encrypted), types.StringValue(identity)}),
	}, &resp)
	if resp.Error != nil {
		return "", resp.Error
	}
	s, ok := resp.Result.Value().(types.String)
	if !ok {
		return "", function.NewFuncError(fmt.Sprintf("the result is a %T, not a string", resp.Result.Value()))
	}
	return s.ValueString(), nil
}

func TestDecryptSecretFunction(t *testing.T) {
	t.Parallel()
	right, wrong := newEd25519TestIdentity(t), newX25519TestIdentity(t)
	armored := encryptedTestSecret(t, right.recipient)
	if got, ferr := runDecryptSecret(armored, right.identity); ferr != nil || got != testSecret {
		t.Fatalf("decrypt_secret = %q, %v", got, ferr)
	}

	tests := []struct {
		name, encrypted, identity string
		argument                  int64
		want                      string
	}{
		{"wrong identity", armored, wrong.identity, 1, "Wrong identity: the identity matches none of the recipients"},
		{"malformed identity", armored, "not a key", 1, "Invalid identity: the identity is not an age X25519 identity"},
		{"not armored", "astral", right.identity, 0, "Invalid encrypted secret: not ASCII-armored age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ferr := runDecryptSecret(tt.encrypted, tt.identity)
			if ferr == nil {
				t.Fatal("no error")
			}
			if ferr.FunctionArgument == nil || *ferr.FunctionArgument != tt.argument {
				t.Errorf("error on argument %v, want %d", ferr.FunctionArgument, tt.argument)
			}
			if !strings.Contains(ferr.Text, tt.want) {
				t.Errorf("error %q lacks %q", ferr.Text, tt.want)
			}
			// Terraform and OpenTofu end the sentence they make of it.
			if strings.HasSuffix(ferr.Text, ".") {
				t.Errorf("error %q ends with a period", ferr.Text)
			}
			for _, id := range []string{right.identity, wrong.identity} {
				if quotesKeyMaterial(ferr.Text, id) {
					t.Errorf("the error quotes an identity: %q", ferr.Text)
				}
			}
		})
	}
}

// doubledPeriod is a sentence that ends twice.
var doubledPeriod = regexp.MustCompile(`[^.]\.\.(\s|$)`)

// The function's errors as the CLI prints them: each argument named, each
// sentence ended once.
func TestAccDecryptSecret_errors(t *testing.T) {
	skipUnlessCLI(t, "provider functions")
	t.Parallel()
	env := newTestAccEnv(t)
	right, wrong := newEd25519TestIdentity(t), newX25519TestIdentity(t)
	armored := encryptedTestSecret(t, right.recipient)
	tests := []struct {
		name, encrypted, identity string
		want                      *regexp.Regexp
	}{
		{"wrong identity", armored, wrong.identity, messagePattern(`Invalid value for "identity" parameter: Wrong identity: the identity matches none of the recipients`,
			"Give the private key of one of the key's secret_recipients.")},
		{"malformed identity", armored, "not a key", messagePattern(`Invalid value for "identity" parameter: Invalid identity: the identity is not an age X25519 identity`,
			"without a passphrase.")},
		{"not armored", "astral", right.identity, messagePattern(`Invalid value for "encrypted_secret" parameter: Invalid encrypted secret: not ASCII-armored age`,
			"as the encrypted_secret attribute does.")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			config := fmt.Sprintf(`
output "secret" {
  value     = provider::astral::decrypt_secret(%q, sensitive(%q))
  sensitive = true
}
`, tt.encrypted, tt.identity)
			failed := false
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: env.ProviderFactories(),
				Steps:                    []resource.TestStep{{Config: env.Config(config), PlanOnly: true}},
				ErrorCheck: func(err error) error {
					failed = true
					switch {
					case !tt.want.MatchString(err.Error()):
						return fmt.Errorf("the error does not match %s: %w", tt.want, err)
					case doubledPeriod.MatchString(err.Error()):
						return fmt.Errorf("a sentence ends with two periods: %w", err)
					}
					return nil
				},
			})
			if !failed {
				t.Error("the plan succeeded")
			}
		})
	}
}

// quotesKeyMaterial says whether text holds a line of a private key other
// than its comments and PEM armor.
func quotesKeyMaterial(text, identity string) bool {
	for line := range strings.Lines(identity) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-----") {
			continue
		}
		if strings.Contains(text, line) {
			return true
		}
	}
	return false
}
