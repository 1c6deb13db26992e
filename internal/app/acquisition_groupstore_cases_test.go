package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Group live codes and store codes in the whole-program tables (through moreCases, moreObjects,
// moreInvalid and moreSnapshot). Like live codes: owners, admins and managers (in their
// subtree) manage them, analysts read, guides and customer service have no access; probed
// objects belong to the south branch, outside the manager's subtree (404).
func init() {
	for k, v := range map[string][6]int{
		"GET /api/v1/group-codes":             {200, 200, 200, 403, 200, 403},
		"POST /api/v1/group-codes":            {201, 201, 201, 403, 403, 403},
		"GET /api/v1/group-codes/{id}":        {200, 200, 404, 403, 200, 403},
		"PUT /api/v1/group-codes/{id}":        {200, 200, 200, 403, 403, 403},
		"DELETE /api/v1/group-codes/{id}":     {204, 204, 204, 403, 403, 403},
		"GET /api/v1/group-codes/{id}/stats":  {200, 200, 404, 403, 200, 403},
		"GET /api/v1/group-codes/{id}/qr.png": {200, 200, 404, 403, 200, 403},
		"GET /api/v1/store-codes":             {200, 200, 200, 403, 200, 403},
		"POST /api/v1/store-codes":            {201, 201, 201, 403, 403, 403},
		"GET /api/v1/store-codes/{id}":        {200, 200, 404, 403, 200, 403},
		"PUT /api/v1/store-codes/{id}":        {200, 200, 200, 403, 403, 403},
		"DELETE /api/v1/store-codes/{id}":     {204, 204, 204, 403, 403, 403},
	} {
		statuses[k] = v
	}
	moreCases = append(moreCases, groupStoreCases)
	moreObjects = append(moreObjects, groupStoreObjects)
	moreInvalid = append(moreInvalid, groupStoreBadInput)
	moreSnapshot = append(moreSnapshot,
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM acq_group_codes",
		"SELECT COUNT(*), COALESCE(MAX(chat_id), '') FROM acq_group_code_chats",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM acq_store_codes",
	)
}

type gsFixtures struct {
	acqFixtures
}

// chat puts a customer group into the tenant as the WeCom sync would.
func (f gsFixtures) chat(tenantID int64, owner string) string {
	f.t.Helper()
	id := uniq("wr")
	if err := f.a.Customers.ApplyGroup(context.Background(), tenantID, &wecom.GroupChat{ChatID: id, Name: uniq("群"), Owner: owner, CreateTime: 1700000000,
		MemberList: []wecom.GroupMember{{UserID: owner, Type: wecom.MemberTypeStaff, JoinTime: 1700000000, JoinScene: 1}}}); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f gsFixtures) groupCode(ctx context.Context, unit int64, chat string) acquisition.GroupCode {
	f.t.Helper()
	c, err := f.a.Acquisition.CreateGroupCode(ctx, acquisition.GroupCodeInput{OrgUnitID: unit, Name: uniq("群码"), ChatIDs: []string{chat}})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// store makes a new store under parent with one guide on WeCom.
func (f gsFixtures) store(ctx context.Context, parent int64) org.Unit {
	f.t.Helper()
	u, err := f.a.Org.CreateUnit(ctx, org.UnitInput{ParentID: parent, Name: uniq("店"), Kind: org.KindStore})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.a.Org.CreateStaff(ctx, org.StaffInput{Name: uniq("导购"), WeComUserID: uniq("g"), OrgUnitID: u.ID}); err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f gsFixtures) storeCode(ctx context.Context, unit, channel int64) acquisition.StoreCode {
	f.t.Helper()
	c, err := f.a.Acquisition.CreateStoreCode(ctx, acquisition.StoreCodeInput{OrgUnitID: unit, ChannelID: channel, City: "上海"})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func groupStoreCases(t *testing.T, a *app.App, w *world) map[string]func(org.Role) call {
	f := gsFixtures{acqFixtures{a, w, t}}
	ctx := w.ownerCtx
	chat := f.chat(w.a.ID, "gA1")
	southGroup := f.groupCode(ctx, w.south.ID, chat)
	eastChannel := f.channel(w.east.ID)
	southStore := f.storeCode(ctx, w.shopB.ID, f.channel(w.south.ID).ID)
	groupBody := func() map[string]any {
		return map[string]any{"org_unit_id": w.east.ID, "name": uniq("会员群"), "chat_ids": []string{chat}, "auto_create": true, "room_base_name": "会员群"}
	}
	storeBody := func(unit int64) map[string]any {
		return map[string]any{"org_unit_id": unit, "channel_id": eastChannel.ID, "city": "杭州", "strategy": "weighted"}
	}
	return map[string]func(org.Role) call{
		"GET /api/v1/group-codes":      func(org.Role) call { return call{"/api/v1/group-codes", nil} },
		"POST /api/v1/group-codes":     func(org.Role) call { return call{"/api/v1/group-codes", groupBody()} },
		"GET /api/v1/group-codes/{id}": func(org.Role) call { return call{fmt.Sprintf("/api/v1/group-codes/%d", southGroup.ID), nil} },
		"PUT /api/v1/group-codes/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/group-codes/%d", f.groupCode(ctx, w.east.ID, chat).ID), groupBody()}
		},
		"DELETE /api/v1/group-codes/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/group-codes/%d", f.groupCode(ctx, w.east.ID, chat).ID), nil}
		},
		"GET /api/v1/group-codes/{id}/stats": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/group-codes/%d/stats", southGroup.ID), nil}
		},
		"GET /api/v1/group-codes/{id}/qr.png": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/group-codes/%d/qr.png", southGroup.ID), nil}
		},
		"GET /api/v1/store-codes":  func(org.Role) call { return call{"/api/v1/store-codes?city=%E4%B8%8A%E6%B5%B7", nil} },
		"POST /api/v1/store-codes": func(org.Role) call { return call{"/api/v1/store-codes", storeBody(f.store(ctx, w.east.ID).ID)} },
		"GET /api/v1/store-codes/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/store-codes/%d", southStore.ID), nil}
		},
		"PUT /api/v1/store-codes/{id}": func(org.Role) call {
			u := f.store(ctx, w.east.ID)
			return call{fmt.Sprintf("/api/v1/store-codes/%d", f.storeCode(ctx, u.ID, eastChannel.ID).ID), storeBody(u.ID)}
		},
		"DELETE /api/v1/store-codes/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/store-codes/%d", f.storeCode(ctx, f.store(ctx, w.east.ID).ID, eastChannel.ID).ID), nil}
		},
	}
}

// groupStoreObjects adds tenant B's group code and store code to the isolation probes.
func groupStoreObjects(t *testing.T, a *app.App, w *world) map[string]int64 {
	t.Helper()
	f := gsFixtures{acqFixtures{a, w, t}}
	bOwner := org.WithCaller(context.Background(), org.Caller{TenantID: w.b.ID, TenantSlug: w.b.Slug, Role: org.Owner})
	gc := f.groupCode(bOwner, w.bUnit.ID, f.chat(w.b.ID, "gA1"))
	ch, err := a.Acquisition.CreateChannel(bOwner, acquisition.ChannelInput{Name: "乙方门店渠道", Kind: "offline_store", Tier: "bottom", OrgUnitID: w.bUnit.ID})
	if err != nil {
		t.Fatal(err)
	}
	sc := f.storeCode(bOwner, w.bUnit.ID, ch.ID)
	return map[string]int64{"/api/v1/group-codes/": gc.ID, "/api/v1/store-codes/": sc.ID}
}

func groupStoreBadInput(t *testing.T, a *app.App, w *world) map[string]badCase {
	f := gsFixtures{acqFixtures{a, w, t}}
	ctx := w.ownerCtx
	chat := f.chat(w.a.ID, "gA1")
	gc := f.groupCode(ctx, w.east.ID, chat)
	east := f.channel(w.east.ID)
	sc := f.storeCode(ctx, w.shopA.ID, east.ID)
	return map[string]badCase{
		"POST /api/v1/group-codes": {"/api/v1/group-codes", map[string]any{"org_unit_id": w.bUnit.ID, "name": "", "chat_ids": []string{"wrNope", "wrNope"},
			"auto_create": true, "room_base_name": "", "room_base_id": -1},
			[]string{"org_unit_id", "name", "chat_ids[0]", "chat_ids[1]", "room_base_name", "room_base_id"}},
		"PUT /api/v1/group-codes/{id}": {fmt.Sprintf("/api/v1/group-codes/%d", gc.ID),
			map[string]any{"org_unit_id": w.east.ID, "name": strings.Repeat("长", 51), "chat_ids": []string{}}, []string{"name", "chat_ids"}},
		"POST /api/v1/store-codes": {"/api/v1/store-codes", map[string]any{"org_unit_id": w.east.ID, "channel_id": 0, "city": "", "strategy": "random"},
			[]string{"org_unit_id", "channel_id", "city", "strategy"}},
		"PUT /api/v1/store-codes/{id}": {fmt.Sprintf("/api/v1/store-codes/%d", sc.ID),
			map[string]any{"org_unit_id": w.shopB.ID, "channel_id": east.ID, "city": strings.Repeat("市", 31)}, []string{"org_unit_id", "city"}},
	}
}
