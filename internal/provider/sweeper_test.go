package provider

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// addSweeper registers the sweeper of the -sweep flag: `go test
// ./internal/provider -sweep=all` (make sweep) revokes the keys that
// interrupted test runs left behind.
func addSweeper() {
	resource.AddTestSweepers("astral_api_key", &resource.Sweeper{
		Name: "astral_api_key",
		// The "region" of -sweep means nothing here: the organization is
		// the one of ASTRAL_API_KEY.
		F: func(string) error {
			cfg := astral.Config{Endpoint: os.Getenv(envEndpoint), APIKey: os.Getenv(envAPIKey)}
			if cfg.APIKey == "" {
				return errors.New("set " + envAPIKey + " (and " + envEndpoint + " unless it is " + astral.DefaultEndpoint + ") to a head coach's key of the organization to sweep")
			}
			client, err := astral.NewClient(cfg)
			if err != nil {
				return err
			}
			revoked, err := sweepAPIKeys(context.Background(), client)
			for _, k := range revoked {
				log.Printf("[INFO] revoked %s (%s)", k.ID, k.Name)
			}
			return err
		},
	})
}

// sweepAPIKeys revokes every active key whose name starts with
// testKeyPrefix and returns those it revoked.
func sweepAPIKeys(ctx context.Context, client *astral.Client) ([]*astral.APIKey, error) {
	keys, err := client.APIKeys.ListAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the organization's keys: %w", err)
	}
	var revoked []*astral.APIKey
	var errs []error
	for _, k := range keys {
		if !strings.HasPrefix(k.Name, testKeyPrefix) {
			continue
		}
		if _, err := client.APIKeys.Revoke(ctx, k.ID); err != nil {
			errs = append(errs, fmt.Errorf("revoking %s: %w", k.ID, err))
			continue
		}
		revoked = append(revoked, k)
	}
	return revoked, errors.Join(errs...)
}

func TestSweepAPIKeys(t *testing.T) {
	t.Parallel()
	env := newTestAccEnv(t)
	left := []string{env.CreateKey(t, testKeyPrefix+"left behind", nil).ID, env.CreateKey(t, testKeyPrefix+"also left", nil).ID}
	kept := env.CreateKey(t, "Roster sync tf-acc-", nil)
	alreadyRevoked := env.CreateKey(t, testKeyPrefix+"revoked", nil)
	env.RevokeKey(t, alreadyRevoked.ID)

	revoked, err := sweepAPIKeys(t.Context(), env.Client)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range revoked {
		ids = append(ids, k.ID)
	}
	slices.Sort(ids)
	slices.Sort(left)
	if !slices.Equal(ids, left) {
		t.Errorf("revoked %v, want %v", ids, left)
	}
	active, err := env.Server.ActiveKeyIDs(t.Context(), env.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The members' three keys and the key whose name only contains the prefix.
	if len(active) != 4 || !slices.Contains(active, kept.ID) {
		t.Errorf("active after the sweep: %v, want the members' keys and %s", active, kept.ID)
	}
}
