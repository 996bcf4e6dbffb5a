package provider

import (
	"context"
	"sync"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// maxListingPages bounds the listing of one provider process: beyond it
// (10,000 active keys) reads go back to one request per key.
const maxListingPages = 100

// keyListing lets the reads of one provider process share one listing of the
// organization's active keys, so that a refresh of many keys costs requests
// in proportion to pages rather than keys.
//
// The listing is fetched page by page, on demand, by reads that have not
// found their key yet, and never before the first read arrived, so it is
// never older than the Terraform command. A key absent from it (revoked,
// expired, of another organization, or on a page not fetched) is read on
// its own: the listing holds active keys only, so a key revoked before the
// command started is always read and seen as revoked.
//
// Pages are paid for by reads: a page is fetched only while the listing has
// cost fewer requests than the reads that arrived minus one. The first read
// of a process is therefore always a single read (a command that touches one
// key costs one request), and an organization with many more keys than the
// configuration manages does not cost a listing of all of them.
type keyListing struct {
	// fetch is held by the one read that fetches the next page; the others
	// wait for it and look again (one listing, not one per read).
	fetch sync.Mutex

	mu     sync.Mutex
	reads  int // reads that have arrived
	pages  int // pages fetched
	cursor string
	done   bool // the last page was fetched, or the listing failed or hit its bound
	keys   map[string]*astral.APIKey
	// changed holds the ids this process created or revoked: the listing may
	// predate the change, so they are always read on their own.
	changed map[string]bool
}

// read returns the key from the listing, fetching pages as needed and as the
// budget allows; ok is false when the caller must read the key on its own.
func (l *keyListing) read(ctx context.Context, client *astral.Client, id string) (key *astral.APIKey, ok bool) {
	l.mu.Lock()
	l.reads++
	l.mu.Unlock()
	for {
		if key, ok, more := l.lookup(id); ok || !more {
			return key, ok
		}
		l.fetch.Lock()
		// Another read may have fetched the page this one waited for.
		key, ok, more := l.lookup(id)
		if ok || !more {
			l.fetch.Unlock()
			return key, ok
		}
		l.fetchPage(ctx, client)
		l.fetch.Unlock()
	}
}

// lookup finds id in the pages fetched so far; more reports whether the
// caller may fetch another page to look further.
func (l *keyListing) lookup(id string) (key *astral.APIKey, ok, more bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed[id] {
		return nil, false, false
	}
	if key, ok := l.keys[id]; ok {
		return key, true, false
	}
	return nil, false, !l.done && l.pages < l.reads-1
}

// fetchPage fetches the next page. An error ends the listing: every key not
// found yet is then read on its own, which reports the error if it persists.
func (l *keyListing) fetchPage(ctx context.Context, client *astral.Client) {
	l.mu.Lock()
	opts := astral.APIKeyListOptions{Limit: 100, Cursor: l.cursor}
	l.mu.Unlock()

	page, err := client.APIKeys.List(ctx, &opts)

	l.mu.Lock()
	defer l.mu.Unlock()
	l.pages++
	if err != nil {
		tflog.Warn(ctx, "Listing of keys for the refresh failed: reading the rest one by one", map[string]any{"page": l.pages, "error": err.Error()})
		l.done = true
		return
	}
	if l.keys == nil {
		l.keys = make(map[string]*astral.APIKey, len(page.Items))
	}
	for _, k := range page.Items {
		if !l.changed[k.ID] {
			l.keys[k.ID] = k
		}
	}
	// A repeated cursor would loop; the bound on pages ends that too.
	l.done = page.NextCursor == "" || page.NextCursor == l.cursor || l.pages >= maxListingPages
	l.cursor = page.NextCursor
	tflog.Debug(ctx, "Fetched a page of keys for the refresh", map[string]any{"page": l.pages, "keys": len(page.Items), "last": l.done})
}

// forget makes the listing answer nothing for id from now on.
func (l *keyListing) forget(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed == nil {
		l.changed = map[string]bool{}
	}
	l.changed[id] = true
	delete(l.keys, id)
}
