package analytics

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/sheet"
)

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"field.before_from":    {Zh: "结束日期不能早于开始日期", En: "The end date is before the start date"},
		"field.range_too_long": {Zh: "时间范围最长三年", En: "The range may be at most three years"},
		"field.unknown_step":   {Zh: "未知的漏斗步骤", En: "Unknown funnel step"},
	})
}

var periodParams = []httpx.Param{{Name: "from", Type: "string", Description: "first day, YYYY-MM-DD (Beijing time); default 89 days ago"},
	{Name: "to", Type: "string", Description: "last day, YYYY-MM-DD, inclusive; default today"}}

var formatParam = httpx.Param{Name: "format", Type: "string", Description: "json (default), xlsx or csv: a download of the table"}

// Routes lists the analytics API. Every report is available as JSON for the dashboards and as a
// spreadsheet download with ?format=xlsx.
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/analytics/channel-roi", Perm: org.PermAnalyticsRead, Tag: "analytics",
			Summary: "Channel ROI per channel and pyramid tier: adds, spend, CAC, first-order rate, GMV, repeat GMV, ROI, cost saved",
			Query:   append(slicesClone(periodParams), formatParam), Response: ROIReport{}, Handler: s.handleROI},
		{Method: "GET", Path: "/api/v1/analytics/funnel", Perm: org.PermAnalyticsRead, Tag: "analytics",
			Summary: "An ordered funnel over customer steps (scan → add → group → first order → repeat → referral by default)",
			Query: append(slicesClone(periodParams), httpx.Param{Name: "steps", Type: "string",
				Description: "comma-separated: scan (first only), added, joined_group, first_order, repeat_order, referred, event:KIND"}, formatParam),
			Response: FunnelReport{}, Handler: s.handleFunnel},
		{Method: "GET", Path: "/api/v1/analytics/cohorts", Perm: org.PermAnalyticsRead, Tag: "analytics",
			Summary: "Retention cohorts by month of first add: still connected and purchased, month by month",
			Query: []httpx.Param{{Name: "from", Type: "string", Description: "first cohort month, YYYY-MM; default 11 months ago"},
				{Name: "months", Type: "integer", Description: "number of cohorts, 1-24; default 12"}, formatParam},
			Response: CohortReport{}, Handler: s.handleCohorts},
		{Method: "GET", Path: "/api/v1/analytics/repurchase", Perm: org.PermAnalyticsRead, Tag: "analytics",
			Summary: "Repurchase rhythm: days between purchases and the share who buy again within a year",
			Query:   []httpx.Param{formatParam}, Response: RhythmReport{}, Handler: s.handleRhythm},
	}
}

func slicesClone(p []httpx.Param) []httpx.Param { return append([]httpx.Param(nil), p...) }

// format reads ?format; "" and json answer JSON.
func format(v *httpx.Validator, r *http.Request) sheet.Format {
	f := r.URL.Query().Get("format")
	if f == "" || f == "json" {
		return ""
	}
	out, err := sheet.FormatOf(f)
	if err != nil {
		v.Add("format", "invalid")
	}
	return out
}

func (s *Service) handleROI(w http.ResponseWriter, r *http.Request) error {
	c, err := org.RequireCaller(r.Context())
	if err != nil {
		return err
	}
	var v httpx.Validator
	q := r.URL.Query()
	p := parsePeriod(&v, q.Get("from"), q.Get("to"), s.now())
	f := format(&v, r)
	if err := v.Err(); err != nil {
		return err
	}
	rep, err := s.ChannelROI(r.Context(), org.ScopeOf(c), p)
	if err != nil || f == "" {
		return httpx.Reply(w, http.StatusOK, rep, err)
	}
	zh := httpx.LangOf(r) == httpx.ZhCN
	head := pick(zh, []any{"渠道", "类型", "层级", "加粉人数", "花费(元)", "获客成本(元)", "首单人数", "首单率", "订单数", "复购订单数", "GMV(元)", "复购GMV(元)", "ROI", "节省成本(元)"},
		[]any{"Channel", "Kind", "Tier", "Adds", "Spend (CNY)", "CAC (CNY)", "Buyers", "First-order rate", "Orders", "Repeat orders", "GMV (CNY)", "Repeat GMV (CNY)", "ROI", "Cost saved (CNY)"})
	rows := [][]any{head}
	line := func(name string, c ChannelROI) []any {
		return []any{name, c.Kind, c.Tier, c.Adds, yuan(c.SpendFen), yuanPtr(c.CACFen), c.Buyers, c.FirstOrderRate, c.Orders, c.RepeatOrders,
			yuan(c.GMVFen), yuan(c.RepeatGMVFen), c.ROI, yuan(c.CostSavedFen)}
	}
	for _, c := range rep.Channels {
		rows = append(rows, line(c.Name, c))
	}
	for _, t := range rep.Tiers {
		rows = append(rows, line(pick(zh, "层级合计", "Tier total"), t))
	}
	rows = append(rows, line(pick(zh, "合计", "Total"), rep.Total))
	return download(w, f, "channel-roi", rows)
}

func (s *Service) handleFunnel(w http.ResponseWriter, r *http.Request) error {
	c, err := org.RequireCaller(r.Context())
	if err != nil {
		return err
	}
	var v httpx.Validator
	q := r.URL.Query()
	p := parsePeriod(&v, q.Get("from"), q.Get("to"), s.now())
	steps := slices.Clone(DefaultFunnel)
	if raw := strings.TrimSpace(q.Get("steps")); raw != "" {
		steps = strings.Split(raw, ",")
	}
	v.Check(len(steps) >= 2 && len(steps) <= 10, "steps", "invalid")
	for i, k := range steps {
		steps[i] = strings.TrimSpace(k)
		if !validStep(steps[i]) || (steps[i] == StepScan && i > 0) {
			v.Add("steps", "unknown_step")
		}
	}
	f := format(&v, r)
	if err := v.Err(); err != nil {
		return err
	}
	rep, err := s.Funnel(r.Context(), org.ScopeOf(c), p, steps)
	if err != nil || f == "" {
		return httpx.Reply(w, http.StatusOK, rep, err)
	}
	zh := httpx.LangOf(r) == httpx.ZhCN
	rows := [][]any{pick(zh, []any{"步骤", "人数", "上一步转化率", "整体转化率"}, []any{"Step", "Customers", "From previous", "Overall"})}
	for _, st := range rep.Steps {
		rows = append(rows, []any{st.Key, st.Customers, st.FromPrevious, st.Overall})
	}
	return download(w, f, "funnel", rows)
}

func (s *Service) handleCohorts(w http.ResponseWriter, r *http.Request) error {
	c, err := org.RequireCaller(r.Context())
	if err != nil {
		return err
	}
	var v httpx.Validator
	q := r.URL.Query()
	now := s.now().In(china)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, china).AddDate(0, -11, 0)
	if raw := q.Get("from"); raw != "" {
		t, err := time.ParseInLocation("2006-01", raw, china)
		if err != nil {
			v.Add("from", "invalid")
		}
		first = t
	}
	months := 12
	if raw := q.Get("months"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > MaxCohortMonths {
			v.Add("months", "invalid")
		}
		months = n
	}
	f := format(&v, r)
	if err := v.Err(); err != nil {
		return err
	}
	rep, err := s.Cohorts(r.Context(), org.ScopeOf(c), first, months)
	if err != nil || f == "" {
		return httpx.Reply(w, http.StatusOK, rep, err)
	}
	zh := httpx.LangOf(r) == httpx.ZhCN
	head := pick(zh, []any{"添加月份", "人数", "指标"}, []any{"Month added", "Customers", "Measure"})
	for m := range MaxCohortMonths {
		head = append(head, fmt.Sprintf("M%d", m))
	}
	rows := [][]any{head}
	for _, co := range rep.Cohorts {
		for i, series := range [][]int64{co.Connected, co.Purchased} {
			row := []any{co.Month, co.Customers, pick(zh, []string{"仍为好友", "购买"}[i], []string{"connected", "purchased"}[i])}
			for _, n := range series {
				row = append(row, n)
			}
			rows = append(rows, row)
		}
	}
	return download(w, f, "cohorts", rows)
}

func (s *Service) handleRhythm(w http.ResponseWriter, r *http.Request) error {
	c, err := org.RequireCaller(r.Context())
	if err != nil {
		return err
	}
	var v httpx.Validator
	f := format(&v, r)
	if err := v.Err(); err != nil {
		return err
	}
	rep, err := s.Rhythm(r.Context(), org.ScopeOf(c))
	if err != nil || f == "" {
		return httpx.Reply(w, http.StatusOK, rep, err)
	}
	zh := httpx.LangOf(r) == httpx.ZhCN
	rows := [][]any{pick(zh, []any{"复购间隔(天)", "次数"}, []any{"Days between purchases", "Count"})}
	for _, b := range rep.Buckets {
		rows = append(rows, []any{b.Label, b.Count})
	}
	rows = append(rows, []any{}, []any{pick(zh, "一年内复购率", "Repeat within a year"), rep.RepeatWithinYear},
		[]any{pick(zh, "中位间隔(天)", "Median days"), rep.MedianDays})
	return download(w, f, "repurchase", rows)
}

func pick[T any](zh bool, a, b T) T {
	if zh {
		return a
	}
	return b
}

func yuan(fen int64) float64 { return float64(fen) / 100 }

func yuanPtr(fen *int64) any {
	if fen == nil {
		return nil
	}
	return yuan(*fen)
}

// download writes rows as a spreadsheet attachment.
func download(w http.ResponseWriter, f sheet.Format, name string, rows [][]any) error {
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s"`, name, time.Now().UTC().Format("20060102"), f))
	sw, err := sheet.NewWriter(w, f)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := sw.Write(r...); err != nil {
			return err
		}
	}
	return sw.Close()
}
