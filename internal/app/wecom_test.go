package app_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
	"github.com/siyu-scrm/siyu/internal/wecomsync"
)

// TestWeComEndToEnd runs Siyu against the simulator on both engines: a full sync brings the
// corp's departments, staff and tags; a customer scans a contact-way QR → the add event with its
// State arrives → Siyu creates the customer and the staff relation, records the code, and sends
// the welcome message with the welcome code inside its 20 seconds; joining a group and deleting
// the staff member follow.
func TestWeComEndToEnd(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, siyu *httptest.Server) {
		ctx := context.Background()
		a.StartWorkers()
		sim, handler, err := wecomsim.NewServer(wecomsim.Config{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sim.Close() })
		simSrv := httptest.NewServer(handler)
		t.Cleanup(simSrv.Close)

		tenant, err := a.Org.CreateTenant(ctx, uniq("e2e"), "端到端")
		if err != nil {
			t.Fatal(err)
		}
		const tok, aes = "E2eToken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
		if err := a.Org.SetWeComSettingsForTenant(ctx, tenant.Slug, org.WeComSettingsInput{CorpID: sim.CorpID(),
			ContactSecret: wecomsim.DefaultApp.Secret, CallbackToken: tok, EncodingAESKey: aes,
			APIBaseURL: simSrv.URL + "/cgi-bin/", WelcomeText: "您好{name}，欢迎光临"}); err != nil {
			t.Fatal(err)
		}
		if err := sim.SetCallback(ctx, wecomsim.CallbackConfig{URL: siyu.URL + "/callback/wecom/" + tenant.Slug, Token: tok, EncodingAESKey: aes}, true); err != nil {
			t.Fatalf("callback verification: %v", err)
		}
		store, err := sim.AddDepartment(wecomsim.Department{Name: "南京路店", ParentID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sim.AddStaff(wecomsim.StaffInput{UserID: "guide01", Name: "王芳", Department: []int64{store.ID}, Mobile: "13800000001"}); err != nil {
			t.Fatal(err)
		}
		if _, err := sim.AdminCreateTag(wecomsim.TagInput{GroupName: "客户等级", Name: "VIP"}); err != nil {
			t.Fatal(err)
		}
		sim.Flush(ctx)

		// Full sync.
		if _, err := a.WeCom.StartSync(ctx, tenant.ID, "manual"); err != nil {
			t.Fatal(err)
		}
		run := waitFor(t, func() (wecomsync.SyncRun, bool) {
			runs, err := a.WeCom.SyncRuns(ctx, tenant.ID)
			if err != nil || len(runs.Items) == 0 {
				return wecomsync.SyncRun{}, false
			}
			return runs.Items[0], runs.Items[0].Status != "running"
		})
		if run.Status != "done" || run.Counts.Staff < 1 || run.Counts.Departments < 2 || run.Counts.Tags < 1 {
			t.Fatalf("sync run = %+v", run)
		}
		owner := org.WithCaller(ctx, org.Caller{TenantID: tenant.ID, TenantSlug: tenant.Slug, Role: org.Owner})
		staff, err := a.Org.ListStaff(owner, org.StaffFilter{Query: "guide01", Page: pageOf(10)})
		if err != nil || len(staff.Items) != 1 || staff.Items[0].Name != "王芳" || staff.Items[0].OrgUnitName != "南京路店" {
			t.Fatalf("synced staff = %+v (%v)", staff.Items, err)
		}

		// A customer scans a live code.
		client, err := a.WeCom.Client(ctx, tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		way, err := client.AddContactWay(ctx, wecom.AddContactWayRequest{Type: 1, Scene: 2, State: "poster-618", SkipVerify: true, User: []string{"guide01"}})
		if err != nil {
			t.Fatal(err)
		}
		cu, err := sim.AddCustomer(wecomsim.CustomerInput{Name: "李女士", Gender: 2, UnionID: "oUnionLi"})
		if err != nil {
			t.Fatal(err)
		}
		scanned := time.Now()
		if _, err := sim.Scan(cu.ExternalUserID, way.ConfigID); err != nil {
			t.Fatal(err)
		}
		sim.Flush(ctx)
		p := waitFor(t, func() (customer.Profile, bool) {
			p, err := a.Customers.ByIdentity(ctx, tenant.ID, customer.IdentityExternalUserID, cu.ExternalUserID)
			return p, err == nil && len(p.Relations) == 1
		})
		r := p.Relations[0]
		if p.Name != "李女士" || p.FirstState != "poster-618" || r.State != "poster-618" || r.Status != customer.RelationActive ||
			r.StaffID == nil || *r.StaffID != staff.Items[0].ID || len(p.Identities) != 2 {
			t.Errorf("customer = %+v", p)
		}
		welcome := waitFor(t, func() ([]wecomsim.WelcomeMessage, bool) {
			m := sim.WelcomeMessages()
			return m, len(m) > 0
		})
		if welcome[0].ErrCode != 0 || welcome[0].Text == nil || !strings.Contains(welcome[0].Text.Content, "您好李女士") ||
			time.Unix(welcome[0].SentAt, 0).Sub(scanned) > 20*time.Second {
			t.Errorf("welcome message = %+v", welcome[0])
		}

		// Joining a group and deleting the staff member reach the profile and the timeline.
		g, err := sim.CreateGroupChat(wecomsim.GroupInput{Owner: "guide01", Name: "南京路福利群"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sim.JoinGroup(wecomsim.JoinInput{ExternalUserID: cu.ExternalUserID, ChatID: g.ChatID}); err != nil {
			t.Fatal(err)
		}
		if err := sim.CustomerDeletesStaff(cu.ExternalUserID, "guide01"); err != nil {
			t.Fatal(err)
		}
		sim.Flush(ctx)
		kinds := waitFor(t, func() ([]string, bool) {
			rows, err := a.DB.QueryContext(ctx, `SELECT kind FROM customer_events WHERE tenant_id = ? AND customer_id = ? ORDER BY id`, tenant.ID, p.ID)
			if err != nil {
				return nil, false
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var k string
				_ = rows.Scan(&k)
				out = append(out, k)
			}
			return out, strings.Contains(strings.Join(out, ","), customer.EventLost) && strings.Contains(strings.Join(out, ","), customer.EventJoinedGroup)
		})
		// The group join and the loss are about different entities (the group, the relation), so
		// they are processed in separate lanes and may land in either order.
		if len(kinds) != 4 || strings.Join(kinds[:2], ",") != "added_staff,welcome_sent" || !slices.Contains(kinds[2:], customer.EventJoinedGroup) || !slices.Contains(kinds[2:], customer.EventLost) {
			t.Errorf("timeline = %v", kinds)
		}
		p, _ = a.Customers.ByIdentity(ctx, tenant.ID, customer.IdentityUnionID, "oUnionLi")
		if len(p.Relations) != 1 || p.Relations[0].Status != customer.RelationLost {
			t.Errorf("after the customer deleted the staff member: %+v", p.Relations)
		}
	})
}

func waitFor[T any](t *testing.T, f func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, ok := f()
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met in 20 s; last value %+v", v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pageOf(n int) httpx.PageRequest { return httpx.PageRequest{Limit: n} }
