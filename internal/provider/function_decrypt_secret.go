package provider

import (
	"context"
	"errors"

	"github.com/hashicorp/terraform-plugin-framework/function"
)

var _ function.Function = decryptSecretFunction{}

// decryptSecretFunction is provider::astral::decrypt_secret. The provider
// cannot mark its result: Terraform does, from the arguments' marks. An
// ephemeral identity makes the result ephemeral (Terraform 1.10+, OpenTofu
// 1.11+), a sensitive one makes it sensitive, which is why the
// documentation insists on one or the other.
type decryptSecretFunction struct{}

func newDecryptSecretFunction() function.Function { return decryptSecretFunction{} }

func (decryptSecretFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "decrypt_secret"
}

func (decryptSecretFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Decrypts the encrypted_secret of an astral_api_key",
		MarkdownDescription: "Decrypts the `encrypted_secret` of an `astral_api_key` created with `secret_recipients`, and returns the key's secret (`astral_live_…`).\n\n" +
			"Give the identity as an ephemeral value (an `ephemeral = true` variable, or an attribute of an ephemeral resource): " +
			"the result is then ephemeral too (Terraform 1.10+, OpenTofu 1.11+), so it can reach a write-only argument, " +
			"such as `data_json_wo` of `vault_kv_secret_v2`, and never the state or the plan. " +
			"A `sensitive` identity makes the result sensitive, which hides it from output but lets Terraform store it wherever it is passed. " +
			"An identity that is neither makes a result that is neither: Terraform would print the secret.\n\n" +
			"Errors say what is wrong with an argument, never its value.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name:                "encrypted_secret",
				MarkdownDescription: "The `encrypted_secret` attribute of an `astral_api_key`: ASCII-armored age.",
			},
			function.StringParameter{
				Name: "identity",
				MarkdownDescription: "The private key matching one of the key's `secret_recipients`: " + identityForms + ". " +
					"Pass it as an ephemeral (or at least sensitive) value.",
			},
		},
		Return: function.StringReturn{},
	}
}

func (decryptSecretFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var encrypted, identity string
	resp.Error = req.Arguments.Get(ctx, &encrypted, &identity)
	if resp.Error != nil {
		return
	}
	// Terraform and OpenTofu print an argument's error as a sentence of
	// their own, "Invalid value for ... parameter: <text>.", so the text
	// ends without a period.
	identities, err := parseIdentity(identity)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(1, "Invalid identity: the identity is "+err.Error())
		return
	}
	secret, err := decryptSecret(encrypted, identities)
	switch {
	case errors.Is(err, errNoIdentityMatch):
		resp.Error = function.NewArgumentFuncError(1, "Wrong identity: "+err.Error()+
			". Give the private key of one of the key's secret_recipients")
		return
	case err != nil:
		resp.Error = function.NewArgumentFuncError(0, "Invalid encrypted secret: "+err.Error())
		return
	}
	resp.Error = resp.Result.Set(ctx, secret)
}
