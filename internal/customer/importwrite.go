package customer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
)

// The write path of customer imports: one transaction per batch of checked rows.

// existing is what a batch needs to know about a customer a row matched.
type existing struct {
	id       int64
	name     string
	gender   int
	birthday string
	remark   string
	fields   map[int64]string
	tags     map[int64]bool
}

// writeBatch writes checked rows in one transaction and counts created, updated and unchanged
// customers.
func (s *Service) writeBatch(ctx context.Context, tx *store.Tx, tenantID, jobID int64, batch []importRow) (created, updated, unchanged int, err error) {
	now := s.clock()
	found, err := loadExisting(ctx, tx, tenantID, batch)
	if err != nil {
		return 0, 0, 0, err
	}
	made, err := createCustomers(ctx, tx, tenantID, batch, found, now)
	if err != nil {
		return 0, 0, 0, err
	}
	var fieldRows, tagRows, eventRows [][]any
	var reindex []int64     // existing customers whose name or remark changed
	var fresh []importedNew // customers this batch created
	fieldAt := map[[2]int64]int{}
	for _, r := range batch {
		cur := found[r.phone]
		id, isNew := made[r.phone]
		if isNew {
			fresh = append(fresh, importedNew{id: id, row: r})
			cur = &existing{id: id, fields: map[int64]string{}, tags: map[int64]bool{}}
			created++
		}
		changed := isNew
		if !isNew {
			name, gender, birthday, remark := cur.name, cur.gender, cur.birthday, cur.remark
			if r.name != nil {
				name = *r.name
			}
			if r.gender != nil {
				gender = *r.gender
			}
			if r.birthday != nil {
				birthday = *r.birthday
			}
			if r.remark != nil {
				remark = *r.remark
			}
			if name != cur.name || gender != cur.gender || birthday != cur.birthday || remark != cur.remark {
				if _, err := tx.ExecContext(ctx, `UPDATE customers SET name = ?, gender = ?, birthday = ?, remark = ?, updated_at = ?
					WHERE tenant_id = ? AND id = ?`, name, gender, nullIfEmpty(birthday), remark, now, tenantID, cur.id); err != nil {
					return 0, 0, 0, fmt.Errorf("row %d: %w", r.row, err)
				}
				if name != cur.name || remark != cur.remark {
					reindex = append(reindex, cur.id)
				}
				cur.name, cur.gender, cur.birthday, cur.remark = name, gender, birthday, remark
				changed = true
			}
		}
		for fid, val := range r.fields {
			if cur.fields[fid] != val {
				key := [2]int64{cur.id, fid}
				if i, ok := fieldAt[key]; ok {
					fieldRows[i][3] = val // the same customer twice in a batch (two of their phones)
				} else {
					fieldAt[key] = len(fieldRows)
					fieldRows = append(fieldRows, []any{tenantID, cur.id, fid, val, now})
				}
				cur.fields[fid] = val
				changed = true
			}
		}
		for _, tid := range r.tags {
			if !cur.tags[tid] {
				tagRows = append(tagRows, []any{tenantID, cur.id, tid, "", TagSourceImport, now})
				cur.tags[tid] = true
				changed = true
			}
		}
		switch {
		case isNew:
		case changed:
			updated++
		default:
			unchanged++
		}
		if changed {
			detail := fmt.Sprintf(`{"job":%d,"row":%d,"created":%t}`, jobID, r.row, isNew)
			eventRows = append(eventRows, []any{tenantID, cur.id, EventImported, "", detail,
				fmt.Sprintf("import:%d:%d", jobID, r.row), now, now})
		}
	}
	if err := insertMany(ctx, tx, `INSERT INTO customer_field_values (tenant_id, customer_id, field_id, value, updated_at) VALUES `,
		` ON CONFLICT (tenant_id, customer_id, field_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, fieldRows); err != nil {
		return 0, 0, 0, fmt.Errorf("field values: %w", err)
	}
	if err := insertMany(ctx, tx, `INSERT INTO customer_tags (tenant_id, customer_id, tag_id, wecom_userid, source, created_at) VALUES `,
		` ON CONFLICT (tenant_id, customer_id, tag_id, wecom_userid) DO NOTHING`, tagRows); err != nil {
		return 0, 0, 0, fmt.Errorf("tags: %w", err)
	}
	if err := insertMany(ctx, tx, `INSERT INTO customer_events (tenant_id, customer_id, kind, wecom_userid, detail, dedup_key, occurred_at, created_at) VALUES `,
		` ON CONFLICT (tenant_id, dedup_key) DO NOTHING`, eventRows); err != nil {
		return 0, 0, 0, fmt.Errorf("timeline: %w", err)
	}
	if err := indexNew(ctx, tx, tenantID, fresh, now); err != nil {
		return 0, 0, 0, fmt.Errorf("search index: %w", err)
	}
	if err := RefreshSearch(ctx, tx, tenantID, reindex...); err != nil {
		return 0, 0, 0, err
	}
	return created, updated, unchanged, nil
}

// importedNew is a customer a batch created.
type importedNew struct {
	id  int64
	row importRow
}

// indexNew writes the search rows of customers the import just created, in multi-row
// statements: what RefreshSearch would write for them (their name, remark and one phone; no
// relations yet; created and last active now), without reading back what the batch wrote. It is
// the import's bulk path; every later change goes through RefreshSearch.
func indexNew(ctx context.Context, tx *store.Tx, tenantID int64, fresh []importedNew, now time.Time) error {
	if len(fresh) == 0 {
		return nil
	}
	var terms, docs [][]any
	for _, f := range fresh {
		in := SearchInput{Phones: []string{f.row.phone}}
		if f.row.name != nil {
			in.Name = *f.row.name
		}
		if f.row.remark != nil && *f.row.remark != "" {
			in.Remarks = []string{*f.row.remark}
		}
		ts := searchTerms(in)
		for _, t := range ts {
			terms = append(terms, []any{tenantID, t, f.id})
		}
		docs = append(docs, []any{tenantID, f.id, docOf(ts), nameKey(in.Name), now, now})
	}
	// In key order, so the batch's index entries land on neighbouring pages.
	slices.SortFunc(terms, func(a, b []any) int {
		if c := strings.Compare(a[1].(string), b[1].(string)); c != 0 {
			return c
		}
		return int(a[2].(int64) - b[2].(int64))
	})
	if err := insertMany(ctx, tx, `INSERT INTO customer_search_terms (tenant_id, term, customer_id) VALUES `,
		` ON CONFLICT (tenant_id, term, customer_id) DO NOTHING`, terms); err != nil {
		return err
	}
	return insertMany(ctx, tx, `INSERT INTO customer_search (tenant_id, customer_id, doc, name_key, added_at, last_active_at) VALUES `,
		` ON CONFLICT (tenant_id, customer_id) DO UPDATE SET doc = excluded.doc, name_key = excluded.name_key,
		added_at = excluded.added_at, last_active_at = excluded.last_active_at`, docs)
}

// createCustomers creates the customers of a batch's rows whose phone no customer has, in
// multi-row statements, and returns their ids by phone. The ids are taken first (PostgreSQL: from
// the table's sequence; SQLite: after the largest, which the transaction's write lock keeps
// stable), so rows and identities can be written without a round trip per row. A phone another
// transaction claimed in between (PostgreSQL) belongs to that customer: the row made for it is
// dropped and found gains the other customer, which the row then updates.
func createCustomers(ctx context.Context, tx *store.Tx, tenantID int64, batch []importRow, found map[string]*existing, now time.Time) (map[string]int64, error) {
	var rows []importRow
	for _, r := range batch {
		if found[r.phone] == nil {
			rows = append(rows, r)
		}
	}
	made := make(map[string]int64, len(rows))
	if len(rows) == 0 {
		return made, nil
	}
	ids, err := newCustomerIDs(ctx, tx, len(rows))
	if err != nil {
		return nil, fmt.Errorf("customer ids: %w", err)
	}
	custRows := make([][]any, len(rows))
	identRows := make([][]any, len(rows))
	for i, r := range rows {
		name, gender, remark := "", 0, ""
		var birthday any
		if r.name != nil {
			name = *r.name
		}
		if r.gender != nil {
			gender = *r.gender
		}
		if r.birthday != nil {
			birthday = *r.birthday
		}
		if r.remark != nil {
			remark = *r.remark
		}
		custRows[i] = []any{ids[i], tenantID, name, gender, birthday, remark, now, now}
		identRows[i] = []any{tenantID, IdentityPhone, r.phone, ids[i], now}
		made[r.phone] = ids[i]
	}
	if err := insertMany(ctx, tx, `INSERT INTO customers (id, tenant_id, name, gender, birthday, remark, created_at, updated_at) VALUES `, ``, custRows); err != nil {
		return nil, fmt.Errorf("customers: %w", err)
	}
	if err := insertMany(ctx, tx, `INSERT INTO customer_identities (tenant_id, kind, value, customer_id, created_at) VALUES `,
		` ON CONFLICT (tenant_id, kind, value) DO NOTHING`, identRows); err != nil {
		return nil, fmt.Errorf("phone identities: %w", err)
	}
	// Which phones are ours: normally all of them.
	args := []any{tenantID, IdentityPhone}
	for _, r := range rows {
		args = append(args, r.phone)
	}
	owners := map[string]int64{}
	if err := eachRow(ctx, tx, `SELECT customer_id, value FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value IN `+inList(len(rows)),
		args, func(id int64, v string) { owners[v] = id }); err != nil {
		return nil, err
	}
	var lost []importRow
	for _, r := range rows {
		if owners[r.phone] != made[r.phone] {
			if _, err := tx.ExecContext(ctx, `DELETE FROM customers WHERE tenant_id = ? AND id = ?`, tenantID, made[r.phone]); err != nil {
				return nil, err
			}
			delete(made, r.phone)
			lost = append(lost, r)
		}
	}
	if len(lost) > 0 {
		more, err := loadExisting(ctx, tx, tenantID, lost)
		if err != nil {
			return nil, err
		}
		for _, r := range lost {
			if more[r.phone] == nil {
				return nil, fmt.Errorf("row %d: phone %s claimed concurrently and not found", r.row, r.phone)
			}
			found[r.phone] = more[r.phone]
		}
	}
	return made, nil
}

// newCustomerIDs reserves n ids for new customers.
func newCustomerIDs(ctx context.Context, tx *store.Tx, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if tx.Dialect() == store.Postgres {
		rows, err := tx.QueryContext(ctx, `SELECT nextval(pg_get_serial_sequence('customers', 'id')) FROM generate_series(1, ?)`, n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, rows.Err()
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM customers`).Scan(&last); err != nil {
		return nil, err
	}
	for i := 1; i <= n; i++ {
		ids = append(ids, last+int64(i))
	}
	return ids, nil
}

// loadExisting finds the customers a batch's phones belong to, with their field values and
// imported tags.
func loadExisting(ctx context.Context, tx *store.Tx, tenantID int64, batch []importRow) (map[string]*existing, error) {
	args := []any{tenantID, IdentityPhone}
	for _, r := range batch {
		args = append(args, r.phone)
	}
	rows, err := tx.QueryContext(ctx, `SELECT i.value, c.id, c.name, c.gender, COALESCE(c.birthday, ''), c.remark FROM customer_identities i
		JOIN customers c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
		WHERE i.tenant_id = ? AND i.kind = ? AND i.value IN (?`+strings.Repeat(", ?", len(batch)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("match phones: %w", err)
	}
	found := map[string]*existing{}
	byID := map[int64]*existing{}
	for rows.Next() {
		var phone string
		e := &existing{fields: map[int64]string{}, tags: map[int64]bool{}}
		if err := rows.Scan(&phone, &e.id, &e.name, &e.gender, &e.birthday, &e.remark); err != nil {
			rows.Close()
			return nil, err
		}
		if same := byID[e.id]; same != nil {
			e = same // two phones of one customer
		}
		found[phone] = e
		byID[e.id] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(byID) == 0 {
		return found, err
	}
	ids := []any{tenantID}
	for id := range byID {
		ids = append(ids, id)
	}
	in := `(?` + strings.Repeat(", ?", len(ids)-2) + `)`
	rows, err = tx.QueryContext(ctx, `SELECT customer_id, field_id, value FROM customer_field_values WHERE tenant_id = ? AND customer_id IN `+in, ids...)
	if err != nil {
		return nil, fmt.Errorf("field values: %w", err)
	}
	for rows.Next() {
		var cid, fid int64
		var val string
		if err := rows.Scan(&cid, &fid, &val); err != nil {
			rows.Close()
			return nil, err
		}
		byID[cid].fields[fid] = val
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT customer_id, tag_id FROM customer_tags WHERE tenant_id = ? AND wecom_userid = '' AND customer_id IN `+in, ids...)
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid, tid int64
		if err := rows.Scan(&cid, &tid); err != nil {
			return nil, err
		}
		byID[cid].tags[tid] = true
	}
	return found, rows.Err()
}

// insertMany runs a multi-row INSERT in chunks that stay under both engines' parameter limits.
func insertMany(ctx context.Context, tx *store.Tx, head, tail string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	tuple := "(?" + strings.Repeat(", ?", width-1) + ")"
	per := 4000 / width
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, len(chunk)*width)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, r...)
		}
		b.WriteString(tail)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
