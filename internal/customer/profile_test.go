package customer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// profileWorld is a tenant with two staff members and callers acting as an owner, a guide (of
// guide01) and an admin, each a real user.
type profileWorld struct {
	svc              *customer.Service
	db               *store.DB
	tenantID         int64
	owner, guide, ad context.Context
	guideStaff       int64
}

func setupProfile(t testing.TB, db *store.DB) profileWorld {
	t.Helper()
	ctx := context.Background()
	box, _ := seal.New(bytes.Repeat([]byte{3}, 32))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	orgs := org.NewService(db, box, log, org.Options{Password: &org.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	tn, err := orgs.CreateTenant(ctx, fmt.Sprintf("pf%d-%d", time.Now().UnixNano()%1e6, seq.Add(1)), "画像测试")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orgs.ApplyMembers(ctx, tn.ID, []org.WeComMember{{UserID: "guide01", Name: "王芳"}, {UserID: "guide02", Name: "李娜"}}); err != nil {
		t.Fatal(err)
	}
	staff, err := orgs.StaffIDsByWeCom(ctx, tn.ID, []string{"guide01"})
	if err != nil {
		t.Fatal(err)
	}
	w := profileWorld{svc: customer.New(db, noWeCom{}, orgs, log), db: db, tenantID: tn.ID, guideStaff: staff["guide01"]}
	as := func(role org.Role, staffID int64) context.Context {
		u, err := orgs.CreateUserInTenant(ctx, tn.Slug, org.UserInput{Username: string(role) + "1", Password: "password-123", Role: role, StaffID: staffID})
		if err != nil {
			t.Fatal(err)
		}
		return org.WithCaller(ctx, org.Caller{TenantID: tn.ID, TenantSlug: tn.Slug, UserID: u.ID, Username: u.Username, Role: role, StaffID: staffID})
	}
	w.owner, w.guide, w.ad = as(org.Owner, 0), as(org.Guide, w.guideStaff), as(org.Admin, 0)
	return w
}

func (w profileWorld) identities(t *testing.T, cid int64) []string {
	t.Helper()
	ids, err := w.svc.ListIdentities(w.owner, cid)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, i := range ids {
		out = append(out, i.Kind+"="+i.Value)
	}
	slices.Sort(out)
	return out
}

func (w profileWorld) mergedInto(t *testing.T, cid int64) int64 {
	t.Helper()
	var m *int64
	if err := w.db.QueryRowContext(context.Background(), `SELECT merged_into FROM customers WHERE tenant_id = ? AND id = ?`, w.tenantID, cid).Scan(&m); err != nil {
		t.Fatal(err)
	}
	if m == nil {
		return 0
	}
	return *m
}

func fieldsOf(err error) []string {
	var out []string
	for f := range httpx.AsError(err).Fields {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// TestResolve: identities find their one customer; a new identity attaches; when the identities
// of one call belong to two customers (an order's phone and the WeCom contact's unionid), they
// are merged into the older one, which then has everything.
func TestResolve(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := setupProfile(t, db)
		ctx := context.Background()
		p, err := w.svc.Resolve(ctx, w.tenantID, []customer.Identity{{Kind: customer.IdentityPhone, Value: "138 0013 8000"}})
		if err != nil || !p.Created || p.CustomerID == 0 {
			t.Fatalf("first resolve: %+v %v", p, err)
		}
		again, err := w.svc.Resolve(ctx, w.tenantID, []customer.Identity{{Kind: customer.IdentityPhone, Value: "+8613800138000"},
			{Kind: customer.IdentityTaobaoNick, Value: "小王爱买"}, {Kind: customer.IdentityJDID, Value: ""}})
		if err != nil || again.Created || again.CustomerID != p.CustomerID || len(again.Merged) != 0 {
			t.Fatalf("same phone again: %+v %v", again, err)
		}
		applied, err := w.svc.ApplyContact(ctx, w.tenantID, wecom.ExternalContact{ExternalUserID: "wmWang", Name: "王先生", UnionID: "oUnionWang01"},
			[]customer.Follow{{UserID: "guide01", State: "store", CreateTime: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).Unix()}})
		if err != nil || !applied.Created || applied.CustomerID == p.CustomerID {
			t.Fatalf("WeCom contact: %+v %v", applied, err)
		}
		if _, err := w.svc.AddNote(w.guide, applied.CustomerID, customer.NoteInput{Content: "喜欢香氛"}); err != nil {
			t.Fatal(err)
		}
		// An order names the phone and the unionid: both customers are the same person.
		merged, err := w.svc.Resolve(ctx, w.tenantID, []customer.Identity{{Kind: customer.IdentityPhone, Value: "13800138000"},
			{Kind: customer.IdentityUnionID, Value: "oUnionWang01"}})
		if err != nil {
			t.Fatal(err)
		}
		if merged.CustomerID != p.CustomerID || merged.Created || !slices.Equal(merged.Merged, []int64{applied.CustomerID}) {
			t.Fatalf("merge resolve = %+v, want customer %d absorbing %d", merged, p.CustomerID, applied.CustomerID)
		}
		want := []string{"phone=+8613800138000", "taobao_nick=小王爱买", "unionid=oUnionWang01", "wecom_external_userid=wmWang"}
		if diff := cmp.Diff(want, w.identities(t, p.CustomerID)); diff != "" {
			t.Errorf("identities (-want +got):\n%s", diff)
		}
		if got := w.mergedInto(t, applied.CustomerID); got != p.CustomerID {
			t.Errorf("merged customer points at %d", got)
		}
		// The survivor has the relation, the name, the acquisition, the note; the guide sees it.
		d, err := w.svc.Get(w.guide, p.CustomerID)
		if err != nil {
			t.Fatalf("guide reads the merged customer: %v", err)
		}
		kinds := map[string]int{}
		for _, e := range d.Timeline {
			kinds[e.Kind]++
		}
		if d.Name != "王先生" || d.FirstState != "store" || len(d.Relations) != 1 || kinds["note"] != 1 || kinds[customer.EventMerged] != 1 || kinds[customer.EventAddedStaff] != 1 {
			t.Errorf("survivor = name %q state %q relations %d timeline %v", d.Name, d.FirstState, len(d.Relations), kinds)
		}
		// WeCom events for the contact now land on the survivor.
		again2, err := w.svc.ApplyContact(ctx, w.tenantID, wecom.ExternalContact{ExternalUserID: "wmWang", Name: "王先生", UnionID: "oUnionWang01"},
			[]customer.Follow{{UserID: "guide02", CreateTime: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC).Unix()}})
		if err != nil || again2.CustomerID != p.CustomerID || again2.Created {
			t.Errorf("apply after merge: %+v %v", again2, err)
		}
		list, err := w.svc.List(w.owner, customer.Filter{Page: httpx.PageRequest{Limit: 50}})
		if err != nil || len(list.Items) != 1 || list.Items[0].ID != p.CustomerID {
			t.Errorf("list after merge shows %+v (%v), want only the survivor", list.Items, err)
		}

		for _, tc := range []struct {
			name   string
			ids    []customer.Identity
			fields []string
		}{
			{"no identity", nil, []string{"identities"}},
			{"only empty values", []customer.Identity{{Kind: customer.IdentityPhone}}, []string{"identities"}},
			{"bad phone", []customer.Identity{{Kind: customer.IdentityPhone, Value: "12"}}, []string{"identities[0].value"}},
			{"unknown kind", []customer.Identity{{Kind: customer.IdentityPhone, Value: "13900000000"}, {Kind: "qq", Value: "10001"}}, []string{"identities[1].kind"}},
			{"bad unionid", []customer.Identity{{Kind: customer.IdentityUnionID, Value: "o u"}}, []string{"identities[0].value"}},
		} {
			_, err := w.svc.Resolve(ctx, w.tenantID, tc.ids)
			if httpx.ErrorCode(err) != httpx.Invalid || !slices.Equal(fieldsOf(err), tc.fields) {
				t.Errorf("%s: %v (fields %v), want invalid %v", tc.name, err, fieldsOf(err), tc.fields)
			}
		}
	})
}

// TestConcurrentResolve: the same person resolved at once through different identity sets — an
// order's phone, the WeCom contact, an official-account openid with the unionid — ends as one
// live customer holding every identity, whatever the interleaving.
func TestConcurrentResolve(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := setupProfile(t, db)
		ctx := context.Background()
		for i := 0; i < 8; i++ {
			phone := fmt.Sprintf("+861390000%04d", i)
			union := fmt.Sprintf("oUnionRace%04d", i)
			sets := [][]customer.Identity{
				{{Kind: customer.IdentityPhone, Value: phone}},
				{{Kind: customer.IdentityPhone, Value: phone}, {Kind: customer.IdentityUnionID, Value: union}},
				{{Kind: customer.IdentityOpenID, Value: fmt.Sprintf("oOpenRace%04d", i)}, {Kind: customer.IdentityUnionID, Value: union}},
				{{Kind: customer.IdentityTaobaoNick, Value: fmt.Sprintf("nick%d", i)}, {Kind: customer.IdentityPhone, Value: phone}},
			}
			var wg sync.WaitGroup
			for _, ids := range sets {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := w.svc.Resolve(ctx, w.tenantID, ids); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.svc.ApplyContact(ctx, w.tenantID, wecom.ExternalContact{ExternalUserID: fmt.Sprintf("wmRace%d", i), UnionID: union},
					[]customer.Follow{{UserID: "guide01"}}); err != nil {
					t.Error(err)
				}
			}()
			wg.Wait()
			var owners, identities int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT i.customer_id), COUNT(*) FROM customer_identities i
				WHERE i.tenant_id = ? AND i.customer_id IN (SELECT customer_id FROM customer_identities WHERE tenant_id = ? AND kind = 'phone' AND value = ?)`,
				w.tenantID, w.tenantID, phone).Scan(&owners, &identities); err != nil {
				t.Fatal(err)
			}
			if owners != 1 || identities != 5 {
				t.Errorf("person %d: identities on %d customers, %d identities (want 1 and 5)", i, owners, identities)
			}
		}
		var live, pointing int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE tenant_id = ? AND merged_into IS NULL`, w.tenantID).Scan(&live)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_identities i JOIN customers c ON c.id = i.customer_id
			WHERE i.tenant_id = ? AND c.merged_into IS NOT NULL`, w.tenantID).Scan(&pointing)
		if live != 8 || pointing != 0 {
			t.Errorf("live customers %d (want 8), identities on merged customers %d", live, pointing)
		}
	})
}

// TestMergeAndSplit: a manual merge moves everything of the merged customer (a relation the
// survivor already has stays behind); the split restores both customers exactly, with the
// history kept on the timeline and in the merge record.
func TestMergeAndSplit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := setupProfile(t, db)
		ctx := context.Background()
		t0 := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
		a, err := w.svc.ApplyContact(ctx, w.tenantID, wecom.ExternalContact{ExternalUserID: "wmA", Name: "甲"},
			[]customer.Follow{{UserID: "guide01", State: "a-code", CreateTime: t0.Add(48 * time.Hour).Unix()}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.svc.ApplyContact(ctx, w.tenantID, wecom.ExternalContact{ExternalUserID: "wmB", Name: "乙", UnionID: "oUnionB0001"},
			[]customer.Follow{{UserID: "guide01", State: "b-code", CreateTime: t0.Unix()}, {UserID: "guide02", State: "b2", CreateTime: t0.Add(time.Hour).Unix()}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddIdentity(w.owner, b.CustomerID, customer.IdentityInput{Kind: customer.IdentityPhone, Value: "13700001111"}); err != nil {
			t.Fatal(err)
		}
		note, err := w.svc.AddNote(w.owner, b.CustomerID, customer.NoteInput{Kind: customer.NoteKindFollowUp, Content: "电话回访", Method: "phone",
			NextFollowUpAt: ptr(time.Now().Add(72 * time.Hour))})
		if err != nil {
			t.Fatal(err)
		}
		beforeA, beforeB := w.identities(t, a.CustomerID), w.identities(t, b.CustomerID)

		// The guide sees only customers of guide01 — both here — the admin merges.
		if _, err := w.svc.MergeCustomers(w.ad, a.CustomerID, customer.MergeInput{FromID: a.CustomerID}); httpx.ErrorCode(err) != httpx.Invalid {
			t.Errorf("merge into itself: %v", err)
		}
		m, err := w.svc.MergeCustomers(w.ad, a.CustomerID, customer.MergeInput{FromID: b.CustomerID})
		if err != nil {
			t.Fatal(err)
		}
		if m.Auto || m.Reason != "manual" || m.FromName != "乙" || m.Moved["customer_identities"] != 3 || m.Moved["customer_staff"] != 1 || m.Moved["customer_notes"] != 1 {
			t.Errorf("merge record = %+v", m)
		}
		d, err := w.svc.Get(w.owner, a.CustomerID)
		if err != nil {
			t.Fatal(err)
		}
		// guide01's relation of B is a twin of A's and stays with B; guide02's moved and is now
		// A's earliest relation, so A's acquisition is its code.
		if len(d.Relations) != 2 || d.FirstState != "b2" || len(d.Identities) != 4 {
			t.Errorf("after merge: relations %+v, first_state %q, identities %v", d.Relations, d.FirstState, d.Identities)
		}
		if _, err := w.svc.Get(w.owner, b.CustomerID); err != nil {
			t.Errorf("the merged customer is still readable by id: %v", err)
		}
		if _, err := w.svc.MergeCustomers(w.ad, a.CustomerID, customer.MergeInput{FromID: b.CustomerID}); httpx.ErrorCode(err) != httpx.Invalid {
			t.Errorf("merging a merged customer again: %v, want from_id not found", err)
		}
		merges, err := w.svc.Merges(w.owner, a.CustomerID)
		if err != nil || len(merges) != 1 || merges[0].ID != m.ID {
			t.Fatalf("merges = %+v %v", merges, err)
		}

		s, err := w.svc.Split(w.owner, a.CustomerID, customer.SplitInput{MergeID: m.ID})
		if err != nil || s.SplitAt == nil || s.SplitBy == "" {
			t.Fatalf("split = %+v %v", s, err)
		}
		if diff := cmp.Diff(beforeA, w.identities(t, a.CustomerID)); diff != "" {
			t.Errorf("A's identities after split (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(beforeB, w.identities(t, b.CustomerID)); diff != "" {
			t.Errorf("B's identities after split (-want +got):\n%s", diff)
		}
		db2, err := w.svc.Get(w.owner, b.CustomerID)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, e := range db2.Timeline {
			kinds[e.Kind]++
		}
		if db2.MergedInto != nil || len(db2.Relations) != 2 || db2.FirstState != "b-code" || kinds[customer.EventSplit] != 1 || kinds["follow_up"] != 1 || kinds[customer.EventAddedStaff] != 2 {
			t.Errorf("B after split: merged_into %v relations %d state %q timeline %v", db2.MergedInto, len(db2.Relations), db2.FirstState, kinds)
		}
		notes, err := w.svc.Notes(w.owner, b.CustomerID, httpx.PageRequest{Limit: 10})
		if err != nil || len(notes.Items) != 1 || notes.Items[0].ID != note.ID {
			t.Errorf("B's notes after split: %+v %v", notes.Items, err)
		}
		da, _ := w.svc.Get(w.owner, a.CustomerID)
		ka := map[string]int{}
		for _, e := range da.Timeline {
			ka[e.Kind]++
		}
		if len(da.Relations) != 1 || ka[customer.EventMerged] != 1 || ka[customer.EventSplit] != 1 || ka["follow_up"] != 0 {
			t.Errorf("A after split: relations %d timeline %v", len(da.Relations), ka)
		}
		if _, err := w.svc.Split(w.owner, a.CustomerID, customer.SplitInput{MergeID: m.ID}); httpx.ErrorCode(err) != httpx.Conflict {
			t.Errorf("second split: %v, want conflict", err)
		}
		if _, err := w.svc.Split(w.owner, b.CustomerID, customer.SplitInput{MergeID: m.ID}); httpx.ErrorCode(err) != httpx.Invalid {
			t.Errorf("split through the wrong customer: %v, want merge_id not found", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestIdentitiesAPI: adding validates kind and value, normalises phones, is idempotent, merges
// a visible owner of the identity and refuses one outside the scope; removing leaves WeCom's
// external_userid alone.
func TestIdentitiesAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := setupProfile(t, db)
		ctx := context.Background()
		mine, err := w.svc.ApplyContact(ctx, w.tenantID, wecom.ExternalContact{ExternalUserID: "wmMine"}, []customer.Follow{{UserID: "guide01"}})
		if err != nil {
			t.Fatal(err)
		}
		other, err := w.svc.ApplyContact(ctx, w.tenantID, wecom.ExternalContact{ExternalUserID: "wmOther"}, []customer.Follow{{UserID: "guide02"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddIdentity(w.owner, other.CustomerID, customer.IdentityInput{Kind: customer.IdentityPhone, Value: "13600002222"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			in     customer.IdentityInput
			fields []string
		}{
			{customer.IdentityInput{}, []string{"kind", "value"}},
			{customer.IdentityInput{Kind: "qq", Value: "1"}, []string{"kind"}},
			{customer.IdentityInput{Kind: customer.IdentityExternalUserID, Value: "wmNew"}, []string{"kind"}},
			{customer.IdentityInput{Kind: customer.IdentityPhone, Value: "12345"}, []string{"value"}},
			{customer.IdentityInput{Kind: customer.IdentityTaobaoNick, Value: strings.Repeat("长", 65)}, []string{"value"}},
		} {
			if _, err := w.svc.AddIdentity(w.guide, mine.CustomerID, tc.in); !slices.Equal(fieldsOf(err), tc.fields) {
				t.Errorf("add %+v: %v, want fields %v", tc.in, err, tc.fields)
			}
		}
		got, err := w.svc.AddIdentity(w.guide, mine.CustomerID, customer.IdentityInput{Kind: customer.IdentityPhone, Value: "+86 135-0000-3333"})
		if err != nil || !slices.Contains(got.Items, customer.Identity{Kind: customer.IdentityPhone, Value: "+8613500003333"}) {
			t.Fatalf("add phone: %+v %v", got, err)
		}
		if again, err := w.svc.AddIdentity(w.guide, mine.CustomerID, customer.IdentityInput{Kind: customer.IdentityPhone, Value: "13500003333"}); err != nil || len(again.Items) != 2 {
			t.Errorf("adding it again: %+v %v", again, err)
		}
		// The guide cannot see the other customer: their phone is not for the guide to take.
		if _, err := w.svc.AddIdentity(w.guide, mine.CustomerID, customer.IdentityInput{Kind: customer.IdentityPhone, Value: "13600002222"}); httpx.ErrorCode(err) != httpx.Conflict {
			t.Errorf("guide taking another customer's phone: %v, want conflict", err)
		}
		if _, err := w.svc.AddIdentity(w.guide, other.CustomerID, customer.IdentityInput{Kind: customer.IdentityPhone, Value: "13600004444"}); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("guide on a customer outside the scope: %v, want not found", err)
		}
		// The owner sees both: the same phone means the same person.
		res, err := w.svc.AddIdentity(w.owner, mine.CustomerID, customer.IdentityInput{Kind: customer.IdentityPhone, Value: "13600002222"})
		if err != nil || res.MergedFrom == nil || *res.MergedFrom != other.CustomerID || len(res.Items) != 4 {
			t.Fatalf("owner linking the other's phone: %+v %v", res, err)
		}
		if err := w.svc.RemoveIdentity(w.owner, mine.CustomerID, customer.IdentityExternalUserID, "wmMine"); !slices.Equal(fieldsOf(err), []string{"kind"}) {
			t.Errorf("removing the external_userid: %v", err)
		}
		if err := w.svc.RemoveIdentity(w.guide, mine.CustomerID, customer.IdentityPhone, "13500003333"); err != nil {
			t.Errorf("remove phone: %v", err)
		}
		if err := w.svc.RemoveIdentity(w.guide, mine.CustomerID, customer.IdentityPhone, "13500003333"); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("removing it again: %v, want not found", err)
		}
		want := []string{"phone=+8613600002222", "wecom_external_userid=wmMine", "wecom_external_userid=wmOther"}
		if diff := cmp.Diff(want, w.identities(t, mine.CustomerID)); diff != "" {
			t.Errorf("identities (-want +got):\n%s", diff)
		}
		if n := countEvents(t, db, w.tenantID, customer.EventIdentityRemoved); n != 1 {
			t.Errorf("identity_removed events %d", n)
		}
	})
}

// TestNotes: guides write notes and follow-ups on their own customers, which show on the
// timeline; input is checked; authors delete their own notes, admins any, others none.
func TestNotes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := setupProfile(t, db)
		ctx := context.Background()
		mine, _ := w.svc.ApplyContact(ctx, w.tenantID, wecom.ExternalContact{ExternalUserID: "wmN1"}, []customer.Follow{{UserID: "guide01"}})
		other, _ := w.svc.ApplyContact(ctx, w.tenantID, wecom.ExternalContact{ExternalUserID: "wmN2"}, []customer.Follow{{UserID: "guide02"}})
		next := time.Now().Add(48 * time.Hour)
		for _, tc := range []struct {
			in     customer.NoteInput
			fields []string
		}{
			{customer.NoteInput{}, []string{"content"}},
			{customer.NoteInput{Kind: "memo", Content: "x"}, []string{"kind"}},
			{customer.NoteInput{Content: strings.Repeat("字", 2001)}, []string{"content"}},
			{customer.NoteInput{Content: "x", Method: "phone"}, []string{"method"}},
			{customer.NoteInput{Kind: customer.NoteKindFollowUp, Content: "x"}, []string{"method"}},
			{customer.NoteInput{Kind: customer.NoteKindFollowUp, Content: "x", Method: "fax", NextFollowUpAt: ptr(time.Now().Add(-time.Hour))}, []string{"method", "next_follow_up_at"}},
		} {
			if _, err := w.svc.AddNote(w.guide, mine.CustomerID, tc.in); !slices.Equal(fieldsOf(err), tc.fields) {
				t.Errorf("note %+v: %v, want fields %v", tc.in, err, tc.fields)
			}
		}
		if _, err := w.svc.AddNote(w.guide, other.CustomerID, customer.NoteInput{Content: "不是我的客户"}); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("guide noting another's customer: %v", err)
		}
		n1, err := w.svc.AddNote(w.guide, mine.CustomerID, customer.NoteInput{Content: "  到店试用了香氛  "})
		if err != nil || n1.Content != "到店试用了香氛" || !n1.Mine || n1.AuthorStaffID == nil || *n1.AuthorStaffID != w.guideStaff {
			t.Fatalf("note = %+v %v", n1, err)
		}
		n2, err := w.svc.AddNote(w.owner, mine.CustomerID, customer.NoteInput{Kind: customer.NoteKindFollowUp, Content: "约周末到店", Method: "wecom", NextFollowUpAt: &next})
		if err != nil || n2.NextFollowUpAt == nil || n2.Method != "wecom" {
			t.Fatalf("follow-up = %+v %v", n2, err)
		}
		page, err := w.svc.Notes(w.guide, mine.CustomerID, httpx.PageRequest{Limit: 1})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != n2.ID || page.Items[0].Mine || page.NextCursor == "" {
			t.Fatalf("first page = %+v %v", page, err)
		}
		d, _ := w.svc.Get(w.guide, mine.CustomerID)
		var texts []string
		for _, e := range d.Timeline {
			if e.Kind == customer.NoteKindNote || e.Kind == customer.NoteKindFollowUp {
				texts = append(texts, e.Detail)
			}
		}
		if len(texts) != 2 || !strings.Contains(strings.Join(texts, ""), "约周末到店") || !strings.Contains(strings.Join(texts, ""), `"method":"wecom"`) {
			t.Errorf("timeline notes = %v", texts)
		}
		if err := w.svc.DeleteNote(w.guide, n2.ID); httpx.ErrorCode(err) != httpx.Forbidden {
			t.Errorf("guide deleting the owner's note: %v", err)
		}
		if err := w.svc.DeleteNote(w.guide, n1.ID); err != nil {
			t.Errorf("guide deleting their note: %v", err)
		}
		if err := w.svc.DeleteNote(w.ad, n2.ID); err != nil {
			t.Errorf("admin deleting a note: %v", err)
		}
		if n := countEvents(t, db, w.tenantID, customer.NoteKindNote) + countEvents(t, db, w.tenantID, customer.NoteKindFollowUp); n != 0 {
			t.Errorf("%d note events left on the timeline", n)
		}
		if err := w.svc.DeleteNote(w.ad, n2.ID); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("deleting twice: %v", err)
		}
	})
}

func TestRegisterMoveRejectsOddNames(t *testing.T) {
	for _, m := range []customer.Move{
		{Table: "orders; DROP TABLE x", Column: "customer_id", Key: []string{"id"}},
		{Table: "orders", Column: "customer_id"},
		{Table: "orders", Column: "customer_id", Key: []string{"id"}, Unique: []string{"a b"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterMove(%+v) did not panic", m)
				}
			}()
			customer.RegisterMove(m)
		}()
	}
}
