package provider

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

func TestClientLogReachesTerraformLog(t *testing.T) {
	env := sandboxtest.Start(t)
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(t.Context(), &out)
	client, err := astral.NewClient(astral.Config{Endpoint: env.URL, APIKey: env.HeadCoachKey, MaxRetries: new(1), Logger: tflogLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	// Every attempt fails with a 503: the call is logged once per attempt and fails.
	env.Server.SetFaults(sandbox.Faults{ErrorRate: 1})
	if _, err := client.APIKeys.Create(ctx, astral.APIKeyCreateOptions{Name: "tf-acc-logged"}); err == nil {
		t.Fatal("Create succeeded, want the injected 503")
	}

	entries, err := tflogtest.MultilineJSONDecode(&out)
	if err != nil {
		t.Fatalf("decoding the log: %v", err)
	}
	if len(entries) != 2 {
		t.Fatalf("the log has %d entries, want one per attempt (2): %v", len(entries), entries)
	}
	for i, entry := range entries {
		for _, field := range []string{"method", "url", "attempt", "wait", "retry", "status", "request_id"} {
			if _, ok := entry[field]; !ok {
				t.Errorf("entry %d lacks %s: %v", i+1, field, entry)
			}
		}
	}
	for i, want := range []map[string]any{
		{"@level": "debug", "@message": "astral: response", "method": "POST", "attempt": float64(1), "wait": "0s", "retry": true, "status": float64(503)},
		{"@level": "debug", "@message": "astral: response", "method": "POST", "attempt": float64(2), "retry": false, "status": float64(503)},
	} {
		for field, value := range want {
			if entries[i][field] != value {
				t.Errorf("entry %d: %s = %v, want %v", i+1, field, entries[i][field], value)
			}
		}
	}
	if entries[1]["wait"] == "0s" {
		t.Errorf("entry 2 does not show the wait before the retry: %v", entries[1])
	}
	text := out.String()
	for _, leak := range []string{env.HeadCoachKey, "Bearer", "Authorization"} {
		if strings.Contains(text, leak) {
			t.Errorf("the log contains %q", leak)
		}
	}
}
