package benchmark

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// TargetRatio is how far above the floor apply and refresh may go.
const TargetRatio = 1.5

// Machine describes where and when the benchmark ran.
type Machine struct {
	Date             time.Time `json:"date"`
	CPUs             int       `json:"cpus"`
	CPUModel         string    `json:"cpu_model"`
	OS               string    `json:"os"`
	GoVersion        string    `json:"go_version"`
	TerraformVersion string    `json:"terraform_version"`
	// LoadBefore and LoadAfter are /proc/loadavg at the start and the end:
	// other work on the machine skews every figure.
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

// Report is everything the Markdown page shows.
type Report struct {
	Machine   Machine
	Ns        []int
	Reps      map[int]int
	Summaries map[Key]Summary
	Duration  time.Duration
}

// Markdown renders the report as a page: how it was measured, the table of
// results, the breakdown of where the time goes, and the targets.
func (r Report) Markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# Benchmark: N API keys against Terraform's floor\n\n")
	fmt.Fprintf(&b, "Measured %s on %d CPUs (%s, %s); %s; %s. Load average (1, 5, 15 min) %s before, %s after; the run took %s.\n\n",
		m.Date.UTC().Format("2006-01-02 15:04 MST"), m.CPUs, orUnknown(m.CPUModel), orUnknown(m.OS),
		orUnknown(m.GoVersion), orUnknown(m.TerraformVersion), orUnknown(m.LoadBefore), orUnknown(m.LoadAfter),
		r.Duration.Round(time.Second))
	b.WriteString("Each repetition runs `terraform apply -auto-approve`, `terraform plan -detailed-exitcode` " +
		"(which refreshes and must find no changes) and `terraform destroy -auto-approve` on N `astral_api_key` " +
		"resources (provider) and on N `terraform_data` resources (floor), in alternating order, with " +
		"`TF_IN_AUTOMATION=1`, `-input=false` and Terraform's default parallelism (10). The provider is the " +
		"built binary, the API the sandbox server on a file-backed SQLite database. Figures are medians over " +
		"the repetitions (")
	var reps []string
	for _, n := range r.Ns {
		reps = append(reps, fmt.Sprintf("%d for N = %d", r.Reps[n], n))
	}
	b.WriteString(strings.Join(reps, ", "))
	b.WriteString("). Requests are counted by the sandbox; the minimum is the fewest calls the API contract " +
		"allows. Peak RSS is the largest provider process of the step.\n\n")

	b.WriteString("## Results\n\n")
	b.WriteString("| N | step | floor | provider | ratio | provider peak RSS | requests | contract minimum | beyond the minimum | refresh by pages |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---|---|---|---|\n")
	r.each(func(n int, step Step, p, f Summary) {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			n, step, seconds(f.Wall), seconds(p.Wall), ratio(p.Wall, f.Wall), mebibytes(p.ProviderMaxRSS),
			p.Requests, p.Check.Minimum, findings(p.Findings), pages(p.Check))
	})

	b.WriteString("\n## Where the time goes\n\n")
	b.WriteString("CPU time of each process during the step, and the sum of the times the sandbox logged " +
		"for its API requests (medians). Requests overlap up to Terraform's parallelism, so the API's share " +
		"of the wall time is at least its sum divided by 10. Wall time covered by none of these is spent " +
		"waiting: on round trips, on SQLite's fsync, on process start-up and the plugin handshake.\n\n")
	b.WriteString("| N | step | provider wall | terraform CPU | provider CPU | sandbox CPU | API requests' time | provider processes | floor wall | floor terraform CPU |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	r.each(func(n int, step Step, p, f Summary) {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %d | %s | %s |\n",
			n, step, seconds(p.Wall), seconds(p.TerraformCPU), seconds(p.ProviderCPU), seconds(p.SandboxCPU),
			seconds(p.APIBusy), p.ProviderStarts, seconds(f.Wall), seconds(f.TerraformCPU))
	})

	if len(r.Ns) > 0 {
		n := slices.Max(r.Ns)
		fmt.Fprintf(&b, "\n## Targets at N = %d\n\n", n)
		for _, step := range []Step{StepApply, StepPlan} {
			p, f := r.Summaries[Key{KindProvider, step, n}], r.Summaries[Key{KindFloor, step, n}]
			fmt.Fprintf(&b, "- %s within %.1f× the floor: %s (%s).\n", step, TargetRatio,
				yesNo(withinRatio(p.Wall, f.Wall)), ratio(p.Wall, f.Wall))
		}
		var beyond []string
		for _, step := range Steps {
			if fs := r.Summaries[Key{KindProvider, step, n}].Findings; len(fs) > 0 {
				beyond = append(beyond, fmt.Sprintf("%s: %s", step, strings.Join(fs, "; ")))
			}
		}
		fmt.Fprintf(&b, "- Exactly the contract's minimum of requests: %s", yesNo(len(beyond) == 0))
		if len(beyond) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(beyond, "; "))
		}
		b.WriteString(".\n")
		p := r.Summaries[Key{KindProvider, StepPlan, n}]
		fmt.Fprintf(&b, "- Refresh costs requests in proportion to pages: %s (%d requests for %d keys: %d list, %d read; a full listing takes %s, and up to %d keys may be read on their own).\n",
			yesNo(p.Check.WithinPages), p.Requests.Read+p.Requests.List, n, p.Requests.List, p.Requests.Read, plural(p.Check.PageBudget, "page"), MissBudget)
	}
	return b.String()
}

// each calls f for every N and step that has both a provider and a floor summary.
func (r Report) each(f func(n int, step Step, provider, floor Summary)) {
	for _, n := range r.Ns {
		for _, step := range Steps {
			p, okP := r.Summaries[Key{KindProvider, step, n}]
			fl, okF := r.Summaries[Key{KindFloor, step, n}]
			if okP && okF {
				f(n, step, p, fl)
			}
		}
	}
}

func withinRatio(provider, floor time.Duration) bool {
	q, ok := Ratio(provider, floor)
	return ok && q <= TargetRatio
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func ratio(provider, floor time.Duration) string {
	q, ok := Ratio(provider, floor)
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", q)
}

func mebibytes(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func findings(fs []string) string {
	if len(fs) == 0 {
		return "none"
	}
	return strings.Join(fs, "; ")
}

func pages(c Check) string {
	if c.PageBudget == 0 {
		return "–"
	}
	target := fmt.Sprintf("≤ %d list + ≤ %d read", c.PageBudget, MissBudget)
	if c.WithinPages {
		return "yes (" + target + ")"
	}
	return "no (target " + target + ")"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
