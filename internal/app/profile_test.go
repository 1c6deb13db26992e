package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// TestOnePersonOneCustomer is the acceptance test of customer identities, through the WeCom
// simulator and the API on both engines: the same WeChat user adds two staff members (two add
// events with the same external_userid and unionid); an order had already brought their phone
// number (a customer of its own); when staff link that phone to the WeCom customer, the two are
// merged: one customer with three identities — external_userid, unionid, phone — both relations,
// and a merge on the timeline. Later orders with the phone resolve to that customer.
func TestOnePersonOneCustomer(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, siyu *httptest.Server) {
		ctx := context.Background()
		a.StartWorkers()
		sim, handler, err := wecomsim.NewServer(wecomsim.Config{Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sim.Close() })
		simSrv := httptest.NewServer(handler)
		t.Cleanup(simSrv.Close)
		tenant, err := a.Org.CreateTenant(ctx, uniq("one"), "一人一档")
		if err != nil {
			t.Fatal(err)
		}
		const tok, aes = "OneToken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
		if err := a.Org.SetWeComSettingsForTenant(ctx, tenant.Slug, org.WeComSettingsInput{CorpID: sim.CorpID(),
			AgentID: fmt.Sprint(wecomsim.DefaultApp.AgentID), AppSecret: wecomsim.DefaultApp.Secret,
			ContactSecret: wecomsim.DefaultApp.Secret, CallbackToken: tok, EncodingAESKey: aes, APIBaseURL: simSrv.URL + "/cgi-bin/"}); err != nil {
			t.Fatal(err)
		}
		if err := sim.SetCallback(ctx, wecomsim.CallbackConfig{URL: siyu.URL + "/callback/wecom/" + tenant.Slug, Token: tok, EncodingAESKey: aes}, true); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"guide01", "guide02"} {
			if _, err := sim.AddStaff(wecomsim.StaffInput{UserID: id, Name: id, Department: []int64{1}}); err != nil {
				t.Fatal(err)
			}
		}
		// The order came first: its buyer is a customer known only by phone.
		order, err := a.Customers.Resolve(ctx, tenant.ID, []customer.Identity{{Kind: customer.IdentityPhone, Value: "139 1234 5678"}})
		if err != nil || !order.Created {
			t.Fatalf("order customer: %+v %v", order, err)
		}

		client, err := a.WeCom.Client(ctx, tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		cu, err := sim.AddCustomer(wecomsim.CustomerInput{Name: "赵女士", Gender: 2, UnionID: "oUnionZhao01"})
		if err != nil {
			t.Fatal(err)
		}
		for i, staff := range []string{"guide01", "guide02"} {
			way, err := client.AddContactWay(ctx, wecom.AddContactWayRequest{Type: 1, Scene: 2, State: fmt.Sprintf("code-%d", i+1), SkipVerify: true, User: []string{staff}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sim.Scan(cu.ExternalUserID, way.ConfigID); err != nil {
				t.Fatal(err)
			}
		}
		sim.Flush(ctx)
		p := waitFor(t, func() (customer.Profile, bool) {
			p, err := a.Customers.ByIdentity(ctx, tenant.ID, customer.IdentityExternalUserID, cu.ExternalUserID)
			return p, err == nil && len(p.Relations) == 2
		})
		if p.ID == order.CustomerID || len(p.Identities) != 2 {
			t.Fatalf("WeCom customer = %+v", p)
		}

		// Staff link the phone the customer gives them (standing in for the order binding).
		if _, err := a.Org.CreateUserInTenant(ctx, tenant.Slug, org.UserInput{Username: "boss", Password: pw, Role: org.Owner}); err != nil {
			t.Fatal(err)
		}
		owner := login(t, siyu, tenant.Slug, "boss", pw)
		r := owner.do("POST", fmt.Sprintf("/api/v1/customers/%d/identities", p.ID), map[string]any{"kind": "phone", "value": "+86 139-1234-5678"})
		if r.Status != 200 {
			t.Fatalf("link phone: %d %s", r.Status, r.Body)
		}
		var linked customer.Identities
		_ = json.Unmarshal(r.Body, &linked)
		if linked.MergedFrom == nil || *linked.MergedFrom != order.CustomerID {
			t.Errorf("link phone merged %v, want the order's customer %d", linked.MergedFrom, order.CustomerID)
		}

		r = owner.do("GET", "/api/v1/customers", nil)
		var list struct {
			Items []customer.Summary `json:"items"`
		}
		if err := json.Unmarshal(r.Body, &list); err != nil || len(list.Items) != 1 || list.Items[0].ID != p.ID {
			t.Fatalf("customers: %d %s", r.Status, r.Body)
		}
		r = owner.do("GET", fmt.Sprintf("/api/v1/customers/%d", p.ID), nil)
		var d customer.Detail
		if err := json.Unmarshal(r.Body, &d); err != nil || r.Status != 200 {
			t.Fatalf("profile: %d %s", r.Status, r.Body)
		}
		var kinds []string
		for _, i := range d.Identities {
			kinds = append(kinds, i.Kind+"="+i.Value)
		}
		slices.Sort(kinds)
		want := []string{"phone=+8613912345678", "unionid=oUnionZhao01", "wecom_external_userid=" + cu.ExternalUserID}
		if !slices.Equal(kinds, want) {
			t.Errorf("identities = %v, want %v", kinds, want)
		}
		var timeline []string
		for _, e := range d.Timeline {
			timeline = append(timeline, e.Kind)
		}
		if len(d.Relations) != 2 || d.Name != "赵女士" || !slices.Contains(timeline, customer.EventMerged) {
			t.Errorf("profile: relations %d, name %q, timeline %v", len(d.Relations), d.Name, timeline)
		}
		r = owner.do("GET", fmt.Sprintf("/api/v1/customers/%d/merges", p.ID), nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), fmt.Sprintf(`"from_id":%d`, order.CustomerID)) {
			t.Errorf("merges: %d %s", r.Status, r.Body)
		}
		// Later orders of the same buyer find the one customer.
		again, err := a.Customers.Resolve(ctx, tenant.ID, []customer.Identity{{Kind: customer.IdentityPhone, Value: "13912345678"},
			{Kind: customer.IdentityTaobaoNick, Value: "赵姐的店"}})
		if err != nil || again.CustomerID != p.ID || again.Created {
			t.Errorf("later order: %+v %v", again, err)
		}
		// The sidebar page signs wx.agentConfig with the app's jsapi ticket from the simulator.
		const page = "https://scrm.example.com/sidebar?x=1"
		r = owner.do("GET", "/api/v1/sidebar/agent-config?url="+url.QueryEscape(page+"#frag"), nil)
		var ac customer.AgentConfig
		if err := json.Unmarshal(r.Body, &ac); err != nil || r.Status != 200 {
			t.Fatalf("agent config: %d %s", r.Status, r.Body)
		}
		app, _, err := a.WeCom.AppClient(ctx, tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		ticket, err := app.AgentConfigTicket(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ac.CorpID != sim.CorpID() || ac.AgentID != wecomsim.DefaultApp.AgentID || ac.NonceStr == "" ||
			ac.Signature != wecom.JSAPISignature(ticket.Ticket, ac.NonceStr, ac.Timestamp, page) {
			t.Errorf("agent config = %+v (ticket %s)", ac, ticket.Ticket)
		}
		// The sidebar finds them by the contact the guide chats with.
		r = owner.do("GET", "/api/v1/customers/lookup?kind=wecom_external_userid&value="+cu.ExternalUserID, nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), fmt.Sprintf(`"id":%d,`, p.ID)) {
			t.Errorf("lookup: %d %s", r.Status, r.Body)
		}
	})
}

// TestProfileRoutesInput covers what the route tables cannot: the identity removal's query,
// lookups that find nobody, and a guide's notes on their own customer showing on the timeline.
func TestProfileRoutesInput(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := build(t, a, srv)
		owner, guide := w.users[org.Owner], w.users[org.Guide]
		before := snapshot(t, a)
		for _, tc := range []struct {
			query  string
			fields []string
		}{
			{"", []string{"kind", "value"}},
			{"?kind=wecom_external_userid&value=wmGuide", []string{"kind"}},
			{"?kind=phone&value=abc", []string{"value"}},
		} {
			r := owner.do("DELETE", fmt.Sprintf("/api/v1/customers/%d/identities%s", w.guideCustomer, tc.query), nil)
			if r.Status != 400 {
				t.Errorf("delete identity %q: %d %s, want 400", tc.query, r.Status, r.Body)
				continue
			}
			fields, _ := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)
			for _, f := range tc.fields {
				if fields[f] == nil {
					t.Errorf("delete identity %q: no message for %s in %s", tc.query, f, r.Body)
				}
			}
		}
		for _, u := range []string{"", "?url=ftp%3A%2F%2Fx%2Fsidebar", "?url=%2Fsidebar"} {
			if r := guide.do("GET", "/api/v1/sidebar/agent-config"+u, nil); r.Status != 400 || !strings.Contains(string(r.Body), `"url"`) {
				t.Errorf("agent config %q: %d %s, want 400 on url", u, r.Status, r.Body)
			}
		}
		if r := owner.do("GET", "/api/v1/customers/lookup?value=", nil); r.Status != 400 {
			t.Errorf("lookup without a value: %d", r.Status)
		}
		if r := owner.do("GET", "/api/v1/customers/lookup?kind=qq&value=1", nil); r.Status != 400 {
			t.Errorf("lookup of an unknown kind: %d", r.Status)
		}
		if after := snapshot(t, a); after != before {
			t.Errorf("bad input changed the database:\n before %s\n after  %s", before, after)
		}
		if r := owner.do("GET", "/api/v1/customers/lookup?value=wmNobody", nil); r.Status != 404 {
			t.Errorf("lookup of nobody: %d", r.Status)
		}
		// The guide sees only their own customer by lookup, even with a valid id of another.
		if r := guide.do("GET", "/api/v1/customers/lookup?value=wmSouth", nil); r.Status != 404 {
			t.Errorf("guide looking up another's customer: %d", r.Status)
		}
		r := guide.do("POST", fmt.Sprintf("/api/v1/customers/%d/notes", w.guideCustomer),
			map[string]any{"kind": "follow_up", "content": "电话回访，周末到店", "method": "phone", "next_follow_up_at": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)})
		if r.Status != 201 {
			t.Fatalf("guide's follow-up: %d %s", r.Status, r.Body)
		}
		note := r.json(t)
		r = guide.do("GET", fmt.Sprintf("/api/v1/customers/%d", w.guideCustomer), nil)
		if !strings.Contains(string(r.Body), `"kind":"follow_up"`) || !strings.Contains(string(r.Body), "周末到店") {
			t.Errorf("the follow-up is not on the timeline: %s", r.Body)
		}
		r = guide.do("GET", fmt.Sprintf("/api/v1/customers/%d/notes", w.guideCustomer), nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"mine":true`) {
			t.Errorf("guide's notes: %d %s", r.Status, r.Body)
		}
		if r := guide.do("DELETE", fmt.Sprintf("/api/v1/customer-notes/%v", note["id"]), nil); r.Status != 204 {
			t.Errorf("guide deleting their note: %d %s", r.Status, r.Body)
		}
	})
}
