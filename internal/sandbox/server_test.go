package sandbox_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// startFile runs a sandbox on a database file behind a test server; stop
// closes both, so the database can be reopened.
func startFile(t *testing.T, path string, opts sandbox.Options) (srv *sandbox.Server, url string, stop func()) {
	t.Helper()
	opts.DBPath = path
	srv, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Config = srv.HTTPServer()
	hs.Start()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			hs.Close()
			if err := srv.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return srv, hs.URL, stop
}

func TestRestartKeepsEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "sandbox.db")
	var secrets []string

	srv, url, stop := startFile(t, path, sandbox.Options{})
	demo, err := srv.DemoOrganization(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head := demo.Member(sandbox.RoleHeadCoach).APIKey
	idem := request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(head), body: `{"name":"kept"}`,
		header: map[string]string{"Idempotency-Key": "across-restarts"}}
	created := do(t, url, idem)
	expectStatus(t, created, http.StatusCreated)
	kept := created.key(t)
	page := do(t, url, request{method: http.MethodGet, path: "/v1/api-keys?limit=2", auth: bearer(head)})
	expectStatus(t, page, http.StatusOK)
	cursor := page.page(t).NextCursor
	before := srv.AdvanceClock(time.Hour)
	for _, m := range demo.Members {
		secrets = append(secrets, m.APIKey)
	}
	secrets = append(secrets, *kept.Secret)
	stop()

	srv, url, stop = startFile(t, path, sandbox.Options{})
	defer stop()
	again, err := srv.DemoOrganization(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the same demo organization, with fresh working keys", func(t *testing.T) {
		if again.ID != demo.ID || again.Members[0].ID != demo.Members[0].ID {
			t.Fatalf("demo organization %s, was %s", again.ID, demo.ID)
		}
		newHead := again.Member(sandbox.RoleHeadCoach).APIKey
		if newHead == head {
			t.Error("the restart gave the same secret again")
		}
		expectStatus(t, do(t, url, request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(newHead)}), http.StatusOK)
		for _, m := range again.Members {
			secrets = append(secrets, m.APIKey)
		}
	})
	t.Run("the old keys still work", func(t *testing.T) {
		r := do(t, url, request{method: http.MethodGet, path: "/v1/api-keys/" + kept.ID, auth: bearer(head)})
		expectStatus(t, r, http.StatusOK)
		if got := r.key(t); got.Name != "kept" || got.Status != "active" {
			t.Errorf("%+v", got)
		}
	})
	t.Run("the cursor is still valid", func(t *testing.T) {
		r := do(t, url, request{method: http.MethodGet, path: "/v1/api-keys?limit=2&cursor=" + *cursor, auth: bearer(head)})
		expectStatus(t, r, http.StatusOK)
	})
	t.Run("the idempotent create still replays", func(t *testing.T) {
		r := do(t, url, idem)
		expectStatus(t, r, http.StatusCreated)
		if r.header.Get("Idempotent-Replayed") != "true" || r.key(t).ID != kept.ID {
			t.Errorf("after a restart: replayed %q, key %s, want %s", r.header.Get("Idempotent-Replayed"), r.key(t).ID, kept.ID)
		}
	})
	t.Run("the create's key is found by its Idempotency-Key", func(t *testing.T) {
		r := do(t, url, request{method: http.MethodGet, path: "/v1/api-keys?idempotency_key=across-restarts", auth: bearer(head)})
		expectStatus(t, r, http.StatusOK)
		if p := r.page(t); len(p.Data) != 1 || p.Data[0].ID != kept.ID {
			t.Errorf("found %+v, want %s", p.Data, kept.ID)
		}
	})
	t.Run("the clock keeps its advance", func(t *testing.T) {
		if now := srv.Now(); now.Before(before) {
			t.Errorf("clock %v after the restart, was %v", now, before)
		}
	})
	stop()

	// Only hashes and the sealed replay are stored: no secret in any file.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) || bytes.Contains(data, []byte(s[len("astral_live_"):])) {
				t.Errorf("%s holds a secret", e.Name())
			}
		}
	}
}

// syncBuffer is written by the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func TestLogsHoldNoSecret(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, url, stop := startFile(t, filepath.Join(t.TempDir(), "db"), sandbox.Options{Logger: logger})
	org, err := srv.CreateOrganization(context.Background(), "Logged Club", sandbox.PlanCoach)
	if err != nil {
		t.Fatal(err)
	}
	head := org.Member(sandbox.RoleHeadCoach).APIKey
	admin := bearer(srv.AdminToken())

	created := do(t, url, request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(head),
		body: `{"name":"` + head + `"}`, header: map[string]string{"Idempotency-Key": head}})
	expectStatus(t, created, http.StatusCreated)
	newSecret := *created.key(t).Secret
	requests := []request{
		{method: http.MethodGet, path: "/v1/api-keys/" + created.key(t).ID, auth: bearer(newSecret)},
		{method: http.MethodGet, path: "/v1/api-keys/" + head, auth: bearer(head)},
		{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(head + "x")},
		{method: http.MethodGet, path: "/v1/api-keys", auth: "Basic " + head},
		{method: http.MethodGet, path: "/v1/" + head, auth: bearer(head)},
		{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(head), body: `{"name":"` + head + `","x":1}`},
		{method: http.MethodPost, path: "/_sandbox/organizations", auth: admin, body: `{"name":"Other","plan":"team"}`},
		{method: http.MethodGet, path: "/_sandbox/stats", auth: bearer(head)},
	}
	for _, rq := range requests {
		do(t, url, rq)
	}
	stop() // waits for every handler, so every line is written

	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(logs.buf.Bytes()))
	for sc.Scan() {
		line := sc.Text()
		for _, bad := range []string{"astral_live_", srv.AdminToken(), "Bearer", "Basic"} {
			if strings.Contains(line, bad) {
				t.Errorf("log line holds %q: %s", bad, line)
			}
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if rec["msg"] != "request" {
			continue
		}
		lines++
		for _, f := range []string{"request_id", "method", "route", "status", "duration"} {
			if _, ok := rec[f]; !ok {
				t.Errorf("log line without %s: %s", f, line)
			}
		}
	}
	if want := len(requests) + 1; lines != want {
		t.Errorf("%d request lines, want one per request (%d)", lines, want)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]sandbox.Options{
		"error rate above 1":              {Faults: sandbox.Faults{ErrorRate: 1.5}},
		"unsupported error status":        {Faults: sandbox.Faults{ErrorStatus: 404}},
		"negative latency":                {Faults: sandbox.Faults{LatencyMS: -1}},
		"database in a missing directory": {DBPath: filepath.Join(t.TempDir(), "missing", "db")},
	} {
		t.Run(name, func(t *testing.T) {
			if srv, err := sandbox.New(opts); err == nil {
				srv.Close()
				t.Fatal("New accepted the options")
			}
		})
	}
}

func TestActiveKeyIDs(t *testing.T) {
	srv, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	org, err := srv.CreateOrganization(context.Background(), "Club", sandbox.PlanCoach)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := srv.ActiveKeyIDs(context.Background(), org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := memberKeyIDs(org); !slices.Equal(ids, want) {
		t.Errorf("ActiveKeyIDs %v, want the members' keys %v", ids, want)
	}
}
