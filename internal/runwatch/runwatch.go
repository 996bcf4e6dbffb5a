// Package runwatch is what a provider process knows of the Terraform run it
// serves: whether Terraform asked it to stop, and whether Terraform is gone.
// A request whose context ends after a graceful stop (SIGINT, SIGTERM)
// still has its answer saved by Terraform; one whose context ends without
// it belongs to a Terraform that was killed, which will save nothing more.
package runwatch

import (
	"context"
	"sync"
	"sync/atomic"
)

// Watch watches one provider process's run. The server that serves the
// provider to Terraform (see pluginserve) makes one, tells it of
// StopProvider, and hands it to each request through its context.
type Watch struct {
	stopRequested atomic.Bool
	// requests counts the requests in flight, which may have clean-up to do
	// once Terraform is gone.
	requests sync.WaitGroup

	mu     sync.Mutex
	gone   bool
	onGone []func(context.Context)
}

type key struct{}

// Context returns ctx carrying w, for a request that w counts until done
// is called.
func (w *Watch) Context(ctx context.Context) (_ context.Context, done func()) {
	w.requests.Add(1)
	return context.WithValue(ctx, key{}, w), w.requests.Done
}

// From returns the Watch of a request's context, or nil when the provider
// is served without one (in-process, by tests).
func From(ctx context.Context) *Watch {
	w, _ := ctx.Value(key{}).(*Watch)
	return w
}

// StopRequested records that Terraform asked the provider to stop.
func (w *Watch) StopRequested() {
	w.stopRequested.Store(true)
}

// RunGone reports whether the Terraform run that made the request of ctx is
// gone: the context ended and Terraform had not asked the provider to
// stop. Without a Watch, a context that ends is taken for a graceful stop.
func RunGone(ctx context.Context) bool {
	w := From(ctx)
	return w != nil && ctx.Err() != nil && !w.stopRequested.Load()
}

// OnGone registers f to run when the server finds Terraform gone (see
// Gone).
func (w *Watch) OnGone(f func(context.Context)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.onGone = append(w.onGone, f)
}

// Gone waits for the requests in flight to end, or for ctx to, so that
// what they did is there to clean up; then it runs, once and one after
// another, what OnGone registered, each bounding its own time.
func (w *Watch) Gone(ctx context.Context) {
	w.mu.Lock()
	if w.gone {
		w.mu.Unlock()
		return
	}
	w.gone = true
	fs := w.onGone
	w.mu.Unlock()
	done := make(chan struct{})
	go func() {
		w.requests.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	for _, f := range fs {
		f(context.WithoutCancel(ctx))
	}
}
