package benchmark

import (
	"strings"
	"testing"
	"time"
)

// testReport has N = 10 and 1000; at 1000 the provider's apply is within
// the target ratio and its plan is not.
func testReport() Report {
	s := func(kind Kind, step Step, n int, wall time.Duration, routes map[string]int) Summary {
		sum := Summary{Key: Key{kind, step, n}, Reps: 3, Wall: wall}
		if kind == KindProvider {
			st := stats(routes, nil)
			sum.Requests = st.Requests()
			sum.Check = CheckRequests(step, n, n+1, st)
			sum.Findings = sum.Check.Findings
			sum.ProviderMaxRSS = 48 << 20
			sum.ProviderStarts = 2
			sum.ProviderCPU = wall / 4
			sum.TerraformCPU = wall / 2
			sum.APIBusy = wall / 8
		}
		return sum
	}
	sums := map[Key]Summary{}
	for _, x := range []Summary{
		s(KindProvider, StepApply, 10, 1200*time.Millisecond, map[string]int{"POST /v1/api-keys": 10}),
		s(KindFloor, StepApply, 10, 400*time.Millisecond, nil),
		s(KindProvider, StepPlan, 10, 900*time.Millisecond, map[string]int{"GET /v1/api-keys/{id}": 10}),
		s(KindFloor, StepPlan, 10, 300*time.Millisecond, nil),
		s(KindProvider, StepDestroy, 10, time.Second, map[string]int{"GET /v1/api-keys/{id}": 10, "DELETE /v1/api-keys/{id}": 10}),
		s(KindFloor, StepDestroy, 10, 500*time.Millisecond, nil),
		s(KindProvider, StepApply, 1000, 14*time.Second, map[string]int{"POST /v1/api-keys": 1000}),
		s(KindFloor, StepApply, 1000, 10*time.Second, nil),
		s(KindProvider, StepPlan, 1000, 30*time.Second, map[string]int{"GET /v1/api-keys/{id}": 1000, "GET /v1/api-keys": 3}),
		s(KindFloor, StepPlan, 1000, 10*time.Second, nil),
		// No floor for destroy at 1000: the row must be left out.
		s(KindProvider, StepDestroy, 1000, 20*time.Second, map[string]int{"DELETE /v1/api-keys/{id}": 1000}),
	} {
		sums[x.Key] = x
	}
	return Report{
		Machine: Machine{
			Date: time.Date(2026, 11, 27, 19, 30, 0, 0, time.UTC), CPUs: 2, CPUModel: "Test CPU", OS: "linux/amd64",
			GoVersion: "go1.26.8", TerraformVersion: "Terraform 1.11.4", LoadBefore: "0.10 0.20 0.30",
		},
		Ns:        []int{10, 1000},
		Reps:      map[int]int{10: 3, 1000: 1},
		Summaries: sums,
		Duration:  90 * time.Second,
	}
}

func TestMarkdown(t *testing.T) {
	md := testReport().Markdown()
	for _, want := range []string{
		"Measured 2026-11-27 19:30 UTC on 2 CPUs (Test CPU, linux/amd64); go1.26.8; Terraform 1.11.4. " +
			"Load average (1, 5, 15 min) 0.10 0.20 0.30 before, unknown after; the run took 1m30s.",
		"3 for N = 10, 1 for N = 1000",
		"| 10 | apply | 0.40 s | 1.20 s | 3.00× | 48.0 MiB | 10 create | 10 create | none | – |\n",
		"| 10 | plan | 0.30 s | 0.90 s | 3.00× | 48.0 MiB | 10 read | ≤ 10 read | none | no (target ≤ 1 list + ≤ 10 read) |\n",
		"| 10 | destroy | 0.50 s | 1.00 s | 2.00× | 48.0 MiB | 10 read, 10 revoke | 10 revoke, ≤ 10 read | none | no (target ≤ 1 list + ≤ 10 read) |\n",
		"| 1000 | plan | 10.00 s | 30.00 s | 3.00× | 48.0 MiB | 1000 read, 3 list | ≤ 1000 read | 1003 reads and lists for 1000 keys | no (target ≤ 11 list + ≤ 10 read) |\n",
		"| 1000 | apply | 14.00 s | 7.00 s | 3.50 s | 0.00 s | 1.75 s | 2 | 10.00 s | 0.00 s |\n",
		"## Targets at N = 1000",
		"- apply within 1.5× the floor: yes (1.40×).",
		"- plan within 1.5× the floor: no (3.00×).",
		"- Exactly the contract's minimum of requests: no (plan: 1003 reads and lists for 1000 keys).",
		"- Refresh costs requests in proportion to pages: no (1003 requests for 1000 keys: 3 list, 1000 read; a full listing takes 11 pages, and up to 10 keys may be read on their own).",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q; got:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| 1000 | destroy |") {
		t.Errorf("Markdown has a destroy row at N = 1000 without a floor to compare with:\n%s", md)
	}
	// Every table row has as many cells as its header.
	for _, table := range strings.Split(md, "\n\n") {
		lines := strings.Split(strings.TrimSpace(table), "\n")
		if !strings.HasPrefix(lines[0], "| N |") {
			continue
		}
		cells := strings.Count(lines[0], "|")
		for _, l := range lines[1:] {
			if strings.Count(l, "|") != cells {
				t.Errorf("row %q has %d separators, header %d", l, strings.Count(l, "|"), cells)
			}
		}
	}
}
