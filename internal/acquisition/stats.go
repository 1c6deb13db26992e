package acquisition

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Stats dimensions.
var GroupBys = []string{"day", "channel", "code", "staff"}

// StatsQuery selects channel stats: days From–To (YYYY-MM-DD, Asia/Shanghai, at most 366),
// grouped by day, channel, code or staff, optionally of one channel or code.
type StatsQuery struct {
	From, To  string
	GroupBy   string
	ChannelID int64
	CodeID    int64
}

// StatsRow is one line of channel stats. Net adds subtract customers who deleted the staff
// member within 7 / 30 days of the add; loss rate is the 30-day losses over adds; CAC is spend
// over 30-day net adds (fen). Spend belongs to channels, so rows by code or staff have none.
type StatsRow struct {
	Key       string  `json:"key"`
	Label     string  `json:"label"`
	Scans     int64   `json:"scans"`
	Adds      int64   `json:"adds"`
	Lost7     int64   `json:"lost_7d"`
	Lost30    int64   `json:"lost_30d"`
	NetAdds7  int64   `json:"net_adds_7d"`
	NetAdds30 int64   `json:"net_adds_30d"`
	LossRate  float64 `json:"loss_rate"`
	SpendFen  int64   `json:"spend_fen"`
	CACFen    *int64  `json:"cac_fen"`
	// FirstOrders are adds whose customer placed an order (not refunded in full) after the add;
	// FirstOrderRate = FirstOrders / Adds.
	FirstOrders    int64   `json:"first_orders"`
	FirstOrderRate float64 `json:"first_order_rate"`
}

func (r *StatsRow) add(o StatsRow) {
	r.Scans += o.Scans
	r.Adds += o.Adds
	r.Lost7 += o.Lost7
	r.Lost30 += o.Lost30
	r.SpendFen += o.SpendFen
	r.FirstOrders += o.FirstOrders
}

func (r *StatsRow) finish() {
	r.NetAdds7, r.NetAdds30 = r.Adds-r.Lost7, r.Adds-r.Lost30
	r.LossRate, r.FirstOrderRate = 0, 0
	if r.Adds > 0 {
		r.LossRate = float64(r.Lost30) / float64(r.Adds)
		r.FirstOrderRate = float64(r.FirstOrders) / float64(r.Adds)
	}
	r.CACFen = nil
	if r.SpendFen > 0 && r.NetAdds30 > 0 {
		v := (r.SpendFen + r.NetAdds30/2) / r.NetAdds30
		r.CACFen = &v
	}
}

// Stats is the stats table, the daily series for charts and the total.
type Stats struct {
	From    string     `json:"from"`
	To      string     `json:"to"`
	GroupBy string     `json:"group_by"`
	Rows    []StatsRow `json:"rows"`
	Daily   []StatsRow `json:"daily" doc:"one row per day of the range, for line and bar charts"`
	Total   StatsRow   `json:"total"`
}

const maxStatsDays = 366

// CheckStatsQuery fills defaults (the last 30 days, by day) and validates.
func (s *Service) CheckStatsQuery(q *StatsQuery) error {
	var v httpx.Validator
	today := Day(s.clock())
	if q.To == "" {
		q.To = today
	}
	if q.From == "" {
		t, _ := time.Parse(time.DateOnly, q.To)
		q.From = t.AddDate(0, 0, -29).Format(time.DateOnly)
	}
	if q.GroupBy == "" {
		q.GroupBy = "day"
	}
	v.OneOf("group_by", q.GroupBy, GroupBys...)
	v.Check(validDate(q.From), "from", "invalid")
	v.Check(validDate(q.To), "to", "invalid")
	if validDate(q.From) && validDate(q.To) {
		a, _ := time.Parse(time.DateOnly, q.From)
		b, _ := time.Parse(time.DateOnly, q.To)
		v.Check(!b.Before(a) && b.Sub(a) < maxStatsDays*24*time.Hour, "to", "out_of_range")
	}
	return v.Err()
}

// lostWithin is the SQL condition "the relation was lost at most n days after the add".
func lostWithin(d store.Dialect, n int) string {
	if d == store.Postgres {
		return fmt.Sprintf("cs.status_at >= a.added_at AND cs.status_at <= a.added_at + INTERVAL '%d days'", n)
	}
	return fmt.Sprintf("julianday(cs.status_at) >= julianday(a.added_at) AND julianday(cs.status_at) - julianday(a.added_at) <= %d", n)
}

// Stats computes channel stats in the caller's scope.
func (s *Service) Stats(ctx context.Context, q StatsQuery) (Stats, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Stats{}, err
	}
	if err := s.CheckStatsQuery(&q); err != nil {
		return Stats{}, err
	}
	cond, scopeArgs := org.ScopeOf(c).UnitFilter("u.path")
	filter := ` AND ` + cond
	args := append([]any{}, scopeArgs...)
	if q.ChannelID > 0 {
		filter += ` AND ch.id = ?`
		args = append(args, q.ChannelID)
	}
	if q.CodeID > 0 {
		filter += ` AND lc.id = ?`
		args = append(args, q.CodeID)
	}
	join := func(alias string) string {
		return ` JOIN acq_live_codes lc ON lc.tenant_id = ` + alias + `.tenant_id AND lc.id = ` + alias + `.code_id
		JOIN acq_channels ch ON ch.tenant_id = lc.tenant_id AND ch.id = lc.channel_id
		JOIN org_units u ON u.tenant_id = ch.tenant_id AND u.id = ch.org_unit_id`
	}
	type fact struct {
		channel, code, staff int64
		day                  string
		row                  StatsRow
	}
	var facts []fact
	read := func(query string, qargs []any, scan func(f *fact) []any) error {
		rows, err := s.db.QueryContext(ctx, query, qargs...)
		if err != nil {
			return fmt.Errorf("acquisition: stats: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var f fact
			if err := rows.Scan(scan(&f)...); err != nil {
				return err
			}
			facts = append(facts, f)
		}
		return rows.Err()
	}
	base := []any{c.TenantID, q.From, q.To}
	if err := read(`SELECT ch.id, x.code_id, x.staff_id, x.day, x.scans FROM acq_code_daily x`+join("x")+`
		WHERE x.tenant_id = ? AND x.day >= ? AND x.day <= ? AND x.scans <> 0`+filter, append(base, args...),
		func(f *fact) []any { return []any{&f.channel, &f.code, &f.staff, &f.day, &f.row.Scans} }); err != nil {
		return Stats{}, err
	}
	d := s.db.Dialect()
	if err := read(`SELECT ch.id, a.code_id, a.staff_id, a.day, COUNT(*),
		COALESCE(SUM(CASE WHEN `+lostWithin(d, 7)+` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN `+lostWithin(d, 30)+` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = a.tenant_id AND o.customer_id = a.customer_id
			AND o.paid_at >= a.added_at AND o.paid_fen > o.refund_fen) THEN 1 ELSE 0 END), 0)
		FROM acq_code_adds a`+join("a")+`
		LEFT JOIN customer_staff cs ON cs.tenant_id = a.tenant_id AND cs.customer_id = a.customer_id AND cs.wecom_userid = a.wecom_userid AND cs.status = 'lost'
		WHERE a.tenant_id = ? AND a.day >= ? AND a.day <= ?`+filter+`
		GROUP BY ch.id, a.code_id, a.staff_id, a.day`, append(base, args...),
		func(f *fact) []any {
			return []any{&f.channel, &f.code, &f.staff, &f.day, &f.row.Adds, &f.row.Lost7, &f.row.Lost30, &f.row.FirstOrders}
		}); err != nil {
		return Stats{}, err
	}
	if q.CodeID == 0 && q.GroupBy != "code" && q.GroupBy != "staff" {
		sargs := append([]any{c.TenantID, q.From, q.To}, scopeArgs...)
		sfilter := ` AND ` + cond
		if q.ChannelID > 0 {
			sfilter += ` AND ch.id = ?`
			sargs = append(sargs, q.ChannelID)
		}
		if err := read(`SELECT ch.id, sp.spent_on, SUM(sp.amount_fen) FROM acq_channel_spend sp
			JOIN acq_channels ch ON ch.tenant_id = sp.tenant_id AND ch.id = sp.channel_id
			JOIN org_units u ON u.tenant_id = ch.tenant_id AND u.id = ch.org_unit_id
			WHERE sp.tenant_id = ? AND sp.spent_on >= ? AND sp.spent_on <= ?`+sfilter+` GROUP BY ch.id, sp.spent_on`, sargs,
			func(f *fact) []any { return []any{&f.channel, &f.day, &f.row.SpendFen} }); err != nil {
			return Stats{}, err
		}
	}
	labels, err := s.statsLabels(ctx, c.TenantID, q.GroupBy)
	if err != nil {
		return Stats{}, err
	}
	out := Stats{From: q.From, To: q.To, GroupBy: q.GroupBy, Rows: []StatsRow{}, Daily: []StatsRow{}}
	groups := map[string]*StatsRow{}
	daily := map[string]*StatsRow{}
	from, _ := time.Parse(time.DateOnly, q.From)
	to, _ := time.Parse(time.DateOnly, q.To)
	for t := from; !t.After(to); t = t.AddDate(0, 0, 1) {
		k := t.Format(time.DateOnly)
		out.Daily = append(out.Daily, StatsRow{Key: k, Label: k})
		daily[k] = &out.Daily[len(out.Daily)-1]
	}
	for _, f := range facts {
		var key string
		switch q.GroupBy {
		case "day":
			key = f.day
		case "channel":
			key = strconv.FormatInt(f.channel, 10)
		case "code":
			key = strconv.FormatInt(f.code, 10)
		case "staff":
			key = strconv.FormatInt(f.staff, 10)
		}
		g := groups[key]
		if g == nil {
			g = &StatsRow{Key: key, Label: labels[key]}
			if q.GroupBy == "day" {
				g.Label = key
			}
			groups[key] = g
		}
		g.add(f.row)
		if dr := daily[f.day]; dr != nil {
			dr.add(f.row)
		}
		out.Total.add(f.row)
	}
	for _, g := range groups {
		g.finish()
		out.Rows = append(out.Rows, *g)
	}
	sort.Slice(out.Rows, func(i, j int) bool {
		if q.GroupBy == "day" {
			return out.Rows[i].Key < out.Rows[j].Key
		}
		if out.Rows[i].Adds != out.Rows[j].Adds {
			return out.Rows[i].Adds > out.Rows[j].Adds
		}
		return out.Rows[i].Key < out.Rows[j].Key
	})
	for i := range out.Daily {
		out.Daily[i].finish()
	}
	out.Total.Key, out.Total.Label = "total", "total"
	out.Total.finish()
	return out, nil
}

// statsLabels names the keys of a dimension.
func (s *Service) statsLabels(ctx context.Context, tenantID int64, groupBy string) (map[string]string, error) {
	var q string
	switch groupBy {
	case "channel":
		q = `SELECT id, name FROM acq_channels WHERE tenant_id = ?`
	case "code":
		q = `SELECT id, name FROM acq_live_codes WHERE tenant_id = ?`
	case "staff":
		q = `SELECT id, name FROM staff WHERE tenant_id = ? AND id IN (SELECT DISTINCT staff_id FROM acq_live_code_staff WHERE tenant_id = staff.tenant_id)`
	default:
		return map[string]string{}, nil
	}
	rows, err := s.db.QueryContext(ctx, q, tenantID)
	if err != nil {
		return nil, fmt.Errorf("acquisition: stats labels: %w", err)
	}
	defer rows.Close()
	out := map[string]string{"0": "-"}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[strconv.FormatInt(id, 10)] = name
	}
	return out, rows.Err()
}

// statsHeaders are the export's column titles.
var statsHeaders = map[httpx.Lang][]string{
	httpx.ZhCN: {"维度", "扫码数", "添加数", "7日流失", "30日流失", "7日净增", "30日净增", "流失率", "花费（元）", "获客成本（元）", "首单数", "首单转化率"},
	httpx.En:   {"Group", "Scans", "Adds", "Lost in 7 days", "Lost in 30 days", "Net adds (7 days)", "Net adds (30 days)", "Loss rate", "Spend (CNY)", "CAC (CNY)", "First orders", "First-order rate"},
}

// StatsXLSX writes the stats table (and a total line) as an xlsx workbook.
func StatsXLSX(st Stats, lang httpx.Lang) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "stats"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	headers := statsHeaders[lang]
	if headers == nil {
		headers = statsHeaders[httpx.ZhCN]
	}
	write := func(row int, vals []any) error {
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		return f.SetSheetRow(sheet, cell, &vals)
	}
	hv := make([]any, len(headers))
	for i, h := range headers {
		hv[i] = h
	}
	if err := write(1, hv); err != nil {
		return nil, err
	}
	line := func(r StatsRow) []any {
		var cac any = ""
		if r.CACFen != nil {
			cac = float64(*r.CACFen) / 100
		}
		return []any{r.Label, r.Scans, r.Adds, r.Lost7, r.Lost30, r.NetAdds7, r.NetAdds30, r.LossRate, float64(r.SpendFen) / 100, cac,
			r.FirstOrders, r.FirstOrderRate}
	}
	for i, r := range st.Rows {
		if err := write(i+2, line(r)); err != nil {
			return nil, err
		}
	}
	total := st.Total
	total.Label = map[httpx.Lang]string{httpx.ZhCN: "合计", httpx.En: "Total"}[lang]
	if err := write(len(st.Rows)+2, line(total)); err != nil {
		return nil, err
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10})
	if err != nil {
		return nil, err
	}
	last, _ := excelize.CoordinatesToCellName(8, len(st.Rows)+2)
	if err := f.SetCellStyle(sheet, "H2", last, pct); err != nil {
		return nil, err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
