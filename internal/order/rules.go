package order

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Rules are a tenant's customer-value rules. Zero fields take the defaults (DefaultRules).
type Rules struct {
	RFM       RFMRules       `json:"rfm"`
	Lifecycle LifecycleRules `json:"lifecycle"`
	Value     ValueRules     `json:"value"`
}

// RFMRules configure RFM scoring.
type RFMRules struct {
	// Bins is the number of score bins (5 = quintiles).
	Bins int `json:"bins" doc:"number of score bins, 2-10 (5 = quintiles)"`
	// WindowDays limits F and M to orders in the last WindowDays before the reference date;
	// 0 means all history.
	WindowDays int `json:"window_days" doc:"F and M count orders of the last N days before the reference date; 0 = all history"`
	// ReferenceDate (YYYY-MM-DD) is the day R is measured from; empty means today.
	ReferenceDate string `json:"reference_date" doc:"YYYY-MM-DD the recency is measured from; empty = today"`
	// Split decides high vs low for the named segments: a score above the mean or the median.
	Split string `json:"split" doc:"mean or median: a score above it is high"`
}

// LifecycleRules place a customer in 初始期 / 信任期 / 衰退期 / 流失 from their own rhythm.
type LifecycleRules struct {
	// RhythmFactor k: a repeat buyer is in trust while days since the last order ≤ k × their mean
	// interval (at least MinTrustDays), in decline beyond it.
	RhythmFactor float64 `json:"rhythm_factor" doc:"k: trust while days since last order <= k x own mean interval"`
	MinTrustDays int     `json:"min_trust_days" doc:"floor of the trust window, days"`
	// InitialDays: a one-order customer is initial this long after the order, then in decline.
	InitialDays int `json:"initial_days" doc:"a one-order customer is initial this many days, then declining"`
	// LostDays: beyond this many days without an order the customer is lost.
	LostDays int `json:"lost_days" doc:"no order for more than this many days: lost"`
}

// ValueRules separate high-value customers from low-value ones.
type ValueRules struct {
	// CouponDiscountPct: an order with discount ≥ this share of its list price is a coupon order;
	// a customer all of whose orders are coupon orders is a coupon-only buyer.
	CouponDiscountPct int `json:"coupon_discount_pct" doc:"an order with discount >= this % of list price is a coupon order"`
	// RefundSharePct: refunds ≥ this share of what a customer paid make a heavy refunder.
	RefundSharePct int `json:"refund_share_pct" doc:"refunds >= this % of paid: heavy refunder"`
	// HighSpendFen and HighMinOrders: spend (paid − refunds) at least this, or at least this many
	// orders, make a high-value customer.
	HighSpendFen  int64 `json:"high_spend_fen" doc:"spend at least this (fen) is high value"`
	HighMinOrders int   `json:"high_min_orders" doc:"at least this many orders is high value"`
}

// DefaultRules are used where a tenant set nothing.
func DefaultRules() Rules {
	return Rules{
		RFM:       RFMRules{Bins: 5, WindowDays: 365, Split: "mean"},
		Lifecycle: LifecycleRules{RhythmFactor: 2, MinTrustDays: 30, InitialDays: 90, LostDays: 365},
		Value:     ValueRules{CouponDiscountPct: 30, RefundSharePct: 50, HighSpendFen: 200000, HighMinOrders: 4},
	}
}

// withDefaults fills zero fields.
func (r Rules) withDefaults() Rules {
	d := DefaultRules()
	if r.RFM.Bins == 0 {
		r.RFM.Bins = d.RFM.Bins
	}
	if r.RFM.Split == "" {
		r.RFM.Split = d.RFM.Split
	}
	if r.Lifecycle.RhythmFactor == 0 {
		r.Lifecycle.RhythmFactor = d.Lifecycle.RhythmFactor
	}
	if r.Lifecycle.MinTrustDays == 0 {
		r.Lifecycle.MinTrustDays = d.Lifecycle.MinTrustDays
	}
	if r.Lifecycle.InitialDays == 0 {
		r.Lifecycle.InitialDays = d.Lifecycle.InitialDays
	}
	if r.Lifecycle.LostDays == 0 {
		r.Lifecycle.LostDays = d.Lifecycle.LostDays
	}
	if r.Value.CouponDiscountPct == 0 {
		r.Value.CouponDiscountPct = d.Value.CouponDiscountPct
	}
	if r.Value.RefundSharePct == 0 {
		r.Value.RefundSharePct = d.Value.RefundSharePct
	}
	if r.Value.HighSpendFen == 0 {
		r.Value.HighSpendFen = d.Value.HighSpendFen
	}
	if r.Value.HighMinOrders == 0 {
		r.Value.HighMinOrders = d.Value.HighMinOrders
	}
	return r
}

// Validate checks rules as a tenant sends them.
func (r Rules) Validate() error {
	var v httpx.Validator
	v.Check(r.RFM.Bins >= 2 && r.RFM.Bins <= 10, "rfm.bins", "out_of_range")
	v.Check(r.RFM.WindowDays >= 0 && r.RFM.WindowDays <= 3650, "rfm.window_days", "out_of_range")
	if r.RFM.ReferenceDate != "" {
		_, err := time.Parse(time.DateOnly, r.RFM.ReferenceDate)
		v.Check(err == nil, "rfm.reference_date", "invalid")
	}
	v.OneOf("rfm.split", r.RFM.Split, "mean", "median")
	v.Check(r.Lifecycle.RhythmFactor >= 1 && r.Lifecycle.RhythmFactor <= 10, "lifecycle.rhythm_factor", "out_of_range")
	v.Check(r.Lifecycle.MinTrustDays >= 1 && r.Lifecycle.MinTrustDays <= 3650, "lifecycle.min_trust_days", "out_of_range")
	v.Check(r.Lifecycle.InitialDays >= 1 && r.Lifecycle.InitialDays <= 3650, "lifecycle.initial_days", "out_of_range")
	v.Check(r.Lifecycle.LostDays > r.Lifecycle.InitialDays && r.Lifecycle.LostDays > r.Lifecycle.MinTrustDays &&
		r.Lifecycle.LostDays <= 3650, "lifecycle.lost_days", "out_of_range")
	v.Check(r.Value.CouponDiscountPct >= 1 && r.Value.CouponDiscountPct <= 100, "value.coupon_discount_pct", "out_of_range")
	v.Check(r.Value.RefundSharePct >= 1 && r.Value.RefundSharePct <= 100, "value.refund_share_pct", "out_of_range")
	v.Check(r.Value.HighSpendFen >= 1 && r.Value.HighSpendFen <= 1e12, "value.high_spend_fen", "out_of_range")
	v.Check(r.Value.HighMinOrders >= 2 && r.Value.HighMinOrders <= 10000, "value.high_min_orders", "out_of_range")
	return v.Err()
}

// reference returns the moment recency is measured from: the end of the reference day in
// Beijing time (the brand's business day), or now.
func (r RFMRules) reference(now time.Time) time.Time {
	if t, err := time.ParseInLocation(time.DateOnly, r.ReferenceDate, shanghai); err == nil {
		return t.AddDate(0, 0, 1).Add(-time.Microsecond).UTC()
	}
	return now
}

// Rules returns a tenant's rules with defaults filled in.
func (s *Service) Rules(ctx context.Context, tenantID int64) (Rules, error) {
	return loadRules(ctx, s.db, tenantID)
}

func loadRules(ctx context.Context, q store.Querier, tenantID int64) (Rules, error) {
	var raw string
	err := q.QueryRowContext(ctx, `SELECT rules FROM order_settings WHERE tenant_id = ?`, tenantID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultRules(), nil
	}
	if err != nil {
		return Rules{}, fmt.Errorf("order: rules of tenant %d: %w", tenantID, err)
	}
	var r Rules
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return Rules{}, fmt.Errorf("order: rules of tenant %d: %w", tenantID, err)
	}
	return r.withDefaults(), nil
}

// SetRulesFor stores a tenant's rules (after Validate).
func (s *Service) SetRulesFor(ctx context.Context, tenantID int64, r Rules) error {
	if err := r.Validate(); err != nil {
		return err
	}
	b, _ := json.Marshal(r)
	now := s.clock()
	_, err := s.db.ExecContext(ctx, `INSERT INTO order_settings (tenant_id, rules, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at`, tenantID, string(b), now)
	if err != nil {
		return fmt.Errorf("order: save rules: %w", err)
	}
	return nil
}
