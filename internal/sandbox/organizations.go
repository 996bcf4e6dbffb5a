package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
)

// Member is a member of an organization. APIKey and APIKeyID are set only
// where a key was just minted for the member (organization set-up and
// DemoOrganization); such keys are ordinary keys of the organization, listed
// by GET /v1/api-keys like any other. AppURL, a one-time sign-in link to the
// app (see SignInLink), is set only where one was just minted for the member:
// the command's summary and POST /_sandbox/organizations.
type Member struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	APIKey   string `json:"api_key,omitempty"`
	APIKeyID string `json:"api_key_id,omitempty"`
	AppURL   string `json:"app_url,omitempty"`
}

// Organization is an organization with its members, head coach first at
// set-up.
type Organization struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Plan    Plan     `json:"plan"`
	Members []Member `json:"members"`
}

// Member returns the first member with the role, nil when there is none.
func (o *Organization) Member(role Role) *Member {
	for i := range o.Members {
		if o.Members[i].Role == role {
			return &o.Members[i]
		}
	}
	return nil
}

// The people of every organization the sandbox sets up, one per role.
var founders = []struct {
	name string
	role Role
}{
	{"Dana Ortiz", RoleHeadCoach},
	{"Sam Lee", RoleCoach},
	{"Alex Kim", RoleAthlete},
}

const demoOrganizationName = "Riverside Rowing Club"

var (
	errOrgNotFound    = &apiError{status: http.StatusNotFound, code: "not_found", message: "no such organization"}
	errMemberNotFound = &apiError{status: http.StatusNotFound, code: "not_found", message: "no such member"}
)

func validatePlan(p Plan) *apiError {
	if !p.valid() {
		return errInvalid("plan", "plan must be free, coach, team or enterprise")
	}
	return nil
}

func validateRole(r Role) *apiError {
	if !r.valid() {
		return errInvalid("role", "role must be head_coach, coach or athlete")
	}
	return nil
}

// validateOrgName applies the rules of a key's name to an organization's.
func validateOrgName(name string) *apiError { return validateText("name", name) }

// CreateOrganization creates an organization with a head coach, a coach and
// an athlete, each holding a working key.
func (s *Server) CreateOrganization(ctx context.Context, name string, plan Plan) (*Organization, error) {
	if e := validateOrgName(name); e != nil {
		return nil, e
	}
	if e := validatePlan(plan); e != nil {
		return nil, e
	}
	var org *Organization
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		org, err = s.insertOrganization(ctx, tx, name, plan, false)
		if err != nil {
			return err
		}
		return s.mintMemberKeys(ctx, tx, org)
	})
	if err != nil {
		return nil, err
	}
	return org, nil
}

// DemoOrganization returns the database's demo organization, creating it the
// first time, with a freshly minted key for each member. Keys minted by
// earlier calls stay valid.
func (s *Server) DemoOrganization(ctx context.Context) (*Organization, error) {
	var org *Organization
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM organizations WHERE demo = 1`).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			org, err = s.insertOrganization(ctx, tx, demoOrganizationName, PlanCoach, true)
		case err == nil:
			org, err = loadOrganization(ctx, tx, id)
		}
		if err != nil {
			return err
		}
		return s.mintMemberKeys(ctx, tx, org)
	})
	if err != nil {
		return nil, err
	}
	return org, nil
}

func (s *Server) insertOrganization(ctx context.Context, tx *sql.Tx, name string, plan Plan, demo bool) (*Organization, error) {
	now := s.Now()
	org := &Organization{ID: newID("org", now), Name: name, Plan: plan}
	if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name, plan, demo, created_at) VALUES (?, ?, ?, ?, ?)`,
		org.ID, name, plan, demo, now.Unix()); err != nil {
		return nil, err
	}
	for i, f := range founders {
		m := Member{ID: newID("mem", now), Name: f.name, Role: f.role}
		if _, err := tx.ExecContext(ctx, `INSERT INTO members (id, org_id, name, role, position) VALUES (?, ?, ?, ?, ?)`,
			m.ID, org.ID, m.Name, m.Role, i); err != nil {
			return nil, err
		}
		org.Members = append(org.Members, m)
	}
	return org, nil
}

// mintMemberKeys gives every member a new key, as if each had made one in
// the app.
func (s *Server) mintMemberKeys(ctx context.Context, tx *sql.Tx, org *Organization) error {
	now := s.Now()
	for i := range org.Members {
		m := &org.Members[i]
		id, secret, err := s.mintKey(ctx, tx, org.ID, m.ID, createInput{name: "Sandbox key of " + m.Name}, nil, now)
		if err != nil {
			return err
		}
		m.APIKeyID, m.APIKey = id, secret
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// loadOrganization reads an organization and its members, without keys.
func loadOrganization(ctx context.Context, q querier, id string) (*Organization, error) {
	org := &Organization{ID: id}
	err := q.QueryRowContext(ctx, `SELECT name, plan FROM organizations WHERE id = ?`, id).Scan(&org.Name, &org.Plan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errOrgNotFound
	}
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, name, role FROM members WHERE org_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ID, &m.Name, &m.Role); err != nil {
			return nil, err
		}
		org.Members = append(org.Members, m)
	}
	return org, rows.Err()
}

// SetPlan changes an organization's plan; the next request sees it.
func (s *Server) SetPlan(ctx context.Context, orgID string, plan Plan) error {
	if e := validatePlan(plan); e != nil {
		return e
	}
	res, err := s.db.ExecContext(ctx, `UPDATE organizations SET plan = ? WHERE id = ?`, plan, orgID)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return errOrgNotFound
	}
	return nil
}

// SetRole changes a member's role; the next request sees it. Making a member
// head coach makes the previous head coach a coach; the head coach cannot
// otherwise be demoted, since an organization always has one.
func (s *Server) SetRole(ctx context.Context, memberID string, role Role) error {
	if e := validateRole(role); e != nil {
		return e
	}
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		var orgID string
		var current Role
		err := tx.QueryRowContext(ctx, `SELECT org_id, role FROM members WHERE id = ?`, memberID).Scan(&orgID, &current)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return errMemberNotFound
		case err != nil:
			return err
		case current == role:
			return nil
		case current == RoleHeadCoach:
			return errInvalid("role", "an organization always has a head coach: make another member head coach instead")
		}
		if role == RoleHeadCoach {
			if _, err := tx.ExecContext(ctx, `UPDATE members SET role = ? WHERE org_id = ? AND role = ?`,
				RoleCoach, orgID, RoleHeadCoach); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE members SET role = ? WHERE id = ?`, role, memberID)
		return err
	})
}

// ActiveKeyIDs lists the ids of the organization's active keys in listing
// order, straight from the database. The members' own keys (Member.APIKeyID)
// are among them.
func (s *Server) ActiveKeyIDs(ctx context.Context, orgID string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT k.id FROM api_keys k WHERE k.org_id = ? AND k.revoked_at IS NULL AND `+
		notExpired+` ORDER BY k.created_at, k.id`, append([]any{orgID}, instantArgs(s.Now())...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// orgOf is the organization of a member, for answering PATCH /members.
func orgOf(ctx context.Context, db *sql.DB, memberID string) (string, error) {
	var id string
	err := db.QueryRowContext(ctx, `SELECT org_id FROM members WHERE id = ?`, memberID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errMemberNotFound
	}
	return id, err
}
