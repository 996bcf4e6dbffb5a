package provider

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/zclconf/go-cty/cty"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// The guides that hand secrets to Vault run against a real OpenBao (Vault's
// open-source fork, with the same HTTP API) and the vault and time
// providers, which make test has only where .ci/run finds them.
const envBao = "ASTRAL_TEST_BAO"

// baoServer is an OpenBao dev server that one test alone uses.
type baoServer struct {
	addr, token string
}

// startBao runs `bao server -dev` on a free port with a random root token,
// and stops it when the test ends. The dev server keeps everything in
// memory and has KV version 2 at secret/.
func startBao(t *testing.T) *baoServer {
	t.Helper()
	bin := os.Getenv(envBao)
	if bin == "" {
		t.Skipf("needs an OpenBao server binary: set %s (.ci/run sets it from ../shared/cli)", envBao)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b := &baoServer{addr: "http://" + listen, token: rand.Text()}
	cmd := exec.Command(bin, "server", "-dev", "-dev-root-token-id="+b.token, "-dev-listen-address="+listen)
	// The dev server writes its token to ~/.vault-token: keep it in the test's own home.
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "BAO_ADDR=", "VAULT_ADDR=")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if status, _ := b.do("GET", "/v1/sys/health", nil, nil); status == http.StatusOK {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("OpenBao did not start on %s:\n%s", listen, out.String())
		}
	}
}

// do sends a request to OpenBao's HTTP API and decodes its JSON answer
// into out, if any.
func (b *baoServer) do(method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, b.addr+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Vault-Token", b.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || out == nil || len(data) == 0 {
		return resp.StatusCode, err
	}
	return resp.StatusCode, json.Unmarshal(data, out)
}

// mountKV mounts a KV version 2 secrets engine at path.
func (b *baoServer) mountKV(t *testing.T, path string) {
	t.Helper()
	status, err := b.do("POST", "/v1/sys/mounts/"+path, map[string]any{"type": "kv", "options": map[string]string{"version": "2"}}, nil)
	if err != nil || status != http.StatusNoContent {
		t.Fatalf("mount kv-v2 at %s: %d %v", path, status, err)
	}
}

// kvSecret is the latest version of a KV version 2 secret as OpenBao's API
// gives it.
type kvSecret struct {
	Data struct {
		Data     map[string]string `json:"data"`
		Metadata struct {
			Version int `json:"version"`
		} `json:"metadata"`
	} `json:"data"`
}

func (b *baoServer) readSecret(mount, name string) (*kvSecret, error) {
	var s kvSecret
	status, err := b.do("GET", "/v1/"+mount+"/data/"+name, nil, &s)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET /v1/%s/data/%s: status %d", mount, name, status)
	}
	return &s, nil
}

// versionCreated is when OpenBao wrote version v of a KV version 2 secret,
// by its clock, which is this machine's.
func (b *baoServer) versionCreated(mount, name string, v int) (time.Time, error) {
	var m struct {
		Data struct {
			Versions map[string]struct {
				CreatedTime time.Time `json:"created_time"`
			} `json:"versions"`
		} `json:"data"`
	}
	status, err := b.do("GET", "/v1/"+mount+"/metadata/"+name, nil, &m)
	if err != nil {
		return time.Time{}, err
	}
	version, ok := m.Data.Versions[fmt.Sprint(v)]
	if status != http.StatusOK || !ok {
		return time.Time{}, fmt.Errorf("GET /v1/%s/metadata/%s: status %d, no version %d", mount, name, status, v)
	}
	return version.CreatedTime, nil
}

// skipUnlessVaultProviders skips the test unless the CLI can install the
// vault and time providers.
func skipUnlessVaultProviders(t *testing.T) {
	t.Helper()
	if os.Getenv(envProviderMirror) == "" {
		t.Skipf("needs the hashicorp/vault and hashicorp/time providers: set %s to a provider mirror (.ci/run sets it from ../shared/cli)", envProviderMirror)
	}
}

// vaultGuideEnv is a sandbox and an OpenBao for one test of a guide, with
// the providers configured from the environment as the guides expect.
type vaultGuideEnv struct {
	*testAccEnv
	bao *baoServer
	// clockOffset is how far the test has moved the sandbox's clock ahead
	// of this machine's, which OpenBao's follows.
	clockOffset time.Duration
	// watched is the Vault secret, mount/name, whose latest version the
	// provider's requests to revoke a key record in revokes, by key id:
	// the API records revoked_at to the second only, too coarse to order
	// against a write in the same second.
	watched string
	mu      sync.Mutex
	revokes map[string]kvSecret
}

func newVaultGuideEnv(t *testing.T, watched string) *vaultGuideEnv {
	t.Helper()
	skipUnlessCLI(t, "ephemeral resources")
	skipUnlessVaultProviders(t)
	bao := startBao(t)
	e := &vaultGuideEnv{testAccEnv: newExampleEnv(t), bao: bao, watched: watched, revokes: map[string]kvSecret{}}
	target, err := url.Parse(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutPrefix(r.URL.Path, "/v1/api-keys/"); ok && r.Method == http.MethodDelete {
			mount, name, _ := strings.Cut(e.watched, "/")
			if kv, err := bao.readSecret(mount, name); err == nil {
				e.mu.Lock()
				e.revokes[id] = *kv
				e.mu.Unlock()
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	t.Setenv(envEndpoint, front.URL)
	t.Setenv("VAULT_ADDR", bao.addr)
	t.Setenv("VAULT_TOKEN", bao.token)
	serveMirroredProviders(t, "vault", "time")
	return e
}

func (e *vaultGuideEnv) advanceClock(d time.Duration) {
	e.Server.AdvanceClock(d)
	e.clockOffset += d
}

func (e *vaultGuideEnv) authStatus(t *testing.T, secret string) int {
	t.Helper()
	return authStatus(t, e.URL, secret)
}

// authStatus is the status of GET /v1/me at the API at endpoint with
// secret as the key, through the project's client.
func authStatus(t *testing.T, endpoint, secret string) int {
	t.Helper()
	_, err := newTestClient(t, endpoint, secret).Me(t.Context())
	var apiErr *astral.APIError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &apiErr):
		return apiErr.StatusCode
	}
	t.Fatalf("GET /v1/me: %v", err)
	return 0
}

// mount is the KV version 2 mount of the guides' examples.
const mount = "astral"

// handedKey is a key as the state and Vault know it after a step.
type handedKey struct {
	id, secret string
	version    int // of the Vault secret that holds it
}

// checkHandedToVault checks that the Vault secret name in mount holds the
// secret of the key at addr (from the state, or from the function want, for
// a key whose state holds none), and that the secret authenticates; it
// records the key in got.
func (e *vaultGuideEnv) checkHandedToVault(t *testing.T, addr, name string, got *handedKey) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("no %s in the state", addr)
		}
		kv, err := e.bao.readSecret(mount, name)
		if err != nil {
			return err
		}
		id, secret := rs.Primary.Attributes["id"], kv.Data.Data["secret"]
		if kv.Data.Data["id"] != id {
			return fmt.Errorf("Vault's %s/%s holds the id %q, want %s's %q", mount, name, kv.Data.Data["id"], addr, id)
		}
		if stateSecret := rs.Primary.Attributes["secret"]; stateSecret != "" && stateSecret != secret {
			return fmt.Errorf("Vault's %s/%s holds another secret than %s's (hint %s)", mount, name, addr, rs.Primary.Attributes["secret_hint"])
		}
		if !strings.HasSuffix(secret, rs.Primary.Attributes["secret_hint"]) || !secretPattern.MatchString(secret) {
			return fmt.Errorf("Vault's %s/%s holds no secret of %s (hint %s)", mount, name, id, rs.Primary.Attributes["secret_hint"])
		}
		if status := e.authStatus(t, secret); status != http.StatusOK {
			return fmt.Errorf("the secret in Vault (hint %s) authenticates with status %d, want 200", rs.Primary.Attributes["secret_hint"], status)
		}
		*got = handedKey{id: id, secret: secret, version: kv.Data.Metadata.Version}
		return nil
	}
}

// checkWrittenBeforeRevoked checks that Vault held the secret of next
// before the API revoked old, and that old's secret no longer works.
func (e *vaultGuideEnv) checkWrittenBeforeRevoked(t *testing.T, name string, old, next *handedKey) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if next.id == old.id || next.version <= old.version {
			return fmt.Errorf("the key was not replaced in Vault: %s (version %d) after %s (version %d)", next.id, next.version, old.id, old.version)
		}
		e.mu.Lock()
		atRevoke, seen := e.revokes[old.id]
		e.mu.Unlock()
		if !seen {
			return fmt.Errorf("the provider sent no revoke of %s", old.id)
		}
		if got := atRevoke.Data.Data["id"]; got != next.id || atRevoke.Data.Metadata.Version != next.version {
			return fmt.Errorf("when the revoke of %s arrived, Vault held version %d, for %q; want version %d, for the new key %s",
				old.id, atRevoke.Data.Metadata.Version, got, next.version, next.id)
		}
		written, err := e.bao.versionCreated(mount, name, next.version)
		if err != nil {
			return err
		}
		key, err := e.Client.APIKeys.Read(t.Context(), old.id)
		if err != nil {
			return err
		}
		if key.Status != astral.APIKeyStatusRevoked || key.RevokedAt == nil {
			return fmt.Errorf("the replaced key %s is %s, want revoked", old.id, key.Status)
		}
		// Within the second that the API records, the metadata agree.
		revoked := key.RevokedAt.Add(-e.clockOffset)
		if written.Truncate(time.Second).After(revoked) {
			return fmt.Errorf("Vault got the new secret at %s, after the old key was revoked at %s", written.Format(time.RFC3339Nano), revoked.Format(time.RFC3339))
		}
		t.Logf("new secret written to Vault (version %d) at %s; old key %s revoked at %s (API time, to the second), when Vault held version %d",
			next.version, written.Format(time.RFC3339Nano), old.id, key.RevokedAt.Format(time.RFC3339), atRevoke.Data.Metadata.Version)
		if status := e.authStatus(t, old.secret); status != http.StatusUnauthorized {
			return fmt.Errorf("the replaced key's secret authenticates with status %d, want 401", status)
		}
		return nil
	}
}

// guideExample loads one example of the guides.
func guideExample(t *testing.T, name string) *example {
	t.Helper()
	examples, err := loadExamples(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		if ex.name == name {
			return ex
		}
	}
	t.Fatalf("no example %s under %s", name, examplesDir)
	return nil
}

// editedDir writes the example into a directory of its own, with the
// given attributes of its resource blocks set to literals, as a user would
// edit it: "astral_api_key.ci.rotate_when_changed.manual" sets a map key.
func editedDir(t *testing.T, ex *example, edits map[string]cty.Value) string {
	t.Helper()
	dir := ex.workDir(t, nil)
	for base := range ex.files {
		path := filepath.Join(dir, base)
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		file, diags := hclwrite.ParseConfig(src, base, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		for _, block := range file.Body().Blocks() {
			if block.Type() != "resource" {
				continue
			}
			addr := strings.Join(block.Labels(), ".") + "."
			for target, v := range edits {
				attr, ok := strings.CutPrefix(target, addr)
				if !ok {
					continue
				}
				if name, key, isMap := strings.Cut(attr, "."); isMap {
					a := block.Body().GetAttribute(name)
					if a == nil {
						t.Fatalf("%s: no %s", target, name)
					}
					expr := string(a.Expr().BuildTokens(nil).Bytes())
					edited := mapWith(expr, key, v)
					if edited == expr {
						t.Fatalf("%s: no %s in %s", target, key, expr)
					}
					block.Body().SetAttributeRaw(name, hclwrite.Tokens{{Type: hclsyntax.TokenIdent, Bytes: []byte(edited)}})
					continue
				}
				block.Body().SetAttributeValue(attr, v)
			}
		}
		writeFile(t, path, file.Bytes())
	}
	return dir
}

// mapWith is the object expression expr, one entry a line, with key's
// value replaced by v.
func mapWith(expr, key string, v cty.Value) string {
	var out strings.Builder
	for line := range strings.Lines(expr) {
		if k, _, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == key {
			indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
			line = indent + key + " = " + string(hclwrite.TokensForValue(v).Bytes()) + "\n"
		}
		out.WriteString(line)
	}
	return out.String()
}

// guideStep is a step that applies dir with the providers the guide uses:
// this one served in-process, the others installed from the mirror.
func (e *vaultGuideEnv) guideStep(dir string, step resource.TestStep) resource.TestStep {
	step.ConfigDirectory = config.StaticDirectory(dir)
	step.ProtoV6ProviderFactories = e.ProviderFactories()
	return step
}

// The Vault guide, applied: the key's secret reaches Vault and works; a
// rename replaces the key, and Vault holds the new secret before the old
// key is revoked (create_before_destroy); destroy revokes it.
func TestAccVaultGuide(t *testing.T) {
	env := newVaultGuideEnv(t, mount+"/roster-sync")
	ex := guideExample(t, "guides/vault")
	const addr, name = "astral_api_key.roster_sync", "roster-sync"
	var first, second handedKey
	resource.Test(t, resource.TestCase{
		CheckDestroy: env.checkKeysRevoked(t),
		Steps: []resource.TestStep{
			env.guideStep(ex.workDir(t, nil), resource.TestStep{
				Check: env.checkHandedToVault(t, addr, name, &first),
			}),
			env.guideStep(editedDir(t, ex, map[string]cty.Value{addr + ".name": cty.StringVal("Roster sync script, renamed")}), resource.TestStep{
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreateBeforeDestroy),
					plancheck.ExpectResourceAction("vault_kv_secret_v2.roster_sync", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					env.checkHandedToVault(t, addr, name, &second),
					env.checkWrittenBeforeRevoked(t, name, &first, &second),
				),
			}),
		},
	})
}

// The rotation guide, applied: rotation by the API's clock and by
// rotate_when_changed each hand a new secret to Vault, and with
// revoke_on_destroy = false the replaced key keeps working until it
// expires, then fails.
func TestAccVaultRotationGuide(t *testing.T) {
	env := newVaultGuideEnv(t, mount+"/ci-deploys")
	ex := guideExample(t, "guides/rotation")
	// The rotation guide writes to the mount that the Vault guide creates.
	env.bao.mountKV(t, mount)
	const addr, name = "astral_api_key.ci", "ci-deploys"
	const day = 24 * time.Hour
	var first, second, third handedKey
	replaces := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreateBeforeDestroy),
		plancheck.ExpectResourceAction("vault_kv_secret_v2.ci", plancheck.ResourceActionUpdate),
	}}
	stillWorks := func(old *handedKey) resource.TestCheckFunc {
		return func(*terraform.State) error {
			key, err := env.Client.APIKeys.Read(t.Context(), old.id)
			if err != nil {
				return err
			}
			if key.Status != astral.APIKeyStatusActive {
				return fmt.Errorf("the replaced key %s is %s, want active until it expires", old.id, key.Status)
			}
			if status := env.authStatus(t, old.secret); status != http.StatusOK {
				return fmt.Errorf("the replaced key's secret authenticates with status %d, want 200 until it expires", status)
			}
			return nil
		}
	}
	manual := editedDir(t, ex, map[string]cty.Value{addr + ".rotate_when_changed.manual": cty.StringVal("2")})
	resource.Test(t, resource.TestCase{
		Steps: []resource.TestStep{
			env.guideStep(ex.workDir(t, nil), resource.TestStep{
				Check: env.checkHandedToVault(t, addr, name, &first),
			}),
			// Day 77 of 90: inside rotate_before = "14d".
			env.guideStep(ex.workDir(t, nil), resource.TestStep{
				PreConfig:        func() { env.advanceClock(77 * day) },
				ConfigPlanChecks: replaces,
				Check: resource.ComposeTestCheckFunc(
					env.checkHandedToVault(t, addr, name, &second),
					stillWorks(&first),
				),
			}),
			env.guideStep(manual, resource.TestStep{
				ConfigPlanChecks: replaces,
				Check: resource.ComposeTestCheckFunc(
					env.checkHandedToVault(t, addr, name, &third),
					stillWorks(&first),
					stillWorks(&second),
				),
			}),
			// Day 91: the first key has expired; the others have not.
			env.guideStep(manual, resource.TestStep{
				PreConfig: func() { env.advanceClock(14 * day) },
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error {
						if status := env.authStatus(t, first.secret); status != http.StatusUnauthorized {
							return fmt.Errorf("the first key's secret authenticates with status %d after it expired, want 401", status)
						}
						return nil
					},
					stillWorks(&second),
					env.checkHandedToVault(t, addr, name, &third),
				),
			}),
		},
	})
}

// findPlaintext looks for s in every file under dir, and in every entry of
// the zip archives (plan files) among them, and returns where it is.
func findPlaintext(t *testing.T, dir, s string) (found []string, searched int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		searched++
		if bytes.Contains(data, []byte(s)) {
			found = append(found, path)
		}
		if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
			return nil
		}
		// A plan file is a zip archive, whose compressed entries a search of its bytes would miss.
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				return err
			}
			entry, err := io.ReadAll(rc)
			_ = rc.Close()
			if err != nil {
				return err
			}
			searched++
			if bytes.Contains(entry, []byte(s)) {
				found = append(found, path+"!"+f.Name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found, searched
}

// The chain of the Vault guide's last section: a key whose state holds its
// secret encrypted only, decrypted with an ephemeral identity by
// provider::astral::decrypt_secret into a write-only argument of
// vault_kv_secret_v2. Vault gets each new secret, which then authenticates,
// and no state file, plan file or log of the run, at TRACE, holds it.
func TestAccVaultWriteOnlyChain(t *testing.T) {
	skipUnlessCLI(t, "write-only arguments")
	skipUnlessCLI(t, "provider functions")
	// The logs are set first: the providers that newVaultGuideEnv starts
	// log beside the CLI, at TRACE.
	logDir, workRoot := t.TempDir(), t.TempDir()
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG_PROVIDER", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", filepath.Join(logDir, "terraform.log"))
	// The working directories stay, with their state and plan files, for the search below.
	t.Setenv("TF_ACC_TEMP_DIR", workRoot)
	t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")
	env := newVaultGuideEnv(t, mount+"/roster-sync")
	ex := guideExample(t, "guides/vault/write-only")
	const addr, name = "astral_api_key.roster_sync", "roster-sync"

	id := newX25519TestIdentity(t)
	vars := config.Variables{
		"astral_recipient": config.StringVariable(id.recipient),
		"astral_identity":  config.StringVariable(id.identity),
	}
	// decryptsToVault checks that the state's encrypted_secret, and nothing
	// else of the state, gives the secret that Vault holds.
	decryptsToVault := func(got *handedKey) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			attrs := s.RootModule().Resources[addr].Primary.Attributes
			if attrs["secret"] != "" {
				return fmt.Errorf("%s has a secret in the state", addr)
			}
			ids, err := parseIdentity(id.identity)
			if err != nil {
				return err
			}
			secret, err := decryptSecret(attrs["encrypted_secret"], ids)
			if err != nil {
				return fmt.Errorf("decrypting %s's encrypted_secret: %w", addr, err)
			}
			if secret != got.secret {
				return fmt.Errorf("%s's encrypted_secret is not the secret in Vault (hint %s)", addr, attrs["secret_hint"])
			}
			return nil
		}
	}
	var first, second handedKey
	resource.Test(t, resource.TestCase{
		CheckDestroy: env.checkKeysRevoked(t),
		Steps: []resource.TestStep{
			env.guideStep(ex.workDir(t, nil), resource.TestStep{
				ConfigVariables: vars,
				Check: resource.ComposeTestCheckFunc(
					env.checkHandedToVault(t, addr, name, &first),
					decryptsToVault(&first),
				),
			}),
			env.guideStep(editedDir(t, ex, map[string]cty.Value{addr + ".name": cty.StringVal("Roster sync script, renamed")}), resource.TestStep{
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreateBeforeDestroy),
					plancheck.ExpectResourceAction("vault_kv_secret_v2.roster_sync", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					env.checkHandedToVault(t, addr, name, &second),
					decryptsToVault(&second),
					env.checkWrittenBeforeRevoked(t, name, &first, &second),
				),
			}),
		},
	})

	// The search must look where the secrets would be: the key ids are in
	// the states, the plans and the logs.
	if found, _ := findPlaintext(t, workRoot, first.id); len(found) == 0 {
		t.Fatalf("no file under the working directories names %s: the search below would prove nothing", first.id)
	}
	if found, _ := findPlaintext(t, logDir, "decrypt_secret"); len(found) == 0 {
		t.Fatal("the logs do not mention decrypt_secret: they were not captured")
	}
	var searched int
	for _, k := range []handedKey{first, second} {
		body := strings.TrimPrefix(k.secret, "astral_live_")
		for _, dir := range []string{workRoot, logDir} {
			found, n := findPlaintext(t, dir, body)
			searched += n
			for _, f := range found {
				t.Errorf("the secret of %s (hint %s) is in %s", k.id, body[len(body)-4:], f)
			}
		}
	}
	t.Logf("2 secrets looked for in %d files and plan entries of the run: found %s", searched, map[bool]string{true: "none", false: "some"}[!t.Failed()])
}
