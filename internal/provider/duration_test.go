package provider

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		kind    durationKind
		in      string
		want    time.Duration
		wantErr string
	}{
		{kind: lifetimeDuration, in: "90d", want: 90 * day},
		{kind: lifetimeDuration, in: "1d12h", want: day + 12*time.Hour},
		{kind: lifetimeDuration, in: "1d12h30m", want: day + 12*time.Hour + 30*time.Minute},
		{kind: lifetimeDuration, in: "36h", want: 36 * time.Hour},
		{kind: lifetimeDuration, in: "45m", want: 45 * time.Minute},
		{kind: lifetimeDuration, in: "90s", want: 90 * time.Second},
		{kind: lifetimeDuration, in: "1d1s", want: day + time.Second},
		{kind: lifetimeDuration, in: "0d1m", want: time.Minute},
		{kind: lifetimeDuration, in: "36500d", want: 36500 * day},
		{kind: timeoutDuration, in: "30s", want: 30 * time.Second},
		{kind: timeoutDuration, in: "1m30s", want: 90 * time.Second},
		{kind: timeoutDuration, in: "250ms", want: 250 * time.Millisecond},
		{kind: timeoutDuration, in: "1s500ms", want: 1500 * time.Millisecond},
		{kind: timeoutDuration, in: "1d", want: day},
		{kind: timeoutDuration, in: "5m", want: 5 * time.Minute},
		{kind: lifetimeDuration, in: "", wantErr: `"" is not a duration such as "90d", "1d12h" or "30m": whole numbers, each followed by its unit (d, h, m and s), largest first, each unit at most once`},
		{kind: timeoutDuration, in: "", wantErr: `"" is not a duration such as "30s", "1m30s" or "250ms": whole numbers, each followed by its unit (d, h, m, s and ms), largest first, each unit at most once`},
		{kind: lifetimeDuration, in: "90", wantErr: "is not a duration"},
		{kind: lifetimeDuration, in: "1h1d", wantErr: "is not a duration"},
		{kind: lifetimeDuration, in: "1d1d", wantErr: "is not a duration"},
		{kind: timeoutDuration, in: "1.5s", wantErr: "is not a duration"},
		{kind: timeoutDuration, in: "1s1m", wantErr: "is not a duration"},
		{kind: timeoutDuration, in: "30 seconds", wantErr: "is not a duration"},
		{kind: lifetimeDuration, in: "-1d", wantErr: "is not a duration"},
		{kind: lifetimeDuration, in: " 1d", wantErr: "is not a duration"},
		{kind: lifetimeDuration, in: "1D", wantErr: "is not a duration"},
		{kind: lifetimeDuration, in: "2w", wantErr: "is not a duration"},
		{kind: lifetimeDuration, in: "1m500ms", wantErr: `"1m500ms" counts ms, but a key expires at a whole second`},
		{kind: lifetimeDuration, in: "0d", wantErr: `"0d" is not above zero: give a duration such as "90d", "1d12h" or "30m"`},
		{kind: timeoutDuration, in: "0s", wantErr: `"0s" is not above zero: give a duration such as "30s", "1m30s" or "250ms"`},
		{kind: lifetimeDuration, in: "0h0m", wantErr: "is not above zero"},
		{kind: lifetimeDuration, in: "36501d", wantErr: "longer than 36500 days"},
		{kind: lifetimeDuration, in: "36500d1m", wantErr: "longer than 36500 days"},
		{kind: timeoutDuration, in: "36500d1ms", wantErr: "longer than 36500 days"},
		{kind: lifetimeDuration, in: "99999999999999999999d", wantErr: "longer than 36500 days"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := tt.kind.parse(tt.in)
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("parse(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
			case tt.wantErr == "" && (err != nil || got != tt.want):
				t.Errorf("parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			case tt.wantErr == "":
				// Written back, a duration reads the same.
				if back, err := tt.kind.parse(formatDuration(got)); err != nil || back != got {
					t.Errorf("formatDuration(%v) = %q, which reads as %v, %v", got, formatDuration(got), back, err)
				}
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{90 * 24 * time.Hour, "90d"},
		{36 * time.Hour, "1d12h"},
		{30 * time.Second, "30s"},
		{5 * time.Minute, "5m"},
		{90*time.Second + 250*time.Millisecond, "1m30s250ms"},
		{0, "0s"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.in); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The syntax is described in one sentence, the same wherever a duration
// is given, with the kind's units and examples.
func TestDurationSyntax(t *testing.T) {
	for kind, want := range map[*durationKind]string{
		&lifetimeDuration: "Durations are written as everywhere in this provider: whole numbers, each followed by its unit (`d`, `h`, `m` and `s`, `d` being days), largest first, such as `90d`, `1d12h` or `30m`.",
		&timeoutDuration:  "Durations are written as everywhere in this provider: whole numbers, each followed by its unit (`d`, `h`, `m`, `s` and `ms`, `d` being days), largest first, such as `30s`, `1m30s` or `250ms`.",
	} {
		if got := kind.syntax(); got != want {
			t.Errorf("syntax() = %q, want %q", got, want)
		}
	}
}
