package audit_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/audit"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestRecordAndList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var tenants [2]int64
		for i, slug := range []string{"audit-a", "audit-b"} {
			now := time.Now().UTC()
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.QueryRowContext(ctx, `INSERT INTO tenants (slug, name, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id`,
					slug+time.Now().Format("150405.000000"), slug, now, now).Scan(&tenants[i])
			}); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range []audit.Entry{
			{TenantID: tenants[0], Actor: "cli", Action: "customer.export", Detail: map[string]any{"rows": 3}},
			{TenantID: tenants[0], Actor: "token:7", Action: "other.thing"},
			{TenantID: tenants[1], Actor: "cli", Action: "customer.export"},
		} {
			if err := audit.Record(ctx, db, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := audit.Record(ctx, db, audit.Entry{TenantID: tenants[0], Action: "bad", Detail: func() {}}); err == nil {
			t.Error("a detail that is not JSON was recorded")
		}
		all, err := audit.List(ctx, db, tenants[0], "", 10)
		if err != nil || len(all) != 2 || all[0].Action != "other.thing" || string(all[0].Detail.(json.RawMessage)) != "{}" {
			t.Fatalf("all: %+v %v", all, err)
		}
		exports, err := audit.List(ctx, db, tenants[0], "customer.export", 10)
		if err != nil || len(exports) != 1 || exports[0].Actor != "cli" || exports[0].UserID != 0 ||
			string(exports[0].Detail.(json.RawMessage)) != `{"rows":3}` || exports[0].CreatedAt.IsZero() {
			t.Errorf("exports: %+v %v", exports, err)
		}
	})
}
