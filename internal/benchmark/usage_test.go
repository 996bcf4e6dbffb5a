package benchmark

import (
	"strings"
	"testing"
	"time"
)

func TestReadUsage(t *testing.T) {
	in := `{"pid":1,"maxrss_kib":20016,"user_usec":1500000,"sys_usec":250000,"exit_code":0}
{"pid":2,"maxrss_kib":50000,"user_usec":10,"sys_usec":0,"exit_code":1}
`
	got, err := ReadUsage(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].MaxRSSKiB != 20016 || got[1].PID != 2 || got[1].ExitCode != 1 {
		t.Fatalf("ReadUsage = %+v", got)
	}
	if cpu := got[0].CPU(); cpu != 1750*time.Millisecond {
		t.Errorf("CPU() = %v, want 1.75s", cpu)
	}
	if _, err := ReadUsage(strings.NewReader(in + "{\"pid\":\n")); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("a truncated line: err = %v, want one naming line 3", err)
	}
	if got, err := ReadUsage(strings.NewReader("")); err != nil || len(got) != 0 {
		t.Errorf("empty file: %v, %v", got, err)
	}
}

func TestProcStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{name: "plain", stat: "22616 (cat) R 22571 22571 6200 0 -1 4194304 98 0 0 0 150 25 0 0 20 0 1 0 125476",
			want: 1750 * time.Millisecond},
		{name: "command name with spaces and parentheses", stat: "7 (a) b (c) S 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 9",
			want: 70 * time.Millisecond},
		{name: "no command name", stat: "7 a S 1", wantErr: true},
		{name: "truncated", stat: "7 (a) S 1 7 7", wantErr: true},
		{name: "not a number", stat: "7 (a) S 1 7 7 0 -1 0 0 0 0 0 x 4 0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ProcStatCPU([]byte(tt.stat))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ProcStatCPU = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestReadRequestLog(t *testing.T) {
	in := `{"time":"2026-11-27T19:00:00Z","level":"INFO","msg":"listening","endpoint":"http://127.0.0.1:1"}
{"time":"2026-11-27T19:00:01Z","level":"INFO","msg":"request","request_id":"req_1","method":"POST","route":"/v1/api-keys","status":201,"duration":2500000}
not json
{"time":"2026-11-27T19:00:01Z","level":"INFO","msg":"request","request_id":"req_2","method":"GET","route":"/v1/api-keys/{id}","status":200,"duration":500000}
{"time":"2026-11-27T19:00:02Z","level":"INFO","msg":"request","request_id":"req_3","method":"DELETE","route":"/_sandbox/stats","status":204,"duration":100000}
`
	got, err := ReadRequestLog(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := (RequestLog{Requests: 2, Busy: 3 * time.Millisecond}); got != want {
		t.Errorf("ReadRequestLog = %+v, want %+v", got, want)
	}
}
