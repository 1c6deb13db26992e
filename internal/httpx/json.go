package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// MaxBody bounds JSON request bodies; imports use their own upload endpoints.
const MaxBody = 1 << 20

// Decode reads a JSON object into v strictly: unknown fields, trailing data and wrong types are
// Invalid errors that name the field, so a typo in a client never silently drops input.
//
// The body must be declared application/json: browsers cannot send that cross-site without a CORS
// preflight, which is what keeps a forged <form> from logging a victim in (login CSRF).
func Decode(r *http.Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return &Error{Code: UnsupportedMediaType, Key: "content_type", Message: "the body must be sent as Content-Type: application/json"}
	}
	body := http.MaxBytesReader(nil, r.Body, MaxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return &Error{Code: Invalid, Key: "bad_json", Message: "trailing data after the JSON object"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &Error{Code: Invalid, Key: "bad_json", Message: "trailing data after the JSON object"}
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return &Error{Code: Invalid, Key: "bad_json", Message: "the body must be a JSON object"}
		}
		return &Error{Code: Invalid, Message: "field " + field + " has the wrong type",
			Fields: map[string]FieldError{field: {Code: "invalid"}}}
	case errors.As(err, &maxErr):
		return &Error{Code: Invalid, Key: "too_large", Message: "request body larger than " + strconv.Itoa(MaxBody) + " bytes"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Error{Code: Invalid, Message: "unknown field " + field,
			Fields: map[string]FieldError{field: {Code: "unknown"}}}
	case errors.Is(err, io.EOF):
		return &Error{Code: Invalid, Key: "bad_json", Message: "empty request body"}
	default:
		return &Error{Code: Invalid, Key: "bad_json", Message: "bad JSON: " + err.Error()}
	}
}

// JSON writes v with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v == nil {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code       Code              `json:"code"`
	Message    string            `json:"message"`
	Fields     map[string]string `json:"fields,omitempty"`
	FieldCodes map[string]string `json:"field_codes,omitempty"`
	RequestID  string            `json:"request_id,omitempty"`
}

// WriteError writes err in the error shape with its status, localized for the request. Internal
// errors are logged with their cause; the client sees only the request id.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := AsError(err)
	lang := LangOf(r)
	msg := ""
	if e.Key != "" {
		msg = Text(lang, e.Key)
	}
	if msg == "" && e.Message != "" && (lang == En || e.Key == "") && e.Code != Internal {
		msg = e.Message
	}
	if msg == "" {
		msg = Text(lang, string(e.Code))
	}
	if e.Detail != "" && e.Code != Internal {
		msg += " (" + e.Detail + ")"
	}
	body := errorJSON{Code: e.Code, Message: msg, RequestID: RequestID(r.Context())}
	if len(e.Fields) > 0 {
		body.Fields = make(map[string]string, len(e.Fields))
		body.FieldCodes = make(map[string]string, len(e.Fields))
		for name, f := range e.Fields {
			body.Fields[name] = fieldText(lang, f)
			body.FieldCodes[name] = f.Code
		}
	}
	if e.Code == Internal {
		slog.ErrorContext(r.Context(), "internal error", slog.String("request_id", body.RequestID),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	if e.Code == Locked && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds())+1))
	}
	JSON(w, e.Code.Status(), errorBody{Error: body})
}

// Reply writes v with status, or returns err for the router to write: a handler ends with
// `v, err := svc.Do(ctx, in); return httpx.Reply(w, http.StatusOK, v, err)`.
func Reply(w http.ResponseWriter, status int, v any, err error) error {
	if err != nil {
		return err
	}
	JSON(w, status, v)
	return nil
}

// IDAndBody reads the {id} path value and the JSON body: the start of every handler that
// changes one object.
func IDAndBody[T any](r *http.Request) (int64, T, error) {
	var in T
	id, err := PathID(r, "id")
	if err != nil {
		return 0, in, err
	}
	return id, in, Decode(r, &in)
}
