package sandbox

import (
	"maps"
	"sync"
)

// Stats counts /v1 traffic. Requests are keyed by method and route pattern
// ("GET /v1/api-keys/{id}"), responses by status code; a request whose
// connection was dropped after commit counts under "dropped", and one whose
// client went away before its answer under "499" (nginx's "client closed
// request"), never "500".
type Stats struct {
	Requests  map[string]int `json:"requests"`
	Responses map[string]int `json:"responses"`
}

type statsCounter struct {
	mu        sync.Mutex
	requests  map[string]int
	responses map[string]int
}

func (c *statsCounter) request(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.requests == nil {
		c.requests = map[string]int{}
	}
	c.requests[key]++
}

func (c *statsCounter) response(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.responses == nil {
		c.responses = map[string]int{}
	}
	c.responses[key]++
}

func (c *statsCounter) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := Stats{Requests: maps.Clone(c.requests), Responses: maps.Clone(c.responses)}
	if st.Requests == nil {
		st.Requests = map[string]int{}
	}
	if st.Responses == nil {
		st.Responses = map[string]int{}
	}
	return st
}

func (c *statsCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests, c.responses = nil, nil
}

// Stats returns a copy of the counts since the start or the last ResetStats.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats sets every count back to zero.
func (s *Server) ResetStats() { s.stats.reset() }
