package order

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
)

// Lifecycle stages.
const (
	StageInitial = "initial" // 初始期
	StageTrust   = "trust"   // 信任期
	StageDecline = "decline" // 衰退期
	StageLost    = "lost"    // 流失
)

// Value classes.
const (
	ValueHigh          = "high"
	ValueRegular       = "regular"
	ValueCouponOnly    = "coupon_only"
	ValueHeavyRefunder = "heavy_refunder"
)

// Segments: the eight classic RFM segments, R/F/M each high or low.
var segments = map[[3]bool]string{
	{true, true, true}:    "important_value",   // 重要价值客户
	{false, true, true}:   "important_keep",    // 重要保持客户
	{true, false, true}:   "important_develop", // 重要发展客户
	{false, false, true}:  "important_retain",  // 重要挽留客户
	{true, true, false}:   "general_value",     // 一般价值客户
	{false, true, false}:  "general_keep",      // 一般保持客户
	{true, false, false}:  "general_develop",   // 一般发展客户
	{false, false, false}: "general_retain",    // 一般挽留客户
}

// Segments lists the segment codes in the usual order.
var Segments = []string{"important_value", "important_keep", "important_develop", "important_retain",
	"general_value", "general_keep", "general_develop", "general_retain"}

// Metrics is what one customer's orders add up to.
type Metrics struct {
	CustomerID   int64      `json:"customer_id"`
	FirstOrderAt time.Time  `json:"first_order_at"`
	LastOrderAt  time.Time  `json:"last_order_at"`
	Orders       int64      `json:"orders" doc:"orders not refunded in full"`
	PaidFen      int64      `json:"paid_fen"`
	RefundFen    int64      `json:"refund_fen"`
	Refunds      int64      `json:"refunds" doc:"orders with a refund"`
	SpendFen     int64      `json:"spend_fen" doc:"单客价: paid minus refunds"`
	AOVFen       int64      `json:"aov_fen" doc:"客单价: spend per order"`
	IntervalDays *float64   `json:"interval_days" doc:"mean days between orders; null with fewer than two"`
	CouponOrders int64      `json:"coupon_orders"`
	RScore       int        `json:"r_score" doc:"0 when the customer has no order in the RFM window"`
	FScore       int        `json:"f_score"`
	MScore       int        `json:"m_score"`
	Segment      string     `json:"segment"`
	Stage        string     `json:"stage" doc:"initial, trust, decline or lost"`
	ValueClass   string     `json:"value_class" doc:"high, regular, coupon_only or heavy_refunder"`
	ScoredAt     *time.Time `json:"scored_at" doc:"when RFM scores were last computed"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// agg is one customer's aggregate as SQL returns it.
type agg struct {
	cid                   int64
	first, last           time.Time
	orders, all           int64
	paid, refund, refunds int64
	coupon                int64
	wOrders, wSpend       int64 // inside the RFM window
	wLast                 time.Time
}

// counted is the SQL test for an order that counts as a purchase (not refunded in full).
const counted = `(o.refund_fen < o.paid_fen OR o.paid_fen = 0)`

// aggSQL aggregates orders per customer (the caller adds the GROUP BY after its conditions); the
// window arguments bound F and M.
func aggSQL(where string) string {
	return `SELECT o.customer_id,
		MIN(CASE WHEN ` + counted + ` THEN o.paid_at END), MAX(CASE WHEN ` + counted + ` THEN o.paid_at END),
		MIN(o.paid_at), MAX(o.paid_at),
		SUM(CASE WHEN ` + counted + ` THEN 1 ELSE 0 END), COUNT(*),
		SUM(o.paid_fen), SUM(o.refund_fen), SUM(CASE WHEN o.refund_fen > 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN o.total_fen > 0 AND o.discount_fen * 100 >= o.total_fen * ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN ` + counted + ` AND o.paid_at >= ? AND o.paid_at <= ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN o.paid_at >= ? AND o.paid_at <= ? THEN o.paid_fen - o.refund_fen ELSE 0 END),
		MAX(CASE WHEN ` + counted + ` AND o.paid_at >= ? AND o.paid_at <= ? THEN o.paid_at END)
		FROM orders o WHERE o.tenant_id = ? AND o.customer_id IS NOT NULL` + where
}

// window returns the RFM window [from, to] for rules at now.
func window(r Rules, now time.Time) (time.Time, time.Time) {
	to := r.RFM.reference(now)
	from := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	if r.RFM.WindowDays > 0 {
		from = to.AddDate(0, 0, -r.RFM.WindowDays)
	}
	return from, to
}

func scanAggs(rows *sql.Rows, each func(agg) error) error {
	defer rows.Close()
	var cFirst, cLast, aFirst, aLast, wLast store.Time
	for rows.Next() {
		var a agg
		if err := rows.Scan(&a.cid, &cFirst, &cLast, &aFirst, &aLast, &a.orders, &a.all, &a.paid, &a.refund, &a.refunds,
			&a.coupon, &a.wOrders, &a.wSpend, &wLast); err != nil {
			return err
		}
		if cFirst.Valid {
			a.first, a.last = cFirst.Time, cLast.Time
		} else {
			a.first, a.last = aFirst.Time, aLast.Time
		}
		if wLast.Valid {
			a.wLast = wLast.Time
		}
		if err := each(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// metricsOf turns an aggregate into metrics with stage and value class (no RFM scores).
func metricsOf(a agg, r Rules, now time.Time) Metrics {
	m := Metrics{CustomerID: a.cid, FirstOrderAt: a.first, LastOrderAt: a.last, Orders: a.orders, PaidFen: a.paid,
		RefundFen: a.refund, Refunds: a.refunds, SpendFen: a.paid - a.refund, CouponOrders: a.coupon, UpdatedAt: now}
	if m.Orders > 0 {
		m.AOVFen = m.SpendFen / m.Orders
	}
	if m.Orders >= 2 {
		d := a.last.Sub(a.first).Hours() / 24 / float64(m.Orders-1)
		d = math.Round(d*100) / 100
		m.IntervalDays = &d
	}
	m.Stage = Stage(r.Lifecycle, m.Orders, m.LastOrderAt, m.IntervalDays, r.RFM.reference(now))
	m.ValueClass = ValueClass(r.Value, m, a.all)
	return m
}

// Stage places a customer in the lifecycle from their own purchase rhythm at the reference time.
func Stage(r LifecycleRules, orders int64, last time.Time, interval *float64, at time.Time) string {
	if orders == 0 {
		return StageLost // everything refunded: nothing bought that lasted
	}
	days := at.Sub(last).Hours() / 24
	switch {
	case days > float64(r.LostDays):
		return StageLost
	case orders == 1:
		if days <= float64(r.InitialDays) {
			return StageInitial
		}
		return StageDecline
	}
	limit := float64(r.MinTrustDays)
	if interval != nil {
		limit = math.Max(limit, r.RhythmFactor**interval)
	}
	if days <= limit {
		return StageTrust
	}
	return StageDecline
}

// ValueClass classes a customer: heavy refunders and coupon-only buyers are low value whatever
// they spend; then high value by spend or order count; everyone else is regular. all counts
// every order, refunded ones too.
func ValueClass(r ValueRules, m Metrics, all int64) string {
	switch {
	case m.PaidFen > 0 && m.RefundFen*100 >= m.PaidFen*int64(r.RefundSharePct):
		return ValueHeavyRefunder
	case all > 0 && m.CouponOrders == all:
		return ValueCouponOnly
	case m.SpendFen >= r.HighSpendFen || m.Orders >= int64(r.HighMinOrders):
		return ValueHigh
	}
	return ValueRegular
}

// refreshMetrics recomputes the metrics, stage and value class of the given customers from their
// orders (RFM scores keep their last full-run values: they depend on every customer) and records
// stage changes. Customers left without orders lose their row.
func refreshMetrics(ctx context.Context, tx *store.Tx, tenantID int64, cids []int64, r Rules, now time.Time) error {
	for start := 0; start < len(cids); start += 200 {
		part := cids[start:min(start+200, len(cids))]
		from, to := window(r, now)
		args := []any{r.Value.CouponDiscountPct, from, to, from, to, from, to, tenantID}
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")
		for _, id := range part {
			args = append(args, id)
		}
		rows, err := tx.QueryContext(ctx, aggSQL(" AND o.customer_id IN ("+ph+") GROUP BY o.customer_id"), args...)
		if err != nil {
			return fmt.Errorf("order: aggregate customers: %w", err)
		}
		var ms []Metrics
		seen := map[int64]bool{}
		if err := scanAggs(rows, func(a agg) error {
			ms = append(ms, metricsOf(a, r, now))
			seen[a.cid] = true
			return nil
		}); err != nil {
			return fmt.Errorf("order: aggregate customers: %w", err)
		}
		for _, m := range ms {
			if err := saveMetrics(ctx, tx, tenantID, m, false, now); err != nil {
				return err
			}
		}
		for _, id := range part {
			if !seen[id] {
				if _, err := tx.ExecContext(ctx, `DELETE FROM customer_metrics WHERE tenant_id = ? AND customer_id = ?`, tenantID, id); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// saveMetrics upserts one customer's row and records a stage transition. withScores also writes
// the RFM scores and segment.
func saveMetrics(ctx context.Context, tx *store.Tx, tenantID int64, m Metrics, withScores bool, now time.Time) error {
	var old string
	err := tx.QueryRowContext(ctx, `SELECT stage FROM customer_metrics WHERE tenant_id = ? AND customer_id = ?`, tenantID, m.CustomerID).Scan(&old)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("order: metrics of %d: %w", m.CustomerID, err)
	}
	var interval any
	if m.IntervalDays != nil {
		interval = *m.IntervalDays
	}
	q := `INSERT INTO customer_metrics (tenant_id, customer_id, first_order_at, last_order_at, orders, paid_fen, refund_fen, refunds,
		spend_fen, aov_fen, interval_days, coupon_orders, stage, value_class, r_score, f_score, m_score, segment, scored_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, customer_id) DO UPDATE SET first_order_at = excluded.first_order_at, last_order_at = excluded.last_order_at,
		orders = excluded.orders, paid_fen = excluded.paid_fen, refund_fen = excluded.refund_fen, refunds = excluded.refunds,
		spend_fen = excluded.spend_fen, aov_fen = excluded.aov_fen, interval_days = excluded.interval_days,
		coupon_orders = excluded.coupon_orders, stage = excluded.stage, value_class = excluded.value_class, updated_at = excluded.updated_at`
	if withScores {
		q += `, r_score = excluded.r_score, f_score = excluded.f_score, m_score = excluded.m_score, segment = excluded.segment, scored_at = excluded.scored_at`
	}
	var scored any
	if withScores {
		scored = now
	}
	if _, err := tx.ExecContext(ctx, q, tenantID, m.CustomerID, m.FirstOrderAt, m.LastOrderAt, m.Orders, m.PaidFen, m.RefundFen, m.Refunds,
		m.SpendFen, m.AOVFen, interval, m.CouponOrders, m.Stage, m.ValueClass, m.RScore, m.FScore, m.MScore, m.Segment, scored, now); err != nil {
		return fmt.Errorf("order: save metrics of %d: %w", m.CustomerID, err)
	}
	if old != m.Stage {
		if _, err := tx.ExecContext(ctx, `INSERT INTO customer_lifecycle_history (tenant_id, customer_id, from_stage, to_stage, changed_at)
			VALUES (?, ?, ?, ?, ?)`, tenantID, m.CustomerID, old, m.Stage, now); err != nil {
			return fmt.Errorf("order: stage history of %d: %w", m.CustomerID, err)
		}
	}
	return nil
}

// Scored is one customer's RFM result.
type Scored struct {
	CustomerID int64
	R, F, M    int
	Segment    string
}

// rfmInput is what RFM needs of a customer: the last order in the window, the count and the
// spend in the window.
type rfmInput struct {
	cid    int64
	last   int64 // unix seconds
	orders int64
	spend  int64
}

// scoreRFM scores customers into bins (ties share a score: a value's score is
// 1 + ⌊bins × (customers with a strictly worse value) / n⌋) and names their segment by comparing
// each score with the mean or median score.
func scoreRFM(in []rfmInput, r RFMRules) []Scored {
	n := len(in)
	out := make([]Scored, n)
	if n == 0 {
		return out
	}
	rs := binScores(n, r.Bins, func(i int) int64 { return in[i].last })
	fs := binScores(n, r.Bins, func(i int) int64 { return in[i].orders })
	ms := binScores(n, r.Bins, func(i int) int64 { return in[i].spend })
	split := func(s []int) float64 {
		if r.Split == "median" {
			c := slices.Clone(s)
			slices.Sort(c)
			if n%2 == 1 {
				return float64(c[n/2])
			}
			return float64(c[n/2-1]+c[n/2]) / 2
		}
		var sum int64
		for _, v := range s {
			sum += int64(v)
		}
		return float64(sum) / float64(n)
	}
	rc, fc, mc := split(rs), split(fs), split(ms)
	for i := range in {
		out[i] = Scored{CustomerID: in[i].cid, R: rs[i], F: fs[i], M: ms[i],
			Segment: segments[[3]bool{float64(rs[i]) > rc, float64(fs[i]) > fc, float64(ms[i]) > mc}]}
	}
	return out
}

// binScores gives each of n items a score 1..bins from its value (higher value, higher score).
func binScores(n, bins int, val func(i int) int64) []int {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	vals := make([]int64, n)
	for i := range vals {
		vals[i] = val(i)
	}
	sort.Slice(idx, func(a, b int) bool { return vals[idx[a]] < vals[idx[b]] })
	scores := make([]int, n)
	less := 0
	for i := 0; i < n; {
		j := i
		for j < n && vals[idx[j]] == vals[idx[i]] {
			j++
		}
		s := 1 + bins*less/n
		if s > bins {
			s = bins
		}
		for k := i; k < j; k++ {
			scores[idx[k]] = s
		}
		less += j - i
		i = j
	}
	return scores
}

// Summary counts customers by segment, stage and value class.
type Summary struct {
	Customers    int64            `json:"customers" doc:"customers with orders"`
	Segments     map[string]int64 `json:"segments"`
	Stages       map[string]int64 `json:"stages"`
	ValueClasses map[string]int64 `json:"value_classes"`
	ScoredAt     *time.Time       `json:"scored_at"`
	SpendFen     int64            `json:"spend_fen"`
	Orders       int64            `json:"orders"`
}

// RecomputeTimings says where a full recompute spent its time.
type RecomputeTimings struct {
	Customers int           `json:"customers" doc:"customers with orders"`
	Scored    int           `json:"scored" doc:"customers with an order in the RFM window"`
	Aggregate time.Duration `json:"aggregate_ns"`
	Score     time.Duration `json:"score_ns"`
	Persist   time.Duration `json:"persist_ns"`
}

// Recompute recomputes every customer's metrics, RFM scores, segment, stage and value class for a
// tenant (the periodic job; RFM needs the whole population). It first binds pending orders, and
// drops the rows of customers left without orders (a merged-away customer whose orders moved).
func (s *Service) Recompute(ctx context.Context, tenantID int64) (RecomputeTimings, error) {
	var tm RecomputeTimings
	if _, err := s.BindPending(ctx, tenantID); err != nil {
		return tm, err
	}
	r, err := s.Rules(ctx, tenantID)
	if err != nil {
		return tm, err
	}
	now := s.clock()
	t0 := time.Now()
	ms, scores, err := s.ComputeRFM(ctx, tenantID, r, now)
	if err != nil {
		return tm, err
	}
	tm.Aggregate = time.Since(t0)
	tm.Customers, tm.Scored = len(ms), len(scores)
	t1 := time.Now()
	byID := make(map[int64]Scored, len(scores))
	for _, sc := range scores {
		byID[sc.CustomerID] = sc
	}
	tm.Score = time.Since(t1)
	t2 := time.Now()
	err = s.persist(ctx, tenantID, ms, byID, now)
	if err == nil {
		// Rows this run did not write belong to customers without bound orders any more (merged
		// away, orders rebound) — unless an order arrived meanwhile or another run wrote them, so
		// only rows of customers without a bound order go.
		_, err = s.db.ExecContext(ctx, `DELETE FROM customer_metrics WHERE tenant_id = ? AND (scored_at IS NULL OR scored_at < ?)
			AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = customer_metrics.tenant_id AND o.customer_id = customer_metrics.customer_id)`, tenantID, now)
	}
	tm.Persist = time.Since(t2)
	return tm, err
}

// ComputeRFM aggregates every bound order of a tenant per customer (scans of the covering index
// orders_customer, by ranges of customers in parallel) and scores RFM in Go. It writes nothing.
func (s *Service) ComputeRFM(ctx context.Context, tenantID int64, r Rules, now time.Time) ([]Metrics, []Scored, error) {
	from, to := window(r, now)
	var mu sync.Mutex
	var ms []Metrics
	var in []rfmInput
	err := s.byCustomerRanges(ctx, tenantID, aggSQL(""), []any{r.Value.CouponDiscountPct, from, to, from, to, from, to, tenantID}, func(rows *sql.Rows) error {
		var pm []Metrics
		var pin []rfmInput
		if err := scanAggs(rows, func(a agg) error {
			pm = append(pm, metricsOf(a, r, now))
			if a.wOrders > 0 {
				pin = append(pin, rfmInput{cid: a.cid, last: a.wLast.Unix(), orders: a.wOrders, spend: a.wSpend})
			}
			return nil
		}); err != nil {
			return err
		}
		mu.Lock()
		ms, in = append(ms, pm...), append(in, pin...)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("order: aggregate: %w", err)
	}
	return ms, scoreRFM(in, r.RFM), nil
}

func (s *Service) persist(ctx context.Context, tenantID int64, ms []Metrics, scores map[int64]Scored, now time.Time) error {
	const batch = 5000
	for start := 0; start < len(ms); start += batch {
		part := ms[start:min(start+batch, len(ms))]
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			for _, m := range part {
				sc := scores[m.CustomerID]
				m.RScore, m.FScore, m.MScore, m.Segment = sc.R, sc.F, sc.M, sc.Segment
				if err := saveMetrics(ctx, tx, tenantID, m, true, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// RFM scores every customer of a tenant with an order in the RFM window: one SQL aggregate of the
// last order, the order count and the spend per customer (scans of the covering index
// orders_customer by ranges of customers in parallel, with only the window's bounds that can
// exclude something), then bins in Go.
// It writes nothing; Recompute stores the scores with the metrics.
func (s *Service) RFM(ctx context.Context, tenantID int64, r Rules, now time.Time) ([]Scored, error) {
	from, to := window(r, now)
	q := `SELECT o.customer_id, MAX(o.paid_at), COUNT(*), SUM(o.paid_fen - o.refund_fen) FROM orders o
		WHERE o.tenant_id = ? AND o.customer_id IS NOT NULL AND ` + counted
	args := []any{tenantID}
	if r.RFM.WindowDays > 0 {
		q += ` AND o.paid_at >= ?`
		args = append(args, from)
	}
	if to.Before(now) {
		q += ` AND o.paid_at <= ?`
		args = append(args, to)
	}
	var mu sync.Mutex
	var in []rfmInput
	err := s.byCustomerRanges(ctx, tenantID, q, args, func(rows *sql.Rows) error {
		var part []rfmInput
		var last store.Time
		for rows.Next() {
			var x rfmInput
			if err := rows.Scan(&x.cid, &last, &x.orders, &x.spend); err != nil {
				return err
			}
			x.last = last.Time.Unix()
			part = append(part, x)
		}
		mu.Lock()
		in = append(in, part...)
		mu.Unlock()
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("order: rfm aggregate: %w", err)
	}
	return scoreRFM(in, r.RFM), nil
}

// byCustomerRanges runs q — an aggregate over orders o of the tenant ending in its WHERE clause —
// once per range of customer ids, grouped by customer, on several connections at once; each range's
// rows go to scan (called concurrently). The ranges split the tenant's ids evenly into more pieces
// than workers, so ranges with many orders do not leave the other workers idle.
func (s *Service) byCustomerRanges(ctx context.Context, tenantID int64, q string, args []any, scan func(*sql.Rows) error) error {
	var lo, hi sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(customer_id), MAX(customer_id) FROM orders WHERE tenant_id = ? AND customer_id IS NOT NULL`,
		tenantID).Scan(&lo, &hi); err != nil {
		return err
	}
	if !lo.Valid {
		return nil
	}
	workers := max(2, runtime.GOMAXPROCS(0))
	pieces := int64(workers * 16)
	span := hi.Int64 - lo.Int64 + 1
	if span < pieces {
		pieces = 1
	}
	step := (span + pieces - 1) / pieces
	ranges := make(chan [2]int64, pieces)
	for from := lo.Int64; from <= hi.Int64; from += step {
		ranges <- [2]int64{from, min(from+step, hi.Int64+1)}
	}
	close(ranges)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for rg := range ranges {
				a := append(append(make([]any, 0, len(args)+2), args...), rg[0], rg[1])
				rows, err := s.db.QueryContext(ctx, q+` AND o.customer_id >= ? AND o.customer_id < ? GROUP BY o.customer_id`, a...)
				if err == nil {
					err = scan(rows)
					rows.Close()
				}
				if err != nil {
					cancel()
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}
