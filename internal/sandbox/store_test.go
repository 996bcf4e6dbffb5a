package sandbox_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// TestMigrationKeepsIdempotencyKeys upgrades a database of a sandbox from
// before keys remembered their Idempotency-Key: a key whose create is still
// in the 24 hours of replay is found by its Idempotency-Key afterwards, like
// a key created after the upgrade, and after the 24 hours too.
func TestMigrationKeepsIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "sandbox.db")
	old, err := sandbox.OpenSchema(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	secret := sandbox.NewSecret()
	const (
		orgID    = "org_01JD3X8Z6W4Q9T2B7N5M1K0C3Q"
		memberID = "mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S"
		callerID = "key_01JD3X8Z6W4Q9T2B7N5M1K0C30"
		madeID   = "key_01JD3X8Z6W4Q9T2B7N5M1K0C31"
	)
	now := clock.Now().Unix()
	insertKey := `INSERT INTO api_keys (id, org_id, member_id, name, secret_hash, secret_hint, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO organizations (id, name, plan, created_at) VALUES (?, 'Old Club', 'coach', ?)`, []any{orgID, now}},
		{`INSERT INTO members (id, org_id, name, role, position) VALUES (?, ?, 'Dana Ortiz', 'head_coach', 0)`, []any{memberID, orgID}},
		{insertKey, []any{callerID, orgID, memberID, "caller", sandbox.HashSecret(secret), "abcd", now}},
		{insertKey, []any{madeID, orgID, memberID, "made", sandbox.HashSecret(sandbox.NewSecret()), "efgh", now}},
		{`INSERT INTO idempotency_records (caller_key_id, key_hash, fingerprint, created_key_id, sealed, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			[]any{callerID, sandbox.HashIdempotencyKey("before-the-upgrade"), []byte("fp"), madeID, []byte("sealed"), now}},
	} {
		if _, err := old.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	srv, url, _ := startFile(t, path, sandbox.Options{Now: clock.Now})
	find := func(idem string) *response {
		return do(t, url, request{method: http.MethodGet, path: "/v1/api-keys?idempotency_key=" + idem, auth: bearer(secret)})
	}
	r := find("before-the-upgrade")
	expectStatus(t, r, http.StatusOK)
	if p := r.page(t); len(p.Data) != 1 || p.Data[0].ID != madeID || p.Data[0].Name != "made" {
		t.Errorf("the key created before the upgrade: found %+v, want %s", p.Data, madeID)
	}
	srv.AdvanceClock(25 * time.Hour) // the replay's record is purged; the key keeps the hash
	expectStatus(t, find("before-the-upgrade"), http.StatusOK)
	expectStatus(t, find("never-sent"), http.StatusNotFound)
}
