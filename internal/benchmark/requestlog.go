package benchmark

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"time"
)

// RequestLog sums the sandbox's request log: one JSON line per request
// with its route and how long the server took to answer it.
type RequestLog struct {
	Requests int
	// Busy is the sum of the requests' durations: the time the API spent
	// serving the step, however the requests overlapped.
	Busy time.Duration
}

// ReadRequestLog sums the /v1 request lines of a sandbox log. Other lines
// (start-up, admin requests, anything not JSON) are skipped.
func ReadRequestLog(r io.Reader) (RequestLog, error) {
	var out RequestLog
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg      string        `json:"msg"`
			Route    string        `json:"route"`
			Duration time.Duration `json:"duration"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != "request" || !strings.HasPrefix(line.Route, "/v1") {
			continue
		}
		out.Requests++
		out.Busy += line.Duration
	}
	return out, sc.Err()
}
