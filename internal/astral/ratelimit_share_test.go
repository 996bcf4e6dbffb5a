package astral

import (
	"math"
	"net/http"
	"testing"
	"time"
)

// TestFleetShare drives the share's decisions one answer at a time, under
// a policy of 10 requests per second in bursts of 10: the bucket refills
// in a second.
func TestFleetShare(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	p := RateLimitPolicy{Burst: 10, Rate: 10}
	// others is the state of a client that has seen others draw 5
	// requests per second until 4.9 s, and takes 40 % of the rate.
	others := func() fleetShare {
		return fleetShare{frac: 0.4, others: 5, sampled: true, last: t0.Add(4900 * time.Millisecond), crowded: t0.Add(4900 * time.Millisecond)}
	}
	tests := []struct {
		name       string
		state      fleetShare
		sig        bucketSignal
		want       float64
		wantChange bool
		wantOthers bool
	}{
		{
			name:  "alone, a count as the mirror predicts keeps the whole rate",
			state: fleetShare{frac: 1, last: t0},
			sig:   bucketSignal{at: t0.Add(time.Second), remaining: 3, took: 0.5},
			want:  1,
		},
		{
			name:  "the answer to a request in flight with others tells nothing",
			state: fleetShare{frac: 1, last: t0},
			sig:   bucketSignal{at: t0.Add(time.Second), remaining: 0, took: 9, overlapped: true},
			want:  1,
		},
		{
			name:  "the first sign of others takes the share to its target at once",
			state: fleetShare{frac: 1, last: t0},
			// 5 requests in half a second: others draw 10 per second, the
			// whole rate, and leave nothing.
			sig:        bucketSignal{at: t0.Add(500 * time.Millisecond), remaining: 0, took: 5},
			want:       minShare,
			wantChange: true, wantOthers: true,
		},
		{
			name:  "a first sign of others drawing half the rate",
			state: fleetShare{frac: 1, last: t0},
			sig:   bucketSignal{at: t0.Add(time.Second), remaining: 2, took: 5},
			// 0.8 × (1 − 5/10)
			want:       0.4,
			wantChange: true, wantOthers: true,
		},
		{
			name: "then the share follows its target by part of the way",
			state: func() fleetShare {
				s := others()
				s.frac = 0.6
				return s
			}(),
			// Others still draw 5 per second: the target stays 0.4.
			sig:        bucketSignal{at: t0.Add(5 * time.Second), remaining: 2, took: 0.5},
			want:       0.6 + shareGain*(0.4-0.6),
			wantChange: true,
		},
		{
			name:       "a 429 cuts the share at once",
			state:      others(),
			sig:        bucketSignal{at: t0.Add(5 * time.Second), remaining: 0, refused: true, took: 0.5},
			want:       0.4 * shareCut429,
			wantChange: true,
		},
		{
			name: "a 429 within half a refill of the last cut does not cut again",
			state: func() fleetShare {
				s := others()
				s.cut = t0.Add(4600 * time.Millisecond)
				return s
			}(),
			sig:  bucketSignal{at: t0.Add(5 * time.Second), remaining: 0, refused: true},
			want: 0.4,
		},
		{
			name: "no other draw for three refills over two answers: the whole rate back",
			state: fleetShare{frac: 0.2, others: 0.01, sampled: true, last: t0.Add(3 * time.Second),
				crowded: t0.Add(time.Second), quiet: 1},
			sig:        bucketSignal{at: t0.Add(4100 * time.Millisecond), remaining: 8, took: 0},
			want:       1,
			wantChange: true,
		},
		{
			name: "others that draw little: one quiet answer raises the share towards its target",
			state: fleetShare{frac: 0.2, others: 0.01, sampled: true, last: t0.Add(3 * time.Second),
				crowded: t0.Add(time.Second)},
			sig:        bucketSignal{at: t0.Add(4100 * time.Millisecond), remaining: 8, took: 0},
			want:       0.2 + shareGain*(shareOfRest-0.2),
			wantChange: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.state
			tt.sig.policy = p
			ch, othersDrew := s.learn(tt.sig)
			if d := s.frac - tt.want; d > 0.01 || d < -0.01 {
				t.Errorf("share %.4f, want %.4f", s.frac, tt.want)
			}
			if (ch != nil) != tt.wantChange {
				t.Errorf("change %+v, want one: %v", ch, tt.wantChange)
			}
			if othersDrew != tt.wantOthers {
				t.Errorf("others drew: %v, want %v", othersDrew, tt.wantOthers)
			}
		})
	}
}

// TestFleetShareSettles has K clients answered in turn, as if they shared
// a bucket at their shares: from the whole rate each, they settle on
// equal shares that together leave a little of the rate unused.
func TestFleetShareSettles(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	p := RateLimitPolicy{Burst: 10, Rate: 10}
	for _, k := range []int{2, 6} {
		clients := make([]fleetShare, k)
		// unseen is, per client, what the others took that the API's
		// whole counts have yet to show it.
		unseen := make([]float64, k)
		for i := range clients {
			clients[i].start(t0, false)
		}
		at := t0
		for range 300 {
			at = at.Add(time.Second)
			for i := range clients {
				for j := range clients {
					if j != i {
						// In a second, the others take their shares of the rate.
						unseen[i] += clients[j].frac * p.Rate * paceFactor
					}
				}
				took := math.Floor(unseen[i])
				unseen[i] -= took
				clients[i].learn(bucketSignal{at: at, policy: p, remaining: 5, took: took})
			}
		}
		var sum float64
		for i, c := range clients {
			sum += c.frac
			if want := shareOfRest / (1 + shareOfRest*float64(k-1)); c.frac < want*0.9 || c.frac > want*1.1 {
				t.Errorf("%d clients: client %d takes %.3f of the rate, want %.3f", k, i, c.frac, want)
			}
		}
		if sum > 1 {
			t.Errorf("%d clients take %.3f of the rate in all, want less than the whole", k, sum)
		}
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
// on the bucket: requests leave one at a time, at the share's interval.
func TestRateGateShares(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	var g rateGate
	g.observe(answerAt(t0, http.StatusOK, limitHeaders("10;w=1;rate=10", "9")), 0)
	if w, _, _ := g.reserve(t0, time.Hour); w != 0 {
		t.Fatalf("the first request waits %s, want none", w)
	}
	g.sending(t0)
	// Half a second later the mirror expects 8 + 5 requests, at most the
	// burst; the API counts 7. Others drew 3, 6 per second.
	at := t0.Add(500 * time.Millisecond)
	g.observe(answerAt(at, http.StatusOK, limitHeaders("10;w=1;rate=10", "7")), 0)
	share := g.currentShare()
	if want := shareOfRest * (1 - 6.0/10); share < want-1e-9 || share > want+1e-9 {
		t.Fatalf("share %v, want %v", share, want)
	}
	own := time.Duration(float64(g.interval()) / share)
	var waits []time.Duration
	for range 3 {
		w, _, _ := g.reserve(at, time.Hour)
		waits = append(waits, w)
	}
	// The last request left half a second before, more than one share's
	// interval: the next may leave now, then one interval apart.
	first := max(0, t0.Add(own).Sub(at))
	want := []time.Duration{first, first + own, first + 2*own}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("waits %v, want %v", waits, want)
			break
		}
	}
}
