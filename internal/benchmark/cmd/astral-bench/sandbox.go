package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/benchmark"
	sandboxapi "github.com/astral/terraform-provider-astral/internal/sandbox"
)

// sandbox is the running sandbox server process.
type sandbox struct {
	cmd      *exec.Cmd
	done     chan struct{}
	logPath  string
	endpoint string
	admin    string
	// headCoach is the secret of the head coach's key: the key the provider
	// and the state checks call with.
	headCoach string
	client    *astral.Client
}

// credentials is the part of the sandbox's --credentials file the benchmark reads.
type credentials struct {
	Endpoint     string `json:"endpoint"`
	AdminToken   string `json:"admin_token"`
	Organization struct {
		Members []struct {
			Role   string `json:"role"`
			APIKey string `json:"api_key"`
		} `json:"members"`
	} `json:"organization"`
}

// startSandbox runs the sandbox binary on a file-backed database in dir and
// waits for its credentials file. Cancelling ctx stops the sandbox.
func startSandbox(ctx context.Context, bin, dir string) (*sandbox, error) {
	credPath := filepath.Join(dir, "credentials.json")
	logPath := filepath.Join(dir, "sandbox.log")
	dbPath := filepath.Join(dir, "sandbox.db")
	// A reused working directory must not hand over the last run's keys or
	// credentials: the server would start on them, the wait below read them.
	for _, p := range []string{credPath, dbPath, dbPath + "-wal", dbPath + "-shm", dbPath + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	outFile, err := os.Create(filepath.Join(dir, "sandbox.out"))
	if err != nil {
		return nil, err
	}
	defer outFile.Close()
	//nolint:gosec // G204: the binary this program built
	cmd := exec.CommandContext(ctx, bin, "--listen", "127.0.0.1:0", "--db", dbPath, "--credentials", credPath)
	// The summary goes to stdout, the request log (JSON lines) to stderr.
	cmd.Stdout, cmd.Stderr = outFile, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	s := &sandbox{cmd: cmd, done: make(chan struct{}), logPath: logPath}
	go func() { _ = cmd.Wait(); close(s.done) }()

	var cred credentials
	deadline := time.Now().Add(time.Minute)
	for {
		// The file may be read half written, so a parse error means "not yet".
		data, err := os.ReadFile(credPath)
		if err == nil && json.Unmarshal(data, &cred) == nil && cred.Endpoint != "" {
			break
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("sandbox exited before writing %s:\n%s", credPath, tail(logPath))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("sandbox wrote no credentials within a minute:\n%s", tail(logPath))
		}
	}
	s.endpoint, s.admin = strings.TrimSuffix(cred.Endpoint, "/"), cred.AdminToken
	for _, m := range cred.Organization.Members {
		if m.Role == "head_coach" {
			s.headCoach = m.APIKey
		}
	}
	if s.headCoach == "" || s.admin == "" {
		s.stop()
		return nil, fmt.Errorf("%s names no head coach key or no admin token", credPath)
	}
	// The checks must not hide a fault behind a retry.
	s.client, err = astral.NewClient(astral.Config{Endpoint: s.endpoint, APIKey: s.headCoach, MaxRetries: new(0)})
	if err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// stop asks the sandbox to shut down and kills it if it does not within ten seconds.
func (s *sandbox) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// resetStats zeroes the sandbox's request counts.
func (s *sandbox) resetStats(ctx context.Context) error {
	return s.adminCall(ctx, http.MethodDelete, "/_sandbox/stats", nil, nil)
}

// setFaults replaces the faults the sandbox injects; the zero Faults clears them.
func (s *sandbox) setFaults(ctx context.Context, f sandboxapi.Faults) error {
	body, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return s.adminCall(ctx, http.MethodPut, "/_sandbox/faults", body, nil)
}

// stats returns the request counts since the last reset (sandboxapi is the
// sandbox package, named apart from this file's sandbox process type).
func (s *sandbox) stats(ctx context.Context) (sandboxapi.Stats, error) {
	var st sandboxapi.Stats
	err := s.adminCall(ctx, http.MethodGet, "/_sandbox/stats", nil, &st)
	return st, err
}

func (s *sandbox) adminCall(ctx context.Context, method, path string, body []byte, into any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, answer)
	}
	if into == nil {
		return nil
	}
	return json.Unmarshal(answer, into)
}

// activeKeys lists the organization's active keys and counts those whose
// name has the benchmark's prefix.
func (s *sandbox) activeKeys(ctx context.Context) (all, bench int, err error) {
	keys, err := s.client.APIKeys.ListAll(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("list keys: %w", err)
	}
	for _, k := range keys {
		if strings.HasPrefix(k.Name, namePrefix) {
			bench++
		}
	}
	return len(keys), bench, nil
}

// logSize is where the request log ends now: the start of the next step's lines.
func (s *sandbox) logSize() (int64, error) {
	fi, err := os.Stat(s.logPath)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// requestLog sums the request log from offset on.
func (s *sandbox) requestLog(offset int64) (benchmark.RequestLog, error) {
	f, err := os.Open(s.logPath)
	if err != nil {
		return benchmark.RequestLog{}, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return benchmark.RequestLog{}, err
	}
	return benchmark.ReadRequestLog(f)
}

// cpu is the CPU time the sandbox has used so far.
func (s *sandbox) cpu() (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	return benchmark.ProcStatCPU(stat)
}

// tail returns the end of a log file for an error message.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	const keep = 4000
	if len(data) > keep {
		data = data[len(data)-keep:]
	}
	return strings.TrimSpace(string(data))
}
