package astral

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// inMemory is a transport that serves each request with a handler in the
// same process, without a network. Tests of waits use it inside a
// synctest bubble, where time is fake and moves on only when every
// goroutine of the bubble is blocked: a real connection's goroutines never
// are, as they wait on the network, so the bubble would never move on.
//
// A handler that hijacks the connection (to close it without an answer)
// makes the attempt fail with io.EOF, as a connection closed before any
// response does over TCP; a request whose context ends gets the context's
// error while the handler finishes on its own.
type inMemory struct {
	h http.Handler
}

// InMemoryHTTPClient is an http.Client whose transport serves h in-process
// (see inMemory), for the tests of package astral_test.
func InMemoryHTTPClient(h http.Handler) *http.Client {
	return &http.Client{Transport: inMemory{h}}
}

func (t inMemory) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	in := httptest.NewRequestWithContext(req.Context(), req.Method, req.URL.String(), bytes.NewReader(body))
	in.Header = req.Header.Clone()
	w := &memoryWriter{ResponseRecorder: httptest.NewRecorder()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			// net/http drops the connection on this panic; any other is a bug.
			if v := recover(); v != nil {
				if v != http.ErrAbortHandler { //nolint:errorlint // net/http panics with this very value
					panic(v)
				}
				w.drop()
			}
		}()
		t.h.ServeHTTP(w, in)
	}()
	select {
	case <-req.Context().Done():
		return nil, req.Context().Err()
	case <-done:
	}
	if w.dropped() {
		return nil, io.EOF
	}
	resp := w.Result()
	resp.Request = req
	return resp, nil
}

// memoryWriter records a handler's answer, and lets it hijack the
// connection only to drop it.
type memoryWriter struct {
	*httptest.ResponseRecorder
	mu   sync.Mutex
	gone bool
}

func (w *memoryWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.drop()
	client, server := net.Pipe()
	client.Close()
	return server, bufio.NewReadWriter(bufio.NewReader(server), bufio.NewWriter(server)), nil
}

func (w *memoryWriter) drop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gone = true
}

func (w *memoryWriter) dropped() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gone
}

// newBubbleClient returns a client that h serves in-process (see
// inMemory), with waits short enough for tests. It must be called inside
// a synctest bubble, which the client's waits then run on.
func newBubbleClient(t *testing.T, h http.Handler, configure ...func(*Config)) (*Client, string) {
	t.Helper()
	const endpoint = "http://api.astral.test"
	cfg := Config{
		Endpoint:     endpoint,
		APIKey:       testSecret,
		HTTPClient:   InMemoryHTTPClient(h),
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
	}
	for _, f := range configure {
		f(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, endpoint
}

// TestInMemoryTransport checks the transport that the tests of waits rely
// on, in a bubble: answers arrive whole, a dropped connection is io.EOF,
// and a request whose context ends fails at once on the fake clock.
func TestInMemoryTransport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := InMemoryHTTPClient(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/drop":
				conn, _, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Errorf("hijack: %v", err)
					return
				}
				conn.Close()
			case "/slow":
				<-r.Context().Done()
			default:
				b, _ := io.ReadAll(r.Body)
				w.Header().Set("X-Echo", r.Header.Get("X-Echo"))
				w.WriteHeader(http.StatusAccepted)
				_, _ = w.Write(b)
			}
		}))
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://x.test/echo", bytes.NewReader([]byte("body")))
		req.Header.Set("X-Echo", "header")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || string(b) != "body" || resp.Header.Get("X-Echo") != "header" {
			t.Errorf("answer %d %q %v, want 202, the body and the header echoed", resp.StatusCode, b, resp.Header)
		}

		req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, "http://x.test/drop", nil)
		if _, err := c.Do(req); !errors.Is(err, io.EOF) {
			t.Errorf("a dropped connection: error %v, want io.EOF", err)
		}

		c.Timeout = time.Minute
		start := time.Now()
		req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, "http://x.test/slow", nil)
		if _, err := c.Do(req); err == nil {
			t.Error("a request over its timeout succeeded")
		}
		if waited := time.Since(start); waited != time.Minute {
			t.Errorf("the timeout came after %s of the bubble's clock, want 1m0s", waited)
		}
	})
}
