package provider

import (
	"strings"
	"testing"
	"time"
)

func TestParseLifetime(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "90d", want: 90 * day},
		{in: "1d12h", want: day + 12*time.Hour},
		{in: "1d12h30m", want: day + 12*time.Hour + 30*time.Minute},
		{in: "36h", want: 36 * time.Hour},
		{in: "45m", want: 45 * time.Minute},
		{in: "0d1m", want: time.Minute},
		{in: "36500d", want: 36500 * day},
		{in: "", wantErr: "is not a duration"},
		{in: "90", wantErr: "is not a duration"},
		{in: "1h1d", wantErr: "is not a duration"},
		{in: "1d1d", wantErr: "is not a duration"},
		{in: "1.5d", wantErr: "is not a duration"},
		{in: "-1d", wantErr: "is not a duration"},
		{in: "1s", wantErr: "is not a duration"},
		{in: " 1d", wantErr: "is not a duration"},
		{in: "1D", wantErr: "is not a duration"},
		{in: "0d", wantErr: "is not above zero"},
		{in: "0h0m", wantErr: "is not above zero"},
		{in: "36501d", wantErr: "longer than 36500 days"},
		{in: "36500d1m", wantErr: "longer than 36500 days"},
		{in: "99999999999999999999d", wantErr: "longer than 36500 days"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseLifetime(tt.in)
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("parseLifetime(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
			case tt.wantErr == "" && (err != nil || got != tt.want):
				t.Errorf("parseLifetime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			case tt.wantErr == "":
				// Written back, a duration reads the same.
				if back, err := parseLifetime(formatLifetime(got)); err != nil || back != got {
					t.Errorf("formatLifetime(%v) = %q, which reads as %v, %v", got, formatLifetime(got), back, err)
				}
			}
		})
	}
}
