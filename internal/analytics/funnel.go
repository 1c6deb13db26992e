package analytics

import (
	"context"
	"regexp"
	"time"

	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Funnel steps. Besides these, "event:KIND" is the first customer event of that kind (for
// example event:referred once fission records referrals, or event:tagged).
const (
	StepScan        = "scan"         // scans of live codes (anonymous: a count, first step only)
	StepAdded       = "added"        // first added a staff member
	StepJoinedGroup = "joined_group" // first joined a customer group
	StepFirstOrder  = "first_order"  // first order not fully refunded
	StepRepeatOrder = "repeat_order" // second such order
	StepReferred    = "referred"     // first referral of a friend (event:referred)
)

// DefaultFunnel is the private-domain path the issue names: scan → add → group → first order →
// repeat → referral.
var DefaultFunnel = []string{StepScan, StepAdded, StepJoinedGroup, StepFirstOrder, StepRepeatOrder, StepReferred}

var eventStep = regexp.MustCompile(`^event:[a-z_]{1,40}$`)

// validStep reports whether a step key is known.
func validStep(k string) bool {
	switch k {
	case StepScan, StepAdded, StepJoinedGroup, StepFirstOrder, StepRepeatOrder, StepReferred:
		return true
	}
	return eventStep.MatchString(k)
}

// FunnelStep is how many customers got as far as one step.
type FunnelStep struct {
	Key       string `json:"key"`
	Customers int64  `json:"customers" doc:"for scan: the number of scans"`
	// FromPrevious is Customers / the previous step's; Overall is / the first step's.
	FromPrevious *float64 `json:"from_previous"`
	Overall      *float64 `json:"overall"`
}

// FunnelReport is an ordered funnel: a customer counts at step k when they reached step 1 in the
// period and every step up to k, each no earlier than the one before.
type FunnelReport struct {
	From  time.Time    `json:"from"`
	To    time.Time    `json:"to"`
	Steps []FunnelStep `json:"steps"`
}

// Funnel computes an ordered funnel over customer steps. A leading scan step is an anonymous
// count; the customer cohort then starts with the second step.
func (s *Service) Funnel(ctx context.Context, sc org.Scope, p Period, steps []string) (FunnelReport, error) {
	rep := FunnelReport{From: p.From, To: p.To}
	rest := steps
	var scans int64 = -1
	if len(steps) > 0 && steps[0] == StepScan {
		n, err := s.scans(ctx, sc, p)
		if err != nil {
			return rep, err
		}
		scans, rest = n, steps[1:]
	}
	counts := make([]int64, len(rest))
	if len(rest) > 0 {
		first, err := s.stepTimes(ctx, sc, rest[0])
		if err != nil {
			return rep, err
		}
		// reached holds, per customer still in the funnel, when they reached the last step.
		reached := map[int64]time.Time{}
		for cid, at := range first {
			if !at.Before(p.From) && at.Before(p.To) {
				reached[cid] = at
			}
		}
		counts[0] = int64(len(reached))
		for i := 1; i < len(rest) && len(reached) > 0; i++ {
			times, err := s.stepTimes(ctx, sc, rest[i])
			if err != nil {
				return rep, err
			}
			next := map[int64]time.Time{}
			for cid, prev := range reached {
				if at, ok := times[cid]; ok && !at.Before(prev) {
					next[cid] = at
				}
			}
			reached = next
			counts[i] = int64(len(reached))
		}
	}
	var all []int64
	if scans >= 0 {
		all = append(all, scans)
	}
	all = append(all, counts...)
	for i, k := range steps {
		st := FunnelStep{Key: k, Customers: all[i]}
		if i > 0 {
			st.FromPrevious = ratio(all[i], all[i-1])
			st.Overall = ratio(all[i], all[0])
		}
		rep.Steps = append(rep.Steps, st)
	}
	return rep, nil
}

// scans counts the scans of live codes whose channel is in scope.
func (s *Service) scans(ctx context.Context, sc org.Scope, p Period) (int64, error) {
	unitCond, unitArgs := sc.UnitFilter("ou.path")
	fromDay, toDay := p.Days()
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(d.scans), 0) FROM acq_code_daily d
		JOIN acq_live_codes c ON c.tenant_id = d.tenant_id AND c.id = d.code_id
		JOIN acq_channels ch ON ch.tenant_id = c.tenant_id AND ch.id = c.channel_id
		JOIN org_units ou ON ou.tenant_id = ch.tenant_id AND ou.id = ch.org_unit_id
		WHERE d.tenant_id = ? AND d.day >= ? AND d.day < ? AND `+unitCond,
		append([]any{sc.TenantID, fromDay, toDay}, unitArgs...)...).Scan(&n)
	return n, wrap("scans", err)
}

// stepTimes returns, for every customer in scope who reached the step, when they first did.
func (s *Service) stepTimes(ctx context.Context, sc org.Scope, step string) (map[int64]time.Time, error) {
	custCond, custArgs := sc.CustomerFilter("x.customer_id")
	var q string
	args := []any{sc.TenantID}
	switch step {
	case StepAdded:
		q = `SELECT customer_id, MIN(added_at) FROM customer_staff x WHERE tenant_id = ? AND ` + custCond + ` GROUP BY customer_id`
	case StepJoinedGroup:
		q = `SELECT customer_id, MIN(join_time) FROM customer_group_members x
			WHERE tenant_id = ? AND customer_id IS NOT NULL AND ` + custCond + ` GROUP BY customer_id`
	case StepFirstOrder, StepRepeatOrder:
		n := 1
		if step == StepRepeatOrder {
			n = 2
		}
		q = `SELECT customer_id, paid_at FROM (SELECT customer_id, paid_at,
				ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY paid_at, id) AS n
			FROM orders x WHERE tenant_id = ? AND customer_id IS NOT NULL AND paid_fen > refund_fen AND ` + custCond + `) o
			WHERE o.n = ?`
		custArgs = append(custArgs, n)
	default:
		kind := step[len("event:"):]
		if step == StepReferred {
			kind = "referred"
		}
		q = `SELECT customer_id, MIN(occurred_at) FROM customer_events x WHERE tenant_id = ? AND kind = ? AND ` + custCond + ` GROUP BY customer_id`
		args = append(args, kind)
	}
	rows, err := s.db.QueryContext(ctx, q, append(args, custArgs...)...)
	if err != nil {
		return nil, wrap("funnel step "+step, err)
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var cid int64
		var at store.Time
		if err := rows.Scan(&cid, &at); err != nil {
			return nil, wrap("funnel step "+step, err)
		}
		if at.Valid {
			out[cid] = at.Time
		}
	}
	return out, wrap("funnel step "+step, rows.Err())
}
