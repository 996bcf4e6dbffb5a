package astral

import (
	"net/http"
	"testing"
	"time"
)

// TestFleetShare drives the share's decisions one answer at a time, under
// a policy of 10 requests per second in bursts of 10: a round is then one
// second, the time the bucket takes to refill, and a bucket of 2 or fewer
// is nearly empty.
func TestFleetShare(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	p := RateLimitPolicy{Burst: 10, Rate: 10}
	tests := []struct {
		name string
		// share is the share before the answer, changed when it last
		// changed, crowded when others last drew (zero for never).
		share            float64
		changed, crowded time.Duration
		// at is the answer's time; predicted, the mirror's count.
		at                   time.Duration
		remaining            int
		predicted            float64
		refused              bool
		want                 float64
		wantChange, wantSeen bool
	}{
		{name: "a count as the mirror predicts keeps the whole rate", share: 1, at: 5 * time.Second, remaining: 3, predicted: 3, want: 1},
		{name: "a count less than a request under the prediction is rounding", share: 1, at: 5 * time.Second, remaining: 2, predicted: 2.9, want: 1},
		{name: "others draw on a nearly empty bucket: a cut", share: 1, at: 5 * time.Second, remaining: 2, predicted: 6, want: shareCut, wantChange: true, wantSeen: true},
		{name: "others draw on a bucket with requests to spare: no cut", share: 1, at: 5 * time.Second, remaining: 5, predicted: 9, want: 1, wantSeen: true},
		{name: "a cut waits a round after the last change", share: 0.5, changed: 4500 * time.Millisecond, at: 5 * time.Second, remaining: 0, predicted: 3, want: 0.5, wantSeen: true},
		{name: "a 429 halves the share", share: 0.8, at: 5 * time.Second, remaining: 0, predicted: 0, refused: true, want: 0.4, wantChange: true},
		{name: "a 429 waits half a round", share: 0.8, changed: 4800 * time.Millisecond, at: 5 * time.Second, refused: true, want: 0.8},
		{name: "no cut below the least share", share: minShare, at: 5 * time.Second, refused: true, want: minShare},
		{name: "requests to spare while others draw: a step up", share: 0.5, crowded: 4 * time.Second, at: 5 * time.Second, remaining: 5, predicted: 5, want: 0.5 + shareStep, wantChange: true},
		{name: "requests to spare and no other for four rounds: doubled", share: 0.3, crowded: time.Second, at: 5 * time.Second, remaining: 5, predicted: 5, want: 0.6, wantChange: true},
		{name: "a nearly empty bucket with no other: no change", share: 0.5, crowded: time.Second, at: 5 * time.Second, remaining: 1, predicted: 1, want: 0.5},
		{name: "never above the whole rate", share: 0.9, at: 9 * time.Second, remaining: 9, predicted: 9, want: 1, wantChange: true},
		// At a share of 10 %, requests leave a second apart at most: a
		// round is then a second, as long as the refill.
		{name: "a round is at least the time between two requests at the share", share: 0.05, crowded: 4 * time.Second, changed: 3 * time.Second, at: 4500 * time.Millisecond, remaining: 5, predicted: 5, want: 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fleetShare{frac: tt.share, changed: t0.Add(tt.changed)}
			if tt.crowded > 0 {
				s.crowded = t0.Add(tt.crowded)
			}
			ch := s.learn(bucketSignal{at: t0.Add(tt.at), policy: p, remaining: tt.remaining, predicted: tt.predicted, refused: tt.refused})
			if s.frac != tt.want {
				t.Errorf("share %v, want %v", s.frac, tt.want)
			}
			if (ch != nil) != tt.wantChange {
				t.Errorf("change %+v, want one: %v", ch, tt.wantChange)
			}
			if seen := s.crowded.Equal(t0.Add(tt.at)); seen != tt.wantSeen {
				t.Errorf("others seen at the answer: %v, want %v", seen, tt.wantSeen)
			}
		})
	}
}

// TestBucketMirror follows a bucket of 4 at 2 per second.
func TestBucketMirror(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	p := RateLimitPolicy{Burst: 4, Rate: 2}
	var m bucketMirror
	m.set(t0, p, 4)
	for range 3 {
		m.take(t0, p)
	}
	steps := []struct {
		name string
		at   time.Duration
		do   func(at time.Time)
		want float64
	}{
		{"three requests leave one of four", 0, nil, 1},
		{"half a second refills one", 500 * time.Millisecond, nil, 2},
		{"a higher count is left alone: it misses requests on their way", 500 * time.Millisecond, func(at time.Time) { m.lower(at, p, 3) }, 2},
		{"a lower count is taken in", 500 * time.Millisecond, func(at time.Time) { m.lower(at, p, 0) }, 0},
		{"a request on an empty bucket counts as a debt", 500 * time.Millisecond, func(at time.Time) { m.take(at, p) }, 0},
		{"the debt is paid before the bucket refills", 1500 * time.Millisecond, nil, 1},
		{"the bucket holds no more than its burst", time.Minute, nil, 4},
	}
	for _, s := range steps {
		at := t0.Add(s.at)
		if s.do != nil {
			s.do(at)
		}
		if got := m.tokens(at, p); got != s.want {
			t.Errorf("%s: %v requests, want %v", s.name, got, s.want)
		}
	}
}

// TestRateGateShares shows the gate's schedule once another client draws
// on the bucket: the cut spaces the requests that wait at the share's
// interval, from the client's last request.
func TestRateGateShares(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	var g rateGate
	g.observe(answerAt(t0, http.StatusOK, limitHeaders("10;w=1;rate=10", "9")), 0)
	if w, _, _ := g.reserve(t0, time.Hour); w != 0 {
		t.Fatalf("the first request waits %s, want none", w)
	}
	g.sending(t0)
	// A second later the mirror expects a full bucket, less nothing: the
	// API counts 1. Others drew 9.
	at := t0.Add(time.Second)
	g.observe(answerAt(at, http.StatusOK, limitHeaders("10;w=1;rate=10", "1")), 0)
	if got := g.currentShare(); got != shareCut {
		t.Fatalf("share %v, want %v", got, shareCut)
	}
	own := time.Duration(float64(g.interval()) / shareCut)
	var waits []time.Duration
	for range 3 {
		w, _, _ := g.reserve(at, time.Hour)
		waits = append(waits, w)
	}
	// The last request left a second before: the next may leave now,
	// then one share's interval apart.
	want := []time.Duration{0, own, 2 * own}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("waits %v, want %v", waits, want)
			break
		}
	}
}
