package analytics

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// at is noon Beijing time on a day, so no figure depends on where midnight falls.
func at(day string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, day, china)
	if err != nil {
		panic(err)
	}
	return t.Add(12 * time.Hour).UTC()
}

type fixture struct {
	t    *testing.T
	db   *store.DB
	ctx  context.Context
	base int64 // every id of the fixture is base + its number below: tests share a PostgreSQL database
}

var fixtures atomic.Int64

// id is the database id of the fixture's object number n.
func (f fixture) id(n int) int64 { return f.base + int64(n) }

// path is the org path of units 1 (HQ) and n under it.
func (f fixture) path(n int) string {
	if n == 1 {
		return fmt.Sprintf("/%d/", f.id(1))
	}
	return fmt.Sprintf("/%d/%d/", f.id(1), f.id(n))
}

func (f fixture) scope(role org.Role, staff, unit int) org.Scope {
	c := org.Caller{TenantID: f.base, Role: role}
	if staff > 0 {
		c.StaffID = f.id(staff)
	}
	if unit > 0 {
		c.OrgPath = f.path(unit)
	}
	return org.ScopeOf(c)
}

func (f fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.db.ExecContext(f.ctx, q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

// seed builds one small brand by hand, with every figure the tests expect worked out in the
// comments:
//
//	unit 2 (store A): staff 1, channel 1 "门店" (bottom tier), code 1
//	unit 3 (store B): staff 2, channel 2 "抖音" (top tier), code 2
//	customer 1: code 1 on 05-02; joined a group 05-04; orders 04-01 (before the add) 3000,
//	            05-03 10000, 05-20 5000
//	customer 2: code 1 on 05-05; lost 05-25; no orders
//	customer 3: code 2 on 05-06; joined a group 05-05 (before the add); lost 06-10;
//	            order 05-07 20000 fully refunded, 06-01 8000
//	customer 4: code 2 on 04-20 (before May), code 1 on 05-08
//	customer 5: code 2 on 05-09; joined a group 05-09 13:00; orders 05-10 6000 (refund 1000)
//	            and 4000 an hour later
//	customers 6, 7: never added (bought on a platform): 6 on 2025-01-10 and 2025-06-01, 7 on 2025-02-01
func seed(t *testing.T, db *store.DB) fixture {
	f := fixture{t: t, db: db, ctx: context.Background(), base: fixtures.Add(1) * 100}
	b, tn := f.base, f.base
	now := at("2026-08-15")
	f.exec(`INSERT INTO tenants (id, slug, name, created_at, updated_at) VALUES (?, ?, 'T', ?, ?)`, tn, fmt.Sprint("t", tn), now, now)
	f.exec(`INSERT INTO org_units (id, tenant_id, parent_id, name, kind, path, created_at, updated_at) VALUES
		(?, ?, NULL, 'HQ', 'hq', ?, ?, ?), (?, ?, ?, 'A', 'store', ?, ?, ?), (?, ?, ?, 'B', 'store', ?, ?, ?)`,
		b+1, tn, f.path(1), now, now, b+2, tn, b+1, f.path(2), now, now, b+3, tn, b+1, f.path(3), now, now)
	f.exec(`INSERT INTO staff (id, tenant_id, org_unit_id, name, wecom_userid, created_at, updated_at) VALUES
		(?, ?, ?, 'S1', 'u1', ?, ?), (?, ?, ?, 'S2', 'u2', ?, ?)`, b+1, tn, b+2, now, now, b+2, tn, b+3, now, now)
	f.exec(`INSERT INTO acq_channels (id, tenant_id, name, kind, tier, org_unit_id, created_at, updated_at) VALUES
		(?, ?, '门店', 'offline_store', 'bottom', ?, ?, ?), (?, ?, '抖音', 'paid_ads', 'top', ?, ?, ?)`, b+1, tn, b+2, now, now, b+2, tn, b+3, now, now)
	f.exec(`INSERT INTO acq_live_codes (id, tenant_id, channel_id, name, slug, state, strategy, created_at, updated_at) VALUES
		(?, ?, ?, 'c1', ?, 'st1', 'round_robin', ?, ?), (?, ?, ?, 'c2', ?, 'st2', 'round_robin', ?, ?)`,
		b+1, tn, b+1, fmt.Sprint("s1-", b), now, now, b+2, tn, b+2, fmt.Sprint("s2-", b), now, now)
	for _, sp := range []struct {
		ch  int
		day string
		fen int64
	}{{1, "2026-05-10", 10000}, {2, "2026-05-11", 30000}, {2, "2026-04-01", 5000}} {
		f.exec(`INSERT INTO acq_channel_spend (tenant_id, channel_id, spent_on, amount_fen, created_at) VALUES (?, ?, ?, ?, ?)`, tn, f.id(sp.ch), sp.day, sp.fen, now)
	}
	for _, d := range []struct {
		code  int
		day   string
		scans int
	}{{1, "2026-05-02", 10}, {2, "2026-05-06", 20}, {1, "2026-04-30", 99}} {
		f.exec(`INSERT INTO acq_code_daily (tenant_id, code_id, staff_id, day, scans) VALUES (?, ?, ?, ?, ?)`, tn, f.id(d.code), f.id(1), d.day, d.scans)
	}
	type add struct {
		cust, code, staff int
		day               string
	}
	adds := []add{{1, 1, 1, "2026-05-02"}, {2, 1, 1, "2026-05-05"}, {3, 2, 2, "2026-05-06"}, {4, 2, 2, "2026-04-20"}, {4, 1, 1, "2026-05-08"}, {5, 2, 2, "2026-05-09"}}
	firstAdd := map[int]string{1: "2026-05-02", 2: "2026-05-05", 3: "2026-05-06", 4: "2026-04-20", 5: "2026-05-09"}
	for id := 1; id <= 7; id++ {
		var first any
		if d, ok := firstAdd[id]; ok {
			first = at(d)
		}
		f.exec(`INSERT INTO customers (id, tenant_id, name, first_added_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`, f.id(id), tn, "客户", first, now, now)
	}
	lost := map[int]string{2: "2026-05-25", 3: "2026-06-10"}
	for _, a := range adds {
		status, statusAt := "active", at(a.day)
		if d, ok := lost[a.cust]; ok {
			status, statusAt = "lost", at(d)
		}
		user := []string{"", "u1", "u2"}[a.staff]
		f.exec(`INSERT INTO customer_staff (tenant_id, customer_id, wecom_userid, staff_id, state, added_at, status, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			tn, f.id(a.cust), user, f.id(a.staff), []string{"", "st1", "st2"}[a.code], at(a.day), status, statusAt)
		f.exec(`INSERT INTO acq_code_adds (tenant_id, code_id, customer_id, wecom_userid, staff_id, added_at, day) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tn, f.id(a.code), f.id(a.cust), user, f.id(a.staff), at(a.day), a.day)
	}
	f.exec(`INSERT INTO customer_groups (id, tenant_id, chat_id, created_at, updated_at) VALUES (?, ?, 'chat1', ?, ?)`, b+1, tn, now, now)
	for _, m := range []struct {
		cust int
		at   time.Time
	}{{1, at("2026-05-04")}, {3, at("2026-05-05")}, {5, at("2026-05-09").Add(time.Hour)}} {
		f.exec(`INSERT INTO customer_group_members (tenant_id, group_id, member_userid, member_type, customer_id, join_time) VALUES (?, ?, ?, 2, ?, ?)`,
			tn, b+1, fmt.Sprint("wm", m.cust), f.id(m.cust), m.at)
	}
	type order struct {
		cust         int
		at           time.Time
		paid, refund int64
	}
	orders := []order{{1, at("2026-04-01"), 3000, 0}, {1, at("2026-05-03"), 10000, 0}, {1, at("2026-05-20"), 5000, 0},
		{3, at("2026-05-07"), 20000, 20000}, {3, at("2026-06-01"), 8000, 0},
		{5, at("2026-05-10"), 6000, 1000}, {5, at("2026-05-10").Add(time.Hour), 4000, 0},
		{6, at("2025-01-10"), 1000, 0}, {6, at("2025-06-01"), 1000, 0}, {7, at("2025-02-01"), 1000, 0}}
	for i, o := range orders {
		f.exec(`INSERT INTO orders (tenant_id, source, external_id, customer_id, status, total_fen, paid_fen, refund_fen, ordered_at, paid_at, content_hash, created_at, updated_at)
			VALUES (?, 'tmall', ?, ?, 'paid', ?, ?, ?, ?, ?, '', ?, ?)`, tn, fmt.Sprint(i), f.id(o.cust), o.paid, o.paid, o.refund, o.at, o.at, now, now)
	}
	// An order nobody is bound to yet counts nowhere.
	f.exec(`INSERT INTO orders (tenant_id, source, external_id, status, total_fen, paid_fen, ordered_at, paid_at, content_hash, created_at, updated_at)
		VALUES (?, 'jd', 'x', 'paid', 500, 500, ?, ?, '', ?, ?)`, tn, at("2026-05-03"), at("2026-05-03"), now, now)
	return f
}

func newService(db *store.DB) *Service {
	s := New(db)
	s.now = func() time.Time { return at("2026-08-15") }
	return s
}

var may = Period{From: at("2026-05-01").Add(-12 * time.Hour), To: at("2026-06-01").Add(-12 * time.Hour)}

func TestChannelROI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := seed(t, db)
		s := newService(db)
		rep, err := s.ChannelROI(f.ctx, f.scope(org.Admin, 0, 0), may)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Channels) != 2 {
			t.Fatalf("channels = %+v", rep.Channels)
		}
		check := func(name string, got ChannelROI, adds, spend, cac, buyers, orders, repeat, gmv, repeatGMV, saved int64, roi float64) {
			t.Helper()
			if got.Adds != adds || got.SpendFen != spend || got.CACFen == nil || *got.CACFen != cac || got.Buyers != buyers ||
				got.Orders != orders || got.RepeatOrders != repeat || got.GMVFen != gmv || got.RepeatGMVFen != repeatGMV ||
				got.CostSavedFen != saved || got.ROI == nil || abs(*got.ROI-roi) > 1e-9 {
				t.Errorf("%s = %+v (cac %v, roi %v)", name, got, deref(got.CACFen), derefF(got.ROI))
			}
		}
		// Customer 4's first add was in April: neither channel bought it in May. Customer 1's
		// April order predates the add; customer 3's refunded order is no order.
		check("门店", rep.Channels[0], 2, 10000, 5000, 1, 2, 1, 15000, 5000, 5000, 1.5)
		check("抖音", rep.Channels[1], 2, 30000, 15000, 2, 3, 1, 17000, 4000, 15000, 17000.0/30000)
		if r := rep.Channels[0].FirstOrderRate; r == nil || *r != 0.5 {
			t.Errorf("first-order rate = %v, want 0.5", derefF(r))
		}
		if len(rep.Tiers) != 2 || rep.Tiers[0].Tier != "top" || rep.Tiers[1].Tier != "bottom" {
			t.Errorf("tiers = %+v", rep.Tiers)
		}
		check("total", rep.Total, 4, 40000, 10000, 3, 5, 2, 32000, 9000, 20000, 0.8)

		// A manager of store A sees store A's channel only.
		mgr, err := s.ChannelROI(f.ctx, f.scope(org.Manager, 0, 2), may)
		if err != nil {
			t.Fatal(err)
		}
		if len(mgr.Channels) != 1 || mgr.Channels[0].Name != "门店" || mgr.Total.Adds != 2 {
			t.Errorf("manager sees %+v", mgr.Channels)
		}
		// Another tenant sees nothing of this one.
		other, err := s.ChannelROI(f.ctx, org.ScopeOf(org.Caller{TenantID: f.base + 1, Role: org.Admin}), may)
		if err != nil || len(other.Channels) != 0 || other.Total.Adds != 0 {
			t.Errorf("another tenant sees %+v, %v", other, err)
		}
	})
}

func TestFunnel(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := seed(t, db)
		s := newService(db)
		admin := f.scope(org.Admin, 0, 0)
		rep, err := s.Funnel(f.ctx, admin, may, []string{StepScan, StepAdded, StepJoinedGroup, StepFirstOrder, StepRepeatOrder})
		if err != nil {
			t.Fatal(err)
		}
		// 30 scans in May; customers 1, 2, 3, 5 first added in May; 1 and 5 joined a group after
		// their add (3 joined before); 5 ordered after joining (1's first order predates it); 5
		// ordered again.
		want := []int64{30, 4, 2, 1, 1}
		for i, st := range rep.Steps {
			if st.Customers != want[i] {
				t.Errorf("step %s = %d, want %d", st.Key, st.Customers, want[i])
			}
		}
		if r := rep.Steps[2].FromPrevious; r == nil || *r != 0.5 {
			t.Errorf("joined/added = %v, want 0.5", derefF(r))
		}
		if r := rep.Steps[4].Overall; r == nil || abs(*r-1.0/30) > 1e-12 {
			t.Errorf("overall = %v", derefF(r))
		}
		// Without the group step, customers 1 and 3 bought after their add too.
		rep, err = s.Funnel(f.ctx, admin, may, []string{StepAdded, StepFirstOrder, StepRepeatOrder})
		if err != nil {
			t.Fatal(err)
		}
		if got := []int64{rep.Steps[0].Customers, rep.Steps[1].Customers, rep.Steps[2].Customers}; got[0] != 4 || got[1] != 2 || got[2] != 1 {
			t.Errorf("added→first→repeat = %v, want [4 2 1]", got)
		}
		// A guide's funnel has their own customers only (staff 2: customers 3, 4, 5; 4 was
		// first added in April).
		guide, err := s.Funnel(f.ctx, f.scope(org.Guide, 2, 3), may, []string{StepAdded, StepJoinedGroup})
		if err != nil {
			t.Fatal(err)
		}
		if guide.Steps[0].Customers != 2 || guide.Steps[1].Customers != 1 {
			t.Errorf("guide funnel = %+v", guide.Steps)
		}
	})
}

func TestCohorts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := seed(t, db)
		s := newService(db)
		rep, err := s.Cohorts(f.ctx, f.scope(org.Admin, 0, 0), at("2026-04-01"), 3)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			month      string
			n          int64
			conn, purc []int64
		}{
			{"2026-04", 1, []int64{1, 1, 1, 1}, []int64{0, 0, 0, 0}},
			// End of May: 2 lost on 05-25; end of June: 3 lost on 06-10. Bought in May: 1 and 5
			// (3's May order was refunded); in June: 3.
			{"2026-05", 4, []int64{3, 2, 2}, []int64{2, 1, 0}},
			{"2026-06", 0, []int64{0, 0}, []int64{0, 0}},
		}
		for i, w := range want {
			c := rep.Cohorts[i]
			if c.Month != w.month || c.Customers != w.n || !equal(c.Connected, w.conn) || !equal(c.Purchased, w.purc) {
				t.Errorf("cohort %d = %+v, want %+v", i, c, w)
			}
		}
	})
}

func TestRhythm(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := seed(t, db)
		s := newService(db)
		rep, err := s.Rhythm(f.ctx, f.scope(org.Admin, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		// Purchase days: 1 on 04-01, 05-03, 05-20 (gaps 32, 17); 3 on 06-01; 5 twice on 05-10
		// (one purchase); 6 on 2025-01-10 and 2025-06-01 (142); 7 once. Mature (first purchase
		// a year before 2026-08-15): 6 and 7, of whom 6 bought again within the year.
		if rep.Buyers != 5 || rep.Repeaters != 2 || rep.Intervals != 3 || rep.MatureBuyers != 2 {
			t.Errorf("rhythm = %+v", rep)
		}
		counts := map[string]int64{}
		for _, b := range rep.Buckets {
			counts[b.Label] = b.Count
		}
		if counts["15-30"] != 1 || counts["31-60"] != 1 || counts["91-180"] != 1 || counts["1-7"] != 0 {
			t.Errorf("buckets = %v", counts)
		}
		if m := rep.MedianDays; m == nil || *m != 32 {
			t.Errorf("median = %v, want 32", derefF(m))
		}
		if p := rep.P25Days; p == nil || *p != 24.5 {
			t.Errorf("p25 = %v, want 24.5", derefF(p))
		}
		if r := rep.RepeatWithinYear; r == nil || *r != 0.5 {
			t.Errorf("repeat within a year = %v, want 0.5", derefF(r))
		}
	})
}

func TestParsePeriod(t *testing.T) {
	now := at("2026-08-15")
	tests := []struct {
		from, to string
		bad      string
	}{
		{"", "", ""}, {"2026-05-01", "2026-05-31", ""}, {"2026-13-01", "", "from"}, {"", "yesterday", "to"},
		{"2026-06-01", "2026-05-01", "to"}, {"2020-01-01", "2026-01-01", "to"},
	}
	for _, tt := range tests {
		var v httpxValidator
		p := parsePeriod(&v.Validator, tt.from, tt.to, now)
		if got := fieldOf(v.Err()); got != tt.bad {
			t.Errorf("parsePeriod(%q, %q): error on %q, want %q", tt.from, tt.to, got, tt.bad)
		}
		if tt.bad == "" && tt.from == "2026-05-01" && (!p.From.Equal(may.From) || !p.To.Equal(may.To)) {
			t.Errorf("May = %v..%v, want %v..%v", p.From, p.To, may.From, may.To)
		}
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func derefF(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

type httpxValidator struct{ httpx.Validator }

// fieldOf names the one bad field of a validation error ("" for none).
func fieldOf(err error) string {
	if err == nil {
		return ""
	}
	for k := range httpx.AsError(err).Fields {
		return k
	}
	return "?"
}
