package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/astral/terraform-provider-astral/internal/benchmark"
)

// The test binary is the wrapper when this variable is set, so the tests
// run the real program without building it.
func TestMain(m *testing.M) {
	if os.Getenv("RUSAGE_EXEC_TEST_AS_WRAPPER") == "1" {
		os.Exit(run())
	}
	os.Exit(m.Run())
}

func wrapper(t *testing.T, script string) (*exec.Cmd, string) {
	t.Helper()
	usage := filepath.Join(t.TempDir(), "usage.jsonl")
	cmd := exec.Command(os.Args[0], "-c", script)
	// Started under the name sh, the wrapper runs sh from its directory.
	cmd.Args[0] = "/any/dir/sh"
	cmd.Env = append(os.Environ(), "RUSAGE_EXEC_TEST_AS_WRAPPER=1", "ASTRAL_BENCH_EXEC_DIR=/bin", "ASTRAL_BENCH_RUSAGE_FILE="+usage)
	return cmd, usage
}

func readUsage(t *testing.T, path string) []benchmark.ProcessUsage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, err := benchmark.ReadUsage(f)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPassesStreamsAndExitCodeAndRecordsUsage(t *testing.T) {
	cmd, usage := wrapper(t, `read line; echo "1|6|unix|$line|grpc|"; echo "to stderr" >&2; exit 3`)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader("/tmp/plugin.sock\n"), &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Fatalf("wrapper exit = %v, want the child's exit code 3", err)
	}
	if got := stdout.String(); got != "1|6|unix|/tmp/plugin.sock|grpc|\n" {
		t.Errorf("stdout = %q: the handshake line must pass through untouched", got)
	}
	if got := stderr.String(); got != "to stderr\n" {
		t.Errorf("stderr = %q", got)
	}
	// A second run appends rather than overwrites.
	cmd2 := exec.Command(cmd.Path, "-c", "exit 0")
	cmd2.Args[0], cmd2.Env = cmd.Args[0], cmd.Env
	if err := cmd2.Run(); err != nil {
		t.Fatal(err)
	}
	u := readUsage(t, usage)
	if len(u) != 2 {
		t.Fatalf("usage file has %d lines, want 2: %+v", len(u), u)
	}
	if u[0].ExitCode != 3 || u[1].ExitCode != 0 || u[0].PID == u[1].PID || u[0].PID == 0 {
		t.Errorf("usage = %+v, want exit codes 3 and 0 of two processes", u)
	}
	for _, x := range u {
		if x.MaxRSSKiB <= 0 {
			t.Errorf("usage %+v has no peak RSS", x)
		}
	}
}

func TestForwardsSignals(t *testing.T) {
	cmd, usage := wrapper(t, `trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 7 {
		t.Fatalf("wrapper exit = %v, want 7 from the child's TERM trap", err)
	}
	if u := readUsage(t, usage); len(u) != 1 || u[0].ExitCode != 7 {
		t.Errorf("usage = %+v, want one line with exit code 7", u)
	}
}

func TestRefusesWithoutConfiguration(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "RUSAGE_EXEC_TEST_AS_WRAPPER=1", "ASTRAL_BENCH_EXEC_DIR=", "ASTRAL_BENCH_RUSAGE_FILE=")
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 || !strings.Contains(string(out), "ASTRAL_BENCH_EXEC_DIR") {
		t.Errorf("wrapper = %v, %q; want exit 2 naming the variable", err, out)
	}
}

func TestRunsTheProgramOfItsOwnName(t *testing.T) {
	tests := []struct {
		name     string // the wrapper's argv[0]
		args     []string
		wantOut  string
		wantExit int
	}{
		{name: "/plugins/echo", args: []string{"by", "name"}, wantOut: "by name\n"},
		{name: "sh", args: []string{"-c", "echo sh"}, wantOut: "sh\n"},
		{name: "/plugins/terraform-provider-absent", wantExit: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], tt.args...)
			cmd.Args[0] = tt.name
			cmd.Env = append(os.Environ(), "RUSAGE_EXEC_TEST_AS_WRAPPER=1", "ASTRAL_BENCH_EXEC_DIR=/bin",
				"ASTRAL_BENCH_RUSAGE_FILE="+filepath.Join(t.TempDir(), "usage.jsonl"))
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			err := cmd.Run()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantExit || stdout.String() != tt.wantOut {
				t.Errorf("wrapper named %q: exit %d, stdout %q; want exit %d, stdout %q", tt.name, code, stdout.String(), tt.wantExit, tt.wantOut)
			}
		})
	}
}
