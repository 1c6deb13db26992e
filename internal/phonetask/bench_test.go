package phonetask

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/notify"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

// BenchmarkPass measures the once-a-minute pass (detect adds, expire, remind) over 20,000 tasks
// of 20 members in the detection window, 2,000 of whose numbers are customers (200 of them
// related to the task's member after the task was assigned: added by the first pass).
//
//	go test -run '^$' -bench Pass -benchtime 20x ./internal/phonetask/
func BenchmarkPass(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var db *store.DB
			if engine == "sqlite" {
				db = storetest.SQLite(b)
			} else if db = storetest.Postgres(b); db == nil {
				return
			}
			f := setupBench(b, db)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if _, err := f.Pass(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func setupBench(b *testing.B, db *store.DB) *Service {
	b.Helper()
	ctx := context.Background()
	now := start
	svc := New(db, nopNotifier{}, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Now: func() time.Time { return now }})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	o := org.NewService(db, nil, log, org.Options{})
	tn, err := o.CreateTenant(ctx, fmt.Sprintf("bench%d", seq.Add(1)), "bench")
	if err != nil {
		b.Fatal(err)
	}
	owner := org.WithCaller(ctx, org.Caller{TenantID: tn.ID, TenantSlug: tn.Slug, Role: org.Owner})
	units, err := o.ListUnits(owner)
	if err != nil {
		b.Fatal(err)
	}
	var staff []int64
	for i := range 20 {
		st, err := o.CreateStaff(owner, org.StaffInput{Name: fmt.Sprintf("s%d", i), WeComUserID: fmt.Sprintf("u%d", i), OrgUnitID: units[0].ID})
		if err != nil {
			b.Fatal(err)
		}
		staff = append(staff, st.ID)
	}
	tenant := tn.ID
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var list int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO acq_phone_lists (tenant_id, name, daily_cap, expire_days, created_at) VALUES (?, 'bench', 20, 7, ?) RETURNING id`,
			tenant, now).Scan(&list); err != nil {
			return err
		}
		for i := range 20000 {
			phone := fmt.Sprintf("+86138%08d", i)
			st := staff[i%len(staff)]
			day := addDays("2026-11-23", (i/len(staff))/20)
			if _, err := tx.ExecContext(ctx, `INSERT INTO acq_phone_tasks (tenant_id, list_id, phone, staff_id, due_day, expires_on, status, assigned_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`, tenant, list, phone, st, day, addDays(day, 7), now, now); err != nil {
				return err
			}
			if i%10 != 0 {
				continue
			}
			var cust int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO customers (tenant_id, created_at, updated_at) VALUES (?, ?, ?) RETURNING id`, tenant, now, now).Scan(&cust); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO customer_identities (tenant_id, kind, value, customer_id, created_at) VALUES (?, 'phone', ?, ?, ?)`,
				tenant, phone, cust, now); err != nil {
				return err
			}
			rel, at := staff[(i+1)%len(staff)], now.Add(-time.Hour) // another member's customer, from before
			if i%100 == 0 {
				rel, at = st, now.Add(time.Hour)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO customer_staff (tenant_id, customer_id, wecom_userid, staff_id, added_at, status_at) VALUES (?, ?, 'x', ?, ?, ?)`,
				tenant, cust, rel, at, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Dialect() == store.Postgres { // as autovacuum would after a bulk load
		if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	return svc
}

type nopNotifier struct{}

func (nopNotifier) Add(context.Context, *store.Tx, notify.Note) error { return nil }
