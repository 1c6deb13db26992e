package httpx

import (
	"strings"
	"unicode/utf8"
)

// Validator collects field errors so one response names every bad field at once.
type Validator struct {
	fields map[string]FieldError
}

// Add records a field error unless the field already has one (the first problem is the one to fix).
func (v *Validator) Add(field, code string) {
	v.add(field, FieldError{Code: code})
}

func (v *Validator) add(field string, f FieldError) {
	if v.fields == nil {
		v.fields = map[string]FieldError{}
	}
	if _, ok := v.fields[field]; !ok {
		v.fields[field] = f
	}
}

// Has reports whether field already has an error.
func (v *Validator) Has(field string) bool {
	_, ok := v.fields[field]
	return ok
}

// Text checks a trimmed string: required when required is set, at most max characters
// (runes, because names are Chinese). It returns the trimmed value.
func (v *Validator) Text(field, s string, required bool, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		v.Add(field, "required")
	case utf8.RuneCountInString(s) > max:
		v.add(field, FieldError{Code: "too_long", Limit: max})
	case strings.ContainsAny(s, "\x00\r\n\t"):
		v.Add(field, "invalid")
	}
	return s
}

// OneOf checks that s is one of the allowed values.
func (v *Validator) OneOf(field, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	if s == "" {
		v.Add(field, "required")
		return
	}
	v.Add(field, "invalid")
}

// Check records code on field when ok is false.
func (v *Validator) Check(ok bool, field, code string) {
	if !ok {
		v.Add(field, code)
	}
}

// Err returns the collected errors as one Invalid error, or nil.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Fields: v.fields}
}

// AddLimit records a code that carries a limit (too_long, too_short).
func (v *Validator) AddLimit(field, code string, limit int) {
	v.add(field, FieldError{Code: code, Limit: limit})
}
