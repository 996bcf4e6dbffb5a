//go:build linux

package pluginserve

import (
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// pipeUnread reports whether f is the write end of a pipe whose read end
// is closed. Terraform reads a provider's stdout for as long as it runs.
func pipeUnread(f *os.File) bool {
	fd := f.Fd()
	if fd > math.MaxInt32 {
		return false
	}
	fds := []unix.PollFd{{Fd: int32(fd)}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents&unix.POLLERR != 0
}
