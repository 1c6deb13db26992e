package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/org"
)

// The authorization rows of the acquisition routes (owner, admin, manager, guide, analyst,
// service). Owners, admins and managers (in their subtree) manage channels and codes; analysts
// read; guides and customer service have no access. Probed objects of the south branch are
// outside the manager's subtree (404).
var acquisitionStatuses = map[string][6]int{
	"GET /api/v1/channels":               {200, 200, 200, 403, 200, 403},
	"POST /api/v1/channels":              {201, 201, 201, 403, 403, 403},
	"GET /api/v1/channels/{id}":          {200, 200, 404, 403, 200, 403},
	"PUT /api/v1/channels/{id}":          {200, 200, 200, 403, 403, 403},
	"DELETE /api/v1/channels/{id}":       {204, 204, 204, 403, 403, 403},
	"GET /api/v1/channels/{id}/spend":    {200, 200, 404, 403, 200, 403},
	"POST /api/v1/channels/{id}/spend":   {201, 201, 201, 403, 403, 403},
	"DELETE /api/v1/channel-spend/{id}":  {204, 204, 404, 403, 403, 403},
	"GET /api/v1/live-codes":             {200, 200, 200, 403, 200, 403},
	"POST /api/v1/live-codes":            {201, 201, 201, 403, 403, 403},
	"GET /api/v1/live-codes/{id}":        {200, 200, 404, 403, 200, 403},
	"PUT /api/v1/live-codes/{id}":        {200, 200, 200, 403, 403, 403},
	"DELETE /api/v1/live-codes/{id}":     {204, 204, 204, 403, 403, 403},
	"GET /api/v1/live-codes/{id}/qr.png": {200, 200, 404, 403, 200, 403},
	"GET /api/v1/acquisition/stats":      {200, 200, 200, 403, 200, 403},
	"GET /api/v1/acquisition/stats.xlsx": {200, 200, 200, 403, 200, 403},
}

func init() {
	for k, v := range acquisitionStatuses {
		statuses[k] = v
	}
}

// acquisitionTables are what TestBadInput's snapshot watches for these routes.
var acquisitionTables = []string{
	"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM acq_channels",
	"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM acq_channel_spend",
	"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM acq_live_codes",
	"SELECT COUNT(*), COALESCE(MAX(state), '') FROM acq_live_code_staff",
}

type acqFixtures struct {
	a *app.App
	w *world
	t *testing.T
}

func (f acqFixtures) channel(unit int64) acquisition.Channel {
	f.t.Helper()
	ch, err := f.a.Acquisition.CreateChannel(f.w.ownerCtx, acquisition.ChannelInput{Name: uniq("渠道"), Kind: "poster", Tier: "waist", OrgUnitID: unit})
	if err != nil {
		f.t.Fatal(err)
	}
	return ch
}

func (f acqFixtures) code(ch acquisition.Channel, staffID int64) acquisition.LiveCode {
	f.t.Helper()
	c, err := f.a.Acquisition.CreateCode(f.w.ownerCtx, acquisition.LiveCodeInput{ChannelID: ch.ID, Name: uniq("活码"), Strategy: acquisition.RoundRobin,
		Staff: []acquisition.CodeStaffInput{{StaffID: staffID}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f acqFixtures) spend(ch acquisition.Channel) acquisition.Spend {
	f.t.Helper()
	sp, err := f.a.Acquisition.AddSpend(f.w.ownerCtx, ch.ID, acquisition.SpendInput{Date: "2026-11-01", AmountFen: 12345})
	if err != nil {
		f.t.Fatal(err)
	}
	return sp
}

// acquisitionCases are the authorization requests of the acquisition routes.
func acquisitionCases(t *testing.T, a *app.App, w *world) map[string]func(org.Role) call {
	f := acqFixtures{a, w, t}
	south := f.channel(w.south.ID)
	southCode := f.code(south, w.south1.ID)
	east := f.channel(w.east.ID)
	codeBody := func() map[string]any {
		return map[string]any{"channel_id": east.ID, "name": uniq("新码"), "strategy": "weighted",
			"staff": []map[string]any{{"staff_id": w.guideStaff.ID, "weight": 2, "daily_cap": 50}, {"staff_id": w.a2.ID, "backup": true}}}
	}
	return map[string]func(org.Role) call{
		"GET /api/v1/channels": func(org.Role) call { return call{"/api/v1/channels", nil} },
		"POST /api/v1/channels": func(org.Role) call {
			return call{"/api/v1/channels", map[string]any{"name": uniq("抖音"), "kind": "content", "tier": "top", "org_unit_id": w.east.ID}}
		},
		"GET /api/v1/channels/{id}": func(org.Role) call { return call{fmt.Sprintf("/api/v1/channels/%d", south.ID), nil} },
		"PUT /api/v1/channels/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/channels/%d", f.channel(w.east.ID).ID),
				map[string]any{"name": uniq("改名"), "kind": "event", "tier": "bottom", "org_unit_id": w.shopA.ID}}
		},
		"DELETE /api/v1/channels/{id}":    func(org.Role) call { return call{fmt.Sprintf("/api/v1/channels/%d", f.channel(w.east.ID).ID), nil} },
		"GET /api/v1/channels/{id}/spend": func(org.Role) call { return call{fmt.Sprintf("/api/v1/channels/%d/spend", south.ID), nil} },
		"POST /api/v1/channels/{id}/spend": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/channels/%d/spend", east.ID), map[string]any{"date": "2026-11-20", "amount_fen": 50000, "note": "地推"}}
		},
		"DELETE /api/v1/channel-spend/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/channel-spend/%d", f.spend(south).ID), nil}
		},
		"GET /api/v1/live-codes":      func(org.Role) call { return call{"/api/v1/live-codes", nil} },
		"POST /api/v1/live-codes":     func(org.Role) call { return call{"/api/v1/live-codes", codeBody()} },
		"GET /api/v1/live-codes/{id}": func(org.Role) call { return call{fmt.Sprintf("/api/v1/live-codes/%d", southCode.ID), nil} },
		"PUT /api/v1/live-codes/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/live-codes/%d", f.code(east, w.guideStaff.ID).ID), codeBody()}
		},
		"DELETE /api/v1/live-codes/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/live-codes/%d", f.code(east, w.a2.ID).ID), nil}
		},
		"GET /api/v1/live-codes/{id}/qr.png": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/live-codes/%d/qr.png", southCode.ID), nil}
		},
		"GET /api/v1/acquisition/stats":      func(org.Role) call { return call{"/api/v1/acquisition/stats?group_by=channel", nil} },
		"GET /api/v1/acquisition/stats.xlsx": func(org.Role) call { return call{"/api/v1/acquisition/stats.xlsx?group_by=code", nil} },
	}
}

// addAcquisitionObjects adds tenant B's channel, spend entry and live code to the isolation probes.
func addAcquisitionObjects(t *testing.T, a *app.App, w *world, objects map[string]int64) {
	t.Helper()
	ctx := context.Background()
	bOwner := org.WithCaller(ctx, org.Caller{TenantID: w.b.ID, TenantSlug: w.b.Slug, Role: org.Owner})
	ch, err := a.Acquisition.CreateChannel(bOwner, acquisition.ChannelInput{Name: "乙方渠道", Kind: "sms", Tier: "bottom", OrgUnitID: w.bUnit.ID})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := a.Acquisition.AddSpend(bOwner, ch.ID, acquisition.SpendInput{Date: "2026-11-01", AmountFen: 100})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := a.Org.StaffIDsByWeCom(ctx, w.b.ID, []string{"gA1"})
	if err != nil {
		t.Fatal(err)
	}
	code, err := a.Acquisition.CreateCode(bOwner, acquisition.LiveCodeInput{ChannelID: ch.ID, Name: "乙方活码", Strategy: acquisition.RoundRobin,
		Staff: []acquisition.CodeStaffInput{{StaffID: ids["gA1"]}}})
	if err != nil {
		t.Fatal(err)
	}
	objects["/api/v1/channels/"] = ch.ID
	objects["/api/v1/channel-spend/"] = sp.ID
	objects["/api/v1/live-codes/"] = code.ID
}

// acquisitionBadInput are the bad-input cases of the acquisition write routes.
func acquisitionBadInput(t *testing.T, a *app.App, w *world) map[string]struct {
	path   string
	body   any
	fields []string
} {
	f := acqFixtures{a, w, t}
	east := f.channel(w.east.ID)
	code := f.code(east, w.guideStaff.ID)
	return map[string]struct {
		path   string
		body   any
		fields []string
	}{
		"POST /api/v1/channels": {"/api/v1/channels", map[string]any{"name": "", "kind": "tv", "tier": "middle", "org_unit_id": 0},
			[]string{"name", "kind", "tier", "org_unit_id"}},
		"PUT /api/v1/channels/{id}": {fmt.Sprintf("/api/v1/channels/%d", east.ID),
			map[string]any{"name": strings.Repeat("长", 51), "kind": "poster", "tier": "top", "org_unit_id": w.bUnit.ID}, []string{"name", "org_unit_id"}},
		"POST /api/v1/channels/{id}/spend": {fmt.Sprintf("/api/v1/channels/%d/spend", east.ID), map[string]any{"date": "2026-02-30", "amount_fen": 0},
			[]string{"date", "amount_fen"}},
		"POST /api/v1/live-codes": {"/api/v1/live-codes", map[string]any{"channel_id": 0, "name": "", "strategy": "random", "tag_ids": []int64{w.bTag},
			"staff": []map[string]any{{"staff_id": w.bStaff.ID, "weight": 101,
				"schedule": []map[string]any{{"weekdays": []int{8}, "start": "09:00", "end": "18:00"}}}},
			"welcome": map[string]any{"text": "你好", "attachments": []map[string]any{{"msgtype": "link", "link": map[string]any{"title": "", "url": "ftp://x"}}}}},
			[]string{"channel_id", "name", "strategy", "tag_ids", "staff[0].staff_id", "staff[0].weight", "staff[0].schedule[0].weekdays", "welcome.attachments[0]"}},
		"PUT /api/v1/live-codes/{id}": {fmt.Sprintf("/api/v1/live-codes/%d", code.ID),
			map[string]any{"channel_id": east.ID, "name": "改", "strategy": "weighted", "staff": []any{}, "group_code": strings.Repeat("x", 501)},
			[]string{"staff", "group_code"}},
	}
}
