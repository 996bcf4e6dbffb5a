package sandbox

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func (s *Server) newV1Routes() []route {
	return []route{
		newRoute("/v1/api-keys", map[string]handler{
			http.MethodGet:  s.listKeys,
			http.MethodPost: s.createKey,
		}),
		newRoute("/v1/api-keys/{id}", map[string]handler{
			http.MethodGet:    s.getKey,
			http.MethodDelete: s.revokeKey,
		}),
		newRoute("/v1/me", map[string]handler{http.MethodGet: s.me}),
	}
}

type createInput struct {
	name      string
	expiresAt *time.Time
}

func parseCreate(body []byte, now time.Time) (createInput, *apiError) {
	var name, expires *string
	if e := decodeObject(body, map[string]any{"name": &name, "expires_at": &expires}); e != nil {
		return createInput{}, e
	}
	if name == nil {
		return createInput{}, errInvalid("name", "name is required")
	}
	var expiresAt *time.Time
	if expires != nil {
		t, e := parseInstant("expires_at", *expires)
		if e != nil {
			return createInput{}, e
		}
		expiresAt = &t
	}
	return newCreateInput(*name, expiresAt, now)
}

// newCreateInput applies the rules of a new key's name and expiry, whether
// they came as JSON or from the app's form.
func newCreateInput(name string, expiresAt *time.Time, now time.Time) (createInput, *apiError) {
	if e := validateName(name); e != nil {
		return createInput{}, e
	}
	in := createInput{name: name}
	if expiresAt != nil {
		if !expiresAt.After(now) {
			return createInput{}, errInvalid("expires_at", "expires_at must be in the future")
		}
		t := expiresAt.UTC()
		in.expiresAt = &t
	}
	return in, nil
}

func validateName(name string) *apiError { return validateText("name", name) }

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, ex *exchange, _ string) {
	p, e := s.authorize(r, ex)
	if e != nil {
		writeError(w, ex, e)
		return
	}
	body, e := s.readBody(w, r)
	if e != nil {
		writeError(w, ex, e)
		return
	}
	idem, e := idempotencyKey(r)
	if e != nil {
		writeError(w, ex, e)
		return
	}
	in, e := parseCreate(body, p.now)
	if e != nil {
		writeError(w, ex, e)
		return
	}
	res, err := s.create(r.Context(), p, idem, in)
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		writeError(w, ex, ae)
		return
	case err != nil:
		writeError(w, ex, s.internal(r, "create key", err))
		return
	}
	w.Header().Set("Location", "/v1/api-keys/"+res.keyID)
	if res.replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeRaw(w, http.StatusCreated, res.body)
}

type created struct {
	keyID    string
	body     []byte
	replayed bool
	view     keyView // with the secret; set only when the key was just made
}

var errIdempotencyConflict = &apiError{status: http.StatusConflict, code: "idempotency_conflict",
	message: "this Idempotency-Key was used with a different request body; use a new key for a new request"}

// create makes a key, or replays the create this Idempotency-Key already
// made. Running in one transaction on the only connection serialises
// concurrent requests with the same key: the first creates, the others find
// its record.
func (s *Server) create(ctx context.Context, p *principal, idem string, in createInput) (*created, error) {
	var out *created
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		out, err = s.createTx(ctx, tx, p, idem, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// createTx is create within the caller's transaction.
func (s *Server) createTx(ctx context.Context, tx *sql.Tx, p *principal, idem string, in createInput) (*created, error) {
	var idemHash []byte // nil stores NULL: a create without Idempotency-Key
	fp := fingerprint(in)
	if idem != "" {
		idemHash = hashIdempotencyKey(idem)
		// An expired record would otherwise block the insert below.
		if _, err := tx.StmtContext(ctx, s.st.purgeRecords).ExecContext(ctx, p.now.Add(-idempotencyTTL).Unix()); err != nil {
			return nil, err
		}
		var storedFP, sealed []byte
		var keyID string
		err := tx.StmtContext(ctx, s.st.getRecord).QueryRowContext(ctx, p.keyID, idemHash, p.now.Add(-idempotencyTTL).Unix()).
			Scan(&storedFP, &keyID, &sealed)
		switch {
		case err == nil:
			if !bytes.Equal(storedFP, fp) {
				return nil, errIdempotencyConflict
			}
			body, err := openSealed(p.secret, idem, p.keyID, sealed)
			if err != nil {
				return nil, err
			}
			return &created{keyID: keyID, body: body, replayed: true}, nil
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
	}
	id, secret, err := s.mintKey(ctx, tx, p.orgID, p.memberID, in, idemHash, p.now)
	if err != nil {
		return nil, err
	}
	k, err := scanKey(tx.StmtContext(ctx, s.st.getKey).QueryRowContext(ctx, id, p.orgID))
	if err != nil {
		return nil, err
	}
	v := k.view(p.now)
	v.Secret = secret
	out := &created{keyID: id, body: marshal(v), view: v}
	if idem == "" {
		return out, nil
	}
	sealed, err := seal(p.secret, idem, p.keyID, out.body)
	if err != nil {
		return nil, err
	}
	if _, err := tx.StmtContext(ctx, s.st.insertRecord).ExecContext(ctx, p.keyID, idemHash, fp, id, sealed, p.now.Unix()); err != nil {
		return nil, err
	}
	return out, nil
}

// mintKey stores a new key and returns its id and secret, which exists from
// here on only in the caller's hands. idemHash is the hash of the
// Idempotency-Key of the create, nil for none.
func (s *Server) mintKey(ctx context.Context, tx *sql.Tx, orgID, memberID string, in createInput, idemHash []byte,
	now time.Time) (id, secret string, err error) {
	id = newID("key", now)
	secret = newSecret()
	expS, expNS := expiryArgs(in.expiresAt)
	_, err = tx.StmtContext(ctx, s.st.insertKey).ExecContext(ctx, id, orgID, memberID, in.name,
		hashSecret(secret), secretHint(secret), now.Unix(), expS, expNS, idemHash)
	return id, secret, err
}

type listResponse struct {
	Data       []keyView `json:"data"`
	NextCursor *string   `json:"next_cursor"`
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, ex *exchange, _ string) {
	p, e := s.authorize(r, ex)
	if e != nil {
		writeError(w, ex, e)
		return
	}
	q, e := strictQuery(r.URL.RawQuery)
	if e != nil {
		writeError(w, ex, e)
		return
	}
	if _, ok := q["idempotency_key"]; ok {
		s.findByIdempotencyKey(w, r, ex, p, q)
		return
	}
	limit := 50
	if vs, ok := q["limit"]; ok {
		n, err := strconv.Atoi(vs[0])
		if len(vs) != 1 || err != nil || strings.ContainsAny(vs[0], "+-") || n < 1 || n > 100 {
			writeError(w, ex, errInvalid("limit", "limit must be an integer from 1 to 100"))
			return
		}
		limit = n
	}
	after := position{createdAt: math.MinInt64}
	if vs, ok := q["cursor"]; ok {
		pos, valid := s.decodeCursor(p.orgID, vs[0])
		if len(vs) != 1 || !valid {
			writeError(w, ex, errInvalid("cursor", "cursor is not valid; pass the next_cursor of the previous page"))
			return
		}
		after = pos
	}
	page, err := s.listPage(r.Context(), p, after, limit)
	if err != nil {
		writeError(w, ex, s.internal(r, "list keys", err))
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// maxIdempotencyMatches bounds the keys one idempotency_key lookup answers,
// as limit bounds a page.
const maxIdempotencyMatches = 100

var errNoIdempotentCreate = &apiError{status: http.StatusNotFound, code: "not_found",
	message: "no API key of your organization was created with this Idempotency-Key"}

// findByIdempotencyKey answers GET /v1/api-keys?idempotency_key=K: the keys
// of the caller's organization that a create with Idempotency-Key K made,
// whatever their status and however long ago, newest first, never with a
// secret. The listing's limit and cursor do not apply to it and are refused.
func (s *Server) findByIdempotencyKey(w http.ResponseWriter, r *http.Request, ex *exchange, p *principal, q url.Values) {
	idem, e := oneIdempotencyKey("idempotency_key", q["idempotency_key"])
	if e != nil {
		writeError(w, ex, e)
		return
	}
	for _, param := range []string{"limit", "cursor"} {
		if _, ok := q[param]; ok {
			writeError(w, ex, errInvalid(param, param+" cannot be combined with idempotency_key, whose answer is one page"))
			return
		}
	}
	page, err := s.keysByIdempotencyKey(r.Context(), p, idem)
	switch {
	case err != nil:
		writeError(w, ex, s.internal(r, "find key by idempotency key", err))
	case len(page.Data) == 0:
		writeError(w, ex, errNoIdempotentCreate)
	default:
		writeJSON(w, http.StatusOK, page)
	}
}

func (s *Server) keysByIdempotencyKey(ctx context.Context, p *principal, idem string) (*listResponse, error) {
	rows, err := s.st.findByIdem.QueryContext(ctx, p.orgID, hashIdempotencyKey(idem), maxIdempotencyMatches)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	page := &listResponse{Data: []keyView{}}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		page.Data = append(page.Data, k.view(p.now))
	}
	return page, rows.Err()
}

// strictQuery decodes a query string, refusing a pair that does not decode
// (bad percent-encoding, a raw semicolon) instead of dropping it as
// url.Request.Query does: a parameter is either read as sent or refused.
// The error names the parameter when its name decodes.
func strictQuery(raw string) (url.Values, *apiError) {
	q := url.Values{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil || strings.Contains(k, ";") {
			return nil, errInvalid("", "the query string is not valid: percent-encode the parameters, separated by &")
		}
		value, err := url.QueryUnescape(v)
		if err != nil || strings.Contains(v, ";") {
			return nil, errInvalid(name, name+" is not validly percent-encoded")
		}
		q[name] = append(q[name], value)
	}
	return q, nil
}

// listPage reads the page after a position. It returns before the page is
// written, so that a slow reader never holds the database's only connection.
func (s *Server) listPage(ctx context.Context, p *principal, after position, limit int) (*listResponse, error) {
	args := append([]any{p.orgID, after.createdAt, after.id}, instantArgs(p.now)...)
	rows, err := s.st.listKeys.QueryContext(ctx, append(args, limit+1)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	page := &listResponse{Data: make([]keyView, 0, limit)}
	var last *keyRecord
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		// The extra row only says that there is another page.
		if len(page.Data) == limit {
			c := s.encodeCursor(p.orgID, position{createdAt: last.createdAt, id: last.id})
			page.NextCursor = &c
			break
		}
		page.Data = append(page.Data, k.view(p.now))
		last = k
	}
	return page, rows.Err()
}

func (s *Server) getKey(w http.ResponseWriter, r *http.Request, ex *exchange, id string) {
	s.withKey(w, r, ex, id, "read key", func(ctx context.Context, p *principal) (*keyRecord, error) {
		return scanKey(s.st.getKey.QueryRowContext(ctx, id, p.orgID))
	})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, ex *exchange, id string) {
	s.withKey(w, r, ex, id, "revoke key", func(ctx context.Context, p *principal) (*keyRecord, error) {
		return s.revoke(ctx, p, id)
	})
}

// revoke revokes one key of the caller's organization and reads it back;
// sql.ErrNoRows means there is no such key there.
func (s *Server) revoke(ctx context.Context, p *principal, id string) (*keyRecord, error) {
	var k *keyRecord
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		// Only a key not yet revoked is stamped, so revoking twice changes nothing.
		if _, err := tx.StmtContext(ctx, s.st.revokeKey).ExecContext(ctx, p.now.Unix(), id, p.orgID); err != nil {
			return err
		}
		var err error
		k, err = scanKey(tx.StmtContext(ctx, s.st.getKey).QueryRowContext(ctx, id, p.orgID))
		return err
	})
	return k, err
}

// withKey answers a route on one key of the caller's organization: it
// authorises the caller, treats a malformed id as unknown, runs op and
// writes the key or the error.
func (s *Server) withKey(w http.ResponseWriter, r *http.Request, ex *exchange, id, what string,
	op func(ctx context.Context, p *principal) (*keyRecord, error)) {
	p, e := s.authorize(r, ex)
	if e != nil {
		writeError(w, ex, e)
		return
	}
	if !validKeyID(id) {
		writeError(w, ex, errKeyNotFound)
		return
	}
	k, err := op(r.Context(), p)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		writeError(w, ex, errKeyNotFound)
	case err != nil:
		writeError(w, ex, s.internal(r, what, err))
	default:
		writeJSON(w, http.StatusOK, k.view(p.now))
	}
}
