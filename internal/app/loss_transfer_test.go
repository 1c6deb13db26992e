package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/notify"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// fastWorkers makes the message and transfer workers poll, retry and re-check in milliseconds.
var fastWorkers = app.Options{
	OrgOptions:      org.Options{Password: &cheap},
	NotifyOptions:   notify.Options{PollEvery: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond},
	TransferOptions: customer.TransferOptions{PollEvery: 20 * time.Millisecond, CheckEvery: 30 * time.Millisecond, RetryBase: 10 * time.Millisecond},
}

// enginesFast is engines with fastWorkers and the workers running.
func enginesFast(t *testing.T, fn func(t *testing.T, a *app.App, srv *httptest.Server)) {
	run := func(t *testing.T, dsn string) {
		cfg := config.Default()
		cfg.DataDir, cfg.DB, cfg.SecretKey = t.TempDir(), dsn, testKey
		a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), fastWorkers)
		if err != nil {
			t.Fatalf("open app: %v", err)
		}
		srv := httptest.NewServer(a.Handler())
		t.Cleanup(func() { srv.Close(); a.Close() })
		a.StartWorkers()
		fn(t, a, srv)
	}
	t.Run("sqlite", func(t *testing.T) { run(t, "") })
	t.Run("postgres", func(t *testing.T) {
		if dsn := storetest.PostgresDSN(t); dsn != "" {
			run(t, dsn)
		}
	})
}

// simWorld is a tenant wired to a simulator: a store with guides and its manager, a manager of
// another branch, and the console users linked to them.
type simWorld struct {
	sim      *wecomsim.Sim
	calls    *callLog
	tenant   org.Tenant
	owner    context.Context
	branch   org.Unit
	shop     org.Unit
	other    org.Unit
	staff    map[string]org.Staff // by WeCom userid
	users    map[string]org.User  // by username
	clients  map[string]*client   // logged-in users by username
	way      string               // a contact way of guide01
	wayOf    map[string]string
	siyuURL  string
	simURL   string
	callback bool
}

// callLog counts the simulator's API calls by path and keeps their bodies.
type callLog struct {
	mu     sync.Mutex
	bodies map[string][][]byte
}

func (l *callLog) of(path string) [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]byte(nil), l.bodies[path]...)
}

// newSimWorld builds the world. With callback false the simulator's events are not delivered
// (Siyu learns customers through ApplyContact instead), for tests that create many customers.
func newSimWorld(t *testing.T, a *app.App, siyu *httptest.Server, callback bool) *simWorld {
	t.Helper()
	ctx := context.Background()
	sim, handler, err := wecomsim.NewServer(wecomsim.Config{Seed: 7, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	calls := &callLog{bodies: map[string][][]byte{}}
	simSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/cgi-bin/") {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			calls.mu.Lock()
			p := strings.TrimPrefix(r.URL.Path, "/cgi-bin/")
			calls.bodies[p] = append(calls.bodies[p], b)
			calls.mu.Unlock()
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(simSrv.Close)
	w := &simWorld{sim: sim, calls: calls, staff: map[string]org.Staff{}, users: map[string]org.User{}, clients: map[string]*client{},
		wayOf: map[string]string{}, siyuURL: siyu.URL, simURL: simSrv.URL, callback: callback}
	w.tenant, err = a.Org.CreateTenant(ctx, uniq("lt"), "继承测试")
	if err != nil {
		t.Fatal(err)
	}
	w.owner = org.WithCaller(ctx, org.Caller{TenantID: w.tenant.ID, TenantSlug: w.tenant.Slug, Role: org.Owner})
	units, err := a.Org.ListUnits(w.owner)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(parent int64, name, kind string) org.Unit {
		u, err := a.Org.CreateUnit(w.owner, org.UnitInput{ParentID: parent, Name: name, Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.branch = mk(units[0].ID, "华东", org.KindBranch)
	w.shop = mk(w.branch.ID, "南京路店", org.KindStore)
	w.other = mk(units[0].ID, "华南", org.KindBranch)
	for _, s := range []struct {
		id, name string
		unit     int64
	}{{"guide01", "王芳", w.shop.ID}, {"guide02", "李娜", w.shop.ID}, {"guide03", "赵敏", w.shop.ID}, {"mgr01", "店长", w.shop.ID}, {"south01", "南区经理", w.other.ID}} {
		if _, err := sim.AddStaff(wecomsim.StaffInput{UserID: s.id, Name: s.name}); err != nil {
			t.Fatal(err)
		}
		st, err := a.Org.CreateStaff(w.owner, org.StaffInput{Name: s.name, WeComUserID: s.id, OrgUnitID: s.unit})
		if err != nil {
			t.Fatal(err)
		}
		w.staff[s.id] = st
	}
	const tok, aes = "LossToken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	if err := a.Org.SetWeComSettingsForTenant(ctx, w.tenant.Slug, org.WeComSettingsInput{CorpID: sim.CorpID(),
		AgentID: fmt.Sprint(wecomsim.DefaultApp.AgentID), ContactSecret: wecomsim.DefaultApp.Secret, AppSecret: wecomsim.DefaultApp.Secret,
		CallbackToken: tok, EncodingAESKey: aes, APIBaseURL: simSrv.URL + "/cgi-bin/"}); err != nil {
		t.Fatal(err)
	}
	if callback {
		sim.Flush(ctx)
		if err := sim.SetCallback(ctx, wecomsim.CallbackConfig{URL: siyu.URL + "/callback/wecom/" + w.tenant.Slug, Token: tok, EncodingAESKey: aes}, true); err != nil {
			t.Fatalf("callback verification: %v", err)
		}
	}
	// Console users: the guide linked to guide01, the store's manager (linked to mgr01), a branch
	// manager without a staff record, and a manager of the other branch.
	for _, u := range []org.UserInput{
		{Username: "guide01", Role: org.Guide, StaffID: w.staff["guide01"].ID},
		{Username: "mgr01", Role: org.Manager, OrgUnitID: w.shop.ID, StaffID: w.staff["mgr01"].ID},
		{Username: "branchmgr", Role: org.Manager, OrgUnitID: w.branch.ID},
		{Username: "southmgr", Role: org.Manager, OrgUnitID: w.other.ID, StaffID: w.staff["south01"].ID},
		{Username: "boss", Role: org.Owner},
	} {
		u.Password = pw
		created, err := a.Org.CreateUserInTenant(ctx, w.tenant.Slug, u)
		if err != nil {
			t.Fatal(err)
		}
		w.users[u.Username] = created
		w.clients[u.Username] = login(t, siyu, w.tenant.Slug, u.Username, pw)
	}
	return w
}

// addCustomer makes a simulated customer add a guide through a contact way, and waits until
// Siyu has recorded the relation. Without callbacks it applies the customer directly.
func (w *simWorld) addCustomer(t *testing.T, a *app.App, guide, name string) (int64, string) {
	t.Helper()
	ctx := context.Background()
	cu, err := w.sim.AddCustomer(wecomsim.CustomerInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	cfgID, ok := w.wayOf[guide]
	if !ok {
		c, err := a.WeCom.Client(ctx, w.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		way, err := c.AddContactWay(ctx, wecom.AddContactWayRequest{Type: 1, Scene: 2, State: "shop", SkipVerify: true, User: []string{guide}})
		if err != nil {
			t.Fatal(err)
		}
		cfgID, w.wayOf[guide] = way.ConfigID, way.ConfigID
	}
	if _, err := w.sim.Scan(cu.ExternalUserID, cfgID); err != nil {
		t.Fatal(err)
	}
	if !w.callback {
		ap, err := a.Customers.ApplyContact(ctx, w.tenant.ID, wecom.ExternalContact{ExternalUserID: cu.ExternalUserID, Name: name},
			[]customer.Follow{{UserID: guide, State: "shop", CreateTime: w.sim.Now().Unix()}})
		if err != nil {
			t.Fatal(err)
		}
		return ap.CustomerID, cu.ExternalUserID
	}
	w.sim.Flush(ctx)
	p := waitFor(t, func() (customer.Profile, bool) {
		p, err := a.Customers.ByIdentity(ctx, w.tenant.ID, customer.IdentityExternalUserID, cu.ExternalUserID)
		return p, err == nil && ltRelationOf(p, guide).Status == customer.RelationActive
	})
	return p.ID, cu.ExternalUserID
}

func ltRelationOf(p customer.Profile, userID string) customer.Relation {
	for _, r := range p.Relations {
		if r.WeComUserID == userID {
			return r
		}
	}
	return customer.Relation{}
}

func ltCount(t *testing.T, a *app.App, q string, args ...any) int {
	t.Helper()
	var n int
	if err := a.DB.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestLossAlerts: a customer deleting a guide reaches the guide and every manager above them —
// one console notification each and one WeCom app message — and nobody else; sending retries
// through injected failures; processing the same event again alerts nobody twice.
func TestLossAlerts(t *testing.T) {
	enginesFast(t, func(t *testing.T, a *app.App, siyu *httptest.Server) {
		ctx := context.Background()
		w := newSimWorld(t, a, siyu, true)
		cid, ext := w.addCustomer(t, a, "guide01", "陈女士")

		// WeCom is busy for the first two sends.
		w.sim.InjectFault("message/send", wecom.CodeBusy, 2)
		if err := w.sim.CustomerDeletesStaff(ext, "guide01"); err != nil {
			t.Fatal(err)
		}
		w.sim.Flush(ctx)
		jobs := waitFor(t, func() ([]notify.MessageJob, bool) {
			j, err := a.Notify.MessageJobs(ctx, w.tenant.ID)
			return j, err == nil && len(j) == 1 && j[0].Status == notify.MessageSent
		})
		if j := jobs[0]; j.Attempts != 3 || j.ToUser != "guide01|mgr01" || !strings.Contains(j.Content, "陈女士") || !strings.Contains(j.Content, "王芳") {
			t.Errorf("message job = %+v", j)
		}
		msgs := w.sim.AppMessages()
		if len(msgs) != 1 || strings.Join(msgs[0].ToUser, ",") != "guide01,mgr01" || msgs[0].AgentID != wecomsim.DefaultApp.AgentID ||
			!strings.Contains(msgs[0].Text.Content, "陈女士") {
			t.Fatalf("app messages = %+v", msgs)
		}
		wantUsers := map[string]int{"guide01": 1, "mgr01": 1, "branchmgr": 1, "southmgr": 0, "boss": 0}
		checkNotes := func(label string) {
			t.Helper()
			for name, want := range wantUsers {
				if n := ltCount(t, a, `SELECT COUNT(*) FROM notifications WHERE tenant_id = ? AND user_id = ? AND kind = ?`,
					w.tenant.ID, w.users[name].ID, customer.KindCustomerLost); n != want {
					t.Errorf("%s: %s has %d loss notifications, want %d", label, name, n, want)
				}
			}
		}
		checkNotes("after the loss")

		// The same event processed again (a retried callback or a processor crash) alerts nobody twice.
		var payload string
		if err := a.DB.QueryRowContext(ctx, `SELECT payload FROM wecom_events WHERE tenant_id = ? AND change_type = ?`,
			w.tenant.ID, wecom.ChangeDelFollowUser).Scan(&payload); err != nil {
			t.Fatal(err)
		}
		ev, err := wecom.ParseEvent([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := a.Customers.HandleWeComEvent(ctx, w.tenant.ID, ev); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.Notify.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		checkNotes("after replays")
		if j, _ := a.Notify.MessageJobs(ctx, w.tenant.ID); len(j) != 1 {
			t.Errorf("message jobs after replays = %+v", j)
		}
		if m := w.sim.AppMessages(); len(m) != 1 {
			t.Errorf("app messages after replays = %d", len(m))
		}

		// The console: the guide's bell, reading, and the losses view by scope.
		guide := w.clients["guide01"]
		var list notify.List
		r := guide.do("GET", "/api/v1/notifications", nil)
		if err := json.Unmarshal(r.Body, &list); err != nil || r.Status != 200 || list.Unread != 1 || len(list.Items) != 1 ||
			list.Items[0].Kind != customer.KindCustomerLost || list.Items[0].Link != fmt.Sprintf("/customers/%d", cid) {
			t.Fatalf("guide's notifications: %d %s", r.Status, r.Body)
		}
		if r := guide.do("POST", fmt.Sprintf("/api/v1/notifications/%d/read", list.Items[0].ID), nil); r.Status != 204 {
			t.Errorf("mark read: %d %s", r.Status, r.Body)
		}
		if r := w.clients["mgr01"].do("POST", fmt.Sprintf("/api/v1/notifications/%d/read", list.Items[0].ID), nil); r.Status != 404 {
			t.Errorf("marking someone else's notification: %d, want 404", r.Status)
		}
		r = guide.do("GET", "/api/v1/notifications?unread=true", nil)
		if err := json.Unmarshal(r.Body, &list); err != nil || list.Unread != 0 || len(list.Items) != 0 {
			t.Errorf("after reading: %s", r.Body)
		}
		r = w.clients["branchmgr"].do("POST", "/api/v1/notifications/read-all", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"updated":1`) {
			t.Errorf("read-all: %d %s", r.Status, r.Body)
		}
		for name, want := range map[string]int{"mgr01": 1, "branchmgr": 1, "southmgr": 0, "boss": 1, "guide01": 1} {
			var losses customer.Losses
			r := w.clients[name].do("GET", "/api/v1/customer-losses?days=7", nil)
			if err := json.Unmarshal(r.Body, &losses); err != nil || r.Status != 200 || len(losses.Items) != want {
				t.Errorf("%s losses: %d %s, want %d", name, r.Status, r.Body, want)
			} else if want == 1 && (losses.Items[0].CustomerName != "陈女士" || losses.Items[0].StaffName != "王芳") {
				t.Errorf("%s losses: %s", name, r.Body)
			}
		}
		if r := w.clients["boss"].do("GET", "/api/v1/customer-losses?days=0", nil); r.Status != 400 {
			t.Errorf("days=0: %d", r.Status)
		}
	})
}

// transferDetail fetches a transfer as the owner.
func (w *simWorld) transfer(t *testing.T, id int64) customer.TransferDetail {
	t.Helper()
	var d customer.TransferDetail
	r := w.clients["boss"].do("GET", fmt.Sprintf("/api/v1/customer-transfers/%d", id), nil)
	if err := json.Unmarshal(r.Body, &d); err != nil || r.Status != 200 {
		t.Fatalf("transfer %d: %d %s", id, r.Status, r.Body)
	}
	return d
}

func (w *simWorld) createTransfer(t *testing.T, as string, in map[string]any) customer.TransferDetail {
	t.Helper()
	var d customer.TransferDetail
	r := w.clients[as].do("POST", "/api/v1/customer-transfers", in)
	if err := json.Unmarshal(r.Body, &d); err != nil || r.Status != 201 {
		t.Fatalf("create transfer %v: %d %s", in, r.Status, r.Body)
	}
	return d
}

// waitItems waits until no customer of a transfer is in one of the given statuses.
func (w *simWorld) waitItems(t *testing.T, id int64, notIn ...string) customer.TransferDetail {
	t.Helper()
	return waitFor(t, func() (customer.TransferDetail, bool) {
		d := w.transfer(t, id)
		for _, it := range d.Items {
			for _, s := range notIn {
				if it.Status == s {
					return d, false
				}
			}
		}
		return d, true
	})
}

func statusesOf(d customer.TransferDetail) map[int64]string {
	out := map[int64]string{}
	for _, it := range d.Items {
		out[it.CustomerID] = it.Status
	}
	return out
}

// TestOnJobTransfer: three customers handed from guide01 to guide02; one refuses within the
// 24 hours, the others are taken over when the window passes — Siyu ends with 2 succeeded and 1
// rejected, and the relations say so. A failed submission is retried on request.
func TestOnJobTransfer(t *testing.T) {
	enginesFast(t, func(t *testing.T, a *app.App, siyu *httptest.Server) {
		ctx := context.Background()
		w := newSimWorld(t, a, siyu, true)
		var cids []int64
		var exts []string
		for _, name := range []string{"甲", "乙", "丙"} {
			cid, ext := w.addCustomer(t, a, "guide01", "顾客"+name)
			cids, exts = append(cids, cid), append(exts, ext)
		}
		d := w.createTransfer(t, "mgr01", map[string]any{"from_staff_id": w.staff["guide01"].ID, "to_staff_id": w.staff["guide02"].ID,
			"customer_ids": cids, "message": "您好，我是新的专属顾问李娜"})
		if d.Kind != customer.TransferOnJob || d.Counts.Total != 3 || d.Status != "running" {
			t.Fatalf("created: %+v", d)
		}
		w.waitItems(t, d.ID, customer.ItemPending)
		sims, _ := w.sim.Snapshot()
		if len(sims.Transfers) != 3 || sims.Transfers[0].Message != "您好，我是新的专属顾问李娜" {
			t.Fatalf("simulator transfers: %+v", sims.Transfers)
		}
		if err := w.sim.RespondTransfer(exts[2], "guide02", false); err != nil {
			t.Fatal(err)
		}
		w.sim.Advance(25 * time.Hour)
		w.sim.Flush(ctx)
		d = w.waitItems(t, d.ID, customer.ItemPending, customer.ItemWaiting)
		st := statusesOf(d)
		if st[cids[0]] != customer.ItemSucceeded || st[cids[1]] != customer.ItemSucceeded || st[cids[2]] != customer.ItemRejected ||
			d.Counts.Succeeded != 2 || d.Counts.Rejected != 1 {
			t.Fatalf("results: %+v", d)
		}
		d = waitFor(t, func() (customer.TransferDetail, bool) { d := w.transfer(t, d.ID); return d, d.Status == "done" })
		if d.FinishedAt == nil {
			t.Errorf("done without finished_at: %+v", d.Transfer)
		}
		for i, cid := range cids {
			p, err := a.Customers.ByIdentity(ctx, w.tenant.ID, customer.IdentityExternalUserID, exts[i])
			if err != nil || p.ID != cid {
				t.Fatal(err)
			}
			from, to := ltRelationOf(p, "guide01"), ltRelationOf(p, "guide02")
			if i < 2 && (from.Status != customer.RelationRemoved || to.Status != customer.RelationActive || to.StaffID == nil ||
				*to.StaffID != w.staff["guide02"].ID || to.State != "shop") {
				t.Errorf("customer %d after takeover: %+v", i, p.Relations)
			}
			if i == 2 && (from.Status != customer.RelationActive || to.Status != "") {
				t.Errorf("customer who refused: %+v", p.Relations)
			}
		}
		// WeCom's events for the same takeover changed nothing more: one relation per member.
		if n := ltCount(t, a, `SELECT COUNT(*) FROM customer_events WHERE tenant_id = ? AND kind = ?`, w.tenant.ID, customer.EventTransferred); n != 2 {
			t.Errorf("transferred timeline events = %d, want 2", n)
		}

		// A submission WeCom refuses fails the customer; retrying submits it again.
		cid, ext := w.addCustomer(t, a, "guide01", "顾客丁")
		w.sim.InjectFault("externalcontact/transfer_customer", wecom.CodeAPIForbidden, 1)
		d = w.createTransfer(t, "boss", map[string]any{"from_staff_id": w.staff["guide01"].ID, "to_staff_id": w.staff["guide03"].ID, "customer_ids": []int64{cid}})
		d = waitFor(t, func() (customer.TransferDetail, bool) { d := w.transfer(t, d.ID); return d, d.Status == "done" })
		if it := d.Items[0]; it.Status != customer.ItemFailed || it.ErrCode != wecom.CodeAPIForbidden || it.Error == "" || d.Status != "done" {
			t.Fatalf("refused submission: %+v", d)
		}
		r := w.clients["boss"].do("POST", fmt.Sprintf("/api/v1/customer-transfers/%d/retry", d.ID), nil)
		if r.Status != 200 {
			t.Fatalf("retry: %d %s", r.Status, r.Body)
		}
		d = w.waitItems(t, d.ID, customer.ItemPending)
		if d.Items[0].Status != customer.ItemWaiting || d.Status != "running" {
			t.Fatalf("after retry: %+v", d)
		}
		if r := w.clients["boss"].do("POST", fmt.Sprintf("/api/v1/customer-transfers/%d/retry", d.ID), nil); r.Status != 409 {
			t.Errorf("retry with nothing failed: %d %s", r.Status, r.Body)
		}
		if err := w.sim.RespondTransfer(ext, "guide03", true); err != nil {
			t.Fatal(err)
		}
		d = w.waitItems(t, d.ID, customer.ItemWaiting)
		if d.Items[0].Status != customer.ItemSucceeded {
			t.Errorf("accepted after retry: %+v", d.Items)
		}

		// Scope: the other branch's manager sees neither the transfers nor may move these staff.
		south := w.clients["southmgr"]
		if r := south.do("GET", fmt.Sprintf("/api/v1/customer-transfers/%d", d.ID), nil); r.Status != 404 {
			t.Errorf("other branch's manager reads a transfer: %d", r.Status)
		}
		r = south.do("POST", "/api/v1/customer-transfers", map[string]any{"from_staff_id": w.staff["guide01"].ID, "to_staff_id": w.staff["south01"].ID, "all": true})
		if r.Status != 400 || !strings.Contains(string(r.Body), "from_staff_id") {
			t.Errorf("transfer from outside the scope: %d %s", r.Status, r.Body)
		}
		// A customer in an unfinished transfer cannot join another.
		cid2, _ := w.addCustomer(t, a, "guide01", "顾客戊")
		w.createTransfer(t, "boss", map[string]any{"from_staff_id": w.staff["guide01"].ID, "to_staff_id": w.staff["guide02"].ID, "customer_ids": []int64{cid2}})
		r = w.clients["boss"].do("POST", "/api/v1/customer-transfers", map[string]any{"from_staff_id": w.staff["guide01"].ID,
			"to_staff_id": w.staff["guide03"].ID, "customer_ids": []int64{cid2}})
		if r.Status != 409 {
			t.Errorf("second transfer of a customer in transfer: %d %s", r.Status, r.Body)
		}
	})
}

// TestResignedTransfer: a member leaves; "all of their customers" comes from WeCom's
// get_unassigned_list and goes through resigned/transfer_customer.
func TestResignedTransfer(t *testing.T) {
	enginesFast(t, func(t *testing.T, a *app.App, siyu *httptest.Server) {
		ctx := context.Background()
		w := newSimWorld(t, a, siyu, true)
		c1, e1 := w.addCustomer(t, a, "guide03", "顾客一")
		c2, e2 := w.addCustomer(t, a, "guide03", "顾客二")
		if err := w.sim.ResignStaff("guide03"); err != nil {
			t.Fatal(err)
		}
		w.sim.Flush(ctx)
		waitFor(t, func() (string, bool) {
			s, err := a.Org.GetStaff(w.owner, w.staff["guide03"].ID)
			return s.Status, err == nil && s.Status == org.StaffResigned
		})
		d := w.createTransfer(t, "boss", map[string]any{"from_staff_id": w.staff["guide03"].ID, "to_staff_id": w.staff["guide01"].ID, "all": true})
		if d.Kind != customer.TransferResigned || d.Counts.Total != 2 {
			t.Fatalf("resigned transfer: %+v", d)
		}
		w.waitItems(t, d.ID, customer.ItemPending)
		if n := len(w.calls.of("externalcontact/resigned/transfer_customer")); n != 1 {
			t.Errorf("resigned/transfer_customer calls = %d", n)
		}
		w.sim.Advance(25 * time.Hour)
		d = w.waitItems(t, d.ID, customer.ItemPending, customer.ItemWaiting)
		if st := statusesOf(d); st[c1] != customer.ItemSucceeded || st[c2] != customer.ItemSucceeded {
			t.Fatalf("resigned transfer results: %+v", d.Items)
		}
		for _, ext := range []string{e1, e2} {
			p, _ := a.Customers.ByIdentity(ctx, w.tenant.ID, customer.IdentityExternalUserID, ext)
			if ltRelationOf(p, "guide01").Status != customer.RelationActive || ltRelationOf(p, "guide03").Status != customer.RelationRemoved {
				t.Errorf("after resigned transfer: %+v", p.Relations)
			}
		}
		if len(w.calls.of("externalcontact/resigned/transfer_result")) == 0 || len(w.calls.of("externalcontact/transfer_result")) != 0 {
			t.Errorf("result endpoints: resigned %d, on-job %d", len(w.calls.of("externalcontact/resigned/transfer_result")),
				len(w.calls.of("externalcontact/transfer_result")))
		}
	})
}

// TestTransferBatches: 250 customers go to WeCom in calls of at most 100.
func TestTransferBatches(t *testing.T) {
	enginesFast(t, func(t *testing.T, a *app.App, siyu *httptest.Server) {
		w := newSimWorld(t, a, siyu, false)
		const n = 250
		for i := range n {
			w.addCustomer(t, a, "guide01", fmt.Sprintf("批量%03d", i))
		}
		d := w.createTransfer(t, "boss", map[string]any{"from_staff_id": w.staff["guide01"].ID, "to_staff_id": w.staff["guide02"].ID, "all": true})
		if d.Counts.Total != n {
			t.Fatalf("total = %d", d.Counts.Total)
		}
		d = w.waitItems(t, d.ID, customer.ItemPending)
		var sizes []int
		for _, b := range w.calls.of("externalcontact/transfer_customer") {
			var req wecom.TransferCustomerRequest
			if err := json.Unmarshal(b, &req); err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(req.ExternalUserID))
		}
		if fmt.Sprint(sizes) != "[100 100 50]" || d.Counts.Waiting != n {
			t.Fatalf("batches %v, counts %+v", sizes, d.Counts)
		}
		w.sim.Advance(25 * time.Hour)
		d = w.waitItems(t, d.ID, customer.ItemWaiting)
		if d.Counts.Succeeded != n {
			t.Errorf("counts after the window: %+v", d.Counts)
		}
	})
}
