package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/siyu-scrm/siyu/internal/store"
)

// Binding reads the customer identity and relation tables (customer_identities, customers,
// customer_staff) and nothing else of the customer package; it never writes them. An order binds
// through the buyer's phone first, then through the buyer's nick on the order's platform.
//
// When is an unbound order bound? At ingest (bindOne), and by BindPending, which the service's
// background loop runs for every tenant with unbound orders (every Options.BindEvery) and which
// POST /api/v1/orders/bind runs on demand. The loop was chosen over a hook in the identity write
// path: identities are written by several packages (WeCom events, full sync, customer import,
// merges), and a hook would have to be threaded through all of them; the loop costs one indexed
// join over the unbound orders only (partial indexes on customer_id IS NULL).

// identityPhone is the customer identity kind of a phone number (E.164), as internal/customer
// stores it.
const identityPhone = "phone"

// identityOf returns the customer that owns one of the order's identities, phone first.
func identityOf(ctx context.Context, q store.Querier, tenantID int64, phone, nickKind, nick string) (int64, error) {
	try := func(kind, value string) (int64, error) {
		if kind == "" || value == "" {
			return 0, nil
		}
		var cid int64
		err := q.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value = ?`,
			tenantID, kind, value).Scan(&cid)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return cid, err
	}
	cid, err := try(identityPhone, phone)
	if err != nil || cid > 0 {
		return cid, err
	}
	return try(nickKind, nick)
}

// attribution returns the guide who owns the customer's relation — among the customer's active
// relations with a known staff member, one with a guide of the order's store first, then the
// earliest — and the channel of the first add (customers.first_state).
func attribution(ctx context.Context, q store.Querier, tenantID, cid, storeID int64) (sql.NullInt64, string, error) {
	var guide sql.NullInt64
	var channel string
	err := q.QueryRowContext(ctx, `SELECT c.first_state, (SELECT cs.staff_id FROM customer_staff cs
			LEFT JOIN staff st ON st.tenant_id = cs.tenant_id AND st.id = cs.staff_id
			WHERE cs.tenant_id = c.tenant_id AND cs.customer_id = c.id AND cs.status = 'active' AND cs.staff_id IS NOT NULL
			ORDER BY CASE WHEN st.org_unit_id = ? THEN 0 ELSE 1 END, cs.added_at, cs.wecom_userid LIMIT 1)
		FROM customers c WHERE c.tenant_id = ? AND c.id = ?`, storeID, tenantID, cid).Scan(&channel, &guide)
	if errors.Is(err, sql.ErrNoRows) {
		return guide, "", nil
	}
	return guide, channel, err
}

// bindOne binds a just-written order when it has no customer yet and returns its customer id
// (0 when still unbound).
func bindOne(ctx context.Context, tx *store.Tx, tenantID, orderID int64, c clean, old sql.NullInt64) (int64, error) {
	if old.Valid {
		return old.Int64, nil
	}
	cid, err := identityOf(ctx, tx, tenantID, c.BuyerPhone, c.nickKind, c.BuyerNick)
	if err != nil || cid == 0 {
		return 0, err
	}
	return cid, attach(ctx, tx, tenantID, orderID, cid, c.StoreUnitID)
}

// attach sets an order's customer and attribution; a guide given with the order wins.
func attach(ctx context.Context, tx *store.Tx, tenantID, orderID, cid, storeID int64) error {
	guide, channel, err := attribution(ctx, tx, tenantID, cid, storeID)
	if err != nil {
		return fmt.Errorf("order: attribution of customer %d: %w", cid, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE orders SET customer_id = ?, channel = ?,
		guide_staff_id = CASE WHEN guide_given THEN guide_staff_id ELSE ? END
		WHERE tenant_id = ? AND id = ?`, cid, channel, guide, tenantID, orderID)
	if err != nil {
		return fmt.Errorf("order: bind order %d: %w", orderID, err)
	}
	return nil
}

// BindPending binds every unbound order of the tenant whose buyer phone or platform nick now
// belongs to a customer, attributes it and refreshes the customers' metrics. It returns how many
// orders it bound. Safe to run concurrently and repeatedly: an order binds once.
func (s *Service) BindPending(ctx context.Context, tenantID int64) (int, error) {
	match := map[int64]int64{}  // order id -> customer id
	stores := map[int64]int64{} // order id -> store unit id (0 when none)
	var order []int64
	collect := func(q string, args ...any) error {
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("order: pending bindings: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var oid, cid int64
			var unit sql.NullInt64
			if err := rows.Scan(&oid, &cid, &unit); err != nil {
				return err
			}
			if _, ok := match[oid]; !ok {
				match[oid], stores[oid] = cid, unit.Int64
				order = append(order, oid)
			}
		}
		return rows.Err()
	}
	if err := collect(`SELECT o.id, i.customer_id, o.store_unit_id FROM orders o JOIN customer_identities i
		ON i.tenant_id = o.tenant_id AND i.kind = ? AND i.value = o.buyer_phone
		WHERE o.tenant_id = ? AND o.customer_id IS NULL AND o.buyer_phone <> '' ORDER BY o.id`, identityPhone, tenantID); err != nil {
		return 0, err
	}
	for _, src := range Sources {
		kind := nickKinds[src]
		if kind == "" {
			continue
		}
		if err := collect(`SELECT o.id, i.customer_id, o.store_unit_id FROM orders o JOIN customer_identities i
			ON i.tenant_id = o.tenant_id AND i.kind = ? AND i.value = o.buyer_nick
			WHERE o.tenant_id = ? AND o.customer_id IS NULL AND o.buyer_nick <> '' AND o.source = ? ORDER BY o.id`, kind, tenantID, src); err != nil {
			return 0, err
		}
	}
	if len(order) == 0 {
		return 0, nil
	}
	rules, err := s.Rules(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	bound := 0
	for start := 0; start < len(order); start += chunk {
		part := order[start:min(start+chunk, len(order))]
		var touched map[int64]bool
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			touched = map[int64]bool{}
			n := 0
			for _, oid := range part {
				var still int
				// Another pass (or an ingest) may have bound it meanwhile, or the matched customer
				// may have been merged away since the match (the next pass finds the survivor).
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders o WHERE o.tenant_id = ? AND o.id = ? AND o.customer_id IS NULL
					AND EXISTS (SELECT 1 FROM customers c WHERE c.tenant_id = o.tenant_id AND c.id = ? AND c.merged_into IS NULL)`,
					tenantID, oid, match[oid]).Scan(&still); err != nil {
					return err
				}
				if still == 0 {
					continue
				}
				if err := attach(ctx, tx, tenantID, oid, match[oid], stores[oid]); err != nil {
					return err
				}
				touched[match[oid]] = true
				n++
			}
			if err := refreshMetrics(ctx, tx, tenantID, keys(touched), rules, s.clock()); err != nil {
				return err
			}
			bound += n
			return nil
		})
		if err != nil {
			return bound, err
		}
		s.notifyChanged(ctx, tenantID, keys(touched))
	}
	if bound > 0 {
		s.log.Info("bound pending orders", "tenant_id", tenantID, "orders", bound)
	}
	return bound, nil
}
