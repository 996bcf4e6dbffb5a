package benchmark

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// PageSize is the largest page the list endpoint serves, so the fewest list
// calls that can see an organization's active keys is ceil(active/PageSize).
const PageSize = 100

// MissBudget is how many single reads a refresh by pages may add to its
// list calls: the reads the listing cannot serve, at most one per read that
// Terraform runs at once (its default parallelism is 10) before the listing's
// pages are paid for.
const MissBudget = 10

// Requests are API calls by kind.
type Requests struct {
	Create int `json:"create"`
	Read   int `json:"read"`
	List   int `json:"list"`
	Revoke int `json:"revoke"`
	// Me counts GET /v1/me: a provider process asks who its key is once.
	Me int `json:"me"`
	// Other counts /v1 calls that are none of the above (a wrong route or method).
	Other int `json:"other"`
}

// Total is the number of API calls.
func (r Requests) Total() int { return r.Create + r.Read + r.List + r.Revoke + r.Me + r.Other }

// String lists the non-zero kinds, e.g. "100 create, 1 list".
func (r Requests) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		name string
	}{{r.Create, "create"}, {r.Read, "read"}, {r.List, "list"}, {r.Revoke, "revoke"}, {r.Me, "me"}, {r.Other, "other"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// RequestsOf classifies the routes that the sandbox's stats count. Routes
// outside /v1 (the sandbox's own admin endpoints) are not API calls and are
// left out. The path may be a route pattern ("/v1/api-keys/{id}") or a
// concrete path.
func RequestsOf(s sandbox.Stats) Requests {
	var r Requests
	for route, n := range s.Requests {
		method, path, _ := strings.Cut(route, " ")
		path, _, _ = strings.Cut(path, "?")
		if path != "/v1" && !strings.HasPrefix(path, "/v1/") {
			continue
		}
		rest, isKeys := strings.CutPrefix(path, "/v1/api-keys")
		rest = strings.TrimSuffix(rest, "/")
		switch {
		case path == "/v1/me" && method == "GET":
			r.Me += n
		case !isKeys:
			r.Other += n
		case rest == "" && method == "POST":
			r.Create += n
		case rest == "" && method == "GET":
			r.List += n
		case strings.Count(rest, "/") == 1 && method == "GET":
			r.Read += n
		case strings.Count(rest, "/") == 1 && method == "DELETE":
			r.Revoke += n
		default:
			r.Other += n
		}
	}
	return r
}

// failures lists the responses that were not 2xx, e.g. "3× 429", in status
// order. On a fault-free run any such response is a wasted or retried call.
func failures(s sandbox.Stats) []string {
	var out []string
	for _, code := range slices.Sorted(maps.Keys(s.Responses)) {
		status, err := strconv.Atoi(code)
		if n := s.Responses[code]; n > 0 && (err != nil || status < 200 || status > 299) {
			out = append(out, fmt.Sprintf("%d× %s", n, code))
		}
	}
	return out
}

// Check is a step's requests held against the contract's minimum.
type Check struct {
	// Minimum describes the fewest calls the contract allows for the step.
	Minimum string
	// Findings name every call beyond the minimum; empty when there are none.
	Findings []string
	// PageBudget is, for a step that refreshes, the number of list pages that
	// cover every active key: the target for a refresh that costs requests in
	// proportion to pages. Zero for apply.
	PageBudget int
	// WithinPages reports whether the refresh stayed within PageBudget list
	// calls plus MissBudget single reads, fewer than one per key.
	WithinPages bool
}

// CheckRequests holds the requests of one step over n resources against the
// contract's minimum: apply creates each key once and reads nothing;
// a plan refreshes with at most one read per key (fewer is better) and
// writes nothing; destroy refreshes the same way, then revokes each key once.
// Each provider process also asks once who its key is (GET /v1/me), to prove
// it at plan time: a plan runs one process, an apply or a destroy two (one
// to plan, one to apply). active is the number of active keys in the
// organization during the step.
func CheckRequests(step Step, n, active int, s sandbox.Stats) Check {
	r := RequestsOf(s)
	var c Check
	exact := func(got, want int, what string) {
		if got != want {
			c.Findings = append(c.Findings, fmt.Sprintf("%d %s (want %d)", got, what, want))
		}
	}
	refresh := func() {
		c.PageBudget = max(1, (active+PageSize-1)/PageSize)
		if reads := r.Read + r.List; reads > n {
			c.Findings = append(c.Findings, fmt.Sprintf("%d reads and lists for %d keys", reads, n))
		}
		// Reading every key on its own is not by pages, however small n is.
		c.WithinPages = r.List <= c.PageBudget && r.Read <= MissBudget && r.Read < n
	}
	atMost := func(got, limit int, what string) {
		if got > limit {
			c.Findings = append(c.Findings, fmt.Sprintf("%d %s (want at most %d)", got, what, limit))
		}
	}
	switch step {
	case StepApply:
		c.Minimum = fmt.Sprintf("%d create, ≤ 2 me", n)
		atMost(r.Me, 2, "me")
		exact(r.Create, n, "create")
		exact(r.Read, 0, "read")
		exact(r.List, 0, "list")
		exact(r.Revoke, 0, "revoke")
	case StepPlan:
		c.Minimum = fmt.Sprintf("≤ %d read, ≤ 1 me", n)
		atMost(r.Me, 1, "me")
		refresh()
		exact(r.Create, 0, "create")
		exact(r.Revoke, 0, "revoke")
	case StepDestroy:
		c.Minimum = fmt.Sprintf("%d revoke, ≤ %d read, ≤ 2 me", n, n)
		atMost(r.Me, 2, "me")
		refresh()
		exact(r.Create, 0, "create")
		exact(r.Revoke, n, "revoke")
	default:
		panic(fmt.Sprintf("benchmark: unknown step %q", step))
	}
	exact(r.Other, 0, "other")
	c.Findings = append(c.Findings, failures(s)...)
	return c
}
