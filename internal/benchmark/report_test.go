package benchmark

import (
	"strings"
	"testing"
	"time"
)

// testReport has N = 10 and 1000 for every kind but the floor's destroy at
// 1000; at 1000 the provider's apply is within the target ratio and its plan
// is not.
func testReport() Report {
	s := func(kind Kind, step Step, n int, wall time.Duration, routes map[string]int) Summary {
		sum := Summary{Key: Key{kind, step, n}, Reps: 3, Wall: wall, TerraformCPU: wall / 2}
		if kind != KindFloor {
			sum.ProviderMaxRSS = 20 << 20
			sum.ProviderStarts = 3
			sum.ProviderCPU = wall / 4
		}
		if kind == KindProvider {
			st := stats(routes, nil)
			sum.Requests = RequestsOf(st)
			sum.Check = CheckRequests(step, n, n+1, st)
			sum.Findings = sum.Check.Findings
			sum.ProviderMaxRSS = 48 << 20
			sum.ProviderStarts = 2
			sum.APIBusy = wall / 8
		}
		return sum
	}
	ms := time.Millisecond
	sums := map[Key]Summary{}
	for _, x := range []Summary{
		s(KindFloor, StepApply, 10, 400*ms, nil),
		s(KindPluginFloor, StepApply, 10, 500*ms, nil),
		s(KindSchemaFloor, StepApply, 10, 800*ms, nil),
		s(KindProvider, StepApply, 10, 1200*ms, map[string]int{"POST /v1/api-keys": 10}),
		s(KindFloor, StepPlan, 10, 300*ms, nil),
		s(KindPluginFloor, StepPlan, 10, 600*ms, nil),
		s(KindSchemaFloor, StepPlan, 10, 750*ms, nil),
		s(KindProvider, StepPlan, 10, 900*ms, map[string]int{"GET /v1/api-keys/{id}": 10}),
		s(KindFloor, StepDestroy, 10, 500*ms, nil),
		s(KindPluginFloor, StepDestroy, 10, 550*ms, nil),
		s(KindSchemaFloor, StepDestroy, 10, 800*ms, nil),
		s(KindProvider, StepDestroy, 10, time.Second, map[string]int{"GET /v1/api-keys/{id}": 10, "DELETE /v1/api-keys/{id}": 10}),
		s(KindFloor, StepApply, 1000, 10*time.Second, nil),
		s(KindPluginFloor, StepApply, 1000, 12*time.Second, nil),
		s(KindSchemaFloor, StepApply, 1000, 13*time.Second, nil),
		s(KindProvider, StepApply, 1000, 14*time.Second, map[string]int{"POST /v1/api-keys": 1000}),
		s(KindFloor, StepPlan, 1000, 10*time.Second, nil),
		s(KindPluginFloor, StepPlan, 1000, 22*time.Second, nil),
		s(KindSchemaFloor, StepPlan, 1000, 25*time.Second, nil),
		s(KindProvider, StepPlan, 1000, 30*time.Second, map[string]int{"GET /v1/api-keys/{id}": 1000, "GET /v1/api-keys": 3}),
		// No floor for destroy at 1000: its cells and ratios must say so.
		s(KindPluginFloor, StepDestroy, 1000, 11*time.Second, nil),
		s(KindSchemaFloor, StepDestroy, 1000, 16*time.Second, nil),
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
		// Results: walls, then provider / floor, plugin floor / floor, schema floor / floor, provider / schema floor.
		"| 10 | apply | 0.40 s | 0.50 s | 0.80 s | 1.20 s | 3.00× | 1.25× | 2.00× | 1.50× |\n",
		"| 10 | plan | 0.30 s | 0.60 s | 0.75 s | 0.90 s | 3.00× | 2.00× | 2.50× | 1.20× |\n",
		"| 1000 | apply | 10.00 s | 12.00 s | 13.00 s | 14.00 s | 1.40× | 1.20× | 1.30× | 1.08× |\n",
		"| 1000 | destroy | – | 11.00 s | 16.00 s | 20.00 s | n/a | n/a | n/a | 1.25× |\n",
		"How to read the ratios: provider / floor = schema floor / floor × provider / schema floor.",
		// Requests.
		"| 10 | apply | 10 create | 10 create, ≤ 2 me | none | – |\n",
		"| 10 | destroy | 10 read, 10 revoke | 10 revoke, ≤ 10 read, ≤ 2 me | none | no (target ≤ 1 list + ≤ 10 read) |\n",
		"| 1000 | plan | 1000 read, 3 list | ≤ 1000 read, ≤ 1 me | 1003 reads and lists for 1000 keys | no (target ≤ 11 list + ≤ 10 read) |\n",
		// Where the time goes: one row per kind.
		"| 1000 | apply | floor | 10.00 s | 5.00 s | – | – | – | – | – |\n" +
			"| 1000 | apply | plugin floor | 12.00 s | 6.00 s | 3.00 s | 20.0 MiB | 3 | – | – |\n" +
			"| 1000 | apply | schema floor | 13.00 s | 6.50 s | 3.25 s | 20.0 MiB | 3 | – | – |\n" +
			"| 1000 | apply | provider | 14.00 s | 7.00 s | 3.50 s | 48.0 MiB | 2 | 0.00 s | 1.75 s |\n",
		"| 1000 | plan | provider | 30.00 s | 15.00 s | 7.50 s | 48.0 MiB | 2 | 0.00 s | 3.75 s |\n" +
			"| 1000 | destroy | plugin floor |",
		"## Targets at N = 1000",
		"- apply within 1.5× the floor: yes (1.40×).",
		"- plan within 1.5× the floor: no (3.00×).",
		"- Any plugin resource (plugin floor / floor): apply 1.20×, plan 2.20×, destroy n/a.",
		"- `astral_api_key`'s schema without the provider's code (schema floor / floor): apply 1.30×, plan 2.50×, destroy n/a.",
		"- What this provider's own code adds (provider / schema floor): apply 1.08×, plan 1.20×, destroy 1.25×.",
		"- Exactly the contract's minimum of requests: no (plan: 1003 reads and lists for 1000 keys).",
		"- Refresh costs requests in proportion to pages: no (1003 requests for 1000 keys: 3 list, 1000 read; a full listing takes 11 pages, and up to 10 keys may be read on their own).",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q; got:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| 1000 | destroy | floor |") {
		t.Errorf("Markdown has a floor row for destroy at N = 1000, which was not measured:\n%s", md)
	}
	// Every table row has as many cells as its header.
	tables := 0
	for _, table := range strings.Split(md, "\n\n") {
		lines := strings.Split(strings.TrimSpace(table), "\n")
		if !strings.HasPrefix(lines[0], "| N |") {
			continue
		}
		tables++
		cells := strings.Count(lines[0], "|")
		for _, l := range lines[1:] {
			if strings.Count(l, "|") != cells {
				t.Errorf("row %q has %d separators, header %d", l, strings.Count(l, "|"), cells)
			}
		}
	}
	if tables != 3 {
		t.Errorf("%d tables, want 3 (results, requests, where the time goes)", tables)
	}
}
