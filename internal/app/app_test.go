package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var cheap = org.PasswordParams{Memory: 64, Time: 1, Threads: 1}

const testKey = "c2l5dS10ZXN0LWtleS1zaXl1LXRlc3Qta2V5LTMyYnk="

// engines runs fn against a whole Siyu on SQLite and on PostgreSQL.
func engines(t *testing.T, fn func(t *testing.T, a *app.App, srv *httptest.Server)) {
	t.Run("sqlite", func(t *testing.T) {
		a, srv := start(t, "")
		fn(t, a, srv)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.PostgresDSN(t)
		if dsn == "" {
			return
		}
		a, srv := start(t, dsn)
		fn(t, a, srv)
	})
}

func start(t *testing.T, dsn string) (*app.App, *httptest.Server) {
	t.Helper()
	cfg := config.Default()
	// One key for every test: PostgreSQL tests share the package's database, and its key check.
	cfg.DataDir, cfg.DB, cfg.SecretKey = t.TempDir(), dsn, testKey
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Open(context.Background(), cfg, log, app.Options{OrgOptions: org.Options{Password: &cheap}})
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return a, srv
}

var seq atomic.Int64

func uniq(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, seq.Add(1))
}

// client is an HTTP client acting as one caller: a session (cookie + CSRF) or a bearer token.
type client struct {
	t      *testing.T
	base   string
	http   *http.Client
	csrf   string
	bearer string
}

type response struct {
	Status int
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response %d is not JSON: %s", r.Status, r.Body)
	}
	return m
}

func (c *client) do(method, path string, body any) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b}
}

func login(t *testing.T, srv *httptest.Server, tenant, username, password string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: srv.URL, http: &http.Client{Jar: jar}}
	r := c.do("POST", "/api/v1/auth/login", map[string]string{"tenant": tenant, "username": username, "password": password})
	if r.Status != 200 {
		t.Fatalf("login %s/%s: %d %s", tenant, username, r.Status, r.Body)
	}
	c.csrf = r.json(t)["csrf_token"].(string)
	return c
}

// world is two tenants: A with a branch/store tree, staff and one user per role; B with its own
// objects, which A must never reach.
type world struct {
	a, b                   org.Tenant
	root, east, south      org.Unit
	shopA, shopB           org.Unit
	guideStaff, a2, south1 org.Staff
	users                  map[org.Role]*client
	ownerCtx               context.Context
	bUnit                  org.Unit
	bStaff                 org.Staff
	bToken                 org.NewToken
	analystID              int64
	guideCustomer          int64
	southCustomer          int64
	bCustomer              int64
	bUser                  org.User
	tagGroup, tag          int64 // tenant A's tag library (synced, no WeCom calls needed to read it)
	bTagGroup, bTag        int64
	bNote                  int64 // a note on tenant B's customer
}

// libraryIDs returns the ids of a tenant's first tag group and tag.
func libraryIDs(t *testing.T, a *app.App, tenantID int64) (int64, int64) {
	t.Helper()
	var g, tg int64
	if err := a.DB.QueryRowContext(context.Background(), `SELECT group_id, id FROM tags WHERE tenant_id = ? ORDER BY id LIMIT 1`, tenantID).Scan(&g, &tg); err != nil {
		t.Fatal(err)
	}
	return g, tg
}

const pw = "password-123"

func build(t *testing.T, a *app.App, srv *httptest.Server) *world {
	t.Helper()
	ctx := context.Background()
	svc := a.Org
	w := &world{users: map[org.Role]*client{}}
	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	w.a, err = svc.CreateTenant(ctx, uniq("ta"), "品牌A")
	must(err)
	w.b, err = svc.CreateTenant(ctx, uniq("tb"), "品牌B")
	must(err)
	asOwner := func(t org.Tenant) context.Context {
		return org.WithCaller(ctx, org.Caller{TenantID: t.ID, TenantSlug: t.Slug, Role: org.Owner})
	}
	w.ownerCtx = asOwner(w.a)
	units, err := svc.ListUnits(w.ownerCtx)
	must(err)
	w.root = units[0]
	w.east, err = svc.CreateUnit(w.ownerCtx, org.UnitInput{ParentID: w.root.ID, Name: "华东", Kind: org.KindBranch})
	must(err)
	w.south, err = svc.CreateUnit(w.ownerCtx, org.UnitInput{ParentID: w.root.ID, Name: "华南", Kind: org.KindBranch})
	must(err)
	w.shopA, err = svc.CreateUnit(w.ownerCtx, org.UnitInput{ParentID: w.east.ID, Name: "A店", Kind: org.KindStore})
	must(err)
	w.shopB, err = svc.CreateUnit(w.ownerCtx, org.UnitInput{ParentID: w.south.ID, Name: "B店", Kind: org.KindStore})
	must(err)
	w.guideStaff, err = svc.CreateStaff(w.ownerCtx, org.StaffInput{Name: "导购甲", Mobile: "13900000001", WeComUserID: "gA1", OrgUnitID: w.shopA.ID})
	must(err)
	w.a2, err = svc.CreateStaff(w.ownerCtx, org.StaffInput{Name: "导购乙", Mobile: "13900000002", WeComUserID: "gA2", OrgUnitID: w.shopA.ID})
	must(err)
	w.south1, err = svc.CreateStaff(w.ownerCtx, org.StaffInput{Name: "导购丙", Mobile: "13900000003", WeComUserID: "gS1", OrgUnitID: w.shopB.ID})
	must(err)
	// Customers: one of the guide's (in the manager's branch), one of the other branch.
	applied, err := a.Customers.ApplyContact(ctx, w.a.ID, wecom.ExternalContact{ExternalUserID: "wmGuide", Name: "顾客甲"},
		[]customer.Follow{{UserID: "gA1", State: "poster"}})
	must(err)
	w.guideCustomer = applied.CustomerID
	applied, err = a.Customers.ApplyContact(ctx, w.a.ID, wecom.ExternalContact{ExternalUserID: "wmSouth", Name: "顾客丙"},
		[]customer.Follow{{UserID: "gS1", State: "store"}})
	must(err)
	w.southCustomer = applied.CustomerID
	for _, role := range org.Roles {
		in := org.UserInput{Username: string(role), Password: pw, Role: role}
		switch role {
		case org.Manager:
			in.OrgUnitID = w.east.ID
		case org.Guide:
			in.StaffID = w.guideStaff.ID
		}
		u, err := svc.CreateUserInTenant(ctx, w.a.Slug, in)
		must(err)
		if role == org.Analyst {
			w.analystID = u.ID
		}
		w.users[role] = login(t, srv, w.a.Slug, string(role), pw)
	}
	bOwner := asOwner(w.b)
	bUnits, err := svc.ListUnits(bOwner)
	must(err)
	w.bUnit, err = svc.CreateUnit(bOwner, org.UnitInput{ParentID: bUnits[0].ID, Name: "B的门店", Kind: org.KindStore})
	must(err)
	w.bStaff, err = svc.CreateStaff(bOwner, org.StaffInput{Name: "乙方员工", OrgUnitID: w.bUnit.ID})
	must(err)
	w.bToken, err = svc.CreateToken(bOwner, org.TokenInput{Name: "b", Role: org.Analyst})
	must(err)
	w.bUser, err = svc.CreateUserInTenant(ctx, w.b.Slug, org.UserInput{Username: "b-analyst", Password: pw, Role: org.Analyst})
	must(err)
	_, err = svc.CreateStaff(bOwner, org.StaffInput{Name: "乙方导购", WeComUserID: "gA1", OrgUnitID: w.bUnit.ID})
	must(err)
	applied, err = a.Customers.ApplyContact(ctx, w.b.ID, wecom.ExternalContact{ExternalUserID: "wmGuide", Name: "乙方顾客"},
		[]customer.Follow{{UserID: "gA1"}})
	must(err)
	w.bCustomer = applied.CustomerID
	bNote, err := a.Customers.AddNote(bOwner, w.bCustomer, customer.NoteInput{Content: "乙方备注"})
	must(err)
	w.bNote = bNote.ID
	for _, tn := range []org.Tenant{w.a, w.b} {
		_, err = a.Customers.ApplyTags(ctx, tn.ID, []wecom.TagGroup{{GroupID: "etG1", GroupName: "等级", Tag: []wecom.CorpTag{{ID: "etT1", Name: "VIP"}}}})
		must(err)
	}
	w.tagGroup, w.tag = libraryIDs(t, a, w.a.ID)
	w.bTagGroup, w.bTag = libraryIDs(t, a, w.b.ID)
	return w
}

// call is one request of the authorization table; fresh makes a new target per role so
// destructive calls do not interfere.
type call struct {
	path string
	body any
}

func (w *world) cases(t *testing.T, a *app.App) map[string]func(role org.Role) call {
	svc := a.Org
	freshUnit := func() int64 {
		u, err := svc.CreateUnit(w.ownerCtx, org.UnitInput{ParentID: w.shopA.ID, Name: uniq("柜台"), Kind: org.KindDepartment})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	freshToken := func() int64 {
		nt, err := svc.CreateToken(w.ownerCtx, org.TokenInput{Name: uniq("tok"), Role: org.Analyst})
		if err != nil {
			t.Fatal(err)
		}
		return nt.Token.ID
	}
	freshUser := func() int64 {
		u, err := svc.CreateUserInTenant(context.Background(), w.a.Slug, org.UserInput{Username: uniq("staffer"), Password: pw, Role: org.Analyst})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	// Customers of the south branch (outside the manager's and the guide's scope), fresh per call.
	freshSouth := func() int64 {
		applied, err := a.Customers.ApplyContact(context.Background(), w.a.ID, wecom.ExternalContact{ExternalUserID: uniq("wmFresh"), Name: "新顾客"},
			[]customer.Follow{{UserID: "gS1"}})
		if err != nil {
			t.Fatal(err)
		}
		return applied.CustomerID
	}
	return map[string]func(org.Role) call{
		"GET /api/v1/customers/lookup": func(org.Role) call { return call{"/api/v1/customers/lookup?value=wmGuide", nil} },
		"GET /api/v1/sidebar/agent-config": func(org.Role) call {
			return call{"/api/v1/sidebar/agent-config?url=https%3A%2F%2Fscrm.example.com%2Fsidebar", nil}
		},
		"GET /api/v1/customers/{id}/identities": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/customers/%d/identities", w.southCustomer), nil}
		},
		"POST /api/v1/customers/{id}/identities": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/customers/%d/identities", w.southCustomer), map[string]any{"kind": "phone", "value": "13700000001"}}
		},
		"DELETE /api/v1/customers/{id}/identities": func(org.Role) call {
			phone := fmt.Sprintf("+86137%08d", seq.Add(1))
			if _, err := a.Customers.AddIdentity(w.ownerCtx, w.southCustomer, customer.IdentityInput{Kind: "phone", Value: phone}); err != nil {
				t.Fatal(err)
			}
			return call{fmt.Sprintf("/api/v1/customers/%d/identities?kind=phone&value=%s", w.southCustomer, strings.Replace(phone, "+", "%2B", 1)), nil}
		},
		"GET /api/v1/customers/{id}/merges": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/customers/%d/merges", w.southCustomer), nil}
		},
		"POST /api/v1/customers/{id}/merge": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/customers/%d/merge", freshSouth()), map[string]any{"from_id": freshSouth()}}
		},
		"POST /api/v1/customers/{id}/split": func(org.Role) call {
			into := freshSouth()
			m, err := a.Customers.MergeCustomers(w.ownerCtx, into, customer.MergeInput{FromID: freshSouth()})
			if err != nil {
				t.Fatal(err)
			}
			return call{fmt.Sprintf("/api/v1/customers/%d/split", into), map[string]any{"merge_id": m.ID}}
		},
		"GET /api/v1/customers/{id}/notes": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/customers/%d/notes", w.southCustomer), nil}
		},
		"POST /api/v1/customers/{id}/notes": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/customers/%d/notes", w.southCustomer), map[string]any{"content": "到店试用"}}
		},
		"DELETE /api/v1/customer-notes/{id}": func(org.Role) call {
			n, err := a.Customers.AddNote(w.ownerCtx, w.southCustomer, customer.NoteInput{Content: uniq("备注")})
			if err != nil {
				t.Fatal(err)
			}
			return call{fmt.Sprintf("/api/v1/customer-notes/%d", n.ID), nil}
		},
		"POST /api/v1/auth/logout": func(org.Role) call { return call{"/api/v1/auth/logout", nil} },
		"GET /api/v1/auth/me":      func(org.Role) call { return call{"/api/v1/auth/me", nil} },
		"POST /api/v1/auth/password": func(org.Role) call {
			return call{"/api/v1/auth/password", map[string]string{"current_password": pw, "new_password": pw}}
		},
		"GET /api/v1/tenant":    func(org.Role) call { return call{"/api/v1/tenant", nil} },
		"GET /api/v1/org-units": func(org.Role) call { return call{"/api/v1/org-units", nil} },
		"POST /api/v1/org-units": func(org.Role) call {
			return call{"/api/v1/org-units", map[string]any{"parent_id": w.shopA.ID, "name": uniq("新柜台"), "kind": "department"}}
		},
		"GET /api/v1/org-units/{id}": func(org.Role) call { return call{fmt.Sprintf("/api/v1/org-units/%d", w.east.ID), nil} },
		"PATCH /api/v1/org-units/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/org-units/%d", freshUnit()), map[string]any{"name": uniq("改名")}}
		},
		"DELETE /api/v1/org-units/{id}": func(org.Role) call { return call{fmt.Sprintf("/api/v1/org-units/%d", freshUnit()), nil} },
		"GET /api/v1/staff":             func(org.Role) call { return call{"/api/v1/staff", nil} },
		"POST /api/v1/staff": func(org.Role) call {
			return call{"/api/v1/staff", map[string]any{"name": "新人", "org_unit_id": w.shopA.ID}}
		},
		"GET /api/v1/staff/{id}": func(org.Role) call { return call{fmt.Sprintf("/api/v1/staff/%d", w.south1.ID), nil} },
		"PATCH /api/v1/staff/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/staff/%d", w.a2.ID), map[string]any{"name": uniq("乙")}}
		},
		"GET /api/v1/users": func(org.Role) call { return call{"/api/v1/users", nil} },
		"POST /api/v1/users": func(org.Role) call {
			return call{"/api/v1/users", map[string]any{"username": uniq("u"), "password": pw, "role": "analyst"}}
		},
		"PATCH /api/v1/users/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/users/%d", freshUser()), map[string]any{"display_name": "改名", "disabled": true}}
		},
		"GET /api/v1/tokens": func(org.Role) call { return call{"/api/v1/tokens", nil} },
		"POST /api/v1/tokens": func(org.Role) call {
			return call{"/api/v1/tokens", map[string]any{"name": uniq("t"), "role": "analyst"}}
		},
		"DELETE /api/v1/tokens/{id}":   func(org.Role) call { return call{fmt.Sprintf("/api/v1/tokens/%d", freshToken()), nil} },
		"GET /api/v1/settings/wecom":   func(org.Role) call { return call{"/api/v1/settings/wecom", nil} },
		"GET /api/v1/wecom/status":     func(org.Role) call { return call{"/api/v1/wecom/status", nil} },
		"GET /api/v1/wecom/sync-runs":  func(org.Role) call { return call{"/api/v1/wecom/sync-runs", nil} },
		"GET /api/v1/customers":        func(org.Role) call { return call{"/api/v1/customers", nil} },
		"GET /api/v1/customers/{id}":   func(org.Role) call { return call{fmt.Sprintf("/api/v1/customers/%d", w.southCustomer), nil} },
		"POST /api/v1/wecom/sync-runs": func(org.Role) call { return call{"/api/v1/wecom/sync-runs", map[string]any{}} },
		"POST /api/v1/customers/{id}/tags": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/customers/%d/tags", w.southCustomer), map[string]any{"add": []int64{w.tag}}}
		},
		"GET /api/v1/tag-groups": func(org.Role) call { return call{"/api/v1/tag-groups", nil} },
		"POST /api/v1/tag-groups": func(org.Role) call {
			return call{"/api/v1/tag-groups", map[string]any{"name": "会员", "tags": []string{"金卡"}}}
		},
		"POST /api/v1/tag-groups/{id}/tags": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/tag-groups/%d/tags", w.tagGroup), map[string]any{"name": uniq("新标签")}}
		},
		"PATCH /api/v1/tags/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/tags/%d", w.tag), map[string]any{"name": "改名"}}
		},
		"DELETE /api/v1/tags/{id}": func(org.Role) call { return call{fmt.Sprintf("/api/v1/tags/%d", w.tag), nil} },
		"PUT /api/v1/settings/wecom": func(org.Role) call {
			return call{"/api/v1/settings/wecom", map[string]any{"corp_id": "ww0123456789abcdef", "agent_id": "1000002"}}
		},
	}
}

// Capabilities with their own test file add rows to the whole-program tables through these
// (statuses is a plain map they add to from init).
var (
	moreCases    []func(t *testing.T, a *app.App, w *world) map[string]func(org.Role) call
	moreObjects  []func(t *testing.T, a *app.App, w *world) map[string]int64
	moreInvalid  []func(t *testing.T, a *app.App, w *world) map[string]badCase
	moreSnapshot []string
)

// badCase is one invalid request of TestBadInput.
type badCase struct {
	path   string
	body   any
	fields []string
}

// statuses lists, per route, the status each role gets, in the order of org.Roles:
// owner, admin, manager, guide, analyst, service.
var statuses = map[string][6]int{
	"POST /api/v1/auth/logout":      {204, 204, 204, 204, 204, 204},
	"GET /api/v1/auth/me":           {200, 200, 200, 200, 200, 200},
	"POST /api/v1/auth/password":    {204, 204, 204, 204, 204, 204},
	"GET /api/v1/tenant":            {200, 200, 200, 200, 200, 200},
	"GET /api/v1/org-units":         {200, 200, 200, 200, 200, 200},
	"POST /api/v1/org-units":        {201, 201, 201, 403, 403, 403},
	"GET /api/v1/org-units/{id}":    {200, 200, 200, 404, 200, 200}, // the manager's own branch
	"PATCH /api/v1/org-units/{id}":  {200, 200, 200, 403, 403, 403},
	"DELETE /api/v1/org-units/{id}": {204, 204, 204, 403, 403, 403},
	"GET /api/v1/staff":             {200, 200, 200, 200, 200, 200},
	"POST /api/v1/staff":            {201, 201, 201, 403, 403, 403},
	"GET /api/v1/staff/{id}":        {200, 200, 404, 404, 200, 200}, // staff of the other branch
	"PATCH /api/v1/staff/{id}":      {200, 200, 200, 403, 403, 403},
	"GET /api/v1/users":             {200, 200, 403, 403, 403, 403},
	"POST /api/v1/users":            {201, 201, 403, 403, 403, 403},
	"PATCH /api/v1/users/{id}":      {200, 200, 403, 403, 403, 403},
	"GET /api/v1/tokens":            {200, 200, 403, 403, 403, 403},
	"POST /api/v1/tokens":           {201, 201, 403, 403, 403, 403},
	"DELETE /api/v1/tokens/{id}":    {204, 204, 403, 403, 403, 403},
	"GET /api/v1/settings/wecom":    {200, 200, 403, 403, 403, 403},
	"PUT /api/v1/settings/wecom":    {200, 200, 403, 403, 403, 403},
	"GET /api/v1/wecom/status":      {200, 200, 403, 403, 403, 403},
	"GET /api/v1/customers":         {200, 200, 200, 200, 200, 200},
	"GET /api/v1/customers/{id}":    {200, 200, 404, 404, 200, 200}, // a customer of the other branch
	"GET /api/v1/wecom/sync-runs":   {200, 200, 403, 403, 403, 403},
	"POST /api/v1/wecom/sync-runs":  {409, 409, 403, 403, 403, 403}, // tenant A has no WeCom settings
	// Tag writes go to WeCom first: tenant A has no WeCom settings, so permitted callers reach the
	// 409 wecom_not_configured after their input and target passed every check.
	"GET /api/v1/tag-groups":            {200, 200, 200, 200, 200, 200},
	"POST /api/v1/tag-groups":           {409, 409, 409, 403, 403, 403},
	"POST /api/v1/tag-groups/{id}/tags": {409, 409, 409, 403, 403, 403},
	"PATCH /api/v1/tags/{id}":           {409, 409, 409, 403, 403, 403},
	"DELETE /api/v1/tags/{id}":          {409, 409, 409, 403, 403, 403},
	// Tagging a customer needs customer.tag and the customer in scope, then WeCom (409 here).
	"POST /api/v1/customers/{id}/tags": {409, 409, 404, 404, 403, 409}, // a customer of the other branch
	// Customer profile: the objects are the other branch's customer (404 for manager and guide).
	"GET /api/v1/customers/lookup":             {200, 200, 200, 200, 400, 200}, // the guide's own customer; analysts may not look people up
	"GET /api/v1/sidebar/agent-config":         {409, 409, 409, 409, 409, 409}, // tenant A has no WeCom app to sign with
	"GET /api/v1/customers/{id}/identities":    {200, 200, 404, 404, 200, 200},
	"POST /api/v1/customers/{id}/identities":   {200, 200, 404, 404, 403, 200},
	"DELETE /api/v1/customers/{id}/identities": {204, 204, 404, 404, 403, 204},
	"GET /api/v1/customers/{id}/merges":        {200, 200, 404, 404, 200, 200},
	"POST /api/v1/customers/{id}/merge":        {200, 200, 404, 404, 403, 200},
	"POST /api/v1/customers/{id}/split":        {200, 200, 404, 404, 403, 200},
	"GET /api/v1/customers/{id}/notes":         {200, 200, 404, 404, 200, 200},
	"POST /api/v1/customers/{id}/notes":        {201, 201, 404, 404, 403, 201},
	"DELETE /api/v1/customer-notes/{id}":       {204, 204, 404, 404, 403, 403}, // the owner's note: only owners and admins delete others'
}

// TestAuthorizationTable sends every API route as every role and checks the status; a route
// without a row here fails the test, so new routes must declare who may call them.
func TestAuthorizationTable(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := build(t, a, srv)
		cases := w.cases(t, a)
		for _, more := range moreCases {
			for k, v := range more(t, a, w) {
				cases[k] = v
			}
		}
		for k, v := range lossTransferCases(t, a, w) {
			cases[k] = v
		}
		for k, v := range acquisitionCases(t, a, w) {
			cases[k] = v
		}
		anon := &client{t: t, base: srv.URL, http: http.DefaultClient}
		for _, route := range a.Router.Routes() {
			key := route.Method + " " + route.Path
			if route.Public {
				continue
			}
			mk, ok := cases[key]
			want, ok2 := statuses[key]
			if !ok || !ok2 {
				t.Errorf("route %s has no authorization case", key)
				continue
			}
			if key == "POST /api/v1/auth/logout" {
				continue // checked last: it ends the sessions the other rows use
			}
			for i, role := range org.Roles {
				c := mk(role)
				r := w.users[role].do(route.Method, c.path, c.body)
				if r.Status != want[i] {
					t.Errorf("%s as %s: %d %s, want %d", key, role, r.Status, r.Body, want[i])
				}
			}
			c := mk(org.Owner)
			if r := anon.do(route.Method, c.path, c.body); r.Status != 401 {
				t.Errorf("%s anonymous: %d, want 401", key, r.Status)
			}
		}
		for _, role := range org.Roles {
			if r := w.users[role].do("POST", "/api/v1/auth/logout", nil); r.Status != 204 {
				t.Errorf("logout as %s: %d", role, r.Status)
			}
			if r := w.users[role].do("GET", "/api/v1/auth/me", nil); r.Status != 401 {
				t.Errorf("me after logout as %s: %d, want 401", role, r.Status)
			}
		}
	})
}

// TestTenantIsolation: a token of tenant A gets 404 on every object of tenant B.
func TestTenantIsolation(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := build(t, a, srv)
		nt, err := a.Org.CreateToken(w.ownerCtx, org.TokenInput{Name: "A owner", Role: org.Owner})
		if err != nil {
			t.Fatal(err)
		}
		c := &client{t: t, base: srv.URL, http: http.DefaultClient, bearer: nt.Secret}
		objects := map[string]int64{"/api/v1/org-units/": w.bUnit.ID, "/api/v1/staff/": w.bStaff.ID, "/api/v1/tokens/": w.bToken.Token.ID,
			"/api/v1/users/": w.bUser.ID, "/api/v1/customers/": w.bCustomer, "/api/v1/tag-groups/": w.bTagGroup, "/api/v1/tags/": w.bTag,
			"/api/v1/customer-notes/": w.bNote}
		for _, more := range moreObjects {
			for k, v := range more(t, a, w) {
				objects[k] = v
			}
		}
		addLossTransferObjects(t, a, w, objects)
		addAcquisitionObjects(t, a, w, objects)
		tested := 0
		for _, route := range a.Router.Routes() {
			prefix, suffix, found := strings.Cut(route.Path, "{id}")
			if !found {
				continue
			}
			id, ok := objects[prefix]
			if !ok {
				t.Errorf("route %s %s: no tenant-B object to probe", route.Method, route.Path)
				continue
			}
			body := any(nil)
			if route.Method == "PATCH" || route.Method == "POST" || route.Method == "PUT" {
				body = map[string]any{"name": "入侵"}
				switch {
				case prefix == "/api/v1/customer-fields/":
					body = map[string]any{"label": "入侵"}
				case prefix == "/api/v1/customers/" && suffix == "/fields":
					body = map[string]any{"remark": "入侵"}
				case prefix == "/api/v1/customer-imports/" && suffix == "/run":
					body = map[string]any{"mapping": []string{"phone"}, "mode": "skip_bad"}
				case prefix == "/api/v1/users/":
					body = map[string]any{"disabled": true}
				case prefix == "/api/v1/customers/" && suffix == "/tags":
					body = map[string]any{"add": []int64{w.bTag}}
				case prefix == "/api/v1/customers/" && suffix == "/identities":
					body = map[string]any{"kind": "phone", "value": "13700000009"}
				case prefix == "/api/v1/customers/" && suffix == "/merge":
					body = map[string]any{"from_id": w.guideCustomer}
				case prefix == "/api/v1/customers/" && suffix == "/split":
					body = map[string]any{"merge_id": 1}
				case prefix == "/api/v1/customers/" && suffix == "/notes":
					body = map[string]any{"content": "入侵"}
				}
			}
			r := c.do(route.Method, fmt.Sprintf("%s%d%s", prefix, id, suffix), body)
			if r.Status != 404 {
				t.Errorf("%s %s%d%s with tenant A's token: %d %s, want 404", route.Method, prefix, id, suffix, r.Status, r.Body)
			}
			tested++
		}
		if tested == 0 {
			t.Fatal("no object routes probed")
		}
		// Lists never show B's objects, and B's objects are unchanged.
		for _, path := range []string{"/api/v1/org-units", "/api/v1/staff?limit=500", "/api/v1/tokens?limit=500"} {
			r := c.do("GET", path, nil)
			for _, name := range []string{"B的门店", "乙方员工", `"name":"b"`} {
				if bytes.Contains(r.Body, []byte(name)) {
					t.Errorf("GET %s leaks tenant B object %s", path, name)
				}
			}
		}
		bOwner := org.WithCaller(context.Background(), org.Caller{TenantID: w.b.ID, TenantSlug: w.b.Slug, Role: org.Owner})
		if u, err := a.Org.GetUnit(bOwner, w.bUnit.ID); err != nil || u.Name != "B的门店" {
			t.Errorf("tenant B unit after probes: %+v %v", u, err)
		}
	})
}

// TestBadInput: every write endpoint answers bad input with 400 and field errors, and writes
// nothing.
func TestBadInput(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := build(t, a, srv)
		owner := w.users[org.Owner]
		invalid := map[string]struct {
			path   string
			body   any
			fields []string
		}{
			"POST /api/v1/auth/login":    {"/api/v1/auth/login", map[string]any{}, []string{"tenant", "username", "password"}},
			"POST /api/v1/auth/password": {"/api/v1/auth/password", map[string]any{"current_password": pw, "new_password": "short"}, []string{"new_password"}},
			"POST /api/v1/org-units":     {"/api/v1/org-units", map[string]any{"parent_id": w.root.ID, "name": "", "kind": "mall"}, []string{"name", "kind"}},
			"PATCH /api/v1/org-units/{id}": {fmt.Sprintf("/api/v1/org-units/%d", w.shopA.ID), map[string]any{"name": " ", "kind": "x"},
				[]string{"name", "kind"}},
			"POST /api/v1/staff": {"/api/v1/staff", map[string]any{"name": strings.Repeat("长", 40), "mobile": "abc", "org_unit_id": w.shopA.ID},
				[]string{"name", "mobile"}},
			"PATCH /api/v1/staff/{id}": {fmt.Sprintf("/api/v1/staff/%d", w.a2.ID), map[string]any{"status": "fired", "mobile": "1"},
				[]string{"status", "mobile"}},
			"POST /api/v1/users": {"/api/v1/users", map[string]any{"username": "a b", "password": "x", "role": "king"}, []string{"username", "password", "role"}},
			"PATCH /api/v1/users/{id}": {fmt.Sprintf("/api/v1/users/%d", w.analystID), map[string]any{"display_name": "", "role": "king", "password": "x"},
				[]string{"display_name", "role", "password"}},
			"POST /api/v1/tokens":               {"/api/v1/tokens", map[string]any{"name": "", "role": "manager"}, []string{"name", "org_unit_id"}},
			"POST /api/v1/wecom/sync-runs":      {"/api/v1/wecom/sync-runs", map[string]any{"mode": "everything"}, []string{"mode"}},
			"PUT /api/v1/settings/wecom":        {"/api/v1/settings/wecom", map[string]any{"corp_id": "nope", "encoding_aes_key": "short"}, []string{"corp_id", "encoding_aes_key"}},
			"POST /api/v1/tag-groups":           {"/api/v1/tag-groups", map[string]any{"name": strings.Repeat("长", 31), "tags": []string{}}, []string{"name", "tags"}},
			"POST /api/v1/tag-groups/{id}/tags": {fmt.Sprintf("/api/v1/tag-groups/%d/tags", w.tagGroup), map[string]any{"name": " "}, []string{"name"}},
			"PATCH /api/v1/tags/{id}":           {fmt.Sprintf("/api/v1/tags/%d", w.tag), map[string]any{"name": strings.Repeat("x", 31)}, []string{"name"}},
			"POST /api/v1/customers/{id}/tags": {fmt.Sprintf("/api/v1/customers/%d/tags", w.guideCustomer), map[string]any{"add": []int64{w.bTag}},
				[]string{"add"}},
			"POST /api/v1/customers/{id}/identities": {fmt.Sprintf("/api/v1/customers/%d/identities", w.guideCustomer),
				map[string]any{"kind": "qq", "value": " "}, []string{"kind", "value"}},
			"POST /api/v1/customers/{id}/merge": {fmt.Sprintf("/api/v1/customers/%d/merge", w.guideCustomer), map[string]any{"from_id": 0}, []string{"from_id"}},
			"POST /api/v1/customers/{id}/split": {fmt.Sprintf("/api/v1/customers/%d/split", w.guideCustomer), map[string]any{"merge_id": -1}, []string{"merge_id"}},
			"POST /api/v1/customers/{id}/notes": {fmt.Sprintf("/api/v1/customers/%d/notes", w.guideCustomer),
				map[string]any{"kind": "follow_up", "content": "", "method": "fax"}, []string{"content", "method"}},
		}
		for k, v := range lossTransferBadInput(w) {
			invalid[k] = v
		}
		for k, v := range acquisitionBadInput(t, a, w) {
			invalid[k] = v
		}
		for _, more := range moreInvalid {
			for k, v := range more(t, a, w) {
				invalid[k] = struct {
					path   string
					body   any
					fields []string
				}(v)
			}
		}
		before := snapshot(t, a)
		for _, route := range a.Router.Routes() {
			if route.Request == nil {
				continue
			}
			key := route.Method + " " + route.Path
			tc, ok := invalid[key]
			if !ok {
				t.Errorf("write route %s has no bad-input case", key)
				continue
			}
			check := func(label string, body any, fields []string) {
				r := owner.do(route.Method, tc.path, body)
				if r.Status != 400 {
					t.Errorf("%s %s: %d %s, want 400", key, label, r.Status, r.Body)
					return
				}
				e := r.json(t)["error"].(map[string]any)
				got, _ := e["fields"].(map[string]any)
				for _, f := range fields {
					if msg, _ := got[f].(string); msg == "" {
						t.Errorf("%s %s: no message for field %s in %s", key, label, f, r.Body)
					}
				}
				if len(fields) > 0 && len(got) != len(fields) {
					t.Errorf("%s %s: fields %v, want exactly %v", key, label, got, fields)
				}
			}
			check("invalid values", tc.body, tc.fields)
			check("unknown field", map[string]any{"no_such_field": 1}, []string{"no_such_field"})
			check("not JSON", "{not json", nil)
		}
		if after := snapshot(t, a); after != before {
			t.Errorf("bad input changed the database:\n before %s\n after  %s", before, after)
		}
	})
}

// snapshot summarises every table's contents so any write shows.
func snapshot(t *testing.T, a *app.App) string {
	t.Helper()
	var b strings.Builder
	for _, q := range append([]string{
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM org_units",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM staff",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM users",
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM api_tokens",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM tenant_wecom_settings",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM tenants",
		"SELECT COUNT(*), COALESCE(MAX(csrf_token), '') FROM sessions",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM tags",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM tag_groups",
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM customer_tags",
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM customer_events",
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM customer_identities",
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM customer_notes",
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM customer_merges",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM customers",
	}, moreSnapshot...) {
		var n int
		var last string
		if err := a.DB.QueryRowContext(context.Background(), q).Scan(&n, &last); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		fmt.Fprintf(&b, "%d/%s ", n, last)
	}
	for _, q := range append(lossTransferTables, acquisitionTables...) {
		var n int
		var last string
		if err := a.DB.QueryRowContext(context.Background(), q).Scan(&n, &last); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		fmt.Fprintf(&b, "%d/%s ", n, last)
	}
	return b.String()
}

// TestCustomerScopes: each role lists exactly the customers of its scope; analysts see names
// masked.
func TestCustomerScopes(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := build(t, a, srv)
		want := map[org.Role][]int64{
			org.Owner: {w.southCustomer, w.guideCustomer}, org.Admin: {w.southCustomer, w.guideCustomer},
			org.Manager: {w.guideCustomer}, org.Guide: {w.guideCustomer},
			org.Analyst: {w.southCustomer, w.guideCustomer}, org.CustomerService: {w.southCustomer, w.guideCustomer},
		}
		for role, ids := range want {
			r := w.users[role].do("GET", "/api/v1/customers", nil)
			var page struct {
				Items []struct {
					ID   int64  `json:"id"`
					Name string `json:"name"`
				} `json:"items"`
			}
			if err := json.Unmarshal(r.Body, &page); err != nil || r.Status != 200 {
				t.Fatalf("%s: %d %s", role, r.Status, r.Body)
			}
			var got []int64
			for _, it := range page.Items {
				got = append(got, it.ID)
				if masked := strings.Contains(it.Name, "*"); masked != (role == org.Analyst) {
					t.Errorf("%s sees name %q", role, it.Name)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(ids) {
				t.Errorf("%s lists %v, want %v", role, got, ids)
			}
		}
		if r := w.users[org.Analyst].do("GET", "/api/v1/customers?q=%E9%A1%BE", nil); r.Status != 400 {
			t.Errorf("analyst searching names: %d %s, want 400", r.Status, r.Body)
		}
		if r := w.users[org.Analyst].do("GET", fmt.Sprintf("/api/v1/customers/%d", w.guideCustomer), nil); r.Status != 200 ||
			strings.Contains(string(r.Body), "wmGuide") || strings.Contains(string(r.Body), "顾客甲") {
			t.Errorf("analyst profile leaks identities or the name: %s", r.Body)
		}
		r := w.users[org.Guide].do("GET", fmt.Sprintf("/api/v1/customers/%d", w.guideCustomer), nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"added_staff"`) || !strings.Contains(string(r.Body), `"poster"`) {
			t.Errorf("guide's own customer: %d %s", r.Status, r.Body)
		}
	})
}
