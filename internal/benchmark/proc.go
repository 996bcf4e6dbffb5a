package benchmark

import (
	"bytes"
	"errors"
	"strconv"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat. The kernel
// reports them in USER_HZ, which is 100 on every Linux ABI.
const userHZ = 100

// ProcStatCPU returns the user plus system CPU time from the contents of a
// Linux /proc/<pid>/stat file.
func ProcStatCPU(stat []byte) (time.Duration, error) {
	// The command name (field 2) is in parentheses and may hold spaces or
	// parentheses itself, so the fields are counted from the last ')'.
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, errors.New("proc stat: no command name")
	}
	fields := bytes.Fields(stat[end+1:])
	// fields[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(fields) < 13 {
		return 0, errors.New("proc stat: too few fields")
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			return 0, errors.New("proc stat: CPU time is not a number")
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}
