package astral

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	ID             string       `json:"id"`
	OrganizationID string       `json:"organization_id"` // empty from servers older than 2026-12
	Name           string       `json:"name"`
	Status         APIKeyStatus `json:"status"`
	SecretHint     string       `json:"secret_hint"`
	CreatedAt      time.Time    `json:"created_at"`
	CreatedBy      Member       `json:"created_by"`
	ExpiresAt      *time.Time   `json:"expires_at"`
	RevokedAt      *time.Time   `json:"revoked_at"`
	LastUsedAt     *time.Time   `json:"last_used_at"`

	// Secret is set only on the key returned by Create; the API never shows it again.
	Secret string `json:"secret,omitempty"`
	// Replayed is set by Create when the API answered with the response of
	// an earlier request with the same idempotency key (header
	// Idempotent-Replayed: true): that request had created the key, this
	// one created nothing.
	Replayed bool `json:"-"`
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
	// FindByIdempotencyKey returns the keys that creates with this
	// idempotency key made in the caller's organization, whatever their
	// status and however long ago, newest first, without their secrets:
	// one key, unless several calling keys (or one, days apart) used the
	// same idempotency key. A create that made no key (it never arrived, or
	// failed) is ErrNotFound.
	FindByIdempotencyKey(ctx context.Context, idempotencyKey string) ([]*APIKey, error)
}

var _ APIKeys = (*apiKeys)(nil)

// pageSize is the page size of All: the largest the API allows, so that a
// listing costs as few requests as possible.
const pageSize = 100

type apiKeys struct {
	client *Client
}

type apiKeyCreateRequest struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func (s *apiKeys) Create(ctx context.Context, opts APIKeyCreateOptions) (*APIKey, error) {
	idempotencyKey := opts.IdempotencyKey
	if idempotencyKey == "" {
		idempotencyKey = rand.Text()
	} else if err := validIdempotencyKey(idempotencyKey); err != nil {
		return nil, err
	}
	req := apiKeyCreateRequest{Name: opts.Name}
	if opts.ExpiresAt != nil {
		utc := opts.ExpiresAt.UTC()
		req.ExpiresAt = &utc
	}
	// Marshalled once: every retry sends these same bytes with the same
	// Idempotency-Key, so the API can replay instead of minting a second key.
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("astral: encoding the create request: %w", err)
	}
	var key createdAPIKey
	if err := s.client.do(ctx, request{method: http.MethodPost, url: s.client.endpoint("api-keys"), body: body, idempotencyKey: idempotencyKey}, &key); err != nil {
		return nil, err
	}
	return &key.APIKey, nil
}

func (s *apiKeys) Read(ctx context.Context, id string) (*APIKey, error) {
	return s.one(ctx, http.MethodGet, id)
}

func (s *apiKeys) Revoke(ctx context.Context, id string) (*APIKey, error) {
	return s.one(ctx, http.MethodDelete, id)
}

func (s *apiKeys) one(ctx context.Context, method, id string) (*APIKey, error) {
	if err := ValidateKeyID(id); err != nil {
		return nil, err
	}
	var key APIKey
	if err := s.client.do(ctx, request{method: method, url: s.client.endpoint("api-keys", id)}, &key); err != nil {
		return nil, err
	}
	return &key, nil
}

func (s *apiKeys) List(ctx context.Context, opts *APIKeyListOptions) (*APIKeyList, error) {
	u := s.client.endpoint("api-keys")
	if opts != nil {
		q := u.Query()
		if opts.Limit != 0 {
			q.Set("limit", strconv.Itoa(opts.Limit))
		}
		if opts.Cursor != "" {
			q.Set("cursor", opts.Cursor)
		}
		u.RawQuery = q.Encode()
	}
	var page apiKeyPage
	if err := s.client.do(ctx, request{method: http.MethodGet, url: u}, &page); err != nil {
		return nil, err
	}
	list := &APIKeyList{Items: page.Data}
	if page.NextCursor != nil {
		list.NextCursor = *page.NextCursor
	}
	return list, nil
}

func (s *apiKeys) All(ctx context.Context) iter.Seq2[*APIKey, error] {
	return func(yield func(*APIKey, error) bool) {
		opts := APIKeyListOptions{Limit: pageSize}
		seen := make(map[string]bool)
		for {
			page, err := s.List(ctx, &opts)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, key := range page.Items {
				if !yield(key, nil) {
					return
				}
			}
			if page.NextCursor == "" {
				return
			}
			// A server that hands back a cursor twice would loop forever.
			if seen[page.NextCursor] {
				yield(nil, fmt.Errorf("astral: listing API keys: the API returned the same cursor twice (after %d pages); stopping", len(seen)+1))
				return
			}
			seen[page.NextCursor] = true
			opts.Cursor = page.NextCursor
		}
	}
}

func (s *apiKeys) FindByIdempotencyKey(ctx context.Context, idempotencyKey string) ([]*APIKey, error) {
	if err := validIdempotencyKey(idempotencyKey); err != nil {
		return nil, err
	}
	u := s.client.endpoint("api-keys")
	u.RawQuery = url.Values{"idempotency_key": {idempotencyKey}}.Encode()
	var found foundAPIKeys
	if err := s.client.do(ctx, request{method: http.MethodGet, url: u}, &found); err != nil {
		return nil, err
	}
	return found.Data, nil
}

func (s *apiKeys) ListAll(ctx context.Context) ([]*APIKey, error) {
	var keys []*APIKey
	for key, err := range s.All(ctx) {
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// validate refuses a key with a required field missing, so that a caller
// never stores half a key.
func (k *APIKey) validate() error {
	var missing []string
	if k.ID == "" {
		missing = append(missing, "id")
	}
	if k.Name == "" {
		missing = append(missing, "name")
	}
	if k.Status == "" {
		missing = append(missing, "status")
	}
	if k.CreatedAt.IsZero() {
		missing = append(missing, "created_at")
	}
	if len(missing) > 0 {
		return fmt.Errorf("the API key object lacks %s", strings.Join(missing, ", "))
	}
	return nil
}

// createdAPIKey is the create response: a key that must carry its secret,
// since the API never shows it again.
type createdAPIKey struct {
	APIKey
}

func (k *createdAPIKey) validate() error {
	if err := k.APIKey.validate(); err != nil {
		return err
	}
	if k.Secret == "" {
		return errors.New("the created API key lacks its secret")
	}
	return nil
}

func (k *createdAPIKey) readHeader(h http.Header) {
	k.Replayed = h.Get("Idempotent-Replayed") == "true"
}

// foundAPIKeys is the answer to a search by idempotency key: one page,
// never empty (no key is a 404).
type foundAPIKeys struct {
	apiKeyPage
}

func (p *foundAPIKeys) validate() error {
	if err := p.apiKeyPage.validate(); err != nil {
		return err
	}
	if len(p.Data) == 0 {
		return errors.New("the search by idempotency key returned no key instead of not_found")
	}
	return nil
}

type apiKeyPage struct {
	Data       []*APIKey `json:"data"`
	NextCursor *string   `json:"next_cursor"`
}

func (p *apiKeyPage) validate() error {
	if p.Data == nil {
		return errors.New("the page lacks data")
	}
	for i, key := range p.Data {
		if key == nil {
			return fmt.Errorf("item %d of the page is null", i)
		}
		if err := key.validate(); err != nil {
			return fmt.Errorf("item %d of the page: %w", i, err)
		}
	}
	return nil
}
