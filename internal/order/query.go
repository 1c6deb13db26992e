package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// scopeFilter keeps the orders a caller may see: tenant-wide roles see every order; a manager the
// orders of customers in their subtree and the orders sold by stores in it; a guide the orders of
// their own customers and the orders credited to them.
func scopeFilter(sc org.Scope) (string, []any) {
	if sc.All {
		return "1=1", nil
	}
	cust, args := sc.CustomerFilter("o.customer_id")
	cond := "((o.customer_id IS NOT NULL AND " + cust + ")"
	if sc.StaffID != 0 {
		cond += " OR o.guide_staff_id = ?)"
		return cond, append(args, sc.StaffID)
	}
	unit, uargs := sc.UnitFilter("ou.path")
	cond += " OR o.store_unit_id IN (SELECT ou.id FROM org_units ou WHERE ou.tenant_id = ? AND " + unit + "))"
	return cond, append(append(args, sc.TenantID), uargs...)
}

const orderCols = `o.id, o.source, o.external_id, o.customer_id, o.buyer_phone, o.buyer_nick, o.status, o.total_fen, o.discount_fen,
	o.paid_fen, o.refund_fen, o.item_count, o.store_unit_id, o.guide_staff_id, o.channel, o.campaign, o.ordered_at, o.paid_at,
	o.refunded_at, o.created_at, o.updated_at`

func scanOrder(row interface{ Scan(...any) error }, sc org.Scope) (Order, error) {
	var o Order
	var cust, unit, guide sql.NullInt64
	var refunded sql.NullTime
	if err := row.Scan(&o.ID, &o.Source, &o.ExternalID, &cust, &o.BuyerPhone, &o.BuyerNick, &o.Status, &o.TotalFen, &o.DiscountFen,
		&o.PaidFen, &o.RefundFen, &o.ItemCount, &unit, &guide, &o.Channel, &o.Campaign, &o.OrderedAt, &o.PaidAt, &refunded,
		&o.CreatedAt, &o.UpdatedAt); err != nil {
		return Order{}, err
	}
	if cust.Valid {
		o.CustomerID = &cust.Int64
	}
	if unit.Valid {
		o.StoreUnitID = &unit.Int64
	}
	if guide.Valid {
		o.GuideStaffID = &guide.Int64
	}
	if refunded.Valid {
		o.RefundedAt = &refunded.Time
	}
	if !sc.PersonalData {
		if o.BuyerPhone != "" {
			o.BuyerPhone = org.MaskMobile(o.BuyerPhone)
		}
		o.BuyerNick = org.MaskName(o.BuyerNick)
	}
	return o, nil
}

// Filter narrows an order list.
type Filter struct {
	Source     string
	Status     string
	Bound      string // "", "bound", "unbound"
	CustomerID int64
	StoreID    int64
	From, To   *time.Time
	Page       httpx.PageRequest
}

// List returns a page of orders in the caller's scope, newest id first.
func (s *Service) List(ctx context.Context, f Filter) (httpx.Page[Order], error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return httpx.Page[Order]{}, err
	}
	sc := org.ScopeOf(c)
	cond, sargs := scopeFilter(sc)
	q := `SELECT ` + orderCols + ` FROM orders o WHERE o.tenant_id = ? AND ` + cond
	args := append([]any{c.TenantID}, sargs...)
	add := func(clause string, v any) {
		q += clause
		args = append(args, v)
	}
	if f.Page.After > 0 {
		add(` AND o.id < ?`, f.Page.After)
	}
	if f.Source != "" {
		add(` AND o.source = ?`, f.Source)
	}
	if f.Status != "" {
		add(` AND o.status = ?`, f.Status)
	}
	switch f.Bound {
	case "bound":
		q += ` AND o.customer_id IS NOT NULL`
	case "unbound":
		q += ` AND o.customer_id IS NULL`
	}
	if f.CustomerID > 0 {
		add(` AND o.customer_id = ?`, f.CustomerID)
	}
	if f.StoreID > 0 {
		add(` AND o.store_unit_id = ?`, f.StoreID)
	}
	if f.From != nil {
		add(` AND o.paid_at >= ?`, *f.From)
	}
	if f.To != nil {
		add(` AND o.paid_at < ?`, *f.To)
	}
	add(` ORDER BY o.id DESC LIMIT ?`, f.Page.Limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return httpx.Page[Order]{}, fmt.Errorf("order: list: %w", err)
	}
	defer rows.Close()
	var items []Order
	for rows.Next() {
		o, err := scanOrder(rows, sc)
		if err != nil {
			return httpx.Page[Order]{}, err
		}
		items = append(items, o)
	}
	if err := rows.Err(); err != nil {
		return httpx.Page[Order]{}, err
	}
	return httpx.MakePage(items, f.Page.Limit, func(o Order) int64 { return o.ID }), nil
}

// Get returns one order in the caller's scope with its items.
func (s *Service) Get(ctx context.Context, id int64) (Order, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Order{}, err
	}
	return s.load(ctx, c.TenantID, id, org.ScopeOf(c), true)
}

func (s *Service) load(ctx context.Context, tenantID, id int64, sc org.Scope, items bool) (Order, error) {
	cond, sargs := scopeFilter(sc)
	o, err := scanOrder(s.db.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders o WHERE o.tenant_id = ? AND o.id = ? AND `+cond,
		append([]any{tenantID, id}, sargs...)...), sc)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, httpx.NotFoundf("order")
	}
	if err != nil {
		return Order{}, fmt.Errorf("order: get %d: %w", id, err)
	}
	if !items {
		return o, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT line, sku, name, qty, price_fen FROM order_items WHERE tenant_id = ? AND order_id = ? ORDER BY line`, tenantID, id)
	if err != nil {
		return Order{}, err
	}
	defer rows.Close()
	o.Items = []Item{}
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.Line, &it.SKU, &it.Name, &it.Qty, &it.PriceFen); err != nil {
			return Order{}, err
		}
		o.Items = append(o.Items, it)
	}
	return o, rows.Err()
}

// Transition is one lifecycle change.
type Transition struct {
	From      string    `json:"from" doc:"empty for the first stage"`
	To        string    `json:"to"`
	ChangedAt time.Time `json:"changed_at"`
}

// Value is a customer's value: metrics, RFM, lifecycle with its history.
type Value struct {
	CustomerID int64    `json:"customer_id"`
	Metrics    *Metrics `json:"metrics" doc:"null when the customer has no orders"`
	// Prediction is null before the tenant's first CLV fit or for a customer without purchases.
	Prediction *Prediction  `json:"prediction"`
	History    []Transition `json:"history"`
}

// CustomerValue returns a customer's value if the customer is in the caller's scope.
func (s *Service) CustomerValue(ctx context.Context, customerID int64) (Value, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Value{}, err
	}
	sc := org.ScopeOf(c)
	cond, args := sc.CustomerFilter("cu.id")
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers cu WHERE cu.tenant_id = ? AND cu.id = ? AND `+cond,
		append([]any{c.TenantID, customerID}, args...)...).Scan(&n); err != nil {
		return Value{}, fmt.Errorf("order: customer %d: %w", customerID, err)
	}
	if n == 0 {
		return Value{}, httpx.NotFoundf("customer")
	}
	return s.ValueFor(ctx, c.TenantID, customerID)
}

// ValueFor returns a customer's value without a scope check (for the customer profile, which
// has checked it).
func (s *Service) ValueFor(ctx context.Context, tenantID, customerID int64) (Value, error) {
	v := Value{CustomerID: customerID, History: []Transition{}}
	var m Metrics
	var interval sql.NullFloat64
	var scored sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT customer_id, first_order_at, last_order_at, orders, paid_fen, refund_fen, refunds, spend_fen,
		aov_fen, interval_days, coupon_orders, r_score, f_score, m_score, segment, stage, value_class, scored_at, updated_at
		FROM customer_metrics WHERE tenant_id = ? AND customer_id = ?`, tenantID, customerID).Scan(&m.CustomerID, &m.FirstOrderAt,
		&m.LastOrderAt, &m.Orders, &m.PaidFen, &m.RefundFen, &m.Refunds, &m.SpendFen, &m.AOVFen, &interval, &m.CouponOrders,
		&m.RScore, &m.FScore, &m.MScore, &m.Segment, &m.Stage, &m.ValueClass, &scored, &m.UpdatedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return Value{}, fmt.Errorf("order: metrics of %d: %w", customerID, err)
	default:
		if interval.Valid {
			m.IntervalDays = &interval.Float64
		}
		if scored.Valid {
			m.ScoredAt = &scored.Time
		}
		v.Metrics = &m
	}
	if v.Prediction, err = s.predictionOf(ctx, s.db, tenantID, customerID); err != nil {
		return Value{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT from_stage, to_stage, changed_at FROM customer_lifecycle_history
		WHERE tenant_id = ? AND customer_id = ? ORDER BY id`, tenantID, customerID)
	if err != nil {
		return Value{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var t Transition
		if err := rows.Scan(&t.From, &t.To, &t.ChangedAt); err != nil {
			return Value{}, err
		}
		v.History = append(v.History, t)
	}
	return v, rows.Err()
}

// ValueSummary counts the customers in the caller's scope by segment, stage and value class.
func (s *Service) ValueSummary(ctx context.Context) (Summary, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Summary{}, err
	}
	cond, args := org.ScopeOf(c).CustomerFilter("m.customer_id")
	out := Summary{Segments: map[string]int64{}, Stages: map[string]int64{}, ValueClasses: map[string]int64{}}
	for _, seg := range Segments {
		out.Segments[seg] = 0
	}
	for _, st := range []string{StageInitial, StageTrust, StageDecline, StageLost} {
		out.Stages[st] = 0
	}
	for _, vc := range []string{ValueHigh, ValueRegular, ValueCouponOnly, ValueHeavyRefunder} {
		out.ValueClasses[vc] = 0
	}
	rows, err := s.db.QueryContext(ctx, `SELECT m.segment, m.stage, m.value_class, COUNT(*), SUM(m.spend_fen), SUM(m.orders), MAX(m.scored_at)
		FROM customer_metrics m WHERE m.tenant_id = ? AND `+cond+` GROUP BY m.segment, m.stage, m.value_class`, append([]any{c.TenantID}, args...)...)
	if err != nil {
		return Summary{}, fmt.Errorf("order: value summary: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seg, st, vc string
		var n, spend, orders int64
		var scored store.Time
		if err := rows.Scan(&seg, &st, &vc, &n, &spend, &orders, &scored); err != nil {
			return Summary{}, err
		}
		out.Customers += n
		out.SpendFen += spend
		out.Orders += orders
		if seg != "" {
			out.Segments[seg] += n
		}
		out.Stages[st] += n
		out.ValueClasses[vc] += n
		if scored.Valid && (out.ScoredAt == nil || scored.Time.After(*out.ScoredAt)) {
			t := scored.Time
			out.ScoredAt = &t
		}
	}
	return out, rows.Err()
}
