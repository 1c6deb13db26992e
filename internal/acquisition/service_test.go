package acquisition

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// noWeCom fails every call: tests that use it give every member a contact way up front.
type noWeCom struct{}

func (noWeCom) Client(context.Context, int64) (*wecom.Client, error) {
	return nil, errors.New("no WeCom in this test")
}

var seq atomic.Int64

type fixture struct {
	svc   *Service
	owner context.Context
	staff []org.Staff
	ch    Channel
}

func setup(t *testing.T, db *store.DB, members int) fixture {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	o := org.NewService(db, nil, log, org.Options{})
	tn, err := o.CreateTenant(ctx, fmt.Sprintf("acq%d", seq.Add(1)), "获客")
	if err != nil {
		t.Fatal(err)
	}
	owner := org.WithCaller(ctx, org.Caller{TenantID: tn.ID, TenantSlug: tn.Slug, Role: org.Owner})
	units, err := o.ListUnits(owner)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{svc: New(db, noWeCom{}, log, Options{}), owner: owner}
	t.Cleanup(f.svc.Close)
	for i := range members {
		st, err := o.CreateStaff(owner, org.StaffInput{Name: fmt.Sprintf("导购%d", i), WeComUserID: fmt.Sprintf("g%d", i), OrgUnitID: units[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		f.staff = append(f.staff, st)
	}
	f.ch, err = f.svc.CreateChannel(owner, ChannelInput{Name: "海报", Kind: "poster", Tier: "waist", OrgUnitID: units[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// withWays gives every member of a code a contact way, as if each had been scanned once.
func withWays(t *testing.T, db *store.DB, code LiveCode) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), `UPDATE acq_live_code_staff SET config_id = 'cfg' || staff_id, qr_code = 'https://qr/' || staff_id
		WHERE code_id = ?`, code.ID); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentScansRespectCaps: 120 scans at once on a code of two capped members and a backup
// hand out exactly the caps in one process and send the rest to the backup; through two services
// on one database (two replicas) the caps are never exceeded. After Close every scan is counted
// and no reservation is left.
func TestConcurrentScansRespectCaps(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		for _, replicas := range []int{1, 2} {
			f := setup(t, db, 3)
			code, err := f.svc.CreateCode(f.owner, LiveCodeInput{ChannelID: f.ch.ID, Name: "门店海报", Strategy: Weighted, Staff: []CodeStaffInput{
				{StaffID: f.staff[0].ID, Weight: 2, DailyCap: 30}, {StaffID: f.staff[1].ID, Weight: 1, DailyCap: 25},
				{StaffID: f.staff[2].ID, Backup: true}}})
			if err != nil {
				t.Fatal(err)
			}
			withWays(t, db, code)
			svcs := []*Service{f.svc}
			if replicas == 2 {
				svcs = append(svcs, New(db, noWeCom{}, f.svc.log, Options{}))
			}
			got := map[string]int{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i := range 120 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					l, err := svcs[i%len(svcs)].Scan(context.Background(), code.Slug)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					got[l.UserID]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			if replicas == 1 && (got["g0"] != 30 || got["g1"] != 25 || got["g2"] != 65) {
				t.Errorf("one process: distribution %v, want g0 30 (cap), g1 25 (cap), g2 65 (backup)", got)
			}
			if got["g0"] > 30 || got["g1"] > 25 || got["g0"]+got["g1"]+got["g2"] != 120 {
				t.Errorf("%d replicas: distribution %v exceeds a cap or loses scans", replicas, got)
			}
			for _, s := range svcs {
				s.Close()
			}
			var total, reserved int
			if err := db.QueryRowContext(context.Background(), `SELECT SUM(scans), SUM(reserved) FROM acq_code_daily WHERE code_id = ?`, code.ID).Scan(&total, &reserved); err != nil ||
				total != 120 || reserved != 0 {
				t.Errorf("%d replicas: counted %d scans with %d slots still reserved (%v), want 120 and 0", replicas, total, reserved, err)
			}
		}
	})
}

// TestScanEdgeCases: unknown, disabled and expired codes, nobody available, and scans after
// Close.
func TestScanEdgeCases(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 1)
		in := LiveCodeInput{ChannelID: f.ch.ID, Name: "限量", Strategy: RoundRobin, Staff: []CodeStaffInput{{StaffID: f.staff[0].ID, DailyCap: 1}}}
		code, err := f.svc.CreateCode(f.owner, in)
		if err != nil {
			t.Fatal(err)
		}
		withWays(t, db, code)
		ctx := context.Background()
		if _, err := f.svc.Scan(ctx, "nosuchcode"); !errors.Is(err, ErrNoCode) {
			t.Errorf("unknown slug: %v", err)
		}
		if _, err := f.svc.Scan(ctx, code.Slug); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Scan(ctx, code.Slug); !errors.Is(err, ErrNoneOnDuty) {
			t.Errorf("the only member capped, no backup: %v", err)
		}
		in.Disabled = true
		if _, err := f.svc.UpdateCode(f.owner, code.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Scan(ctx, code.Slug); !errors.Is(err, ErrCodeClosed) {
			t.Errorf("disabled code: %v", err)
		}
		past := time.Now().Add(-time.Minute)
		in.Disabled, in.ExpiresAt = false, &past
		if _, err := f.svc.UpdateCode(f.owner, code.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Scan(ctx, code.Slug); !errors.Is(err, ErrCodeClosed) {
			t.Errorf("expired code: %v", err)
		}
		if err := f.svc.DeleteCode(f.owner, code.ID); err == nil {
			t.Error("a scanned code was deleted")
		}
		f.svc.Close()
		if _, err := f.svc.Scan(ctx, code.Slug); err == nil {
			t.Error("scan after Close succeeded")
		}
	})
}

// TestCapsRollOverAtMidnight: a member capped for the day takes scans again after midnight in
// Asia/Shanghai; each day's scans are counted on that day and no reservation is left behind.
func TestCapsRollOverAtMidnight(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 2)
		var now atomic.Pointer[time.Time]
		start := time.Date(2026, 11, 23, 15, 59, 0, 0, time.UTC) // 23:59 in Shanghai
		now.Store(&start)
		svc := New(db, noWeCom{}, f.svc.log, Options{Now: func() time.Time { return *now.Load() }})
		code, err := svc.CreateCode(f.owner, LiveCodeInput{ChannelID: f.ch.ID, Name: "跨天", Strategy: RoundRobin,
			Staff: []CodeStaffInput{{StaffID: f.staff[0].ID, DailyCap: 2}, {StaffID: f.staff[1].ID, Backup: true}}})
		if err != nil {
			t.Fatal(err)
		}
		withWays(t, db, code)
		ctx := context.Background()
		route := func() string {
			t.Helper()
			l, err := svc.Scan(ctx, code.Slug)
			if err != nil {
				t.Fatal(err)
			}
			return l.UserID
		}
		var got []string
		for range 3 {
			got = append(got, route())
		}
		next := start.Add(2 * time.Minute) // 00:01 the next day
		now.Store(&next)
		for range 3 {
			got = append(got, route())
		}
		if want := "g0,g0,g1,g0,g0,g1"; strings.Join(got, ",") != want {
			t.Errorf("routed %v, want %s", got, want)
		}
		svc.Close()
		rows, err := db.QueryContext(ctx, `SELECT day, staff_id, scans, reserved FROM acq_code_daily WHERE code_id = ? ORDER BY day, staff_id`, code.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var day string
			var sid int64
			var scans, reserved int
			if err := rows.Scan(&day, &sid, &scans, &reserved); err != nil {
				t.Fatal(err)
			}
			who := "backup"
			if sid == f.staff[0].ID {
				who = "capped"
			}
			lines = append(lines, fmt.Sprintf("%s %s %d/%d", day, who, scans, reserved))
		}
		want := []string{"2026-11-23 capped 2/0", "2026-11-23 backup 1/0", "2026-11-24 capped 2/0", "2026-11-24 backup 1/0"}
		if strings.Join(lines, "; ") != strings.Join(want, "; ") {
			t.Errorf("counters %v, want %v", lines, want)
		}
	})
}
