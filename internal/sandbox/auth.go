package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// lastUsedResolution is how stale last_used_at may get before a request
// writes it again.
const lastUsedResolution = 60 * time.Second

// principal is the caller of an authenticated /v1 request, or the member
// signed in to the app, who calls with no key (keyID and secret empty).
type principal struct {
	keyID    string
	orgID    string
	memberID string
	role     Role
	plan     Plan
	secret   string // the presented secret, to derive idempotency replay keys
	now      time.Time
}

// authorize runs the contract's checks in order: 401, 403 plan, 403 role,
// 429. Plan and role are read on every request.
func (s *Server) authorize(r *http.Request, ex *exchange) (*principal, *apiError) {
	p, e := s.authenticate(r, ex)
	if e != nil {
		return nil, e
	}
	if e := mayManageKeys(p); e != nil {
		return nil, s.refuse(ex, p, e)
	}
	if e := s.limit(ex, p); e != nil {
		return nil, e
	}
	return p, nil
}

// mayManageKeys runs checks 2 and 3, plan before role, for the API and the
// app's Security page alike.
func mayManageKeys(p *principal) *apiError {
	if p.plan == PlanFree {
		return errPlanUpgradeRequired
	}
	if p.role != RoleHeadCoach {
		return errInsufficientRole
	}
	return nil
}

var (
	errPlanUpgradeRequired = &apiError{status: http.StatusForbidden, code: "plan_upgrade_required",
		message: "API keys need the coach plan or higher; this organization is on the free plan"}
	errInsufficientRole = &apiError{status: http.StatusForbidden, code: "insufficient_role",
		message: "only the organization's head coach can manage API keys"}
)

// refuse answers e for a key refused before the rate limit: the request
// spends nothing, but its answer still shows the key's bucket, as every
// answer to a limited key does.
func (s *Server) refuse(ex *exchange, p *principal, e *apiError) *apiError {
	ex.quota = s.limiter.peek(p.keyID, p.now)
	return e
}

// limit spends a request of the caller's bucket (check 4) and keeps the
// bucket's quota for the answer's headers.
func (s *Server) limit(ex *exchange, p *principal) *apiError {
	q := s.limiter.take(p.keyID, p.now)
	ex.quota = q
	if q != nil && q.retryAfter > 0 {
		return &apiError{status: http.StatusTooManyRequests, code: "rate_limited",
			message: "too many requests for this API key; retry after the Retry-After seconds", retryAfter: q.retryAfter}
	}
	return nil
}

// authenticate runs check 1 alone and records the use of the key: every
// request that passes it is a use, whatever the later checks say.
func (s *Server) authenticate(r *http.Request, ex *exchange) (*principal, *apiError) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return nil, errUnauthenticated("missing Authorization header; send Authorization: Bearer <API key>")
	}
	scheme, secret, ok := strings.Cut(values[0], " ")
	if len(values) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errUnauthenticated("malformed Authorization header; send Authorization: Bearer <API key>")
	}
	if !wellFormedSecret(secret) {
		return nil, errUnauthenticated("malformed API key; expected astral_live_ followed by 32 letters and digits")
	}
	notValid := errUnauthenticated("API key is not valid")

	now := s.Now()
	hash := hashSecret(secret)
	var (
		p                 = principal{secret: secret, now: now}
		storedHash        []byte
		revoked, lastUsed sql.NullInt64
		expS, expNS       sql.NullInt64
	)
	err := s.st.authenticate.QueryRowContext(r.Context(), hash).Scan(&p.keyID, &p.orgID, &p.memberID, &storedHash,
		&revoked, &expS, &expNS, &lastUsed, &p.role, &p.plan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notValid
	}
	if err != nil {
		return nil, s.internal(r, "authenticate", err)
	}
	if subtle.ConstantTimeCompare(hash, storedHash) != 1 || revoked.Valid {
		return nil, notValid
	}
	if exp := nullTime(expS, expNS); exp != nil && !now.Before(*exp) {
		return nil, notValid
	}
	ex.keyID = p.keyID

	if !lastUsed.Valid || now.Unix()-lastUsed.Int64 > int64(lastUsedResolution/time.Second) {
		if _, err := s.st.touch.ExecContext(r.Context(), now.Unix(), p.keyID, now.Add(-lastUsedResolution).Unix()); err != nil {
			return nil, s.internal(r, "record key use", err)
		}
	}
	return &p, nil
}

// internal logs a server fault (never with request data) and answers 500,
// unless the client went away: the work failed because its request's
// context ended, which is no fault of the server's (499).
func (s *Server) internal(r *http.Request, op string, err error) *apiError {
	if r.Context().Err() != nil {
		return errClientClosed
	}
	s.log.ErrorContext(r.Context(), op, slog.Any("error", err))
	return errInternal
}

// adminAuthorized compares hashes so that the comparison takes the same time
// whatever the length of the presented token.
func (s *Server) adminAuthorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(token))
	want := sha256.Sum256([]byte(s.adminToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}
