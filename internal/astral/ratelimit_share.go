package astral

import (
	"math"
	"strconv"
	"time"
)

// The constants of fleetShare.
const (
	// shareOfRest is the part of the rate that others leave which a
	// client takes while others draw on the bucket. Below one, clients
	// that all take it settle on equal shares that leave a little of the
	// rate unused: with K clients, each takes shareOfRest / (1 +
	// shareOfRest × (K − 1)) of the rate, 16 % for six, 96 % in all.
	shareOfRest = 0.8
	// shareGain is how far one answer moves the share towards its
	// target: enough to follow the others within a few answers, little
	// enough that clients that move together do not overshoot.
	shareGain = 0.4
	// shareCut429 is the cut on a 429: the bucket ran dry.
	shareCut429 = 0.7
	// minShare bounds the cuts: a client never stops.
	minShare = 1.0 / 32
	// othersWindow is how many refills of the bucket the estimate of the
	// others' rate averages over.
	othersWindow = 4
	// aloneAfter is how many refills of the bucket without a sign of
	// others, over two answers at least, give a client the whole rate
	// back: the others have finished.
	aloneAfter = 3
)

// fleetShare is the part of the API's announced rate at which a client
// paces. Every process that calls with one key (the runs of an
// orchestrator, a script, the app) draws on the same bucket, and each
// hears only its own answers; so each estimates what the others draw and
// takes its part of the rest, in the manner of congestion control.
//
// What the API counts (RateLimit-Remaining) lower than the client's mirror
// of the bucket predicts (bucketMirror), others took since the client's
// last answer. A smoothed estimate of the others' rate sets the share's
// target, shareOfRest of the rate they leave, which the share follows; a
// 429 cuts it at once. A client alone never sees others take anything nor
// a 429, and keeps the whole rate; a client that sees no other draw for a
// few refills of the bucket takes the whole rate back.
type fleetShare struct {
	// frac is the share, in (0, 1].
	frac float64
	// others is the smoothed rate of the others' requests, per second,
	// and sampled says it has had a first sample.
	others  float64
	sampled bool
	// last is the time of the last answer that told the others' draws.
	last time.Time
	// crowded is when an answer last showed others drawing on the bucket
	// (or a 429), quiet how many answers since have not, and cut when a
	// 429 last cut the share.
	crowded, cut time.Time
	quiet        int
}

// bucketSignal is what one answer says of the bucket.
type bucketSignal struct {
	at        time.Time
	policy    RateLimitPolicy
	remaining int
	refused   bool
	// overlapped says that other requests of the client were on their
	// way: answers to requests in flight together come in any order, and
	// their counts tell nothing of others.
	overlapped bool
	// took is what the API counts less than the client's mirror of the
	// bucket predicts: what others took since the client's last answer.
	took float64
}

// shareChange is a change of the share, for the log.
type shareChange struct {
	from, to float64
	reason   string
}

// start sets the whole rate as the share, at the first answer under a
// policy: one answer cannot tell others' draws from the client's own (a
// bucket found empty may be its last run's doing), and a client alone
// must not start slower than the rate. A 429 for an answer says that
// others spend the bucket.
func (s *fleetShare) start(at time.Time, refused bool) {
	*s = fleetShare{frac: 1, last: at}
	if refused {
		s.crowded = at
	}
}

// learn takes in one answer and returns the change it makes to the share,
// if any, and whether others drew on the bucket since the last answer.
func (s *fleetShare) learn(sig bucketSignal) (*shareChange, bool) {
	if sig.overlapped {
		return nil, false
	}
	p := sig.policy
	took := max(0, sig.took)
	elapsed := sig.at.Sub(s.last)
	s.last = sig.at
	othersDrew := took >= 1
	if othersDrew || sig.refused {
		s.crowded, s.quiet = sig.at, 0
	} else {
		s.quiet++
	}
	if elapsed > 0 {
		w := 1.0
		if s.sampled {
			w = 1 - math.Exp(-float64(elapsed)/float64(othersWindow*refillTime(p)))
		}
		s.others = max(0, s.others+w*(took/elapsed.Seconds()-s.others))
		s.sampled = true
	}

	from := s.frac
	var reason string
	switch {
	case sig.refused && sig.at.Sub(s.cut) >= refillTime(p)/2:
		s.cut, reason = sig.at, "429"
		s.frac *= shareCut429
	case sig.refused:
	case s.quiet >= 2 && sig.at.Sub(s.crowded) >= aloneAfter*refillTime(p) && s.others*refillTime(p).Seconds() < 0.5:
		reason = "no other draws on the bucket"
		s.frac = 1
	case s.crowded.IsZero():
	default:
		reason = "others draw on the bucket"
		gain := shareGain
		if s.frac == 1 {
			// The first sign of others: the share goes to its target at
			// once, as every client that starts with the whole rate
			// overdraws the bucket until it learns.
			gain = 1
		}
		s.frac += gain * (shareOfRest*max(0, 1-s.others/p.Rate) - s.frac)
	}
	s.frac = min(1, max(minShare, s.frac))
	if s.frac == from {
		return nil, othersDrew
	}
	return &shareChange{from: from, to: s.frac, reason: reason}, othersDrew
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

// refillTime is the time an empty bucket takes to fill.
func refillTime(p RateLimitPolicy) time.Duration {
	return time.Duration(float64(p.Burst) / p.Rate * float64(time.Second))
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
