package stopsignal

import (
	"context"
	"testing"
)

func TestRunGone(t *testing.T) {
	live := context.Background()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	stopped := func() bool { return true }
	running := func() bool { return false }
	tests := []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"no stop signal (a provider served in-process)", ended, false},
		{"request still waited for", With(live, running), false},
		{"context ended after a graceful stop", With(ended, stopped), false},
		{"context ended without a stop: Terraform is gone", With(ended, running), true},
	}
	for _, tt := range tests {
		if got := RunGone(tt.ctx); got != tt.want {
			t.Errorf("%s: RunGone = %t, want %t", tt.name, got, tt.want)
		}
	}
}
