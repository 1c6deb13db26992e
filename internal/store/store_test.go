package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
		{"SELECT '?' , ? FROM t", "SELECT '?' , $1 FROM t"},
		{`SELECT "we?rd" FROM t WHERE x = ?`, `SELECT "we?rd" FROM t WHERE x = $1`},
		{"SELECT 'it''s ?', ? -- what?\n, ?", "SELECT 'it''s ?', $1 -- what?\n, $2"},
		{"INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?)", "INSERT INTO t VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"},
	}
	for _, tt := range tests {
		if got := store.Rebind(tt.in); got != tt.want {
			t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEngines checks the behaviour every domain store relies on, on both engines: placeholders,
// RETURNING, UTC times surviving a round trip, rollback, and unique-violation detection.
func TestEngines(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 8, 30, 15, 123456000, time.UTC)
		slug := "eng-" + string(db.Dialect())
		var id int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.QueryRowContext(ctx,
				`INSERT INTO tenants (slug, name, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id`,
				slug, "品牌 ?", now, now).Scan(&id)
		})
		if err != nil {
			t.Fatalf("insert: %v", err)
		}
		var name string
		var created time.Time
		if err := db.QueryRowContext(ctx, `SELECT name, created_at FROM tenants WHERE id = ?`, id).Scan(&name, &created); err != nil {
			t.Fatalf("select: %v", err)
		}
		// UTC on both engines whatever the server's or process's zone (SQLite gives a fixed +0000 zone).
		if _, offset := created.Zone(); name != "品牌 ?" || !created.Equal(now) || offset != 0 {
			t.Errorf("round trip = %q %v, want %q %v", name, created, "品牌 ?", now)
		}

		_, err = db.ExecContext(ctx, `INSERT INTO tenants (slug, name, created_at, updated_at) VALUES (?, ?, ?, ?)`, slug, "again", now, now)
		if !store.IsUniqueViolation(err) {
			t.Errorf("duplicate slug: IsUniqueViolation(%v) = false", err)
		}

		boom := errors.New("boom")
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE tenants SET name = ? WHERE id = ?`, "changed", id); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v, want boom", err)
		}
		if err := db.QueryRowContext(ctx, `SELECT name FROM tenants WHERE id = ?`, id).Scan(&name); err != nil || name != "品牌 ?" {
			t.Errorf("after rollback name = %q (%v), want unchanged", name, err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}
