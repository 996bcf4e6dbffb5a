package sandbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// migrations are applied in order, each once, and recorded in
// schema_migrations; append new ones, never edit an applied one.
var migrations = []string{
	`CREATE TABLE settings (
		name  TEXT PRIMARY KEY,
		value BLOB NOT NULL
	);
	CREATE TABLE organizations (
		id         TEXT PRIMARY KEY,
		name       TEXT NOT NULL,
		plan       TEXT NOT NULL,
		demo       INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL
	);
	CREATE UNIQUE INDEX organizations_demo ON organizations(demo) WHERE demo = 1;
	CREATE TABLE members (
		id       TEXT PRIMARY KEY,
		org_id   TEXT NOT NULL REFERENCES organizations(id),
		name     TEXT NOT NULL,
		role     TEXT NOT NULL,
		position INTEGER NOT NULL
	);
	CREATE INDEX members_org ON members(org_id, position);
	CREATE TABLE api_keys (
		id            TEXT PRIMARY KEY,
		org_id        TEXT NOT NULL REFERENCES organizations(id),
		member_id     TEXT NOT NULL REFERENCES members(id),
		name          TEXT NOT NULL,
		secret_hash   BLOB NOT NULL,
		secret_hint   TEXT NOT NULL,
		created_at    INTEGER NOT NULL,
		expires_at_s  INTEGER,
		expires_at_ns INTEGER,
		revoked_at    INTEGER,
		last_used_at  INTEGER
	);
	CREATE UNIQUE INDEX api_keys_secret_hash ON api_keys(secret_hash);
	CREATE INDEX api_keys_active_listing ON api_keys(org_id, created_at, id) WHERE revoked_at IS NULL;
	CREATE TABLE idempotency_records (
		caller_key_id  TEXT NOT NULL,
		key_hash       BLOB NOT NULL,
		fingerprint    BLOB NOT NULL,
		created_key_id TEXT NOT NULL,
		sealed         BLOB NOT NULL,
		created_at     INTEGER NOT NULL,
		PRIMARY KEY (caller_key_id, key_hash)
	) WITHOUT ROWID;
	CREATE INDEX idempotency_records_created ON idempotency_records(created_at);`,
	// The app's one-time sign-in links and sessions, by the hash of their
	// token like secrets; expires_at is Unix seconds of the sandbox's clock.
	`CREATE TABLE sign_in_links (
		token_hash BLOB PRIMARY KEY,
		member_id  TEXT NOT NULL REFERENCES members(id),
		expires_at INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE app_sessions (
		id_hash    BLOB PRIMARY KEY,
		member_id  TEXT NOT NULL REFERENCES members(id),
		expires_at INTEGER NOT NULL
	) WITHOUT ROWID;`,
	// A key remembers the Idempotency-Key that created it, as a SHA-256 hash
	// like idempotency_records.key_hash, for GET /v1/api-keys?idempotency_key=
	// after the 24 hours of replay. The lookup is scoped by the key's org_id.
	// Keys created before this migration take the hash from the replay record
	// of their create, where it is still kept (the last 24 hours).
	`ALTER TABLE api_keys ADD COLUMN idempotency_key_hash BLOB;
	UPDATE api_keys SET idempotency_key_hash =
		(SELECT r.key_hash FROM idempotency_records r WHERE r.created_key_id = api_keys.id);
	CREATE INDEX api_keys_idempotency ON api_keys(org_id, idempotency_key_hash, created_at, id)
		WHERE idempotency_key_hash IS NOT NULL;`,
	// The app's create forms that were used, by session (the hash of its id)
	// and the form token's nonce, so that a form submitted again creates
	// nothing; with the new key's secret sealed to the session until the page
	// after the create shows it once (sealed is then NULL). Times are Unix
	// seconds of the sandbox's clock; a row goes with its session.
	`CREATE TABLE app_form_uses (
		session_hash BLOB NOT NULL,
		nonce        BLOB NOT NULL,
		key_id       TEXT NOT NULL REFERENCES api_keys(id),
		sealed       BLOB,
		reveal_until INTEGER NOT NULL,
		expires_at   INTEGER NOT NULL,
		PRIMARY KEY (session_hash, nonce)
	) WITHOUT ROWID;
	CREATE INDEX app_form_uses_key ON app_form_uses(session_hash, key_id);`,
}

// openDB opens the database and brings its schema up to date. SQLite has a
// single writer, so the pool holds one connection: writes queue in Go rather
// than failing with SQLITE_BUSY, and a ":memory:" database, which lives and
// dies with its connection, is the same database for every request.
func openDB(path string) (*sql.DB, error) {
	dsn := "file::memory:?_pragma=foreign_keys(1)"
	if path != ":memory:" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("database path %q: %w", path, err)
		}
		dsn = "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() +
			"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := migrate(context.Background(), db); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database %q: %w", path, err)
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB) error { return migrateTo(ctx, db, migrations) }

// migrateTo applies the migrations of list that the database lacks.
func migrateTo(ctx context.Context, db *sql.DB, list []string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
	)`); err != nil {
		return err
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return err
	}
	if current > len(list) {
		return fmt.Errorf("database schema version %d is newer than this sandbox (%d)", current, len(list))
	}
	for v := current + 1; v <= len(list); v++ {
		if err := inTx(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, list[v-1]); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, v)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// setting returns a stored setting, creating it with init() the first time so
// that it survives restarts.
func setting(ctx context.Context, db *sql.DB, name string, init func() []byte) ([]byte, error) {
	var v []byte
	err := db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		v = init()
		_, err = db.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)`, name, v)
	}
	return v, err
}

func putSetting(ctx context.Context, db *sql.DB, name string, v []byte) error {
	_, err := db.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, v)
	return err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
