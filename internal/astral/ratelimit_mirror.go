package astral

import "time"

// bucketMirror follows the API's bucket as this client's own requests
// drain it, at the announced rate: full is when the bucket would be full
// again had no one else drawn on it. Unlike the gate's schedule, it counts
// a request when it leaves, not when it reserves its time, so that it
// predicts what the API counts at any moment, and a schedule started from
// it after a change holds only the requests sent.
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

// set makes the bucket hold n requests at t: the API's count when no
// other request of the client is on its way.
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
