package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecode(t *testing.T) {
	type in struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	tests := []struct {
		body   string
		code   Code
		fields map[string]string
	}{
		{`{"name":"a","count":2}`, "", nil},
		{`{"name":"a","extra":1}`, Invalid, map[string]string{"extra": "unknown"}},
		{`{"count":"two"}`, Invalid, map[string]string{"count": "invalid"}},
		{`{"name":"a"} {"name":"b"}`, Invalid, nil},
		{`[1,2]`, Invalid, nil},
		{``, Invalid, nil},
		{`{"name":`, Invalid, nil},
		{`{"name":"` + strings.Repeat("x", MaxBody) + `"}`, Invalid, nil},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
		var v in
		err := Decode(r, &v)
		if tt.code == "" {
			if err != nil {
				t.Errorf("Decode(%.40q) = %v", tt.body, err)
			}
			continue
		}
		e := AsError(err)
		if e.Code != tt.code {
			t.Errorf("Decode(%.40q) code = %v (%v), want %v", tt.body, e.Code, err, tt.code)
		}
		got := map[string]string{}
		for k, f := range e.Fields {
			got[k] = f.Code
		}
		if tt.fields == nil {
			tt.fields = map[string]string{}
		}
		if diff := cmp.Diff(tt.fields, got); diff != "" {
			t.Errorf("Decode(%.40q) fields (-want +got)\n%s", tt.body, diff)
		}
	}
}

func TestDecodeWantsJSONContentType(t *testing.T) {
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"a"}`))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		var v struct{ Name string }
		if err := Decode(r, &v); ErrorCode(err) != UnsupportedMediaType || v.Name != "" {
			t.Errorf("Content-Type %q: %v, decoded %+v", ct, err, v)
		}
	}
}

func TestWriteErrorLocalizes(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &Error{Code: Invalid, Fields: map[string]FieldError{"name": {Code: "too_long", Limit: 32}}})
	for lang, want := range map[string]string{"en-US,en;q=0.9": "must be at most 32 characters", "zh-CN": "不能超过 32 个字符", "": "不能超过 32 个字符", "fr, en;q=0.5": "must be at most 32 characters"} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Accept-Language", lang)
		w := httptest.NewRecorder()
		WriteError(w, r, err)
		var body struct {
			Error struct {
				Code       string            `json:"code"`
				Fields     map[string]string `json:"fields"`
				FieldCodes map[string]string `json:"field_codes"`
			} `json:"error"`
		}
		if jerr := json.Unmarshal(w.Body.Bytes(), &body); jerr != nil {
			t.Fatal(jerr)
		}
		if w.Code != 400 || body.Error.Fields["name"] != want || body.Error.FieldCodes["name"] != "too_long" {
			t.Errorf("lang %q: %d %s", lang, w.Code, w.Body)
		}
	}
	// Internal errors never show their cause.
	w := httptest.NewRecorder()
	WriteError(w, httptest.NewRequest("GET", "/", nil), errors.New("pq: password authentication failed for secret-db"))
	if w.Code != 500 || strings.Contains(w.Body.String(), "secret-db") {
		t.Errorf("internal: %d %s", w.Code, w.Body)
	}
}

func TestCodeStatus(t *testing.T) {
	want := map[Code]int{Invalid: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, Conflict: 409, Locked: 429, Internal: 500, "weird": 500}
	for c, s := range want {
		if c.Status() != s {
			t.Errorf("%s.Status() = %d, want %d", c, c.Status(), s)
		}
	}
}

func TestPagination(t *testing.T) {
	for _, n := range []int64{0, 1, 42, 1 << 62} {
		got, ok := DecodeCursor(EncodeCursor(n))
		if !ok || got != n {
			t.Errorf("cursor round trip %d → %d %v", n, got, ok)
		}
	}
	for _, bad := range []string{"!!", "aWQ6LTE", "eHl6"} { // not base64, "id:-1", "xyz"
		if _, ok := DecodeCursor(bad); ok {
			t.Errorf("DecodeCursor(%q) accepted", bad)
		}
	}
	tests := []struct {
		query  string
		want   PageRequest
		fields []string
	}{
		{"", PageRequest{Limit: DefaultLimit}, nil},
		{"limit=10&cursor=" + EncodeCursor(7), PageRequest{Limit: 10, After: 7}, nil},
		{"limit=0", PageRequest{}, []string{"limit"}},
		{"limit=501&cursor=zz", PageRequest{}, []string{"limit", "cursor"}},
	}
	for _, tt := range tests {
		p, err := PageParams(httptest.NewRequest("GET", "/?"+tt.query, nil))
		if tt.fields == nil {
			if err != nil || p != tt.want {
				t.Errorf("PageParams(%q) = %+v, %v; want %+v", tt.query, p, err, tt.want)
			}
			continue
		}
		e := AsError(err)
		for _, f := range tt.fields {
			if _, ok := e.Fields[f]; !ok {
				t.Errorf("PageParams(%q): no error for %s (%v)", tt.query, f, err)
			}
		}
	}
	items := []int64{1, 2, 3, 4}
	page := MakePage(items, 3, func(i int64) int64 { return i })
	if len(page.Items) != 3 || page.NextCursor != EncodeCursor(3) {
		t.Errorf("MakePage = %+v", page)
	}
	if last := MakePage(items[:2], 3, func(i int64) int64 { return i }); last.NextCursor != "" {
		t.Errorf("last page has a cursor: %+v", last)
	}
	if empty := MakePage[int64](nil, 3, nil); empty.Items == nil {
		t.Error("empty page encodes items as null")
	}
}

func TestValidator(t *testing.T) {
	var v Validator
	if got := v.Text("name", "  王芳  ", true, 2); got != "王芳" {
		t.Errorf("Text trims: %q", got)
	}
	v.Text("title", "", true, 10)
	v.Text("remark", "三个字", false, 2)
	v.Text("line", "a\nb", false, 10)
	v.OneOf("kind", "mall", "store", "branch")
	v.OneOf("role", "", "owner")
	v.Add("title", "invalid") // a field keeps its first error
	got := map[string]string{}
	for k, f := range AsError(v.Err()).Fields {
		got[k] = f.Code
	}
	want := map[string]string{"title": "required", "remark": "too_long", "line": "invalid", "kind": "invalid", "role": "required"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got)\n%s", diff)
	}
	var ok Validator
	ok.Text("name", "fine", true, 10)
	if ok.Err() != nil {
		t.Errorf("valid input: %v", ok.Err())
	}
}

func TestMiddlewareRecoversAndTagsRequests(t *testing.T) {
	h := Middleware(discardLogger(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if RequestID(r.Context()) == "" {
			t.Error("no request id in context")
		}
		panic("boom")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
	if w.Code != 500 || w.Header().Get("X-Request-Id") == "" || !strings.Contains(w.Body.String(), `"internal"`) {
		t.Errorf("panic: %d %q %s", w.Code, w.Header().Get("X-Request-Id"), w.Body)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
