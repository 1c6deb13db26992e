package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// acqWorld is a tenant wired to the simulator with five synced guides (g1…g5; g4 may not have
// customers in WeCom), a VIP tag and a channel.
type acqWorld struct {
	sim     *wecomsim.Sim
	tenant  org.Tenant
	owner   context.Context
	staff   map[string]int64 // userid -> staff id
	tag     int64
	channel acquisition.Channel
}

func acqSetup(t *testing.T, a *app.App, siyu *httptest.Server) *acqWorld {
	t.Helper()
	ctx := context.Background()
	a.StartWorkers()
	sim, handler, err := wecomsim.NewServer(wecomsim.Config{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	simSrv := httptest.NewServer(handler)
	t.Cleanup(simSrv.Close)
	w := &acqWorld{sim: sim, staff: map[string]int64{}}
	w.tenant, err = a.Org.CreateTenant(ctx, uniq("acq"), "获客")
	if err != nil {
		t.Fatal(err)
	}
	const tok, aes = "AcqToken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	if err := a.Org.SetWeComSettingsForTenant(ctx, w.tenant.Slug, org.WeComSettingsInput{CorpID: sim.CorpID(),
		ContactSecret: wecomsim.DefaultApp.Secret, CallbackToken: tok, EncodingAESKey: aes,
		APIBaseURL: simSrv.URL + "/cgi-bin/", WelcomeText: "租户默认欢迎语"}); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetCallback(ctx, wecomsim.CallbackConfig{URL: siyu.URL + "/callback/wecom/" + w.tenant.Slug, Token: tok, EncodingAESKey: aes}, true); err != nil {
		t.Fatal(err)
	}
	no := false
	for i := 1; i <= 5; i++ {
		in := wecomsim.StaffInput{UserID: fmt.Sprintf("g%d", i), Name: fmt.Sprintf("导购%d", i), Department: []int64{1}}
		if i == 4 {
			in.CustomerContact = &no // WeCom will refuse this member's contact ways
		}
		if _, err := sim.AddStaff(in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sim.AdminCreateTag(wecomsim.TagInput{GroupName: "来源", Name: "海报客户"}); err != nil {
		t.Fatal(err)
	}
	sim.Flush(ctx)
	if _, err := a.WeCom.StartSync(ctx, w.tenant.ID, "manual"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() (string, bool) {
		runs, err := a.WeCom.SyncRuns(ctx, w.tenant.ID)
		if err != nil || len(runs.Items) == 0 {
			return "", false
		}
		return runs.Items[0].Status, runs.Items[0].Status == "done"
	})
	w.owner = org.WithCaller(ctx, org.Caller{TenantID: w.tenant.ID, TenantSlug: w.tenant.Slug, Role: org.Owner})
	staff, err := a.Org.ListStaff(w.owner, org.StaffFilter{Page: pageOf(100)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range staff.Items {
		w.staff[s.WeComUserID] = s.ID
	}
	if err := a.DB.QueryRowContext(ctx, `SELECT id FROM tags WHERE tenant_id = ? AND name = '海报客户'`, w.tenant.ID).Scan(&w.tag); err != nil {
		t.Fatalf("synced tag: %v", err)
	}
	units, err := a.Org.ListUnits(w.owner)
	if err != nil {
		t.Fatal(err)
	}
	w.channel, err = a.Acquisition.CreateChannel(w.owner, acquisition.ChannelInput{Name: "地铁海报", Kind: "poster", Tier: "top", OrgUnitID: units[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// scan opens a code's landing URL as a phone would and returns where it led.
func scan(t *testing.T, srv *httptest.Server, slug string) acquisition.Landing {
	t.Helper()
	resp, err := http.Get(srv.URL + "/l/" + slug + "?format=json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l acquisition.Landing
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&l) != nil {
		t.Fatalf("scan %s: %d", slug, resp.StatusCode)
	}
	return l
}

// TestLiveCodeRouting runs the acceptance scenarios of live-code routing through the landing URL
// and the simulator on both engines.
func TestLiveCodeRouting(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := acqSetup(t, a, srv)
		ctx := context.Background()
		client, err := a.WeCom.Client(ctx, w.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}

		t.Run("weighted with one capped", func(t *testing.T) {
			code, err := a.Acquisition.CreateCode(w.owner, acquisition.LiveCodeInput{ChannelID: w.channel.ID, Name: "加权", Strategy: acquisition.Weighted,
				Staff: []acquisition.CodeStaffInput{{StaffID: w.staff["g1"], Weight: 5, DailyCap: 100}, {StaffID: w.staff["g2"], Weight: 3}, {StaffID: w.staff["g3"], Weight: 2}}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			ways := map[string]string{}
			for range 1000 {
				l := scan(t, srv, code.Slug)
				got[l.UserID]++
				if prev, ok := ways[l.UserID]; ok && prev != l.ConfigID {
					t.Fatalf("%s's contact way changed from %s to %s", l.UserID, prev, l.ConfigID)
				}
				ways[l.UserID] = l.ConfigID
			}
			if got["g1"] != 100 {
				t.Errorf("capped member took %d scans, want its cap 100", got["g1"])
			}
			rest := float64(got["g2"] + got["g3"])
			for _, m := range []struct {
				user   string
				weight float64
			}{{"g2", 3}, {"g3", 2}} {
				if share := float64(got[m.user]) / rest; math.Abs(share-m.weight/5) > 0.02 {
					t.Errorf("%s took %.3f of the uncapped scans, want %.3f ± 0.02 (%v)", m.user, share, m.weight/5, got)
				}
			}
			// Each member's own contact way carries the code's state plus the member.
			for user, cfg := range ways {
				way, err := client.GetContactWay(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if len(way.User) != 1 || way.User[0] != user || !strings.HasPrefix(way.State, code.State+".") || len(way.State) > wecom.MaxStateLen {
					t.Errorf("contact way of %s = %+v", user, way)
				}
			}
			if err := a.Acquisition.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			st, err := a.Acquisition.Stats(w.owner, acquisition.StatsQuery{GroupBy: "code", CodeID: code.ID})
			if err != nil || st.Total.Scans != 1000 {
				t.Errorf("stats count %d scans (%v), want 1000", st.Total.Scans, err)
			}
		})

		t.Run("backup takes everyone when nobody else can", func(t *testing.T) {
			offDuty := []acquisition.Shift{{Weekdays: []int{otherWeekday()}, Start: "00:00", End: "24:00"}}
			code, err := a.Acquisition.CreateCode(w.owner, acquisition.LiveCodeInput{ChannelID: w.channel.ID, Name: "兜底", Strategy: acquisition.RoundRobin,
				Staff: []acquisition.CodeStaffInput{
					{StaffID: w.staff["g4"]},                    // WeCom refuses its contact way: unavailable
					{StaffID: w.staff["g2"], Schedule: offDuty}, // off duty today
					{StaffID: w.staff["g3"], DailyCap: 2},       // capped after two
					{StaffID: w.staff["g5"], Backup: true}}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for range 30 {
				got[scan(t, srv, code.Slug).UserID]++
			}
			if got["g3"] != 2 || got["g5"] != 28 || len(got) != 2 {
				t.Errorf("distribution %v, want g3 2 (cap) and the backup g5 28", got)
			}
			c, err := a.Acquisition.Code(w.owner, code.ID)
			if err != nil || !strings.Contains(c.Staff[0].Unavailable, "84074") {
				t.Errorf("g4 not marked unavailable: %+v %v", c.Staff, err)
			}
		})

		t.Run("round robin", func(t *testing.T) {
			code, err := a.Acquisition.CreateCode(w.owner, acquisition.LiveCodeInput{ChannelID: w.channel.ID, Name: "轮询", Strategy: acquisition.RoundRobin,
				Staff: []acquisition.CodeStaffInput{{StaffID: w.staff["g1"]}, {StaffID: w.staff["g2"]}, {StaffID: w.staff["g3"]}}})
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			for range 9 {
				order = append(order, scan(t, srv, code.Slug).UserID)
			}
			if strings.Join(order, ",") != "g1,g2,g3,g1,g2,g3,g1,g2,g3" {
				t.Errorf("round robin order %v", order)
			}
		})

		t.Run("landing page", func(t *testing.T) {
			in := acquisition.LiveCodeInput{ChannelID: w.channel.ID, Name: "页面", Strategy: acquisition.RoundRobin,
				Staff: []acquisition.CodeStaffInput{{StaffID: w.staff["g1"]}}}
			code, err := a.Acquisition.CreateCode(w.owner, in)
			if err != nil {
				t.Fatal(err)
			}
			get := func(path string) (int, string, string) {
				resp, err := http.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
			}
			l := scan(t, srv, code.Slug)
			st, ct, body := get("/l/" + code.Slug)
			if st != 200 || !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, `<img src="`+l.QRCode+`"`) || !strings.Contains(body, "导购1") {
				t.Errorf("landing page: %d %s %s", st, ct, body)
			}
			if st, _, _ := get("/l/nosuchcode1"); st != 404 {
				t.Errorf("unknown code: %d, want 404", st)
			}
			in.Disabled = true
			if _, err := a.Acquisition.UpdateCode(w.owner, code.ID, in); err != nil {
				t.Fatal(err)
			}
			if st, _, body := get("/l/" + code.Slug + "?format=json"); st != 410 || !strings.Contains(body, "code_unavailable") {
				t.Errorf("disabled code: %d %s, want 410", st, body)
			}
		})

		t.Run("fewest adds today, with tags, welcome and stats", func(t *testing.T) {
			code, err := a.Acquisition.CreateCode(w.owner, acquisition.LiveCodeInput{ChannelID: w.channel.ID, Name: "少者优先", Strategy: acquisition.FewestAddsToday,
				Staff:  []acquisition.CodeStaffInput{{StaffID: w.staff["g1"]}, {StaffID: w.staff["g2"]}, {StaffID: w.staff["g3"]}},
				TagIDs: []int64{w.tag},
				Welcome: acquisition.Welcome{Text: "{name}您好，我是{staff}，感谢扫码",
					Attachments: []wecom.Attachment{{MsgType: wecom.MsgTypeLink, Link: &wecom.Link{Title: "新客礼", URL: "https://example.com/gift"}}}}})
			if err != nil {
				t.Fatal(err)
			}
			add := func(l acquisition.Landing, name string) string {
				t.Helper()
				cu, err := w.sim.AddCustomer(wecomsim.CustomerInput{Name: name})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := w.sim.Scan(cu.ExternalUserID, l.ConfigID); err != nil {
					t.Fatal(err)
				}
				w.sim.Flush(ctx)
				return cu.ExternalUserID
			}
			waitAdds := func(n int64) {
				t.Helper()
				waitFor(t, func() (int64, bool) {
					st, err := a.Acquisition.Stats(w.owner, acquisition.StatsQuery{CodeID: code.ID})
					return st.Total.Adds, err == nil && st.Total.Adds >= n
				})
			}
			l1 := scan(t, srv, code.Slug)
			ext := add(l1, "张女士")
			waitAdds(1)
			l2 := scan(t, srv, code.Slug) // g1 has an add: the next goes elsewhere
			l3 := scan(t, srv, code.Slug) // g2 was scanned but gained nobody: g3 has fewer scans
			add(l3, "王先生")
			waitAdds(2)
			l4 := scan(t, srv, code.Slug)
			if got := []string{l1.UserID, l2.UserID, l3.UserID, l4.UserID}; strings.Join(got, ",") != "g1,g2,g3,g2" {
				t.Errorf("fewest-adds order %v, want g1,g2,g3,g2", got)
			}
			p, err := a.Customers.ByIdentity(ctx, w.tenant.ID, customer.IdentityExternalUserID, ext)
			if err != nil {
				t.Fatal(err)
			}
			var source string
			if err := a.DB.QueryRowContext(ctx, `SELECT source FROM customer_tags WHERE tenant_id = ? AND customer_id = ? AND tag_id = ?`,
				w.tenant.ID, p.ID, w.tag).Scan(&source); err != nil || source != customer.TagSourceCode {
				t.Errorf("auto tag on the customer: source %q, %v", source, err)
			}
			var welcome *wecomsim.WelcomeMessage
			for _, m := range w.sim.WelcomeMessages() {
				if m.ExternalUserID == ext {
					welcome = &m
				}
			}
			if welcome == nil || welcome.ErrCode != 0 || welcome.Text == nil || welcome.Text.Content != "张女士您好，我是导购1，感谢扫码" ||
				len(welcome.Attachments) != 1 || welcome.Attachments[0].Link == nil {
				t.Errorf("welcome message = %+v", welcome)
			}
			// The add is in the stats of the code, the staff member and the channel.
			if err := a.Acquisition.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			st, err := a.Acquisition.Stats(w.owner, acquisition.StatsQuery{GroupBy: "staff", CodeID: code.ID})
			if err != nil {
				t.Fatal(err)
			}
			byKey := map[string]acquisition.StatsRow{}
			for _, r := range st.Rows {
				byKey[r.Label] = r
			}
			if byKey["导购1"].Adds != 1 || byKey["导购3"].Adds != 1 || byKey["导购2"].Scans != 2 || st.Total.Scans != 4 {
				t.Errorf("stats by staff = %+v", st.Rows)
			}
			// The first customer deletes the guide: a loss within 7 days.
			if err := w.sim.CustomerDeletesStaff(ext, "g1"); err != nil {
				t.Fatal(err)
			}
			w.sim.Flush(ctx)
			st = waitFor(t, func() (acquisition.Stats, bool) {
				st, err := a.Acquisition.Stats(w.owner, acquisition.StatsQuery{GroupBy: "channel", ChannelID: w.channel.ID})
				return st, err == nil && st.Total.Lost7 == 1
			})
			if st.Total.NetAdds7 != 1 || st.Total.NetAdds30 != 1 || st.Total.LossRate != 0.5 {
				t.Errorf("after a loss: %+v", st.Total)
			}
		})
	})
}

// otherWeekday is a weekday (1 = Monday) that is not today in Asia/Shanghai.
func otherWeekday() int {
	wd := int(time.Now().In(acquisition.Zone).Weekday())
	if wd == 0 {
		wd = 7
	}
	return wd%7 + 1
}
