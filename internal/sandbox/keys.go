package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// keyColumns are the columns scanKey reads, from api_keys k joined with the
// members m who created them.
const keyColumns = `k.id, k.org_id, k.name, k.secret_hint, k.created_at, k.member_id, m.name,
	k.expires_at_s, k.expires_at_ns, k.revoked_at, k.last_used_at`

// keySelect reads a key with the name of the member who created it.
const keySelect = `SELECT ` + keyColumns + ` FROM api_keys k JOIN members m ON m.id = k.member_id `

// notExpired is true for a key whose expires_at is null or after the instant
// given as the (seconds, seconds, nanoseconds) arguments.
const notExpired = `(k.expires_at_s IS NULL OR k.expires_at_s > ? OR (k.expires_at_s = ? AND k.expires_at_ns > ?))`

// statements are prepared once on the pool's only connection.
type statements struct {
	authenticate *sql.Stmt
	touch        *sql.Stmt
	insertKey    *sql.Stmt
	getKey       *sql.Stmt
	listKeys     *sql.Stmt
	findByIdem   *sql.Stmt
	revokeKey    *sql.Stmt
	whoAmI       *sql.Stmt
	getRecord    *sql.Stmt
	insertRecord *sql.Stmt
	purgeRecords *sql.Stmt
}

func prepare(ctx context.Context, db *sql.DB) (*statements, error) {
	var st statements
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&st.authenticate, `SELECT k.id, k.org_id, k.member_id, k.secret_hash, k.revoked_at, k.expires_at_s, k.expires_at_ns,
			k.last_used_at, m.role, o.plan
			FROM api_keys k JOIN members m ON m.id = k.member_id JOIN organizations o ON o.id = k.org_id
			WHERE k.secret_hash = ?`},
		{&st.touch, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`},
		{&st.insertKey, `INSERT INTO api_keys (id, org_id, member_id, name, secret_hash, secret_hint, created_at, expires_at_s, expires_at_ns,
			idempotency_key_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.getKey, keySelect + `WHERE k.id = ? AND k.org_id = ?`},
		{&st.listKeys, keySelect + `WHERE k.org_id = ? AND k.revoked_at IS NULL AND (k.created_at, k.id) > (?, ?) AND ` +
			notExpired + ` ORDER BY k.created_at, k.id LIMIT ?`},
		{&st.findByIdem, keySelect + `WHERE k.org_id = ? AND k.idempotency_key_hash = ?
			ORDER BY k.created_at DESC, k.id DESC LIMIT ?`},
		{&st.revokeKey, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND org_id = ? AND revoked_at IS NULL`},
		{&st.whoAmI, `SELECT ` + keyColumns + `, m.role, o.name, o.plan
			FROM api_keys k JOIN members m ON m.id = k.member_id JOIN organizations o ON o.id = k.org_id
			WHERE k.id = ?`},
		{&st.getRecord, `SELECT fingerprint, created_key_id, sealed FROM idempotency_records
			WHERE caller_key_id = ? AND key_hash = ? AND created_at > ?`},
		{&st.insertRecord, `INSERT INTO idempotency_records (caller_key_id, key_hash, fingerprint, created_key_id, sealed, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`},
		{&st.purgeRecords, `DELETE FROM idempotency_records WHERE created_at <= ?`},
	} {
		s, err := db.PrepareContext(ctx, p.sql)
		if err != nil {
			return nil, fmt.Errorf("prepare %q: %w", p.sql, err)
		}
		*p.stmt = s
	}
	return &st, nil
}

func (st *statements) close() {
	for _, s := range []*sql.Stmt{st.authenticate, st.touch, st.insertKey, st.getKey, st.listKeys, st.findByIdem,
		st.revokeKey, st.whoAmI, st.getRecord, st.insertRecord, st.purgeRecords} {
		s.Close()
	}
}

// keyRecord is a stored key. Server-stamped times are whole Unix seconds;
// expires_at keeps the precision the client gave it.
type keyRecord struct {
	id, orgID, name        string
	secretHint             string
	createdAt              int64
	creatorID, creatorName string
	expiresAt              *time.Time
	revokedAt, lastUsedAt  *int64
}

type scanner interface{ Scan(dest ...any) error }

// scanKey reads keyColumns, then any further columns of the row into extra.
func scanKey(sc scanner, extra ...any) (*keyRecord, error) {
	var k keyRecord
	var expS, expNS, revoked, used sql.NullInt64
	dest := append([]any{&k.id, &k.orgID, &k.name, &k.secretHint, &k.createdAt, &k.creatorID, &k.creatorName,
		&expS, &expNS, &revoked, &used}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	k.expiresAt = nullTime(expS, expNS)
	k.revokedAt = nullInt(revoked)
	k.lastUsedAt = nullInt(used)
	return &k, nil
}

func nullTime(s, ns sql.NullInt64) *time.Time {
	if !s.Valid {
		return nil
	}
	t := time.Unix(s.Int64, ns.Int64).UTC()
	return &t
}

func nullInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

// expiryArgs splits an expiry for the expires_at_s/expires_at_ns columns.
func expiryArgs(t *time.Time) (any, any) {
	if t == nil {
		return nil, nil
	}
	return t.Unix(), int64(t.Nanosecond())
}

// instantArgs are the arguments of notExpired for the instant now.
func instantArgs(now time.Time) []any {
	return []any{now.Unix(), now.Unix(), int64(now.Nanosecond())}
}

// keyView is the key object of the contract.
type keyView struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organization_id"`
	Name           string    `json:"name"`
	Status         string    `json:"status"`
	SecretHint     string    `json:"secret_hint"`
	Secret         string    `json:"secret,omitempty"`
	CreatedAt      string    `json:"created_at"`
	CreatedBy      memberRef `json:"created_by"`
	ExpiresAt      *string   `json:"expires_at"`
	RevokedAt      *string   `json:"revoked_at"`
	LastUsedAt     *string   `json:"last_used_at"`
}

type memberRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (k *keyRecord) view(now time.Time) keyView {
	status := "active"
	switch {
	case k.revokedAt != nil:
		status = "revoked"
	case k.expiresAt != nil && !now.Before(*k.expiresAt):
		status = "expired"
	}
	v := keyView{
		ID:             k.id,
		OrganizationID: k.orgID,
		Name:           k.name,
		Status:         status,
		SecretHint:     k.secretHint,
		CreatedAt:      formatTime(time.Unix(k.createdAt, 0)),
		CreatedBy:      memberRef{ID: k.creatorID, Name: k.creatorName},
		RevokedAt:      unixPtr(k.revokedAt),
		LastUsedAt:     unixPtr(k.lastUsedAt),
	}
	if k.expiresAt != nil {
		s := formatTime(*k.expiresAt)
		v.ExpiresAt = &s
	}
	return v
}

func unixPtr(sec *int64) *string {
	if sec == nil {
		return nil
	}
	s := formatTime(time.Unix(*sec, 0))
	return &s
}

// formatTime writes RFC 3339 in UTC, with a fraction only when it is not zero.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
