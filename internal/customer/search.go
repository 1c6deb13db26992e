package customer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/mozillazg/go-pinyin"

	"github.com/siyu-scrm/siyu/internal/store"
)

// Customer search keeps one row per customer in customer_search (sort keys and a keyword
// document) and an inverted index of its terms in customer_search_terms. A keyword matches a
// customer when each of its runs of letters and digits is a prefix of one of the customer's
// terms. The terms are chosen so that this means:
//
//   - any substring of the name, the customer remark or a staff member's remark on their relation
//     (every suffix of each run of letters/digits is a term: 张三丰 → 张三丰, 三丰, 丰);
//   - the full pinyin or the initials of the name from any syllable on (zhangsanfeng, sanfeng,
//     feng; zsf, sf, f), so "zs", "zhangsan" and "sanfeng" find 张三丰;
//   - the end of a phone number (each phone identity's digits reversed, behind '#': the last four
//     digits 5678 are the prefix #8765).
//
// "A prefix of a term" is one range scan on (tenant_id, term) on both engines, and the same test
// on the document (' term term … ' LIKE '% kw%') checks one candidate row, so the list can walk
// either from the index or along its sort order, whichever is cheaper (see list.go).

// maxTermRunes bounds the length of a term (and of a keyword run: a longer run is cut, which only
// ever widens the match).
const maxTermRunes = 24

// phoneMark starts phone terms; normalised text never contains it.
const phoneMark = "#"

// minPhoneSuffix is the shortest phone ending searched as a phone (shorter digit runs still match
// text).
const minPhoneSuffix = 4

var pinyinArgs = pinyin.NewArgs()

// runsOf lowercases s and splits it into runs of letters and digits (Han characters are letters).
func runsOf(s string) [][]rune {
	var out [][]rune
	var cur []rune
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			cur = append(cur, r)
			continue
		}
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func cut(r []rune) string {
	if len(r) > maxTermRunes {
		r = r[:maxTermRunes]
	}
	return string(r)
}

// pinyinOf returns the syllables of the Han characters of s, in order (other characters have none).
func pinyinOf(s string) []string {
	var out []string
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			continue
		}
		if p := pinyin.SinglePinyin(r, pinyinArgs); len(p) > 0 && p[0] != "" {
			out = append(out, p[0])
		}
	}
	return out
}

// SearchInput is what a customer's search row is built from.
type SearchInput struct {
	Name    string
	Remarks []string // the customer remark and each relation's remark
	Phones  []string // phone identities (E.164 or digits)
}

// searchTerms returns the distinct terms of a customer, in a stable order.
func searchTerms(in SearchInput) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	suffixes := func(text string) {
		for _, run := range runsOf(text) {
			for i := range run {
				add(cut(run[i:]))
			}
		}
	}
	suffixes(in.Name)
	syl := pinyinOf(in.Name)
	for i := range syl {
		add(cut([]rune(strings.Join(syl[i:], ""))))
		var b strings.Builder
		for _, s := range syl[i:] {
			b.WriteByte(s[0])
		}
		add(cut([]rune(b.String())))
	}
	for _, r := range in.Remarks {
		suffixes(r)
	}
	for _, p := range in.Phones {
		d := []rune(digitsOf(p))
		if len(d) >= minPhoneSuffix {
			slices.Reverse(d)
			add(phoneMark + string(d))
		}
	}
	return out
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// docOf is the document form of terms: ' a b c '.
func docOf(terms []string) string {
	return " " + strings.Join(terms, " ") + " "
}

// termsOfDoc reverses docOf.
func termsOfDoc(doc string) []string {
	return strings.Fields(doc)
}

// nameKey sorts names the way people look them up: by pinyin (Han characters) and lowercase
// letters, then by the name itself; nameless customers last.
func nameKey(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return "~"
	}
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case unicode.Is(unicode.Han, r):
			if p := pinyin.SinglePinyin(r, pinyinArgs); len(p) > 0 {
				b.WriteString(p[0])
				continue
			}
			b.WriteRune(r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	key := b.String()
	if len(key) > 64 {
		key = key[:64]
	}
	return key + " " + name
}

// keywordRun is one run of a keyword and the term prefixes that match it.
type keywordRun struct {
	text   string // prefix of a text term
	phone  string // prefix of a phone term, or ""
	weight int    // filled by the planner: how many terms start with it (capped)
}

// keywordRuns splits a keyword the way terms are built.
func keywordRuns(q string) []keywordRun {
	var out []keywordRun
	for _, run := range runsOf(q) {
		k := keywordRun{text: cut(run)}
		if d := string(run); len(run) >= minPhoneSuffix && digitsOf(d) == d {
			r := []rune(d)
			slices.Reverse(r)
			k.phone = phoneMark + cut(r)
		}
		if !slices.ContainsFunc(out, func(o keywordRun) bool { return o.text == k.text }) {
			out = append(out, k)
		}
	}
	return out
}

// prefixEnd is the smallest string greater than every string starting with p (byte order, as both
// engines compare the term column).
func prefixEnd(p string) string { return p + string(rune(unicode.MaxRune)) }

// RefreshSearch rebuilds the search rows of the given customers from what they are built from —
// name, customer remark, relation remarks, phone identities, first add and timeline — inside the
// caller's transaction. Every write that changes one of those calls it (ApplyContact here;
// profile edits, identities, imports and merges in their own code). A customer that no longer
// exists loses its row.
func RefreshSearch(ctx context.Context, tx *store.Tx, tenantID int64, customerIDs ...int64) error {
	ids := slices.Clone(customerIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for len(ids) > 0 {
		n := min(len(ids), 200)
		if err := refreshChunk(ctx, tx, tenantID, ids[:n]); err != nil {
			return fmt.Errorf("customer: refresh search: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// searchSource is one customer's search input as read from the database.
type searchSource struct {
	in         SearchInput
	added      time.Time
	lastActive time.Time
}

func inList(n int) string { return "(?" + strings.Repeat(", ?", n-1) + ")" }

func refreshChunk(ctx context.Context, tx *store.Tx, tenantID int64, ids []int64) error {
	args := []any{tenantID}
	for _, id := range ids {
		args = append(args, id)
	}
	in := inList(len(ids))
	src := map[int64]*searchSource{}
	rows, err := tx.QueryContext(ctx, `SELECT id, name, remark, COALESCE(first_added_at, created_at) FROM customers
		WHERE tenant_id = ? AND id IN `+in, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var name, remark string
		var at store.Time // COALESCE loses the column type on SQLite
		if err := rows.Scan(&id, &name, &remark, &at); err != nil {
			rows.Close()
			return err
		}
		added := at.Time
		s := &searchSource{in: SearchInput{Name: name}, added: added, lastActive: added}
		if remark != "" {
			s.in.Remarks = append(s.in.Remarks, remark)
		}
		src[id] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := eachRow(ctx, tx, `SELECT customer_id, remark FROM customer_staff WHERE tenant_id = ? AND remark <> '' AND customer_id IN `+in+`
		ORDER BY customer_id, added_at, wecom_userid`, args, func(id int64, v string) {
		if s := src[id]; s != nil {
			s.in.Remarks = append(s.in.Remarks, v)
		}
	}); err != nil {
		return err
	}
	if err := eachRow(ctx, tx, `SELECT customer_id, value FROM customer_identities WHERE tenant_id = ? AND kind = '`+IdentityPhone+`' AND customer_id IN `+in+`
		ORDER BY customer_id, value`, args, func(id int64, v string) {
		if s := src[id]; s != nil {
			s.in.Phones = append(s.in.Phones, v)
		}
	}); err != nil {
		return err
	}
	rows, err = tx.QueryContext(ctx, `SELECT customer_id, MAX(occurred_at) FROM customer_events WHERE tenant_id = ? AND customer_id IN `+in+`
		GROUP BY customer_id`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var at store.Time
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return err
		}
		if s := src[id]; s != nil && at.Valid && at.Time.After(s.lastActive) {
			s.lastActive = at.Time
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	old := map[int64]string{}
	if err := eachRow(ctx, tx, `SELECT customer_id, doc FROM customer_search WHERE tenant_id = ? AND customer_id IN `+in, args, func(id int64, v string) {
		old[id] = v
	}); err != nil {
		return err
	}
	for _, id := range ids {
		prev := termsOfDoc(old[id])
		s := src[id]
		if s == nil {
			if err := deleteTerms(ctx, tx, tenantID, id, prev); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM customer_search WHERE tenant_id = ? AND customer_id = ?`, tenantID, id); err != nil {
				return err
			}
			continue
		}
		terms := searchTerms(s.in)
		var gone, added []string
		for _, t := range prev {
			if !slices.Contains(terms, t) {
				gone = append(gone, t)
			}
		}
		for _, t := range terms {
			if !slices.Contains(prev, t) {
				added = append(added, t)
			}
		}
		if err := deleteTerms(ctx, tx, tenantID, id, gone); err != nil {
			return err
		}
		if err := insertTerms(ctx, tx, tenantID, id, added); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO customer_search (tenant_id, customer_id, doc, name_key, added_at, last_active_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, customer_id) DO UPDATE SET doc = excluded.doc, name_key = excluded.name_key,
			added_at = excluded.added_at, last_active_at = excluded.last_active_at`,
			tenantID, id, docOf(terms), nameKey(s.in.Name), s.added, s.lastActive); err != nil {
			return err
		}
	}
	return nil
}

// deleteTerms and insertTerms write a customer's terms in one statement per 200 terms: one per
// term made the search rows a quarter of the cost of recording a WeCom add.
func deleteTerms(ctx context.Context, tx *store.Tx, tenantID, id int64, terms []string) error {
	for part := range slices.Chunk(terms, 200) {
		args := []any{tenantID, id}
		for _, t := range part {
			args = append(args, t)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_search_terms WHERE tenant_id = ? AND customer_id = ? AND term IN `+inList(len(part)), args...); err != nil {
			return err
		}
	}
	return nil
}

func insertTerms(ctx context.Context, tx *store.Tx, tenantID, id int64, terms []string) error {
	for part := range slices.Chunk(terms, 200) {
		args := make([]any, 0, 3*len(part))
		for _, t := range part {
			args = append(args, tenantID, t, id)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO customer_search_terms (tenant_id, term, customer_id) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(part)), ", ")+` ON CONFLICT (tenant_id, term, customer_id) DO NOTHING`, args...); err != nil {
			return err
		}
	}
	return nil
}

func eachRow(ctx context.Context, q store.Querier, query string, args []any, fn func(id int64, v string)) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			return err
		}
		fn(id, v)
	}
	return rows.Err()
}

// touchActivity moves a customer's last activity forward to at (appendEvent calls it).
func touchActivity(ctx context.Context, tx *store.Tx, tenantID, customerID int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE customer_search SET last_active_at = ? WHERE tenant_id = ? AND customer_id = ? AND last_active_at < ?`,
		at, tenantID, customerID, at)
	return err
}

// RepairSearch builds the search rows of customers that have none yet — customers from before
// search existed (the migration leaves their documents empty) or written by code that did not call
// RefreshSearch. The server runs it on start; it returns how many it built.
func (s *Service) RepairSearch(ctx context.Context) (int, error) {
	n := 0
	var after int64
	for {
		var ids []int64
		var tenants []int64
		rows, err := s.db.QueryContext(ctx, `SELECT c.tenant_id, c.id FROM customers c WHERE c.id > ? AND NOT EXISTS (SELECT 1 FROM customer_search x
			WHERE x.tenant_id = c.tenant_id AND x.customer_id = c.id AND x.doc <> '') ORDER BY c.id LIMIT 500`, after)
		if err != nil {
			return n, fmt.Errorf("customer: repair search: %w", err)
		}
		for rows.Next() {
			var t, id int64
			if err := rows.Scan(&t, &id); err != nil {
				rows.Close()
				return n, err
			}
			tenants, ids = append(tenants, t), append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
		if len(ids) == 0 {
			return n, nil
		}
		byTenant := map[int64][]int64{}
		for i, id := range ids {
			byTenant[tenants[i]] = append(byTenant[tenants[i]], id)
		}
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			for t, list := range byTenant {
				if err := RefreshSearch(ctx, tx, t, list...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += len(ids)
		after = ids[len(ids)-1]
	}
}
