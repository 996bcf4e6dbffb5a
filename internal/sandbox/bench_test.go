package sandbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// benchServer is a sandbox on a database file, called through its handler
// without a network, so that the numbers are the sandbox's own.
func benchServer(b *testing.B) (*sandbox.Server, string) {
	b.Helper()
	srv, err := sandbox.New(sandbox.Options{DBPath: filepath.Join(b.TempDir(), "bench.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	org, err := srv.CreateOrganization(context.Background(), "Bench Club", sandbox.PlanCoach)
	if err != nil {
		b.Fatal(err)
	}
	return srv, org.Member(sandbox.RoleHeadCoach).APIKey
}

func serve(b *testing.B, h http.Handler, method, target, secret, body string, want int) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(context.Background(), method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
	}
	return rec
}

func BenchmarkCreate(b *testing.B) {
	srv, secret := benchServer(b)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, srv, http.MethodPost, "/v1/api-keys", secret, `{"name":"bench","expires_at":"2099-01-01T00:00:00Z"}`, http.StatusCreated)
	}
}

func BenchmarkCreateIdempotent(b *testing.B) {
	srv, secret := benchServer(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/v1/api-keys", strings.NewReader(`{"name":"bench"}`))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Idempotency-Key", "bench-"+strconv.Itoa(i))
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkList reads a page of 100 from an organization of 1000 keys.
func BenchmarkList(b *testing.B) {
	srv, secret := benchServer(b)
	for range 1000 {
		serve(b, srv, http.MethodPost, "/v1/api-keys", secret, `{"name":"listed"}`, http.StatusCreated)
	}
	b.ReportAllocs()
	for b.Loop() {
		serve(b, srv, http.MethodGet, "/v1/api-keys?limit=100", secret, "", http.StatusOK)
	}
}

// BenchmarkListAll follows every cursor through 1000 keys.
func BenchmarkListAll(b *testing.B) {
	srv, secret := benchServer(b)
	for range 1000 {
		serve(b, srv, http.MethodPost, "/v1/api-keys", secret, `{"name":"listed"}`, http.StatusCreated)
	}
	b.ReportAllocs()
	for b.Loop() {
		target := "/v1/api-keys?limit=100"
		for pages := 0; ; pages++ {
			rec := serve(b, srv, http.MethodGet, target, secret, "", http.StatusOK)
			_, after, found := strings.Cut(rec.Body.String(), `"next_cursor":"`)
			if !found {
				break
			}
			cursor, _, _ := strings.Cut(after, `"`)
			target = "/v1/api-keys?limit=100&cursor=" + cursor
		}
	}
}

func BenchmarkRead(b *testing.B) {
	srv, secret := benchServer(b)
	rec := serve(b, srv, http.MethodPost, "/v1/api-keys", secret, `{"name":"read"}`, http.StatusCreated)
	id := rec.Header().Get("Location")
	b.ReportAllocs()
	for b.Loop() {
		serve(b, srv, http.MethodGet, id, secret, "", http.StatusOK)
	}
}
