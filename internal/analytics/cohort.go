package analytics

import (
	"context"
	"time"

	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Cohort is the customers first added in one month, followed month by month.
type Cohort struct {
	Month     string `json:"month" doc:"YYYY-MM of the first add (Beijing time)"`
	Customers int64  `json:"customers"`
	// Connected[m] is how many still had a staff relation at the end of month m after the add
	// month (m = 0 is the add month itself); Purchased[m] how many bought in that month.
	// Months that have not ended yet are left out.
	Connected []int64 `json:"connected"`
	Purchased []int64 `json:"purchased"`
}

// CohortReport is the retention table by month of add.
type CohortReport struct {
	Cohorts []Cohort `json:"cohorts"`
}

type cohortMember struct {
	cohort int // index into the report's cohorts
	// until is when the customer's last relation ended; zero while one is still active.
	until  time.Time
	active bool
	bought uint64 // bit m: bought in month m after the add month
}

// MaxCohortMonths bounds the table (two years of cohorts, each followed for as long).
const MaxCohortMonths = 24

// Cohorts builds the retention table for the months [first, first+months) of add, customers in
// the caller's scope.
func (s *Service) Cohorts(ctx context.Context, sc org.Scope, first time.Time, months int) (CohortReport, error) {
	first = time.Date(first.In(china).Year(), first.In(china).Month(), 1, 0, 0, 0, 0, china)
	start, end := first.UTC(), first.AddDate(0, months, 0).UTC()
	now := s.now().UTC()
	rep := CohortReport{Cohorts: make([]Cohort, months)}
	for i := range rep.Cohorts {
		rep.Cohorts[i].Month = first.AddDate(0, i, 0).Format("2006-01")
	}
	custCond, custArgs := sc.CustomerFilter("c.id")

	// Members and their relations in one pass: a customer is connected until their last relation
	// ended (or for good while one is active).
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.first_added_at, cs.status, cs.status_at
		FROM customers c JOIN customer_staff cs ON cs.tenant_id = c.tenant_id AND cs.customer_id = c.id
		WHERE c.tenant_id = ? AND c.first_added_at >= ? AND c.first_added_at < ? AND `+custCond,
		append([]any{sc.TenantID, start, end}, custArgs...)...)
	if err != nil {
		return rep, wrap("cohort members", err)
	}
	members := map[int64]*cohortMember{}
	for rows.Next() {
		var cid int64
		var added, statusAt store.Time
		var status string
		if err := rows.Scan(&cid, &added, &status, &statusAt); err != nil {
			rows.Close()
			return rep, wrap("cohort members", err)
		}
		m := members[cid]
		if m == nil {
			m = &cohortMember{cohort: monthsBetween(first, added.Time)}
			members[cid] = m
			rep.Cohorts[m.cohort].Customers++
		}
		if status == "active" {
			m.active = true
		} else if statusAt.Time.After(m.until) {
			m.until = statusAt.Time
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, wrap("cohort members", err)
	}

	rows, err = s.db.QueryContext(ctx, `SELECT o.customer_id, o.paid_at FROM orders o
		JOIN customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id
		WHERE o.tenant_id = ? AND o.paid_at >= ? AND o.paid_fen > o.refund_fen
		AND c.first_added_at >= ? AND c.first_added_at < ?`, sc.TenantID, start, start, end)
	if err != nil {
		return rep, wrap("cohort orders", err)
	}
	for rows.Next() {
		var cid int64
		var paid store.Time
		if err := rows.Scan(&cid, &paid); err != nil {
			rows.Close()
			return rep, wrap("cohort orders", err)
		}
		m := members[cid]
		if m == nil {
			continue // out of scope
		}
		if off := monthsBetween(first, paid.Time) - m.cohort; off >= 0 && off < 64 {
			m.bought |= 1 << off
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, wrap("cohort orders", err)
	}

	// Follow each cohort up to the last month that has ended.
	for i := range rep.Cohorts {
		c := &rep.Cohorts[i]
		var n int
		for !first.AddDate(0, i+n+1, 0).After(now) && n < MaxCohortMonths {
			n++
		}
		c.Connected, c.Purchased = make([]int64, n), make([]int64, n)
	}
	for _, m := range members {
		c := &rep.Cohorts[m.cohort]
		for off := range c.Connected {
			monthEnd := first.AddDate(0, m.cohort+off+1, 0)
			if m.active || !m.until.Before(monthEnd) {
				c.Connected[off]++
			}
			if m.bought&(1<<off) != 0 {
				c.Purchased[off]++
			}
		}
	}
	return rep, nil
}

// monthsBetween counts calendar months (Beijing time) from the month of a to the month of b.
func monthsBetween(a, b time.Time) int {
	a, b = a.In(china), b.In(china)
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}
