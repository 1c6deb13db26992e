package analytics

import (
	"context"
	"slices"
	"time"

	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// RhythmBucket is a range of days between two consecutive purchases.
type RhythmBucket struct {
	Label   string `json:"label" doc:"e.g. 8-14 (days)"`
	MinDays int    `json:"min_days"`
	MaxDays int    `json:"max_days" doc:"inclusive; 0 = no upper bound"`
	Count   int64  `json:"count"`
}

// RhythmReport is the test of whether a business suits private-domain operations: how long
// customers take to buy again, and how many do within a year.
type RhythmReport struct {
	Buyers    int64 `json:"buyers" doc:"customers with at least one purchase"`
	Repeaters int64 `json:"repeaters" doc:"customers with purchases on two or more days"`
	// Intervals are the gaps between consecutive purchase days of the same customer
	// (same-day orders are one purchase, as in the repeat-purchase literature).
	Intervals    int64          `json:"intervals"`
	Buckets      []RhythmBucket `json:"buckets"`
	MedianDays   *float64       `json:"median_days"`
	P25Days      *float64       `json:"p25_days"`
	P75Days      *float64       `json:"p75_days"`
	MeanDays     *float64       `json:"mean_days"`
	MatureBuyers int64          `json:"mature_buyers" doc:"buyers whose first purchase is at least 365 days old"`
	// RepeatWithinYear is the share of mature buyers who bought again within 365 days of their
	// first purchase; null when nobody is mature yet.
	RepeatWithinYear *float64  `json:"repeat_within_year"`
	AsOf             time.Time `json:"as_of"`
}

var rhythmBuckets = []RhythmBucket{{Label: "1-7", MinDays: 1, MaxDays: 7}, {Label: "8-14", MinDays: 8, MaxDays: 14},
	{Label: "15-30", MinDays: 15, MaxDays: 30}, {Label: "31-60", MinDays: 31, MaxDays: 60}, {Label: "61-90", MinDays: 61, MaxDays: 90},
	{Label: "91-180", MinDays: 91, MaxDays: 180}, {Label: "181-365", MinDays: 181, MaxDays: 365}, {Label: "365+", MinDays: 366}}

// Rhythm computes the repurchase rhythm over the orders of customers in the caller's scope.
func (s *Service) Rhythm(ctx context.Context, sc org.Scope) (RhythmReport, error) {
	now := s.now().UTC()
	rep := RhythmReport{Buckets: slices.Clone(rhythmBuckets), AsOf: now}
	custCond, custArgs := sc.CustomerFilter("o.customer_id")
	rows, err := s.db.QueryContext(ctx, `SELECT o.customer_id, o.paid_at FROM orders o
		WHERE o.tenant_id = ? AND o.customer_id IS NOT NULL AND o.paid_fen > o.refund_fen AND `+custCond+`
		ORDER BY o.customer_id, o.paid_at`, append([]any{sc.TenantID}, custArgs...)...)
	if err != nil {
		return rep, wrap("rhythm", err)
	}
	defer rows.Close()
	var gaps []int
	var cur int64 = -1
	var firstDay, lastDay int // days since the epoch, Beijing time
	days := 0                 // purchase days of the current customer
	finish := func() {
		if cur < 0 {
			return
		}
		rep.Buyers++
		if days > 1 {
			rep.Repeaters++
		}
	}
	matureBefore := dayNumber(now) - 365
	var matureRepeat int64
	for rows.Next() {
		var cid int64
		var at store.Time
		if err := rows.Scan(&cid, &at); err != nil {
			return rep, wrap("rhythm", err)
		}
		d := dayNumber(at.Time)
		if cid != cur {
			finish()
			cur, firstDay, lastDay, days = cid, d, d, 1
			if d <= matureBefore {
				rep.MatureBuyers++
			}
			continue
		}
		if d == lastDay {
			continue // same day: one purchase
		}
		gaps = append(gaps, d-lastDay)
		if days == 1 && firstDay <= matureBefore && d-firstDay <= 365 {
			matureRepeat++
		}
		lastDay = d
		days++
	}
	if err := rows.Err(); err != nil {
		return rep, wrap("rhythm", err)
	}
	finish()

	rep.Intervals = int64(len(gaps))
	var sum int64
	for _, g := range gaps {
		sum += int64(g)
		for i := range rep.Buckets {
			b := &rep.Buckets[i]
			if g >= b.MinDays && (b.MaxDays == 0 || g <= b.MaxDays) {
				b.Count++
				break
			}
		}
	}
	if len(gaps) > 0 {
		slices.Sort(gaps)
		mean := float64(sum) / float64(len(gaps))
		rep.MeanDays = &mean
		rep.P25Days, rep.MedianDays, rep.P75Days = quantile(gaps, 0.25), quantile(gaps, 0.5), quantile(gaps, 0.75)
	}
	rep.RepeatWithinYear = ratio(matureRepeat, rep.MatureBuyers)
	return rep, nil
}

// dayNumber is the Beijing-time calendar day of t, counted from the epoch.
func dayNumber(t time.Time) int {
	y, m, d := t.In(china).Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// quantile interpolates linearly between the closest ranks of sorted values.
func quantile(sorted []int, q float64) *float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(pos)
	v := float64(sorted[lo])
	if lo+1 < len(sorted) {
		v += (pos - float64(lo)) * float64(sorted[lo+1]-sorted[lo])
	}
	return &v
}
