//go:build linux

package pluginserve

import (
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/runwatch"
)

func TestPipeUnread(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if pipeUnread(w) {
		t.Error("a pipe with a reader counts as unread")
	}
	r.Close()
	if !pipeUnread(w) {
		t.Error("a pipe whose reader closed counts as read")
	}
	file, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if pipeUnread(file) {
		t.Error("a file counts as an unread pipe")
	}
}

const envOrphan = "PLUGINSERVE_TEST_ORPHAN"

// A process whose launcher is gone before it can note its parent, as when
// Terraform is killed while it starts the provider, exits once nobody reads
// its stdout: the process below is started by a shell that exits at once.
func TestOutliveTerraformOrphanedAtStart(t *testing.T) {
	if os.Getenv(envOrphan) != "" {
		outliveTerraform(&runwatch.Watch{})
		time.Sleep(time.Minute)
		os.Exit(0) // not reached unless the process failed to notice
	}
	stdoutReader, stdout, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	exited, stderr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer exited.Close()
	cmd := exec.Command("sh", "-c", `"$0" -test.run='^TestOutliveTerraformOrphanedAtStart$' &`, os.Args[0])
	cmd.Env = append(os.Environ(), envOrphan+"=1")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	// Now only the orphan holds the write ends, and nobody reads its stdout.
	stdout.Close()
	stderr.Close()
	stdoutReader.Close()

	// Reading stderr ends when the orphan, its last writer, exits.
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, exited)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the orphaned process still runs 20 s after its launcher exited and nobody reads its stdout")
	}
}
