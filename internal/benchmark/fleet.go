package benchmark

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

// Fleet is Dirs working directories of N astral_api_key resources each,
// applied at once and then destroyed at once, all with the head coach's
// key, while the sandbox allows that key RatePerSecond requests per
// second: the runs of an orchestrator (Terragrunt's run --all, a CI
// matrix) on one key.
type Fleet struct {
	Dirs          int     `json:"dirs"`
	N             int     `json:"n"`
	RatePerSecond float64 `json:"rate_per_second"`
}

// ParseFleets reads a comma-separated list of "KxN:R": K directories of N
// keys at R requests per second. An empty list is none.
func ParseFleets(s string) ([]Fleet, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []Fleet
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		size, rate, ok := strings.Cut(f, ":")
		kStr, nStr, okSize := strings.Cut(size, "x")
		k, errK := strconv.Atoi(kStr)
		n, errN := strconv.Atoi(nStr)
		if !ok || !okSize || errK != nil || errN != nil || k < 1 || n < 1 {
			return nil, fmt.Errorf("-fleet: %q is not KxN:R with K directories and N keys, both positive", f)
		}
		r, err := strconv.ParseFloat(rate, 64)
		if err != nil || !(r > 0) {
			return nil, fmt.Errorf("-fleet: %q in %q is not a positive rate per second", rate, f)
		}
		out = append(out, Fleet{Dirs: k, N: n, RatePerSecond: r})
	}
	return out, nil
}

// Faults are the sandbox's faults while the fleet runs a step.
func (f Fleet) Faults() sandbox.Faults {
	return sandbox.Faults{RateLimitPerSecond: f.RatePerSecond}
}

func (f Fleet) String() string {
	return fmt.Sprintf("%d × %d keys at %s/s", f.Dirs, f.N, strconv.FormatFloat(f.RatePerSecond, 'f', -1, 64))
}

// FleetSample is one step of a fleet: every directory's terraform command,
// started at once.
type FleetSample struct {
	Fleet Fleet `json:"fleet"`
	Step  Step  `json:"step"`
	Rep   int   `json:"rep"`
	// Wall runs from the start of the commands to the end of the last.
	Wall  time.Duration `json:"wall_ns"`
	Stats sandbox.Stats `json:"stats"`
	// Errors are the first lines of the commands that failed at their
	// first try, one per directory; empty when none did.
	Errors []string `json:"errors,omitempty"`
}

// Requests is every request of the step; Refused, those answered 429.
func (s FleetSample) Requests() int { return RequestsOf(s.Stats).Total() }

// Refused counts the requests answered 429.
func (s FleetSample) Refused() int { return s.Stats.Responses["429"] }

// Ideal is the least time the rate limit allows the requests that
// succeeded (requests less the 429s).
func (s FleetSample) Ideal() time.Duration {
	return time.Duration(float64(s.Requests()-s.Refused()) / s.Fleet.RatePerSecond * float64(time.Second))
}

// Share429 is the share of requests refused with 429.
func (s FleetSample) Share429() float64 {
	if s.Requests() == 0 {
		return 0
	}
	return float64(s.Refused()) / float64(s.Requests())
}

// fleetMarkdown is the report's section on fleets, with their targets.
func fleetMarkdown(b *strings.Builder, samples []FleetSample) {
	b.WriteString("\n## Many runs on one key\n\n")
	fmt.Fprintf(b, "K working directories of N `astral_api_key` each, all with the head coach's key, applied at once "+
		"(K `terraform apply` started together) and then destroyed at once, while the sandbox allows that key R requests "+
		"per second (a token bucket with a burst of R); each Terraform runs at its parallelism of %d. The ideal is the "+
		"least time the limit allows the requests that succeeded: (requests − 429 answers) / R. A step that fails counts "+
		"as not at the first try, and is run again without the limit before the next one.\n\n", Parallelism)
	b.WriteString("| fleet | step | first try | wall | ideal | wall / ideal | requests | 429 answers |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|\n")
	for _, s := range samples {
		fmt.Fprintf(b, "| %s | %s | %d of %d | %s | %s | %s | %d | %d (%s) |\n",
			s.Fleet, s.Step, s.Fleet.Dirs-len(s.Errors), s.Fleet.Dirs, seconds(s.Wall), seconds(s.Ideal()),
			ratio(s.Wall, s.Ideal()), s.Requests(), s.Refused(), percent(s.Share429()))
	}
	var fleets []Fleet
	for _, s := range samples {
		if len(fleets) == 0 || fleets[len(fleets)-1] != s.Fleet {
			fleets = append(fleets, s.Fleet)
		}
	}
	for _, f := range fleets {
		var first, wall, share []string
		allFirst, allWall, allShare := true, true, true
		for _, s := range samples {
			if s.Fleet != f {
				continue
			}
			q, ok := Ratio(s.Wall, s.Ideal())
			allFirst = allFirst && len(s.Errors) == 0
			allWall = allWall && ok && q <= RateLimitTargetRatio
			allShare = allShare && s.Share429() <= Max429Share
			first = append(first, fmt.Sprintf("%s %d of %d", s.Step, s.Fleet.Dirs-len(s.Errors), s.Fleet.Dirs))
			wall = append(wall, fmt.Sprintf("%s %s", s.Step, ratio(s.Wall, s.Ideal())))
			share = append(share, fmt.Sprintf("%s %s", s.Step, percent(s.Share429())))
		}
		fmt.Fprintf(b, "\nTargets for %s:\n\n", f)
		fmt.Fprintf(b, "- Every run succeeds at its first try: %s (%s).\n", yesNo(allFirst), strings.Join(first, ", "))
		fmt.Fprintf(b, "- Wall time within %.2f× the ideal: %s (%s).\n", RateLimitTargetRatio, yesNo(allWall), strings.Join(wall, ", "))
		fmt.Fprintf(b, "- 429 answers at most %s of requests: %s (%s).\n", percent(Max429Share), yesNo(allShare), strings.Join(share, ", "))
	}
}
