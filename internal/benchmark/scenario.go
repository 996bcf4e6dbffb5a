package benchmark

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// Parallelism is how many operations Terraform runs at once by default.
const Parallelism = 10

// The targets of a run under the sandbox's rate limit.
const (
	// RateLimitTargetRatio is how far above N/R, the time the limit allows
	// N requests, apply and destroy may go.
	RateLimitTargetRatio = 1.15
	// Max429Share is the largest share of requests the API may refuse.
	Max429Share = 0.05
)

// The kinds of scenario.
const (
	ScenarioRateLimit = "rate-limit"
	ScenarioLatency   = "latency"
)

// ScenarioSteps are the steps each scenario runs, in order.
var ScenarioSteps = []Step{StepApply, StepDestroy}

// Scenario is N astral_api_key resources applied and destroyed while the
// sandbox limits the rate of the provider's requests or delays each one.
type Scenario struct {
	Name          string  `json:"name"`
	N             int     `json:"n"`
	RatePerSecond float64 `json:"rate_per_second,omitempty"`
	LatencyMS     int     `json:"latency_ms,omitempty"`
}

// ParseScenario reads "N:R" (N keys at R requests per second) for a rate
// limit or "N:MS" (N keys, MS milliseconds before every answer) for a latency.
func ParseScenario(name, s string) (Scenario, error) {
	nStr, vStr, ok := strings.Cut(s, ":")
	n, err := strconv.Atoi(nStr)
	if !ok || err != nil || n < 1 {
		return Scenario{}, fmt.Errorf("%s: %q is not N:value with N a positive resource count", name, s)
	}
	sc := Scenario{Name: name, N: n}
	switch name {
	case ScenarioRateLimit:
		sc.RatePerSecond, err = strconv.ParseFloat(vStr, 64)
		if err != nil || !(sc.RatePerSecond > 0) {
			return Scenario{}, fmt.Errorf("%s: %q is not a positive rate per second", name, vStr)
		}
	case ScenarioLatency:
		sc.LatencyMS, err = strconv.Atoi(vStr)
		if err != nil || sc.LatencyMS < 1 {
			return Scenario{}, fmt.Errorf("%s: %q is not a positive number of milliseconds", name, vStr)
		}
	default:
		return Scenario{}, fmt.Errorf("unknown scenario %q", name)
	}
	return sc, nil
}

// Faults are the sandbox's faults during the scenario's steps.
func (s Scenario) Faults() sandbox.Faults {
	return sandbox.Faults{RateLimitPerSecond: s.RatePerSecond, LatencyMS: s.LatencyMS}
}

// Floor is the shortest wall time the fault allows N operations: N/R under
// a rate limit, N × latency / Parallelism under a latency.
func (s Scenario) Floor() time.Duration {
	if s.Name == ScenarioRateLimit {
		return time.Duration(float64(s.N) / s.RatePerSecond * float64(time.Second))
	}
	return time.Duration(s.N) * time.Duration(s.LatencyMS) * time.Millisecond / Parallelism
}

// FloorFormula names what Floor computes.
func (s Scenario) FloorFormula() string {
	if s.Name == ScenarioRateLimit {
		return "N/R"
	}
	return fmt.Sprintf("N × latency / %d", Parallelism)
}

func (s Scenario) String() string {
	if s.Name == ScenarioRateLimit {
		return fmt.Sprintf("%d keys at %s requests per second", s.N, strconv.FormatFloat(s.RatePerSecond, 'f', -1, 64))
	}
	return fmt.Sprintf("%d keys with %d ms of latency", s.N, s.LatencyMS)
}

// ScenarioSample is one step of one repetition of a scenario.
type ScenarioSample struct {
	Scenario Scenario      `json:"scenario"`
	Step     Step          `json:"step"`
	Rep      int           `json:"rep"`
	Wall     time.Duration `json:"wall_ns"`
	Stats    sandbox.Stats `json:"stats"`
	// Error is why the step failed at its first try; empty when it did not.
	Error string `json:"error,omitempty"`
}

// ScenarioSummary is every repetition of one step of a scenario: medians of
// the wall time and the counts, and the repetitions that failed.
type ScenarioSummary struct {
	Scenario Scenario
	Step     Step
	Reps     int
	Failures int
	Wall     time.Duration
	Requests int
	// TooMany counts 429 answers; Worst429Share is the largest share of
	// requests they took in any repetition.
	TooMany       int
	Worst429Share float64
}

// SummarizeScenarios groups samples by scenario and step, in the order
// they were run.
func SummarizeScenarios(samples []ScenarioSample) []ScenarioSummary {
	type key struct {
		sc   Scenario
		step Step
	}
	var order []key
	groups := map[key][]ScenarioSample{}
	for _, s := range samples {
		k := key{s.Scenario, s.Step}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], s)
	}
	out := make([]ScenarioSummary, 0, len(order))
	for _, k := range order {
		g := groups[k]
		sum := ScenarioSummary{Scenario: k.sc, Step: k.step, Reps: len(g)}
		var walls []time.Duration
		var requests, tooMany []int
		for _, s := range g {
			if s.Error != "" {
				sum.Failures++
			}
			walls = append(walls, s.Wall)
			sent := RequestsOf(s.Stats).Total()
			requests = append(requests, sent)
			tooMany = append(tooMany, s.Stats.Responses["429"])
			if sent > 0 {
				sum.Worst429Share = max(sum.Worst429Share, float64(s.Stats.Responses["429"])/float64(sent))
			}
		}
		sum.Wall, _ = Median(walls)
		sum.Requests, _ = Median(requests)
		sum.TooMany, _ = Median(tooMany)
		out = append(out, sum)
	}
	return out
}

// scenarioMarkdown is the report's section on the scenarios, with the
// targets of the rate-limited ones.
func scenarioMarkdown(b *strings.Builder, sums []ScenarioSummary) {
	b.WriteString("\n## Under a rate limit and a latency\n\n")
	fmt.Fprintf(b, "`astral_api_key` applied and destroyed while the sandbox limits each key to R requests per second "+
		"(a token bucket with a burst of R) or delays every answer, at Terraform's parallelism of %d. The floor is the "+
		"least time the fault allows: N/R under the limit, N × latency / %d under the latency. "+
		"Wall time and requests are medians; a failed step counts as not at the first try, and is run again without "+
		"the fault before the next one.\n\n", Parallelism, Parallelism)
	b.WriteString("| scenario | step | first try | wall | floor | wall / floor | requests | 429 answers |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|\n")
	for _, s := range sums {
		fmt.Fprintf(b, "| %s | %s | %d of %d | %s | %s (%s) | %s | %d | %d (worst %s) |\n",
			s.Scenario, s.Step, s.Reps-s.Failures, s.Reps, seconds(s.Wall), seconds(s.Scenario.Floor()), s.Scenario.FloorFormula(),
			ratio(s.Wall, s.Scenario.Floor()), s.Requests, s.TooMany, percent(s.Worst429Share))
	}
	for _, sc := range uniqueScenarios(sums) {
		if sc.Name != ScenarioRateLimit {
			continue
		}
		var first, wall, share []string
		allFirst, allWall, allShare := true, true, true
		for _, s := range sums {
			if s.Scenario != sc {
				continue
			}
			q, ok := Ratio(s.Wall, sc.Floor())
			withinWall := ok && q <= RateLimitTargetRatio
			withinShare := s.Worst429Share <= Max429Share
			allFirst, allWall, allShare = allFirst && s.Failures == 0, allWall && withinWall, allShare && withinShare
			first = append(first, fmt.Sprintf("%s %d of %d", s.Step, s.Reps-s.Failures, s.Reps))
			wall = append(wall, fmt.Sprintf("%s %s", s.Step, ratio(s.Wall, sc.Floor())))
			share = append(share, fmt.Sprintf("%s %s", s.Step, percent(s.Worst429Share)))
		}
		fmt.Fprintf(b, "\nTargets for %s:\n\n", sc)
		fmt.Fprintf(b, "- Every step succeeds at its first try: %s (%s).\n", yesNo(allFirst), strings.Join(first, ", "))
		fmt.Fprintf(b, "- Wall time within %.2f× N/R: %s (%s).\n", RateLimitTargetRatio, yesNo(allWall), strings.Join(wall, ", "))
		fmt.Fprintf(b, "- 429 answers at most %s of requests in every repetition: %s (worst %s).\n",
			percent(Max429Share), yesNo(allShare), strings.Join(share, ", "))
	}
}

func uniqueScenarios(sums []ScenarioSummary) []Scenario {
	var out []Scenario
	for _, s := range sums {
		if !slices.Contains(out, s.Scenario) {
			out = append(out, s.Scenario)
		}
	}
	return out
}

func percent(f float64) string { return fmt.Sprintf("%.1f %%", 100*f) }
