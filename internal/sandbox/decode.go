package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"unicode/utf8"
)

// maxBodyBytes is the largest request body the API reads.
const maxBodyBytes = 64 << 10

// readBody reads the whole body, refusing one over maxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: "request_too_large",
			message: "request body is larger than 65536 bytes"}
	case err != nil:
		return nil, errInvalid("", "could not read the request body")
	}
	return body, nil
}

// decodeObject parses body as exactly one JSON object whose members all name
// entries of fields, and decodes each member into its entry. Member names
// match exactly (encoding/json alone would accept "Name" for "name"), and a
// member may not repeat, so a body has one meaning only.
func decodeObject(body []byte, fields map[string]any) *apiError {
	notObject := errInvalid("", "request body must be one JSON object")
	if !utf8.Valid(body) {
		return errInvalid("", "request body must be valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return notObject
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return notObject
		}
		name, ok := tok.(string)
		if !ok {
			return notObject
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
			return errInvalid("", "request body is not valid JSON")
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return errInvalid(name, name+" must be "+jsonKind(reflect.TypeOf(dst)))
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return notObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return errInvalid("", "request body has data after the JSON object")
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
