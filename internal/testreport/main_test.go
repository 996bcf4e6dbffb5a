package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	lines := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	tests := []struct {
		name    string
		in      string
		wantErr bool
		want    []string
		notWant []string
	}{
		{
			name: "passes and skips",
			in: lines(
				`{"Action":"run","Package":"p","Test":"TestAccA"}`,
				`{"Action":"output","Package":"p","Test":"TestAccA","Output":"=== RUN   TestAccA\n"}`,
				`{"Action":"output","Package":"p","Test":"TestAccA","Output":"    a_test.go:3: chatter of a test that passes\n"}`,
				`{"Action":"pass","Package":"p","Test":"TestAccA"}`,
				`{"Action":"output","Package":"p","Test":"TestAccB","Output":"    cli_test.go:12: list resources need Terraform 1.14+\n"}`,
				`{"Action":"skip","Package":"p","Test":"TestAccB"}`,
				`{"Action":"output","Package":"p","Test":"TestAccC","Output":"    cli_test.go:12: list resources need Terraform 1.14+\n"}`,
				`{"Action":"skip","Package":"p","Test":"TestAccC"}`,
				`{"Action":"output","Package":"p","Test":"TestAccD","Output":"    cli_test.go:40: runs once\n"}`,
				`{"Action":"skip","Package":"p","Test":"TestAccD"}`,
				`{"Action":"pass","Package":"p","Test":"TestUnit"}`,
				`{"Action":"pass","Package":"p","Test":"TestAccA/sub"}`,
				`{"Action":"output","Package":"p","Output":"PASS\n"}`,
				`{"Action":"output","Package":"p","Output":"ok  \tp\t1.0s\n"}`,
				`{"Action":"pass","Package":"p"}`,
			),
			want: []string{
				"ok  \tp\t1.0s\n",
				"X: 1 acceptance tests ran (1 passed, 0 failed), 3 skipped\n",
				"  2 skipped: list resources need Terraform 1.14+\n    TestAccB, TestAccC\n  1 skipped: runs once\n    TestAccD\n",
			},
			notWant: []string{"chatter", "PASS\n"},
		},
		{
			name: "a failed test prints its output",
			in: lines(
				`{"Action":"output","Package":"p","Test":"TestAccA","Output":"    a_test.go:3: step 1 failed\n"}`,
				`{"Action":"output","Package":"p","Test":"TestAccA","Output":"--- FAIL: TestAccA (1.00s)\n"}`,
				`{"Action":"fail","Package":"p","Test":"TestAccA"}`,
				`{"Action":"fail","Package":"p"}`,
			),
			wantErr: true,
			want:    []string{"step 1 failed", "--- FAIL: TestAccA", "X: 1 acceptance tests ran (0 passed, 1 failed), 0 skipped"},
		},
		{
			name: "no acceptance test",
			in: lines(
				`{"Action":"pass","Package":"p","Test":"TestUnit","Elapsed":1.2}`,
				`{"Action":"pass","Package":"p","Test":"TestSlow","Elapsed":30.4}`,
				`{"Action":"pass","Package":"p","Test":"TestSlow/sub","Elapsed":30}`,
				`{"Action":"pass","Package":"p"}`,
				`{"Action":"pass","Package":"q"}`,
			),
			want:    []string{"X: 2 packages, no acceptance test among what ran\n  slowest: TestSlow 30s, TestUnit 1s\n"},
			notWant: []string{"acceptance tests ran"},
		},
		{
			name:    "a package that does not build",
			in:      "# p\n./a.go:1: syntax error\n" + `{"Action":"fail","Package":"p"}` + "\n",
			wantErr: true,
			want:    []string{"syntax error"},
		},
		{
			name: "a test that a timeout ended",
			in: lines(
				`{"Action":"output","Package":"p","Test":"TestAccA","Output":"=== RUN   TestAccA\n"}`,
				`{"Action":"output","Package":"p","Test":"TestAccA","Output":"panic: test timed out after 14m0s\n"}`,
				`{"Action":"output","Package":"p","Output":"FAIL\tp\t840.1s\n"}`,
				`{"Action":"fail","Package":"p"}`,
			),
			wantErr: true,
			want:    []string{"--- UNFINISHED: TestAccA (p)", "panic: test timed out", "FAIL\tp\t840.1s", "X: 1 acceptance tests ran (0 passed, 1 failed)"},
		},
		{
			name:    "no result",
			in:      "",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			err := run(strings.NewReader(tt.in), &out, "X")
			if (err != nil) != tt.wantErr {
				t.Errorf("error = %v, want an error: %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
		})
	}
}
