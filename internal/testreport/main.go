// Command testreport reads `go test -json` on its standard input and prints
// what a plain `go test` would (each package's result, the output of the
// tests that failed), then how many acceptance tests (TestAcc*) ran, passed,
// failed and were skipped, and why they were skipped, so that a run with
// each CLI says what it covered. It exits with 1 when a test or a package
// failed, or when the input holds no package's result.
//
//	go test -json ./internal/provider | go run ./internal/testreport -label "Terraform 1.15.9"
package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
)

// event is a line of `go test -json` (go doc test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

// testTime is how long a top-level test ran, in seconds.
type testTime struct {
	test    string
	seconds float64
}

// slowestShown is how many of the slowest tests a summary names.
const slowestShown = 6

// testKey names a test within its package.
type testKey struct{ pkg, test string }

// report is what the events have said so far.
type report struct {
	out io.Writer
	// output holds each test's lines until its result says whether to print
	// them.
	output map[testKey][]string
	// ran and skipped count the acceptance tests by their top-level name.
	ran, passed, failed int
	// skips holds the skipped acceptance tests by the reason they gave.
	skips map[string][]string
	// took holds how long each top-level test that passed or failed ran.
	took     []testTime
	packages int
	anyFail  bool
}

func newReport(out io.Writer) *report {
	return &report{out: out, output: map[testKey][]string{}, skips: map[string][]string{}}
}

func (r *report) add(e event) {
	key := testKey{e.Package, e.Test}
	switch e.Action {
	case "output":
		if e.Test == "" {
			// A package's own lines: its result ("ok", "FAIL") and what a
			// test binary printed outside any test.
			if !strings.HasPrefix(e.Output, "PASS") && !strings.HasPrefix(e.Output, "FAIL\n") {
				fmt.Fprint(r.out, e.Output)
			}
			return
		}
		r.output[key] = append(r.output[key], e.Output)
	case "build-output":
		fmt.Fprint(r.out, e.Output)
	case "pass", "fail", "skip":
		if e.Test == "" {
			r.packages++
			r.anyFail = r.anyFail || e.Action == "fail"
			return
		}
		r.result(key, e.Action)
		if e.Action != "skip" && !strings.Contains(e.Test, "/") {
			r.took = append(r.took, testTime{e.Test, e.Elapsed})
		}
	}
}

func (r *report) result(key testKey, action string) {
	lines := r.output[key]
	delete(r.output, key)
	if action == "fail" {
		r.anyFail = true
		for _, l := range lines {
			fmt.Fprint(r.out, l)
		}
	}
	if !strings.HasPrefix(key.test, "TestAcc") || strings.Contains(key.test, "/") {
		return
	}
	switch action {
	case "skip":
		reason := skipReason(lines)
		r.skips[reason] = append(r.skips[reason], key.test)
	case "pass":
		r.ran++
		r.passed++
	case "fail":
		r.ran++
		r.failed++
	}
}

// logLine is a line that t.Log or t.Skip wrote: "    file_test.go:12: text".
var logLine = regexp.MustCompile(`^\s+\S+\.go:\d+: (.*)$`)

// skipReason is what a skipped test logged, without file and line.
func skipReason(lines []string) string {
	var reason []string
	for _, l := range lines {
		if m := logLine.FindStringSubmatch(strings.TrimRight(l, "\n")); m != nil {
			reason = append(reason, m[1])
		}
	}
	if len(reason) == 0 {
		return "no reason given"
	}
	return strings.Join(reason, " ")
}

// unfinished prints the output of the tests that never reported a result:
// those a timeout or a crash of the test binary ended, whose last lines say
// where they were.
func (r *report) unfinished() {
	keys := make([]testKey, 0, len(r.output))
	for key := range r.output {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b testKey) int { return strings.Compare(a.pkg+" "+a.test, b.pkg+" "+b.test) })
	for _, key := range keys {
		fmt.Fprintf(r.out, "--- UNFINISHED: %s (%s)\n", key.test, key.pkg)
		for _, l := range r.output[key] {
			fmt.Fprint(r.out, l)
		}
		if strings.HasPrefix(key.test, "TestAcc") && !strings.Contains(key.test, "/") {
			r.ran++
			r.failed++
		}
		r.anyFail = true
	}
}

// summary prints the counts of the acceptance tests under label.
func (r *report) summary(label string) {
	skipped := 0
	for _, tests := range r.skips {
		skipped += len(tests)
	}
	if r.ran+skipped == 0 {
		// A run that left the acceptance tests out (go test -skip).
		fmt.Fprintf(r.out, "%s: %d packages, no acceptance test among what ran\n", label, r.packages)
		r.slowest()
		return
	}
	fmt.Fprintf(r.out, "%s: %d acceptance tests ran (%d passed, %d failed), %d skipped\n", label, r.ran, r.passed, r.failed, skipped)
	reasons := make([]string, 0, len(r.skips))
	for reason := range r.skips {
		reasons = append(reasons, reason)
	}
	// The most frequent reason first, then by text, so runs compare line by line.
	slices.SortFunc(reasons, func(a, b string) int {
		if d := len(r.skips[b]) - len(r.skips[a]); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, reason := range reasons {
		tests := r.skips[reason]
		slices.Sort(tests)
		fmt.Fprintf(r.out, "  %d skipped: %s\n    %s\n", len(tests), reason, strings.Join(tests, ", "))
	}
	r.slowest()
}

// slowest names the tests that ran longest, where a run's time went.
func (r *report) slowest() {
	if len(r.took) == 0 {
		return
	}
	slices.SortFunc(r.took, func(a, b testTime) int {
		if a.seconds != b.seconds {
			return cmp.Compare(b.seconds, a.seconds)
		}
		return strings.Compare(a.test, b.test)
	})
	names := make([]string, 0, slowestShown)
	for _, t := range r.took[:min(slowestShown, len(r.took))] {
		names = append(names, fmt.Sprintf("%s %.0fs", t.test, t.seconds))
	}
	fmt.Fprintf(r.out, "  slowest: %s\n", strings.Join(names, ", "))
}

func run(in io.Reader, out io.Writer, label string) error {
	r := newReport(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// go test prints some failures (a package that does not build)
			// as plain text.
			fmt.Fprintln(out, sc.Text())
			continue
		}
		r.add(e)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	r.unfinished()
	r.summary(label)
	switch {
	case r.packages == 0:
		return fmt.Errorf("%s: no package reported a result", label)
	case r.anyFail:
		return fmt.Errorf("%s: FAIL", label)
	}
	return nil
}

func main() {
	label := flag.String("label", "go test", "what the run is, such as the CLI that ran the acceptance tests")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *label); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
