package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Short links, SMS campaigns, the opt-out list and SMS settings in the whole-program tables
// (through moreCases, moreObjects, moreInvalid and moreSnapshot). Links and campaigns are scoped
// by their code's channel: the probed objects lead to the south branch's channel, outside the
// manager's subtree (404). SMS settings are tenant settings (owners and admins).
func init() {
	for k, v := range map[string][6]int{
		"GET /api/v1/short-links":                  {200, 200, 200, 403, 200, 403},
		"POST /api/v1/short-links":                 {201, 201, 201, 403, 403, 403},
		"GET /api/v1/short-links/{id}":             {200, 200, 404, 403, 200, 403},
		"GET /api/v1/short-links/{id}/recipients":  {200, 200, 404, 403, 200, 403},
		"POST /api/v1/short-links/{id}/recipients": {200, 200, 200, 403, 403, 403},
		"POST /api/v1/sms/phone-lists":             {415, 415, 415, 403, 403, 403}, // a JSON body is not a file upload
		"GET /api/v1/sms/campaigns":                {200, 200, 200, 403, 200, 403},
		"POST /api/v1/sms/campaigns/preview":       {200, 200, 200, 403, 403, 403},
		"POST /api/v1/sms/campaigns":               {201, 201, 201, 403, 403, 403},
		"GET /api/v1/sms/campaigns/{id}":           {200, 200, 404, 403, 200, 403},
		"POST /api/v1/sms/campaigns/{id}/cancel":   {200, 200, 200, 403, 403, 403},
		"GET /api/v1/sms/opt-outs":                 {200, 200, 200, 403, 200, 403},
		"POST /api/v1/sms/opt-outs":                {201, 201, 201, 403, 403, 403},
		"POST /api/v1/sms/replies":                 {200, 200, 200, 403, 403, 403},
		"GET /api/v1/settings/sms":                 {200, 200, 403, 403, 403, 403},
		"PUT /api/v1/settings/sms":                 {200, 200, 403, 403, 403, 403},
	} {
		statuses[k] = v
	}
	moreCases = append(moreCases, smsCases)
	moreObjects = append(moreObjects, func(t *testing.T, a *app.App, w *world) map[string]int64 {
		bOwner := org.WithCaller(context.Background(), org.Caller{TenantID: w.b.ID, TenantSlug: w.b.Slug, Role: org.Owner})
		ch, err := a.Acquisition.CreateChannel(bOwner, acquisition.ChannelInput{Name: uniq("乙方短信"), Kind: "sms", Tier: "bottom", OrgUnitID: w.bUnit.ID})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := a.Org.StaffIDsByWeCom(context.Background(), w.b.ID, []string{"gA1"})
		if err != nil {
			t.Fatal(err)
		}
		code, err := a.Acquisition.CreateCode(bOwner, acquisition.LiveCodeInput{ChannelID: ch.ID, Name: uniq("乙方短信码"), Strategy: acquisition.RoundRobin,
			Staff: []acquisition.CodeStaffInput{{StaffID: ids["gA1"]}}})
		if err != nil {
			t.Fatal(err)
		}
		link, err := a.Outreach.CreateLink(bOwner, acquisition.ShortLinkInput{Name: "乙方链接", CodeID: code.ID, Recipients: []acquisition.RecipientInput{{Phone: "13800000001"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Outreach.SetSettings(bOwner, acquisition.SMSSettingsInput{Provider: "log"}); err != nil {
			t.Fatal(err)
		}
		camp, err := a.Outreach.CreateCampaign(bOwner, acquisition.CampaignInput{Name: "乙方活动", CodeID: code.ID, Template: "{link}",
			Recipients: []acquisition.RecipientInput{{Phone: "13800000002"}}}, "http://b.example")
		if err != nil {
			t.Fatal(err)
		}
		return map[string]int64{"/api/v1/short-links/": link.ID, "/api/v1/sms/campaigns/": camp.ID}
	})
	moreInvalid = append(moreInvalid, func(t *testing.T, a *app.App, w *world) map[string]badCase {
		f := acqFixtures{a, w, t}
		code := f.code(f.channel(w.east.ID), w.guideStaff.ID)
		link, err := a.Outreach.CreateLink(w.ownerCtx, acquisition.ShortLinkInput{Name: "链接", CodeID: code.ID, Recipients: []acquisition.RecipientInput{{Phone: "13800000001"}}})
		if err != nil {
			t.Fatal(err)
		}
		return map[string]badCase{
			"POST /api/v1/short-links": {"/api/v1/short-links", map[string]any{"name": "", "code_id": 0, "recipients": []map[string]any{{"phone": "12"}}},
				[]string{"name", "code_id", "recipients[0].phone"}},
			"POST /api/v1/short-links/{id}/recipients": {fmt.Sprintf("/api/v1/short-links/%d/recipients", link.ID),
				map[string]any{"recipients": []map[string]any{{"phone": "13812345678"}, {"phone": "abc"}, {"phone": "138 1234 5678"}}},
				[]string{"recipients[1].phone", "recipients[2].phone"}},
			"POST /api/v1/sms/campaigns/preview": {"/api/v1/sms/campaigns/preview",
				map[string]any{"name": "", "code_id": 999999999, "template": "{coupon} {link}", "recipients": []any{}},
				[]string{"name", "code_id", "template", "recipients"}},
			"POST /api/v1/sms/campaigns": {"/api/v1/sms/campaigns",
				map[string]any{"name": "双11", "code_id": code.ID, "template": "没有链接", "recipients": []map[string]any{{"phone": "1", "name": "李雷"}}},
				[]string{"template", "recipients[0].phone"}},
			"POST /api/v1/sms/opt-outs": {"/api/v1/sms/opt-outs", map[string]any{"phone": "x"}, []string{"phone"}},
			"POST /api/v1/sms/replies":  {"/api/v1/sms/replies", map[string]any{"phone": "", "content": ""}, []string{"phone", "content"}},
			"PUT /api/v1/settings/sms": {"/api/v1/settings/sms", map[string]any{"provider": "pigeon", "region": "UP", "rate_per_second": 5000},
				[]string{"provider", "region", "rate_per_second"}},
		}
	})
	moreSnapshot = append(moreSnapshot,
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM sms_settings",
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM sms_campaigns",
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM sms_links",
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM sms_recipients",
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM sms_optouts")
}

func smsCases(t *testing.T, a *app.App, w *world) map[string]func(org.Role) call {
	f := acqFixtures{a, w, t}
	if _, err := a.Outreach.SetSettings(w.ownerCtx, acquisition.SMSSettingsInput{Provider: "log"}); err != nil {
		t.Fatal(err)
	}
	southCode := f.code(f.channel(w.south.ID), w.south1.ID)
	eastCode := f.code(f.channel(w.east.ID), w.guideStaff.ID)
	link := func(code acquisition.LiveCode) acquisition.ShortLink {
		l, err := a.Outreach.CreateLink(w.ownerCtx, acquisition.ShortLinkInput{Name: uniq("链接"), CodeID: code.ID,
			Recipients: []acquisition.RecipientInput{{Phone: "13800000001", Name: "李雷"}}})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	campaign := func(code acquisition.LiveCode) acquisition.Campaign {
		c, err := a.Outreach.CreateCampaign(w.ownerCtx, acquisition.CampaignInput{Name: uniq("活动"), CodeID: code.ID, Template: "{name}您好 {link}",
			Recipients: []acquisition.RecipientInput{{Phone: "13800000001"}}}, "http://a.example")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	southLink, eastLink, southCampaign := link(southCode), link(eastCode), campaign(southCode)
	campaignBody := func(org.Role) call {
		return call{"/api/v1/sms/campaigns", map[string]any{"name": uniq("双11"), "code_id": eastCode.ID, "template": "{name}您好，点 {link} 领券",
			"recipients": []map[string]any{{"phone": "13800000001", "name": "李雷"}, {"phone": "+8613900000002"}}}}
	}
	phone := 13700000000
	return map[string]func(org.Role) call{
		"GET /api/v1/short-links": func(org.Role) call { return call{"/api/v1/short-links", nil} },
		"POST /api/v1/short-links": func(org.Role) call {
			return call{"/api/v1/short-links", map[string]any{"name": uniq("短链"), "code_id": eastCode.ID, "recipients": []map[string]any{{"phone": "13800000003"}}}}
		},
		"GET /api/v1/short-links/{id}": func(org.Role) call { return call{fmt.Sprintf("/api/v1/short-links/%d", southLink.ID), nil} },
		"GET /api/v1/short-links/{id}/recipients": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/short-links/%d/recipients", southLink.ID), nil}
		},
		"POST /api/v1/short-links/{id}/recipients": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/short-links/%d/recipients", eastLink.ID), map[string]any{"recipients": []map[string]any{{"phone": "13800000004"}}}}
		},
		"POST /api/v1/sms/phone-lists":       func(org.Role) call { return call{"/api/v1/sms/phone-lists", map[string]any{}} },
		"GET /api/v1/sms/campaigns":          func(org.Role) call { return call{"/api/v1/sms/campaigns", nil} },
		"POST /api/v1/sms/campaigns/preview": func(r org.Role) call { c := campaignBody(r); c.path += "/preview"; return c },
		"POST /api/v1/sms/campaigns":         campaignBody,
		"GET /api/v1/sms/campaigns/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/sms/campaigns/%d", southCampaign.ID), nil}
		},
		"POST /api/v1/sms/campaigns/{id}/cancel": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/sms/campaigns/%d/cancel", campaign(eastCode).ID), nil}
		},
		"GET /api/v1/sms/opt-outs": func(org.Role) call { return call{"/api/v1/sms/opt-outs", nil} },
		"POST /api/v1/sms/opt-outs": func(org.Role) call {
			phone++
			return call{"/api/v1/sms/opt-outs", map[string]any{"phone": fmt.Sprint(phone)}}
		},
		"POST /api/v1/sms/replies": func(org.Role) call {
			return call{"/api/v1/sms/replies", map[string]any{"phone": "13600000000", "content": "T"}}
		},
		"GET /api/v1/settings/sms": func(org.Role) call { return call{"/api/v1/settings/sms", nil} },
		"PUT /api/v1/settings/sms": func(org.Role) call {
			return call{"/api/v1/settings/sms", map[string]any{"provider": "log", "rate_per_second": 20}}
		},
	}
}

// TestSMSCampaignFlow: through the HTTP API, a campaign with the log provider is sent by the
// worker exactly once per recipient; a recipient's short link counts clicks anonymously; a T
// reply opts a phone out, which the next campaign's preview and sending honour; the provider
// secret never comes back.
func TestSMSCampaignFlow(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := build(t, a, srv)
		owner := w.users[org.Owner]
		f := acqFixtures{a, w, t}
		code := f.code(f.channel(w.east.ID), w.guideStaff.ID)
		if r := owner.do("PUT", "/api/v1/settings/sms", map[string]any{"provider": "aliyun", "access_key_id": "LTAI", "access_secret": "top-secret",
			"sign_name": "思域", "template_code": "SMS_1"}); r.Status != 200 || strings.Contains(string(r.Body), "top-secret") {
			t.Fatalf("settings: %d %s", r.Status, r.Body)
		}
		if r := owner.do("PUT", "/api/v1/settings/sms", map[string]any{"provider": "log"}); r.Status != 200 {
			t.Fatalf("settings: %d %s", r.Status, r.Body)
		}
		// The phone list is read from an upload: bad rows by number, repeats counted, nothing stored.
		up := owner.upload("/api/v1/sms/phone-lists", "list.csv", []byte("手机号,姓名\n13800000001,李雷\n12345,坏\n138 0000 0001,重复\n13800000002,\n"))
		if up.Status != 200 {
			t.Fatalf("upload: %d %s", up.Status, up.Body)
		}
		list := up.json(t)
		if len(list["recipients"].([]any)) != 2 || list["duplicates"] != float64(1) ||
			list["errors"].([]any)[0].(map[string]any)["row"] != float64(3) {
			t.Errorf("phone list %s", up.Body)
		}
		if bad := owner.upload("/api/v1/sms/phone-lists", "list.xlsx", []byte("PK\x03\x04 not a zip")); bad.Status != 400 {
			t.Errorf("broken xlsx: %d %s", bad.Status, bad.Body)
		}
		r := owner.do("POST", "/api/v1/sms/campaigns", map[string]any{"name": "会员日", "code_id": code.ID, "template": "{name}您好 {link}",
			"recipients": []map[string]any{{"phone": "13800000001", "name": "李雷"}, {"phone": "13800000002"}}})
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		camp := r.json(t)
		id := int64(camp["id"].(float64))
		// (PostgreSQL's database is shared by the package's tests: other campaigns may be sent too.)
		for range 3 { // sends, closes the campaign, then sends nothing again
			if _, err := a.Outreach.SendDue(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		got := owner.do("GET", fmt.Sprintf("/api/v1/sms/campaigns/%d", id), nil).json(t)
		if got["status"] != "done" || got["sent"] != float64(2) || got["pending"] != float64(0) {
			t.Fatalf("campaign %v", got)
		}
		page := owner.do("GET", fmt.Sprintf("/api/v1/short-links/%d/recipients?status=sent", int64(got["link_id"].(float64))), nil).json(t)
		items := page["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("recipients %v", page)
		}
		path := items[0].(map[string]any)["path"].(string)
		for range 2 {
			resp, err := http.Get(srv.URL + path + "?format=json")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == 404 {
				t.Fatalf("short link %s: 404", path)
			}
		}
		link := owner.do("GET", fmt.Sprintf("/api/v1/short-links/%d", int64(got["link_id"].(float64))), nil).json(t)
		if link["clicks"] != float64(2) || link["unique_clicks"] != float64(1) {
			t.Errorf("link stats %v", link)
		}
		if r := owner.do("POST", "/api/v1/sms/replies", map[string]any{"phone": "+8613800000002", "content": " td "}); r.Status != 200 || r.json(t)["opted_out"] != true {
			t.Fatalf("reply: %d %s", r.Status, r.Body)
		}
		next := map[string]any{"name": "第二波", "code_id": code.ID, "template": "{link} 回T退订",
			"recipients": []map[string]any{{"phone": "13800000002"}, {"phone": "13800000003"}}}
		if p := owner.do("POST", "/api/v1/sms/campaigns/preview", next).json(t); p["opted_out"] != float64(1) || p["recipients"] != float64(2) {
			t.Errorf("preview %v", p)
		}
		r = owner.do("POST", "/api/v1/sms/campaigns", next)
		id2 := int64(r.json(t)["id"].(float64))
		for range 3 {
			a.Outreach.SendDue(context.Background())
		}
		got = owner.do("GET", fmt.Sprintf("/api/v1/sms/campaigns/%d", id2), nil).json(t)
		if got["sent"] != float64(1) || got["opted_out"] != float64(1) || got["status"] != "done" {
			t.Errorf("second campaign %v", got)
		}
		if s := owner.do("GET", "/api/v1/settings/sms", nil); !strings.Contains(string(s.Body), `"secret_set":true`) || strings.Contains(string(s.Body), "top-secret") {
			t.Errorf("settings read back: %s", s.Body)
		}
	})
}
