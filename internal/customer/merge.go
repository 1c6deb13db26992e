package customer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Merging and splitting customers.
//
// Merging customer B into A moves B's rows to A — identities, staff relations, tags, timeline,
// group memberships, notes and every table another capability registered with RegisterMove — and
// keeps B's own row with merged_into = A (lists and lookups skip it). customer_merges records the
// keys of exactly the rows that moved, so Split moves those back into the restored B. A row whose
// twin A already has (the same staff relation, the same tag from the same staff) cannot move and
// stays with B, coming back with it on a split.

// Move is a table with rows that belong to a customer through one column.
type Move struct {
	// Table and Column name the table and its customer id column.
	Table, Column string
	// Key are the columns (besides tenant_id and Column) that identify a row among one customer's
	// rows, e.g. {"id"}; a split moves back exactly the rows with the recorded keys.
	Key []string
	// Unique are the columns (besides tenant_id and Column) of a unique key that includes Column:
	// a row whose twin the surviving customer already has stays with the merged customer.
	Unique []string
}

var (
	movesMu sync.RWMutex
	moves   = []Move{
		{Table: "customer_identities", Column: "customer_id", Key: []string{"kind", "value"}},
		{Table: "customer_staff", Column: "customer_id", Key: []string{"wecom_userid"}, Unique: []string{"wecom_userid"}},
		{Table: "customer_tags", Column: "customer_id", Key: []string{"tag_id", "wecom_userid"}, Unique: []string{"tag_id", "wecom_userid"}},
		{Table: "customer_events", Column: "customer_id", Key: []string{"id"}},
		{Table: "customer_group_members", Column: "customer_id", Key: []string{"group_id", "member_userid"}},
		{Table: "customer_notes", Column: "customer_id", Key: []string{"id"}},
		{Table: "customer_field_values", Column: "customer_id", Key: []string{"field_id"}, Unique: []string{"field_id"}},
	}
	identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// RegisterMove adds a table whose rows follow a customer when it is merged into another (and
// back on a split). Capabilities with a customer_id column — orders, points, coupons — call it
// from an init function; a table not registered keeps pointing at the merged customer. It panics
// on names that are not plain SQL identifiers, since they are put into statements.
func RegisterMove(m Move) {
	for _, n := range append([]string{m.Table, m.Column}, append(slices.Clone(m.Key), m.Unique...)...) {
		if !identRE.MatchString(n) {
			panic(fmt.Sprintf("customer: RegisterMove: %q is not a plain identifier", n))
		}
	}
	if len(m.Key) == 0 {
		panic("customer: RegisterMove: " + m.Table + " needs key columns")
	}
	movesMu.Lock()
	defer movesMu.Unlock()
	for i, old := range moves {
		if old.Table == m.Table && old.Column == m.Column {
			moves[i] = m
			return
		}
	}
	moves = append(moves, m)
}

func registeredMoves() []Move {
	movesMu.RLock()
	defer movesMu.RUnlock()
	return slices.Clone(moves)
}

// Timeline kinds of merges; detail {"merge_id", "other_id", "other_name", "auto", "reason"}.
const (
	EventMerged = "merged" // on the surviving customer
	EventSplit  = "split"  // on both customers of a split merge
)

// Merge is one merge as the API shows it.
type Merge struct {
	ID       int64          `json:"id"`
	IntoID   int64          `json:"into_id"`
	FromID   int64          `json:"from_id"`
	FromName string         `json:"from_name"`
	Auto     bool           `json:"auto" doc:"made by Resolve because an identity was shared"`
	Reason   string         `json:"reason" doc:"identity kind that was shared, or manual"`
	MergedBy string         `json:"merged_by"`
	Moved    map[string]int `json:"moved" doc:"rows moved per table"`
	MergedAt time.Time      `json:"merged_at"`
	SplitAt  *time.Time     `json:"split_at"`
	SplitBy  string         `json:"split_by"`
}

// MergeInput names the customer to merge into the one in the path.
type MergeInput struct {
	FromID int64 `json:"from_id"`
}

// SplitInput names the merge to undo.
type SplitInput struct {
	MergeID int64 `json:"merge_id"`
}

type mergeOptions struct {
	auto       bool
	reason, by string
	userID     int64
	now        time.Time
}

type intoBefore struct {
	Name   string `json:"name"`
	Avatar string `json:"avatar"`
	Gender int    `json:"gender"`
	// Set holds what the merge filled in from the merged customer (empty: nothing).
	SetName   string `json:"set_name,omitempty"`
	SetAvatar string `json:"set_avatar,omitempty"`
	SetGender int    `json:"set_gender,omitempty"`
}

// lockPair takes the write locks of two customers in id order (so two merges of the same pair
// cannot deadlock) and returns their merged_into values; errRestart when one is gone or merged.
func lockPair(ctx context.Context, tx *store.Tx, tenantID, a, b int64, now time.Time) error {
	for _, id := range []int64{min(a, b), max(a, b)} {
		res, err := tx.ExecContext(ctx, `UPDATE customers SET updated_at = ? WHERE tenant_id = ? AND id = ?`, now, tenantID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errRestart
		}
	}
	return nil
}

type customerHead struct {
	name, avatar string
	gender       int
	mergedInto   sql.NullInt64
}

func head(ctx context.Context, tx *store.Tx, tenantID, id int64) (customerHead, error) {
	var h customerHead
	err := tx.QueryRowContext(ctx, `SELECT name, avatar, gender, merged_into FROM customers WHERE tenant_id = ? AND id = ?`, tenantID, id).
		Scan(&h.name, &h.avatar, &h.gender, &h.mergedInto)
	return h, err
}

// mergeTx merges customer from into customer into inside tx and returns the merge's id.
func (s *Service) mergeTx(ctx context.Context, tx *store.Tx, tenantID, into, from int64, o mergeOptions) (int64, error) {
	if into == from {
		return 0, errors.New("customer: merge of a customer into itself")
	}
	if err := lockPair(ctx, tx, tenantID, into, from, o.now); err != nil {
		return 0, err
	}
	a, err := head(ctx, tx, tenantID, into)
	if err != nil {
		return 0, err
	}
	b, err := head(ctx, tx, tenantID, from)
	if err != nil {
		return 0, err
	}
	if a.mergedInto.Valid || b.mergedInto.Valid {
		return 0, errRestart
	}
	moved := map[string][][]any{}
	for _, m := range registeredMoves() {
		keys, err := movableKeys(ctx, tx, m, tenantID, into, from)
		if err != nil {
			return 0, fmt.Errorf("merge %s: %w", m.Table, err)
		}
		if len(keys) == 0 {
			continue
		}
		if err := moveRows(ctx, tx, m, tenantID, from, into, keys); err != nil {
			return 0, fmt.Errorf("merge %s: %w", m.Table, err)
		}
		moved[m.Table+"."+m.Column] = keys
	}
	// The survivor keeps its own name, picture and gender; what it lacks it takes from the other.
	before := intoBefore{Name: a.name, Avatar: a.avatar, Gender: a.gender}
	if a.name == "" && b.name != "" {
		before.SetName = b.name
	}
	if a.avatar == "" && b.avatar != "" {
		before.SetAvatar = b.avatar
	}
	if a.gender == 0 && b.gender != 0 {
		before.SetGender = b.gender
	}
	if _, err := tx.ExecContext(ctx, `UPDATE customers SET
		name = CASE WHEN name = '' THEN ? ELSE name END,
		avatar = CASE WHEN avatar = '' THEN ? ELSE avatar END,
		gender = CASE WHEN gender = 0 THEN ? ELSE gender END
		WHERE tenant_id = ? AND id = ?`, b.name, b.avatar, b.gender, tenantID, into); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE customers SET merged_into = ? WHERE tenant_id = ? AND id = ?`, into, tenantID, from); err != nil {
		return 0, err
	}
	if err := refreshFirstAdd(ctx, tx, tenantID, into); err != nil {
		return 0, err
	}
	if err := RefreshSearch(ctx, tx, tenantID, into, from); err != nil {
		return 0, err
	}
	movedJSON, _ := json.Marshal(moved)
	beforeJSON, _ := json.Marshal(before)
	reason := o.reason
	if reason == "" {
		reason = "manual"
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO customer_merges (tenant_id, into_id, from_id, auto, reason, moved, into_before, merged_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, tenantID, into, from, o.auto, reason, string(movedJSON), string(beforeJSON), o.by, o.now).Scan(&id); err != nil {
		return 0, err
	}
	detail := jsonDetail(map[string]any{"merge_id": id, "other_id": from, "other_name": b.name, "auto": o.auto, "reason": reason, "by": o.by})
	if err := appendEvent(ctx, tx, tenantID, into, EventMerged, "", detail, fmt.Sprintf("merge:%d", id), o.now, o.now); err != nil {
		return 0, err
	}
	s.log.InfoContext(ctx, "customers merged", "tenant", tenantID, "into", into, "from", from, "auto", o.auto, "reason", reason)
	return id, nil
}

// movableKeys lists the keys of from's rows in m that can move to into.
func movableKeys(ctx context.Context, tx *store.Tx, m Move, tenantID, into, from int64) ([][]any, error) {
	q := `SELECT ` + strings.Join(prefixed("t.", m.Key), ", ") + ` FROM ` + m.Table + ` t WHERE t.tenant_id = ? AND t.` + m.Column + ` = ?`
	args := []any{tenantID, from}
	if len(m.Unique) > 0 {
		var conds []string
		for _, u := range m.Unique {
			conds = append(conds, "t2."+u+" = t."+u)
		}
		q += ` AND NOT EXISTS (SELECT 1 FROM ` + m.Table + ` t2 WHERE t2.tenant_id = t.tenant_id AND t2.` + m.Column + ` = ? AND ` +
			strings.Join(conds, " AND ") + `)`
		args = append(args, into)
	}
	q += ` ORDER BY ` + strings.Join(prefixed("t.", m.Key), ", ")
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(m.Key))
		ptrs := make([]any, len(m.Key))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

// moveRows moves the rows with the given keys of m from one customer to another, in batches.
func moveRows(ctx context.Context, tx *store.Tx, m Move, tenantID, from, to int64, keys [][]any) error {
	const batch = 100
	for start := 0; start < len(keys); start += batch {
		part := keys[start:min(start+batch, len(keys))]
		var ors []string
		args := []any{to, tenantID, from}
		for _, k := range part {
			if len(k) != len(m.Key) {
				return fmt.Errorf("key %v does not fit columns %v", k, m.Key)
			}
			var ands []string
			for i, col := range m.Key {
				ands = append(ands, col+" = ?")
				args = append(args, k[i])
			}
			ors = append(ors, "("+strings.Join(ands, " AND ")+")")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+m.Table+` SET `+m.Column+` = ? WHERE tenant_id = ? AND `+m.Column+` = ? AND (`+
			strings.Join(ors, " OR ")+`)`, args...); err != nil {
			return err
		}
	}
	return nil
}

func prefixed(p string, cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = p + c
	}
	return out
}

// refreshFirstAdd makes a customer's acquisition (first add, its live-code state) that of its
// earliest staff relation.
func refreshFirstAdd(ctx context.Context, tx *store.Tx, tenantID, cid int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE customers SET
		first_added_at = (SELECT MIN(added_at) FROM customer_staff WHERE tenant_id = ? AND customer_id = ?),
		first_state = COALESCE((SELECT state FROM customer_staff WHERE tenant_id = ? AND customer_id = ? ORDER BY added_at, wecom_userid LIMIT 1), '')
		WHERE tenant_id = ? AND id = ?`, tenantID, cid, tenantID, cid, tenantID, cid)
	return err
}

// MergeCustomers merges customer fromID into customer intoID; the caller must see both. Both
// are the same person: the survivor gets the other's identities, relations, tags, timeline,
// groups, notes and registered rows, and the merge is recorded for a later split.
func (s *Service) MergeCustomers(ctx context.Context, intoID int64, in MergeInput) (Merge, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Merge{}, err
	}
	var v httpx.Validator
	v.Check(in.FromID > 0, "from_id", "required")
	v.Check(in.FromID != intoID || in.FromID <= 0, "from_id", "invalid")
	if err := v.Err(); err != nil {
		return Merge{}, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		ok, err := visible(ctx, tx, c, intoID)
		if err != nil {
			return err
		}
		if !ok {
			return httpx.NotFoundf("customer")
		}
		if ok, err = visible(ctx, tx, c, in.FromID); err != nil {
			return err
		} else if !ok {
			return httpx.FieldErr("from_id", "not_found")
		}
		id, err = s.mergeTx(ctx, tx, c.TenantID, intoID, in.FromID, mergeOptions{by: callerName(c), userID: c.UserID, now: s.clock()})
		if errors.Is(err, errRestart) {
			return httpx.Errorf(httpx.Conflict, "customer_merged", "the customer was merged meanwhile; reload")
		}
		return err
	})
	if err != nil {
		return Merge{}, wrap(err, "customer: merge %d into %d", in.FromID, intoID)
	}
	return s.merge(ctx, c.TenantID, id)
}

// Split undoes a merge into the customer in the path: the merged customer is restored with the
// rows that came from it (those still on the survivor) and what the merge filled in on the
// survivor is taken back. A merge into a customer that was itself merged later is split after
// that later merge.
func (s *Service) Split(ctx context.Context, intoID int64, in SplitInput) (Merge, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Merge{}, err
	}
	if in.MergeID <= 0 {
		return Merge{}, httpx.FieldErr("merge_id", "required")
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		ok, err := visible(ctx, tx, c, intoID)
		if err != nil {
			return err
		}
		if !ok {
			return httpx.NotFoundf("customer")
		}
		var from int64
		var movedJSON, beforeJSON string
		var splitAt sql.NullTime
		err = tx.QueryRowContext(ctx, `SELECT from_id, moved, into_before, split_at FROM customer_merges WHERE tenant_id = ? AND id = ? AND into_id = ?`,
			c.TenantID, in.MergeID, intoID).Scan(&from, &movedJSON, &beforeJSON, &splitAt)
		if errors.Is(err, sql.ErrNoRows) {
			return httpx.FieldErr("merge_id", "not_found")
		}
		if err != nil {
			return err
		}
		if splitAt.Valid {
			return httpx.Errorf(httpx.Conflict, "merge_already_split", "this merge was already split")
		}
		now := s.clock()
		if err := lockPair(ctx, tx, c.TenantID, intoID, from, now); err != nil {
			return err
		}
		b, err := head(ctx, tx, c.TenantID, from)
		if err != nil {
			return err
		}
		if !b.mergedInto.Valid || b.mergedInto.Int64 != intoID {
			return httpx.Errorf(httpx.Conflict, "merge_already_split", "this merge was already split")
		}
		dec := json.NewDecoder(strings.NewReader(movedJSON))
		dec.UseNumber()
		var moved map[string][][]any
		if err := dec.Decode(&moved); err != nil {
			return fmt.Errorf("merge %d record: %w", in.MergeID, err)
		}
		byName := map[string]Move{}
		for _, m := range registeredMoves() {
			byName[m.Table+"."+m.Column] = m
		}
		for name, keys := range moved {
			m, ok := byName[name]
			if !ok {
				return fmt.Errorf("merge %d moved rows of %s, which is no longer registered", in.MergeID, name)
			}
			for _, k := range keys {
				for i, v := range k {
					if n, ok := v.(json.Number); ok {
						i64, err := n.Int64()
						if err != nil {
							return fmt.Errorf("merge %d key %v: %w", in.MergeID, k, err)
						}
						k[i] = i64
					}
				}
			}
			if err := moveRows(ctx, tx, m, c.TenantID, intoID, from, keys); err != nil {
				return fmt.Errorf("split %s: %w", m.Table, err)
			}
		}
		var before intoBefore
		_ = json.Unmarshal([]byte(beforeJSON), &before)
		// Take back what the merge filled in, unless it was changed since.
		if before.SetName != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE customers SET name = ? WHERE tenant_id = ? AND id = ? AND name = ?`, before.Name, c.TenantID, intoID, before.SetName); err != nil {
				return err
			}
		}
		if before.SetAvatar != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE customers SET avatar = ? WHERE tenant_id = ? AND id = ? AND avatar = ?`, before.Avatar, c.TenantID, intoID, before.SetAvatar); err != nil {
				return err
			}
		}
		if before.SetGender != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE customers SET gender = ? WHERE tenant_id = ? AND id = ? AND gender = ?`, before.Gender, c.TenantID, intoID, before.SetGender); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET merged_into = NULL WHERE tenant_id = ? AND id = ?`, c.TenantID, from); err != nil {
			return err
		}
		for _, id := range []int64{intoID, from} {
			if err := refreshFirstAdd(ctx, tx, c.TenantID, id); err != nil {
				return err
			}
		}
		if err := RefreshSearch(ctx, tx, c.TenantID, intoID, from); err != nil {
			return err
		}
		by := callerName(c)
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET updated_at = ? WHERE tenant_id = ? AND id IN (?, ?)`, now, c.TenantID, intoID, from); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customer_merges SET split_at = ?, split_by = ? WHERE tenant_id = ? AND id = ?`, now, by, c.TenantID, in.MergeID); err != nil {
			return err
		}
		var intoName string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM customers WHERE tenant_id = ? AND id = ?`, c.TenantID, intoID).Scan(&intoName); err != nil {
			return err
		}
		for _, e := range []struct {
			on, other int64
			name      string
		}{{intoID, from, b.name}, {from, intoID, intoName}} {
			detail := jsonDetail(map[string]any{"merge_id": in.MergeID, "other_id": e.other, "other_name": e.name, "by": by})
			if err := appendEvent(ctx, tx, c.TenantID, e.on, EventSplit, "", detail, fmt.Sprintf("split:%d:%d", in.MergeID, e.on), now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Merge{}, wrap(err, "customer: split merge %d of %d", in.MergeID, intoID)
	}
	return s.merge(ctx, c.TenantID, in.MergeID)
}

const mergeSelect = `SELECT m.id, m.into_id, m.from_id, COALESCE(f.name, ''), m.auto, m.reason, m.merged_by, m.moved, m.created_at, m.split_at, m.split_by
	FROM customer_merges m LEFT JOIN customers f ON f.tenant_id = m.tenant_id AND f.id = m.from_id`

func scanMerge(sc interface{ Scan(...any) error }) (Merge, error) {
	var m Merge
	var moved string
	var split sql.NullTime
	if err := sc.Scan(&m.ID, &m.IntoID, &m.FromID, &m.FromName, &m.Auto, &m.Reason, &m.MergedBy, &moved, &m.MergedAt, &split, &m.SplitBy); err != nil {
		return Merge{}, err
	}
	if split.Valid {
		m.SplitAt = &split.Time
	}
	var rows map[string][]json.RawMessage
	_ = json.Unmarshal([]byte(moved), &rows)
	m.Moved = map[string]int{}
	for name, keys := range rows {
		table, _, _ := strings.Cut(name, ".")
		m.Moved[table] += len(keys)
	}
	return m, nil
}

func (s *Service) merge(ctx context.Context, tenantID, id int64) (Merge, error) {
	m, err := scanMerge(s.db.QueryRowContext(ctx, mergeSelect+` WHERE m.tenant_id = ? AND m.id = ?`, tenantID, id))
	if err != nil {
		return Merge{}, fmt.Errorf("customer: merge %d: %w", id, err)
	}
	return m, nil
}

// Merges lists the merges into a customer in the caller's scope, newest first.
func (s *Service) Merges(ctx context.Context, customerID int64) ([]Merge, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := visible(ctx, s.db, c, customerID)
	if err != nil {
		return nil, fmt.Errorf("customer: merges of %d: %w", customerID, err)
	}
	if !ok {
		return nil, httpx.NotFoundf("customer")
	}
	rows, err := s.db.QueryContext(ctx, mergeSelect+` WHERE m.tenant_id = ? AND m.into_id = ? ORDER BY m.id DESC LIMIT 200`, c.TenantID, customerID)
	if err != nil {
		return nil, fmt.Errorf("customer: merges of %d: %w", customerID, err)
	}
	defer rows.Close()
	out := []Merge{}
	for rows.Next() {
		m, err := scanMerge(rows)
		if err != nil {
			return nil, err
		}
		if !org.ScopeOf(c).PersonalData {
			m.FromName = org.MaskName(m.FromName)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func jsonDetail(v map[string]any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (s *Service) handleMerge(w http.ResponseWriter, r *http.Request) error {
	id, in, err := httpx.IDAndBody[MergeInput](r)
	if err != nil {
		return err
	}
	out, err := s.MergeCustomers(r.Context(), id, in)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleSplit(w http.ResponseWriter, r *http.Request) error {
	id, in, err := httpx.IDAndBody[SplitInput](r)
	if err != nil {
		return err
	}
	out, err := s.Split(r.Context(), id, in)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleMerges(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	items, err := s.Merges(r.Context(), id)
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"merge_already_split": {Zh: "该合并已被拆分", En: "This merge was already split"},
	})
}
