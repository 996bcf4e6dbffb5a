package sandbox

import (
	"strings"
	"testing"
	"time"
)

func TestNewSecret(t *testing.T) {
	counts := map[rune]int{}
	seen := map[string]bool{}
	const n = 2000
	for range n {
		s := newSecret()
		if !wellFormedSecret(s) {
			t.Fatalf("malformed secret %q", s)
		}
		if seen[s] {
			t.Fatal("a secret repeated")
		}
		seen[s] = true
		for _, r := range s[len(secretPrefix):] {
			counts[r]++
		}
	}
	// Each of the 62 characters is expected n*32/62 ≈ 1032 times, with a
	// standard deviation near 32; a modulo bias would skew the first 8
	// characters by about 20%.
	want := float64(n*secretLen) / float64(len(alphanumeric))
	for _, r := range alphanumeric {
		if got := float64(counts[r]); got < want*0.85 || got > want*1.15 {
			t.Errorf("character %q drawn %v times, want about %v", r, got, want)
		}
	}
}

func TestWellFormedSecret(t *testing.T) {
	valid := "astral_live_" + strings.Repeat("aZ9", 10) + "xy"
	for s, want := range map[string]bool{
		valid:                         true,
		valid[:len(valid)-1]:          false,
		valid + "a":                   false,
		"astral_test_" + valid[12:]:   false,
		valid[:20] + "-" + valid[21:]: false,
		valid[:20] + "é" + valid[22:]: false,
		"":                            false,
	} {
		if got := wellFormedSecret(s); got != want {
			t.Errorf("wellFormedSecret(%q) = %v", s, got)
		}
	}
}

func TestNewIDOrdersByCreation(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	prev := newID("key", now)
	for i := range 1000 {
		at := now
		if i%100 == 0 {
			at = now.Add(time.Duration(i) * time.Millisecond)
		}
		id := newID("key", at)
		if !validKeyID(id) {
			t.Fatalf("invalid id %q", id)
		}
		if id <= prev {
			t.Fatalf("id %s made after %s sorts before it", id, prev)
		}
		prev = id
	}
	for _, bad := range []string{"", "key_", "org_01JD3X8Z6W4Q9T2B7N5M1K0C3R", "key_01JD3X8Z6W4Q9T2B7N5M1K0C3", "key_81JD3X8Z6W4Q9T2B7N5M1K0C3R",
		"key_01JD3X8Z6W4Q9T2B7N5M1K0C3U", "key_01jd3x8z6w4q9t2b7n5m1k0c3r"} {
		if validKeyID(bad) {
			t.Errorf("validKeyID(%q)", bad)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	s := &Server{cursorKey: []byte("0123456789abcdef0123456789abcdef")}
	p := position{createdAt: 1795599000, id: "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"}
	c := s.encodeCursor("org_A", p)
	if got, ok := s.decodeCursor("org_A", c); !ok || got != p {
		t.Fatalf("decodeCursor(encodeCursor(%v)) = %v, %v", p, got, ok)
	}
	if _, ok := s.decodeCursor("org_B", c); ok {
		t.Error("another organization's cursor accepted")
	}
	if _, ok := s.decodeCursor("org_A", c[:len(c)-2]); ok {
		t.Error("truncated cursor accepted")
	}
	other := &Server{cursorKey: []byte("another key, another database...")}
	if _, ok := other.decodeCursor("org_A", c); ok {
		t.Error("cursor of another database accepted")
	}
}

func TestRateLimiter(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name  string
		rate  float64
		steps []time.Duration // offsets from t0 of successive requests
		want  []int           // 0 allowed, else Retry-After
	}{
		{"no limit", 0, []time.Duration{0, 0, 0}, []int{0, 0, 0}},
		{"burst of the rate", 3, []time.Duration{0, 0, 0, 0}, []int{0, 0, 0, 1}},
		{"fractional rate has a burst of 1", 0.5, []time.Duration{0, 0, time.Second, 2 * time.Second}, []int{0, 2, 1, 0}},
		{"fractional rate above 1 has a burst of its whole part", 2.5, []time.Duration{0, 0, 0, 400 * time.Millisecond}, []int{0, 0, 1, 0}},
		{"refill stops at the burst", 2, []time.Duration{0, 0, time.Hour, time.Hour, time.Hour}, []int{0, 0, 0, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l rateLimiter
			l.setRate(tt.rate)
			for i, d := range tt.steps {
				var got int
				if q := l.take("key", t0.Add(d)); q != nil {
					got = q.retryAfter
				}
				if got != tt.want[i] {
					t.Fatalf("request %d at +%v: %d, want %d", i, d, got, tt.want[i])
				}
			}
		})
	}
}

func TestQuota(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	type step struct {
		at   time.Duration
		peek bool
		want quota
	}
	tests := []struct {
		name  string
		rate  float64
		steps []step
	}{
		{"a fresh bucket spends its first token", 2, []step{
			{0, false, quota{burst: 2, rate: 2, remaining: 1, reset: 1}},
		}},
		{"an empty bucket refuses and says when it is full", 2, []step{
			{0, false, quota{burst: 2, rate: 2, remaining: 1, reset: 1}},
			{0, false, quota{burst: 2, rate: 2, remaining: 0, reset: 1}},
			{0, false, quota{burst: 2, rate: 2, remaining: 0, reset: 1, retryAfter: 1}},
		}},
		{"a peek spends nothing", 2, []step{
			{0, true, quota{burst: 2, rate: 2, remaining: 2, reset: 0}},
			{0, false, quota{burst: 2, rate: 2, remaining: 1, reset: 1}},
			{0, true, quota{burst: 2, rate: 2, remaining: 1, reset: 1}},
		}},
		{"remaining counts whole requests, reset rounds up", 4, []step{
			{0, false, quota{burst: 4, rate: 4, remaining: 3, reset: 1}},
			{0, false, quota{burst: 4, rate: 4, remaining: 2, reset: 1}},
			{0, false, quota{burst: 4, rate: 4, remaining: 1, reset: 1}},
			{0, false, quota{burst: 4, rate: 4, remaining: 0, reset: 1}},
			{100 * time.Millisecond, true, quota{burst: 4, rate: 4, remaining: 0, reset: 1}},
			{250 * time.Millisecond, true, quota{burst: 4, rate: 4, remaining: 1, reset: 1}},
			{time.Second, true, quota{burst: 4, rate: 4, remaining: 4, reset: 0}},
		}},
		{"a slow rate resets in many seconds", 0.25, []step{
			{0, false, quota{burst: 1, rate: 0.25, remaining: 0, reset: 4}},
			{time.Second, false, quota{burst: 1, rate: 0.25, remaining: 0, reset: 3, retryAfter: 3}},
			{4 * time.Second, false, quota{burst: 1, rate: 0.25, remaining: 0, reset: 4}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l rateLimiter
			l.setRate(tt.rate)
			for i, s := range tt.steps {
				spend := l.take
				if s.peek {
					spend = l.peek
				}
				q := spend("key", t0.Add(s.at))
				if *q != s.want {
					t.Fatalf("step %d at +%v: %+v, want %+v", i, s.at, *q, s.want)
				}
			}
		})
	}
}

func TestDecodeObject(t *testing.T) {
	var name *string
	var n *int64
	tests := []struct {
		body  string
		param string
		ok    bool
	}{
		{`{"name":"a","n":1}`, "", true},
		{` { } `, "", true},
		{`{"n":"1"}`, "n", false},
		{`{"n":1e2}`, "n", false},
		{`{"name":{}}`, "name", false},
		{`{"other":1}`, "other", false},
		{`{"name":"a",}`, "", false},
		{`{"name":"a"}{"name":"b"}`, "", false},
		{`"name"`, "", false},
		{`{"name":"a"`, "", false},
	}
	for _, tt := range tests {
		e := decodeObject([]byte(tt.body), map[string]any{"name": &name, "n": &n})
		if (e == nil) != tt.ok || (e != nil && e.param != tt.param) {
			t.Errorf("decodeObject(%s) = %+v, want ok %v param %q", tt.body, e, tt.ok, tt.param)
		}
	}
}

func TestSurrogatesPaired(t *testing.T) {
	for raw, want := range map[string]bool{
		`"plain"`:                true,
		`"\ud83d\ude80"`:         true,
		`"\uD83D\uDE80"`:         true,
		`"\ud800"`:               false,
		`"\udc00"`:               false,
		`"\ud800\ud800"`:         false,
		`"\ud800x"`:              false,
		`"\ud800\n"`:             false,
		`"\\ud800"`:              true,
		`"\\\ud800"`:             false,
		`"\"\ud83d\ude80\""`:     true,
		`{"a":["\u0041\udbff"]}`: false,
		`"\u00e9\u20ac"`:         true,
	} {
		if got := surrogatesPaired([]byte(raw)); got != want {
			t.Errorf("surrogatesPaired(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestVisible(t *testing.T) {
	for r, want := range map[rune]bool{
		'a': true, 'é': true, '7': true, '-': true, '★': true, '🚀': true, '\ue000': true, '中': true,
		' ': false, '\u00a0': false, '\u200b': false, '\u200d': false, '\ufeff': false, '\u2060': false,
		'\u0301': false, '\u20dd': false, '\ufe0f': false, '\u3164': false, '\u115f': false, '\u2800': false,
		'\u00ad': false, '\U000e0041': false, '\u0378': false,
	} {
		if got := visible(r); got != want {
			t.Errorf("visible(%U) = %v, want %v", r, got, want)
		}
	}
}
