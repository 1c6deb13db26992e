package analytics

import (
	"context"
	"sort"
	"time"

	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// ChannelROI is what one channel (or one pyramid tier) brought in a period and what it cost.
// A customer belongs to the channel of their first add through a live code; their orders count
// from that add on.
type ChannelROI struct {
	ChannelID int64  `json:"channel_id,omitempty"`
	Name      string `json:"name,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Tier      string `json:"tier"`
	// Adds is the number of customers whose first add through a code of the channel fell in the period.
	Adds     int64 `json:"adds"`
	SpendFen int64 `json:"spend_fen" doc:"spend entries dated in the period"`
	// CACFen is spend per added customer (fen), null without adds.
	CACFen *int64 `json:"cac_fen"`
	// Buyers placed at least one order after their add; FirstOrderRate = Buyers / Adds.
	Buyers         int64    `json:"buyers"`
	FirstOrderRate *float64 `json:"first_order_rate"`
	Orders         int64    `json:"orders"`
	RepeatOrders   int64    `json:"repeat_orders" doc:"orders after each buyer's first"`
	GMVFen         int64    `json:"gmv_fen" doc:"paid minus refunded, orders after the add"`
	RepeatGMVFen   int64    `json:"repeat_gmv_fen"`
	// ROI is GMV / spend, null without spend.
	ROI *float64 `json:"roi"`
	// CostSavedFen = repeat orders × CAC: what buying those orders again on a public platform
	// would have cost.
	CostSavedFen int64 `json:"cost_saved_fen"`
}

// ROIReport is per channel and per pyramid tier (top / waist / bottom).
type ROIReport struct {
	From     time.Time    `json:"from"`
	To       time.Time    `json:"to"`
	Channels []ChannelROI `json:"channels"`
	Tiers    []ChannelROI `json:"tiers"`
	Total    ChannelROI   `json:"total"`
}

type roiCustomer struct {
	channel int64
	addedAt time.Time
}

// ChannelROI computes the report for the channels in the caller's scope.
func (s *Service) ChannelROI(ctx context.Context, sc org.Scope, p Period) (ROIReport, error) {
	rep := ROIReport{From: p.From, To: p.To, Channels: []ChannelROI{}, Tiers: []ChannelROI{}}
	unitCond, unitArgs := sc.UnitFilter("ou.path")
	rows, err := s.db.QueryContext(ctx, `SELECT ch.id, ch.name, ch.kind, ch.tier FROM acq_channels ch
		JOIN org_units ou ON ou.tenant_id = ch.tenant_id AND ou.id = ch.org_unit_id
		WHERE ch.tenant_id = ? AND `+unitCond+` ORDER BY ch.id`, append([]any{sc.TenantID}, unitArgs...)...)
	if err != nil {
		return rep, wrap("channels", err)
	}
	byID := map[int64]*ChannelROI{}
	var order []int64
	for rows.Next() {
		var c ChannelROI
		if err := rows.Scan(&c.ChannelID, &c.Name, &c.Kind, &c.Tier); err != nil {
			rows.Close()
			return rep, wrap("channels", err)
		}
		byID[c.ChannelID] = &c
		order = append(order, c.ChannelID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, wrap("channels", err)
	}

	fromDay, toDay := p.Days()
	rows, err = s.db.QueryContext(ctx, `SELECT channel_id, SUM(amount_fen) FROM acq_channel_spend
		WHERE tenant_id = ? AND spent_on >= ? AND spent_on < ? GROUP BY channel_id`, sc.TenantID, fromDay, toDay)
	if err != nil {
		return rep, wrap("spend", err)
	}
	for rows.Next() {
		var id, fen int64
		if err := rows.Scan(&id, &fen); err != nil {
			rows.Close()
			return rep, wrap("spend", err)
		}
		if c := byID[id]; c != nil {
			c.SpendFen = fen
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, wrap("spend", err)
	}

	// The first code add of every customer decides their channel; only first adds inside the
	// period count, so a customer re-added later is not bought twice.
	customers := map[int64]roiCustomer{}
	rows, err = s.db.QueryContext(ctx, `SELECT a.customer_id, a.added_at, c.channel_id FROM acq_code_adds a
		JOIN acq_live_codes c ON c.tenant_id = a.tenant_id AND c.id = a.code_id
		WHERE a.tenant_id = ? AND a.added_at < ? ORDER BY a.customer_id, a.added_at`, sc.TenantID, p.To)
	if err != nil {
		return rep, wrap("adds", err)
	}
	last := int64(-1)
	for rows.Next() {
		var cid, ch int64
		var at store.Time
		if err := rows.Scan(&cid, &at, &ch); err != nil {
			rows.Close()
			return rep, wrap("adds", err)
		}
		if cid == last {
			continue
		}
		last = cid
		if at.Time.Before(p.From) || byID[ch] == nil {
			continue
		}
		customers[cid] = roiCustomer{channel: ch, addedAt: at.Time}
		byID[ch].Adds++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, wrap("adds", err)
	}

	// Orders of those customers from their add on (up to now: value keeps coming after the
	// period), fully refunded ones left out.
	rows, err = s.db.QueryContext(ctx, `SELECT customer_id, paid_at, paid_fen - refund_fen FROM orders
		WHERE tenant_id = ? AND customer_id IS NOT NULL AND paid_at >= ? AND paid_fen > refund_fen
		ORDER BY customer_id, paid_at`, sc.TenantID, p.From)
	if err != nil {
		return rep, wrap("orders", err)
	}
	last = -1
	var n int64
	for rows.Next() {
		var cid, net int64
		var at store.Time
		if err := rows.Scan(&cid, &at, &net); err != nil {
			rows.Close()
			return rep, wrap("orders", err)
		}
		rc, ok := customers[cid]
		if !ok || at.Time.Before(rc.addedAt) {
			continue
		}
		if cid != last {
			last, n = cid, 0
		}
		n++
		c := byID[rc.channel]
		c.Orders++
		c.GMVFen += net
		if n == 1 {
			c.Buyers++
		} else {
			c.RepeatOrders++
			c.RepeatGMVFen += net
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, wrap("orders", err)
	}

	tiers := map[string]*ChannelROI{}
	rep.Total.Tier = "all"
	for _, id := range order {
		c := byID[id]
		c.derive()
		if c.CACFen != nil {
			c.CostSavedFen = c.RepeatOrders * *c.CACFen
		}
		rep.Channels = append(rep.Channels, *c)
		t := tiers[c.Tier]
		if t == nil {
			t = &ChannelROI{Tier: c.Tier}
			tiers[c.Tier] = t
		}
		t.add(c)
		rep.Total.add(c)
	}
	for _, t := range tiers {
		t.derive()
		rep.Tiers = append(rep.Tiers, *t)
	}
	sort.Slice(rep.Tiers, func(i, j int) bool { return tierRank(rep.Tiers[i].Tier) < tierRank(rep.Tiers[j].Tier) })
	rep.Total.derive()
	return rep, nil
}

func (c *ChannelROI) add(o *ChannelROI) {
	c.Adds += o.Adds
	c.SpendFen += o.SpendFen
	c.Buyers += o.Buyers
	c.Orders += o.Orders
	c.RepeatOrders += o.RepeatOrders
	c.GMVFen += o.GMVFen
	c.RepeatGMVFen += o.RepeatGMVFen
	c.CostSavedFen += o.CostSavedFen // each channel's repeat orders at its own CAC
}

// derive fills the ratios from the counts. CAC is rounded to the nearest fen.
func (c *ChannelROI) derive() {
	c.CACFen = nil
	if c.Adds > 0 {
		cac := (c.SpendFen + c.Adds/2) / c.Adds
		c.CACFen = &cac
	}
	c.FirstOrderRate = ratio(c.Buyers, c.Adds)
	c.ROI = ratio(c.GMVFen, c.SpendFen)
}

func tierRank(t string) int {
	switch t {
	case "top":
		return 0
	case "waist":
		return 1
	case "bottom":
		return 2
	}
	return 3
}
