package astral

import (
	"strconv"
	"time"
)

// The constants of fleetShare, in parts of the announced rate.
const (
	// shareCut is the cut on the early signal, others drawing on a
	// bucket that is nearly empty: mild, as the signal comes before any
	// refusal.
	shareCut = 0.75
	// shareCut429 is the cut on a 429: the pace was too fast for the key.
	shareCut429 = 0.5
	// shareStep is the additive increase per round while others draw on
	// the bucket: small, so that clients that rise together overshoot
	// the rate by little before the bucket warns them.
	shareStep = 1.0 / 32
	// minShare bounds the cuts: a client never stops.
	minShare = 1.0 / 64
	// aloneAfter is how many rounds without a sign of others let the
	// share double instead of rising by a step: the others have finished.
	aloneAfter = 4
)

// fleetShare is the part of the API's announced rate at which a client
// paces. Every process that calls with one key (the runs of an
// orchestrator, a script, the app) draws on the same bucket, and each
// hears only its own answers; so each adapts its share in the manner of
// congestion control, from what its answers say of the bucket.
//
// The signals are the API's RateLimit-Remaining against the client's own
// mirror of the bucket (bucketMirror), which counts only the client's
// requests: a count lower by a request or more means that others drew on
// the bucket in between (the early signal), and a 429 that the bucket ran
// dry (the strong one). The share is cut by a factor when others draw on
// a bucket that is nearly empty, and by more on a 429; it rises by a step
// while the bucket keeps requests to spare, and doubles when no other
// client has drawn for a while. A client alone never sees another's
// draws nor a 429, so it keeps the whole rate.
type fleetShare struct {
	// frac is the share, in (0, 1].
	frac float64
	// changed is when frac last changed: it changes at most once a round
	// (see round), so that the bucket shows the effect of one change
	// before the next.
	changed time.Time
	// crowded is when an answer last showed others drawing on the bucket.
	crowded time.Time
	// served says that a request succeeded since the last cut on a 429:
	// a client that only gets 429s is kept out by others, and cutting its
	// share again would only keep it out longer.
	served bool
}

// bucketSignal is what one answer says of the bucket: its time, the
// policy, the API's count (zero for a 429), what the client's mirror
// predicted for that moment, and whether it was a 429.
type bucketSignal struct {
	at        time.Time
	policy    RateLimitPolicy
	remaining int
	predicted float64
	refused   bool
}

// othersDrew says that the API counts a request or more fewer than the
// mirror predicts: others drew on the bucket since the client's last
// answer. Less than a request is the API's rounding down.
func (sig bucketSignal) othersDrew() bool {
	return sig.predicted-float64(sig.remaining) >= 1
}

// shareChange is a change of the share, for the log.
type shareChange struct {
	from, to float64
	reason   string
}

// start sets the whole rate as the share, at the first answer under a
// policy: one answer cannot tell others' draws from the client's own (a
// bucket found empty may be its last run's doing), and a client alone
// must not start slower than the rate. The first sign of others may cut
// it at once.
func (s *fleetShare) start() {
	*s = fleetShare{frac: 1}
}

// learn takes in one answer and returns the change it makes, if any.
func (s *fleetShare) learn(sig bucketSignal) *shareChange {
	if !sig.refused {
		s.served = true
	}
	others := sig.othersDrew()
	if others || sig.refused {
		s.crowded = sig.at
	}
	round := s.round(sig.policy)
	since := sig.at.Sub(s.changed)
	switch {
	case sig.refused && s.served && since >= round/2:
		s.served = false
		return s.set(sig.at, s.frac*shareCut429, "429")
	case sig.refused:
		return nil
	case others && sig.remaining <= lowWater(sig.policy) && since >= round:
		return s.set(sig.at, s.frac*shareCut, "others draw on a bucket nearly empty")
	case s.frac < 1 && sig.remaining > lowWater(sig.policy) && since >= refillTime(sig.policy):
		refill := refillTime(sig.policy)
		if sig.at.Sub(s.crowded) >= aloneAfter*refill {
			return s.set(sig.at, s.frac*2, "no other draws on the bucket")
		}
		rounds := min(float64(since)/float64(refill), aloneAfter)
		return s.set(sig.at, s.frac+shareStep*rounds, "the bucket has requests to spare")
	}
	return nil
}

func (s *fleetShare) set(at time.Time, frac float64, reason string) *shareChange {
	frac = min(1, max(minShare, frac))
	if frac == s.frac {
		return nil
	}
	ch := &shareChange{from: s.frac, to: frac, reason: reason}
	s.frac, s.changed = frac, at
	return ch
}

// round is the time one change takes to show in the bucket: the time the
// bucket takes to refill, and at least the time between two requests at
// the share.
func (s *fleetShare) round(p RateLimitPolicy) time.Duration {
	return max(refillTime(p), time.Duration(float64(time.Second)/(s.frac*p.Rate)))
}

// refillTime is the time an empty bucket takes to fill.
func refillTime(p RateLimitPolicy) time.Duration {
	return time.Duration(float64(p.Burst) / p.Rate * float64(time.Second))
}

// formatShare writes a share as a percentage of the rate.
func formatShare(frac float64) string {
	return strconv.FormatFloat(100*frac, 'f', 0, 64) + "%"
}

// lowWater is the count at or under which a bucket is nearly empty: a
// quarter of the burst.
func lowWater(p RateLimitPolicy) int {
	return p.Burst / 4
}

// bucketMirror follows the API's bucket as this client's own requests
// drain it, at the announced rate: full is when the bucket would be full
// again had no one else drawn on it. Unlike the gate's schedule, it counts
// a request when it leaves, not when it reserves its time, so that it
// predicts what the API counts at any moment.
type bucketMirror struct {
	full time.Time
}

// tokens is what the mirror predicts the bucket holds at t.
func (m bucketMirror) tokens(t time.Time, p RateLimitPolicy) float64 {
	if !m.full.After(t) {
		return float64(p.Burst)
	}
	return max(0, float64(p.Burst)-m.full.Sub(t).Seconds()*p.Rate)
}

// take counts a request that leaves at t.
func (m *bucketMirror) take(t time.Time, p RateLimitPolicy) {
	m.full = later(m.full, t).Add(perRequest(p))
}

// set makes the bucket hold n requests at t.
func (m *bucketMirror) set(t time.Time, p RateLimitPolicy, n float64) {
	m.full = t.Add(time.Duration((float64(p.Burst) - n) / p.Rate * float64(time.Second)))
}

// lower takes in a count lower than the mirror's: others drew on the
// bucket. A higher count is left alone, as it leaves out the client's
// requests on their way to the API.
func (m *bucketMirror) lower(t time.Time, p RateLimitPolicy, remaining int) {
	if float64(remaining) < m.tokens(t, p) {
		m.set(t, p, float64(remaining))
	}
}

// perRequest is the time the bucket takes to refill by one request.
func perRequest(p RateLimitPolicy) time.Duration {
	return time.Duration(float64(time.Second) / p.Rate)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
