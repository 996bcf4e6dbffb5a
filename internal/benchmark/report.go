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
	// Scenarios are the runs under a rate limit or a latency, if any.
	Scenarios []ScenarioSummary
	// Fleets are the steps of many runs on one key, if any.
	Fleets   []FleetSample
	Duration time.Duration
}

// kindLabels name each kind in the report's prose and headers.
var kindLabels = map[Kind]string{
	KindFloor:       "floor",
	KindPluginFloor: "plugin floor",
	KindSchemaFloor: "schema floor",
	KindProvider:    "provider",
}

// Markdown renders the report as a page: how it was measured, the table of
// results and what it decomposes into, the provider's requests, the
// breakdown of where the time goes, and the targets.
func (r Report) Markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# Benchmark: N API keys against Terraform's floor\n\n")
	fmt.Fprintf(&b, "Measured %s on %d CPUs (%s, %s); %s; %s. Load average (1, 5, 15 min) %s before, %s after; the run took %s.\n\n",
		m.Date.UTC().Format("2006-01-02 15:04 MST"), m.CPUs, orUnknown(m.CPUModel), orUnknown(m.OS),
		orUnknown(m.GoVersion), orUnknown(m.TerraformVersion), orUnknown(m.LoadBefore), orUnknown(m.LoadAfter),
		r.Duration.Round(time.Second))
	b.WriteString("Each repetition runs `terraform apply -auto-approve`, `terraform plan -detailed-exitcode` " +
		"(which refreshes and must find no changes) and `terraform destroy -auto-approve` on N resources of each of four kinds, " +
		"in rotating order:\n\n" +
		"- floor: `terraform_data`, built into Terraform, the cost no provider can beat;\n" +
		"- plugin floor: `floor_data`, the same resource served by a plugin that does nothing else;\n" +
		"- schema floor: `floor_api_key`, `astral_api_key`'s schema in that plugin, with state of the same size but none of the provider's code and no API;\n" +
		"- provider: `astral_api_key`, the built provider against the sandbox server on a file-backed SQLite database.\n\n" +
		"Terraform runs with `TF_IN_AUTOMATION=1`, `-input=false` and its default parallelism (10); both plugins are served " +
		"with the same process settings. Figures are medians over the repetitions (")
	var reps []string
	for _, n := range r.Ns {
		reps = append(reps, fmt.Sprintf("%d for N = %d", r.Reps[n], n))
	}
	b.WriteString(strings.Join(reps, ", "))
	b.WriteString(").\n\n")

	b.WriteString("## Results\n\n")
	b.WriteString("| N | step | floor | plugin floor | schema floor | provider | provider / floor | plugin floor / floor | schema floor / floor | provider / schema floor |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	r.each(func(n int, step Step) {
		wall := func(k Kind) time.Duration { return r.Summaries[Key{k, step, n}].Wall }
		cell := func(k Kind) string {
			if _, ok := r.Summaries[Key{k, step, n}]; !ok {
				return "–"
			}
			return seconds(wall(k))
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", n, step,
			cell(KindFloor), cell(KindPluginFloor), cell(KindSchemaFloor), cell(KindProvider),
			ratio(wall(KindProvider), wall(KindFloor)), ratio(wall(KindPluginFloor), wall(KindFloor)),
			ratio(wall(KindSchemaFloor), wall(KindFloor)), ratio(wall(KindProvider), wall(KindSchemaFloor)))
	})
	b.WriteString("\nHow to read the ratios: provider / floor = schema floor / floor × provider / schema floor.\n\n" +
		"- schema floor / floor is what Terraform itself charges for a plugin resource with `astral_api_key`'s schema, " +
		"whatever the provider does. Part of it is the plugin (plugin floor / floor): for every resource Terraform calls " +
		"the plugin over gRPC and converts each value to msgpack and cty and back, work that `terraform_data`, inside " +
		"Terraform's process, never does. The rest is the schema: after each resource Terraform rewrites the whole state " +
		"file, so apply and destroy grow with the bytes each instance takes in the state, and a key takes about twice " +
		"the bytes of a `terraform_data`.\n" +
		"- provider / schema floor is what this provider's own code adds: validation, plan changes, API calls and the " +
		"server behind them.\n")

	b.WriteString("\n## Requests\n\n")
	b.WriteString("The provider's API calls as the sandbox counted them, from the repetition with the median total; " +
		"the minimum is the fewest calls the API contract allows. The floors made none: the run fails if they make any.\n\n")
	b.WriteString("| N | step | requests | contract minimum | beyond the minimum | refresh by pages |\n")
	b.WriteString("|---:|---|---|---|---|---|\n")
	r.each(func(n int, step Step) {
		p, ok := r.Summaries[Key{KindProvider, step, n}]
		if !ok {
			return
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n",
			n, step, p.Requests, p.Check.Minimum, findings(p.Findings), pages(p.Check))
	})

	b.WriteString("\n## Where the time goes\n\n")
	b.WriteString("CPU time of each process during the step (medians): Terraform's own, the plugin processes' " +
		"(with the largest one's peak resident set), and for the provider the sandbox's and the sum of the times " +
		"it logged for its API requests. Requests overlap up to Terraform's parallelism, so the API's share " +
		"of the wall time is at least its sum divided by 10. Wall time covered by none of these is spent " +
		"waiting: on round trips, on SQLite's fsync, on process start-up and the plugin handshake.\n\n")
	b.WriteString("| N | step | kind | wall | terraform CPU | plugin CPU | plugin peak RSS | plugin processes | sandbox CPU | API requests' time |\n")
	b.WriteString("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	r.each(func(n int, step Step) {
		for _, k := range Kinds {
			s, ok := r.Summaries[Key{k, step, n}]
			if !ok {
				continue
			}
			plugin, rss, starts, sandbox, api := "–", "–", "–", "–", "–"
			if k != KindFloor {
				plugin, rss, starts = seconds(s.ProviderCPU), mebibytes(s.ProviderMaxRSS), fmt.Sprint(s.ProviderStarts)
			}
			if k == KindProvider {
				sandbox, api = seconds(s.SandboxCPU), seconds(s.APIBusy)
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				n, step, kindLabels[k], seconds(s.Wall), seconds(s.TerraformCPU), plugin, rss, starts, sandbox, api)
		}
	})

	if len(r.Ns) > 0 {
		n := slices.Max(r.Ns)
		fmt.Fprintf(&b, "\n## Targets at N = %d\n\n", n)
		wall := func(k Kind, step Step) time.Duration { return r.Summaries[Key{k, step, n}].Wall }
		for _, step := range []Step{StepApply, StepPlan} {
			fmt.Fprintf(&b, "- %s within %.1f× the floor: %s (%s).\n", step, TargetRatio,
				yesNo(withinRatio(wall(KindProvider, step), wall(KindFloor, step))), ratio(wall(KindProvider, step), wall(KindFloor, step)))
		}
		for _, line := range []struct {
			what     string
			num, den Kind
		}{
			{"Any plugin resource (plugin floor / floor)", KindPluginFloor, KindFloor},
			{"`astral_api_key`'s schema without the provider's code (schema floor / floor)", KindSchemaFloor, KindFloor},
			{"What this provider's own code adds (provider / schema floor)", KindProvider, KindSchemaFloor},
		} {
			var parts []string
			for _, step := range Steps {
				parts = append(parts, fmt.Sprintf("%s %s", step, ratio(wall(line.num, step), wall(line.den, step))))
			}
			fmt.Fprintf(&b, "- %s: %s.\n", line.what, strings.Join(parts, ", "))
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
	if len(r.Scenarios) > 0 {
		scenarioMarkdown(&b, r.Scenarios)
	}
	if len(r.Fleets) > 0 {
		fleetMarkdown(&b, r.Fleets)
	}
	return b.String()
}

// each calls f for every N and step that has a summary of any kind.
func (r Report) each(f func(n int, step Step)) {
	for _, n := range r.Ns {
		for _, step := range Steps {
			if slices.ContainsFunc(Kinds, func(k Kind) bool { _, ok := r.Summaries[Key{k, step, n}]; return ok }) {
				f(n, step)
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
