package astral

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// recordedPage renders page n (from 0) of a listing of pages×100 keys as
// the API would send it.
func recordedPage(n, pages int) []byte {
	var b strings.Builder
	b.WriteString(`{"data":[`)
	created := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	for i := range pageSize {
		if i > 0 {
			b.WriteByte(',')
		}
		seq := n*pageSize + i
		fmt.Fprintf(&b, `{"id":"key_01JD3X8Z6W4Q9T2B7N5M%06d","name":"Roster sync script %d","status":"active",`+
			`"secret_hint":"x7Qa","created_at":%q,"created_by":{"id":"mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S","name":"Dana Ortiz"},`+
			`"expires_at":"2027-02-23T00:00:00Z","revoked_at":null,"last_used_at":"2026-11-26T10:00:00Z"}`,
			seq, seq, created.Add(time.Duration(seq)*time.Second).Format(time.RFC3339))
	}
	if n+1 < pages {
		fmt.Fprintf(&b, `],"next_cursor":"c%d"}`, n+1)
	} else {
		b.WriteString(`],"next_cursor":null}`)
	}
	return []byte(b.String())
}

// BenchmarkDecodePage measures decoding and checking one full page of 100
// keys, the unit of every listing.
func BenchmarkDecodePage(b *testing.B) {
	body := recordedPage(0, 1)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var page apiKeyPage
		if err := json.Unmarshal(body, &page); err != nil {
			b.Fatal(err)
		}
		if err := page.validate(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pageSize), "ns/key")
}

// BenchmarkListAllRecorded measures the client alone listing 10,000 keys:
// 100 requests over a loopback connection to a server that only replays
// recorded pages.
func BenchmarkListAllRecorded(b *testing.B) {
	const pages = 100
	bodies := map[string][]byte{}
	for n := range pages {
		cursor := ""
		if n > 0 {
			cursor = fmt.Sprintf("c%d", n)
		}
		bodies[cursor] = recordedPage(n, pages)
	}
	srvClient, _ := newTestClient(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if _, err := w.Write(bodies[r.URL.Query().Get("cursor")]); err != nil {
			b.Error(err)
		}
	}))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		keys, err := srvClient.APIKeys.ListAll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(keys) != pages*pageSize {
			b.Fatalf("listed %d keys, want %d", len(keys), pages*pageSize)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pages*pageSize), "ns/key")
}
