package provider

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

// syncBuffer is a log destination that the sandbox's handlers and the test
// write from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// secretKeys is how many keys the secrets test creates, each a secret to look for.
const secretKeys = 3

// Apply, plan, import and destroy at TRACE log level, Terraform's and the
// provider's, then look for every secret in every log: Terraform's, the
// provider's, the sandbox's. The test sets environment variables, so it
// cannot run in parallel.
func TestAccSecrets_neverLogged(t *testing.T) {
	logDir := t.TempDir()
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG_PROVIDER", "TRACE")
	// terraform-plugin-testing runs Terraform with TF_LOG_PATH set from
	// TF_ACC_LOG_PATH, and writes the in-process provider's logs there too.
	t.Setenv("TF_ACC_LOG_PATH", filepath.Join(logDir, "terraform.log"))

	var sandboxLog syncBuffer
	sb := sandboxtest.Start(t, func(o *sandbox.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&sandboxLog, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	env := &testAccEnv{Env: sb, Client: newTestClient(t, sb.URL, sb.HeadCoachKey)}

	secrets := make([]string, secretKeys)
	stateChecks := make([]statecheck.StateCheck, secretKeys)
	var hcl strings.Builder
	for i := range secrets {
		// Separate resources rather than count: an import address cannot have an index.
		fmt.Fprintf(&hcl, "resource \"astral_api_key\" \"secret_%d\" {\n  name = \"%ssecret-%d\"\n}\n", i, testKeyPrefix, i)
		stateChecks[i] = statecheck.ExpectKnownValue(fmt.Sprintf("astral_api_key.secret_%d", i), tfjsonpath.New("secret"), captureString(&secrets[i]))
	}
	// The provider's key comes from the environment, as it should in real
	// use: terraform-plugin-testing logs each step's configuration verbatim.
	t.Setenv(envAPIKey, env.HeadCoachKey)
	// rate_limit_wait is short: a step below refuses every request with a 429.
	config := fmt.Sprintf("provider \"astral\" {\n  endpoint        = %q\n  max_retries     = 0\n  rate_limit_wait = \"2s\"\n}\n", env.URL) + hcl.String()

	resource.Test(t, env.TestCase(t,
		resource.TestStep{
			Config:            config,
			ConfigStateChecks: stateChecks,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{secretMarkedSensitive{}},
			},
		},
		resource.TestStep{
			Config:   config,
			PlanOnly: true,
		},
		resource.TestStep{
			Config:                  config,
			ResourceName:            "astral_api_key.secret_0",
			ImportState:             true,
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: []string{"secret"},
		},
		// Errors go through the logs too: a rate limit refuses the refresh.
		resource.TestStep{
			PreConfig:   func() { env.Server.SetFaults(sandbox.Faults{ErrorRate: 1, ErrorStatus: http.StatusTooManyRequests}) },
			Config:      config,
			ExpectError: messagePattern("Could not read the API key", "429 rate_limited"),
		},
		resource.TestStep{
			PreConfig: env.Server.ClearFaults,
			Config:    config,
			PlanOnly:  true,
		},
	))

	for i, s := range secrets {
		if !secretPattern.MatchString(s) {
			t.Fatalf("secret %d from the state is %q, not a secret: the test would look for nothing", i, s)
		}
	}
	logs := map[string]string{"sandbox": sandboxLog.String()}
	files, err := filepath.Glob(filepath.Join(logDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		logs[filepath.Base(f)] = string(data)
	}
	// The logs must hold what they are searched for: requests, RPCs and the provider's own lines.
	for name, want := range map[string]string{"sandbox": "POST", "terraform.log": "sdk.framework"} {
		if !strings.Contains(logs[name], want) {
			t.Fatalf("the %s log lacks %q: it was not captured", name, want)
		}
	}
	occurrences := countSecrets(logs, append([]string{env.HeadCoachKey}, secrets...))
	var total, size int
	for _, l := range logs {
		size += len(l)
	}
	for where, n := range occurrences {
		total += n
		t.Errorf("%d occurrence(s) of a secret in %s", n, where)
	}
	t.Logf("secrets: %d looked for in %d logs (%d bytes), %d occurrences", 1+len(secrets), len(logs), size, total)
}

// countSecrets counts, per log, the occurrences of each secret or of its
// 32 characters after the prefix.
func countSecrets(logs map[string]string, secrets []string) map[string]int {
	found := map[string]int{}
	for name, text := range logs {
		for _, s := range secrets {
			if n := strings.Count(text, strings.TrimPrefix(s, "astral_live_")); n > 0 {
				found[name] += n
			}
		}
	}
	return found
}

// secretMarkedSensitive checks that the plan marks the secret of every
// astral_api_key sensitive, so that Terraform never prints it.
type secretMarkedSensitive struct{}

func (secretMarkedSensitive) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	var n int
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Type != "astral_api_key" || rc.Change == nil {
			continue
		}
		n++
		sensitive, _ := rc.Change.AfterSensitive.(map[string]any)
		if sensitive["secret"] != true {
			resp.Error = fmt.Errorf("%s: the planned secret is not marked sensitive (after_sensitive %v)", rc.Address, rc.Change.AfterSensitive)
			return
		}
	}
	if n == 0 {
		resp.Error = fmt.Errorf("the plan has no astral_api_key to check")
	}
}

// The client's log lines name method, URL, status and request id, never the
// Authorization header or a secret, on success, retry and failure alike.
func TestClientLogNeverHoldsSecrets(t *testing.T) {
	t.Parallel()
	env := newTestAccEnv(t)
	var clientLog syncBuffer
	client, err := astral.NewClient(astral.Config{
		Endpoint: env.URL, APIKey: env.HeadCoachKey, MaxRetries: new(2), RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&clientLog, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	key, err := client.APIKeys.Create(ctx, astral.APIKeyCreateOptions{Name: testKeyPrefix + "logged"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.APIKeys.Read(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	env.Server.SetFaults(sandbox.Faults{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable})
	if _, err := client.APIKeys.ListAll(ctx); err == nil {
		t.Fatal("listing succeeded while every request fails")
	}
	env.Server.ClearFaults()
	if _, err := client.APIKeys.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}

	text := clientLog.String()
	if got := strings.Count(text, "request_id=req_"); got < 5 {
		t.Fatalf("the client logged %d responses, want at least 5:\n%s", got, text)
	}
	for where, n := range countSecrets(map[string]string{"client": text}, []string{env.HeadCoachKey, key.Secret}) {
		t.Errorf("%d occurrence(s) of a secret in the %s log", n, where)
	}
	for _, banned := range []string{"Authorization", "Bearer", "Idempotency-Key"} {
		if strings.Contains(strings.ToLower(text), strings.ToLower(banned)) {
			t.Errorf("the client log mentions %q:\n%s", banned, text)
		}
	}
}
