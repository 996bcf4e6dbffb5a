package astral

import (
	"context"
	"iter"
	"time"
)

// APIKeyStatus is the lifecycle state of an API key.
type APIKeyStatus string

const (
	APIKeyStatusActive  APIKeyStatus = "active"
	APIKeyStatusExpired APIKeyStatus = "expired"
	APIKeyStatusRevoked APIKeyStatus = "revoked"
)

// APIKey is an organization API key as the API returns it.
type APIKey struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	Status     APIKeyStatus `json:"status"`
	SecretHint string       `json:"secret_hint"`
	CreatedAt  time.Time    `json:"created_at"`
	CreatedBy  Member       `json:"created_by"`
	ExpiresAt  *time.Time   `json:"expires_at"`
	RevokedAt  *time.Time   `json:"revoked_at"`
	LastUsedAt *time.Time   `json:"last_used_at"`

	// Secret is set only on the key returned by Create; the API never shows it again.
	Secret string `json:"secret,omitempty"`
}

// Member is the organization member who created a key.
type Member struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// APIKeyCreateOptions are the arguments of APIKeys.Create.
type APIKeyCreateOptions struct {
	// Name is required: 1 to 100 characters after trimming, no control characters.
	Name string
	// ExpiresAt is optional; nil creates a key that never expires.
	ExpiresAt *time.Time
	// IdempotencyKey is sent as the Idempotency-Key header. When empty, Create
	// generates one; either way every retry of this call reuses it.
	IdempotencyKey string
}

// APIKeyListOptions select one page of APIKeys.List.
type APIKeyListOptions struct {
	// Limit is the page size, 1 to 100; zero lets the API choose (50).
	Limit int
	// Cursor is the NextCursor of the previous page; empty for the first page.
	Cursor string
}

// APIKeyList is one page of active keys.
type APIKeyList struct {
	Items []*APIKey
	// NextCursor is empty on the last page.
	NextCursor string
}

// APIKeys are the operations on an organization's API keys.
type APIKeys interface {
	// Create creates a key. The returned key carries its Secret.
	Create(ctx context.Context, opts APIKeyCreateOptions) (*APIKey, error)
	// Read returns one key of the caller's organization, whatever its status.
	// A key that does not exist (or belongs to another organization) is ErrNotFound.
	Read(ctx context.Context, id string) (*APIKey, error)
	// Revoke revokes a key at once; revoking a revoked key changes nothing.
	Revoke(ctx context.Context, id string) (*APIKey, error)
	// List returns one page of the organization's active keys, oldest first.
	List(ctx context.Context, opts *APIKeyListOptions) (*APIKeyList, error)
	// All follows every cursor and yields each active key once, oldest first.
	All(ctx context.Context) iter.Seq2[*APIKey, error]
	// ListAll collects All into a slice.
	ListAll(ctx context.Context) ([]*APIKey, error)
}
