// Command rusage-exec stands in for the provider binaries so that the
// benchmark can measure every provider process Terraform starts. Installed
// under a provider's name, it runs the program of the same name in the
// directory $ASTRAL_BENCH_EXEC_DIR, so that one wrapper serves every
// provider. The program gets the wrapper's arguments, environment and
// standard streams (so the plugin handshake on stdout passes through
// untouched) and its signals; when it exits, the wrapper appends one JSON
// line with its peak RSS and CPU time to the file named by
// $ASTRAL_BENCH_RUSAGE_FILE.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/astral/terraform-provider-astral/internal/benchmark"
)

func main() {
	os.Exit(run())
}

func run() int {
	dir, file := os.Getenv("ASTRAL_BENCH_EXEC_DIR"), os.Getenv("ASTRAL_BENCH_RUSAGE_FILE")
	if dir == "" || file == "" {
		fmt.Fprintln(os.Stderr, "rusage-exec: set ASTRAL_BENCH_EXEC_DIR to the directory of the programs to run and ASTRAL_BENCH_RUSAGE_FILE to the file that receives their usage")
		return 2
	}
	// The name Terraform started this process by, not /proc/self/exe: the
	// wrapper is the same program under every provider's name.
	target := filepath.Join(dir, filepath.Base(os.Args[0]))

	// Pdeathsig fires when the thread that started the child ends, so this
	// goroutine keeps its thread: if Terraform kills the wrapper, the
	// provider goes with it instead of lingering.
	runtime.LockOSThread()
	cmd := exec.CommandContext(context.Background(), target, os.Args[1:]...) //nolint:gosec // G702: running the named program is this wrapper's purpose
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}

	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "rusage-exec: %v\n", err)
		return 1
	}
	go func() {
		for s := range signals {
			_ = cmd.Process.Signal(s) // the child may have exited already
		}
	}()

	err := cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		fmt.Fprintf(os.Stderr, "rusage-exec: %v\n", err)
		return 1
	}
	state := cmd.ProcessState
	code := state.ExitCode()
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	if ru, ok := state.SysUsage().(*syscall.Rusage); ok {
		if err := record(file, benchmark.ProcessUsage{
			PID:       state.Pid(),
			MaxRSSKiB: ru.Maxrss,
			UserUsec:  ru.Utime.Usec + ru.Utime.Sec*1e6,
			SysUsec:   ru.Stime.Usec + ru.Stime.Sec*1e6,
			ExitCode:  code,
		}); err != nil {
			fmt.Fprintf(os.Stderr, "rusage-exec: %v\n", err)
		}
	}
	return code
}

func record(file string, u benchmark.ProcessUsage) error {
	line, err := json.Marshal(u)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600) //nolint:gosec // G703: the benchmark names the file
	if err != nil {
		return err
	}
	// One write of one line: appends from processes that end together do not interleave.
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
