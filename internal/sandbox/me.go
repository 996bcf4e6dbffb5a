package sandbox

import (
	"net/http"
)

// identity is the answer of GET /v1/me.
type identity struct {
	APIKey       keyView    `json:"api_key"`
	Member       callerView `json:"member"`
	Organization orgSummary `json:"organization"`
}

type callerView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
}

type orgSummary struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Plan Plan   `json:"plan"`
}

// me answers who the calling key is. Plan and role are not checked, so that
// a key refused elsewhere can still learn why; authentication and the rate
// limit apply as on every route.
func (s *Server) me(w http.ResponseWriter, r *http.Request, ex *exchange, _ string) {
	p, e := s.authenticate(r, ex)
	if e == nil {
		e = s.limit(ex, p)
	}
	if e != nil {
		writeError(w, ex, e)
		return
	}
	var id identity
	// One row, so the key, the role and the plan are read at one moment.
	k, err := scanKey(s.st.whoAmI.QueryRowContext(r.Context(), p.keyID),
		&id.Member.Role, &id.Organization.Name, &id.Organization.Plan)
	if err != nil {
		writeError(w, ex, s.internal(r, "read the calling key", err))
		return
	}
	id.APIKey = k.view(p.now)
	id.Member.ID, id.Member.Name = k.creatorID, k.creatorName
	id.Organization.ID = k.orgID
	writeJSON(w, http.StatusOK, id)
}
