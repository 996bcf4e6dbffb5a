package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const cliHugepagesScript = "./scripts/cli-hugepages.sh"

// runCLIHugepages runs make testacc's script on cli with env added to the
// test's environment, and returns the path it prints.
func runCLIHugepages(t *testing.T, cli string, env ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), cliHugepagesScript, cli)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v", cliHugepagesScript, cli, err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// writeFakeCLI writes an executable that prints what.
func writeFakeCLI(t *testing.T, path, what string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho "+what+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// Where it makes no copy, the script prints the CLI's own path, resolved
// from PATH as the tests would resolve it, or the name as it is given when
// PATH has none: make testacc passes it on as TF_ACC_TERRAFORM_PATH.
func TestCLIHugepagesAsItIs(t *testing.T) {
	bin := t.TempDir()
	cli := filepath.Join(bin, "terraform")
	writeFakeCLI(t, cli, "v1")
	path := "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")
	cases := []struct {
		name, cli string
		env       []string
		want      string
	}{
		{"turned off, a name on PATH", "terraform", []string{"TEST_CLI_HUGEPAGES=0", path}, cli},
		{"turned off, a path", cli, []string{"TEST_CLI_HUGEPAGES=0"}, cli},
		{"a name PATH does not have", "no-such-cli", nil, "no-such-cli"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := runCLIHugepages(t, c.cli, c.env...); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// As root on Linux, the script copies the CLI to a tmpfs mounted with
// huge pages, runs the copy that is there when the CLI has not changed and
// copies it again when it has.
func TestCLIHugepagesCopy(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("only root on Linux mounts the tmpfs of huge pages")
	}
	cache := t.TempDir()
	dir := filepath.Join(cache, "terraform-provider-astral", "cli-hugepages")
	t.Cleanup(func() {
		// A mount point the test made, so that t.TempDir can remove it.
		if mounted(t, dir) != nil {
			if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v\n%s", dir, err, out)
			}
		}
	})
	cli := filepath.Join(t.TempDir(), "terraform")
	writeFakeCLI(t, cli, "v1")
	env := "XDG_CACHE_HOME=" + cache

	copied := runCLIHugepages(t, cli, env)
	options := mounted(t, dir)
	if options == nil {
		t.Skipf("the kernel mounts no tmpfs with huge pages here: the script printed %s", copied)
	}
	if !slices.Contains(options, "huge=always") {
		t.Errorf("%s is mounted with %v, not huge=always", dir, options)
	}
	if filepath.Dir(copied) != dir {
		t.Fatalf("the copy %s is not in %s", copied, dir)
	}
	runs := func(path, want string) {
		t.Helper()
		out, err := exec.Command(path).Output()
		if got := strings.TrimSpace(string(out)); err != nil || got != want {
			t.Errorf("%s printed %q (%v), want %q", path, got, err, want)
		}
	}
	runs(copied, "v1")
	if again := runCLIHugepages(t, cli, env); again != copied {
		t.Errorf("a second run printed %s, not the copy %s", again, copied)
	}
	writeFakeCLI(t, cli, "v2")
	if again := runCLIHugepages(t, cli, env); again != copied {
		t.Errorf("after a change the script printed %s, not the copy %s", again, copied)
	}
	runs(copied, "v2")
}

// mounted returns the options of the file system mounted at dir, or nil
// when none is.
func mounted(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// ID parent major:minor root mount-point options ... - type source super-options
		fields := strings.Fields(s.Text())
		sep := slices.Index(fields, "-")
		if len(fields) > 4 && fields[4] == dir && sep > 0 && sep+3 < len(fields) {
			return strings.Split(fields[sep+3], ",")
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return nil
}
