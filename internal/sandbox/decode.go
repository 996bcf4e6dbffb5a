package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"reflect"
	"time"
	"unicode/utf8"
)

// maxBodyBytes is the largest request body the API reads.
const maxBodyBytes = 64 << 10

var (
	errTooLarge = &apiError{status: http.StatusRequestEntityTooLarge, code: "request_too_large",
		message: "request body is larger than 65536 bytes", closeConn: true}
	errBodyTimeout = &apiError{status: http.StatusRequestTimeout, code: "request_timeout",
		message: "the request body did not arrive in time; send it whole, then wait for the answer", closeConn: true}
)

// readBody reads the whole body within the body timeout, refusing one over
// maxBodyBytes, before reading a byte when Content-Length says so.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	if r.ContentLength > maxBodyBytes {
		return nil, errTooLarge
	}
	// A client that sends its body slowly, or never, must not hold the
	// connection: the read fails at the deadline. Once the body is in, the
	// deadline is lifted, so that the connection's check for a client that
	// went away does not time out while the request is handled.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.bodyTimeout)) // unsupported only under a test recorder
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, errBodyTimeout
	case err != nil && r.Context().Err() != nil:
		return nil, errClientClosed
	case err != nil:
		return nil, errInvalid("", "could not read the request body")
	}
	_ = rc.SetReadDeadline(time.Time{})
	return body, nil
}

// decodeObject parses body as exactly one JSON object whose members all name
// entries of fields, and decodes each member into its entry. Member names
// match exactly (encoding/json alone would accept "Name" for "name"), and a
// member may not repeat, so a body has one meaning only.
//
// A string is read as sent or refused: invalid UTF-8 or a lone surrogate
// escape, which encoding/json would replace with U+FFFD, is refused naming
// its field.
func decodeObject(body []byte, fields map[string]any) *apiError {
	// A body that does not parse is refused as such, unless it is not UTF-8,
	// which is the likelier fault.
	malformed := func(e *apiError) *apiError {
		if !utf8.Valid(body) {
			return errInvalid("", "request body must be valid UTF-8")
		}
		return e
	}
	notObject := errInvalid("", "request body must be one JSON object")
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return malformed(notObject)
	}
	seen := map[string]bool{}
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return malformed(notObject)
		}
		name, ok := tok.(string)
		if !ok {
			return malformed(notObject)
		}
		if raw := body[start:dec.InputOffset()]; !utf8.Valid(raw) || !surrogatesPaired(raw) {
			return errInvalid("", "a field name is not valid Unicode (invalid UTF-8 or a lone surrogate escape)")
		}
		dst, known := fields[name]
		if !known {
			return errInvalid(name, "unknown field "+quote(name))
		}
		if seen[name] {
			return errInvalid(name, "field "+quote(name)+" appears more than once")
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return malformed(errInvalid("", "request body is not valid JSON"))
		}
		if !utf8.Valid(raw) {
			return errInvalid(name, name+" must be valid UTF-8")
		}
		if !surrogatesPaired(raw) {
			return errInvalid(name, name+` must be valid Unicode: a \u escape of a UTF-16 surrogate (\ud800 to \udfff) must be a high one followed by a low one`)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return errInvalid(name, name+" must be "+jsonKind(reflect.TypeOf(dst)))
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return malformed(notObject)
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed(errInvalid("", "request body has data after the JSON object"))
	}
	return nil
}

// jsonKind names the JSON type a destination accepts, for error messages.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
