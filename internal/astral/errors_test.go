package astral

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

func TestAPIErrorIs(t *testing.T) {
	sentinels := []error{
		ErrNotFound, ErrUnauthenticated, ErrForbidden, ErrPlanUpgradeRequired, ErrInsufficientRole,
		ErrInvalidRequest, ErrIdempotencyConflict, ErrRateLimited, ErrRequestTooLarge, ErrServer,
		ErrMalformedSecret, ErrInvalidKeyID,
	}
	tests := []struct {
		name   string
		status int
		code   string
		want   []error
	}{
		{"an invalid request", 400, CodeInvalidRequest, []error{ErrInvalidRequest}},
		{"an unauthenticated call", 401, CodeUnauthenticated, []error{ErrUnauthenticated}},
		{"a plan below coach", 403, CodePlanUpgradeRequired, []error{ErrForbidden, ErrPlanUpgradeRequired}},
		{"a caller who is not head coach", 403, CodeInsufficientRole, []error{ErrForbidden, ErrInsufficientRole}},
		{"a missing key", 404, CodeNotFound, []error{ErrNotFound}},
		{"a proxy's 404 page", 404, CodeUnexpectedResponse, nil},
		{"a method the route lacks", 405, "method_not_allowed", nil},
		{"a reused Idempotency-Key", 409, CodeIdempotencyConflict, []error{ErrIdempotencyConflict}},
		{"a body too large", 413, CodeRequestTooLarge, []error{ErrRequestTooLarge}},
		{"a proxy's 413 page", 413, CodeUnexpectedResponse, []error{ErrRequestTooLarge}},
		{"a rate limit", 429, CodeRateLimited, []error{ErrRateLimited}},
		{"a server fault", 500, CodeInternal, []error{ErrServer}},
		{"a proxy's 502 page", 502, CodeUnexpectedResponse, []error{ErrServer}},
		{"a maintenance window", 503, CodeUnavailable, []error{ErrServer}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" matches only its sentinels", func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &APIError{StatusCode: tt.status, Code: tt.code})
			for _, sentinel := range sentinels {
				want := slices.Contains(tt.want, sentinel)
				if got := errors.Is(err, sentinel); got != want {
					t.Errorf("errors.Is(%d %s, %v) = %v, want %v", tt.status, tt.code, sentinel, got, want)
				}
			}
		})
	}
}

func TestAPIErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  APIError
		want string
	}{
		{
			"with a param and a request id",
			APIError{StatusCode: 400, Code: CodeInvalidRequest, Message: "expires_at must be in the future", Param: "expires_at",
				RequestID: testReqID, Method: "POST", URL: "https://api.astral.app/v1/api-keys"},
			"POST https://api.astral.app/v1/api-keys: 400 invalid_request: expires_at must be in the future (param expires_at, request " + testReqID + ")",
		},
		{
			"with a request id only",
			APIError{StatusCode: 404, Code: CodeNotFound, Message: "no such API key", RequestID: testReqID,
				Method: "GET", URL: "https://api.astral.app/v1/api-keys/" + testKeyID},
			"GET https://api.astral.app/v1/api-keys/" + testKeyID + ": 404 not_found: no such API key (request " + testReqID + ")",
		},
		{
			"without message or request id",
			APIError{StatusCode: 502, Code: CodeUnexpectedResponse, Method: "DELETE", URL: "https://api.astral.app/v1/api-keys/" + testKeyID},
			"DELETE https://api.astral.app/v1/api-keys/" + testKeyID + ": 502 unexpected_response",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q\nwant      %q", got, tt.want)
			}
		})
	}
}

// TestUnusableResponses covers what the real API never sends but a broken
// server or a proxy in front of it may.
func TestUnusableResponses(t *testing.T) {
	html := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, "<html><body><h1>Bad Gateway</h1></body></html>")
		}
	}
	huge := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", testReqID)
			w.WriteHeader(status)
			// The client stops reading past its limit, so these writes fail.
			_, _ = io.WriteString(w, `{"data":[`)
			item := strings.Repeat(keyJSON+",", 1024)
			for written := 0; written <= maxResponseBytes; written += len(item) {
				_, _ = io.WriteString(w, item)
			}
			_, _ = io.WriteString(w, keyJSON+`],"next_cursor":null}`)
		}
	}
	reply := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, status, body) }
	}

	tests := []struct {
		name     string
		handler  http.HandlerFunc
		call     func(*Client) error
		wantErr  []string
		wantAPI  *APIError // when the error is an *APIError: its status and code
		notFound bool
	}{
		{
			name:    "when a key body is not JSON",
			handler: reply(200, `{"id": "key_`),
			wantErr: []string{"unusable 200 response (request " + testReqID + ")", "not valid JSON"},
		},
		{
			name:    "when a key body has trailing data",
			handler: reply(200, keyJSON+`{}`),
			wantErr: []string{"not valid JSON"},
		},
		{
			name:    "when a time is not RFC 3339",
			handler: reply(200, strings.Replace(keyJSON, "2026-11-25T09:30:00Z", "25/11/2026", 1)),
			wantErr: []string{"not valid JSON"},
		},
		{
			name:    "when a key lacks required fields",
			handler: reply(200, `{"id":"key_01JD3X8Z6W4Q9T2B7N5M1K0C3R","secret_hint":"x7Qa"}`),
			wantErr: []string{"unusable 200 response", "lacks name, status, created_at"},
		},
		{
			name:    "when a key is null",
			handler: reply(200, `null`),
			wantErr: []string{"lacks id, name, status, created_at"},
		},
		{
			name:    "when a created key lacks its secret",
			handler: reply(201, keyJSON),
			call: func(c *Client) error {
				_, err := c.APIKeys.Create(context.Background(), APIKeyCreateOptions{Name: "a"})
				return err
			},
			wantErr: []string{"unusable 201 response", "lacks its secret"},
		},
		{
			name:    "when a page lacks data",
			handler: reply(200, `{"next_cursor":null}`),
			call:    listOnce,
			wantErr: []string{"the page lacks data"},
		},
		{
			name:    "when a page holds a null item",
			handler: reply(200, `{"data":[`+keyJSON+`,null],"next_cursor":null}`),
			call:    listOnce,
			wantErr: []string{"item 1 of the page is null"},
		},
		{
			name:    "when a page holds half a key",
			handler: reply(200, `{"data":[`+keyJSON+`,{"id":"key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"}],"next_cursor":null}`),
			call:    listOnce,
			wantErr: []string{"item 1 of the page: the API key object lacks name"},
		},
		{
			name:    "when a page exceeds 10 MiB",
			handler: huge(200),
			call:    listOnce,
			wantErr: []string{"unusable 200 response (request " + testReqID + ")", "exceeds 10 MiB"},
		},
		{
			name:    "when an error body exceeds 10 MiB",
			handler: huge(400),
			wantErr: []string{"400 unexpected_response", "could not be read", "exceeds 10 MiB"},
			wantAPI: &APIError{StatusCode: 400, Code: CodeUnexpectedResponse},
		},
		{
			name:    "when a 502 is a proxy's HTML page",
			handler: html(502),
			wantErr: []string{"502 unexpected_response: Bad Gateway with a text/html body that is not an Astral API error; check the endpoint"},
			wantAPI: &APIError{StatusCode: 502, Code: CodeUnexpectedResponse},
		},
		{
			name:    "when a 404 is not the API's envelope it is not ErrNotFound",
			handler: html(404),
			wantErr: []string{"404 unexpected_response"},
			wantAPI: &APIError{StatusCode: 404, Code: CodeUnexpectedResponse},
		},
		{
			name:    "when an error envelope lacks its code",
			handler: reply(400, `{"error":{"message":"nope"}}`),
			wantErr: []string{"400 unexpected_response: Bad Request with a application/json body"},
			wantAPI: &APIError{StatusCode: 400, Code: CodeUnexpectedResponse},
		},
		{
			name: "when the server redirects it is not followed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://api.astral.app/v1/api-keys/"+testKeyID, http.StatusMovedPermanently)
			},
			wantErr: []string{"301 unexpected_response: the server redirected the request to https://api.astral.app/v1/api-keys/" + testKeyID},
			wantAPI: &APIError{StatusCode: 301, Code: CodeUnexpectedResponse},
		},
		{
			name:     "when a real not_found arrives it is ErrNotFound",
			handler:  func(w http.ResponseWriter, r *http.Request) { writeError(w, 404, CodeNotFound, "no such API key") },
			wantErr:  []string{"404 not_found: no such API key (request " + testReqID + ")"},
			wantAPI:  &APIError{StatusCode: 404, Code: CodeNotFound},
			notFound: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				tt.handler(w, r)
			}), func(cfg *Config) { cfg.MaxRetries = new(0) })
			call := tt.call
			if call == nil {
				call = func(c *Client) error {
					_, err := c.APIKeys.Read(context.Background(), testKeyID)
					return err
				}
			}
			err := call(c)
			if err == nil {
				t.Fatal("the call succeeded, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			var apiErr *APIError
			switch {
			case tt.wantAPI == nil && errors.As(err, &apiErr):
				t.Errorf("error is an *APIError (%v), want a plain error", err)
			case tt.wantAPI != nil && !errors.As(err, &apiErr):
				t.Errorf("error %v (%T) is not an *APIError", err, err)
			case tt.wantAPI != nil && (apiErr.StatusCode != tt.wantAPI.StatusCode || apiErr.Code != tt.wantAPI.Code):
				t.Errorf("error has status %d and code %s, want %d and %s", apiErr.StatusCode, apiErr.Code, tt.wantAPI.StatusCode, tt.wantAPI.Code)
			}
			if got := errors.Is(err, ErrNotFound); got != tt.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", got, tt.notFound)
			}
			if strings.Contains(err.Error(), "<html") {
				t.Errorf("error %q quotes the body", err)
			}
			if requests.Load() != 1 {
				t.Errorf("requests = %d, want 1", requests.Load())
			}
		})
	}
}

func listOnce(c *Client) error {
	_, err := c.APIKeys.List(context.Background(), nil)
	return err
}
