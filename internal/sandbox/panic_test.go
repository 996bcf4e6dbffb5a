package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPanicIsAnswered checks that a handler's panic is answered like any
// server fault, 500 in the envelope, where net/http would only drop the
// connection, and counted as such.
func TestPanicIsAnswered(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.v1Routes = append(s.v1Routes, newRoute("/v1/panics", map[string]handler{
		http.MethodGet: func(http.ResponseWriter, *http.Request, *exchange, string) { panic("a bug") },
	}))
	hs := httptest.NewUnstartedServer(s)
	hs.Config = s.HTTPServer()
	hs.Start()
	defer func() {
		hs.Close()
		s.Close()
	}()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, hs.URL+"/v1/panics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var e errorEnvelope
	if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(body, &e) != nil || e.Error.Code != "internal" ||
		e.Error.RequestID != resp.Header.Get("X-Request-Id") {
		t.Errorf("status %d: %s", resp.StatusCode, body)
	}
	if st := s.Stats(); st.Responses["500"] != 1 || st.Requests["GET /v1/panics"] != 1 {
		t.Errorf("stats %+v", st)
	}
}
