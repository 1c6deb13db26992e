package org_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var cheap = org.PasswordParams{Memory: 64, Time: 1, Threads: 1}

var tenantSeq atomic.Int64

type fixture struct {
	svc    *org.Service
	db     *store.DB
	tenant org.Tenant
	owner  context.Context
	now    *time.Time
}

// newFixture makes a service and a fresh tenant (unique per test, since PostgreSQL tests share a
// database) with the owner's context.
func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	box, err := seal.New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f := &fixture{db: db, now: &now}
	f.svc = org.NewService(db, box, slog.New(slog.NewTextHandler(io.Discard, nil)), org.Options{
		Now: func() time.Time { return *f.now }, Password: &cheap})
	slug := fmt.Sprintf("t%d-%d", time.Now().UnixNano()%1e9, tenantSeq.Add(1))
	f.tenant, err = f.svc.CreateTenant(context.Background(), slug, "测试品牌")
	if err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	f.owner = f.as(org.Caller{Role: org.Owner})
	return f
}

func (f *fixture) as(c org.Caller) context.Context {
	c.TenantID, c.TenantSlug, c.TenantName = f.tenant.ID, f.tenant.Slug, f.tenant.Name
	return org.WithCaller(context.Background(), c)
}

func (f *fixture) root(t *testing.T) org.Unit {
	t.Helper()
	units, err := f.svc.ListUnits(f.owner)
	if err != nil || len(units) == 0 {
		t.Fatalf("ListUnits: %v %v", units, err)
	}
	return units[0]
}

func (f *fixture) unit(t *testing.T, parent int64, name, kind string) org.Unit {
	t.Helper()
	u, err := f.svc.CreateUnit(f.owner, org.UnitInput{ParentID: parent, Name: name, Kind: kind})
	if err != nil {
		t.Fatalf("CreateUnit %s: %v", name, err)
	}
	return u
}

func (f *fixture) staff(t *testing.T, unit int64, name, mobile string) org.Staff {
	t.Helper()
	s, err := f.svc.CreateStaff(f.owner, org.StaffInput{Name: name, Mobile: mobile, OrgUnitID: unit})
	if err != nil {
		t.Fatalf("CreateStaff %s: %v", name, err)
	}
	return s
}

func fieldCodes(err error) map[string]string {
	e := httpx.AsError(err)
	out := map[string]string{}
	for k, f := range e.Fields {
		out[k] = f.Code
	}
	return out
}

func TestTenantRootAndSlug(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		root := f.root(t)
		if root.Kind != org.KindHQ || root.ParentID != nil || root.Path != fmt.Sprintf("/%d/", root.ID) {
			t.Errorf("root = %+v", root)
		}
		_, err := f.svc.CreateTenant(context.Background(), f.tenant.Slug, "again")
		if httpx.ErrorCode(err) != httpx.Conflict {
			t.Errorf("duplicate slug: %v, want conflict", err)
		}
		for _, bad := range []string{"", "A", "x", "has space", strings.Repeat("a", 41), "-lead"} {
			if _, err := f.svc.CreateTenant(context.Background(), bad, "n"); httpx.ErrorCode(err) != httpx.Invalid {
				t.Errorf("slug %q: %v, want invalid", bad, err)
			}
		}
	})
}

func TestUnitTree(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		root := f.root(t)
		east := f.unit(t, root.ID, "华东", org.KindBranch)
		south := f.unit(t, root.ID, "华南", org.KindBranch)
		shop := f.unit(t, east.ID, "南京路店", org.KindStore)
		counter := f.unit(t, shop.ID, "一楼专柜", org.KindDepartment)

		// Move the store (and its sub-unit) from east to south: every path in the subtree changes.
		moved, err := f.svc.UpdateUnit(f.owner, shop.ID, org.UnitPatch{ParentID: &south.ID})
		if err != nil {
			t.Fatalf("move: %v", err)
		}
		if want := fmt.Sprintf("%s%d/", south.Path, shop.ID); moved.Path != want {
			t.Errorf("moved path = %s, want %s", moved.Path, want)
		}
		c, err := f.svc.GetUnit(f.owner, counter.ID)
		if err != nil || c.Path != fmt.Sprintf("%s%d/%d/", south.Path, shop.ID, counter.ID) {
			t.Errorf("child after move = %+v, %v", c, err)
		}

		// A unit cannot move under its own subtree, and the root cannot move or be deleted.
		_, err = f.svc.UpdateUnit(f.owner, south.ID, org.UnitPatch{ParentID: &counter.ID})
		if diff := cmp.Diff(map[string]string{"parent_id": "not_allowed"}, fieldCodes(err)); diff != "" {
			t.Errorf("cycle: %v (-want +got)\n%s", err, diff)
		}
		if err := f.svc.DeleteUnit(f.owner, root.ID); httpx.ErrorCode(err) != httpx.Conflict {
			t.Errorf("delete root: %v, want conflict", err)
		}
		// A unit with children or staff cannot be deleted; an empty one can.
		if err := f.svc.DeleteUnit(f.owner, shop.ID); httpx.ErrorCode(err) != httpx.Conflict {
			t.Errorf("delete non-empty: %v, want conflict", err)
		}
		if err := f.svc.DeleteUnit(f.owner, counter.ID); err != nil {
			t.Errorf("delete empty: %v", err)
		}
		if _, err := f.svc.GetUnit(f.owner, counter.ID); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("get deleted: %v, want not found", err)
		}
	})
}

func TestUnitValidation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		root := f.root(t)
		f.unit(t, root.ID, "华东", org.KindBranch)
		long := strings.Repeat("店", 65)
		hq := org.KindHQ
		tests := []struct {
			name string
			in   org.UnitInput
			want map[string]string
		}{
			{"empty", org.UnitInput{}, map[string]string{"name": "required", "kind": "required", "parent_id": "required"}},
			{"long name, bad kind", org.UnitInput{ParentID: root.ID, Name: long, Kind: "shop"}, map[string]string{"name": "too_long", "kind": "invalid"}},
			{"second hq", org.UnitInput{ParentID: root.ID, Name: "x", Kind: hq}, map[string]string{"kind": "invalid"}},
			{"unknown parent", org.UnitInput{ParentID: 999999, Name: "x", Kind: org.KindStore}, map[string]string{"parent_id": "not_found"}},
			{"taken name", org.UnitInput{ParentID: root.ID, Name: "华东", Kind: org.KindStore}, map[string]string{"name": "taken"}},
		}
		for _, tt := range tests {
			before := countRows(t, db, "org_units", f.tenant.ID)
			_, err := f.svc.CreateUnit(f.owner, tt.in)
			if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
				t.Errorf("%s: %v (-want +got)\n%s", tt.name, err, diff)
			}
			if after := countRows(t, db, "org_units", f.tenant.ID); after != before {
				t.Errorf("%s: units %d → %d, want unchanged", tt.name, before, after)
			}
		}
	})
}

func countRows(t *testing.T, db *store.DB, table string, tenantID int64) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table+" WHERE tenant_id = ?", tenantID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStaff(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		root := f.root(t)
		shop := f.unit(t, root.ID, "门店", org.KindStore)
		s := f.staff(t, shop.ID, "王芳", "138 0013 8000")
		if s.Mobile != "+8613800138000" || s.Status != org.StaffActive || s.OrgUnitName != "门店" {
			t.Errorf("created = %+v", s)
		}
		tests := []struct {
			name string
			in   org.StaffInput
			want map[string]string
		}{
			{"empty", org.StaffInput{}, map[string]string{"name": "required", "org_unit_id": "required"}},
			{"bad mobile and userid", org.StaffInput{Name: "a", Mobile: "12345", WeComUserID: "has space", OrgUnitID: shop.ID},
				map[string]string{"mobile": "invalid", "wecom_userid": "invalid"}},
			{"taken mobile", org.StaffInput{Name: "b", Mobile: "+86 138-0013-8000", OrgUnitID: shop.ID}, map[string]string{"mobile": "taken"}},
			{"unknown unit", org.StaffInput{Name: "c", OrgUnitID: 987654}, map[string]string{"org_unit_id": "not_found"}},
		}
		for _, tt := range tests {
			before := countRows(t, db, "staff", f.tenant.ID)
			_, err := f.svc.CreateStaff(f.owner, tt.in)
			if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
				t.Errorf("%s: %v (-want +got)\n%s", tt.name, err, diff)
			}
			if after := countRows(t, db, "staff", f.tenant.ID); after != before {
				t.Errorf("%s: staff %d → %d, want unchanged", tt.name, before, after)
			}
		}
		resigned := org.StaffResigned
		got, err := f.svc.UpdateStaff(f.owner, s.ID, org.StaffPatch{Status: &resigned})
		if err != nil || got.Status != org.StaffResigned {
			t.Errorf("resign: %+v %v", got, err)
		}
		page, err := f.svc.ListStaff(f.owner, org.StaffFilter{Status: org.StaffActive, Page: httpx.PageRequest{Limit: 10}})
		if err != nil || len(page.Items) != 0 {
			t.Errorf("active after resign = %+v %v", page.Items, err)
		}
	})
}

func TestStaffPaginationAndSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		root := f.root(t)
		shop := f.unit(t, root.ID, "门店", org.KindStore)
		for i := 0; i < 7; i++ {
			f.staff(t, shop.ID, fmt.Sprintf("导购%d", i), fmt.Sprintf("1390000000%d", i))
		}
		var names []string
		req := httpx.PageRequest{Limit: 3}
		for pages := 0; ; pages++ {
			p, err := f.svc.ListStaff(f.owner, org.StaffFilter{Page: req})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p.Items {
				names = append(names, s.Name)
			}
			if p.NextCursor == "" {
				if pages != 2 {
					t.Errorf("pages = %d, want 3", pages+1)
				}
				break
			}
			req.After, _ = httpx.DecodeCursor(p.NextCursor)
		}
		if len(names) != 7 || names[0] != "导购0" || names[6] != "导购6" {
			t.Errorf("paged names = %v", names)
		}
		for q, want := range map[string]int{"导购3": 1, "导购": 7, "00000005": 1, "%": 0, "nobody": 0} {
			p, err := f.svc.ListStaff(f.owner, org.StaffFilter{Query: q, Page: httpx.PageRequest{Limit: 50}})
			if err != nil || len(p.Items) != want {
				t.Errorf("q=%q: %d items (%v), want %d", q, len(p.Items), err, want)
			}
		}
	})
}

// TestScopes checks ScopeOf through the service: who sees which units and staff.
func TestScopes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		root := f.root(t)
		east := f.unit(t, root.ID, "华东", org.KindBranch)
		shopA := f.unit(t, east.ID, "A店", org.KindStore)
		south := f.unit(t, root.ID, "华南", org.KindBranch)
		shopB := f.unit(t, south.ID, "B店", org.KindStore)
		a1 := f.staff(t, shopA.ID, "甲", "13900000001")
		a2 := f.staff(t, shopA.ID, "乙", "13900000002")
		b1 := f.staff(t, shopB.ID, "丙", "13900000003")

		callers := map[string]org.Caller{
			"owner":   {Role: org.Owner},
			"analyst": {Role: org.Analyst},
			"service": {Role: org.CustomerService},
			"manager": {Role: org.Manager, OrgUnitID: east.ID, OrgPath: east.Path},
			"guide":   {Role: org.Guide, StaffID: a1.ID, OrgPath: shopA.Path},
		}
		wantUnits := map[string][]int64{
			"owner": {root.ID, east.ID, shopA.ID, south.ID, shopB.ID}, "analyst": {root.ID, east.ID, shopA.ID, south.ID, shopB.ID},
			"service": {root.ID, east.ID, shopA.ID, south.ID, shopB.ID}, "manager": {east.ID, shopA.ID}, "guide": {shopA.ID},
		}
		wantStaff := map[string][]int64{
			"owner": {a1.ID, a2.ID, b1.ID}, "analyst": {a1.ID, a2.ID, b1.ID}, "service": {a1.ID, a2.ID, b1.ID},
			"manager": {a1.ID, a2.ID}, "guide": {a1.ID},
		}
		for name, c := range callers {
			ctx := f.as(c)
			units, err := f.svc.ListUnits(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var gotUnits []int64
			for _, u := range units {
				gotUnits = append(gotUnits, u.ID)
			}
			if diff := cmp.Diff(wantUnits[name], gotUnits); diff != "" {
				t.Errorf("%s units (-want +got)\n%s", name, diff)
			}
			page, err := f.svc.ListStaff(ctx, org.StaffFilter{Page: httpx.PageRequest{Limit: 50}})
			if err != nil {
				t.Fatal(err)
			}
			var gotStaff []int64
			for _, s := range page.Items {
				gotStaff = append(gotStaff, s.ID)
				if masked := !strings.HasPrefix(s.Mobile, "+86"); masked != (name == "analyst") {
					t.Errorf("%s sees mobile %q", name, s.Mobile)
				}
			}
			if diff := cmp.Diff(wantStaff[name], gotStaff); diff != "" {
				t.Errorf("%s staff (-want +got)\n%s", name, diff)
			}
			// Objects outside the scope are "not found", exactly like missing ones.
			_, err = f.svc.GetStaff(ctx, b1.ID)
			if visible := err == nil; visible != (name != "manager" && name != "guide") {
				t.Errorf("%s GetStaff(outside) err = %v", name, err)
			}
		}

		// A manager may add staff in their subtree only, and may not move their own root.
		mgr := f.as(callers["manager"])
		if _, err := f.svc.CreateStaff(mgr, org.StaffInput{Name: "新人", OrgUnitID: shopB.ID}); httpx.ErrorCode(err) != httpx.Invalid {
			t.Errorf("manager adds staff outside: %v, want invalid", err)
		}
		if _, err := f.svc.CreateStaff(mgr, org.StaffInput{Name: "新人", OrgUnitID: shopA.ID}); err != nil {
			t.Errorf("manager adds staff inside: %v", err)
		}
		if _, err := f.svc.UpdateUnit(mgr, east.ID, org.UnitPatch{ParentID: &south.ID}); err == nil {
			t.Error("manager moved their own root unit")
		}
		// Analysts are read-only whatever they call.
		if _, err := f.svc.CreateUnit(f.as(callers["analyst"]), org.UnitInput{ParentID: root.ID, Name: "x", Kind: org.KindStore}); httpx.ErrorCode(err) != httpx.Forbidden {
			t.Errorf("analyst write: %v, want forbidden", err)
		}
	})
}

func TestLoginLockoutAndPassword(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if _, err := f.svc.CreateUserInTenant(ctx, f.tenant.Slug, org.UserInput{Username: "boss", Password: "correct horse", Role: org.Owner}); err != nil {
			t.Fatal(err)
		}
		login := func(pw string) error {
			_, err := f.svc.Login(ctx, org.LoginInput{Tenant: f.tenant.Slug, Username: "boss", Password: pw})
			return err
		}
		if err := login("correct horse"); err != nil {
			t.Fatalf("login: %v", err)
		}
		if _, err := f.svc.Login(ctx, org.LoginInput{Tenant: "nope", Username: "boss", Password: "x"}); httpx.ErrorCode(err) != httpx.Unauthorized {
			t.Errorf("unknown tenant: %v", err)
		}
		// Concurrent failures all count.
		var wg sync.WaitGroup
		for i := 0; i < org.MaxFailedLogins; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); _ = login("wrong") }()
		}
		wg.Wait()
		if err := login("correct horse"); httpx.ErrorCode(err) != httpx.Locked {
			t.Fatalf("after %d failures: %v, want locked", org.MaxFailedLogins, err)
		}
		*f.now = f.now.Add(org.LockoutDuration + time.Second)
		sess, err := f.svc.Login(ctx, org.LoginInput{Tenant: f.tenant.Slug, Username: "boss", Password: "correct horse"})
		if err != nil {
			t.Fatalf("after lockout: %v", err)
		}
		if sess.Me.CSRFToken == "" || sess.ID == "" || sess.Me.User.Role != org.Owner {
			t.Errorf("session = %+v", sess)
		}
	})
}

func TestTokensAndGrants(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		admin := f.as(org.Caller{Role: org.Admin, UserID: 0})
		if _, err := f.svc.CreateToken(admin, org.TokenInput{Name: "x", Role: org.Owner}); httpx.ErrorCode(err) != httpx.Forbidden {
			t.Errorf("admin grants owner: %v, want forbidden", err)
		}
		nt, err := f.svc.CreateToken(admin, org.TokenInput{Name: "ERP", Role: org.Analyst})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(nt.Secret, "siyu_") || !strings.HasPrefix(nt.Secret, nt.Token.Prefix) {
			t.Errorf("token = %+v", nt)
		}
		var stored string
		if err := db.QueryRowContext(context.Background(), `SELECT token_hash FROM api_tokens WHERE id = ?`, nt.Token.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, nt.Secret) {
			t.Error("token stored in clear")
		}
		if err := f.svc.RevokeToken(admin, nt.Token.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RevokeToken(admin, nt.Token.ID); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("second revoke: %v", err)
		}
	})
}

func TestWeComSettingsSealed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		in := org.WeComSettingsInput{CorpID: "ww0123456789abcdef", AgentID: "1000002", ContactSecret: "contact-SECRET-1",
			AppSecret: "app-SECRET-2", CallbackToken: "tok3", EncodingAESKey: strings.Repeat("a", 43)}
		got, err := f.svc.SetWeComSettings(f.owner, in)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ContactSecretSet || !got.AppSecretSet || !got.CallbackTokenSet || !got.EncodingAESKeySet || got.CorpID != in.CorpID {
			t.Errorf("settings = %+v", got)
		}
		var raw string
		if err := db.QueryRowContext(context.Background(), `SELECT contact_secret_enc || app_secret_enc || callback_token_enc || aes_key_enc
			FROM tenant_wecom_settings WHERE tenant_id = ?`, f.tenant.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{in.ContactSecret, in.AppSecret, in.CallbackToken, in.EncodingAESKey} {
			if strings.Contains(raw, secret) {
				t.Errorf("secret %q stored in clear", secret)
			}
		}
		// Empty secrets keep the stored ones.
		if _, err := f.svc.SetWeComSettings(f.owner, org.WeComSettingsInput{CorpID: in.CorpID, AgentID: "1000003"}); err != nil {
			t.Fatal(err)
		}
		sec, err := f.svc.WeComSecretsFor(context.Background(), f.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := org.WeComSecrets{CorpID: in.CorpID, AgentID: "1000003", ContactSecret: in.ContactSecret, AppSecret: in.AppSecret,
			CallbackToken: in.CallbackToken, EncodingAESKey: in.EncodingAESKey}
		if diff := cmp.Diff(want, sec); diff != "" {
			t.Errorf("secrets (-want +got)\n%s", diff)
		}
		_, err = f.svc.SetWeComSettings(f.owner, org.WeComSettingsInput{CorpID: "corp", AgentID: "x", EncodingAESKey: "short", CallbackToken: "bad token"})
		if diff := cmp.Diff(map[string]string{"corp_id": "invalid", "agent_id": "invalid", "encoding_aes_key": "invalid", "callback_token": "invalid"}, fieldCodes(err)); diff != "" {
			t.Errorf("bad settings (-want +got)\n%s", diff)
		}
	})
}

// TestConcurrentMovesKeepTheTree: opposite moves at the same time never build a cycle, and a
// unit created under a moving parent gets the parent's final path.
func TestConcurrentMovesKeepTheTree(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		root := f.root(t)
		for i := 0; i < 10; i++ {
			x := f.unit(t, root.ID, fmt.Sprintf("X%d", i), org.KindBranch)
			y := f.unit(t, root.ID, fmt.Sprintf("Y%d", i), org.KindBranch)
			var wg sync.WaitGroup
			wg.Add(3)
			go func() { defer wg.Done(); _, _ = f.svc.UpdateUnit(f.owner, x.ID, org.UnitPatch{ParentID: &y.ID}) }()
			go func() { defer wg.Done(); _, _ = f.svc.UpdateUnit(f.owner, y.ID, org.UnitPatch{ParentID: &x.ID}) }()
			go func() {
				defer wg.Done()
				_, _ = f.svc.CreateUnit(f.owner, org.UnitInput{ParentID: x.ID, Name: fmt.Sprintf("C%d", i), Kind: org.KindStore})
			}()
			wg.Wait()
		}
		units, err := f.svc.ListUnits(f.owner)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[int64]org.Unit{}
		for _, u := range units {
			byID[u.ID] = u
		}
		for _, u := range units {
			if u.ParentID == nil {
				continue
			}
			parent, ok := byID[*u.ParentID]
			if want := fmt.Sprintf("%s%d/", parent.Path, u.ID); !ok || u.Path != want {
				t.Errorf("unit %s path %s, want %s (parent %+v)", u.Name, u.Path, want, parent)
			}
		}
	})
}

// TestLockoutDoesNotRevealAccounts: unknown and known usernames behave alike, and a resigned
// guide loses console and token access.
func TestLockoutDoesNotRevealAccounts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		shop := f.unit(t, f.root(t).ID, "店", org.KindStore)
		guide := f.staff(t, shop.ID, "导购", "13900000009")
		if _, err := f.svc.CreateUserInTenant(ctx, f.tenant.Slug, org.UserInput{Username: "g1", Password: "guide-password", Role: org.Guide, StaffID: guide.ID}); err != nil {
			t.Fatal(err)
		}
		codes := func(user string) []httpx.Code {
			var out []httpx.Code
			for i := 0; i <= org.MaxFailedLogins; i++ {
				_, err := f.svc.Login(ctx, org.LoginInput{Tenant: f.tenant.Slug, Username: user, Password: "wrong-password"})
				out = append(out, httpx.ErrorCode(err))
			}
			return out
		}
		if known, unknown := codes("g1"), codes("nobody"); !cmp.Equal(known, unknown) || known[org.MaxFailedLogins] != httpx.Locked {
			t.Errorf("known user %v, unknown user %v: want the same, ending locked", known, unknown)
		}
		// A lock that has run out starts a fresh count: one more failure does not lock again.
		*f.now = f.now.Add(org.LockoutDuration + time.Second)
		if _, err := f.svc.Login(ctx, org.LoginInput{Tenant: f.tenant.Slug, Username: "g1", Password: "wrong-password"}); httpx.ErrorCode(err) != httpx.Unauthorized {
			t.Errorf("first failure after lockout: %v, want unauthorized", err)
		}
		sess, err := f.svc.Login(ctx, org.LoginInput{Tenant: f.tenant.Slug, Username: "g1", Password: "guide-password"})
		if err != nil {
			t.Fatalf("guide login: %v", err)
		}
		tok, err := f.svc.CreateToken(f.owner, org.TokenInput{Name: "g", Role: org.Guide, StaffID: guide.ID})
		if err != nil {
			t.Fatal(err)
		}
		resigned := org.StaffResigned
		if _, err := f.svc.UpdateStaff(f.owner, guide.ID, org.StaffPatch{Status: &resigned}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Login(ctx, org.LoginInput{Tenant: f.tenant.Slug, Username: "g1", Password: "guide-password"}); httpx.ErrorCode(err) != httpx.Unauthorized {
			t.Errorf("resigned guide login: %v, want unauthorized", err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE tenant_id = ?`, f.tenant.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("sessions after resignation: %d (%v), want 0 (had %s)", n, err, sess.ExpiresAt)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok.Secret)
		if _, err := f.svc.Authenticate(r); httpx.ErrorCode(err) != httpx.Unauthorized {
			t.Errorf("resigned guide's token: %v, want unauthorized", err)
		}
	})
}

func TestDeleteUnitWithTokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		shop := f.unit(t, f.root(t).ID, "店", org.KindStore)
		tok, err := f.svc.CreateToken(f.owner, org.TokenInput{Name: "m", Role: org.Manager, OrgUnitID: shop.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteUnit(f.owner, shop.ID); httpx.ErrorCode(err) != httpx.Conflict {
			t.Errorf("delete unit with a live token: %v, want conflict", err)
		}
		if err := f.svc.RevokeToken(f.owner, tok.Token.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteUnit(f.owner, shop.ID); err != nil {
			t.Errorf("delete unit with a revoked token: %v", err)
		}
	})
}

// TestApplyWeComConflicts: conflicting names and mobiles from WeCom do not fail the sync (on
// PostgreSQL a caught error would abort the whole transaction).
func TestApplyWeComConflicts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		root := f.root(t)
		f.staff(t, root.ID, "控制台员工", "13900000077")
		depts := []org.Department{{WeComID: 1, Name: "总部"}, {WeComID: 2, ParentWeComID: 1, Name: "甲店"}, {WeComID: 3, ParentWeComID: 1, Name: "乙店"}}
		if _, err := f.svc.ApplyDepartments(ctx, f.tenant.ID, depts); err != nil {
			t.Fatal(err)
		}
		depts[2].Name = "甲店" // renamed in WeCom to a sibling's name
		if _, err := f.svc.ApplyDepartments(ctx, f.tenant.ID, depts); err != nil {
			t.Fatalf("rename onto a sibling's name: %v", err)
		}
		members := []org.WeComMember{
			{UserID: "u1", Name: "新导购", Mobile: "13900000077", DepartmentIDs: []int64{2}}, // mobile of the console staff
			{UserID: "u2", Name: "另一位", Mobile: "13900000088", DepartmentIDs: []int64{3}},
		}
		if n, err := f.svc.ApplyMembers(ctx, f.tenant.ID, members); err != nil || n != 2 {
			t.Fatalf("members: %d %v", n, err)
		}
		members[1].Mobile = "13900000077" // u2 changes to a mobile someone else has
		if _, err := f.svc.ApplyMembers(ctx, f.tenant.ID, members); err != nil {
			t.Fatalf("mobile conflict on update: %v", err)
		}
		ids, err := f.svc.StaffIDsByWeCom(ctx, f.tenant.ID, []string{"u1", "u2"})
		if err != nil || len(ids) != 2 {
			t.Errorf("synced members: %v %v", ids, err)
		}
	})
}
