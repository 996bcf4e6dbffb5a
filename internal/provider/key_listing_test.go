package provider

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

const (
	listRoute = "GET /v1/api-keys"
	readRoute = "GET /v1/api-keys/{id}"
)

// createKeys creates n keys through the API and returns them oldest first.
func createKeys(t *testing.T, e *testAccEnv, n int) []*astral.APIKey {
	t.Helper()
	keys := make([]*astral.APIKey, n)
	for i := range keys {
		keys[i] = e.CreateKey(t, fmt.Sprintf(testKeyPrefix+"key %d", i), nil)
	}
	return keys
}

// readAll reads ids through data, sequentially, and returns the keys by id.
func readAll(t *testing.T, data *providerData, ids []string) map[string]*astral.APIKey {
	t.Helper()
	got := make(map[string]*astral.APIKey, len(ids))
	for _, id := range ids {
		key, err := data.readAPIKey(t.Context(), data.client, id)
		if err != nil {
			t.Fatalf("readAPIKey(%s): %v", id, err)
		}
		got[id] = key
	}
	return got
}

// checkKeys compares what the reads returned with a read of each key on its
// own, made after the requests were counted.
func checkKeys(t *testing.T, e *testAccEnv, got map[string]*astral.APIKey) {
	t.Helper()
	for id, key := range got {
		want, err := e.Client.APIKeys.Read(t.Context(), id)
		if err != nil {
			t.Fatalf("read %s: %v", id, err)
		}
		if key.ID != want.ID || key.Name != want.Name || key.Status != want.Status ||
			!equalTime(key.ExpiresAt, want.ExpiresAt) || !equalTime(key.RevokedAt, want.RevokedAt) {
			t.Errorf("key %s = %+v, want %+v", id, key, want)
		}
	}
}

func equalTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

func ids(keys []*astral.APIKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.ID
	}
	return out
}

func TestReadAPIKeyRequests(t *testing.T) {
	t.Parallel()
	e := newTestAccEnv(t)
	// With the members' three keys, 150 keys are two pages of 100.
	keys := createKeys(t, e, 150)
	tests := []struct {
		name      string
		read      []string
		wantReads int
		wantLists int
	}{
		// The first read of a process pays for no listing.
		{name: "one key", read: ids(keys[:1]), wantReads: 1},
		// The second read starts the listing: its key is on the first page.
		{name: "two keys", read: ids(keys[:2]), wantReads: 1, wantLists: 1},
		{name: "first page", read: ids(keys[:97]), wantReads: 1, wantLists: 1},
		{name: "every key", read: ids(keys), wantReads: 1, wantLists: 2},
		// Reads do not pay for pages they do not need; the last read's key
		// is on the second page, which two reads can pay for.
		{name: "last key third", read: []string{keys[0].ID, keys[1].ID, keys[149].ID}, wantReads: 1, wantLists: 2},
		// Only one page is paid for when the last key is read second: it is
		// then read on its own.
		{name: "last key second", read: []string{keys[0].ID, keys[149].ID}, wantReads: 2, wantLists: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Server.ResetStats()
			data := &providerData{client: e.Client, machineNow: e.Server.Now}
			got := readAll(t, data, tt.read)
			st := e.Server.Stats()
			if st.Requests[readRoute] != tt.wantReads || st.Requests[listRoute] != tt.wantLists {
				t.Errorf("%d reads cost %d reads and %d lists, want %d and %d",
					len(tt.read), st.Requests[readRoute], st.Requests[listRoute], tt.wantReads, tt.wantLists)
			}
			checkKeys(t, e, got)
		})
	}
}

func TestReadAPIKeyConcurrent(t *testing.T) {
	t.Parallel()
	e := newTestAccEnv(t)
	keys := createKeys(t, e, 300)
	e.Server.ResetStats()
	data := &providerData{client: e.Client, machineNow: e.Server.Now}

	// Ten at a time, as Terraform refreshes by default.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		got  = map[string]*astral.APIKey{}
		work = make(chan string)
	)
	for range 10 {
		wg.Go(func() {
			for id := range work {
				key, err := data.readAPIKey(t.Context(), data.client, id)
				if err != nil {
					t.Errorf("readAPIKey(%s): %v", id, err)
					continue
				}
				mu.Lock()
				got[id] = key
				mu.Unlock()
			}
		})
	}
	for _, id := range ids(keys) {
		work <- id
	}
	close(work)
	wg.Wait()

	st := e.Server.Stats()
	// 303 active keys are four pages; a read whose page the budget did not
	// yet allow reads its key on its own.
	lists, reads := st.Requests[listRoute], st.Requests[readRoute]
	t.Logf("300 concurrent reads: %d lists, %d reads", lists, reads)
	if lists != 4 || lists+reads > 4+20 {
		t.Errorf("300 reads cost %d lists and %d reads, want 4 lists and at most 20 reads", lists, reads)
	}
	checkKeys(t, e, got)
}

func TestReadAPIKeyStatus(t *testing.T) {
	t.Parallel()
	e := newTestAccEnv(t)
	keys := createKeys(t, e, 5)
	expiresAt := e.Server.Now().Add(time.Hour)
	expiring := e.CreateKey(t, testKeyPrefix+"expiring", &expiresAt)
	e.RevokeKey(t, keys[2].ID)
	e.Server.AdvanceClock(2 * time.Hour)

	e.Server.ResetStats()
	data := &providerData{client: e.Client, machineNow: e.Server.Now}
	got := readAll(t, data, append(ids(keys), expiring.ID))
	st := e.Server.Stats()

	if s := got[keys[2].ID].Status; s != astral.APIKeyStatusRevoked {
		t.Errorf("key revoked before the reads: status %q, want revoked", s)
	}
	if s := got[expiring.ID].Status; s != astral.APIKeyStatusExpired {
		t.Errorf("expired key: status %q, want expired", s)
	}
	// The first read, and the two keys the listing of active keys leaves out.
	if st.Requests[readRoute] != 3 || st.Requests[listRoute] != 1 {
		t.Errorf("6 reads cost %d reads and %d lists, want 3 and 1", st.Requests[readRoute], st.Requests[listRoute])
	}
	checkKeys(t, e, got)
}

func TestReadAPIKeyChangedHere(t *testing.T) {
	t.Parallel()
	e := newTestAccEnv(t)
	keys := createKeys(t, e, 3)
	data := &providerData{client: e.Client, machineNow: e.Server.Now}
	readAll(t, data, ids(keys[:2])) // the listing now holds every key

	if _, err := e.Client.APIKeys.Revoke(t.Context(), keys[2].ID); err != nil {
		t.Fatal(err)
	}
	data.keyChanged(keys[2].ID)
	got := readAll(t, data, ids(keys[2:]))
	if s := got[keys[2].ID].Status; s != astral.APIKeyStatusRevoked {
		t.Errorf("key revoked by this process after the listing: status %q, want revoked", s)
	}
}

// failLists answers every list request with a 503 before it reaches the
// sandbox; other requests go through.
type failLists struct{}

func (failLists) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.TrimSuffix(r.URL.Path, "/") == "/v1/api-keys" {
		return &http.Response{
			StatusCode: http.StatusServiceUnavailable,
			Header:     http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(
				`{"error":{"code":"unavailable","message":"listing is down","request_id":"req_01JD3X8Z6W4Q9T2B7N5M1K0C3R"}}`)),
			Request: r,
		}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestReadAPIKeyListingError(t *testing.T) {
	t.Parallel()
	e := newTestAccEnv(t)
	keys := createKeys(t, e, 4)
	client, err := astral.NewClient(astral.Config{
		Endpoint: e.URL, APIKey: e.HeadCoachKey, MaxRetries: new(0),
		HTTPClient: &http.Client{Transport: failLists{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Server.ResetStats()
	data := &providerData{client: client, machineNow: e.Server.Now}
	got := readAll(t, data, ids(keys))
	if n := e.Server.Stats().Requests[readRoute]; n != len(keys) {
		t.Errorf("after a failed listing, %d keys cost %d reads, want one each", len(keys), n)
	}
	checkKeys(t, e, got)
}

func TestAccRefreshSharesListing(t *testing.T) {
	skipInCLIMatrix(t)
	e := newTestAccEnv(t)
	const n = 40
	config := e.Config(fmt.Sprintf(`
resource "astral_api_key" "bulk" {
  count = %d
  name  = "%sbulk ${count.index}"
}
`, n, testKeyPrefix))
	resource.ParallelTest(t, e.TestCase(t,
		resource.TestStep{Config: config},
		resource.TestStep{
			PreConfig: e.Server.ResetStats,
			Config:    config,
			PlanOnly:  true,
		},
		resource.TestStep{
			PreConfig: func() {
				st := e.Server.Stats()
				// Reading each key would be n reads per refresh.
				if reads, lists := st.Requests[readRoute], st.Requests[listRoute]; reads+lists >= n/2 || lists == 0 {
					t.Errorf("refreshing %d keys cost %d reads and %d lists, want a shared listing", n, reads, lists)
				}
				keys, err := e.Client.APIKeys.ListAll(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					if k.Name == testKeyPrefix+"bulk 7" {
						e.RevokeKey(t, k.ID)
					}
				}
			},
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("astral_api_key.bulk[7]", plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction("astral_api_key.bulk[8]", plancheck.ResourceActionNoop),
				},
			},
		},
	))
}
