package benchmark

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// ProcessUsage is what cmd/rusage-exec records, one JSON line per provider
// process, when the process exits.
type ProcessUsage struct {
	PID int `json:"pid"`
	// MaxRSSKiB is the peak resident set; Linux counts it in KiB.
	MaxRSSKiB int64 `json:"maxrss_kib"`
	UserUsec  int64 `json:"user_usec"`
	SysUsec   int64 `json:"sys_usec"`
	ExitCode  int   `json:"exit_code"`
}

// CPU is the process's user and system time.
func (u ProcessUsage) CPU() time.Duration {
	return time.Duration(u.UserUsec+u.SysUsec) * time.Microsecond
}

// ReadUsage parses a file of ProcessUsage lines.
func ReadUsage(r io.Reader) ([]ProcessUsage, error) {
	var out []ProcessUsage
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		var u ProcessUsage
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
			return nil, fmt.Errorf("usage line %d: %w", line, err)
		}
		out = append(out, u)
	}
	return out, sc.Err()
}
