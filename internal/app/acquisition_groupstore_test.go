package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// getJSON fetches an anonymous landing as JSON into out and returns the status.
func getJSON(t *testing.T, srv *httptest.Server, path string, out any) int {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 && out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// TestGroupCodeRollover runs the group live code through the landing URL and the simulator on
// both engines: a full group rolls over to the next; with auto-create WeCom makes "base name +
// number" and the code takes it on; joins are counted per group through the join way's state.
func TestGroupCodeRollover(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := acqSetup(t, a, srv)
		ctx := context.Background()
		client, err := a.WeCom.Client(ctx, w.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		customers := func(n int, prefix string) []string {
			var out []string
			for i := range n {
				cu, err := w.sim.AddCustomer(wecomsim.CustomerInput{Name: fmt.Sprintf("%s%d", prefix, i)})
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, cu.ExternalUserID)
			}
			return out
		}
		members := func(chat string) int {
			var n int
			if err := a.DB.QueryRowContext(ctx, `SELECT member_count FROM customer_groups WHERE tenant_id = ? AND chat_id = ?`, w.tenant.ID, chat).Scan(&n); err != nil {
				return -1
			}
			return n
		}
		waitMembers := func(chat string, n int) {
			t.Helper()
			w.sim.Flush(ctx)
			waitFor(t, func() (int, bool) { m := members(chat); return m, m == n })
		}
		// Group A: the owner and 198 customers (one seat left); group B: the owner alone.
		ga, err := w.sim.CreateGroupChat(wecomsim.GroupInput{Owner: "g1", Name: "会员1群", Members: customers(198, "甲")})
		if err != nil {
			t.Fatal(err)
		}
		gb, err := w.sim.CreateGroupChat(wecomsim.GroupInput{Owner: "g1", Name: "会员2群"})
		if err != nil {
			t.Fatal(err)
		}
		waitMembers(ga.ChatID, 199)
		waitMembers(gb.ChatID, 1)
		units, err := a.Org.ListUnits(w.owner)
		if err != nil {
			t.Fatal(err)
		}
		code, err := a.Acquisition.CreateGroupCode(w.owner, acquisition.GroupCodeInput{OrgUnitID: units[0].ID, Name: "会员群", ChatIDs: []string{ga.ChatID, gb.ChatID}})
		if err != nil {
			t.Fatal(err)
		}
		var l acquisition.GroupLanding
		if st := getJSON(t, srv, code.LandingPath+"?format=json", &l); st != 200 || l.ChatID != ga.ChatID || l.QRCode == "" {
			t.Fatalf("first scan: %d %+v, want group A", st, l)
		}
		way, err := client.GetJoinWay(ctx, l.ConfigID)
		if err != nil || way.State != code.State || way.Scene != 2 || !slices.Equal(way.ChatIDList, []string{ga.ChatID, gb.ChatID}) {
			t.Fatalf("join way %+v (%v)", way, err)
		}
		// The last seat of A goes; A is full (200) and the code moves on to B.
		joiner := customers(2, "乙")
		if chat, err := w.sim.JoinGroup(wecomsim.JoinInput{ExternalUserID: joiner[0], ConfigID: l.ConfigID}); err != nil || chat != ga.ChatID {
			t.Fatalf("join through the code: %s %v", chat, err)
		}
		waitMembers(ga.ChatID, 200)
		var l2 acquisition.GroupLanding
		if st := getJSON(t, srv, code.LandingPath+"?format=json", &l2); st != 200 || l2.ChatID != gb.ChatID || l2.ConfigID != l.ConfigID || l2.QRCode != l.QRCode {
			t.Fatalf("scan after A filled: %d %+v, want group B with the same join way", st, l2)
		}
		if way, err = client.GetJoinWay(ctx, l.ConfigID); err != nil || !slices.Equal(way.ChatIDList, []string{gb.ChatID}) {
			t.Errorf("join way after rollover lists %v (%v), want only B", way.ChatIDList, err)
		}
		if chat, err := w.sim.JoinGroup(wecomsim.JoinInput{ExternalUserID: joiner[1], ConfigID: l.ConfigID}); err != nil || chat != gb.ChatID {
			t.Fatalf("second join: %s %v", chat, err)
		}
		waitMembers(gb.ChatID, 2)
		got, err := a.Acquisition.GroupCode(w.owner, code.ID)
		if err != nil || !got.Groups[0].Full || got.Groups[0].MemberCount != 200 || !got.Groups[1].Current {
			t.Errorf("group code groups %+v (%v)", got.Groups, err)
		}
		st, err := a.Acquisition.GroupCodeStats(w.owner, code.ID, "", "")
		if err != nil || st.Total != 2 || len(st.Rows) != 2 || st.Rows[0].Joins != 1 || st.Rows[1].Joins != 1 {
			t.Errorf("joins per group %+v (%v), want one in A and one in B", st, err)
		}

		t.Run("auto-create", func(t *testing.T) {
			auto, err := a.Acquisition.CreateGroupCode(w.owner, acquisition.GroupCodeInput{OrgUnitID: units[0].ID, Name: "福利群码", ChatIDs: []string{ga.ChatID},
				AutoCreate: true, RoomBaseName: "福利群", RoomBaseID: 7})
			if err != nil {
				t.Fatal(err)
			}
			var l acquisition.GroupLanding
			if st := getJSON(t, srv, auto.LandingPath+"?format=json", &l); st != 200 || l.ChatID != ga.ChatID {
				t.Fatalf("scan with every group full: %d %+v", st, l)
			}
			z := customers(1, "丙")[0]
			chat, err := w.sim.JoinGroup(wecomsim.JoinInput{ExternalUserID: z, ConfigID: l.ConfigID})
			if err != nil || chat == ga.ChatID {
				t.Fatalf("join with auto-create: %s %v", chat, err)
			}
			waitMembers(chat, 2)
			var l2 acquisition.GroupLanding
			if st := getJSON(t, srv, auto.LandingPath+"?format=json", &l2); st != 200 || l2.ChatID != chat || l2.GroupName != "福利群7" {
				t.Fatalf("scan after auto-create: %d %+v, want the new group 福利群7", st, l2)
			}
			got, err := a.Acquisition.GroupCode(w.owner, auto.ID)
			if err != nil || len(got.Groups) != 2 || got.Groups[1].ChatID != chat || got.RoomBaseID != 8 {
				t.Errorf("after auto-create: %+v (%v), want the new group appended and room_base_id 8", got, err)
			}
		})

		t.Run("all full without auto-create", func(t *testing.T) {
			full, err := a.Acquisition.CreateGroupCode(w.owner, acquisition.GroupCodeInput{OrgUnitID: units[0].ID, Name: "满群", ChatIDs: []string{ga.ChatID}})
			if err != nil {
				t.Fatal(err)
			}
			if st := getJSON(t, srv, full.LandingPath+"?format=json", nil); st != http.StatusServiceUnavailable {
				t.Errorf("every group full: %d, want 503", st)
			}
			full.Disabled = true
			if _, err := a.Acquisition.UpdateGroupCode(w.owner, full.ID, acquisition.GroupCodeInput{OrgUnitID: units[0].ID, Name: "满群",
				ChatIDs: []string{ga.ChatID}, Disabled: true}); err != nil {
				t.Fatal(err)
			}
			if st := getJSON(t, srv, full.LandingPath+"?format=json", nil); st != http.StatusGone {
				t.Errorf("disabled: %d, want 410", st)
			}
			if st := getJSON(t, srv, "/l/g/nosuchcode1", nil); st != 404 {
				t.Errorf("unknown: %d, want 404", st)
			}
		})
	})
}

// TestStoreCodes checks through the simulator that a store code routes only to its store's
// guides, that saving it refreshes them, and that the store finder lists cities and stores.
func TestStoreCodes(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := acqSetup(t, a, srv)
		ctx := context.Background()
		units, err := a.Org.ListUnits(w.owner)
		if err != nil {
			t.Fatal(err)
		}
		shop := func(name string) org.Unit {
			u, err := a.Org.CreateUnit(w.owner, org.UnitInput{ParentID: units[0].ID, Name: name, Kind: org.KindStore})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		move := func(user string, unit org.Unit) {
			if _, err := a.Org.UpdateStaff(w.owner, w.staff[user], org.StaffPatch{OrgUnitID: &unit.ID}); err != nil {
				t.Fatal(err)
			}
		}
		xuhui, jingan, chaoyang := shop("徐汇店"), shop("静安店"), shop("朝阳店")
		move("g1", xuhui)
		move("g2", xuhui)
		move("g3", chaoyang)
		move("g5", jingan)
		sx, err := a.Acquisition.CreateStoreCode(w.owner, acquisition.StoreCodeInput{OrgUnitID: xuhui.ID, ChannelID: w.channel.ID, City: "上海"})
		if err != nil {
			t.Fatal(err)
		}
		sc, err := a.Acquisition.CreateStoreCode(w.owner, acquisition.StoreCodeInput{OrgUnitID: chaoyang.ID, ChannelID: w.channel.ID, City: "北京"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Acquisition.CreateStoreCode(w.owner, acquisition.StoreCodeInput{OrgUnitID: jingan.ID, ChannelID: w.channel.ID, City: "上海"}); err != nil {
			t.Fatal(err)
		}
		if len(sx.Staff) != 2 || sx.Staff[0].StaffName != "导购1" || sx.Staff[1].StaffName != "导购2" || sx.Strategy != acquisition.RoundRobin {
			t.Fatalf("store code staff %+v", sx.Staff)
		}
		got := map[string]int{}
		for range 20 {
			got[scan(t, srv, sx.Slug).UserID]++
		}
		if got["g1"] != 10 || got["g2"] != 10 || len(got) != 2 {
			t.Errorf("徐汇店 scans went to %v, want g1 and g2 only", got)
		}
		l := scan(t, srv, sc.Slug)
		if l.UserID != "g3" {
			t.Errorf("朝阳店 scan went to %s, want g3", l.UserID)
		}
		// A real add through the store code's contact way is the store's.
		cu, err := w.sim.AddCustomer(wecomsim.CustomerInput{Name: "赵女士"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.sim.Scan(cu.ExternalUserID, l.ConfigID); err != nil {
			t.Fatal(err)
		}
		w.sim.Flush(ctx)
		waitFor(t, func() (int64, bool) {
			st, err := a.Acquisition.Stats(w.owner, acquisition.StatsQuery{CodeID: sc.CodeID})
			return st.Total.Adds, err == nil && st.Total.Adds == 1
		})
		// Caps set on the store code's live code survive saving the store code.
		lc, err := a.Acquisition.Code(w.owner, sx.CodeID)
		if err != nil {
			t.Fatal(err)
		}
		var capped []acquisition.CodeStaffInput
		for _, m := range lc.Staff {
			capped = append(capped, acquisition.CodeStaffInput{StaffID: m.StaffID, Weight: m.Weight, DailyCap: 50})
		}
		skip := lc.SkipVerify
		if _, err := a.Acquisition.UpdateCode(w.owner, lc.ID, acquisition.LiveCodeInput{ChannelID: lc.ChannelID, Name: lc.Name, Strategy: lc.Strategy,
			SkipVerify: &skip, Staff: capped}); err != nil {
			t.Fatal(err)
		}
		// g2 moves to 朝阳店: saving the codes refreshes their guides.
		move("g2", chaoyang)
		for _, c := range []acquisition.StoreCode{sx, sc} {
			if _, err := a.Acquisition.UpdateStoreCode(w.owner, c.ID, acquisition.StoreCodeInput{OrgUnitID: c.OrgUnitID, ChannelID: c.ChannelID, City: c.City,
				Strategy: acquisition.RoundRobin}); err != nil {
				t.Fatal(err)
			}
		}
		if lc, err = a.Acquisition.Code(w.owner, sx.CodeID); err != nil || len(lc.Staff) == 0 {
			t.Fatalf("徐汇店's code after the save: %+v %v", lc, err)
		}
		for _, m := range lc.Staff {
			if m.DailyCap != 50 {
				t.Errorf("saving the store code reset %s's daily cap to %d", m.StaffName, m.DailyCap)
			}
		}
		got = map[string]int{}
		for range 4 {
			got[scan(t, srv, sx.Slug).UserID]++
			got["朝阳:"+scan(t, srv, sc.Slug).UserID]++
		}
		if got["g1"] != 4 || got["朝阳:g2"] < 1 || got["朝阳:g2"]+got["朝阳:g3"] != 4 || len(got) != 3 {
			t.Errorf("after the move: %v", got)
		}

		var f acquisition.Finder
		if st := getJSON(t, srv, "/l/stores/"+w.tenant.Slug+"?format=json", &f); st != 200 || strings.Join(f.Cities, ",") != "上海,北京" && strings.Join(f.Cities, ",") != "北京,上海" || f.City != "" || len(f.Stores) != 0 {
			t.Errorf("finder without a city: %d %+v", st, f)
		}
		if st := getJSON(t, srv, "/l/stores/"+w.tenant.Slug+"?format=json&city=上海", &f); st != 200 || f.City != "上海" || len(f.Stores) != 2 ||
			f.Stores[0].Name != "徐汇店" && f.Stores[1].Name != "徐汇店" {
			t.Errorf("finder for 上海: %d %+v", st, f)
		}
		for _, s := range f.Stores {
			if s.Name == "徐汇店" && s.LandingPath != sx.LandingPath {
				t.Errorf("徐汇店 links to %s, want %s", s.LandingPath, sx.LandingPath)
			}
		}
		resp, err := http.Get(srv.URL + "/l/stores/" + w.tenant.Slug + "?city=" + "北京")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if body := string(raw); resp.StatusCode != 200 || !strings.Contains(body, `href="`+sc.LandingPath+`"`) || !strings.Contains(body, "朝阳店") {
			t.Errorf("finder page: %d %s", resp.StatusCode, body)
		}
		if st := getJSON(t, srv, "/l/stores/no-such-tenant?format=json", nil); st != 404 {
			t.Errorf("unknown tenant: %d", st)
		}
	})
}
