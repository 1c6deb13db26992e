package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

// An aggregate over a TIMESTAMP column comes back as text on SQLite and as a time on PostgreSQL;
// store.Time reads both as the same UTC instant.
func TestTimeScansAggregates(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE ts_probe (at TIMESTAMP)`); err != nil {
			if _, err2 := db.ExecContext(ctx, `CREATE TABLE ts_probe (at TIMESTAMPTZ)`); err2 != nil {
				t.Fatal(err, err2)
			}
		}
		want := time.Date(2026, 3, 4, 5, 6, 7, 891000000, time.UTC)
		for _, at := range []time.Time{want, want.Add(time.Hour)} {
			if _, err := db.ExecContext(ctx, `INSERT INTO ts_probe (at) VALUES (?)`, at); err != nil {
				t.Fatal(err)
			}
		}
		var min, none store.Time
		if err := db.QueryRowContext(ctx, `SELECT MIN(at), MAX(CASE WHEN at > ? THEN at END) FROM ts_probe`, want.Add(2*time.Hour)).Scan(&min, &none); err != nil {
			t.Fatal(err)
		}
		if !min.Valid || !min.Time.Equal(want) || min.Time.Location() != time.UTC {
			t.Errorf("MIN(at) = %+v, want %s", min, want)
		}
		if none.Valid {
			t.Errorf("an empty MAX scanned as %+v, want NULL", none)
		}
	})
}
