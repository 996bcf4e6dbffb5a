package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver of the sandbox's files
)

var secretPattern = regexp.MustCompile(`^astral_live_[A-Za-z0-9]{32}$`)

// TestCommand builds the command, runs it twice on one database file and
// checks what it prints, what it writes, that it serves, and that it stops
// cleanly on SIGTERM and SIGINT.
func TestCommand(t *testing.T) {
	dir := t.TempDir()
	bin := build(t, dir)
	db := filepath.Join(dir, "sandbox.db")
	creds := filepath.Join(dir, "credentials.json")

	first, stderr := start(t, bin, "--listen", "127.0.0.1:0", "--db", db, "--credentials", creds)
	t.Run("with --credentials, stdout shows no key", func(t *testing.T) {
		for _, m := range first.sum.Organization.Members {
			if m.APIKey != "" || m.AppURL != "" {
				t.Errorf("stdout shows %s's key or sign-in link", m.Role)
			}
		}
		if strings.Contains(first.stdout, "astral_live_") {
			t.Error("stdout holds a secret")
		}
	})
	var written summary
	t.Run("the credentials file has mode 0600 and working keys", func(t *testing.T) {
		info, err := os.Stat(creds)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", info.Mode().Perm())
		}
		data, err := os.ReadFile(creds)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &written); err != nil {
			t.Fatal(err)
		}
		if written.Endpoint != first.sum.Endpoint || written.AdminToken != first.sum.AdminToken ||
			written.Organization.ID != first.sum.Organization.ID || written.Organization.Plan != "coach" {
			t.Errorf("file %+v, stdout %+v", written, first.sum)
		}
		wantStatus := map[string]int{"head_coach": 200, "coach": 403, "athlete": 403}
		for _, m := range written.Organization.Members {
			if !secretPattern.MatchString(m.APIKey) {
				t.Fatalf("%s's key %q", m.Role, m.APIKey)
			}
			if !strings.HasPrefix(m.AppURL, written.Endpoint+"/app/sign-in/") {
				t.Errorf("%s's app_url %q", m.Role, m.AppURL)
			}
			if got := get(t, written.Endpoint+"/v1/api-keys", m.APIKey); got != wantStatus[string(m.Role)] {
				t.Errorf("%s's key: %d, want %d", m.Role, got, wantStatus[string(m.Role)])
			}
		}
		if got := get(t, written.Endpoint+"/_sandbox/stats", written.AdminToken); got != 200 {
			t.Errorf("admin token: %d", got)
		}
	})
	first.stop(t, syscall.SIGTERM)
	if strings.Contains(stderr.String(), "astral_live_") {
		t.Error("the logs hold a secret")
	}

	second, _ := start(t, bin, "--listen", "127.0.0.1:0", "--db", db)
	t.Run("a restart keeps the organization and prints fresh keys", func(t *testing.T) {
		if second.sum.Organization.ID != first.sum.Organization.ID {
			t.Errorf("organization %s, was %s", second.sum.Organization.ID, first.sum.Organization.ID)
		}
		for i, m := range second.sum.Organization.Members {
			if !secretPattern.MatchString(m.APIKey) || m.APIKey == written.Organization.Members[i].APIKey {
				t.Errorf("%s's key %q is not a fresh key on stdout", m.Role, m.APIKey)
			}
		}
		if got := get(t, second.sum.Endpoint+"/v1/api-keys", written.Organization.Members[0].APIKey); got != 200 {
			t.Errorf("the previous head coach key: %d", got)
		}
	})
	second.stop(t, syscall.SIGINT)
}

// TestCommandEnvFormat runs the command with --format env and pastes what
// it prints into a shell: the exports point at the sandbox, with the head
// coach's key and the admin token; with --credentials, the key stays in the
// file and stdout says so.
func TestCommandEnvFormat(t *testing.T) {
	dir := t.TempDir()
	bin := build(t, dir)
	// pasted runs the block in a shell and returns the three variables it set.
	pasted := func(t *testing.T, args ...string) (block string, endpoint, key, admin string) {
		t.Helper()
		cmd, out, stderr := launch(t, bin, append([]string{"--listen", "127.0.0.1:0", "--db", ":memory:", "--format", "env"}, args...)...)
		lines := bufio.NewScanner(out)
		var b strings.Builder
		for lines.Scan() {
			b.WriteString(lines.Text() + "\n")
			if lines.Text() == "# Ctrl-C stops the sandbox." {
				break
			}
		}
		if err := lines.Err(); err != nil {
			t.Fatalf("reading stdout: %v\nstderr: %s", err, stderr)
		}
		go func() { _, _ = io.Copy(io.Discard, out) }()
		t.Cleanup(func() { (&running{cmd: cmd}).stop(t, syscall.SIGTERM) })
		block = b.String()
		sh := exec.CommandContext(context.Background(), "sh", "-c", block+`printf '%s\n%s\n%s\n' "$ASTRAL_ENDPOINT" "$ASTRAL_API_KEY" "$ASTRAL_SANDBOX_ADMIN_TOKEN"`)
		sh.Env = []string{"PATH=" + os.Getenv("PATH")}
		got, err := sh.Output()
		if err != nil {
			t.Fatalf("the block does not run in sh: %v\n%s", err, block)
		}
		vars := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
		if len(vars) != 3 {
			t.Fatalf("sh printed %q", got)
		}
		return block, vars[0], vars[1], vars[2]
	}

	t.Run("the exports reach the sandbox", func(t *testing.T) {
		block, endpoint, key, admin := pasted(t)
		if got := get(t, endpoint+"/v1/api-keys", key); got != http.StatusOK {
			t.Errorf("ASTRAL_API_KEY at ASTRAL_ENDPOINT: %d, want 200 (the head coach's key)\n%s", got, block)
		}
		if got := get(t, endpoint+"/_sandbox/stats", admin); got != http.StatusOK {
			t.Errorf("ASTRAL_SANDBOX_ADMIN_TOKEN: %d, want 200\n%s", got, block)
		}
		if !strings.Contains(block, endpoint+"/app/sign-in/") {
			t.Errorf("no sign-in link:\n%s", block)
		}
	})
	t.Run("with --credentials the key stays in the file", func(t *testing.T) {
		creds := filepath.Join(dir, "credentials.json")
		block, endpoint, key, admin := pasted(t, "--credentials", creds)
		if key != "" || strings.Contains(block, "astral_live_") || strings.Contains(block, "/app/sign-in/") {
			t.Errorf("stdout shows a key or a sign-in link:\n%s", block)
		}
		if !strings.Contains(block, creds) {
			t.Errorf("stdout does not say where the key is:\n%s", block)
		}
		if got := get(t, endpoint+"/_sandbox/stats", admin); got != http.StatusOK {
			t.Errorf("ASTRAL_SANDBOX_ADMIN_TOKEN: %d, want 200\n%s", got, block)
		}
	})
	t.Run("another format is refused", func(t *testing.T) {
		out, err := exec.CommandContext(context.Background(), bin, "--listen", "127.0.0.1:0", "--db", ":memory:", "--format", "yaml").CombinedOutput()
		if err == nil || !strings.Contains(string(out), `--format "yaml": use "json" or "env"`) {
			t.Errorf("--format yaml: %v\n%s", err, out)
		}
	})
}

// TestCommandPortInUse starts the command on a port that is taken, once on
// a new database file and once on one that has the demo organization: it
// fails, saying why, without creating the file or minting a key into it.
func TestCommandPortInUse(t *testing.T) {
	dir := t.TempDir()
	bin := build(t, dir)
	taken, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	fails := func(t *testing.T, db string) {
		t.Helper()
		cmd := exec.CommandContext(context.Background(), bin, "--listen", taken.Addr().String(), "--db", db)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err == nil {
			t.Fatal("the command started on a port in use")
		}
		if !strings.Contains(stderr.String(), "address already in use") || stdout.Len() != 0 {
			t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	}

	t.Run("a new database is not created", func(t *testing.T) {
		db := filepath.Join(dir, "new.db")
		fails(t, db)
		if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the database exists: %v", err)
		}
	})
	t.Run("an existing database gets no new key", func(t *testing.T) {
		db := filepath.Join(dir, "existing.db")
		first, _ := start(t, bin, "--listen", "127.0.0.1:0", "--db", db)
		first.stop(t, syscall.SIGTERM)
		before := keyCount(t, db)
		if before != 3 {
			t.Fatalf("%d keys after the first start, want the 3 members'", before)
		}
		fails(t, db)
		if after := keyCount(t, db); after != before {
			t.Errorf("%d keys after a start on a port in use, was %d", after, before)
		}
	})
}

// build compiles the command into dir.
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "astral-sandbox")
	cmd := exec.CommandContext(context.Background(), "go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// keyCount counts the keys in a sandbox database file, of any status.
func keyCount(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM api_keys`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type running struct {
	cmd    *exec.Cmd
	stdout string
	sum    summary
}

// launch runs the command, killed when the test ends, and returns its
// stdout, which the test must read, and its stderr.
func launch(t *testing.T, bin string, args ...string) (*exec.Cmd, io.Reader, *bytes.Buffer) {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, out, &stderr
}

// start runs the command and reads the summary it prints once listening.
func start(t *testing.T, bin string, args ...string) (*running, *bytes.Buffer) {
	t.Helper()
	cmd, out, stderr := launch(t, bin, args...)
	var buf bytes.Buffer
	var sum summary
	if err := json.NewDecoder(io.TeeReader(out, &buf)).Decode(&sum); err != nil {
		t.Fatalf("reading the summary: %v\nstderr: %s", err, stderr)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if !strings.HasPrefix(sum.Endpoint, "http://127.0.0.1:") || strings.HasSuffix(sum.Endpoint, ":0") || sum.AdminToken == "" ||
		len(sum.Organization.Members) != 3 {
		t.Fatalf("summary %s", buf.String())
	}
	return &running{cmd: cmd, stdout: buf.String(), sum: sum}, stderr
}

func (r *running) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after %v: %v", sig, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after %v", sig)
	}
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
