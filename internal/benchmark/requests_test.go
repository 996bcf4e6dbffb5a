package benchmark

import (
	"slices"
	"testing"
)

func TestStatsRequests(t *testing.T) {
	s := stats(map[string]int{
		"POST /v1/api-keys":                                 3,
		"GET /v1/api-keys":                                  2,
		"GET /v1/api-keys?limit=100":                        1,
		"GET /v1/api-keys/{id}":                             4,
		"GET /v1/api-keys/key_01JD3X8Z6W4Q9T2B7N5M1K0C3R":   1,
		"DELETE /v1/api-keys/{id}":                          5,
		"PATCH /v1/api-keys/{id}":                           1,
		"GET /v1/members":                                   1,
		"GET /v1/me":                                        2,
		"GET /_sandbox/stats":                               7,
		"DELETE /_sandbox/stats":                            7,
		"GET /v1/api-keys/key_01JD3X8Z6W4Q9T2B7N5M1K0C3R/x": 1,
	}, nil)
	want := Requests{Create: 3, List: 3, Read: 5, Revoke: 5, Me: 2, Other: 3}
	if got := RequestsOf(s); got != want {
		t.Errorf("RequestsOf = %+v, want %+v", got, want)
	}
	if got, want := want.Total(), 21; got != want {
		t.Errorf("Total() = %d, want %d", got, want)
	}
	if got, want := want.String(), "3 create, 5 read, 3 list, 5 revoke, 2 me, 3 other"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := (Requests{}).String(); got != "none" {
		t.Errorf("empty String() = %q", got)
	}
}

func TestStatsFailures(t *testing.T) {
	s := stats(nil, map[string]int{"200": 9, "201": 3, "503": 1, "429": 2, "dropped": 1, "404": 0})
	want := []string{"2× 429", "1× 503", "1× dropped"}
	if got := failures(s); !slices.Equal(got, want) {
		t.Errorf("failures = %q, want %q", got, want)
	}
}

func TestCheckRequests(t *testing.T) {
	const (
		create = "POST /v1/api-keys"
		list   = "GET /v1/api-keys"
		read   = "GET /v1/api-keys/{id}"
		revoke = "DELETE /v1/api-keys/{id}"
		me     = "GET /v1/me"
	)
	tests := []struct {
		name        string
		step        Step
		n, active   int
		routes      map[string]int
		statuses    map[string]int
		minimum     string
		findings    []string
		pageBudget  int
		withinPages bool
	}{
		{name: "apply at the minimum", step: StepApply, n: 100, active: 101,
			routes: map[string]int{create: 100}, minimum: "100 create, ≤ 2 me"},
		{name: "apply that proves its key in both processes", step: StepApply, n: 100, active: 101,
			routes: map[string]int{create: 100, me: 2}, minimum: "100 create, ≤ 2 me"},
		{name: "apply that asks who its key is for each key", step: StepApply, n: 10, active: 11,
			routes: map[string]int{create: 10, me: 10}, minimum: "10 create, ≤ 2 me",
			findings: []string{"10 me (want at most 2)"}},
		{name: "apply that reads back", step: StepApply, n: 100, active: 101,
			routes: map[string]int{create: 100, read: 100}, minimum: "100 create, ≤ 2 me",
			findings: []string{"100 read (want 0)"}},
		{name: "apply that retried", step: StepApply, n: 10, active: 11,
			routes: map[string]int{create: 12}, statuses: map[string]int{"201": 10, "503": 2}, minimum: "10 create, ≤ 2 me",
			findings: []string{"12 create (want 10)", "2× 503"}},
		{name: "plan reading each key", step: StepPlan, n: 1000, active: 1001,
			routes: map[string]int{read: 1000}, minimum: "≤ 1000 read, ≤ 1 me", pageBudget: 11},
		{name: "plan that proves its key twice", step: StepPlan, n: 10, active: 11,
			routes: map[string]int{list: 1, me: 2}, minimum: "≤ 10 read, ≤ 1 me", pageBudget: 1, withinPages: true,
			findings: []string{"2 me (want at most 1)"}},
		{name: "plan by pages", step: StepPlan, n: 1000, active: 1001,
			routes: map[string]int{list: 11}, minimum: "≤ 1000 read, ≤ 1 me", pageBudget: 11, withinPages: true},
		{name: "plan by pages and misses", step: StepPlan, n: 1000, active: 1001,
			routes: map[string]int{list: 11, read: 10}, minimum: "≤ 1000 read, ≤ 1 me", pageBudget: 11, withinPages: true},
		{name: "plan by pages with too many misses", step: StepPlan, n: 1000, active: 1001,
			routes: map[string]int{list: 11, read: 11}, minimum: "≤ 1000 read, ≤ 1 me", pageBudget: 11},
		{name: "plan listing twice", step: StepPlan, n: 1000, active: 1001,
			routes: map[string]int{list: 22}, minimum: "≤ 1000 read, ≤ 1 me", pageBudget: 11},
		{name: "plan reading twice", step: StepPlan, n: 10, active: 11,
			routes: map[string]int{read: 10, list: 1}, minimum: "≤ 10 read, ≤ 1 me", pageBudget: 1,
			findings: []string{"11 reads and lists for 10 keys"}},
		{name: "plan that writes", step: StepPlan, n: 10, active: 11,
			routes: map[string]int{read: 10, create: 1}, minimum: "≤ 10 read, ≤ 1 me", pageBudget: 1,
			findings: []string{"1 create (want 0)"}},
		{name: "destroy at the minimum", step: StepDestroy, n: 100, active: 101,
			routes: map[string]int{read: 100, revoke: 100}, minimum: "100 revoke, ≤ 100 read, ≤ 2 me", pageBudget: 2},
		{name: "destroy missing revokes", step: StepDestroy, n: 100, active: 101,
			routes: map[string]int{list: 2, revoke: 99}, minimum: "100 revoke, ≤ 100 read, ≤ 2 me", pageBudget: 2, withinPages: true,
			findings: []string{"99 revoke (want 100)"}},
		{name: "wrong route", step: StepDestroy, n: 1, active: 2,
			routes: map[string]int{revoke: 1, "GET /v1/nothing": 1}, minimum: "1 revoke, ≤ 1 read, ≤ 2 me", pageBudget: 1, withinPages: true,
			findings: []string{"1 other (want 0)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := CheckRequests(tt.step, tt.n, tt.active, stats(tt.routes, tt.statuses))
			if c.Minimum != tt.minimum || !slices.Equal(c.Findings, tt.findings) || c.PageBudget != tt.pageBudget || c.WithinPages != tt.withinPages {
				t.Errorf("CheckRequests = %+v;\nwant minimum %q, findings %q, page budget %d, within pages %v",
					c, tt.minimum, tt.findings, tt.pageBudget, tt.withinPages)
			}
		})
	}
}
