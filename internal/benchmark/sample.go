// Package benchmark holds the pure parts of the benchmark that compares the
// provider with Terraform's own floor: statistics, the request budget the API
// contract allows, and the Markdown and SVG reports. The program that runs
// Terraform and the sandbox is cmd/astral-bench.
package benchmark

import (
	"cmp"
	"slices"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// Kind says which configuration a sample measured.
type Kind string

const (
	// KindFloor is N terraform_data resources: Terraform's built-in resource,
	// the cost no provider can beat.
	KindFloor Kind = "floor"
	// KindPluginFloor is N floor_data resources: terraform_data served by a
	// plugin that does nothing else, the cost any provider adds.
	KindPluginFloor Kind = "plugin-floor"
	// KindSchemaFloor is N floor_api_key resources: astral_api_key's schema
	// and state with no code and no API behind them, the cost of the schema.
	KindSchemaFloor Kind = "schema-floor"
	// KindProvider is N astral_api_key resources.
	KindProvider Kind = "provider"
)

// Kinds are every kind, from the cheapest to the dearest.
var Kinds = []Kind{KindFloor, KindPluginFloor, KindSchemaFloor, KindProvider}

// Step is one Terraform command of the benchmark.
type Step string

const (
	StepApply   Step = "apply"
	StepPlan    Step = "plan"
	StepDestroy Step = "destroy"
)

// Steps are the steps in the order each configuration runs them.
var Steps = []Step{StepApply, StepPlan, StepDestroy}

// Sample is one measured run of one step.
type Sample struct {
	Kind Kind `json:"kind"`
	Step Step `json:"step"`
	N    int  `json:"n"`
	Rep  int  `json:"rep"`

	Wall time.Duration `json:"wall_ns"`
	// TerraformCPU is the CPU time of the terraform process and its
	// children, minus ProviderCPU: Terraform's own work.
	TerraformCPU time.Duration `json:"terraform_cpu_ns"`
	// ProviderCPU is the CPU time of every provider process of the step.
	ProviderCPU time.Duration `json:"provider_cpu_ns"`
	// SandboxCPU is the CPU time the sandbox server spent during the step.
	SandboxCPU time.Duration `json:"sandbox_cpu_ns"`
	// APIBusy is the sum of the durations the sandbox logged for the
	// step's API requests.
	APIBusy time.Duration `json:"api_busy_ns"`
	// ProviderMaxRSS is the largest peak resident set, in bytes, of the
	// provider processes Terraform started during the step.
	ProviderMaxRSS int64 `json:"provider_max_rss_bytes"`
	// ProviderStarts counts the provider processes Terraform started.
	ProviderStarts int `json:"provider_starts"`

	Stats sandbox.Stats `json:"stats"`
}

// Median returns the median of xs (the mean of the two middle values when
// len(xs) is even) and false when xs is empty.
func Median[T ~int | ~int64 | ~float64](xs []T) (T, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid], true
	}
	return s[mid-1] + (s[mid]-s[mid-1])/2, true
}

// Ratio is provider/floor, and false when either is not positive (not
// measured).
func Ratio(provider, floor time.Duration) (float64, bool) {
	if provider <= 0 || floor <= 0 {
		return 0, false
	}
	return float64(provider) / float64(floor), true
}

// Key identifies a cell of the report.
type Key struct {
	Kind Kind
	Step Step
	N    int
}

// Summary is the median of every repetition of one step of one configuration.
type Summary struct {
	Key
	Reps           int
	Wall           time.Duration
	TerraformCPU   time.Duration
	ProviderCPU    time.Duration
	SandboxCPU     time.Duration
	APIBusy        time.Duration
	ProviderMaxRSS int64
	ProviderStarts int
	// Requests are the calls of the repetition with the median total, so
	// that its kinds add up, and Check holds them against the contract.
	Requests Requests
	Check    Check
	// Findings collects, without repeats, what any repetition did beyond
	// the contract's minimum.
	Findings []string
}

// Summarize groups samples by kind, step and N and takes medians. active
// gives, per N, the number of active keys in the organization during the
// refresh; it sets the page budget of CheckRequests.
func Summarize(samples []Sample, active map[int]int) map[Key]Summary {
	groups := map[Key][]Sample{}
	for _, s := range samples {
		k := Key{s.Kind, s.Step, s.N}
		groups[k] = append(groups[k], s)
	}
	out := make(map[Key]Summary, len(groups))
	for k, g := range groups {
		sum := Summary{Key: k, Reps: len(g)}
		sum.Wall = medianOf(g, func(s Sample) time.Duration { return s.Wall })
		sum.TerraformCPU = medianOf(g, func(s Sample) time.Duration { return s.TerraformCPU })
		sum.ProviderCPU = medianOf(g, func(s Sample) time.Duration { return s.ProviderCPU })
		sum.SandboxCPU = medianOf(g, func(s Sample) time.Duration { return s.SandboxCPU })
		sum.APIBusy = medianOf(g, func(s Sample) time.Duration { return s.APIBusy })
		sum.ProviderMaxRSS = medianOf(g, func(s Sample) int64 { return s.ProviderMaxRSS })
		sum.ProviderStarts = medianOf(g, func(s Sample) int { return s.ProviderStarts })
		if k.Kind == KindProvider {
			byTotal := slices.Clone(g)
			slices.SortFunc(byTotal, func(a, b Sample) int {
				return cmp.Compare(RequestsOf(a.Stats).Total(), RequestsOf(b.Stats).Total())
			})
			mid := byTotal[(len(byTotal)-1)/2].Stats
			sum.Requests = RequestsOf(mid)
			sum.Check = CheckRequests(k.Step, k.N, active[k.N], mid)
			for _, s := range g {
				for _, f := range CheckRequests(k.Step, k.N, active[k.N], s.Stats).Findings {
					if !slices.Contains(sum.Findings, f) {
						sum.Findings = append(sum.Findings, f)
					}
				}
			}
		}
		out[k] = sum
	}
	return out
}

func medianOf[T ~int | ~int64](g []Sample, f func(Sample) T) T {
	xs := make([]T, len(g))
	for i, s := range g {
		xs[i] = f(s)
	}
	m, _ := Median(xs)
	return m
}
