package acquisition

import (
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// GroupStoreRoutes lists the API of group live codes and store codes. Their anonymous pages —
// GET /l/g/{slug} (a group code's landing) and GET /l/stores/{tenant} (the store finder) — are
// mounted with GroupLandingHandler and StoreFinderHandler; a store code's own landing is its live
// code's /l/{slug}.
func (s *Service) GroupStoreRoutes() []httpx.Route {
	read, write := org.PermAcquisitionRead, org.PermAcquisitionWrite
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/group-codes", Perm: read, Tag: "acquisition", Summary: "List the group live codes of my scope with their groups",
			Response: struct {
				Items []GroupCode `json:"items"`
			}{}, Handler: s.handleGroupCodes},
		{Method: "POST", Path: "/api/v1/group-codes", Perm: write, Tag: "acquisition", Summary: "Create a group live code (landing URL /l/g/{slug}, permanent)",
			Request: GroupCodeInput{}, Response: GroupCode{}, Status: http.StatusCreated, Handler: httpx.Create(s.CreateGroupCode)},
		{Method: "GET", Path: "/api/v1/group-codes/{id}", Perm: read, Tag: "acquisition", Summary: "A group live code with its groups, member counts and current group",
			Response: GroupCode{}, Handler: httpx.Read(s.GroupCode)},
		{Method: "PUT", Path: "/api/v1/group-codes/{id}", Perm: write, Tag: "acquisition", Summary: "Replace a group code's settings and ordered groups (the landing URL and join way stay)",
			Request: GroupCodeInput{}, Response: GroupCode{}, Handler: httpx.Replace(s.GroupCode, s.UpdateGroupCode)},
		{Method: "DELETE", Path: "/api/v1/group-codes/{id}", Perm: write, Tag: "acquisition", Summary: "Delete a group code and its WeCom join way",
			Status: http.StatusNoContent, Handler: httpx.Remove(s.DeleteGroupCode)},
		{Method: "GET", Path: "/api/v1/group-codes/{id}/stats", Perm: read, Tag: "acquisition", Summary: "Joins through a group code per group and day, and member counts",
			Query: []httpx.Param{{Name: "from", Type: "string", Description: "first day YYYY-MM-DD (default 29 days before to)"},
				{Name: "to", Type: "string", Description: "last day YYYY-MM-DD (default today, Asia/Shanghai)"}},
			Response: GroupJoins{}, Handler: s.handleGroupCodeStats},
		{Method: "GET", Path: "/api/v1/group-codes/{id}/qr.png", Perm: read, Tag: "acquisition", Summary: "The group code's QR image (PNG) of its landing URL",
			Query: []httpx.Param{{Name: "size", Type: "integer", Description: "pixels, 128-1024 (default 512)"}}, Handler: s.handleGroupQR},
		{Method: "GET", Path: "/api/v1/store-codes", Perm: read, Tag: "acquisition", Summary: "List the store codes of my scope",
			Query: []httpx.Param{{Name: "city", Type: "string", Description: "only this city"}},
			Response: struct {
				Items []StoreCode `json:"items"`
			}{}, Handler: s.handleStoreCodes},
		{Method: "POST", Path: "/api/v1/store-codes", Perm: write, Tag: "acquisition", Summary: "Create a store's code: a live code over the store's guides",
			Request: StoreCodeInput{}, Response: StoreCode{}, Status: http.StatusCreated, Handler: httpx.Create(s.CreateStoreCode)},
		{Method: "GET", Path: "/api/v1/store-codes/{id}", Perm: read, Tag: "acquisition", Summary: "A store code with its staff",
			Response: StoreCode{}, Handler: httpx.Read(s.StoreCode)},
		{Method: "PUT", Path: "/api/v1/store-codes/{id}", Perm: write, Tag: "acquisition", Summary: "Save a store code; its staff are refreshed to the store's current guides",
			Request: StoreCodeInput{}, Response: StoreCode{}, Handler: httpx.Replace(s.StoreCode, s.UpdateStoreCode)},
		{Method: "DELETE", Path: "/api/v1/store-codes/{id}", Perm: write, Tag: "acquisition", Summary: "Delete a store code never scanned (disable a used one)",
			Status: http.StatusNoContent, Handler: httpx.Remove(s.DeleteStoreCode)},
	}
}

func (s *Service) handleGroupCodes(w http.ResponseWriter, r *http.Request) error {
	items, err := s.GroupCodes(r.Context())
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

func (s *Service) handleGroupCodeStats(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	out, err := s.GroupCodeStats(r.Context(), id, r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleGroupQR(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	size := 512
	if raw := r.URL.Query().Get("size"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 128 || n > 1024 {
			return httpx.FieldErr("size", "out_of_range")
		}
		size = n
	}
	code, err := s.GroupCode(r.Context(), id)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(LandingURL(r, "g/"+code.Slug), qrcode.Medium, size)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", `inline; filename="group-code-`+strconv.FormatInt(id, 10)+`.png"`)
	_, err = w.Write(png)
	return err
}

func (s *Service) handleStoreCodes(w http.ResponseWriter, r *http.Request) error {
	city := strings.TrimSpace(r.URL.Query().Get("city"))
	if len([]rune(city)) > maxCityLen {
		return httpx.FieldErr("city", "too_long")
	}
	items, err := s.StoreCodes(r.Context(), city)
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

func wantsJSON(r *http.Request) bool {
	return r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json")
}

func landingError(w http.ResponseWriter, r *http.Request, status int, key, title string) {
	w.Header().Set("Cache-Control", "no-store")
	if wantsJSON(r) {
		httpx.JSON(w, status, map[string]any{"error": map[string]string{"code": key, "message": httpx.Text(httpx.LangOf(r), key)}})
		return
	}
	lang := "zh-CN"
	if httpx.LangOf(r) == httpx.En {
		lang = "en"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	writeLanding(w, lang, title, "", httpx.Text(httpx.LangOf(r), key))
}

// GroupLandingHandler serves GET /l/g/{slug}: a group code's permanent, anonymous landing URL. It
// answers with an H5 page showing the join QR of the current group, or JSON (GroupLanding) with
// ?format=json or Accept: application/json.
func (s *Service) GroupLandingHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := s.ScanGroup(r.Context(), r.PathValue("slug"))
		switch {
		case err == nil:
		case errors.Is(err, ErrNoCode):
			landingError(w, r, http.StatusNotFound, "not_found", "")
			return
		case errors.Is(err, ErrCodeClosed):
			landingError(w, r, http.StatusGone, "code_unavailable", out.CodeName)
			return
		case errors.Is(err, ErrGroupsFull):
			landingError(w, r, http.StatusServiceUnavailable, "groups_full", out.CodeName)
			return
		default:
			s.log.ErrorContext(r.Context(), "group code scan failed", "slug", r.PathValue("slug"), "err", err)
			landingError(w, r, http.StatusServiceUnavailable, "groups_full", out.CodeName)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if wantsJSON(r) {
			httpx.JSON(w, http.StatusOK, out)
			return
		}
		lang, hint := "zh-CN", "长按识别二维码，加入群聊「"+out.GroupName+"」"
		if httpx.LangOf(r) == httpx.En {
			lang, hint = "en", "Press and hold the QR code to join the group "+out.GroupName
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		writeLanding(w, lang, out.CodeName, out.QRCode, hint)
	})
}

// StoreFinderHandler serves GET /l/stores/{tenant}: the public store finder. It lists the
// tenant's cities with open store codes; with ?city= (or when there is one city) it lists that
// city's stores, each linking to its store code's landing /l/{slug}. JSON (Finder) with
// ?format=json or Accept: application/json.
func (s *Service) StoreFinderHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant := r.PathValue("tenant")
		out, err := s.StoreFinder(r.Context(), tenant, r.URL.Query().Get("city"))
		switch {
		case errors.Is(err, ErrNoCode):
			landingError(w, r, http.StatusNotFound, "not_found", "")
			return
		case err != nil:
			s.log.ErrorContext(r.Context(), "store finder failed", "tenant", tenant, "err", err)
			landingError(w, r, http.StatusServiceUnavailable, "internal", "")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if wantsJSON(r) {
			httpx.JSON(w, http.StatusOK, out)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		writeFinder(w, r, tenant, out)
	})
}

// writeFinder writes the store finder page: a city picker (a plain GET form, so it works without
// script) and the chosen city's stores as links to their codes.
func writeFinder(w io.Writer, r *http.Request, tenant string, f Finder) {
	l := httpx.LangOf(r)
	lang := "zh-CN"
	if l == httpx.En {
		lang = "en"
	}
	var b strings.Builder
	title := f.Brand + " · " + httpx.Text(l, "store_finder")
	b.WriteString(`<!doctype html><html lang="` + lang + `"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`)
	b.WriteString(`<title>` + html.EscapeString(title) + `</title><style>body{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;padding:32px 16px;color:#222;background:#f6f7f9}
.card{max-width:360px;margin:0 auto;background:#fff;border-radius:12px;padding:24px;box-shadow:0 2px 12px rgba(0,0,0,.06)}h1{font-size:18px;margin:0 0 16px;text-align:center}
select,button{font-size:16px;padding:6px}ul{list-style:none;padding:0}li a{display:block;padding:12px;border-bottom:1px solid #eee;color:#1677ff;text-decoration:none}p{color:#666}</style></head><body><div class="card">`)
	b.WriteString(`<h1>` + html.EscapeString(title) + `</h1>`)
	b.WriteString(`<form method="get" action="/l/stores/` + url.PathEscape(tenant) + `"><label>` + html.EscapeString(httpx.Text(l, "store_city")) + ` <select name="city" onchange="this.form.submit()"><option value=""></option>`)
	for _, c := range f.Cities {
		sel := ""
		if c == f.City {
			sel = " selected"
		}
		b.WriteString(`<option value="` + html.EscapeString(c) + `"` + sel + `>` + html.EscapeString(c) + `</option>`)
	}
	b.WriteString(`</select></label> <button type="submit">OK</button></form>`)
	if f.City != "" {
		if len(f.Stores) == 0 {
			b.WriteString(`<p>` + html.EscapeString(httpx.Text(l, "store_none")) + `</p>`)
		}
		b.WriteString(`<ul>`)
		for _, st := range f.Stores {
			b.WriteString(`<li><a href="` + html.EscapeString(st.LandingPath) + `">` + html.EscapeString(st.Name) + `</a></li>`)
		}
		b.WriteString(`</ul>`)
	}
	b.WriteString(`</div></body></html>`)
	_, _ = io.WriteString(w, b.String())
}
