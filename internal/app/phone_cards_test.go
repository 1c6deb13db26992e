package app_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/packcard"
	"github.com/siyu-scrm/siyu/internal/phonetask"
)

// Batch add by phone and package cards in the whole-program tables. Lists and card batches are
// managed with the acquisition permissions (analysts read); tasks are worked with
// phone_tasks.work, which guides hold for their own tasks. Probed objects of the south branch
// are outside the manager's subtree (404).
func init() {
	for k, v := range map[string][6]int{
		"POST /api/v1/phone-lists/parse":          {415, 415, 415, 403, 403, 403}, // the table sends JSON, not a file
		"GET /api/v1/phone-lists":                 {200, 200, 200, 403, 200, 403},
		"POST /api/v1/phone-lists":                {201, 201, 201, 403, 403, 403},
		"GET /api/v1/phone-lists/{id}":            {200, 200, 404, 403, 200, 403},
		"GET /api/v1/phone-tasks":                 {200, 200, 200, 200, 403, 403},
		"PATCH /api/v1/phone-tasks/{id}":          {200, 200, 200, 200, 403, 403}, // the guide's own task
		"POST /api/v1/phone-tasks/detect":         {200, 200, 200, 403, 403, 403},
		"GET /api/v1/phone-tasks/stats":           {200, 200, 200, 403, 200, 403},
		"GET /api/v1/card-batches":                {200, 200, 200, 403, 200, 403},
		"POST /api/v1/card-batches":               {201, 201, 201, 403, 403, 403},
		"GET /api/v1/card-batches/{id}":           {200, 200, 404, 403, 200, 403},
		"PUT /api/v1/card-batches/{id}":           {200, 200, 200, 403, 403, 403},
		"DELETE /api/v1/card-batches/{id}":        {204, 204, 204, 403, 403, 403},
		"GET /api/v1/card-batches/{id}/card.png":  {200, 200, 404, 403, 200, 403},
		"GET /api/v1/card-batches/{id}/sheet.pdf": {200, 200, 404, 403, 200, 403},
	} {
		statuses[k] = v
	}
	moreCases = append(moreCases, phoneCardCases)
	moreObjects = append(moreObjects, phoneCardObjects)
	moreInvalid = append(moreInvalid, phoneCardBadInput)
	moreSnapshot = append(moreSnapshot,
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM acq_phone_lists",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') || COALESCE(MAX(status), '') FROM acq_phone_tasks",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM acq_card_batches")
}

type pcFixtures struct {
	a *app.App
	t *testing.T
}

func (f pcFixtures) list(ctx context.Context, staffID int64, phones ...string) phonetask.List {
	f.t.Helper()
	var rows []phonetask.Row
	for _, p := range phones {
		rows = append(rows, phonetask.Row{Phone: p})
	}
	l, err := f.a.PhoneTasks.CreateList(ctx, phonetask.ListInput{Name: uniq("号码"), Staff: []phonetask.Member{{StaffID: staffID}}, Rows: rows})
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func (f pcFixtures) task(ctx context.Context, listID int64) phonetask.Task {
	f.t.Helper()
	p, err := f.a.PhoneTasks.Tasks(ctx, phonetask.TaskFilter{ListID: listID})
	if err != nil || len(p.Items) == 0 {
		f.t.Fatalf("tasks of list %d: %v %v", listID, p, err)
	}
	return p.Items[0]
}

func (f pcFixtures) batch(ctx context.Context, codeID int64) packcard.Batch {
	f.t.Helper()
	b, err := f.a.PackageCards.CreateBatch(ctx, packcard.BatchInput{CodeID: codeID, Name: "包裹", BatchNo: uniq("B"), Headline: "扫码有礼", Count: 12, CardSize: "90x54"})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func phoneCardCases(t *testing.T, a *app.App, w *world) map[string]func(org.Role) call {
	f := pcFixtures{a, t}
	acq := acqFixtures{a, w, t}
	southList := f.list(w.ownerCtx, w.south1.ID, "13700000001")
	guideList := f.list(w.ownerCtx, w.guideStaff.ID, "13700000002")
	guideTask := f.task(w.ownerCtx, guideList.ID)
	southCode := acq.code(acq.channel(w.south.ID), w.south1.ID)
	eastCode := acq.code(acq.channel(w.east.ID), w.guideStaff.ID)
	southBatch := f.batch(w.ownerCtx, southCode.ID)
	batchBody := func() map[string]any {
		return map[string]any{"code_id": eastCode.ID, "name": "双11", "batch_no": uniq("N"), "headline": "售后服务", "count": 30, "card_size": "100x150"}
	}
	path := func(format string, id int64) string { return fmt.Sprintf(format, id) }
	return map[string]func(org.Role) call{
		"POST /api/v1/phone-lists/parse": func(org.Role) call { return call{"/api/v1/phone-lists/parse", map[string]any{}} },
		"GET /api/v1/phone-lists":        func(org.Role) call { return call{"/api/v1/phone-lists", nil} },
		"POST /api/v1/phone-lists": func(org.Role) call {
			return call{"/api/v1/phone-lists", map[string]any{"name": uniq("名单"), "staff": []map[string]any{{"staff_id": w.guideStaff.ID}},
				"rows": []map[string]any{{"phone": "13800001111", "name": "张三"}, {"phone": "+86 139 0000 2222"}}}}
		},
		"GET /api/v1/phone-lists/{id}": func(org.Role) call { return call{path("/api/v1/phone-lists/%d", southList.ID), nil} },
		"GET /api/v1/phone-tasks":      func(org.Role) call { return call{"/api/v1/phone-tasks?status=pending", nil} },
		"PATCH /api/v1/phone-tasks/{id}": func(org.Role) call {
			return call{path("/api/v1/phone-tasks/%d", guideTask.ID), map[string]any{"status": "requested"}}
		},
		"POST /api/v1/phone-tasks/detect": func(org.Role) call { return call{"/api/v1/phone-tasks/detect", nil} },
		"GET /api/v1/phone-tasks/stats":   func(org.Role) call { return call{"/api/v1/phone-tasks/stats", nil} },
		"GET /api/v1/card-batches":        func(org.Role) call { return call{"/api/v1/card-batches", nil} },
		"POST /api/v1/card-batches":       func(org.Role) call { return call{"/api/v1/card-batches", batchBody()} },
		"GET /api/v1/card-batches/{id}":   func(org.Role) call { return call{path("/api/v1/card-batches/%d", southBatch.ID), nil} },
		"PUT /api/v1/card-batches/{id}": func(org.Role) call {
			return call{path("/api/v1/card-batches/%d", f.batch(w.ownerCtx, eastCode.ID).ID), batchBody()}
		},
		"DELETE /api/v1/card-batches/{id}": func(org.Role) call {
			return call{path("/api/v1/card-batches/%d", f.batch(w.ownerCtx, eastCode.ID).ID), nil}
		},
		"GET /api/v1/card-batches/{id}/card.png": func(org.Role) call {
			return call{path("/api/v1/card-batches/%d/card.png", southBatch.ID), nil}
		},
		"GET /api/v1/card-batches/{id}/sheet.pdf": func(org.Role) call {
			return call{path("/api/v1/card-batches/%d/sheet.pdf", southBatch.ID), nil}
		},
	}
}

// phoneCardObjects are tenant B's phone list, task and card batch for the isolation probes.
func phoneCardObjects(t *testing.T, a *app.App, w *world) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	bOwner := org.WithCaller(ctx, org.Caller{TenantID: w.b.ID, TenantSlug: w.b.Slug, Role: org.Owner})
	ids, err := a.Org.StaffIDsByWeCom(ctx, w.b.ID, []string{"gA1"})
	if err != nil {
		t.Fatal(err)
	}
	f := pcFixtures{a, t}
	l := f.list(bOwner, ids["gA1"], "13700000009")
	ch, err := a.Acquisition.CreateChannel(bOwner, acquisition.ChannelInput{Name: uniq("乙方包裹"), Kind: "package_card", Tier: "bottom", OrgUnitID: w.bUnit.ID})
	if err != nil {
		t.Fatal(err)
	}
	code, err := a.Acquisition.CreateCode(bOwner, acquisition.LiveCodeInput{ChannelID: ch.ID, Name: "乙方包裹码", Strategy: acquisition.RoundRobin,
		Staff: []acquisition.CodeStaffInput{{StaffID: ids["gA1"]}}})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]int64{"/api/v1/phone-lists/": l.ID, "/api/v1/phone-tasks/": f.task(bOwner, l.ID).ID,
		"/api/v1/card-batches/": f.batch(bOwner, code.ID).ID}
}

func phoneCardBadInput(t *testing.T, a *app.App, w *world) map[string]badCase {
	f := pcFixtures{a, t}
	acq := acqFixtures{a, w, t}
	task := f.task(w.ownerCtx, f.list(w.ownerCtx, w.guideStaff.ID, "13700000003").ID)
	code := acq.code(acq.channel(w.east.ID), w.guideStaff.ID)
	batch := f.batch(w.ownerCtx, code.ID)
	return map[string]badCase{
		"POST /api/v1/phone-lists": {"/api/v1/phone-lists", map[string]any{"name": "", "daily_cap": 1000, "staff": []map[string]any{{"staff_id": w.bStaff.ID}},
			"rows": []map[string]any{{"phone": "13800001111"}, {"phone": "12345"}, {"phone": "138 0000 1111"}}},
			[]string{"name", "daily_cap", "staff[0].staff_id", "rows[1].phone", "rows[2].phone"}},
		"PATCH /api/v1/phone-tasks/{id}": {fmt.Sprintf("/api/v1/phone-tasks/%d", task.ID), map[string]any{"status": "failed"}, []string{"reason"}},
		"POST /api/v1/card-batches": {"/api/v1/card-batches", map[string]any{"code_id": 0, "name": "x", "batch_no": "带空格 的", "count": 0, "card_size": "a4"},
			[]string{"code_id", "batch_no", "count", "card_size"}},
		"PUT /api/v1/card-batches/{id}": {fmt.Sprintf("/api/v1/card-batches/%d", batch.ID),
			map[string]any{"code_id": code.ID, "name": "x", "batch_no": batch.BatchNo, "count": 10, "card_size": "90x54", "per_page": 11}, []string{"per_page"}},
	}
}

// TestPhoneListsAndCardsAPI: a spreadsheet's bad rows come back by row number; a list posted
// from the good rows is handed out and the guide sees their own tasks; card batches download as
// a decodable PNG and a PDF with the expected page count.
func TestPhoneListsAndCardsAPI(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := build(t, a, srv)
		owner, guide := w.users[org.Owner], w.users[org.Guide]
		csv := "手机号,姓名\n13800001111,张三\n123,坏号\n13900002222,李四\n"
		r := owner.uploadField("/api/v1/phone-lists/parse", "file", "list.csv", []byte(csv))
		if r.Status != 200 || !strings.Contains(string(r.Body), `"errors":[{"row":3,"field":"phone","code":"invalid"}]`) {
			t.Fatalf("parse: %d %s", r.Status, r.Body)
		}
		rows := r.json(t)["rows"]
		if r := owner.uploadField("/api/v1/phone-lists/parse", "file", "list.txt", []byte(csv)); r.Status != 400 || !strings.Contains(string(r.Body), `"file"`) {
			t.Errorf("parse of a .txt: %d %s", r.Status, r.Body)
		}
		r = owner.do("POST", "/api/v1/phone-lists", map[string]any{"name": "双11名单", "daily_cap": 1,
			"staff": []map[string]any{{"staff_id": w.guideStaff.ID}, {"staff_id": w.a2.ID}}, "rows": rows})
		if r.Status != 201 || r.json(t)["counts"].(map[string]any)["pending"] != 2.0 {
			t.Fatalf("create list: %d %s", r.Status, r.Body)
		}
		r = guide.do("GET", "/api/v1/phone-tasks", nil)
		items := r.json(t)["items"].([]any)
		if r.Status != 200 || len(items) != 1 || items[0].(map[string]any)["phone"] != "+8613800001111" {
			t.Errorf("guide's tasks: %d %s", r.Status, r.Body)
		}

		code := acqFixtures{a, w, t}.code(acqFixtures{a, w, t}.channel(w.east.ID), w.guideStaff.ID)
		r = owner.do("POST", "/api/v1/card-batches", map[string]any{"code_id": code.ID, "name": "十一月", "batch_no": "N11", "headline": "扫码领取售后服务",
			"count": 21, "card_size": "90x54"})
		if r.Status != 201 {
			t.Fatalf("create batch: %d %s", r.Status, r.Body)
		}
		id := int64(r.json(t)["id"].(float64))
		r = owner.do("GET", fmt.Sprintf("/api/v1/card-batches/%d/card.png", id), nil)
		if _, err := png.Decode(bytes.NewReader(r.Body)); r.Status != 200 || err != nil {
			t.Errorf("card.png: %d %v", r.Status, err)
		}
		r = owner.do("GET", fmt.Sprintf("/api/v1/card-batches/%d/sheet.pdf", id), nil)
		if r.Status != 200 || !bytes.HasPrefix(r.Body, []byte("%PDF-")) || !bytes.Contains(r.Body, []byte("/Count 3")) {
			t.Errorf("sheet.pdf: %d %.40q", r.Status, r.Body)
		}
	})
}
