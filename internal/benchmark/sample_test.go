package benchmark

import (
	"slices"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []int64
		want int64
		ok   bool
	}{
		{"empty", nil, 0, false},
		{"one", []int64{7}, 7, true},
		{"odd, unsorted", []int64{9, 1, 5}, 5, true},
		{"even takes the mean of the middle two", []int64{4, 1, 10, 2}, 3, true},
		{"repeated values", []int64{2, 2, 9}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			got, ok := Median(in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Median(%v) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("Median reordered its argument: %v", in)
			}
		})
	}
}

func TestMedianDurations(t *testing.T) {
	got, _ := Median([]time.Duration{3 * time.Second, time.Second, 2 * time.Second})
	if got != 2*time.Second {
		t.Errorf("got %v, want 2s", got)
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		provider, floor time.Duration
		want            float64
		ok              bool
	}{
		{3 * time.Second, 2 * time.Second, 1.5, true},
		{time.Second, 4 * time.Second, 0.25, true},
		{time.Second, 0, 0, false},
		{time.Second, -time.Second, 0, false},
		{0, time.Second, 0, false},
	}
	for _, tt := range tests {
		got, ok := Ratio(tt.provider, tt.floor)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Ratio(%v, %v) = %v, %v; want %v, %v", tt.provider, tt.floor, got, ok, tt.want, tt.ok)
		}
	}
}

func stats(routes map[string]int, statuses map[string]int) sandbox.Stats {
	return sandbox.Stats{Requests: routes, Responses: statuses}
}

func TestSummarize(t *testing.T) {
	samples := []Sample{
		{Kind: KindProvider, Step: StepPlan, N: 10, Rep: 1, Wall: 5 * time.Second, ProviderMaxRSS: 30 << 20, ProviderStarts: 1,
			Stats: stats(map[string]int{"GET /v1/api-keys/{id}": 10}, map[string]int{"200": 10})},
		{Kind: KindProvider, Step: StepPlan, N: 10, Rep: 2, Wall: 1 * time.Second, ProviderMaxRSS: 20 << 20, ProviderStarts: 1,
			Stats: stats(map[string]int{"GET /v1/api-keys/{id}": 12}, map[string]int{"200": 10, "429": 2})},
		{Kind: KindProvider, Step: StepPlan, N: 10, Rep: 3, Wall: 2 * time.Second, ProviderMaxRSS: 40 << 20, ProviderStarts: 1,
			Stats: stats(map[string]int{"GET /v1/api-keys": 1}, map[string]int{"200": 1})},
		{Kind: KindFloor, Step: StepPlan, N: 10, Rep: 1, Wall: 4 * time.Second},
	}
	got := Summarize(samples, map[int]int{10: 11})
	if len(got) != 2 {
		t.Fatalf("got %d summaries, want 2", len(got))
	}
	p := got[Key{KindProvider, StepPlan, 10}]
	if p.Reps != 3 || p.Wall != 2*time.Second || p.ProviderMaxRSS != 30<<20 || p.ProviderStarts != 1 {
		t.Errorf("provider summary = %+v; want 3 reps, 2s, 30 MiB, 1 start", p)
	}
	// The repetition with the median total made 10 reads.
	if p.Requests != (Requests{Read: 10}) {
		t.Errorf("requests = %+v, want the median repetition's 10 reads", p.Requests)
	}
	if p.Check.PageBudget != 1 || p.Check.WithinPages {
		t.Errorf("check = %+v, want a budget of 1 page, not met", p.Check)
	}
	want := []string{"12 reads and lists for 10 keys", "2× 429"}
	if !slices.Equal(p.Findings, want) {
		t.Errorf("findings = %q, want %q from the second repetition", p.Findings, want)
	}
	if f := got[Key{KindFloor, StepPlan, 10}]; f.Wall != 4*time.Second || f.Findings != nil {
		t.Errorf("floor summary = %+v", f)
	}
}
