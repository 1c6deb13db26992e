// Package httpx holds Siyu's HTTP conventions: the application error type and its one mapping to
// HTTP status and JSON, localized messages, strict JSON decoding, validation, cursor pagination,
// request ids, the access log, metrics and the route table that also produces the OpenAPI
// document.
//
// It has no business rules and knows no domain type; domain packages describe their routes with
// Route and return *Error values from their services.
package httpx

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Code classifies an error for clients. Each code maps to exactly one HTTP status (Status).
type Code string

const (
	Invalid      Code = "invalid"
	Unauthorized Code = "unauthorized"
	Forbidden    Code = "forbidden"
	NotFound     Code = "not_found"
	Conflict     Code = "conflict"
	Locked       Code = "locked"
	Internal     Code = "internal"
	// UnsupportedMediaType is a body that is not declared as JSON.
	UnsupportedMediaType Code = "unsupported_media_type"
)

// Status is the HTTP status for a code.
func (c Code) Status() int {
	switch c {
	case Invalid:
		return 400
	case Unauthorized:
		return 401
	case Forbidden:
		return 403
	case NotFound:
		return 404
	case Conflict:
		return 409
	case Locked:
		return 429
	case UnsupportedMediaType:
		return 415
	default:
		return 500
	}
}

// FieldError says what is wrong with one input field: a stable machine code (required,
// too_long, invalid, not_found, taken, not_allowed) and, for too_long, the limit.
type FieldError struct {
	Code  string
	Limit int
}

// Error is the application error. Services return it for anything a caller can cause; anything
// else becomes Internal at the HTTP edge.
type Error struct {
	Code Code
	// Key selects the localized message (see RegisterMessages); empty means the code's default.
	Key string
	// Message is the English text used when no translation exists for Key.
	Message string
	// Fields names each bad input field (JSON name, or "row 7: phone" style for imports).
	Fields map[string]FieldError
	// Detail is shown verbatim after the localized message, for text only another system can
	// give (WeCom's errmsg). Never put secrets or internals in it.
	Detail string
	// RetryAfter is set on Locked errors.
	RetryAfter time.Duration
	// Err is the cause, logged but never shown.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	} else if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(e.Key)
	}
	if len(e.Fields) > 0 {
		names := make([]string, 0, len(e.Fields))
		for k, f := range e.Fields {
			names = append(names, k+"="+f.Code)
		}
		sort.Strings(names)
		b.WriteString(" (")
		b.WriteString(strings.Join(names, ", "))
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a code, a message key and an English message.
func Errorf(code Code, key, format string, args ...any) *Error {
	return &Error{Code: code, Key: key, Message: fmt.Sprintf(format, args...)}
}

// FieldErr builds an Invalid error for a single field.
func FieldErr(field, code string) *Error {
	return &Error{Code: Invalid, Fields: map[string]FieldError{field: {Code: code}}}
}

// NotFoundf is the common "no such object in your scope" error. The same answer is given whether
// the object does not exist or belongs to another tenant or scope, so ids cannot be probed.
func NotFoundf(what string) *Error {
	return &Error{Code: NotFound, Key: "not_found", Message: what + " not found"}
}

// AsError returns the *Error in err's chain, or an Internal error wrapping err.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Err: err}
}

// ErrorCode returns the code of err, or Internal.
func ErrorCode(err error) Code { return AsError(err).Code }
