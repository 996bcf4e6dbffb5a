package astral

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// Sentinels for errors.Is. An *APIError matches the ones its code or status
// names (see APIError.Is); a *ValidationError matches ErrInvalidConfig,
// ErrMalformedSecret, ErrInvalidKeyID or ErrInvalidOption, from checks made
// before any request.
var (
	ErrNotFound            = errors.New("astral: not found")
	ErrUnauthenticated     = errors.New("astral: unauthenticated")
	ErrForbidden           = errors.New("astral: forbidden")
	ErrPlanUpgradeRequired = errors.New("astral: plan upgrade required")
	ErrInsufficientRole    = errors.New("astral: insufficient role")
	ErrInvalidRequest      = errors.New("astral: invalid request")
	ErrIdempotencyConflict = errors.New("astral: idempotency conflict")
	ErrRateLimited         = errors.New("astral: rate limited")
	ErrRequestTooLarge     = errors.New("astral: request too large")
	ErrServer              = errors.New("astral: server error")
	ErrMalformedSecret     = errors.New("astral: malformed API key secret")
	ErrInvalidKeyID        = errors.New("astral: invalid API key ID")
	ErrInvalidConfig       = errors.New("astral: invalid configuration")
	ErrInvalidOption       = errors.New("astral: invalid option")
)

// ValidationError is a value the client refuses before sending anything: a
// field of Config (by NewClient), a secret (ValidateSecret), a key ID
// (ValidateKeyID) or an option of a call. Reason says what is wrong in words
// that fit after "the endpoint is not usable: "; it never quotes a secret.
type ValidationError struct {
	// Field names the value: a field of Config or of an options struct
	// ("Endpoint", "APIKey", "IdempotencyKey"), or "id" for a key ID.
	Field  string
	Reason string
	// kind is the sentinel the error matches.
	kind error
}

func (e *ValidationError) Error() string {
	return e.kind.Error() + ": " + e.Field + ": " + e.Reason
}

func (e *ValidationError) Unwrap() error { return e.kind }

func invalidConfig(field, reason string) *ValidationError {
	return &ValidationError{Field: field, Reason: reason, kind: ErrInvalidConfig}
}

// The API's error codes.
const (
	CodeInvalidRequest      = "invalid_request"
	CodeUnauthenticated     = "unauthenticated"
	CodePlanUpgradeRequired = "plan_upgrade_required"
	CodeInsufficientRole    = "insufficient_role"
	CodeNotFound            = "not_found"
	CodeIdempotencyConflict = "idempotency_conflict"
	CodeRequestTooLarge     = "request_too_large"
	CodeRateLimited         = "rate_limited"
	CodeInternal            = "internal"
	CodeUnavailable         = "unavailable"

	// CodeUnexpectedResponse is the client's own code for an error response
	// that is not in the API's error envelope: a proxy's HTML page, a
	// redirect, a body too large to read.
	CodeUnexpectedResponse = "unexpected_response"
)

// APIError is an error response of the API, as the last attempt received it.
type APIError struct {
	StatusCode int
	Code       string
	Message    string
	// Param names the input at fault, when there is one.
	Param     string
	RequestID string
	Method    string
	URL       string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.URL, e.StatusCode, e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	var notes []string
	if e.Param != "" {
		notes = append(notes, "param "+e.Param)
	}
	if e.RequestID != "" {
		notes = append(notes, "request "+e.RequestID)
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
	}
	return b.String()
}

// Is matches the sentinels by status, except where a status alone would
// mislead: ErrNotFound needs the API's not_found code, because a 404 from
// anything else (a wrong endpoint, a proxy) must never make a key look
// deleted; ErrPlanUpgradeRequired, ErrInsufficientRole and
// ErrIdempotencyConflict name codes. Both 403 codes match ErrForbidden and
// every 5xx matches ErrServer.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Code == CodeNotFound
	case ErrUnauthenticated:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrPlanUpgradeRequired:
		return e.Code == CodePlanUpgradeRequired
	case ErrInsufficientRole:
		return e.Code == CodeInsufficientRole
	case ErrInvalidRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrIdempotencyConflict:
		return e.Code == CodeIdempotencyConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrRequestTooLarge:
		return e.StatusCode == http.StatusRequestEntityTooLarge
	case ErrServer:
		return e.StatusCode >= 500
	}
	return false
}

// ConnectionError is a call that got no usable response: every attempt
// failed to connect or lost the connection, or the context ended first
// (errors.Is(err, context.DeadlineExceeded) then holds).
type ConnectionError struct {
	Method   string
	URL      string
	Attempts int
	Err      error
	// NotSent reports that no attempt can have reached the API: each one
	// failed before a request was written (the host has no address, the
	// connection was refused, the context ended while connecting). A create
	// that was not sent created nothing; one that was may have.
	NotSent bool
}

func (e *ConnectionError) Error() string {
	s := "s"
	if e.Attempts == 1 {
		s = ""
	}
	return fmt.Sprintf("%s %s: no response after %d attempt%s: %v", e.Method, e.URL, e.Attempts, s, e.Err)
}

func (e *ConnectionError) Unwrap() error { return e.Err }

// newAPIError turns an error response into an *APIError. A body that is not
// the API's envelope is never quoted: a proxy's page may echo the request,
// Authorization header included.
func newAPIError(st *call, resp *http.Response, body []byte, readErr error) *APIError {
	e := &APIError{
		StatusCode: resp.StatusCode,
		RequestID:  resp.Header.Get("X-Request-Id"),
		Method:     st.method,
		URL:        st.url,
	}
	var envelope struct {
		Error *struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			Param     string `json:"param"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if readErr == nil && json.Unmarshal(body, &envelope) == nil && envelope.Error != nil && envelope.Error.Code != "" {
		e.Code = envelope.Error.Code
		e.Message = envelope.Error.Message
		e.Param = envelope.Error.Param
		e.RequestID = cmpOr(envelope.Error.RequestID, e.RequestID)
		return e
	}

	e.Code = CodeUnexpectedResponse
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		e.Message = "the server redirected the request; set the endpoint to the API's base URL"
		if loc, err := resp.Location(); err == nil {
			e.Message = fmt.Sprintf("the server redirected the request to %s; set the endpoint to the API's base URL", loc.Redacted())
		}
	case readErr != nil:
		e.Message = fmt.Sprintf("the error response could not be read: %v", readErr)
	default:
		mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		e.Message = fmt.Sprintf("%s with a %s body that is not an Astral API error; check the endpoint",
			http.StatusText(resp.StatusCode), cmpOr(mediaType, "untyped"))
	}
	return e
}

// badResponse reports a 2xx response the client cannot use.
func badResponse(st *call, resp *http.Response, err error) error {
	reqID := resp.Header.Get("X-Request-Id")
	if reqID == "" {
		reqID = "none"
	}
	return fmt.Errorf("%s %s: unusable %d response (request %s): %w", st.method, st.url, resp.StatusCode, reqID, err)
}
