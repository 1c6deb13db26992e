package acquisition

import (
	"net/http"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Routes lists the acquisition API: channels and their spend, live codes (with their QR image)
// and channel stats. The scan landing page GET /l/{slug} is not here: it is anonymous by design
// and mounted with LandingHandler.
func (s *Service) Routes() []httpx.Route {
	read, write := org.PermAcquisitionRead, org.PermAcquisitionWrite
	idQuery := func(name, what string) httpx.Param {
		return httpx.Param{Name: name, Type: "integer", Description: what}
	}
	statsQuery := []httpx.Param{{Name: "from", Type: "string", Description: "first day YYYY-MM-DD (default 29 days before to)"},
		{Name: "to", Type: "string", Description: "last day YYYY-MM-DD (default today, Asia/Shanghai)"},
		{Name: "group_by", Type: "string", Description: "day (default), channel, code or staff"},
		idQuery("channel_id", "only this channel"), idQuery("code_id", "only this live code")}
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/channels", Perm: read, Tag: "acquisition", Summary: "List the channels of my scope",
			Response: struct {
				Items []Channel `json:"items"`
			}{}, Handler: s.handleChannels},
		{Method: "POST", Path: "/api/v1/channels", Perm: write, Tag: "acquisition", Summary: "Create a channel",
			Request: ChannelInput{}, Response: Channel{}, Status: http.StatusCreated, Handler: httpx.Create(s.CreateChannel)},
		{Method: "GET", Path: "/api/v1/channels/{id}", Perm: read, Tag: "acquisition", Summary: "A channel",
			Response: Channel{}, Handler: httpx.Read(s.Channel)},
		{Method: "PUT", Path: "/api/v1/channels/{id}", Perm: write, Tag: "acquisition", Summary: "Replace a channel's fields",
			Request: ChannelInput{}, Response: Channel{}, Handler: s.handleUpdateChannel},
		{Method: "DELETE", Path: "/api/v1/channels/{id}", Perm: write, Tag: "acquisition", Summary: "Delete a channel without live codes (and its spend)",
			Status: http.StatusNoContent, Handler: httpx.Remove(s.DeleteChannel)},
		{Method: "GET", Path: "/api/v1/channels/{id}/spend", Perm: read, Tag: "acquisition", Summary: "A channel's spend entries, newest day first",
			Response: struct {
				Items []Spend `json:"items"`
			}{}, Handler: s.handleSpend},
		{Method: "POST", Path: "/api/v1/channels/{id}/spend", Perm: write, Tag: "acquisition", Summary: "Record money spent on a channel on a day",
			Request: SpendInput{}, Response: Spend{}, Status: http.StatusCreated, Handler: s.handleAddSpend},
		{Method: "DELETE", Path: "/api/v1/channel-spend/{id}", Perm: write, Tag: "acquisition", Summary: "Delete a spend entry",
			Status: http.StatusNoContent, Handler: httpx.Remove(s.DeleteSpend)},
		{Method: "GET", Path: "/api/v1/live-codes", Perm: read, Tag: "acquisition", Summary: "List the live codes of my scope",
			Query: []httpx.Param{idQuery("channel_id", "only this channel's codes")},
			Response: struct {
				Items []LiveCode `json:"items"`
			}{}, Handler: s.handleCodes},
		{Method: "POST", Path: "/api/v1/live-codes", Perm: write, Tag: "acquisition", Summary: "Create a live code (its landing URL /l/{slug} is permanent)",
			Request: LiveCodeInput{}, Response: LiveCode{}, Status: http.StatusCreated, Handler: httpx.Create(s.CreateCode)},
		{Method: "GET", Path: "/api/v1/live-codes/{id}", Perm: read, Tag: "acquisition", Summary: "A live code with its staff",
			Response: LiveCode{}, Handler: httpx.Read(s.Code)},
		{Method: "PUT", Path: "/api/v1/live-codes/{id}", Perm: write, Tag: "acquisition", Summary: "Replace a live code's settings and staff (the landing URL stays)",
			Request: LiveCodeInput{}, Response: LiveCode{}, Handler: httpx.Replace(s.Code, s.UpdateCode)},
		{Method: "DELETE", Path: "/api/v1/live-codes/{id}", Perm: write, Tag: "acquisition", Summary: "Delete a live code never scanned (disable a used one)",
			Status: http.StatusNoContent, Handler: httpx.Remove(s.DeleteCode)},
		{Method: "GET", Path: "/api/v1/live-codes/{id}/qr.png", Perm: read, Tag: "acquisition", Summary: "The code's QR image (PNG) of its landing URL",
			Query: []httpx.Param{{Name: "size", Type: "integer", Description: "pixels, 128-1024 (default 512)"}}, Handler: s.handleQR},
		{Method: "GET", Path: "/api/v1/acquisition/stats", Perm: read, Tag: "acquisition", Summary: "Channel stats: scans, adds, net adds, loss rate, spend, CAC",
			Query: statsQuery, Response: Stats{}, Handler: s.handleStats},
		{Method: "GET", Path: "/api/v1/acquisition/stats.xlsx", Perm: read, Tag: "acquisition", Summary: "The channel stats table as an xlsx workbook",
			Query: statsQuery, Handler: s.handleStatsXLSX},
	}
}

func (s *Service) handleChannels(w http.ResponseWriter, r *http.Request) error {
	items, err := s.Channels(r.Context())
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

// channelThenBody answers 404 for a channel out of scope before looking at the body.
func channelThenBody[T any](s *Service, r *http.Request) (int64, T, error) {
	var in T
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return 0, in, err
	}
	if _, err := s.Channel(r.Context(), id); err != nil {
		return 0, in, err
	}
	err = httpx.Decode(r, &in)
	return id, in, err
}

func (s *Service) handleUpdateChannel(w http.ResponseWriter, r *http.Request) error {
	id, in, err := channelThenBody[ChannelInput](s, r)
	if err != nil {
		return err
	}
	out, err := s.UpdateChannel(r.Context(), id, in)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleSpend(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	items, err := s.SpendOf(r.Context(), id)
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

func (s *Service) handleAddSpend(w http.ResponseWriter, r *http.Request) error {
	id, in, err := channelThenBody[SpendInput](s, r)
	if err != nil {
		return err
	}
	out, err := s.AddSpend(r.Context(), id, in)
	return httpx.Reply(w, http.StatusCreated, out, err)
}

func optionalID(r *http.Request, v *httpx.Validator, name string) int64 {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return 0
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	v.Check(err == nil && n > 0, name, "invalid")
	return n
}

func (s *Service) handleCodes(w http.ResponseWriter, r *http.Request) error {
	var v httpx.Validator
	ch := optionalID(r, &v, "channel_id")
	if err := v.Err(); err != nil {
		return err
	}
	items, err := s.Codes(r.Context(), ch)
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

// LandingURL is the absolute landing URL of a slug as seen by the request (behind a proxy,
// X-Forwarded-Proto and X-Forwarded-Host win).
func LandingURL(r *http.Request, slug string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" && !strings.ContainsAny(h, "/ ") {
		host = h
	}
	return scheme + "://" + host + "/l/" + slug
}

func (s *Service) handleQR(w http.ResponseWriter, r *http.Request) error {
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
	code, err := s.Code(r.Context(), id)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(LandingURL(r, code.Slug), qrcode.Medium, size)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", `inline; filename="live-code-`+strconv.FormatInt(id, 10)+`.png"`)
	_, err = w.Write(png)
	return err
}

func (s *Service) statsQuery(r *http.Request) (StatsQuery, error) {
	var v httpx.Validator
	q := StatsQuery{From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to"), GroupBy: r.URL.Query().Get("group_by")}
	q.ChannelID = optionalID(r, &v, "channel_id")
	q.CodeID = optionalID(r, &v, "code_id")
	if err := v.Err(); err != nil {
		return q, err
	}
	return q, s.CheckStatsQuery(&q)
}

func (s *Service) handleStats(w http.ResponseWriter, r *http.Request) error {
	q, err := s.statsQuery(r)
	if err != nil {
		return err
	}
	out, err := s.Stats(r.Context(), q)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleStatsXLSX(w http.ResponseWriter, r *http.Request) error {
	q, err := s.statsQuery(r)
	if err != nil {
		return err
	}
	st, err := s.Stats(r.Context(), q)
	if err != nil {
		return err
	}
	b, err := StatsXLSX(st, httpx.LangOf(r))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="channel-stats-`+q.From+`-`+q.To+`.xlsx"`)
	_, err = w.Write(b)
	return err
}
