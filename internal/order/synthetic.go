package order

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
)

// Synthetic orders for the RFM benchmark (`siyu bench rfm`), generated inside the database (a
// recursive CTE on SQLite, generate_series on PostgreSQL) so ten million load in minutes. The
// orders belong to customer ids starting at SyntheticFirstCustomer; no customer rows are made —
// the RFM computation reads orders only. Customer k of n gets a share of the orders that falls
// from thousands (k near 0) to about N/2n (k near n), so F and M spread over every bin. Paid
// times spread over the two years before SyntheticEnd; one order in 20 is half refunded, one in
// 40 fully. Never run it on a database with real tenants: it drops and rebuilds the orders
// indexes around the load.

// SyntheticFirstCustomer is the first customer id of synthetic orders.
const SyntheticFirstCustomer = 1_000_000_000

// SyntheticEnd is the end of the synthetic orders' time range (and the benchmark's reference date).
var SyntheticEnd = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// LoadSynthetic adds orders synthetic orders spread over customers customer ids to a tenant.
func LoadSynthetic(ctx context.Context, db *store.DB, tenantID int64, orders, customers int, w io.Writer) error {
	if orders <= 0 || customers <= 0 || customers > orders {
		return fmt.Errorf("order: synthetic: need 0 < customers <= orders")
	}
	idx, err := orderIndexes(ctx, db)
	if err != nil {
		return err
	}
	for name := range idx {
		if _, err := db.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			return fmt.Errorf("order: synthetic: drop %s: %w", name, err)
		}
	}
	start := time.Now()
	const batch = 500_000
	end := SyntheticEnd.Unix()
	for lo := 0; lo < orders; lo += batch {
		hi := min(lo+batch, orders) - 1
		var q string
		args := []any{}
		if db.Dialect() == store.Postgres {
			q = `INSERT INTO orders (tenant_id, source, external_id, customer_id, status, total_fen, discount_fen, paid_fen, refund_fen,
				item_count, ordered_at, paid_at, content_hash, created_at, updated_at)
				SELECT ?::bigint, 'pos', 'bench-' || i, ?::bigint + floor(?::float8 * (i::float8 / ?::float8) * (i::float8 / ?::float8))::bigint,
					CASE WHEN i % 40 = 0 THEN 'refunded' WHEN i % 20 = 0 THEN 'partially_refunded' ELSE 'paid' END,
					p + d, d, p, CASE WHEN i % 40 = 0 THEN p WHEN i % 20 = 0 THEN p / 2 ELSE 0 END, 1, t, t, '', t, t
				FROM (SELECT i, 1000 + (i * 104729) % 99000 AS p, CASE WHEN i % 7 = 0 THEN 500 ELSE 0 END AS d,
					to_timestamp(?::bigint - (i * 7919) % 63072000) AS t FROM generate_series(?::bigint, ?::bigint) AS g(i)) s`
			args = append(args, tenantID, SyntheticFirstCustomer, customers, orders, orders, end, lo, hi)
		} else {
			q = `WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)
				INSERT INTO orders (tenant_id, source, external_id, customer_id, status, total_fen, discount_fen, paid_fen, refund_fen,
				item_count, ordered_at, paid_at, content_hash, created_at, updated_at)
				SELECT ?, 'pos', 'bench-' || i, ? + CAST(? * (i * 1.0 / ?) * (i * 1.0 / ?) AS INTEGER),
					CASE WHEN i % 40 = 0 THEN 'refunded' WHEN i % 20 = 0 THEN 'partially_refunded' ELSE 'paid' END,
					p + d, d, p, CASE WHEN i % 40 = 0 THEN p WHEN i % 20 = 0 THEN p / 2 ELSE 0 END, 1, t, t, '', t, t
				FROM (SELECT i, 1000 + (i * 104729) % 99000 AS p, CASE WHEN i % 7 = 0 THEN 500 ELSE 0 END AS d,
					strftime('%Y-%m-%d %H:%M:%S', ? - (i * 7919) % 63072000, 'unixepoch') || '+00:00' AS t FROM n)`
			args = append(args, lo, hi, tenantID, SyntheticFirstCustomer, customers, orders, orders, end)
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("order: synthetic orders %d-%d: %w", lo, hi, err)
		}
		fmt.Fprintf(w, "\rloaded %d/%d orders (%s)", hi+1, orders, time.Since(start).Round(time.Second))
	}
	fmt.Fprintln(w)
	for name, def := range idx {
		t := time.Now()
		if _, err := db.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("order: synthetic: recreate %s: %w", name, err)
		}
		fmt.Fprintf(w, "index %s rebuilt in %s\n", name, time.Since(t).Round(time.Millisecond))
	}
	if db.Dialect() == store.SQLite {
		// A sampled ANALYZE: the full one reads every index of ten million rows again.
		if _, err := db.ExecContext(ctx, `PRAGMA analysis_limit = 1000`); err != nil {
			return fmt.Errorf("order: synthetic: analysis limit: %w", err)
		}
	}
	analyze := `ANALYZE orders`
	if db.Dialect() == store.Postgres {
		// VACUUM also sets the visibility map, without which index-only scans visit the heap.
		analyze = `VACUUM (ANALYZE) orders`
	}
	if _, err := db.ExecContext(ctx, analyze); err != nil {
		return fmt.Errorf("order: synthetic: analyze: %w", err)
	}
	if db.Dialect() == store.SQLite {
		// Fold the load's write-ahead log into the database, so reads do not go through it.
		if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return fmt.Errorf("order: synthetic: checkpoint: %w", err)
		}
	}
	return nil
}

// orderIndexes returns the secondary indexes of the orders table with their definitions.
func orderIndexes(ctx context.Context, db *store.DB) (map[string]string, error) {
	q := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders' AND sql IS NOT NULL`
	if db.Dialect() == store.Postgres {
		q = `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'orders' AND schemaname = current_schema() AND indexname <> 'orders_pkey'`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("order: synthetic: indexes: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			return nil, err
		}
		out[n] = d
	}
	return out, rows.Err()
}

// RFMSQL scores RFM entirely in SQL with window functions (NTILE over the per-customer
// aggregate), for the benchmark's comparison with ComputeRFM (aggregate in SQL, bins in Go).
// NTILE splits ties arbitrarily, which is why the service bins in Go. It returns the number of
// customers scored.
func (s *Service) RFMSQL(ctx context.Context, tenantID int64, r Rules, now time.Time) (int, error) {
	from, to := window(r, now)
	rows, err := s.db.QueryContext(ctx, `WITH a AS (SELECT o.customer_id AS cid, MAX(o.paid_at) AS r, COUNT(*) AS f, SUM(o.paid_fen - o.refund_fen) AS m
			FROM orders o WHERE o.tenant_id = ? AND o.customer_id IS NOT NULL AND o.paid_at >= ? AND o.paid_at <= ? AND `+counted+`
			GROUP BY o.customer_id)
		SELECT cid, NTILE(?) OVER (ORDER BY r), NTILE(?) OVER (ORDER BY f), NTILE(?) OVER (ORDER BY m) FROM a`,
		tenantID, from, to, r.RFM.Bins, r.RFM.Bins, r.RFM.Bins)
	if err != nil {
		return 0, fmt.Errorf("order: rfm in sql: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var cid int64
		var rs, fs, ms int
		if err := rows.Scan(&cid, &rs, &fs, &ms); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}
