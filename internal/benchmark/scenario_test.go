package benchmark

import (
	"strings"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

func TestParseScenario(t *testing.T) {
	tests := []struct {
		name, value string
		want        Scenario
		wantErr     bool
	}{
		{ScenarioRateLimit, "120:8", Scenario{Name: ScenarioRateLimit, N: 120, RatePerSecond: 8}, false},
		{ScenarioRateLimit, "10:0.5", Scenario{Name: ScenarioRateLimit, N: 10, RatePerSecond: 0.5}, false},
		{ScenarioLatency, "200:50", Scenario{Name: ScenarioLatency, N: 200, LatencyMS: 50}, false},
		{ScenarioRateLimit, "120", Scenario{}, true},
		{ScenarioRateLimit, "0:8", Scenario{}, true},
		{ScenarioRateLimit, "120:0", Scenario{}, true},
		{ScenarioRateLimit, "120:fast", Scenario{}, true},
		{ScenarioLatency, "200:0.5", Scenario{}, true},
		{"other", "1:1", Scenario{}, true},
	}
	for _, tt := range tests {
		got, err := ParseScenario(tt.name, tt.value)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseScenario(%q, %q) = %+v, %v; want %+v, error %v", tt.name, tt.value, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestScenarioFloor(t *testing.T) {
	tests := []struct {
		sc          Scenario
		want        time.Duration
		formula     string
		faults      sandbox.Faults
		description string
	}{
		{Scenario{Name: ScenarioRateLimit, N: 120, RatePerSecond: 8}, 15 * time.Second, "N/R",
			sandbox.Faults{RateLimitPerSecond: 8}, "120 keys at 8 requests per second"},
		{Scenario{Name: ScenarioLatency, N: 200, LatencyMS: 50}, time.Second, "N × latency / 10",
			sandbox.Faults{LatencyMS: 50}, "200 keys with 50 ms of latency"},
	}
	for _, tt := range tests {
		if got := tt.sc.Floor(); got != tt.want {
			t.Errorf("%v: Floor() = %s, want %s", tt.sc, got, tt.want)
		}
		if got := tt.sc.FloorFormula(); got != tt.formula {
			t.Errorf("%v: FloorFormula() = %q, want %q", tt.sc, got, tt.formula)
		}
		if got := tt.sc.Faults(); got != tt.faults {
			t.Errorf("%v: Faults() = %+v, want %+v", tt.sc, got, tt.faults)
		}
		if got := tt.sc.String(); got != tt.description {
			t.Errorf("String() = %q, want %q", got, tt.description)
		}
	}
}

func scenarioSample(sc Scenario, step Step, rep int, wall time.Duration, creates, tooMany int, failure string) ScenarioSample {
	route := map[Step]string{StepApply: "POST /v1/api-keys", StepDestroy: "DELETE /v1/api-keys/{id}"}[step]
	return ScenarioSample{
		Scenario: sc, Step: step, Rep: rep, Wall: wall, Error: failure,
		Stats: stats(map[string]int{route: creates + tooMany, "GET /v1/me": 2}, map[string]int{"429": tooMany}),
	}
}

func testScenarios() []ScenarioSummary {
	limited := Scenario{Name: ScenarioRateLimit, N: 120, RatePerSecond: 8}
	slow := Scenario{Name: ScenarioLatency, N: 200, LatencyMS: 50}
	return SummarizeScenarios([]ScenarioSample{
		scenarioSample(limited, StepApply, 1, 16*time.Second, 120, 2, ""),
		scenarioSample(limited, StepDestroy, 1, 16500*time.Millisecond, 120, 0, ""),
		scenarioSample(limited, StepApply, 2, 17*time.Second, 120, 10, ""),
		scenarioSample(limited, StepDestroy, 2, 20*time.Second, 120, 0, "terraform destroy: exit status 1"),
		scenarioSample(limited, StepApply, 3, 15500*time.Millisecond, 120, 0, ""),
		scenarioSample(limited, StepDestroy, 3, 16*time.Second, 120, 1, ""),
		scenarioSample(slow, StepApply, 1, 3*time.Second, 200, 0, ""),
		scenarioSample(slow, StepDestroy, 1, 4*time.Second, 200, 0, ""),
	})
}

func TestSummarizeScenarios(t *testing.T) {
	sums := testScenarios()
	if len(sums) != 4 {
		t.Fatalf("%d summaries, want 4: %+v", len(sums), sums)
	}
	apply, destroy := sums[0], sums[1]
	if apply.Step != StepApply || apply.Reps != 3 || apply.Failures != 0 || apply.Wall != 16*time.Second ||
		apply.Requests != 124 || apply.TooMany != 2 {
		t.Errorf("apply summary %+v, want 3 reps, no failure, wall 16 s, 124 requests, 2 429s (medians)", apply)
	}
	// 10 of 132 requests in the second repetition.
	if want := 10.0 / 132; apply.Worst429Share != want {
		t.Errorf("worst 429 share %v, want %v", apply.Worst429Share, want)
	}
	if destroy.Step != StepDestroy || destroy.Failures != 1 || destroy.Wall != 16500*time.Millisecond {
		t.Errorf("destroy summary %+v, want one failure and a median wall of 16.5 s", destroy)
	}
	if sums[2].Scenario.Name != ScenarioLatency || sums[2].Step != StepApply || sums[3].Step != StepDestroy {
		t.Errorf("summaries are not in the order of the samples: %+v", sums)
	}
}

func TestScenarioMarkdown(t *testing.T) {
	r := testReport()
	r.Scenarios = testScenarios()
	md := r.Markdown()
	for _, want := range []string{
		"## Under a rate limit and a latency",
		"| 120 keys at 8 requests per second | apply | 3 of 3 | 16.00 s | 15.00 s (N/R) | 1.07× | 124 | 2 (worst 7.6 %) |\n",
		"| 120 keys at 8 requests per second | destroy | 2 of 3 | 16.50 s | 15.00 s (N/R) | 1.10× | 122 | 0 (worst 0.8 %) |\n",
		"| 200 keys with 50 ms of latency | apply | 1 of 1 | 3.00 s | 1.00 s (N × latency / 10) | 3.00× | 202 | 0 (worst 0.0 %) |\n",
		"Targets for 120 keys at 8 requests per second:",
		"- Every step succeeds at its first try: no (apply 3 of 3, destroy 2 of 3).",
		"- Wall time within 1.15× N/R: yes (apply 1.07×, destroy 1.10×).",
		"- 429 answers at most 5.0 % of requests in every repetition: no (worst apply 7.6 %, destroy 0.8 %).",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q; got:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Targets for 200 keys") {
		t.Errorf("Markdown sets targets for the latency scenario, which has none:\n%s", md)
	}
	if strings.Contains(testReport().Markdown(), "## Under a rate limit") {
		t.Error("a report without scenarios has their section")
	}
}
