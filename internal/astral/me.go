package astral

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// MemberRole is a member's role in an organization. Only the head coach may
// manage API keys.
type MemberRole string

// Roles; an organization has one head coach.
const (
	MemberRoleHeadCoach MemberRole = "head_coach"
	MemberRoleCoach     MemberRole = "coach"
	MemberRoleAthlete   MemberRole = "athlete"
)

// Plan is an organization's plan. API keys can be managed from PlanCoach up.
type Plan string

// Plans, low to high.
const (
	PlanFree       Plan = "free"
	PlanCoach      Plan = "coach"
	PlanTeam       Plan = "team"
	PlanEnterprise Plan = "enterprise"
)

// Identity is who the client's key is: the key itself, the member who
// created it and the key's organization, with the role and plan in force
// now. A role or plan the client does not know is kept as the API sent it.
type Identity struct {
	// APIKey is the calling key. Its Secret is always empty.
	APIKey       *APIKey      `json:"api_key"`
	Member       CallerMember `json:"member"`
	Organization Organization `json:"organization"`
}

// CallerMember is the member a key acts as.
type CallerMember struct {
	ID   string     `json:"id"`
	Name string     `json:"name"`
	Role MemberRole `json:"role"`
}

// Organization is the organization a key belongs to.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Plan Plan   `json:"plan"`
}

// Me returns who the client's key is. Any valid key may ask, whatever its
// member's role and its organization's plan, so the answer can say why a key
// may not manage keys; a key that is not valid is ErrUnauthenticated.
func (c *Client) Me(ctx context.Context) (*Identity, error) {
	var id Identity
	if err := c.do(ctx, request{method: http.MethodGet, url: c.endpoint("me")}, &id); err != nil {
		return nil, err
	}
	return &id, nil
}

// validate refuses an identity that lacks what a caller decides on: the
// key, and the role and plan with the IDs they belong to. Names are for
// display only and may be empty.
func (id *Identity) validate() error {
	if id.APIKey == nil {
		return errors.New("the identity lacks api_key")
	}
	if err := id.APIKey.validate(); err != nil {
		return fmt.Errorf("the identity's api_key: %w", err)
	}
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"member.id", id.Member.ID},
		{"member.role", string(id.Member.Role)},
		{"organization.id", id.Organization.ID},
		{"organization.plan", string(id.Organization.Plan)},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the identity lacks %s", strings.Join(missing, ", "))
	}
	return nil
}
