// Package analytics answers the questions a brand asks of its private domain as a whole: which
// channels pay back (ROI), where customers drop out on the way from scan to repeat order (funnels),
// how cohorts of added customers stay connected and buy (cohorts), and how often customers come
// back (repurchase rhythm). Per-customer value (metrics, RFM, lifecycle) lives with orders in
// internal/order; the offline CLV models live in analytics/clv.
//
// It reads the tables of customers, acquisition and orders directly: reports are joins across
// capabilities, and going through each service's API would mean loading every row into memory
// twice. That is a deliberate exception to "domain packages never read each other's tables"; it
// must stay read-only and must never hold business rules that belong to those packages. Every
// query filters by tenant and by the caller's scope (org.ScopeOf): customers for funnels,
// cohorts and rhythm, channels' org units for ROI.
package analytics

import (
	"fmt"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Service computes the reports.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns the analytics service.
func New(db *store.DB) *Service { return &Service{db: db, now: time.Now} }

// china is the brands' business day: reports are cut at midnight Beijing time (no DST).
var china = time.FixedZone("CST", 8*3600)

// Period is a half-open range of business days [From, To).
type Period struct {
	From, To time.Time // midnight Beijing time, as UTC instants
}

// Days returns the period as YYYY-MM-DD business days [from, to), the form spend and daily
// counters are stored in.
func (p Period) Days() (string, string) {
	return p.From.In(china).Format(time.DateOnly), p.To.In(china).Format(time.DateOnly)
}

// parsePeriod reads from/to (YYYY-MM-DD, inclusive end day) with a default of the last 90 days.
func parsePeriod(v *httpx.Validator, from, to string, now time.Time) Period {
	today := midnight(now.In(china))
	p := Period{From: today.AddDate(0, 0, -89), To: today.AddDate(0, 0, 1)}
	if from != "" {
		d, err := time.ParseInLocation(time.DateOnly, from, china)
		if err != nil {
			v.Add("from", "invalid")
		} else {
			p.From = d
		}
	}
	if to != "" {
		d, err := time.ParseInLocation(time.DateOnly, to, china)
		if err != nil {
			v.Add("to", "invalid")
		} else {
			p.To = d.AddDate(0, 0, 1)
		}
	}
	if !v.Has("from") && !v.Has("to") {
		v.Check(p.From.Before(p.To), "to", "before_from")
		v.Check(p.To.Sub(p.From) <= 3*366*24*time.Hour, "to", "range_too_long")
	}
	p.From, p.To = p.From.UTC(), p.To.UTC()
	return p
}

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// ratio is a/b, or nil when b is zero (shown as "—", not 0).
func ratio(a, b int64) *float64 {
	if b == 0 {
		return nil
	}
	r := float64(a) / float64(b)
	return &r
}

// placeholders returns "(?, ?, …)" for n values.
func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("analytics: %s: %w", what, err)
}
