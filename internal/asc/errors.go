package asc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. An *APIError matches them with errors.Is by HTTP status.
var (
	ErrNotFound     = errors.New("asc: not found")           // 404
	ErrConflict     = errors.New("asc: conflict")            // 409
	ErrRateLimited  = errors.New("asc: rate limited")        // 429
	ErrUnauthorized = errors.New("asc: unauthorized")        // 401
	ErrForbidden    = errors.New("asc: forbidden")           // 403
	ErrForeignLink  = errors.New("asc: foreign paging link") // links.next pointing away from the base URL
	// ErrNoAnswer means App Store Connect did not answer one call (every
	// attempt and wait) within the client's call timeout. It matches
	// context.DeadlineExceeded too.
	ErrNoAnswer = fmt.Errorf("asc: App Store Connect did not answer in time: %w", context.DeadlineExceeded)
)

// APIError is a non-2xx answer from App Store Connect.
type APIError struct {
	StatusCode int
	Method     string
	// Path is the request path relative to the base URL, without query
	// (e.g. /v1/reviewSubmissions/123).
	Path      string
	Errors    []ErrorItem
	RateLimit RateLimit
	// RetryAfter is the parsed Retry-After header, 0 when absent.
	RetryAfter time.Duration
}

// ErrorItem is one entry of Apple's ErrorResponse.errors.
type ErrorItem struct {
	ID     string
	Status string
	Code   string
	Title  string
	Detail string
	Source *ErrorSource
	// Meta is kept raw: Apple describes it as "an object that contains the
	// error itself or associated errors".
	Meta json.RawMessage
}

// ErrorSource says where an error is: a JSON pointer into the request body or
// a query parameter name.
type ErrorSource struct {
	Pointer   string
	Parameter string
}

// UnmarshalJSON decodes an error item leniently: status may be a string or a
// number, every field is optional.
func (e *ErrorItem) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID     json.RawMessage `json:"id"`
		Status json.RawMessage `json:"status"`
		Code   string          `json:"code"`
		Title  string          `json:"title"`
		Detail string          `json:"detail"`
		Source *struct {
			Pointer   string `json:"pointer"`
			Parameter string `json:"parameter"`
		} `json:"source"`
		Meta json.RawMessage `json:"meta"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*e = ErrorItem{
		ID:     looseString(raw.ID),
		Status: looseString(raw.Status),
		Code:   raw.Code,
		Title:  raw.Title,
		Detail: raw.Detail,
	}
	if raw.Source != nil && (raw.Source.Pointer != "" || raw.Source.Parameter != "") {
		e.Source = &ErrorSource{Pointer: raw.Source.Pointer, Parameter: raw.Source.Parameter}
	}
	if len(raw.Meta) > 0 && !bytes.Equal(raw.Meta, []byte("null")) {
		e.Meta = raw.Meta
	}
	return nil
}

// looseString returns a JSON string's value, a number's text, or "".
func looseString(b json.RawMessage) string {
	if len(b) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return s
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		return n.String()
	}
	return ""
}

// newAPIError builds an APIError from a response and its (possibly non-JSON)
// body.
func newAPIError(method, path string, resp *http.Response, body []byte, rl RateLimit, retryAfter time.Duration) *APIError {
	e := &APIError{
		StatusCode: resp.StatusCode,
		Method:     method,
		Path:       path,
		RateLimit:  rl,
		RetryAfter: retryAfter,
	}
	var doc struct {
		Errors []ErrorItem `json:"errors"`
	}
	if err := json.Unmarshal(body, &doc); err == nil {
		e.Errors = doc.Errors
	}
	return e
}

// Error renders "METHOD /path: 409 CODE: title: detail" (plus a count of the
// further errors), or "METHOD /path: 502 Bad Gateway" when the body held none.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if len(e.Errors) == 0 {
		if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteByte(' ')
			b.WriteString(t)
		}
		return b.String()
	}
	first := e.Errors[0]
	if first.Code != "" {
		b.WriteByte(' ')
		b.WriteString(first.Code)
	}
	if first.Title != "" {
		b.WriteString(": ")
		b.WriteString(first.Title)
	}
	if first.Detail != "" && first.Detail != first.Title {
		b.WriteString(": ")
		b.WriteString(first.Detail)
	}
	if n := len(e.Errors) - 1; n > 0 {
		fmt.Fprintf(&b, " (and %d more)", n)
	}
	return b.String()
}

// Is matches the status sentinels: ErrNotFound (404), ErrConflict (409),
// ErrRateLimited (429), ErrUnauthorized (401), ErrForbidden (403).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	}
	return false
}

// HasCode reports whether any error item's code equals prefix or lies below it
// in Apple's dot-separated hierarchy: HasCode("ENTITY_ERROR") matches
// "ENTITY_ERROR.ATTRIBUTE.INVALID" but not "ENTITY_ERRORS".
func (e *APIError) HasCode(prefix string) bool {
	for _, it := range e.Errors {
		if it.Code == prefix || strings.HasPrefix(it.Code, prefix+".") {
			return true
		}
	}
	return false
}

// Detail returns a human sentence: the first error's detail, else its title,
// else the HTTP status text.
func (e *APIError) Detail() string {
	if len(e.Errors) > 0 {
		if e.Errors[0].Detail != "" {
			return e.Errors[0].Detail
		}
		if e.Errors[0].Title != "" {
			return e.Errors[0].Title
		}
	}
	if t := http.StatusText(e.StatusCode); t != "" {
		return t
	}
	return "HTTP " + strconv.Itoa(e.StatusCode)
}

// IsNotFound reports whether err is (or wraps) a 404 from the API.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err is (or wraps) a 409 from the API.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// IsRateLimited reports whether err is (or wraps) a 429 from the API.
func IsRateLimited(err error) bool { return errors.Is(err, ErrRateLimited) }

// IsUnauthorized reports whether err is (or wraps) a 401 from the API.
func IsUnauthorized(err error) bool { return errors.Is(err, ErrUnauthorized) }

// IsForbidden reports whether err is (or wraps) a 403 from the API.
func IsForbidden(err error) bool { return errors.Is(err, ErrForbidden) }

// AsAPIError returns the *APIError in err's chain, if any.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}
