package provider

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"golang.org/x/crypto/ssh"
)

const testSecret = "astral_live_SecretSecretSecretSecretSecretSe"

// testIdentity is a private key of one of the forms decrypt_secret takes,
// with its public key as secret_recipients takes it.
type testIdentity struct {
	name      string
	recipient string
	identity  string
}

func newX25519TestIdentity(t *testing.T) testIdentity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return testIdentity{"age X25519", id.Recipient().String(), "# created: now\n" + id.String() + "\n"}
}

func newEd25519TestIdentity(t *testing.T) testIdentity {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return newSSHTestIdentity(t, "ssh-ed25519", pub, priv)
}

func newRSATestIdentity(t *testing.T) testIdentity {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return newSSHTestIdentity(t, "ssh-rsa", &priv.PublicKey, priv)
}

func newSSHTestIdentity(t *testing.T, name string, pub, priv any) testIdentity {
	t.Helper()
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	authorized := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " ci@example.com"
	return testIdentity{name, authorized, string(pem.EncodeToMemory(block))}
}

func TestEncryptSecret_roundTrip(t *testing.T) {
	t.Parallel()
	ids := []testIdentity{newX25519TestIdentity(t), newEd25519TestIdentity(t), newRSATestIdentity(t)}
	recipients := make([]string, len(ids))
	for i, id := range ids {
		recipients[i] = id.recipient
	}
	diags := &diag.Diagnostics{}
	list, d := types.ListValueFrom(context.Background(), types.StringType, recipients)
	if d.HasError() {
		t.Fatal(d)
	}
	parsed := secretRecipientsOf(context.Background(), list, diags)
	if diags.HasError() {
		t.Fatal(*diags)
	}
	plain, encrypted := sealSecret(testSecret, parsed, diags)
	if diags.HasError() || !plain.IsNull() {
		t.Fatalf("sealSecret: secret %v, diagnostics %v", plain, *diags)
	}
	armored := encrypted.ValueString()
	if !strings.HasPrefix(armored, armor.Header+"\n") || !strings.HasSuffix(armored, armor.Footer+"\n") {
		t.Fatalf("not armored:\n%s", armored)
	}
	if strings.Contains(armored, strings.TrimPrefix(testSecret, "astral_live_")) {
		t.Fatal("the encrypted secret holds the plaintext")
	}
	// Each recipient alone can decrypt it.
	for _, id := range ids {
		t.Run(id.name, func(t *testing.T) {
			identities, err := parseIdentity(id.identity)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decryptSecret(armored, identities)
			if err != nil || got != testSecret {
				t.Fatalf("decryptSecret = %q, %v", got, err)
			}
		})
	}
}

func TestSealSecret_withoutRecipients(t *testing.T) {
	t.Parallel()
	diags := &diag.Diagnostics{}
	plain, encrypted := sealSecret(testSecret, nil, diags)
	if plain.ValueString() != testSecret || !encrypted.IsNull() || diags.HasError() {
		t.Fatalf("sealSecret without recipients = %v, %v, %v", plain, encrypted, *diags)
	}
}

func TestRecipientValidator(t *testing.T) {
	t.Parallel()
	x25519 := newX25519TestIdentity(t).recipient
	// The last character changed, whatever it was: a checksum error.
	typo := x25519[:len(x25519)-1] + "q"
	if strings.HasSuffix(x25519, "q") {
		typo = x25519[:len(x25519)-1] + "p"
	}
	ed := newEd25519TestIdentity(t).recipient
	ecdsa := "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg="
	tests := []struct {
		name, value string
		valid       bool
	}{
		{"age", x25519, true},
		{"ssh-ed25519", ed, true},
		{"ssh-ed25519 without comment", strings.Join(strings.Fields(ed)[:2], " "), true},
		{"ssh-rsa", newRSATestIdentity(t).recipient, true},
		{"age with a typo", typo, false},
		{"age identity instead of recipient", "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", false},
		{"post-quantum age", "age1pq1" + strings.Repeat("q", 50), false},
		{"ecdsa", ecdsa, false},
		{"ssh-ed25519 with a broken key", "ssh-ed25519 AAAAnotbase64", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := path.Root("secret_recipients").AtListIndex(2)
			var resp validator.StringResponse
			recipientValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: p, ConfigValue: types.StringValue(tt.value)}, &resp)
			if got := !resp.Diagnostics.HasError(); got != tt.valid {
				t.Fatalf("valid = %v, want %v: %v", got, tt.valid, resp.Diagnostics)
			}
			if tt.valid {
				return
			}
			d := resp.Diagnostics[0]
			for _, want := range []string{"secret_recipients[2] is not an age X25519 recipient (age1…) or an SSH public key of type ssh-ed25519 or ssh-rsa"} {
				if !strings.Contains(d.Detail(), want) {
					t.Errorf("detail %q lacks %q", d.Detail(), want)
				}
			}
			if len(tt.value) > 8 && strings.Contains(d.Summary()+d.Detail(), tt.value[len(tt.value)-8:]) {
				t.Errorf("the error repeats the value: %q", d.Detail())
			}
		})
	}
}

func TestDecryptSecret_errors(t *testing.T) {
	t.Parallel()
	right, wrong := newX25519TestIdentity(t), newEd25519TestIdentity(t)
	armored := encryptedTestSecret(t, right.recipient)
	body := strings.Split(armored, "\n")
	damaged := strings.Join(append(append([]string{}, body[:2]...), append([]string{strings.Repeat("A", len(body[2]))}, body[3:]...)...), "\n")

	encryptedSSH, err := ssh.MarshalPrivateKeyWithPassphrase(mustEd25519(t), "", []byte("passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, encrypted, identity string
		want                      error
	}{
		{"wrong identity", armored, wrong.identity, errNoIdentityMatch},
		{"not armored", "YWdlLWVuY3J5cHRpb24ub3JnL3YxCg==", right.identity, errNotArmoredAge},
		{"damaged", damaged, right.identity, nil},
		{"identity of another form", armored, "AGE-PLUGIN-YUBIKEY-1XYZ", errIdentityForm},
		{"recipient for identity", armored, right.recipient, errIdentityForm},
		{"malformed age identity", armored, "AGE-SECRET-KEY-1" + strings.Repeat("Q", 10), errIdentityForm},
		{"empty identity", armored, "# nothing\n", errIdentityForm},
		{"ssh key with a passphrase", armored, string(pem.EncodeToMemory(encryptedSSH)), errSSHPassphrase},
		{"malformed PEM", armored, "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", errIdentityForm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ids, err := parseIdentity(tt.identity)
			if err == nil {
				_, err = decryptSecret(tt.encrypted, ids)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %q, want %q", err, tt.want)
			}
			id := strings.TrimSpace(tt.identity)
			if strings.Contains(err.Error(), id[max(0, len(id)-10):]) || strings.Contains(err.Error(), "astral_live_") {
				t.Fatalf("the error quotes its input: %q", err)
			}
		})
	}
}

func mustEd25519(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// encryptedTestSecret is testSecret encrypted to recipient, as the state
// holds it.
func encryptedTestSecret(t *testing.T, recipient string) string {
	t.Helper()
	r, err := parseRecipient(recipient)
	if err != nil {
		t.Fatal(err)
	}
	armored, err := encryptSecret(testSecret, []age.Recipient{r})
	if err != nil {
		t.Fatal(err)
	}
	return armored
}
