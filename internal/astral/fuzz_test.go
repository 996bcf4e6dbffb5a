package astral

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// fuzzSecret is the client's key in the fuzz targets: no answer may make it
// appear in an error.
const fuzzSecret = "astral_live_FuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzz"

const fuzzKeyID = "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"

// answer is a transport that answers every request with one response, so
// that fuzzing runs the client's whole decoding path without a network.
type answer struct {
	status int
	body   []byte
}

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: a.status,
		Header:     http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req_01JD3X8Z6W4Q9T2B7N5M1K0C3R"}},
		Body:       io.NopCloser(bytes.NewReader(a.body)),
		Request:    r,
	}, nil
}

func fuzzClient(t *testing.T, status int, body []byte) *Client {
	c, err := NewClient(Config{
		Endpoint:   "https://api.astral.test",
		APIKey:     fuzzSecret,
		MaxRetries: new(0),
		HTTPClient: &http.Client{Transport: answer{status, body}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkError holds for every error of the client, whatever the API answered.
func checkError(t *testing.T, err error) {
	t.Helper()
	if strings.Contains(err.Error(), strings.TrimPrefix(fuzzSecret, "astral_live_")) {
		t.Fatalf("the error holds the client's secret: %v", err)
	}
}

var keySeeds = []string{
	`{"id":"key_01JD3X8Z6W4Q9T2B7N5M1K0C3R","name":"Roster sync script","status":"active","secret_hint":"x7Qa","created_at":"2026-11-25T09:30:00Z","created_by":{"id":"mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S","name":"Dana Ortiz"},"expires_at":"2027-02-23T00:00:00Z","revoked_at":null,"last_used_at":null}`,
	`{"id":"key_01JD3X8Z6W4Q9T2B7N5M1K0C3R","name":"x","status":"revoked","created_at":"2026-11-25T09:30:00.5+02:00","revoked_at":"2026-11-26T00:00:00Z"}`,
	`{"id":"key_01JD3X8Z6W4Q9T2B7N5M1K0C3R","name":"No status"}`,
	`{"id":"key_01JD3X8Z6W4Q9T2B7N5M1K0C3R","name":"Bad time","status":"active","created_at":"yesterday"}`,
	`{"error":{"code":"not_found","message":"no such key","request_id":"req_01JD3X8Z6W4Q9T2B7N5M1K0C3R"}}`,
	`<html><body>502 Bad Gateway</body></html>`,
	`{"id": "key_`,
	`null`,
	`[]`,
	``,
}

// A key read from any 2xx body is either complete or an error, and only
// the API's own not_found envelope says that a key is gone: a proxy's 404
// never does.
func FuzzDecodeAPIKey(f *testing.F) {
	for _, s := range keySeeds {
		f.Add(200, []byte(s))
		f.Add(404, []byte(s))
	}
	f.Add(503, []byte(keySeeds[4]))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 200 || status > 599 {
			t.Skip()
		}
		key, err := fuzzClient(t, status, body).APIKeys.Read(t.Context(), fuzzKeyID)
		if err != nil {
			checkError(t, err)
			if key != nil {
				t.Fatalf("an error and a key: %v", err)
			}
			var apiErr *APIError
			if errors.Is(err, ErrNotFound) && (!errors.As(err, &apiErr) || apiErr.Code != "not_found") {
				t.Fatalf("status %d with body %q is taken for not found: %v", status, body, err)
			}
			return
		}
		if status < 200 || status > 299 {
			t.Fatalf("status %d decoded as a key", status)
		}
		if key.ID == "" || key.Name == "" || key.Status == "" || key.CreatedAt.IsZero() {
			t.Fatalf("an incomplete key without an error: %+v", key)
		}
	})
}

// A listing of any page either ends or fails; a page is never half taken.
func FuzzDecodeList(f *testing.F) {
	for _, s := range []string{
		`{"data":[],"next_cursor":null}`,
		`{"data":[` + keySeeds[0] + `],"next_cursor":null}`,
		`{"data":[` + keySeeds[0] + `,` + keySeeds[1] + `]}`,
		`{"data":[` + keySeeds[0] + `],"next_cursor":"abc"}`,
		`{"data":[` + keySeeds[2] + `],"next_cursor":null}`,
		`{"data":null,"next_cursor":null}`,
		`{"next_cursor":null}`,
		`{"data":{},"next_cursor":7}`,
		`{"data":[null]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := fuzzClient(t, http.StatusOK, body).APIKeys.ListAll(t.Context())
		if err != nil {
			checkError(t, err)
			if errors.Is(err, ErrNotFound) {
				t.Fatalf("a 200 page is taken for not found: %v", err)
			}
			return
		}
		for _, k := range keys {
			if k == nil || k.ID == "" || k.Name == "" || k.Status == "" || k.CreatedAt.IsZero() {
				t.Fatalf("an incomplete key in a listing without an error: %+v", k)
			}
		}
	})
}
