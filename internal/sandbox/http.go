package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// apiError is an error answer in the contract's envelope.
type apiError struct {
	status     int
	code       string
	message    string
	param      string
	retryAfter int // seconds; 0 leaves the header out
	allow      string
	closeConn  bool // the request's body is unread: end the connection
}

// Error lets the Go API return the same errors the HTTP API answers.
func (e *apiError) Error() string { return e.message }

func errInvalid(param, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "invalid_request", message: message, param: param}
}

func errUnauthenticated(message string) *apiError {
	return &apiError{status: http.StatusUnauthorized, code: "unauthenticated", message: message}
}

var (
	errKeyNotFound = &apiError{status: http.StatusNotFound, code: "not_found", message: "no API key with this id in your organization"}
	errNoRoute     = &apiError{status: http.StatusNotFound, code: "not_found", message: "no such route"}
	errInternal    = &apiError{status: http.StatusInternalServerError, code: "internal", message: "internal server error"}
	// errClientClosed answers a request whose client went away before its
	// answer, as nginx's 499: no client reads it, but the log and the stats
	// tell it from a server fault.
	errClientClosed = &apiError{status: statusClientClosed, code: "client_closed_request",
		message: "the client closed the request before the answer"}
)

// statusClientClosed is nginx's "client closed request".
const statusClientClosed = 499

type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Param     string `json:"param,omitempty"`
	RequestID string `json:"request_id"`
}

// exchange is one request being served: what the log line and the stats
// need to know about it once it is answered.
type exchange struct {
	requestID string
	route     string // route pattern, empty when none matched
	keyID     string // calling key, once authenticated
	quota     *quota // calling key's rate limit, when one applies
	status    int
	dropped   bool
}

// responseWriter records the status for the log line and, for /v1, counts
// it before the client can see it, so stats read after a response include
// it. It adds the headers every answer carries as it is sent: Date from the
// server's clock (net/http would otherwise stamp the wall clock) and the
// caller's rate limit. Unwrap lets http.ResponseController reach the
// connection to drop it.
type responseWriter struct {
	http.ResponseWriter
	ex    *exchange
	now   func() time.Time
	stats *statsCounter // nil outside /v1
}

func (w *responseWriter) WriteHeader(status int) {
	if w.ex.status == 0 {
		w.ex.status = status
		if w.stats != nil {
			w.stats.response(strconv.Itoa(status))
		}
		h := w.Header()
		h.Set("Date", w.now().Format(http.TimeFormat))
		if w.ex.quota != nil {
			w.ex.quota.setHeaders(h)
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.ex.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeRaw(w, status, marshal(v))
}

// marshal encodes v as the API writes it: no HTML escaping, so a name comes
// back byte for byte as it was given.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value written here is a plain struct, so this is a bug;
		// net/http turns the panic into a dropped connection.
		panic(err)
	}
	return buf.Bytes()
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	// A client that went away cannot be told; its request is already handled.
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, ex *exchange, e *apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	if e.allow != "" {
		w.Header().Set("Allow", e.allow)
	}
	if e.closeConn {
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, e.status, errorEnvelope{Error: errorBody{
		Code: e.code, Message: e.message, Param: e.param, RequestID: ex.requestID,
	}})
}

// bufferedResponse holds a handler's answer that will never be sent, for the
// drop-after-commit fault. Unwrap reaches the connection's writer, so that
// the handler's read deadline applies to the connection.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
	conn   http.ResponseWriter
}

func (b *bufferedResponse) Unwrap() http.ResponseWriter { return b.conn }

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
