package sandbox

import (
	"errors"
	"net/http"
	"time"
)

// maxAdvance bounds one clock move, far below time.Duration's limit.
const maxAdvance = 100 * 365 * 24 * time.Hour

func (s *Server) newAdminRoutes() []route {
	return []route{
		newRoute("/_sandbox/organizations", map[string]handler{http.MethodPost: s.adminCreateOrganization}),
		newRoute("/_sandbox/organizations/{id}", map[string]handler{http.MethodPatch: s.adminSetPlan}),
		newRoute("/_sandbox/members/{id}", map[string]handler{http.MethodPatch: s.adminSetRole}),
		newRoute("/_sandbox/members/{id}/sign-in-link", map[string]handler{http.MethodPost: s.adminSignInLink}),
		newRoute("/_sandbox/clock", map[string]handler{http.MethodPost: s.adminAdvanceClock}),
		newRoute("/_sandbox/faults", map[string]handler{
			http.MethodGet:    s.adminGetFaults,
			http.MethodPut:    s.adminSetFaults,
			http.MethodDelete: s.adminClearFaults,
		}),
		newRoute("/_sandbox/stats", map[string]handler{
			http.MethodGet:    s.adminGetStats,
			http.MethodDelete: s.adminResetStats,
		}),
	}
}

// serveAdmin answers /_sandbox/. Only the admin token opens it; an Astral
// key is just another wrong token here.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request, ex *exchange) {
	rt, param := match(s.adminRoutes, r.URL.Path)
	if rt == nil {
		writeError(w, ex, errNoRoute)
		return
	}
	ex.route = rt.pattern
	if rt.handlers[r.Method] != nil && !s.adminAuthorized(r) {
		writeError(w, ex, errUnauthenticated("the sandbox admin routes need Authorization: Bearer <admin_token>"))
		return
	}
	dispatch(w, r, ex, rt, param)
}

// adminBody reads and decodes an admin request body into fields.
func (s *Server) adminBody(w http.ResponseWriter, r *http.Request, fields map[string]any) *apiError {
	body, e := s.readBody(w, r)
	if e != nil {
		return e
	}
	return decodeObject(body, fields)
}

// writeResult answers with v, or with err in the envelope.
func (s *Server) writeResult(w http.ResponseWriter, r *http.Request, ex *exchange, op string, v any, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		writeError(w, ex, ae)
	case err != nil:
		writeError(w, ex, s.internal(r, op, err))
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) adminCreateOrganization(w http.ResponseWriter, r *http.Request, ex *exchange, _ string) {
	var name, plan *string
	if e := s.adminBody(w, r, map[string]any{"name": &name, "plan": &plan}); e != nil {
		writeError(w, ex, e)
		return
	}
	if name == nil || plan == nil {
		writeError(w, ex, errInvalid("", `name and plan are required: {"name": "...", "plan": "free|coach|team|enterprise"}`))
		return
	}
	ctx := r.Context()
	org, err := s.CreateOrganization(ctx, *name, Plan(*plan))
	for i := 0; err == nil && i < len(org.Members); i++ {
		var link string
		link, _, err = s.SignInLink(ctx, org.Members[i].ID)
		org.Members[i].AppURL = baseURL(r) + link
	}
	if err == nil {
		writeJSON(w, http.StatusCreated, org)
		return
	}
	s.writeResult(w, r, ex, "create organization", nil, err)
}

// baseURL is the sandbox's address as the admin caller reached it, to
// make sign-in links that caller can open.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

type signInLinkView struct {
	MemberID  string `json:"member_id"`
	AppURL    string `json:"app_url"`
	ExpiresAt string `json:"expires_at"`
}

// adminSignInLink mints a sign-in link to the app for any member; it takes
// no body.
func (s *Server) adminSignInLink(w http.ResponseWriter, r *http.Request, ex *exchange, memberID string) {
	link, expires, err := s.SignInLink(r.Context(), memberID)
	if err == nil {
		writeJSON(w, http.StatusCreated, signInLinkView{MemberID: memberID, AppURL: baseURL(r) + link, ExpiresAt: formatTime(expires)})
		return
	}
	s.writeResult(w, r, ex, "mint sign-in link", nil, err)
}

func (s *Server) adminSetPlan(w http.ResponseWriter, r *http.Request, ex *exchange, orgID string) {
	var plan *string
	if e := s.adminBody(w, r, map[string]any{"plan": &plan}); e != nil {
		writeError(w, ex, e)
		return
	}
	if plan == nil {
		writeError(w, ex, errInvalid("plan", "plan is required"))
		return
	}
	ctx := r.Context()
	var org *Organization
	err := s.SetPlan(ctx, orgID, Plan(*plan))
	if err == nil {
		org, err = loadOrganization(ctx, s.db, orgID)
	}
	s.writeResult(w, r, ex, "set plan", org, err)
}

func (s *Server) adminSetRole(w http.ResponseWriter, r *http.Request, ex *exchange, memberID string) {
	var role *string
	if e := s.adminBody(w, r, map[string]any{"role": &role}); e != nil {
		writeError(w, ex, e)
		return
	}
	if role == nil {
		writeError(w, ex, errInvalid("role", "role is required"))
		return
	}
	ctx := r.Context()
	var org *Organization
	err := s.SetRole(ctx, memberID, Role(*role))
	if err == nil {
		var orgID string
		if orgID, err = orgOf(ctx, s.db, memberID); err == nil {
			org, err = loadOrganization(ctx, s.db, orgID)
		}
	}
	s.writeResult(w, r, ex, "set role", org, err)
}

func (s *Server) adminAdvanceClock(w http.ResponseWriter, r *http.Request, ex *exchange, _ string) {
	var seconds *int64
	if e := s.adminBody(w, r, map[string]any{"advance_seconds": &seconds}); e != nil {
		writeError(w, ex, e)
		return
	}
	if seconds == nil || *seconds < 0 || *seconds > int64(maxAdvance/time.Second) {
		writeError(w, ex, errInvalid("advance_seconds", "advance_seconds must be an integer from 0 to 3153600000"))
		return
	}
	now := s.AdvanceClock(time.Duration(*seconds) * time.Second)
	writeJSON(w, http.StatusOK, map[string]string{"now": formatTime(now)})
}

func (s *Server) adminGetFaults(w http.ResponseWriter, r *http.Request, ex *exchange, _ string) {
	writeJSON(w, http.StatusOK, s.currentFaults())
}

// adminSetFaults replaces the faults: a field left out is zero.
func (s *Server) adminSetFaults(w http.ResponseWriter, r *http.Request, ex *exchange, _ string) {
	var f Faults
	if e := s.adminBody(w, r, map[string]any{
		"error_rate":             &f.ErrorRate,
		"error_status":           &f.ErrorStatus,
		"drop_after_commit_rate": &f.DropAfterCommitRate,
		"latency_ms":             &f.LatencyMS,
		"rate_limit_per_second":  &f.RateLimitPerSecond,
	}); e != nil {
		writeError(w, ex, e)
		return
	}
	if e := f.validate(); e != nil {
		writeError(w, ex, e)
		return
	}
	s.setFaults(f)
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) adminClearFaults(w http.ResponseWriter, r *http.Request, ex *exchange, _ string) {
	s.ClearFaults()
	writeJSON(w, http.StatusOK, s.currentFaults())
}

func (s *Server) adminGetStats(w http.ResponseWriter, r *http.Request, ex *exchange, _ string) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) adminResetStats(w http.ResponseWriter, r *http.Request, ex *exchange, _ string) {
	s.ResetStats()
	writeJSON(w, http.StatusOK, s.Stats())
}
