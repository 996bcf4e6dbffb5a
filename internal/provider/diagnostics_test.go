package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

func TestClientErrorDiagnostic(t *testing.T) {
	apiError := func(status int, code, message string) *astral.APIError {
		return &astral.APIError{
			StatusCode: status, Code: code, Message: message, RequestID: "req_01JD3X8Z6W4Q9T2B7N5M1K0C3T",
			Method: "GET", URL: "https://api.astral.app/v1/api-keys",
		}
	}
	connErr := &astral.ConnectionError{Method: "GET", URL: "https://astral.internal:8443/base/v1/api-keys", Attempts: 5, Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want []string // in the detail, in order
	}{
		{
			"unauthenticated", apiError(401, "unauthenticated", "the API key is not valid"),
			[]string{
				"The provider's API key is not valid: it may be revoked or expired. Create a new key in the Astral app under Settings → Security and set api_key (or ASTRAL_API_KEY) to its secret.",
				"401 unauthenticated: the API key is not valid (request req_01JD3X8Z6W4Q9T2B7N5M1K0C3T)",
			},
		},
		{
			"free plan", apiError(403, "plan_upgrade_required", "API keys need the coach plan"),
			[]string{"API keys need the Coach plan or above; upgrade the organization's plan", "403 plan_upgrade_required: API keys need the coach plan (request req_"},
		},
		{
			"not the head coach", apiError(403, "insufficient_role", "only the head coach"),
			[]string{"Only the organization's head coach may manage API keys; use a key created by the head coach", "403 insufficient_role: only the head coach (request req_"},
		},
		{"another 403", apiError(403, "forbidden", "no"), []string{"The API refused the request", "403 forbidden"}},
		{"rate limited", apiError(429, "rate_limited", "slow down"), []string{"raise max_retries", "429 rate_limited: slow down"}},
		{"server", apiError(503, "unavailable", "maintenance"), []string{"failed on every attempt", "request id below", "503 unavailable: maintenance (request req_"}},
		{"proxy page", apiError(502, "unexpected_response", "Bad Gateway with a text/html body"), []string{"failed on every attempt", "502 unexpected_response"}},
		{"bad value", &astral.APIError{StatusCode: 400, Code: "invalid_request", Message: "expires_at must be in the future", Param: "expires_at", RequestID: "req_1"},
			[]string{"refused a value", "400 invalid_request: expires_at must be in the future (param expires_at, request req_1)"}},
		{"wrapped", fmt.Errorf("listing: %w", apiError(401, "unauthenticated", "x")), []string{"The provider's API key is not valid"}},
		{"connection", connErr, []string{"No response from the Astral API at https://astral.internal:8443. Check the provider's endpoint (or ASTRAL_ENDPOINT)", "after 5 attempts: connection refused"}},
		{"timeout", &astral.ConnectionError{Method: "GET", URL: "https://api.astral.app/v1/api-keys", Attempts: 1, Err: context.DeadlineExceeded}, []string{"did not finish in time", "raise request_timeout"}},
		{"canceled", &astral.ConnectionError{Method: "GET", URL: "https://api.astral.app/v1/api-keys", Attempts: 1, Err: context.Canceled}, []string{"canceled before the API answered"}},
		{"unusable answer", errors.New("GET https://api.astral.app/v1/api-keys: unusable 200 response (request req_2): the page lacks data"), []string{"did not expect", "the page lacks data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := clientErrorDiagnostic("Could not list the API keys", tt.err)
			if d.Severity() != diag.SeverityError || d.Summary() != "Could not list the API keys" {
				t.Errorf("got %v %q", d.Severity(), d.Summary())
			}
			rest := d.Detail()
			for _, want := range tt.want {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("detail %q lacks %q (in order)", d.Detail(), want)
				}
				rest = rest[i+len(want):]
			}
		})
	}
}
