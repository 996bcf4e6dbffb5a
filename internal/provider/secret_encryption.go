package provider

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"golang.org/x/crypto/ssh"
)

// The errors below describe a value by its form and never quote it: age's
// own errors repeat the input, which for an identity is a private key.

// recipientForms says what secret_recipients accepts.
const recipientForms = "an age X25519 recipient (age1…) or an SSH public key of type ssh-ed25519 or ssh-rsa, " +
	"as a line of authorized_keys (type, key, optional comment)"

// identityForms says what decrypt_secret accepts as its identity.
const identityForms = "an age X25519 identity (AGE-SECRET-KEY-1…, as age-keygen writes it; # comments and blank lines allowed) " +
	"or an SSH private key of type ed25519 or RSA, in PEM or OpenSSH format, without a passphrase"

var (
	errRecipientForm = errors.New("not " + recipientForms)
	errIdentityForm  = errors.New("not " + identityForms)
	errSSHPassphrase = errors.New("an SSH private key protected by a passphrase, which the provider cannot use: " +
		"give an unencrypted key (ssh-keygen -p -N '' on a copy) or an age identity")
	errNotArmoredAge = errors.New("not ASCII-armored age: it must start with " + armor.Header +
		" and end with " + armor.Footer + ", as the encrypted_secret attribute does")
	errNoIdentityMatch = errors.New("the identity matches none of the recipients the secret was encrypted to")
	errCiphertext      = errors.New("the encrypted secret is damaged: its age payload does not decrypt")
)

// parseRecipient reads one entry of secret_recipients.
func parseRecipient(s string) (age.Recipient, error) {
	var (
		r   age.Recipient
		err error
	)
	switch {
	case strings.HasPrefix(s, "ssh-ed25519 "), strings.HasPrefix(s, "ssh-rsa "):
		r, err = agessh.ParseRecipient(s)
	case strings.HasPrefix(s, "age1") && !strings.HasPrefix(s, "age1pq1"):
		r, err = age.ParseX25519Recipient(s)
	default:
		return nil, errRecipientForm
	}
	if err != nil {
		return nil, errRecipientForm
	}
	return r, nil
}

// recipientValidator checks each entry of secret_recipients at validation,
// so that a bad one fails the plan, not the apply after the key exists.
type recipientValidator struct{}

func (recipientValidator) Description(context.Context) string {
	return "must be " + recipientForms
}

func (v recipientValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (recipientValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseRecipient(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid secret recipient",
			req.Path.String()+" is "+err.Error()+". "+
				"A recipient is a public key: age-keygen -y prints an age identity's, and an SSH key's is its .pub file.")
	}
}

// secretRecipientsOf parses the planned secret_recipients; nil without.
func secretRecipientsOf(ctx context.Context, list types.List, diags *diag.Diagnostics) []age.Recipient {
	if list.IsNull() {
		return nil
	}
	var entries []string
	diags.Append(list.ElementsAs(ctx, &entries, false)...)
	recipients := make([]age.Recipient, 0, len(entries))
	for i, s := range entries {
		r, err := parseRecipient(s)
		if err != nil {
			diags.AddError("Invalid secret recipient",
				"Entry "+strconv.Itoa(i)+" of secret_recipients is "+err.Error()+". No key was created.")
			continue
		}
		recipients = append(recipients, r)
	}
	return recipients
}

// sealSecret is what the state keeps of a new key's secret: the secret
// itself, or, with recipients, only its encryption.
func sealSecret(secret string, recipients []age.Recipient, diags *diag.Diagnostics) (plain, encrypted types.String) {
	if recipients == nil {
		return types.StringValue(secret), types.StringNull()
	}
	armored, err := encryptSecret(secret, recipients)
	if err != nil {
		// age's errors name recipients at most, never the plaintext.
		diags.AddError("Could not encrypt the API key's secret",
			"The key was created, but its secret could not be encrypted to secret_recipients ("+err.Error()+"), so nothing holds it. "+
				"The key is tainted: the next apply revokes it and creates another.")
		return types.StringNull(), types.StringNull()
	}
	return types.StringNull(), types.StringValue(armored)
}

// encryptSecret encrypts secret to every recipient, ASCII-armored so that
// it fits a string attribute and can be piped into `age -d`.
func encryptSecret(secret string, recipients []age.Recipient) (string, error) {
	var out bytes.Buffer
	armored := armor.NewWriter(&out)
	w, err := age.Encrypt(armored, recipients...)
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(w, secret); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	if err := armored.Close(); err != nil {
		return "", err
	}
	return out.String(), nil
}

// parseIdentity reads the identity given to decrypt_secret: a PEM or
// OpenSSH private key, or age identities one per line.
func parseIdentity(s string) ([]age.Identity, error) {
	trimmed := strings.TrimSpace(s)
	if strings.HasPrefix(trimmed, "-----BEGIN") {
		id, err := agessh.ParseIdentity([]byte(trimmed))
		var missing *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &missing):
			return nil, errSSHPassphrase
		case err != nil:
			return nil, errIdentityForm
		}
		return []age.Identity{id}, nil
	}
	var ids []age.Identity
	for line := range strings.Lines(trimmed) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "AGE-SECRET-KEY-1") {
			return nil, errIdentityForm
		}
		id, err := age.ParseX25519Identity(line)
		if err != nil {
			return nil, errIdentityForm
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, errIdentityForm
	}
	return ids, nil
}

// decryptSecret reverses encryptSecret with identities.
func decryptSecret(armored string, identities []age.Identity) (string, error) {
	trimmed := strings.TrimSpace(armored)
	if !strings.HasPrefix(trimmed, armor.Header) || !strings.HasSuffix(trimmed, armor.Footer) {
		return "", errNotArmoredAge
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(trimmed)), identities...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		var armorErr *armor.Error
		switch {
		case errors.As(err, &noMatch):
			return "", errNoIdentityMatch
		case errors.As(err, &armorErr):
			return "", errNotArmoredAge
		}
		return "", errCiphertext
	}
	plaintext, err := io.ReadAll(r)
	if err != nil {
		return "", errCiphertext
	}
	return string(plaintext), nil
}

// planSecretAttributes plans, for a new key, which of secret and
// encrypted_secret stays null, so that the plan says where the secret will
// be rather than "known after apply" for both.
func planSecretAttributes(ctx context.Context, plan tfsdk.Plan, out *tfsdk.Plan, diags *diag.Diagnostics) {
	var recipients types.List
	diags.Append(plan.GetAttribute(ctx, path.Root("secret_recipients"), &recipients)...)
	switch {
	case recipients.IsUnknown():
	case recipients.IsNull():
		diags.Append(out.SetAttribute(ctx, path.Root("encrypted_secret"), types.StringNull())...)
	default:
		diags.Append(out.SetAttribute(ctx, path.Root("secret"), types.StringNull())...)
	}
}
