package acquisition

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

// TestStats: scans, adds, losses within 7 and 30 days (from the relation's status), spend and
// CAC, by channel and by day, and the xlsx export of the table.
func TestStats(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 2)
		ctx := context.Background()
		code, err := f.svc.CreateCode(f.owner, LiveCodeInput{ChannelID: f.ch.ID, Name: "统计", Strategy: RoundRobin,
			Staff: []CodeStaffInput{{StaffID: f.staff[0].ID}, {StaffID: f.staff[1].ID}}})
		if err != nil {
			t.Fatal(err)
		}
		withWays(t, db, code)
		for range 6 {
			if _, err := f.svc.Scan(ctx, code.Slug); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.svc.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		today := Day(time.Now())
		if _, err := f.svc.AddSpend(f.owner, f.ch.ID, SpendInput{Date: today, AmountFen: 10000}); err != nil {
			t.Fatal(err)
		}
		var tenantID int64
		if err := db.QueryRowContext(ctx, `SELECT tenant_id FROM acq_channels WHERE id = ?`, f.ch.ID).Scan(&tenantID); err != nil {
			t.Fatal(err)
		}
		// Four adds through the code: lost after 2 days, after 20, never, and after 40 (outside
		// both windows).
		added := time.Now().UTC().Truncate(time.Second)
		losses := []time.Duration{2 * 24 * time.Hour, 20 * 24 * time.Hour, -1, 40 * 24 * time.Hour}
		var cids []int64
		for i, lost := range losses {
			var cid int64
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.QueryRowContext(ctx, `INSERT INTO customers (tenant_id, created_at, updated_at) VALUES (?, ?, ?) RETURNING id`, tenantID, added, added).Scan(&cid)
			}); err != nil {
				t.Fatal(err)
			}
			cids = append(cids, cid)
			user := f.staff[i%2].WeComUserID
			status, at := "active", added
			if lost > 0 {
				status, at = "lost", added.Add(lost)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO customer_staff (tenant_id, customer_id, wecom_userid, state, added_at, status, status_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, tenantID, cid, user, code.State, added, status, at); err != nil {
				t.Fatal(err)
			}
			a := Add{CustomerID: cid, UserID: user, State: stateFor(code.State, f.staff[i%2].ID), AddedAt: added}
			for range 2 { // a retried event counts once
				if err := f.svc.Added(ctx, tenantID, a); err != nil {
					t.Fatal(err)
				}
			}
		}
		// First-order conversion: customer 0 ordered after the add (counts, twice over is still one
		// add converted), 1 only before it, 2 only an order refunded in full.
		for i, o := range []struct {
			cust         int
			at           time.Time
			paid, refund int64
		}{{0, added.Add(time.Hour), 5000, 0}, {0, added.Add(2 * time.Hour), 800, 0}, {1, added.Add(-time.Hour), 5000, 0}, {2, added.Add(time.Hour), 3000, 3000}} {
			if _, err := db.ExecContext(ctx, `INSERT INTO orders (tenant_id, source, external_id, customer_id, status, total_fen, paid_fen, refund_fen, ordered_at, paid_at, content_hash, created_at, updated_at)
				VALUES (?, 'pos', ?, ?, 'paid', ?, ?, ?, ?, ?, '', ?, ?)`, tenantID, fmt.Sprint("o", i), cids[o.cust], o.paid, o.paid, o.refund, o.at, o.at, added, added); err != nil {
				t.Fatal(err)
			}
		}
		st, err := f.svc.Stats(f.owner, StatsQuery{GroupBy: "channel"})
		if err != nil {
			t.Fatal(err)
		}
		if r := st.Total; r.FirstOrders != 1 || r.FirstOrderRate != 0.25 {
			t.Errorf("first orders %d (rate %v), want 1 (0.25)", r.FirstOrders, r.FirstOrderRate)
		}
		if len(st.Rows) != 1 {
			t.Fatalf("rows %+v", st.Rows)
		}
		r := st.Rows[0]
		if r.Label != f.ch.Name || r.Scans != 6 || r.Adds != 4 || r.Lost7 != 1 || r.Lost30 != 2 || r.NetAdds7 != 3 || r.NetAdds30 != 2 ||
			r.LossRate != 0.5 || r.SpendFen != 10000 || r.CACFen == nil || *r.CACFen != 5000 {
			t.Errorf("channel row = %+v", r)
		}
		if len(st.Daily) != 30 || st.Daily[29].Key != Day(added) || st.Daily[29].Adds != 4 {
			t.Errorf("daily series: %d days, last %+v", len(st.Daily), st.Daily[len(st.Daily)-1])
		}
		byStaff, err := f.svc.Stats(f.owner, StatsQuery{GroupBy: "staff"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range byStaff.Rows {
			if r.Scans != 3 || r.Adds != 2 || r.SpendFen != 0 || r.CACFen != nil {
				t.Errorf("staff row %+v: want 3 scans, 2 adds and no spend", r)
			}
		}
		b, err := StatsXLSX(st, httpx.En)
		if err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows("stats")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0][0] != "Group" || rows[1][0] != f.ch.Name || rows[1][2] != "4" || rows[2][0] != "Total" || rows[1][9] != "50" {
			t.Errorf("xlsx rows = %q", rows)
		}
		v := StatsQuery{From: "2026-01-10", To: "2026-01-01"}
		if err := f.svc.CheckStatsQuery(&v); httpx.ErrorCode(err) != httpx.Invalid {
			t.Errorf("to before from: %v", err)
		}
	})
}
