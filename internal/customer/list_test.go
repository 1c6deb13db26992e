package customer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

type listWeCom struct{}

func (listWeCom) Client(context.Context, int64) (*wecom.Client, error) {
	return nil, fmt.Errorf("no WeCom in this test")
}
func (listWeCom) Settings(context.Context, int64) (org.WeComSecrets, error) {
	return org.WeComSecrets{}, fmt.Errorf("no WeCom in this test")
}

// listWorld is a tenant with two stores, three guides, a tag library and six customers whose
// names, remarks, phones, tags, channels and dates exercise every filter; plus a second tenant
// with a look-alike customer that must never show.
type listWorld struct {
	svc              *Service
	orgs             *org.Service
	tenant           org.Tenant
	unitA, unitB     org.Unit
	g1, g2, g3       int64 // staff ids
	t1, t2, t3       int64 // tag ids
	ids              map[string]int64
	added            map[int64]time.Time
	names            map[int64]string
	owner            context.Context
	otherTenantCusto int64
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t.Add(4 * time.Hour)
}

func buildListWorld(t *testing.T, db *store.DB) *listWorld {
	t.Helper()
	ctx := context.Background()
	box, _ := seal.New(bytes.Repeat([]byte{3}, 32))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	orgs := org.NewService(db, box, log, org.Options{})
	w := &listWorld{orgs: orgs, ids: map[string]int64{}, added: map[int64]time.Time{}, names: map[int64]string{}}
	w.svc = New(db, listWeCom{}, orgs, log)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	w.tenant, err = orgs.CreateTenant(ctx, fmt.Sprintf("ls%d", time.Now().UnixNano()%1e9), "列表")
	must(err)
	w.owner = org.WithCaller(ctx, org.Caller{TenantID: w.tenant.ID, TenantSlug: w.tenant.Slug, Role: org.Owner})
	units, err := orgs.ListUnits(w.owner)
	must(err)
	w.unitA, err = orgs.CreateUnit(w.owner, org.UnitInput{ParentID: units[0].ID, Name: "A店", Kind: org.KindStore})
	must(err)
	w.unitB, err = orgs.CreateUnit(w.owner, org.UnitInput{ParentID: units[0].ID, Name: "B店", Kind: org.KindStore})
	must(err)
	for _, s := range []struct {
		user string
		unit int64
		id   *int64
	}{{"g1", w.unitA.ID, &w.g1}, {"g2", w.unitA.ID, &w.g2}, {"g3", w.unitB.ID, &w.g3}} {
		st, err := orgs.CreateStaff(w.owner, org.StaffInput{Name: "导购" + s.user, WeComUserID: s.user, OrgUnitID: s.unit})
		must(err)
		*s.id = st.ID
	}
	_, err = w.svc.ApplyTags(ctx, w.tenant.ID, []wecom.TagGroup{{GroupID: "G", GroupName: "等级",
		Tag: []wecom.CorpTag{{ID: "T1", Name: "金卡"}, {ID: "T2", Name: "银卡"}, {ID: "T3", Name: "铜卡"}}}})
	must(err)
	lib := map[string]int64{}
	must(eachRow(ctx, db, `SELECT id, wecom_tag_id FROM tags WHERE tenant_id = ?`, []any{w.tenant.ID}, func(id int64, v string) { lib[v] = id }))
	w.t1, w.t2, w.t3 = lib["T1"], lib["T2"], lib["T3"]
	type rel struct {
		user, state, remark string
		tags                []string
	}
	apply := func(key, name, date string, rels ...rel) {
		t.Helper()
		at := day(date)
		var follows []Follow
		for i, r := range rels {
			follows = append(follows, Follow{UserID: r.user, State: r.state, Remark: r.remark, TagIDs: r.tags,
				CreateTime: at.Add(time.Duration(i) * time.Hour).Unix()})
		}
		a, err := w.svc.ApplyContact(ctx, w.tenant.ID, wecom.ExternalContact{ExternalUserID: "wm" + key, Name: name}, follows)
		must(err)
		w.ids[key], w.added[a.CustomerID], w.names[a.CustomerID] = a.CustomerID, at, name
	}
	apply("zsf", "张三丰", "2026-01-05", rel{"g1", "poster", "老客户 南京路", []string{"T1", "T2"}})
	apply("zs", "张三", "2026-02-01", rel{"g2", "store", "", []string{"T1"}})
	apply("ls", "李四", "2026-03-01", rel{"g1", "poster", "", []string{"T3"}})
	apply("wff", "王芳芳", "2025-12-31", rel{"g1", "", "", []string{"T2"}}, rel{"g2", "", "VIP宝妈", []string{"T3"}})
	apply("lily", "Lily Chen", "2026-03-10", rel{"g2", "", "", nil})
	apply("oy", "欧阳娜娜", "2026-01-20", rel{"g3", "douyin", "", []string{"T1"}})
	// 李四 deleted their guide (lost); two phones through identities, then a refresh.
	must(db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE customer_staff SET status = 'lost' WHERE tenant_id = ? AND customer_id = ?`, w.tenant.ID, w.ids["ls"]); err != nil {
			return err
		}
		for key, phone := range map[string]string{"zsf": "+8613812345678", "wff": "+8613900005678"} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO customer_identities (tenant_id, kind, value, customer_id, created_at) VALUES (?, 'phone', ?, ?, ?)`,
				w.tenant.ID, phone, w.ids[key], time.Now().UTC()); err != nil {
				return err
			}
		}
		return RefreshSearch(ctx, tx, w.tenant.ID, w.ids["zsf"], w.ids["wff"])
	}))
	// Another tenant with the same WeCom ids and a look-alike customer.
	other, err := orgs.CreateTenant(ctx, fmt.Sprintf("lo%d", time.Now().UnixNano()%1e9), "别家")
	must(err)
	a, err := w.svc.ApplyContact(ctx, other.ID, wecom.ExternalContact{ExternalUserID: "wmzs", Name: "张三"}, []Follow{{UserID: "g1", State: "poster"}})
	must(err)
	w.otherTenantCusto = a.CustomerID
	return w
}

func (w *listWorld) keys(keys ...string) []int64 {
	out := []int64{}
	for _, k := range keys {
		out = append(out, w.ids[k])
	}
	return out
}

// collect lists every page of f (limit 2, so cursors are exercised) and returns the ids in order.
func collect(t *testing.T, svc *Service, ctx context.Context, f Filter) ([]int64, error) {
	t.Helper()
	var out []int64
	f.Page.Limit = 2
	for range 20 {
		page, err := svc.List(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Items {
			out = append(out, m.ID)
		}
		if page.NextCursor == "" {
			return out, nil
		}
		// The cursor round-trips through the query string, as a client sends it.
		q := fmt.Sprintf("/api/v1/customers?limit=2&cursor=%s", page.NextCursor)
		if f.Sort != "" {
			q += "&sort=" + f.Sort
		}
		next, err := ParseListFilter(httptest.NewRequest("GET", q, nil))
		if err != nil {
			t.Fatalf("cursor %q does not parse: %v", page.NextCursor, err)
		}
		f.Page, f.Cursor = next.Page, next.Cursor
	}
	t.Fatal("more than 20 pages")
	return nil, nil
}

// expectedOrder sorts ids the way sort must: by its key, then the id.
func (w *listWorld) expectedOrder(sortName string, ids []int64) []int64 {
	out := slices.Clone(ids)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch sortName {
		case SortAddedDesc, SortActive:
			if !w.added[a].Equal(w.added[b]) {
				return w.added[a].After(w.added[b])
			}
			return a > b
		case SortAddedAsc:
			if !w.added[a].Equal(w.added[b]) {
				return w.added[a].Before(w.added[b])
			}
			return a < b
		case SortName:
			ka, kb := nameKey(w.names[a]), nameKey(w.names[b])
			if ka != kb {
				return ka < kb
			}
			return a < b
		default:
			return a > b
		}
	})
	return out
}

// TestListFilters checks every filter against the customers it must find, under every sort, with
// two-row pages, along every query path (driven by a filter's index, walking the sort order, and
// driven a chunk of one customer at a time by a filter that lists its customers newest first).
func TestListFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := buildListWorld(t, db)
		cases := []struct {
			name string
			f    Filter
			want []string
		}{
			{"everyone", Filter{}, []string{"zsf", "zs", "ls", "wff", "lily", "oy"}},
			{"name substring", Filter{Query: "张三"}, []string{"zsf", "zs"}},
			{"middle of a name", Filter{Query: "三"}, []string{"zsf", "zs"}},
			{"pinyin initials", Filter{Query: "zs"}, []string{"zsf", "zs"}},
			{"full pinyin", Filter{Query: "zhangsan"}, []string{"zsf", "zs"}},
			{"pinyin from the second syllable", Filter{Query: "sanfeng"}, []string{"zsf"}},
			{"initials of a compound surname", Filter{Query: "oynn"}, []string{"oy"}},
			{"pinyin, upper case", Filter{Query: "OuYang"}, []string{"oy"}},
			{"relation remark", Filter{Query: "南京"}, []string{"zsf"}},
			{"second relation's remark, any case", Filter{Query: "vip"}, []string{"wff"}},
			{"latin name", Filter{Query: "chen"}, []string{"lily"}},
			{"phone last 4", Filter{Query: "5678"}, []string{"zsf", "wff"}},
			{"phone last 6", Filter{Query: "345678"}, []string{"zsf"}},
			{"phone middle digits do not match", Filter{Query: "1234"}, nil},
			{"two words: both must match", Filter{Query: "张 老客户"}, []string{"zsf"}},
			{"two words, one misses", Filter{Query: "芳 zs"}, nil},
			{"nothing", Filter{Query: "不存在"}, nil},
			{"tag any", Filter{TagIDs: []int64{w.t1}}, []string{"zsf", "zs", "oy"}},
			{"tags any of two", Filter{TagIDs: []int64{w.t2, w.t3}, TagMode: TagAny}, []string{"zsf", "ls", "wff"}},
			{"tags all", Filter{TagIDs: []int64{w.t1, w.t2}, TagMode: TagAll}, []string{"zsf"}},
			{"tags all, across relations", Filter{TagIDs: []int64{w.t2, w.t3}, TagMode: TagAll}, []string{"wff"}},
			{"tags none", Filter{TagIDs: []int64{w.t1}, TagMode: TagNone}, []string{"ls", "wff", "lily"}},
			{"staff", Filter{StaffID: w.g2}, []string{"zs", "wff", "lily"}},
			{"org unit", Filter{OrgUnitID: w.unitB.ID}, []string{"oy"}},
			{"active", Filter{Status: "active"}, []string{"zsf", "zs", "wff", "lily", "oy"}},
			{"lost", Filter{Status: "lost"}, []string{"ls"}},
			{"channel", Filter{State: "poster"}, []string{"zsf", "ls"}},
			{"added range", Filter{AddedFrom: day("2026-01-01"), AddedTo: day("2026-02-28")}, []string{"zsf", "zs", "oy"}},
			{"tags + keyword + status", Filter{TagIDs: []int64{w.t1}, Query: "张", Status: "active"}, []string{"zsf", "zs"}},
			{"three tags any + keyword", Filter{TagIDs: []int64{w.t1, w.t2, w.t3}, Query: "zhang"}, []string{"zsf", "zs"}},
			{"tags none + keyword", Filter{TagIDs: []int64{w.t1}, TagMode: TagNone, Query: "li"}, []string{"ls", "lily"}},
		}
		defer func(v int, st bool) { driveLimit, streamDrivers = v, st }(driveLimit, streamDrivers)
		for _, path := range []struct {
			name   string
			limit  int
			stream bool
		}{{"driven", 1 << 30, true}, {"sort order", 0, false}, {"in chunks", 1, true}} {
			driveLimit, streamDrivers = path.limit, path.stream
			for _, tc := range cases {
				for _, s := range Sorts {
					f := tc.f
					f.Sort = s
					got, err := collect(t, w.svc, w.owner, f)
					if err != nil {
						t.Fatalf("%s / %s / %s: %v", path.name, tc.name, s, err)
					}
					want := w.expectedOrder(s, w.keys(tc.want...))
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%s / %s / sort %s: got %v, want %v", path.name, tc.name, s, got, want)
					}
				}
			}
		}
		// A common tag: the walk goes along its customers (SQLite).
		driveLimit, streamDrivers = 0, true
		wantWalk := db.Dialect() == store.SQLite
		if _, driver, err := w.svc.ListWithPlan(w.owner, Filter{TagIDs: []int64{w.t1}, TagMode: TagAll, Page: httpx.PageRequest{Limit: 10}}); err != nil ||
			strings.HasPrefix(driver, "walk tag") != wantWalk {
			t.Errorf("dense tag driven by %q (%v), want a tag walk: %v", driver, err, wantWalk)
		}
		// Common tags that must all be there, common together too: their intersection drives the
		// recent sort a chunk at a time; other sorts take up to streamLimit chunks of it at once.
		driveLimit = 1
		if _, driver, err := w.svc.ListWithPlan(w.owner, Filter{TagIDs: []int64{w.t1, w.t2}, TagMode: TagAll, Page: httpx.PageRequest{Limit: 10}}); err != nil ||
			driver != "tags intersected in chunks" {
			t.Errorf("dense tags-all driven by %q (%v), want their intersection in chunks", driver, err)
		}
		if _, driver, err := w.svc.ListWithPlan(w.owner, Filter{TagIDs: []int64{w.t1, w.t2}, TagMode: TagAll, Sort: SortName, Page: httpx.PageRequest{Limit: 10}}); err != nil ||
			driver != "tags intersected" {
			t.Errorf("dense tags-all sorted by name driven by %q (%v), want their intersection at once", driver, err)
		}
		// A common channel with fewer than streamLimit chunks of customers drives in chunks too.
		if _, driver, err := w.svc.ListWithPlan(w.owner, Filter{State: "poster", Status: "lost", Page: httpx.PageRequest{Limit: 10}}); err != nil ||
			driver != "channel in chunks" {
			t.Errorf("common channel driven by %q (%v), want the channel in chunks", driver, err)
		}
		// Tags common alone but rare together drive the query by their intersection.
		driveLimit = 2
		if _, driver, err := w.svc.ListWithPlan(w.owner, Filter{TagIDs: []int64{w.t2, w.t3}, TagMode: TagAll, Page: httpx.PageRequest{Limit: 10}}); err != nil ||
			driver != "tags intersected" {
			t.Errorf("rare pair of common tags driven by %q (%v), want their intersection", driver, err)
		}
		// The planner picks a selective filter when there is one, and the sort order otherwise.
		driveLimit = 3000
		if _, driver, err := w.svc.ListWithPlan(w.owner, Filter{Query: "5678", Page: httpx.PageRequest{Limit: 10}}); err != nil || !strings.HasPrefix(driver, "keyword") {
			t.Errorf("phone search driven by %q (%v), want the keyword", driver, err)
		}
		if _, driver, err := w.svc.ListWithPlan(w.owner, Filter{Page: httpx.PageRequest{Limit: 10}}); err != nil || driver != "" {
			t.Errorf("unfiltered list driven by %q (%v), want the sort order", driver, err)
		}
	})
}

// TestListScopes: guides see their own customers, managers their subtree, analysts masked names
// and no keyword search; a unit outside the caller's scope is not found.
func TestListScopes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := buildListWorld(t, db)
		ctx := context.Background()
		caller := func(role org.Role, staff int64, unit org.Unit) context.Context {
			return org.WithCaller(ctx, org.Caller{TenantID: w.tenant.ID, TenantSlug: w.tenant.Slug, Role: role, StaffID: staff,
				OrgUnitID: unit.ID, OrgPath: unit.Path})
		}
		guide := caller(org.Guide, w.g1, w.unitA)
		manager := caller(org.Manager, 0, w.unitB)
		analyst := caller(org.Analyst, 0, org.Unit{})
		for _, tc := range []struct {
			name string
			ctx  context.Context
			f    Filter
			want []string
		}{
			{"guide", guide, Filter{}, []string{"zsf", "ls", "wff"}},
			{"guide + keyword", guide, Filter{Query: "zs"}, []string{"zsf"}},
			{"guide + tags", guide, Filter{TagIDs: []int64{w.t3}}, []string{"ls", "wff"}},
			{"manager", manager, Filter{}, []string{"oy"}},
			{"manager + keyword outside", manager, Filter{Query: "张"}, nil},
			{"analyst", analyst, Filter{TagIDs: []int64{w.t1}}, []string{"zsf", "zs", "oy"}},
		} {
			got, err := collect(t, w.svc, tc.ctx, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if want := w.expectedOrder(SortRecent, w.keys(tc.want...)); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, want)
			}
		}
		page, err := w.svc.List(analyst, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Items {
			if m.Name != org.MaskName(w.names[m.ID]) {
				t.Errorf("analyst sees %q", m.Name)
			}
		}
		if _, err := w.svc.List(analyst, Filter{Query: "张"}); httpx.ErrorCode(err) != httpx.Invalid {
			t.Errorf("analyst keyword search: %v, want invalid", err)
		}
		if _, err := w.svc.List(guide, Filter{OrgUnitID: w.unitB.ID}); httpx.ErrorCode(err) != httpx.Invalid {
			t.Errorf("guide filtering another store: %v, want invalid (not_found)", err)
		}
	})
}

// TestRefreshSearch: renaming a customer replaces their terms; a deleted customer loses the row;
// RepairSearch builds rows that are missing; the latest activity follows the timeline.
func TestRefreshSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := buildListWorld(t, db)
		ctx := context.Background()
		find := func(q string) []int64 {
			t.Helper()
			got, err := collect(t, w.svc, w.owner, Filter{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if _, err := w.svc.ApplyContact(ctx, w.tenant.ID, wecom.ExternalContact{ExternalUserID: "wmzs", Name: "张小三"},
			[]Follow{{UserID: "g2", State: "store", CreateTime: day("2026-02-01").Unix()}}); err != nil {
			t.Fatal(err)
		}
		if got := find("zs"); fmt.Sprint(got) != fmt.Sprint(w.keys("zsf")) {
			t.Errorf("old initials still find the renamed customer: %v", got)
		}
		if got := find("xiaosan"); fmt.Sprint(got) != fmt.Sprint(w.keys("zs")) {
			t.Errorf("new pinyin: %v", got)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_search_terms WHERE tenant_id = ? AND customer_id = ? AND term = ?`,
			w.tenant.ID, w.ids["zs"], "zs").Scan(&n); err != nil || n != 0 {
			t.Errorf("stale term left: %d %v", n, err)
		}
		// An event moves the latest activity forward.
		later := day("2026-06-01")
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return appendEvent(ctx, tx, w.tenant.ID, w.ids["oy"], EventTagged, "g3", "{}", "t-later", later, later)
		}); err != nil {
			t.Fatal(err)
		}
		page, err := w.svc.List(w.owner, Filter{Sort: SortActive, Page: httpx.PageRequest{Limit: 1}})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != w.ids["oy"] || !page.Items[0].LastActiveAt.Equal(later) {
			t.Errorf("latest activity: %+v %v", page.Items, err)
		}
		// Rows lost (written by code that did not refresh) are rebuilt by RepairSearch.
		if _, err := db.ExecContext(ctx, `DELETE FROM customer_search WHERE tenant_id = ? AND customer_id = ?`, w.tenant.ID, w.ids["lily"]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE customer_search SET doc = '' WHERE tenant_id = ? AND customer_id = ?`, w.tenant.ID, w.ids["oy"]); err != nil {
			t.Fatal(err)
		}
		if got := find("lily"); len(got) != 0 {
			t.Errorf("a customer without a search row is listed: %v", got)
		}
		fixed, err := w.svc.RepairSearch(ctx)
		if err != nil || fixed != 2 {
			t.Errorf("repair: %d %v, want 2", fixed, err)
		}
		if got := find("lily"); fmt.Sprint(got) != fmt.Sprint(w.keys("lily")) {
			t.Errorf("after repair: %v", got)
		}
		if got := find("ouyang"); fmt.Sprint(got) != fmt.Sprint(w.keys("oy")) {
			t.Errorf("after repair: %v", got)
		}
		if fixed, err := w.svc.RepairSearch(ctx); err != nil || fixed != 0 {
			t.Errorf("second repair: %d %v, want 0", fixed, err)
		}
	})
}

// TestParseListFilter: every parameter is read, bad ones are named, old clients keep working.
func TestParseListFilter(t *testing.T) {
	f, err := ParseListFilter(httptest.NewRequest("GET", "/api/v1/customers?q=%E5%BC%A0&staff_id=3&org_unit_id=4&status=lost&state=poster&owner_id=5"+
		"&tag_ids=1,2&tag_ids=3&tag_mode=all&added_from=2026-01-01&added_to=2026-01-31&sort=name&limit=20&field.level=gold", nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Filter{Query: "张", StaffID: 3, OrgUnitID: 4, Status: "lost", State: "poster", OwnerID: 5, TagIDs: []int64{1, 2, 3}, TagMode: TagAll,
		AddedFrom: time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC), AddedTo: time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC),
		Fields: map[string]string{"level": "gold"}, Sort: SortName, Page: httpx.PageRequest{Limit: 20}}
	if fmt.Sprintf("%+v", f) != fmt.Sprintf("%+v", want) {
		t.Errorf("got  %+v\nwant %+v", f, want)
	}
	old, err := ParseListFilter(httptest.NewRequest("GET", "/api/v1/customers?cursor="+httpx.EncodeCursor(42), nil))
	if err != nil || old.Page.After != 42 || old.Sort != SortRecent {
		t.Errorf("an id cursor: %+v %v", old, err)
	}
	_, err = ParseListFilter(httptest.NewRequest("GET", "/api/v1/customers?staff_id=x&status=gone&tag_ids=1,a&tag_mode=some&added_from=yesterday"+
		"&sort=random&limit=0&field.BAD=1", nil))
	e := httpx.AsError(err)
	var fields []string
	for k := range e.Fields {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	if want := "[added_from field.BAD limit sort staff_id status tag_ids tag_mode]"; fmt.Sprint(fields) != want {
		t.Errorf("bad input names %v, want %s", fields, want)
	}
	// A cursor of one sort is refused by another.
	c := encodeSortCursor(SortName, sortKey{id: 3, text: "zhang"})
	if _, err := ParseListFilter(httptest.NewRequest("GET", "/api/v1/customers?sort=added_desc&cursor="+c, nil)); err == nil {
		t.Error("a name cursor accepted for the added sort")
	}
}

// TestSearchTerms pins what a customer is found by.
func TestSearchTerms(t *testing.T) {
	got := searchTerms(SearchInput{Name: "张三丰", Remarks: []string{"VIP-宝妈"}, Phones: []string{"+8613812345678"}})
	want := []string{"张三丰", "三丰", "丰", "zhangsanfeng", "zsf", "sanfeng", "sf", "feng", "f", "vip", "ip", "p", "宝妈", "妈", "#8765432183168"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("terms %v\nwant  %v", got, want)
	}
	if k := nameKey("张三"); !strings.HasPrefix(k, "zhangsan ") {
		t.Errorf("name key %q", k)
	}
	if !(nameKey("李四") < nameKey("张三")) || nameKey("") != "~" {
		t.Errorf("pinyin order")
	}
}

// TestListCustomFields: custom field filters (equal, number, multiselect contains), and the
// customer remark written through the profile is searchable at once.
func TestListCustomFields(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := buildListWorld(t, db)
		for _, in := range []FieldInput{
			{Key: "level", Label: "等级", Type: FieldSelect, Options: []string{"金", "银"}},
			{Key: "visits", Label: "到店次数", Type: FieldNumber},
			{Key: "likes", Label: "喜好", Type: FieldMultiSelect, Options: []string{"口红", "面霜", "香水"}},
		} {
			if _, err := w.svc.CreateField(w.owner, in); err != nil {
				t.Fatal(err)
			}
		}
		set := func(key string, fields map[string]string, remark string) {
			t.Helper()
			raw := map[string]json.RawMessage{}
			for k, v := range fields {
				raw[k] = json.RawMessage(v)
			}
			in := ProfileInput{Fields: raw}
			if remark != "" {
				in.Remark = &remark
			}
			if _, err := w.svc.SetProfile(w.owner, w.ids[key], in); err != nil {
				t.Fatal(err)
			}
		}
		set("zsf", map[string]string{"level": `"金"`, "visits": `3`, "likes": `["口红","香水"]`}, "")
		set("zs", map[string]string{"level": `"银"`, "visits": `3.0`, "likes": `["面霜"]`}, "喜欢周末到店")
		set("oy", map[string]string{"level": `"金"`, "likes": `["香水"]`}, "")
		defer func(v int) { driveLimit = v }(driveLimit)
		for _, limit := range []int{1 << 30, 0} {
			driveLimit = limit
			for _, tc := range []struct {
				fields map[string]string
				q      string
				want   []string
			}{
				{map[string]string{"level": "金"}, "", []string{"zsf", "oy"}},
				{map[string]string{"visits": "3"}, "", []string{"zsf", "zs"}},
				{map[string]string{"likes": "香水"}, "", []string{"zsf", "oy"}},
				{map[string]string{"likes": "香水", "level": "金"}, "zhang", []string{"zsf"}},
				{nil, "周末", []string{"zs"}},
			} {
				got, err := collect(t, w.svc, w.owner, Filter{Fields: tc.fields, Query: tc.q})
				if err != nil {
					t.Fatal(err)
				}
				if want := w.expectedOrder(SortRecent, w.keys(tc.want...)); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("drive limit %d, %v %q: got %v, want %v", limit, tc.fields, tc.q, got, want)
				}
			}
		}
		if _, err := w.svc.List(w.owner, Filter{Fields: map[string]string{"nope": "x"}}); httpx.ErrorCode(err) != httpx.Invalid {
			t.Errorf("unknown field: %v, want invalid", err)
		}
		// Analysts see text and date fields nowhere, so they may not filter on them value by value;
		// select fields stay filterable.
		if _, err := w.svc.CreateField(w.owner, FieldInput{Key: "idcard", Label: "证件号", Type: FieldText}); err != nil {
			t.Fatal(err)
		}
		analyst := org.WithCaller(context.Background(), org.Caller{TenantID: w.tenant.ID, TenantSlug: w.tenant.Slug, Role: org.Analyst})
		_, err := w.svc.List(analyst, Filter{Fields: map[string]string{"idcard": "110101199001011234"}})
		if e := httpx.AsError(err); e.Code != httpx.Invalid || e.Fields["field.idcard"].Code != "not_allowed" {
			t.Errorf("analyst filtering a text field: %v", err)
		}
		if _, err := w.svc.List(analyst, Filter{Fields: map[string]string{"level": "金"}}); err != nil {
			t.Errorf("analyst filtering a select field: %v", err)
		}
	})
}
