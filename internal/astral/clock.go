package astral

import (
	"net/http"
	"sync/atomic"
	"time"
)

// clockResolution is how far apart this machine's clock and the API's may
// be before the client corrects for it: Date has whole seconds and arrives
// a network trip after the API stamped it, so a smaller offset says nothing.
const clockResolution = 2 * time.Second

// apiClock follows the API's clock through the Date header of its
// responses, as cloud SDKs correct for clock skew: the API decides expiry
// by its own time, and a client that plans on expiry must agree with it.
type apiClock struct {
	// offset is the API's time minus this machine's, in nanoseconds.
	offset atomic.Int64
	// observed is set by the first response with a Date.
	observed atomic.Bool
}

// observe records the offset that a response's Date shows; received is
// when the response arrived. A missing or malformed Date changes nothing.
func (c *apiClock) observe(date string, received time.Time) {
	stamped, err := http.ParseTime(date)
	if err != nil {
		return
	}
	// The API stamped the response somewhere within the second that Date names.
	offset := stamped.Add(time.Second / 2).Sub(received)
	if offset > -clockResolution && offset < clockResolution {
		offset = 0
	}
	c.offset.Store(int64(offset))
	c.observed.Store(true)
}

func (c *apiClock) now() time.Time {
	return time.Now().Add(time.Duration(c.offset.Load()))
}

// Now is the API's current time as the client last saw it: this machine's
// clock corrected by the offset that the latest response's Date header
// showed, when that offset exceeds the header's resolution. Before the
// first response it is this machine's clock.
func (c *Client) Now() time.Time {
	return c.clock.now()
}

// ClockObserved reports whether a response has shown the API's clock yet,
// so that Now follows it.
func (c *Client) ClockObserved() bool {
	return c.clock.observed.Load()
}
