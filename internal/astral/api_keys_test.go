package astral

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestAPIKeysRequestsWithoutSending(t *testing.T) {
	tests := []struct {
		name    string
		call    func(context.Context, APIKeys) error
		wantIs  error
		wantErr string
	}{
		{"Read refuses a malformed ID", func(ctx context.Context, k APIKeys) error {
			_, err := k.Read(ctx, "key_nope")
			return err
		}, ErrInvalidKeyID, "26-character ULID"},
		{"Revoke refuses a malformed ID", func(ctx context.Context, k APIKeys) error {
			_, err := k.Revoke(ctx, "../../v1/api-keys")
			return err
		}, ErrInvalidKeyID, "26-character ULID"},
		{"Revoke refuses a secret given as an ID", func(ctx context.Context, k APIKeys) error {
			_, err := k.Revoke(ctx, testSecret)
			return err
		}, ErrInvalidKeyID, "not an ID"},
		{"Create refuses an Idempotency-Key that cannot be sent", func(ctx context.Context, k APIKeys) error {
			_, err := k.Create(ctx, APIKeyCreateOptions{Name: "a", IdempotencyKey: "line\r\nX-Injected: 1"})
			return err
		}, nil, "printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				writeJSON(w, http.StatusOK, keyJSON)
			}))
			err := tt.call(context.Background(), c.APIKeys)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one saying %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if errors.Is(err, ErrNotFound) {
				t.Errorf("error %v is ErrNotFound", err)
			}
			assertNoSecret(t, err.Error())
			if requests.Load() != 0 {
				t.Errorf("requests = %d, want none", requests.Load())
			}
		})
	}
}

func TestAPIKeysListQuery(t *testing.T) {
	tests := []struct {
		name      string
		opts      *APIKeyListOptions
		wantQuery string
	}{
		{"without options it sends no query", nil, ""},
		{"with zero options it sends no query", &APIKeyListOptions{}, ""},
		{"it sends the limit", &APIKeyListOptions{Limit: 7}, "limit=7"},
		{"it escapes the cursor", &APIKeyListOptions{Limit: 100, Cursor: "a+b/c=&d"}, "cursor=a%2Bb%2Fc%3D%26d&limit=100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.URL.RawQuery
				writeJSON(w, http.StatusOK, `{"data":[`+keyJSON+`],"next_cursor":"c2"}`)
			}))
			page, err := c.APIKeys.List(context.Background(), tt.opts)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if got != tt.wantQuery {
				t.Errorf("query = %q, want %q", got, tt.wantQuery)
			}
			if len(page.Items) != 1 || page.Items[0].ID != testKeyID || page.NextCursor != "c2" {
				t.Errorf("page = %d items, next %q; want 1 item %s, next c2", len(page.Items), page.NextCursor, testKeyID)
			}
		})
	}
}

// pagedServer serves pages whose next cursor is chosen by next(n), n the
// page number from 1, and whose status is chosen by status(n).
func pagedServer(next func(n int) string, status func(n int) int) (http.Handler, *[]string) {
	var (
		mu      sync.Mutex
		queries []string
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		n := len(queries)
		mu.Unlock()
		if s := status(n); s != http.StatusOK {
			writeError(w, s, CodeInternal, "page failed")
			return
		}
		id := fmt.Sprintf("key_01JD3X8Z6W4Q9T2B7N5M1K%04d", n)
		body := strings.Replace(keyJSON, testKeyID, id, 1)
		cursor := "null"
		if c := next(n); c != "" {
			cursor = fmt.Sprintf("%q", c)
		}
		writeJSON(w, http.StatusOK, `{"data":[`+body+`],"next_cursor":`+cursor+`}`)
	}), &queries
}

func TestAPIKeysAll(t *testing.T) {
	ok := func(int) int { return http.StatusOK }

	t.Run("it follows every cursor at limit 100 until null", func(t *testing.T) {
		h, queries := pagedServer(func(n int) string {
			if n < 3 {
				return fmt.Sprintf("c%d", n)
			}
			return ""
		}, ok)
		c, _ := newTestClient(t, h)
		keys, err := c.APIKeys.ListAll(context.Background())
		if err != nil {
			t.Fatalf("ListAll: %v", err)
		}
		if len(keys) != 3 {
			t.Errorf("keys = %d, want 3", len(keys))
		}
		want := []string{"limit=100", "cursor=c1&limit=100", "cursor=c2&limit=100"}
		if strings.Join(*queries, " ") != strings.Join(want, " ") {
			t.Errorf("queries = %q, want %q", *queries, want)
		}
	})

	t.Run("when the server repeats a cursor it stops with an error", func(t *testing.T) {
		h, queries := pagedServer(func(n int) string {
			return []string{"", "c1", "c2", "c1"}[min(n, 3)]
		}, ok)
		c, _ := newTestClient(t, h)
		keys, err := c.APIKeys.ListAll(context.Background())
		if err == nil || !strings.Contains(err.Error(), "same cursor twice") {
			t.Fatalf("ListAll = %d keys, %v; want an error about a repeated cursor", len(keys), err)
		}
		if len(*queries) != 3 {
			t.Errorf("requests = %d, want 3", len(*queries))
		}
	})

	t.Run("when a page fails it yields the error once and stops", func(t *testing.T) {
		h, queries := pagedServer(func(n int) string { return fmt.Sprintf("c%d", n) }, func(n int) int {
			if n%2 == 0 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		c, _ := newTestClient(t, h, func(cfg *Config) { cfg.MaxRetries = new(0) })
		var keys, errs int
		for key, err := range c.APIKeys.All(context.Background()) {
			if err != nil {
				errs++
				if !errors.Is(err, ErrServer) {
					t.Errorf("error %v is not ErrServer", err)
				}
				continue
			}
			if key == nil {
				t.Error("a nil key without an error")
			}
			keys++
		}
		if keys != 1 || errs != 1 || len(*queries) != 2 {
			t.Errorf("%d keys, %d errors, %d requests; want 1, 1, 2", keys, errs, len(*queries))
		}
		if _, err := c.APIKeys.ListAll(context.Background()); !errors.Is(err, ErrServer) {
			t.Errorf("ListAll error %v is not ErrServer", err)
		}
	})

	t.Run("when the caller stops early no further page is fetched", func(t *testing.T) {
		h, queries := pagedServer(func(n int) string { return fmt.Sprintf("c%d", n) }, ok)
		c, _ := newTestClient(t, h)
		for _, err := range c.APIKeys.All(context.Background()) {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if len(*queries) != 1 {
			t.Errorf("requests = %d, want 1", len(*queries))
		}
	})
}

func TestCreateReplayed(t *testing.T) {
	created := strings.TrimSuffix(keyJSON, "}") + `,"secret":"` + testSecret + `"}`
	for _, replayed := range []bool{false, true} {
		t.Run(fmt.Sprint("replayed=", replayed), func(t *testing.T) {
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if replayed {
					w.Header().Set("Idempotent-Replayed", "true")
				}
				writeJSON(w, http.StatusCreated, created)
			}))
			key, err := c.APIKeys.Create(context.Background(), APIKeyCreateOptions{Name: "a"})
			if err != nil {
				t.Fatal(err)
			}
			if key.Replayed != replayed {
				t.Errorf("Replayed = %t, want %t", key.Replayed, replayed)
			}
		})
	}
}

func TestFindByIdempotencyKey(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr string
		wantIs  error
	}{
		{"one key", http.StatusOK, `{"data":[` + keyJSON + `],"next_cursor":null}`, "", nil},
		{"two keys", http.StatusOK, `{"data":[` + keyJSON + `,` + keyJSON + `],"next_cursor":null}`, "", nil},
		{"none", http.StatusNotFound, `{"error":{"code":"not_found","message":"no API key was created with this idempotency key"}}`, "404", ErrNotFound},
		{"an empty page", http.StatusOK, `{"data":[],"next_cursor":null}`, "returned no key instead of not_found", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var query string
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				query = r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery
				writeJSON(w, tt.status, tt.body)
			}))
			keys, err := c.APIKeys.FindByIdempotencyKey(context.Background(), "IDEM 1")
			if want := "GET /v1/api-keys?idempotency_key=IDEM+1"; query != want {
				t.Errorf("request = %q, want %q", query, want)
			}
			if tt.wantErr == "" {
				if err != nil || len(keys) == 0 || keys[0].ID != testKeyID {
					t.Fatalf("keys, err = %v, %v; want %s first", keys, err, testKeyID)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one saying %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
		})
	}
}
