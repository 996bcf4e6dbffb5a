package runwatch

import (
	"context"
	"testing"
	"time"
)

func TestRunGone(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	watched := func(ctx context.Context, stopped bool) context.Context {
		w := &Watch{}
		if stopped {
			w.StopRequested()
		}
		ctx, done := w.Context(ctx)
		done()
		return ctx
	}
	tests := []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"no watch (a provider served in-process)", ended, false},
		{"request still waited for", watched(context.Background(), false), false},
		{"context ended after a graceful stop", watched(ended, true), false},
		{"context ended without a stop: Terraform is gone", watched(ended, false), true},
	}
	for _, tt := range tests {
		if got := RunGone(tt.ctx); got != tt.want {
			t.Errorf("%s: RunGone = %t, want %t", tt.name, got, tt.want)
		}
	}
}

// Gone runs what was registered once, then waits for the requests in
// flight, within its context.
func TestGone(t *testing.T) {
	w := &Watch{}
	var runs int
	w.OnGone(func(context.Context) { runs++ })
	_, done := w.Context(context.Background())
	go func() {
		time.Sleep(50 * time.Millisecond)
		done()
	}()
	start := time.Now()
	w.Gone(context.Background())
	if waited := time.Since(start); waited < 40*time.Millisecond {
		t.Errorf("Gone returned after %s, before the request in flight ended", waited)
	}
	w.Gone(context.Background())
	if runs != 1 {
		t.Errorf("the clean-up ran %d times, want 1", runs)
	}

	// A request that never ends holds Gone only until its context ends.
	w2 := &Watch{}
	_, _ = w2.Context(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	w2.Gone(ctx)
}
