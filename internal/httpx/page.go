package httpx

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// Page is one page of a cursor-paginated list. An empty NextCursor means the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// PageRequest is what a list endpoint was asked for: at most Limit items after the item whose
// key is After (0 = from the start). Keys are ids, so pages stay stable while rows are added.
type PageRequest struct {
	Limit int
	After int64
}

const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// PageParams reads ?limit= and ?cursor=.
func PageParams(r *http.Request) (PageRequest, error) {
	p := PageRequest{Limit: DefaultLimit}
	var v Validator
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			v.Add("limit", "out_of_range")
		}
		p.Limit = n
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		after, ok := DecodeCursor(c)
		if !ok {
			v.Add("cursor", "invalid")
		}
		p.After = after
	}
	return p, v.Err()
}

// EncodeCursor makes an opaque cursor for the key of the last item on a page.
func EncodeCursor(after int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(after, 10)))
}

// DecodeCursor reverses EncodeCursor.
func DecodeCursor(c string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "id:") {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[3:]), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// MakePage trims items fetched with limit+1 to a page and sets the cursor from key.
func MakePage[T any](items []T, limit int, key func(T) int64) Page[T] {
	if items == nil {
		items = []T{}
	}
	if len(items) <= limit {
		return Page[T]{Items: items}
	}
	items = items[:limit]
	return Page[T]{Items: items, NextCursor: EncodeCursor(key(items[len(items)-1]))}
}
