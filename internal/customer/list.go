package customer

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// The customer list: filters, keyword search, sorts and keyset pagination over customer_search
// (see search.go), always inside the caller's data scope.
//
// How a page is found: every filter is a condition that can check one candidate row cheaply, and
// the selective ones (a keyword run, a tag, a staff member, a channel, a follow-up owner, a
// guide's own customers) can also list their customers from an index. Before the query, each of
// those is probed for how many customers it has, up to driveLimit. When one has fewer, the page is
// built from its customers (an index walk, then a sort of at most driveLimit rows); otherwise
// every filter matches many customers and the page is found by walking the sort order and
// checking rows until the page is full, which stops early precisely because matches are dense.

// Sorts.
const (
	SortRecent    = "recent"     // most recently recorded first (the id; the default)
	SortAddedDesc = "added_desc" // latest first add (or creation) first
	SortAddedAsc  = "added_asc"
	SortName      = "name"   // by name in pinyin order
	SortActive    = "active" // latest timeline activity first
)

// Sorts lists the sorts.
var Sorts = []string{SortRecent, SortAddedDesc, SortAddedAsc, SortName, SortActive}

// Tag modes.
const (
	TagAny  = "any"  // at least one of the tags
	TagAll  = "all"  // every one of the tags
	TagNone = "none" // none of the tags
)

const maxFilterTags = 20

// driveLimit: a filter with fewer customers than this drives the query (a variable so tests can
// force either path).
var driveLimit = 3000

// Filter narrows a customer list. The zero value lists every customer in scope, newest first.
type Filter struct {
	Query     string // keyword: name / remark substring, pinyin or initials, phone ending (≥ 4 digits)
	StaffID   int64  // related to this staff member (any relation status)
	OrgUnitID int64  // related to staff of this unit or a unit under it
	Status    string // active (some relation active) or lost (none)
	State     string // channel: first added through this live-code state
	OwnerID   int64  // follow-up owner
	TagIDs    []int64
	TagMode   string // any (default), all, none
	// AddedFrom and AddedTo bound the first add (creation for customers never added), From
	// inclusive, To exclusive; zero is open.
	AddedFrom, AddedTo time.Time
	// Fields filters on custom field values by field key: equal for single values, contains for
	// multiselect fields.
	Fields map[string]string
	Sort   string // one of Sorts; "" is recent
	Page   httpx.PageRequest
	// Cursor continues a sort other than recent (the next_cursor of the previous page); recent
	// pages continue with Page.After.
	Cursor string
}

// ListFilter is Filter under the name exports and other readers of "the customers this list
// shows" use.
type ListFilter = Filter

// TagRef is a tag shown on a list row.
type TagRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ListItem is a customer in the list.
type ListItem struct {
	Summary
	OwnerStaffID *int64    `json:"owner_staff_id" doc:"follow-up owner (跟进人), set by bulk assignment"`
	AddedAt      time.Time `json:"added_at" doc:"first add, or creation for customers never added"`
	LastActiveAt time.Time `json:"last_active_at" doc:"latest timeline event"`
	Tags         []TagRef  `json:"tags"`
}

// listQueryParams documents GET /api/v1/customers (and the exports that share its filters).
var listQueryParams = []httpx.Param{
	{Name: "q", Type: "string", Description: "keyword: part of the name or of a remark, the name's pinyin or initials (zs, zhangsan), or the last 4+ digits of a phone"},
	{Name: "staff_id", Type: "integer", Description: "related to this staff member"},
	{Name: "org_unit_id", Type: "integer", Description: "related to staff of this org unit or a unit under it"},
	{Name: "status", Type: "string", Description: "active (still connected to someone) or lost (no active relation)"},
	{Name: "state", Type: "string", Description: "channel: first added through this live-code state"},
	{Name: "owner_id", Type: "integer", Description: "follow-up owner (staff id)"},
	{Name: "tag_ids", Type: "string", Description: "comma-separated tag ids (at most 20); the parameter may also repeat"},
	{Name: "tag_mode", Type: "string", Description: "any (default), all or none of tag_ids"},
	{Name: "added_from", Type: "string", Description: "first added on or after: YYYY-MM-DD (Asia/Shanghai) or RFC 3339"},
	{Name: "added_to", Type: "string", Description: "first added up to: YYYY-MM-DD (Asia/Shanghai, inclusive) or RFC 3339 (exclusive)"},
	{Name: "field.{key}", Type: "string", Description: "custom field value: equal, or contained for multiselect fields"},
	{Name: "sort", Type: "string", Description: "recent (default), added_desc, added_asc, name (pinyin order) or active (latest activity)"},
	{Name: "limit", Type: "integer", Description: "1-500"},
	{Name: "cursor", Type: "string", Description: "next_cursor of the previous page (same sort and filters)"},
}

// chinaTime is where plain dates of the date filters are read.
var chinaTime = time.FixedZone("CST", 8*3600)

// ParseListFilter reads the list filters, sort and page from a request's query string. Exports use
// it so they select exactly what the list shows.
func ParseListFilter(r *http.Request) (ListFilter, error) {
	return parseFilter(r.URL.Query())
}

// parseFilter reads the list filters from a query string.
func parseFilter(q url.Values) (Filter, error) {
	f := Filter{Query: q.Get("q"), Status: q.Get("status"), State: q.Get("state"), Sort: q.Get("sort"),
		TagMode: q.Get("tag_mode"), Page: httpx.PageRequest{Limit: httpx.DefaultLimit}}
	var v httpx.Validator
	id := func(name string) int64 {
		s := q.Get(name)
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		v.Check(err == nil && n > 0, name, "invalid")
		return n
	}
	f.StaffID, f.OrgUnitID, f.OwnerID = id("staff_id"), id("org_unit_id"), id("owner_id")
	if f.Status != "" {
		v.OneOf("status", f.Status, "active", "lost")
	}
	if utf8Len(f.Query) > 100 {
		v.AddLimit("q", "too_long", 100)
	}
	if f.Sort == "" {
		f.Sort = SortRecent
	}
	v.OneOf("sort", f.Sort, Sorts...)
	if f.TagMode == "" {
		f.TagMode = TagAny
	}
	v.OneOf("tag_mode", f.TagMode, TagAny, TagAll, TagNone)
	for _, list := range q["tag_ids"] {
		for _, s := range strings.Split(list, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				v.Add("tag_ids", "invalid")
				continue
			}
			if !slices.Contains(f.TagIDs, n) {
				f.TagIDs = append(f.TagIDs, n)
			}
		}
	}
	if len(f.TagIDs) > maxFilterTags {
		v.Add("tag_ids", "out_of_range")
	}
	var ok bool
	if s := q.Get("added_from"); s != "" {
		f.AddedFrom, ok = parseBound(s, false)
		v.Check(ok, "added_from", "invalid")
	}
	if s := q.Get("added_to"); s != "" {
		f.AddedTo, ok = parseBound(s, true)
		v.Check(ok, "added_to", "invalid")
	}
	if !f.AddedFrom.IsZero() && !f.AddedTo.IsZero() && !f.AddedTo.After(f.AddedFrom) {
		v.Add("added_to", "invalid")
	}
	for k, vals := range q {
		key, isField := strings.CutPrefix(k, "field.")
		if !isField {
			continue
		}
		if f.Fields == nil {
			f.Fields = map[string]string{}
		}
		val := strings.TrimSpace(vals[0])
		v.Check(fieldKeyRE.MatchString(key) && val != "" && utf8Len(val) <= maxTextValue, k, "invalid")
		f.Fields[key] = val
	}
	if len(f.Fields) > 10 {
		v.Add("fields", "out_of_range")
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		v.Check(err == nil && n >= 1 && n <= httpx.MaxLimit, "limit", "out_of_range")
		f.Page.Limit = n
	}
	if c := q.Get("cursor"); c != "" {
		if f.Sort == SortRecent {
			after, ok := httpx.DecodeCursor(c)
			v.Check(ok, "cursor", "invalid")
			f.Page.After = after
		} else {
			_, err := decodeSortCursor(f.Sort, c)
			v.Check(err == nil, "cursor", "invalid")
			f.Cursor = c
		}
	}
	return f, v.Err()
}

// parseBound reads a date filter: a plain date is a day in China (the end bound takes the whole
// day), anything else must be RFC 3339.
func parseBound(s string, end bool) (time.Time, bool) {
	if d, err := time.ParseInLocation("2006-01-02", s, chinaTime); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d.UTC(), true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err == nil
}

// sortSpec is how a sort orders rows: by col (then the id), descending or not.
type sortSpec struct {
	col  string // "" for the id alone
	desc bool
	time bool // col holds times
}

var sortSpecs = map[string]sortSpec{
	SortRecent:    {desc: true},
	SortAddedDesc: {col: "s.added_at", desc: true, time: true},
	SortAddedAsc:  {col: "s.added_at", time: true},
	SortName:      {col: "s.name_key"},
	SortActive:    {col: "s.last_active_at", desc: true, time: true},
}

// sortKey is where a page of a sort ends: the sort column's value and the id.
type sortKey struct {
	id   int64
	text string
	at   time.Time
}

func encodeSortCursor(sort string, k sortKey) string {
	val := k.text
	if sortSpecs[sort].time {
		val = k.at.UTC().Format(time.RFC3339Nano)
	}
	return base64.RawURLEncoding.EncodeToString([]byte("k:" + sort + ":" + strconv.FormatInt(k.id, 10) + ":" + val))
}

func decodeSortCursor(sort, c string) (sortKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return sortKey{}, err
	}
	parts := strings.SplitN(string(b), ":", 4)
	if len(parts) != 4 || parts[0] != "k" || parts[1] != sort {
		return sortKey{}, fmt.Errorf("cursor of another sort")
	}
	var k sortKey
	if k.id, err = strconv.ParseInt(parts[2], 10, 64); err != nil || k.id <= 0 {
		return sortKey{}, fmt.Errorf("cursor id")
	}
	if sortSpecs[sort].time {
		if k.at, err = time.Parse(time.RFC3339Nano, parts[3]); err != nil {
			return sortKey{}, err
		}
		k.at = k.at.UTC()
	} else {
		k.text = parts[3]
	}
	return k, nil
}

// listQuery is a planned list query.
type listQuery struct {
	conds  []listCond
	sort   sortSpec
	driver string // the filter that drives the query, for tests and benchmarks; "" = sort order
	// walkTag, when set, walks that tag's customers in id order (newest first) instead of all
	// customers: every row must carry it, so the walk checks fewer rows for the same page.
	walkTag int64
	tenant  int64
	// driven: the rows are among ids, the driver's customers (or a chunk of them).
	driven bool
	ids    []int64
	// more: ids is a full chunk of a driver that lists its customers newest first; next(below)
	// is the candidate of its customers older than below.
	more bool
	next func(below int64) candidate
	// tagsHeld: every driver id carries the tags that must all be there (they are its
	// intersection), so their per-row checks are left out.
	tagsHeld bool
}

// Condition costs: the WHERE clause checks the cheap ones first, so the costly ones run only on
// rows that survived.
const (
	costDriver   = iota // the driving filter's id list
	costRow             // columns of the search row itself
	costCustomer        // columns of customers
	costLookup          // one index lookup per row (tags, relations, field values)
	costJoin            // several joined tables per row (data scope, org unit)
)

type listCond struct {
	sql  string
	args []any
	cost int
	tag  int64 // the tag a tags-all condition requires (true of every row of its walk)
}

func (q *listQuery) and(cost int, cond string, args ...any) {
	q.conds = append(q.conds, listCond{sql: cond, args: args, cost: cost})
}

// where is the WHERE clause, cheapest conditions first, and its arguments.
func (q *listQuery) where() (string, []any) {
	conds := slices.Clone(q.conds)
	if q.driven {
		// The driver's customers, as literal ids: its query already ran once, in the probe.
		args := make([]any, len(q.ids))
		for i, id := range q.ids {
			args[i] = id
		}
		d := listCond{sql: `1 = 0`, cost: costDriver}
		if len(args) > 0 {
			d = listCond{sql: `s.customer_id IN ` + inList(len(args)), args: args, cost: costDriver}
		}
		conds = append(conds, d)
	}
	slices.SortStableFunc(conds, func(a, b listCond) int { return a.cost - b.cost })
	parts := make([]string, 0, len(conds))
	var args []any
	for _, c := range conds {
		if q.walkTag != 0 && c.tag == q.walkTag {
			continue // the walk yields only rows with this tag
		}
		if q.tagsHeld && c.tag != 0 {
			continue // the driver is the intersection of these tags
		}
		parts = append(parts, c.sql)
		i := len(parts) - 1
		if q.walkTag != 0 && c.cost >= costLookup {
			// Lookups need only the customer id: take it from the walked tag row, so they run
			// before the search row is fetched and only survivors cost a fetch.
			parts[i] = strings.NewReplacer("s.customer_id", "w.customer_id", "s.tenant_id", "w.tenant_id").Replace(c.sql)
		}
		args = append(args, c.args...)
	}
	return strings.Join(parts, " AND "), args
}

// candidate is a filter that can list its customers from an index.
type candidate struct {
	name string
	sql  string // SELECT of customer ids
	args []any
	// ordered: sql ends with its own ORDER BY, and the probe appends LIMIT to it instead of
	// wrapping it (a wrapped compound SELECT loses SQLite's merge plan).
	ordered bool
	// below, when set, is the same candidate's customers older than an id: sql lists them
	// newest first, so the candidate can drive the recent sort a chunk at a time.
	below func(id int64) candidate
	limit int // how many customers it may have to drive; 0 is driveLimit
}

// plan turns a filter into the WHERE clause over customer_search s joined with customers c, for
// the caller, and picks the driving filter.
func (s *Service) plan(ctx context.Context, c org.Caller, f Filter, probe bool) (*listQuery, error) {
	sc := org.ScopeOf(c)
	spec, ok := sortSpecs[f.Sort]
	if f.Sort == "" {
		spec, ok = sortSpecs[SortRecent], true
	}
	if !ok {
		return nil, httpx.FieldErr("sort", "invalid")
	}
	q := &listQuery{sort: spec, tenant: c.TenantID}
	q.and(costRow, "s.tenant_id = ?", c.TenantID)
	q.and(costCustomer, "c.merged_into IS NULL")
	if cond, args := sc.CustomerFilter("s.customer_id"); cond != "1=1" {
		q.and(costJoin, cond, args...)
	}
	// A keyword run is a prefix of a term: instr/strpos on ' term term … ' (a plain substring
	// search, several times cheaper than LIKE on SQLite).
	contains := `instr(s.doc, ?) > 0`
	if s.db.Dialect() == store.Postgres {
		contains = `strpos(s.doc, ?) > 0`
	}
	// The recent sort continues below the cursor: candidates that list their customers newest
	// first start there.
	after := int64(0)
	if spec.col == "" {
		after = f.Page.After
	}
	var tagWalk []int64 // tags every row must carry
	var cands []candidate
	if sc.StaffID != 0 && !sc.All {
		cands = append(cands, candidate{name: "scope", sql: `SELECT customer_id FROM customer_staff WHERE tenant_id = ? AND staff_id = ?`, args: []any{c.TenantID, sc.StaffID}})
	}
	if kw := strings.TrimSpace(f.Query); kw != "" {
		if !sc.PersonalData {
			// Searching real names would reveal them to a role that only sees them masked.
			return nil, httpx.FieldErr("q", "not_allowed")
		}
		for _, run := range keywordRuns(kw) {
			check := contains
			cargs := []any{" " + run.text}
			drive := `SELECT customer_id FROM customer_search_terms WHERE tenant_id = ? AND term >= ? AND term < ?`
			dargs := []any{c.TenantID, run.text, prefixEnd(run.text)}
			if run.phone != "" {
				check = `(` + contains + ` OR ` + contains + `)`
				cargs = append(cargs, " "+run.phone)
				drive += ` UNION ALL SELECT customer_id FROM customer_search_terms WHERE tenant_id = ? AND term >= ? AND term < ?`
				dargs = append(dargs, c.TenantID, run.phone, prefixEnd(run.phone))
			}
			q.and(costRow, check, cargs...)
			cands = append(cands, candidate{name: "keyword " + run.text, sql: drive, args: dargs})
		}
	}
	if len(f.TagIDs) > 0 {
		ids := make([]any, len(f.TagIDs))
		for i, id := range f.TagIDs {
			ids[i] = id
		}
		in := inList(len(ids))
		switch f.TagMode {
		case TagAll:
			for _, id := range f.TagIDs {
				q.and(costLookup, `EXISTS (SELECT 1 FROM customer_tags t WHERE t.tenant_id = s.tenant_id AND t.customer_id = s.customer_id AND t.tag_id = ?)`, id)
				q.conds[len(q.conds)-1].tag = id
				tagWalk = append(tagWalk, id)
				cands = append(cands, candidate{name: fmt.Sprintf("tag %d", id), sql: `SELECT customer_id FROM customer_tags WHERE tenant_id = ? AND tag_id = ?`, args: []any{c.TenantID, id}})
			}
		case TagNone:
			q.and(costLookup, `NOT EXISTS (SELECT 1 FROM customer_tags t WHERE t.tenant_id = s.tenant_id AND t.customer_id = s.customer_id AND t.tag_id IN `+in+`)`, ids...)
		default:
			q.and(costLookup, `EXISTS (SELECT 1 FROM customer_tags t WHERE t.tenant_id = s.tenant_id AND t.customer_id = s.customer_id AND t.tag_id IN `+in+`)`, ids...)
			if len(f.TagIDs) == 1 {
				tagWalk = f.TagIDs
			}
			cands = append(cands, candidate{name: "tags", sql: `SELECT customer_id FROM customer_tags WHERE tenant_id = ? AND tag_id IN ` + in, args: append([]any{c.TenantID}, ids...)})
		}
	}
	if f.StaffID > 0 {
		q.and(costLookup, `EXISTS (SELECT 1 FROM customer_staff b WHERE b.tenant_id = s.tenant_id AND b.customer_id = s.customer_id AND b.staff_id = ?)`, f.StaffID)
		cands = append(cands, candidate{name: "staff", sql: `SELECT customer_id FROM customer_staff WHERE tenant_id = ? AND staff_id = ?`, args: []any{c.TenantID, f.StaffID}})
	}
	if f.OrgUnitID > 0 {
		path, err := s.unitPath(ctx, f.OrgUnitID)
		if err != nil {
			return nil, err
		}
		cond, args := org.Scope{TenantID: c.TenantID, OrgPath: path}.CustomerFilter("s.customer_id")
		q.and(costJoin, cond, args...)
	}
	switch f.Status {
	case "active":
		q.and(costLookup, `EXISTS (SELECT 1 FROM customer_staff d WHERE d.tenant_id = s.tenant_id AND d.customer_id = s.customer_id AND d.status = 'active')`)
	case "lost":
		q.and(costLookup, `NOT EXISTS (SELECT 1 FROM customer_staff d WHERE d.tenant_id = s.tenant_id AND d.customer_id = s.customer_id AND d.status = 'active')`)
	case "":
	default:
		return nil, httpx.FieldErr("status", "invalid")
	}
	if f.State != "" {
		q.and(costCustomer, `c.first_state = ?`, f.State)
		cands = append(cands, newestFirst("channel", `SELECT id AS customer_id FROM customers WHERE tenant_id = ? AND first_state = ?`, "id", []any{c.TenantID, f.State}, after))
	}
	if f.OwnerID > 0 {
		q.and(costCustomer, `c.owner_staff_id = ?`, f.OwnerID)
		cands = append(cands, newestFirst("owner", `SELECT id AS customer_id FROM customers WHERE tenant_id = ? AND owner_staff_id = ?`, "id", []any{c.TenantID, f.OwnerID}, after))
	}
	if !f.AddedFrom.IsZero() {
		q.and(costRow, `s.added_at >= ?`, f.AddedFrom.UTC())
	}
	if !f.AddedTo.IsZero() {
		q.and(costRow, `s.added_at < ?`, f.AddedTo.UTC())
	}
	if len(f.Fields) > 0 {
		conds, err := s.fieldConds(ctx, c.TenantID, f.Fields, sc.PersonalData)
		if err != nil {
			return nil, err
		}
		for _, fc := range conds {
			q.and(costLookup, fc.sql, fc.args...)
			cands = append(cands, candidate{name: "field", sql: fc.drive, args: fc.driveArgs})
		}
	}
	if !probe {
		return q, nil
	}
	// Tags that must all be there can each be common and still be rare together: their
	// intersection is one more candidate, tried only when nothing simpler is selective.
	// Other sorts cannot take it a chunk at a time; they take up to streamLimit chunks at once,
	// which costs less than walking their order to find rows that rare.
	if len(tagWalk) > 1 {
		cd := s.tagIntersection(c.TenantID, tagWalk, after)
		if spec.col != "" {
			cd.limit = streamLimit * driveLimit
		}
		cands = append(cands, cd)
	}
	var best []int64
	type fullCand struct {
		cd  candidate
		ids []int64
	}
	var streams []fullCand // common candidates that list their customers newest first
	for _, cd := range cands {
		if cd.name == tagsIntersected && best != nil {
			break
		}
		ids, full, err := s.probe(ctx, cd)
		if err != nil {
			return nil, err
		}
		if !full && (best == nil || len(ids) < len(best)) {
			best, q.driver = ids, cd.name
			q.tagsHeld = cd.name == tagsIntersected
		}
		if full && len(ids) > 0 && cd.below != nil {
			streams = append(streams, fullCand{cd, ids})
		}
	}
	if best == nil && spec.col == "" && streamDrivers && len(streams) > 0 {
		// Every filter matches many customers. Newest first, a candidate that lists its
		// customers in that order can still drive, a chunk of driveLimit at a time (list fetches
		// the next chunk while the page is not full): the intersection of tags, which is already
		// the product of several filters, or the least common of the others when it has fewer
		// than streamLimit×driveLimit customers — walking all customers would check many more
		// rows.
		var pick *fullCand
		for i := range streams {
			if streams[i].cd.name == tagsIntersected {
				pick = &streams[i]
			}
		}
		bestN := -1
		for i, st := range streams {
			if pick != nil && pick.cd.name == tagsIntersected {
				break
			}
			var n int
			if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+st.cd.sql+` LIMIT ?) x`, append(slices.Clone(st.cd.args), streamLimit*driveLimit)...).Scan(&n); err != nil {
				return nil, fmt.Errorf("customer: count %s: %w", st.cd.name, err)
			}
			if n < streamLimit*driveLimit && (bestN < 0 || n < bestN) {
				pick, bestN = &streams[i], n
			}
		}
		if pick != nil {
			q.driver, q.ids, q.driven, q.more, q.next = pick.cd.name+" in chunks", pick.ids, true, true, pick.cd.below
			q.tagsHeld = pick.cd.name == tagsIntersected
			return q, nil
		}
	}
	if best != nil {
		// The driver's customers, as literal ids: its query already ran once, in the probe.
		q.ids, q.driven = best, true
		return q, nil
	}
	// Every filter matches many customers. Newest first, the rows may still be sparse when one
	// tag must be there: walk that tag's customers in id order. Only on SQLite, whose planner
	// keeps the walk; PostgreSQL's plans the same query as hash joins over whole tags, which is
	// slower than its plain walk along the sort order.
	if len(tagWalk) == 1 && spec.col == "" && s.db.Dialect() == store.SQLite {
		q.walkTag, q.driver = tagWalk[0], fmt.Sprintf("walk tag %d", tagWalk[0])
	}
	return q, nil
}

// tagsIntersected names the candidate of tags that must all be there.
const tagsIntersected = "tags intersected"

// streamDrivers lets tests turn off driving a chunk at a time, to exercise the walk along the
// sort order with the same filters.
var streamDrivers = true

// streamLimit: a common candidate with fewer than streamLimit×driveLimit customers drives the
// recent sort a chunk at a time.
const streamLimit = 10

// newestFirst is a candidate whose customers come from an index on (tenant_id, …, idCol), newest
// first, below the id below (0: from the newest); it can drive a chunk at a time.
func newestFirst(name, sql, idCol string, args []any, below int64) candidate {
	cd := candidate{name: name, sql: sql, args: slices.Clone(args), ordered: true}
	if below > 0 {
		cd.sql += ` AND ` + idCol + ` < ?`
		cd.args = append(cd.args, below)
	}
	cd.sql += ` ORDER BY ` + idCol + ` DESC`
	cd.below = func(b int64) candidate { return newestFirst(name, sql, idCol, args, b) }
	return cd
}

// tagIntersection is the candidate of the customers carrying every one of tags (at least two),
// newest first and below the id below (0: from the newest). Both engines read each tag from
// customer_tags_tag, in customer order: SQLite merges the sorted lists (a compound INTERSECT
// with ORDER BY runs as a merge, no temporary b-tree), PostgreSQL semi-joins the first tag to
// the others (its INTERSECT hashes every row of every tag, several times slower).
func (s *Service) tagIntersection(tenantID int64, tags []int64, below int64) candidate {
	bound := ""
	if below > 0 {
		bound = ` AND customer_id < ?`
	}
	var parts []string
	var args []any
	if s.db.Dialect() == store.SQLite {
		for _, id := range tags {
			parts = append(parts, `SELECT customer_id FROM customer_tags WHERE tenant_id = ? AND tag_id = ?`+bound)
			args = append(args, tenantID, id)
			if below > 0 {
				args = append(args, below)
			}
		}
		return candidate{name: tagsIntersected, sql: strings.Join(parts, ` INTERSECT `) + ` ORDER BY 1 DESC`, args: args, ordered: true,
			below: func(b int64) candidate { return s.tagIntersection(tenantID, tags, b) }}
	}
	sql := `SELECT DISTINCT customer_id FROM customer_tags a WHERE tenant_id = ? AND tag_id = ?` + bound
	args = append(args, tenantID, tags[0])
	if below > 0 {
		args = append(args, below)
	}
	for _, id := range tags[1:] {
		sql += ` AND EXISTS (SELECT 1 FROM customer_tags b WHERE b.tenant_id = a.tenant_id AND b.customer_id = a.customer_id AND b.tag_id = ?)`
		args = append(args, id)
	}
	return candidate{name: tagsIntersected, sql: sql + ` ORDER BY customer_id DESC`, args: args, ordered: true,
		below: func(b int64) candidate { return s.tagIntersection(tenantID, tags, b) }}
}

// probe returns up to driveLimit (or the candidate's limit) distinct customers of a candidate, and
// whether there were that many (then the candidate is too common to drive, unless it drives a
// chunk at a time).
func (s *Service) probe(ctx context.Context, cd candidate) ([]int64, bool, error) {
	limit := driveLimit
	if cd.limit > 0 {
		limit = cd.limit
	}
	query := `SELECT x.customer_id FROM (` + cd.sql + `) x LIMIT ?`
	if cd.ordered {
		query = cd.sql + ` LIMIT ?` // its ORDER BY must stay at the top to keep SQLite's merge
	}
	rows, err := s.db.QueryContext(ctx, query, append(slices.Clone(cd.args), limit)...)
	if err != nil {
		return nil, false, fmt.Errorf("customer: probe %s: %w", cd.name, err)
	}
	defer rows.Close()
	seen := map[int64]bool{}
	out := []int64{}
	n := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, false, err
		}
		n++
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	slices.Sort(out)
	return out, n >= limit, nil
}

// unitPath returns the path of an org unit the caller may see.
func (s *Service) unitPath(ctx context.Context, id int64) (string, error) {
	units, ok := s.staff.(interface {
		GetUnit(ctx context.Context, id int64) (org.Unit, error)
	})
	if !ok {
		return "", fmt.Errorf("customer: org units are not available")
	}
	u, err := units.GetUnit(ctx, id)
	if err != nil {
		if httpx.ErrorCode(err) == httpx.NotFound {
			return "", httpx.FieldErr("org_unit_id", "not_found")
		}
		return "", err
	}
	return u.Path, nil
}

// fieldCond is the condition of one custom-field filter.
type fieldCond struct {
	sql, drive      string
	args, driveArgs []any
}

// fieldConds turns custom field filters into conditions: equal JSON value, or for multiselect
// fields an array holding the option.
// Without personal data, text and date fields may not be filtered on: profiles and exports hide
// them from such roles, and equality filters would reveal them value by value.
func (s *Service) fieldConds(ctx context.Context, tenantID int64, values map[string]string, personal bool) ([]fieldCond, error) {
	defs, err := s.fieldDefs(ctx, s.db, tenantID)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []fieldCond
	var v httpx.Validator
	for _, k := range keys {
		i := slices.IndexFunc(defs, func(f Field) bool { return f.Key == k })
		if i < 0 {
			v.Add("field."+k, "not_found")
			continue
		}
		def := defs[i]
		if !personal && (def.Type == FieldText || def.Type == FieldDate) {
			v.Add("field."+k, "not_allowed")
			continue
		}
		raw := values[k]
		var match string
		var args []any
		switch def.Type {
		case FieldMultiSelect:
			match, args = `value LIKE ? ESCAPE '\'`, []any{"%" + likeEscape(jsonString(raw)) + "%"}
		case FieldNumber:
			n, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				v.Add("field."+k, "invalid")
				continue
			}
			j, _ := numberJSON(n)
			match, args = `value = ?`, []any{j}
		case FieldDate:
			d, ok := parseDate(raw)
			if !ok {
				v.Add("field."+k, "invalid")
				continue
			}
			match, args = `value = ?`, []any{jsonString(d)}
		default:
			match, args = `value = ?`, []any{jsonString(raw)}
		}
		out = append(out, fieldCond{
			sql:       `EXISTS (SELECT 1 FROM customer_field_values fv WHERE fv.tenant_id = s.tenant_id AND fv.customer_id = s.customer_id AND fv.field_id = ? AND fv.` + match + `)`,
			args:      append([]any{def.ID}, args...),
			drive:     `SELECT customer_id FROM customer_field_values WHERE tenant_id = ? AND field_id = ? AND ` + match,
			driveArgs: append([]any{tenantID, def.ID}, args...),
		})
	}
	return out, v.Err()
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// run selects one page: rows matching q after the cursor, in the sort's order.
func (s *Service) runList(ctx context.Context, q *listQuery, cols string, f Filter, limit int) (*sql.Rows, error) {
	where, args := q.where()
	dir, op := "ASC", ">"
	if q.sort.desc {
		dir, op = "DESC", "<"
	}
	if q.sort.col == "" {
		if f.Page.After > 0 {
			idCol := "s.customer_id"
			if q.walkTag != 0 {
				idCol = "w.customer_id" // on the walked index
			}
			where += ` AND ` + idCol + ` ` + op + ` ?`
			args = append(args, f.Page.After)
		}
	}
	// The sort column and the id as ORDER BY and the cursor see them. When a driver's ids are the
	// candidates, both engines would otherwise rather walk the sort column's index in order and
	// test every row against the id list (a few thousand ids checked against most of the tenant:
	// seconds) than look the ids up and sort them; an expression that is not the column rules the
	// index out. SQLite's recent sort is left alone: it already runs down the id list in order and
	// stops at the page.
	sortCol, idCol := q.sort.col, "s.customer_id"
	if q.driven {
		switch {
		case s.db.Dialect() == store.SQLite:
			if sortCol != "" {
				sortCol = "+" + sortCol
			}
		case sortCol == "":
			idCol = "(s.customer_id + 0)"
		case q.sort.time:
			sortCol = "(" + sortCol + " + interval '0 seconds')"
		default:
			sortCol = "(" + sortCol + " || '')"
		}
	}
	if q.sort.col != "" && f.Cursor != "" {
		k, err := decodeSortCursor(f.Sort, f.Cursor)
		if err != nil {
			return nil, httpx.FieldErr("cursor", "invalid")
		}
		var v any = k.text
		if q.sort.time {
			v = k.at
		}
		where += ` AND (` + sortCol + ` ` + op + ` ? OR (` + sortCol + ` = ? AND s.customer_id ` + op + ` ?))`
		args = append(args, v, v, k.id)
	}
	order := idCol + ` ` + dir
	if q.sort.col != "" {
		order = sortCol + ` ` + dir + `, ` + order
	}
	from := `customer_search s JOIN customers c ON c.tenant_id = s.tenant_id AND c.id = s.customer_id`
	if q.walkTag != 0 {
		// CROSS JOIN keeps the tag's index as the outer loop on SQLite (PostgreSQL plans freely);
		// a customer with the tag on two relations is taken once, from the first.
		from = `customer_tags w CROSS JOIN customer_search s JOIN customers c ON c.tenant_id = s.tenant_id AND c.id = s.customer_id`
		if s.db.Dialect() == store.SQLite {
			// The primary key also yields customer-id order, so SQLite's planner may walk every
			// tag of the tenant instead of this one's.
			from = `customer_tags w INDEXED BY customer_tags_tag CROSS JOIN customer_search s JOIN customers c ON c.tenant_id = s.tenant_id AND c.id = s.customer_id`
		}
		where = `w.tenant_id = ? AND w.tag_id = ? AND s.tenant_id = w.tenant_id AND s.customer_id = w.customer_id AND ` + where +
			` AND w.wecom_userid = (SELECT MIN(x.wecom_userid) FROM customer_tags x WHERE x.tenant_id = w.tenant_id AND x.customer_id = w.customer_id AND x.tag_id = w.tag_id)`
		args = append([]any{q.tenant, q.walkTag}, args...)
		order = `w.customer_id ` + dir
	}
	args = append(args, limit)
	return s.db.QueryContext(ctx, `SELECT `+cols+` FROM `+from+` WHERE `+where+` ORDER BY `+order+` LIMIT ?`, args...)
}

// List returns a page of customers in the caller's scope that match f, in f's sort.
func (s *Service) List(ctx context.Context, f Filter) (httpx.Page[ListItem], error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return httpx.Page[ListItem]{}, err
	}
	page, _, err := s.list(ctx, c, f)
	return page, err
}

// ListWithPlan is List that also says which filter drove the query ("" when the page was found
// along the sort order), for benchmarks and tests of the planner.
func (s *Service) ListWithPlan(ctx context.Context, f Filter) (httpx.Page[ListItem], string, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return httpx.Page[ListItem]{}, "", err
	}
	return s.list(ctx, c, f)
}

func (s *Service) list(ctx context.Context, c org.Caller, f Filter) (httpx.Page[ListItem], string, error) {
	if f.Page.Limit <= 0 {
		f.Page.Limit = httpx.DefaultLimit
	}
	q, err := s.plan(ctx, c, f, true)
	if err != nil {
		return httpx.Page[ListItem]{}, "", err
	}
	sc := org.ScopeOf(c)
	var items []ListItem
	var keys []string
	for {
		rows, err := s.runList(ctx, q, `c.id, c.name, c.gender, c.avatar, c.first_added_at, c.first_state, c.created_at,
		NOT EXISTS (SELECT 1 FROM customer_staff a WHERE a.tenant_id = c.tenant_id AND a.customer_id = c.id AND a.status = 'active'),
		c.owner_staff_id, s.added_at, s.last_active_at, s.name_key`, f, f.Page.Limit+1-len(items))
		if err != nil {
			return httpx.Page[ListItem]{}, "", fmt.Errorf("customer: list: %w", err)
		}
		if items, keys, err = scanListRows(rows, sc, items, keys); err != nil {
			return httpx.Page[ListItem]{}, "", err
		}
		if !q.more || len(items) > f.Page.Limit {
			break
		}
		// The chunk did not fill the page: the driver's next customers, older than this chunk's
		// (ids are ascending). Rows of later chunks come after every row so far in the order.
		cd := q.next(q.ids[0])
		if q.ids, q.more, err = s.probe(ctx, cd); err != nil {
			return httpx.Page[ListItem]{}, "", err
		}
		if len(q.ids) == 0 {
			break
		}
	}
	page := httpx.Page[ListItem]{Items: items}
	if page.Items == nil {
		page.Items = []ListItem{}
	}
	if len(items) > f.Page.Limit {
		page.Items = items[:f.Page.Limit]
		last := page.Items[len(page.Items)-1]
		switch f.Sort {
		case SortRecent, "":
			page.NextCursor = httpx.EncodeCursor(last.ID)
		case SortName:
			page.NextCursor = encodeSortCursor(f.Sort, sortKey{id: last.ID, text: keys[f.Page.Limit-1]})
		case SortActive:
			page.NextCursor = encodeSortCursor(f.Sort, sortKey{id: last.ID, at: last.LastActiveAt})
		default:
			page.NextCursor = encodeSortCursor(f.Sort, sortKey{id: last.ID, at: last.AddedAt})
		}
	}
	if err := s.fillListDetails(ctx, c.TenantID, page.Items); err != nil {
		return httpx.Page[ListItem]{}, "", err
	}
	return page, q.driver, nil
}

// scanListRows appends the rows of runList to items and their name keys to keys, masking names
// the caller may not see.
func scanListRows(rows *sql.Rows, sc org.Scope, items []ListItem, keys []string) ([]ListItem, []string, error) {
	defer rows.Close()
	for rows.Next() {
		var m ListItem
		var first sql.NullTime
		var owner sql.NullInt64
		var key string
		if err := rows.Scan(&m.ID, &m.Name, &m.Gender, &m.Avatar, &first, &m.FirstState, &m.CreatedAt, &m.Lost,
			&owner, &m.AddedAt, &m.LastActiveAt, &key); err != nil {
			return items, keys, err
		}
		if first.Valid {
			m.FirstAddedAt = &first.Time
		}
		if owner.Valid {
			m.OwnerStaffID = &owner.Int64
		}
		if !sc.PersonalData {
			m.Name, m.Avatar = org.MaskName(m.Name), ""
		}
		items = append(items, m)
		keys = append(keys, key)
	}
	return items, keys, rows.Err()
}

// fillListDetails adds each row's active staff names and tags, one query each for the page.
func (s *Service) fillListDetails(ctx context.Context, tenantID int64, items []ListItem) error {
	if len(items) == 0 {
		return nil
	}
	args := []any{tenantID}
	idx := map[int64]int{}
	for i, m := range items {
		args = append(args, m.ID)
		idx[m.ID] = i
		items[i].Staff, items[i].Tags = []string{}, []TagRef{}
	}
	in := inList(len(items))
	rows, err := s.db.QueryContext(ctx, `SELECT cs.customer_id, COALESCE(st.name, cs.wecom_userid) FROM customer_staff cs
		LEFT JOIN staff st ON st.tenant_id = cs.tenant_id AND st.id = cs.staff_id
		WHERE cs.tenant_id = ? AND cs.status = 'active' AND cs.customer_id IN `+in+` ORDER BY cs.added_at`, args...)
	if err != nil {
		return fmt.Errorf("customer: staff names: %w", err)
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return err
		}
		items[idx[id]].Staff = append(items[idx[id]].Staff, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT DISTINCT ct.customer_id, t.id, t.name, t.sort FROM customer_tags ct
		JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id
		WHERE ct.tenant_id = ? AND t.deleted = FALSE AND ct.customer_id IN `+in+` ORDER BY ct.customer_id, t.sort DESC, t.id`, args...)
	if err != nil {
		return fmt.Errorf("customer: list tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t TagRef
		var sort int
		if err := rows.Scan(&id, &t.ID, &t.Name, &sort); err != nil {
			return err
		}
		items[idx[id]].Tags = append(items[idx[id]].Tags, t)
	}
	return rows.Err()
}

// QueryIDs returns the ids of the customers the list shows for f (from the start, in f's sort, the
// cursor ignored), at most max. Exports and bulk actions use it to act on exactly what the caller
// sees.
func (s *Service) QueryIDs(ctx context.Context, f ListFilter, max int) ([]int64, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	f.Page.After, f.Cursor = 0, ""
	var out []int64
	for len(out) < max {
		f.Page.Limit = min(httpx.MaxLimit, max-len(out))
		page, _, err := s.list(ctx, c, f)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Items {
			out = append(out, m.ID)
		}
		if page.NextCursor == "" {
			break
		}
		if f.Sort == SortRecent || f.Sort == "" {
			f.Page.After, _ = httpx.DecodeCursor(page.NextCursor)
		} else {
			f.Cursor = page.NextCursor
		}
	}
	return out, nil
}

// filterSQL is the WHERE clause (on customers c) of the customers f selects for the caller:
// tenant, data scope and every filter except paging and the keyword's index path. Readers that
// walk customers themselves (exports) use it.
func (s *Service) filterSQL(ctx context.Context, c org.Caller, f Filter) (string, []any, error) {
	f.Sort = SortRecent
	q, err := s.plan(ctx, c, f, false)
	if err != nil {
		return "", nil, err
	}
	where, args := q.where()
	return `c.id IN (SELECT s.customer_id FROM customer_search s JOIN customers c ON c.tenant_id = s.tenant_id AND c.id = s.customer_id WHERE ` +
		where + `)`, args, nil
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) error {
	f, err := ParseListFilter(r)
	if err != nil {
		return err
	}
	out, err := s.List(r.Context(), f)
	return httpx.Reply(w, http.StatusOK, out, err)
}
