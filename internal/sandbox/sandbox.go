// Package sandbox is the reference server of the Astral API: every rule of
// the contract, real HTTP and real SQLite storage, the app's Security page
// under /app/ where a person manages keys as in the Astral app, plus an admin
// surface under /_sandbox/ that tests and demos use to set up organizations,
// move the clock, inject faults and sign members in to the app.
package sandbox

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Plan is an organization's subscription plan.
type Plan string

// Plans, low to high. API keys need PlanCoach or higher.
const (
	PlanFree       Plan = "free"
	PlanCoach      Plan = "coach"
	PlanTeam       Plan = "team"
	PlanEnterprise Plan = "enterprise"
)

func (p Plan) valid() bool {
	switch p {
	case PlanFree, PlanCoach, PlanTeam, PlanEnterprise:
		return true
	}
	return false
}

// Role is a member's role in an organization.
type Role string

// Roles. Only the head coach may manage API keys.
const (
	RoleHeadCoach Role = "head_coach"
	RoleCoach     Role = "coach"
	RoleAthlete   Role = "athlete"
)

func (r Role) valid() bool {
	switch r {
	case RoleHeadCoach, RoleCoach, RoleAthlete:
		return true
	}
	return false
}

// Options configure a Server.
type Options struct {
	// DBPath is a SQLite file, created when missing, or ":memory:".
	// Empty means ":memory:".
	DBPath string
	// AdminToken authorises /_sandbox/; a random one is made when empty.
	AdminToken string
	// Logger receives one line per request; nil discards them.
	Logger *slog.Logger
	// Now is the base clock, time.Now when nil. The server's clock is this
	// plus the offset that AdvanceClock accumulates.
	Now func() time.Time
	// Seed makes fault injection repeatable; 0 seeds at random.
	Seed int64
	// Faults are in force from the start.
	Faults Faults
	// HeaderTimeout bounds the reading of a request's headers, BodyTimeout
	// the reading of its body (from when the sandbox starts to read it),
	// IdleTimeout the wait of a kept-alive connection for its next request.
	// Zero means 10 s, 30 s and 2 minutes. BodyTimeout applies under any
	// http.Server; the others through HTTPServer.
	HeaderTimeout, BodyTimeout, IdleTimeout time.Duration
}

// Default timeouts of a client's connection.
const (
	defaultHeaderTimeout = 10 * time.Second
	defaultBodyTimeout   = 30 * time.Second
	defaultIdleTimeout   = 2 * time.Minute
	// maxLatency is the longest latency fault.
	maxLatency = 60 * time.Second
)

// Faults are injected into /v1 requests, never into /_sandbox/ ones.
type Faults struct {
	// ErrorRate is the probability that a request is answered with
	// ErrorStatus before it is handled.
	ErrorRate float64 `json:"error_rate"`
	// ErrorStatus is 429, 500, 502, 503 or 504; 0 means 503.
	ErrorStatus int `json:"error_status"`
	// DropAfterCommitRate is the probability that a request is handled and
	// committed, then its connection closed without a response.
	DropAfterCommitRate float64 `json:"drop_after_commit_rate"`
	// LatencyMS delays every request.
	LatencyMS int `json:"latency_ms"`
	// RateLimitPerSecond, when above 0, limits each calling key with a token
	// bucket of that rate and a burst of max(1, rate).
	RateLimitPerSecond float64 `json:"rate_limit_per_second"`
}

func (f Faults) validate() *apiError {
	switch {
	case !(f.ErrorRate >= 0 && f.ErrorRate <= 1):
		return errInvalid("error_rate", "error_rate must be between 0 and 1")
	case !(f.DropAfterCommitRate >= 0 && f.DropAfterCommitRate <= 1):
		return errInvalid("drop_after_commit_rate", "drop_after_commit_rate must be between 0 and 1")
	case f.LatencyMS < 0 || time.Duration(f.LatencyMS)*time.Millisecond > maxLatency:
		return errInvalid("latency_ms", "latency_ms must be between 0 and 60000")
	case !(f.RateLimitPerSecond >= 0 && f.RateLimitPerSecond <= 1e6):
		return errInvalid("rate_limit_per_second", "rate_limit_per_second must be between 0 and 1000000")
	}
	switch f.ErrorStatus {
	case 0, 429, 500, 502, 503, 504:
		return nil
	}
	return errInvalid("error_status", "error_status must be 429, 500, 502, 503 or 504")
}

// Server is the sandbox. It is an http.Handler; Close releases its database.
type Server struct {
	db         *sql.DB
	st         *statements
	log        *slog.Logger
	baseNow    func() time.Time
	adminToken string
	cursorKey  []byte

	clockMu sync.Mutex // serialises AdvanceClock's read-modify-write
	offset  atomic.Int64

	faultsMu sync.Mutex
	faults   Faults
	rng      *mrand.Rand

	headerTimeout, bodyTimeout, idleTimeout time.Duration

	v1Routes    []route
	adminRoutes []route
	appRoutes   []route

	limiter rateLimiter
	stats   statsCounter

	stopPurge chan struct{}
	purgeDone chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New opens (or creates) the database and returns a ready server.
func New(opts Options) (*Server, error) {
	if e := opts.Faults.validate(); e != nil {
		return nil, fmt.Errorf("sandbox faults: %w", e)
	}
	path := opts.DBPath
	if path == "" {
		path = ":memory:"
	}
	db, err := openDB(path)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	s := &Server{
		db:         db,
		log:        opts.Logger,
		baseNow:    opts.Now,
		adminToken: opts.AdminToken,
		stopPurge:  make(chan struct{}),
		purgeDone:  make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.baseNow == nil {
		s.baseNow = time.Now
	}
	s.headerTimeout = cmp.Or(opts.HeaderTimeout, defaultHeaderTimeout)
	s.bodyTimeout = cmp.Or(opts.BodyTimeout, defaultBodyTimeout)
	s.idleTimeout = cmp.Or(opts.IdleTimeout, defaultIdleTimeout)
	if s.adminToken == "" {
		s.adminToken = "sandbox_admin_" + newSecret()[len(secretPrefix):]
	}
	seed := uint64(opts.Seed) //nolint:gosec // G115: the seed's bits matter, not its sign
	if seed == 0 {
		seed = binary.BigEndian.Uint64(randomBytes(8))
	}
	// Faults need repeatable draws, not unpredictable ones.
	s.rng = mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) //nolint:gosec // G404: see above
	s.setFaults(opts.Faults)
	s.v1Routes = s.newV1Routes()
	s.adminRoutes = s.newAdminRoutes()
	s.appRoutes = s.newAppRoutes()

	if s.st, err = prepare(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	// The cursor key and the clock offset are stored so that cursors and
	// the state of expiry both survive a restart.
	if s.cursorKey, err = setting(ctx, db, "cursor_key", func() []byte { return randomBytes(32) }); err != nil {
		return nil, errors.Join(fmt.Errorf("load cursor key: %w", err), s.closeDB())
	}
	offset, err := setting(ctx, db, "clock_offset_ns", func() []byte { return []byte("0") })
	if err == nil {
		var ns int64
		ns, err = strconv.ParseInt(string(offset), 10, 64)
		s.offset.Store(ns)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("load clock offset: %w", err), s.closeDB())
	}

	go s.purgeLoop()
	return s, nil
}

// Close stops the server's background work and closes its database; later
// calls return the first call's result. It does not stop an http.Server that
// serves it.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stopPurge)
		<-s.purgeDone
		s.closeErr = s.closeDB()
	})
	return s.closeErr
}

func (s *Server) closeDB() error {
	if s.st != nil {
		s.st.close()
	}
	return s.db.Close()
}

// purgeLoop deletes idempotency records once they are 24 hours old even when
// no create comes to do it, and the app's expired sign-in links and sessions.
func (s *Server) purgeLoop() {
	defer close(s.purgeDone)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.stopPurge:
			return
		case <-t.C:
			s.purgeRecords(context.Background(), s.Now())
			s.purgeApp(context.Background(), s.Now())
		}
	}
}

func (s *Server) purgeRecords(ctx context.Context, now time.Time) {
	if _, err := s.st.purgeRecords.ExecContext(ctx, now.Add(-idempotencyTTL).Unix()); err != nil {
		s.log.Error("purge idempotency records", slog.Any("error", err))
	}
}

// HTTPServer returns an http.Server that serves the sandbox with its
// timeouts, so that no client holds a connection for long: headers within
// HeaderTimeout, an idle connection closed after IdleTimeout, and every
// request read and answered within the longest a request may take (its
// headers, its body, the longest latency fault and 30 s of work), a
// backstop to the body's own BodyTimeout. Every answer is the sandbox's own:
// even "OPTIONS *" reaches it rather than net/http's default answer.
func (s *Server) HTTPServer() *http.Server {
	whole := s.headerTimeout + s.bodyTimeout + maxLatency + 30*time.Second
	return &http.Server{
		Handler:                      s,
		ReadHeaderTimeout:            s.headerTimeout,
		ReadTimeout:                  whole,
		WriteTimeout:                 whole,
		IdleTimeout:                  s.idleTimeout,
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// AdminToken is the bearer token of the /_sandbox/ routes.
func (s *Server) AdminToken() string { return s.adminToken }

// Now is the server's clock: the base clock moved forward by AdvanceClock.
func (s *Server) Now() time.Time {
	return s.baseNow().Add(time.Duration(s.offset.Load())).UTC()
}

// AdvanceClock moves the server's clock forward by d and returns the new
// time. Time never goes back: a negative d panics.
func (s *Server) AdvanceClock(d time.Duration) time.Time {
	if d < 0 {
		panic("sandbox: AdvanceClock with a negative duration")
	}
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	v := s.offset.Add(int64(d))
	if err := putSetting(context.Background(), s.db, "clock_offset_ns", strconv.AppendInt(nil, v, 10)); err != nil {
		s.log.Error("store clock offset", slog.Any("error", err))
	}
	s.purgeRecords(context.Background(), s.Now())
	return s.Now()
}

// SetFaults replaces the faults in force. Values must satisfy the rules of
// PUT /_sandbox/faults; SetFaults panics otherwise.
func (s *Server) SetFaults(f Faults) {
	if e := f.validate(); e != nil {
		panic("sandbox: SetFaults: " + e.message)
	}
	s.setFaults(f)
}

// ClearFaults removes every fault, the rate limit included.
func (s *Server) ClearFaults() { s.setFaults(Faults{}) }

func (s *Server) setFaults(f Faults) {
	s.faultsMu.Lock()
	s.faults = f
	s.faultsMu.Unlock()
	s.limiter.setRate(f.RateLimitPerSecond)
}

func (s *Server) currentFaults() Faults {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	return s.faults
}

// chance reports true with probability p, from the seeded source.
func (s *Server) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	return s.rng.Float64() < p
}

// ServeHTTP answers /v1 (the Astral API), /app/ (the app's Security page)
// and /_sandbox/ (the admin surface).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ex := &exchange{requestID: newID("req", s.Now())}
	w.Header().Set("X-Request-Id", ex.requestID)
	// Every answer is one caller's, and some hold a secret (a create, its
	// replay, an organization's set-up): no cache may keep one. The app's
	// static files say otherwise for themselves.
	w.Header().Set("Cache-Control", "no-store")
	rw := &responseWriter{ResponseWriter: w, ex: ex, now: s.Now}
	s.route(rw, r, ex)
	attrs := []slog.Attr{
		slog.String("request_id", ex.requestID),
		slog.String("method", r.Method),
		slog.String("route", ex.route),
		slog.Int("status", ex.status),
		slog.Duration("duration", time.Since(start)),
	}
	if ex.keyID != "" {
		attrs = append(attrs, slog.String("key_id", ex.keyID))
	}
	if ex.dropped {
		attrs = append(attrs, slog.Bool("dropped", true))
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// route answers a request by its path. A panic of a handler is a server
// fault like any other: it is answered with 500 in the envelope while the
// answer has not started (net/http would drop the connection), and logged.
func (s *Server) route(w *responseWriter, r *http.Request, ex *exchange) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler || ex.status != 0 { //nolint:errorlint // net/http panics with this very value
			panic(v)
		}
		s.log.ErrorContext(r.Context(), "panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
		writeError(w, ex, errInternal)
	}()
	switch {
	case r.URL.Path == "/v1" || strings.HasPrefix(r.URL.Path, "/v1/"):
		w.stats = &s.stats
		s.serveV1(w, r, ex)
	case strings.HasPrefix(r.URL.Path, "/_sandbox/"):
		s.serveAdmin(w, r, ex)
	case r.URL.Path == "/app" || strings.HasPrefix(r.URL.Path, "/app/"):
		s.serveApp(w, r, ex)
	default:
		writeError(w, ex, errNoRoute)
	}
}

// handler serves one method of a route; param is the route's {id}, if any.
type handler func(w http.ResponseWriter, r *http.Request, ex *exchange, param string)

type route struct {
	pattern  string // "/v1/api-keys/{id}": literal segments and one {param}
	handlers map[string]handler
	allow    string
}

func newRoute(pattern string, handlers map[string]handler) route {
	var methods []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if handlers[m] != nil {
			methods = append(methods, m)
		}
	}
	return route{pattern: pattern, handlers: handlers, allow: strings.Join(methods, ", ")}
}

// match finds the route of path and the value of its parameter.
func match(routes []route, path string) (*route, string) {
	for i := range routes {
		if param, ok := matchPattern(routes[i].pattern, path); ok {
			return &routes[i], param
		}
	}
	return nil, ""
}

func matchPattern(pattern, path string) (string, bool) {
	var param string
	for {
		pseg, prest, pmore := strings.Cut(strings.TrimPrefix(pattern, "/"), "/")
		seg, rest, more := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if pmore != more {
			return "", false
		}
		switch {
		case strings.HasPrefix(pseg, "{"):
			if seg == "" {
				return "", false
			}
			param = seg
		case pseg != seg:
			return "", false
		}
		if !more {
			return param, true
		}
		pattern, path = "/"+prest, "/"+rest
	}
}

// dispatch answers 405 for a known route with another method, else runs the
// route's handler for the method.
func dispatch(w http.ResponseWriter, r *http.Request, ex *exchange, rt *route, param string) {
	h := rt.handlers[r.Method]
	if h == nil {
		writeError(w, ex, &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed",
			message: r.Method + " is not allowed on " + rt.pattern + "; allowed: " + rt.allow, allow: rt.allow})
		return
	}
	h(w, r, ex, param)
}

func (s *Server) serveV1(w http.ResponseWriter, r *http.Request, ex *exchange) {
	rt, param := match(s.v1Routes, r.URL.Path)
	if rt == nil {
		writeError(w, ex, errNoRoute)
		return
	}
	ex.route = rt.pattern
	s.stats.request(r.Method + " " + rt.pattern)

	f := s.currentFaults()
	if f.LatencyMS > 0 {
		select {
		case <-time.After(time.Duration(f.LatencyMS) * time.Millisecond):
		case <-r.Context().Done():
			writeError(w, ex, errClientClosed)
			return
		}
	}
	if s.chance(f.ErrorRate) {
		writeError(w, ex, injectedError(f.ErrorStatus))
		return
	}
	if s.chance(f.DropAfterCommitRate) {
		// The handler runs to completion, so its writes are committed; its
		// answer is thrown away with the connection.
		dispatch(&bufferedResponse{header: http.Header{}, conn: w}, r, ex, rt, param)
		ex.dropped = true
		s.stats.response("dropped")
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// HTTP/2 cannot hand over its connection; aborting resets the stream.
			panic(http.ErrAbortHandler)
		}
		conn.Close()
		return
	}
	dispatch(w, r, ex, rt, param)
}

var errUnavailable = &apiError{status: http.StatusServiceUnavailable, code: "unavailable",
	message: "the service is temporarily unavailable; retry later", retryAfter: 1}

func injectedError(status int) *apiError {
	switch status {
	case http.StatusTooManyRequests:
		return &apiError{status: status, code: "rate_limited", message: "too many requests; retry after 1 second", retryAfter: 1}
	case http.StatusInternalServerError:
		return errInternal
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return &apiError{status: status, code: "unavailable", message: "the service is temporarily unavailable; retry later"}
	}
	return errUnavailable
}
