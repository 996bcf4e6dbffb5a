package benchmark

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

func TestParseFleets(t *testing.T) {
	tests := []struct {
		in      string
		want    []Fleet
		wantErr bool
	}{
		{in: "6x40:10,6x40:2", want: []Fleet{{6, 40, 10}, {6, 40, 2}}},
		{in: " 2x10:0.5 ", want: []Fleet{{2, 10, 0.5}}},
		{in: "", want: nil},
		{in: "6x40", wantErr: true},
		{in: "40:10", wantErr: true},
		{in: "0x40:10", wantErr: true},
		{in: "6x0:10", wantErr: true},
		{in: "6x40:0", wantErr: true},
		{in: "6x40:fast", wantErr: true},
		{in: "6x40:10,", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseFleets(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseFleets(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// fleetSample is a step of fleet: a create or a revoke per key, tooMany
// 429s, and one GET /v1/me per directory.
func fleetSample(f Fleet, step Step, wall time.Duration, tooMany int, errs ...string) FleetSample {
	route := map[Step]string{StepApply: "POST /v1/api-keys", StepDestroy: "DELETE /v1/api-keys/{id}"}[step]
	return FleetSample{
		Fleet: f, Step: step, Rep: 1, Wall: wall, Errors: errs,
		Stats: stats(map[string]int{route: f.Dirs*f.N + tooMany, "GET /v1/me": f.Dirs}, map[string]int{"429": tooMany}),
	}
}

func TestFleetSample(t *testing.T) {
	s := fleetSample(Fleet{Dirs: 6, N: 40, RatePerSecond: 2}, StepApply, 130*time.Second, 12)
	if s.Requests() != 258 || s.Refused() != 12 {
		t.Errorf("%d requests, %d refused; want 258 and 12", s.Requests(), s.Refused())
	}
	// 246 requests succeeded, at 2 per second.
	if s.Ideal() != 123*time.Second {
		t.Errorf("ideal %s, want 2m3s", s.Ideal())
	}
	if want := 12.0 / 258; s.Share429() != want {
		t.Errorf("429 share %v, want %v", s.Share429(), want)
	}
	if got := (FleetSample{Fleet: s.Fleet, Stats: sandbox.Stats{}}).Share429(); got != 0 {
		t.Errorf("the 429 share of no request is %v, want 0", got)
	}
	if got, want := s.Fleet.Faults(), (sandbox.Faults{RateLimitPerSecond: 2}); got != want {
		t.Errorf("Faults() = %+v, want %+v", got, want)
	}
}

func TestFleetMarkdown(t *testing.T) {
	fast, slow := Fleet{6, 40, 10}, Fleet{6, 40, 2}
	r := testReport()
	r.Fleets = []FleetSample{
		fleetSample(fast, StepApply, 27*time.Second, 6),
		fleetSample(fast, StepDestroy, 26*time.Second, 0),
		fleetSample(slow, StepApply, 150*time.Second, 20, "dir-3: terraform apply: exit status 1"),
		fleetSample(slow, StepDestroy, 121*time.Second, 2),
	}
	md := r.Markdown()
	for _, want := range []string{
		"## Many runs on one key",
		"| 6 × 40 keys at 10/s | apply | 6 of 6 | 27.00 s | 24.60 s | 1.10× | 252 | 6 (2.4 %) |\n",
		"| 6 × 40 keys at 2/s | apply | 5 of 6 | 150.00 s | 123.00 s | 1.22× | 266 | 20 (7.5 %) |\n",
		"Targets for 6 × 40 keys at 10/s:\n\n" +
			"- Every run succeeds at its first try: yes (apply 6 of 6, destroy 6 of 6).\n" +
			"- Wall time within 1.15× the ideal: yes (apply 1.10×, destroy 1.06×).\n" +
			"- 429 answers at most 5.0 % of requests: yes (apply 2.4 %, destroy 0.0 %).\n",
		"Targets for 6 × 40 keys at 2/s:\n\n" +
			"- Every run succeeds at its first try: no (apply 5 of 6, destroy 6 of 6).\n" +
			"- Wall time within 1.15× the ideal: no (apply 1.22×, destroy 0.98×).\n" +
			"- 429 answers at most 5.0 % of requests: no (apply 7.5 %, destroy 0.8 %).\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q; got:\n%s", want, md)
		}
	}
	if strings.Contains(testReport().Markdown(), "## Many runs") {
		t.Error("a report without fleets has their section")
	}
}
