package phonetask

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/notify"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var seq atomic.Int64

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type fixture struct {
	db       *store.DB
	svc      *Service
	clk      *clock
	tenantID int64
	owner    context.Context
	guide    context.Context // acts as staff[0]
	guideUID int64
	staff    []org.Staff
}

// start is 2026-11-23 10:00 in Asia/Shanghai.
var start = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

func setup(t *testing.T, db *store.DB) fixture {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	o := org.NewService(db, nil, log, org.Options{})
	tn, err := o.CreateTenant(ctx, fmt.Sprintf("pt%d", seq.Add(1)), "加好友")
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{db: db, clk: &clock{t: start}, tenantID: tn.ID}
	f.owner = org.WithCaller(ctx, org.Caller{TenantID: tn.ID, TenantSlug: tn.Slug, Role: org.Owner, Username: "owner"})
	units, err := o.ListUnits(f.owner)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		st, err := o.CreateStaff(f.owner, org.StaffInput{Name: fmt.Sprintf("导购%d", i), WeComUserID: fmt.Sprintf("g%d", i), OrgUnitID: units[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		f.staff = append(f.staff, st)
	}
	u, err := o.CreateUserInTenant(ctx, tn.Slug, org.UserInput{Username: "guide", Password: "password-123", Role: org.Guide, StaffID: f.staff[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	f.guideUID = u.ID
	f.guide = org.WithCaller(ctx, org.Caller{TenantID: tn.ID, TenantSlug: tn.Slug, Role: org.Guide, StaffID: f.staff[0].ID, UserID: u.ID})
	f.svc = New(db, notify.New(db, nil, log, notify.Options{Now: f.clk.now}), log, Options{Now: f.clk.now})
	return f
}

func phones(n, from int) []Row {
	var out []Row
	for i := range n {
		out = append(out, Row{Phone: fmt.Sprintf("1380000%04d", from+i), Name: fmt.Sprintf("客%d", from+i)})
	}
	return out
}

// perStaffDay counts a tenant's tasks by staff member and day.
func (f fixture) perStaffDay(t *testing.T) map[Slot]int {
	t.Helper()
	rows, err := f.db.QueryContext(context.Background(), `SELECT staff_id, due_day, COUNT(*) FROM acq_phone_tasks WHERE tenant_id = ? GROUP BY staff_id, due_day`, f.tenantID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[Slot]int{}
	for rows.Next() {
		var sl Slot
		var n int
		if err := rows.Scan(&sl.StaffID, &sl.Day, &n); err != nil {
			t.Fatal(err)
		}
		out[sl] = n
	}
	return out
}

// TestListsWithinCapsOverDays: two lists for the same members never put more than the daily cap
// on a member's day; bad rows reject a list and write nothing.
func TestListsWithinCapsOverDays(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		a, b := f.staff[0].ID, f.staff[1].ID
		l1, err := f.svc.CreateList(f.owner, ListInput{Name: "双11", Staff: []Member{{StaffID: a}, {StaffID: b}}, DailyCap: 3, Rows: phones(10, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if l1.Counts.Pending != 10 || l1.FirstDay != "2026-11-23" || l1.LastDay != "2026-11-24" || l1.DailyCap != 3 || l1.ExpireDays != DefaultExpireDay {
			t.Errorf("list 1: %+v", l1)
		}
		// The second list starts the same day: the first list's tasks fill the 23rd and part of the 24th.
		if _, err := f.svc.CreateList(f.owner, ListInput{Name: "会员", Staff: []Member{{StaffID: a, Weight: 3}, {StaffID: b, Weight: 1}}, DailyCap: 3,
			Rows: phones(8, 100)}); err != nil {
			t.Fatal(err)
		}
		want := map[Slot]int{{a, "2026-11-23"}: 3, {a, "2026-11-24"}: 3, {a, "2026-11-25"}: 3, {a, "2026-11-26"}: 2,
			{b, "2026-11-23"}: 3, {b, "2026-11-24"}: 3, {b, "2026-11-25"}: 1}
		if got := f.perStaffDay(t); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("tasks per staff and day %v\nwant %v", got, want)
		}

		// Bad input: every problem is named, nothing is written.
		bad := ListInput{Name: "坏", Staff: []Member{{StaffID: a}, {StaffID: a}, {StaffID: 999999, Weight: 101}}, DailyCap: 500, ExpireDays: -1, StartDay: "2026-11-22",
			Rows: []Row{{Phone: "13800000001"}, {Phone: "123"}, {Phone: "+86 138 0000 0001"}, {Phone: "", Name: strings.Repeat("长", 51)}}}
		_, err = f.svc.CreateList(f.owner, bad)
		want2 := []string{"daily_cap", "expire_days", "start_day", "rows[1].phone", "rows[2].phone", "rows[3].phone", "rows[3].name",
			"staff[1].staff_id", "staff[2].staff_id", "staff[2].weight"}
		e := httpx.AsError(err)
		if e.Code != httpx.Invalid || len(e.Fields) != len(want2) {
			t.Fatalf("bad list: %v, want fields %v", err, want2)
		}
		for _, k := range want2 {
			if _, ok := e.Fields[k]; !ok {
				t.Errorf("bad list: no error for %s in %v", k, err)
			}
		}
		if e.Fields["rows[2].phone"].Code != "duplicate" {
			t.Errorf("duplicate row: %v", e.Fields["rows[2].phone"])
		}
		if _, err := f.svc.CreateList(f.owner, ListInput{Name: "双11", Staff: []Member{{StaffID: a}}, Rows: phones(1, 500)}); httpx.AsError(err).Fields["name"].Code != "taken" {
			t.Errorf("same name: %v", err)
		}
		if _, err := f.svc.CreateList(f.guide, ListInput{Name: "导购的", Staff: []Member{{StaffID: b}}, Rows: phones(1, 600)}); httpx.AsError(err).Fields["staff[0].staff_id"].Code != "not_found" {
			t.Errorf("guide handing tasks to another member: %v", err)
		}
		var n int
		if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM acq_phone_tasks WHERE tenant_id = ?`, f.tenantID).Scan(&n); err != nil || n != 18 {
			t.Errorf("%d tasks after rejected lists, want 18 (%v)", n, err)
		}
	})
}

// addCustomer records a customer with a phone identity and a relation with a staff member.
func (f fixture) addCustomer(t *testing.T, phone string, staff org.Staff, at time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := f.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO customers (tenant_id, name, created_at, updated_at) VALUES (?, '顾客', ?, ?) RETURNING id`,
			f.tenantID, at, at).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ExecContext(ctx, `INSERT INTO customer_identities (tenant_id, kind, value, customer_id, created_at) VALUES (?, 'phone', ?, ?, ?)`,
		f.tenantID, phone, id, at); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ExecContext(ctx, `INSERT INTO customer_staff (tenant_id, customer_id, wecom_userid, staff_id, added_at, status_at) VALUES (?, ?, ?, ?, ?, ?)`,
		f.tenantID, id, staff.WeComUserID, staff.ID, at, at); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f fixture) tasks(t *testing.T, ctx context.Context, filter TaskFilter) map[string]Task {
	t.Helper()
	filter.Page.Limit = 500
	p, err := f.svc.Tasks(ctx, filter)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Task{}
	for _, m := range p.Items {
		out[m.Phone] = m
	}
	return out
}

// TestDetectExpireRemind: adds by the task's member after assignment are detected; an add by
// another member or from before is not; guides see and mark only their own tasks; open tasks
// expire; each member's users are reminded once a day.
func TestDetectExpireRemind(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		a, b := f.staff[0], f.staff[1]
		before := f.addCustomer(t, "+8613800000003", a, start.Add(-time.Hour)) // already a customer of a before the list
		f.clk.set(start.Add(time.Minute))
		l, err := f.svc.CreateList(f.owner, ListInput{Name: "清单", Staff: []Member{{StaffID: a.ID}, {StaffID: b.ID}}, DailyCap: 2, ExpireDays: 2,
			Rows: phones(6, 0)})
		if err != nil {
			t.Fatal(err)
		}
		all := f.tasks(t, f.owner, TaskFilter{ListID: l.ID})
		if len(all) != 6 || all["+8613800000000"].StaffID != a.ID || all["+8613800000001"].StaffID != b.ID {
			t.Fatalf("tasks %+v", all)
		}
		mine := f.tasks(t, f.guide, TaskFilter{})
		if len(mine) != 3 {
			t.Fatalf("the guide sees %d tasks, want their 3", len(mine))
		}
		for _, m := range mine {
			if m.StaffID != a.ID {
				t.Errorf("the guide sees %+v", m)
			}
		}
		if _, err := f.svc.UpdateTask(f.guide, all["+8613800000001"].ID, TaskInput{Status: Requested}); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("guide marking another member's task: %v", err)
		}
		if _, err := f.svc.UpdateTask(f.guide, all["+8613800000000"].ID, TaskInput{Status: Failed}); httpx.AsError(err).Fields["reason"].Code != "required" {
			t.Errorf("failed without a reason: %v", err)
		}
		if m, err := f.svc.UpdateTask(f.guide, all["+8613800000000"].ID, TaskInput{Status: Requested}); err != nil || m.Status != Requested {
			t.Errorf("guide marks requested: %+v %v", m, err)
		}
		if m, err := f.svc.UpdateTask(f.guide, all["+8613800000004"].ID, TaskInput{Status: Failed, Reason: "空号"}); err != nil || m.Status != Failed || m.DoneAt == nil {
			t.Errorf("guide marks failed: %+v %v", m, err)
		}

		// 0 and 4 are a's, 1 and 3 b's (3 was a's customer before the list, and stays b's task).
		f.clk.set(start.Add(2 * time.Hour))
		c0 := f.addCustomer(t, "+8613800000000", a, start.Add(time.Hour))      // a added it: added
		f.addCustomer(t, "+8613800000001", a, start.Add(time.Hour))            // a added b's number: not b's add
		c4 := f.addCustomer(t, "+8613800000004", a, start.Add(90*time.Minute)) // marked failed, then added after all
		r, err := f.svc.Pass(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r.Added < 2 { // other tests' tenants may share the database
			t.Errorf("pass: %+v, want 2 added", r)
		}
		all = f.tasks(t, f.owner, TaskFilter{ListID: l.ID})
		for phone, want := range map[string]struct {
			status string
			cust   int64
		}{"+8613800000000": {Added, c0}, "+8613800000004": {Added, c4}, "+8613800000001": {Pending, 0}, "+8613800000003": {Pending, 0}} {
			m := all[phone]
			got := int64(0)
			if m.CustomerID != nil {
				got = *m.CustomerID
			}
			if m.Status != want.status || got != want.cust {
				t.Errorf("%s: %s customer %d, want %s %d", phone, m.Status, got, want.status, want.cust)
			}
		}
		if m := all["+8613800000000"]; m.DoneAt == nil || !m.DoneAt.Equal(start.Add(time.Hour)) {
			t.Errorf("added at %v, want the relation's time", m.DoneAt)
		}
		if m := all["+8613800000003"]; m.CustomerID != nil || before == 0 {
			t.Errorf("a number that was a customer before the list is added: %+v", m)
		}
		if _, err := f.svc.UpdateTask(f.owner, all["+8613800000000"].ID, TaskInput{Status: Pending}); httpx.ErrorCode(err) != httpx.Conflict {
			t.Errorf("reopening an added task: %v", err)
		}

		// Reminders: only a has a console user; a's tasks today are 0 (added) and 2 (pending).
		if r.Reminded < 1 {
			t.Errorf("reminded %d members, want a", r.Reminded)
		}
		if _, err := f.svc.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		var notes int
		var body string
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(body) FROM notifications WHERE tenant_id = ? AND user_id = ? AND kind = 'phone_tasks_due'`,
			f.tenantID, f.guideUID).Scan(&notes, &body); err != nil || notes != 1 || !strings.Contains(body, "1 个") {
			t.Errorf("%d reminders %q (%v), want one about 1 number", notes, body, err)
		}

		// Expiry: tasks of the 23rd expire after the 25th; those of the 24th after the 26th.
		f.clk.set(time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)) // 26th 09:00 Shanghai
		if _, err = f.svc.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := f.svc.Stats(f.owner, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		// 23rd: a {0 added, 2 pending→expired}, b {1, 3 pending→expired}; 24th: a {4 added}, b {5 pending}.
		if st.Total != (Counts{Pending: 1, Added: 2, Expired: 3, Total: 6}) {
			t.Errorf("after expiry: stats %+v", st.Total)
		}
		if len(st.ByStaff) != 2 || st.ByStaff[0].Counts.Added != 2 || *st.ByStaff[0].AddedRate != 2.0/3 || len(st.ByDay) != 2 || st.ByDay[0].Key != "2026-11-23" {
			t.Errorf("stats by staff %+v by day %+v", st.ByStaff, st.ByDay)
		}
		if gs, err := f.svc.Stats(f.guide, 0); err != nil || gs.Total.Total != 3 {
			t.Errorf("guide's stats: %+v %v", gs.Total, err)
		}

		// Watched for adds until DetectWindow days after expiry: 3 (expired on the 26th) is found
		// on the 27th; 5 (expires after the 26th) added five weeks later is not.
		f.clk.set(time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC))
		if _, err := db.ExecContext(ctx, `INSERT INTO customer_staff (tenant_id, customer_id, wecom_userid, staff_id, added_at, status_at) VALUES (?, ?, ?, ?, ?, ?)`,
			f.tenantID, before, b.WeComUserID, b.ID, f.clk.now(), f.clk.now()); err != nil { // the earlier customer now adds b too
			t.Fatal(err)
		}
		if _, err := f.svc.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		f.clk.set(time.Date(2026, 12, 31, 1, 0, 0, 0, time.UTC))
		f.addCustomer(t, "+8613800000005", b, f.clk.now())
		if _, err := f.svc.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		all = f.tasks(t, f.owner, TaskFilter{ListID: l.ID})
		if all["+8613800000003"].Status != Added || all["+8613800000005"].Status != Expired {
			t.Errorf("late adds: 3 %s, 5 %s; want added, expired", all["+8613800000003"].Status, all["+8613800000005"].Status)
		}
	})
}
