package app_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Customer list search and bulk actions in the whole-program tables (through moreCases,
// moreInvalid and moreSnapshot).

func init() {
	for k, v := range map[string][6]int{
		// Bulk tagging goes to WeCom first: tenant A has no WeCom settings, so every caller allowed
		// to tag reaches the 409 wecom_not_configured once input and tags passed their checks.
		"POST /api/v1/customers/bulk-tags": {409, 409, 409, 409, 403, 409},
		// The guide's customer to the guide: every role that may write customers sees both.
		"POST /api/v1/customers/bulk-assign": {200, 200, 200, 200, 403, 200},
	} {
		statuses[k] = v
	}
	moreCases = append(moreCases, func(t *testing.T, a *app.App, w *world) map[string]func(org.Role) call {
		return map[string]func(org.Role) call{
			"POST /api/v1/customers/bulk-tags": func(org.Role) call {
				return call{"/api/v1/customers/bulk-tags", map[string]any{"customer_ids": []int64{w.guideCustomer}, "add": []int64{w.tag}}}
			},
			"POST /api/v1/customers/bulk-assign": func(org.Role) call {
				return call{"/api/v1/customers/bulk-assign", map[string]any{"customer_ids": []int64{w.guideCustomer}, "staff_id": w.guideStaff.ID}}
			},
		}
	})
	moreInvalid = append(moreInvalid, func(t *testing.T, a *app.App, w *world) map[string]badCase {
		return map[string]badCase{
			// Tenant B's tag, and no customers.
			"POST /api/v1/customers/bulk-tags": {"/api/v1/customers/bulk-tags", map[string]any{"customer_ids": []int64{}, "add": []int64{w.bTag}},
				[]string{"customer_ids", "add"}},
			// No owner, and a bad id.
			"POST /api/v1/customers/bulk-assign": {"/api/v1/customers/bulk-assign", map[string]any{"customer_ids": []int64{w.guideCustomer, 0}, "staff_id": 0},
				[]string{"customer_ids", "staff_id"}},
		}
	})
	moreSnapshot = append(moreSnapshot,
		"SELECT COUNT(*), COALESCE(CAST(MAX(last_active_at) AS TEXT), '') FROM customer_search",
		"SELECT COUNT(*), COALESCE(CAST(MAX(owner_staff_id) AS TEXT), '') FROM customers")
}

// TestCustomerListAPI: the list's filters over HTTP, scoped per role, tenant B never shows, bad
// parameters are named, and bulk assignment reports per customer and never reaches tenant B.
func TestCustomerListAPI(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := build(t, a, srv)
		ids := func(r response) []int64 {
			t.Helper()
			var page struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
			}
			if r.Status != 200 || json.Unmarshal(r.Body, &page) != nil {
				t.Fatalf("list: %d %s", r.Status, r.Body)
			}
			out := []int64{}
			for _, it := range page.Items {
				out = append(out, it.ID)
			}
			return out
		}
		owner := w.users[org.Owner]
		for _, tc := range []struct {
			role  org.Role
			query string
			want  []int64
		}{
			{org.Owner, "q=" + url.QueryEscape("顾客"), []int64{w.southCustomer, w.guideCustomer}},
			{org.Owner, "q=gkj", []int64{w.guideCustomer}},                      // 顾客甲 by initials
			{org.Owner, "q=gukebing", []int64{w.southCustomer}},                 // 顾客丙 by pinyin
			{org.Owner, "state=store", []int64{w.southCustomer}},                // channel
			{org.Owner, "sort=name", []int64{w.southCustomer, w.guideCustomer}}, // bing < jia
			{org.Owner, fmt.Sprintf("staff_id=%d", w.guideStaff.ID), []int64{w.guideCustomer}},
			{org.Owner, fmt.Sprintf("org_unit_id=%d", w.south.ID), []int64{w.southCustomer}},
			{org.Owner, fmt.Sprintf("tag_ids=%d&tag_mode=none", w.tag), []int64{w.southCustomer, w.guideCustomer}},
			{org.Manager, "q=" + url.QueryEscape("顾客"), []int64{w.guideCustomer}},
			{org.Guide, "sort=added_asc", []int64{w.guideCustomer}},
		} {
			if got := ids(w.users[tc.role].do("GET", "/api/v1/customers?"+tc.query, nil)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s ?%s: %v, want %v", tc.role, tc.query, got, tc.want)
			}
		}
		// Tenant B's customer is called 乙方顾客: never found from A.
		if got := ids(owner.do("GET", "/api/v1/customers?q="+url.QueryEscape("乙方"), nil)); len(got) != 0 {
			t.Errorf("tenant B's customer found: %v", got)
		}
		r := owner.do("GET", "/api/v1/customers?sort=random&tag_mode=x&tag_ids=a&added_to=2026-13-01", nil)
		if r.Status != 400 {
			t.Fatalf("bad parameters: %d %s", r.Status, r.Body)
		}
		fields := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)
		for _, f := range []string{"sort", "tag_mode", "tag_ids", "added_to"} {
			if fields[f] == nil {
				t.Errorf("no message for %s in %s", f, r.Body)
			}
		}
		// A manager of 华东 assigns their customer and the other branch's: one ok, one not found.
		r = w.users[org.Manager].do("POST", "/api/v1/customers/bulk-assign", map[string]any{
			"customer_ids": []int64{w.guideCustomer, w.southCustomer, w.bCustomer}, "staff_id": w.a2.ID})
		var res struct {
			OK     int `json:"ok"`
			Failed int `json:"failed"`
			Items  []struct {
				CustomerID int64  `json:"customer_id"`
				OK         bool   `json:"ok"`
				Error      string `json:"error"`
			} `json:"items"`
		}
		if r.Status != 200 || json.Unmarshal(r.Body, &res) != nil || res.OK != 1 || res.Failed != 2 ||
			!res.Items[0].OK || res.Items[1].Error != "not_found" || res.Items[2].Error != "not_found" {
			t.Fatalf("bulk assign: %d %s", r.Status, r.Body)
		}
		if got := ids(owner.do("GET", fmt.Sprintf("/api/v1/customers?owner_id=%d", w.a2.ID), nil)); fmt.Sprint(got) != fmt.Sprint([]int64{w.guideCustomer}) {
			t.Errorf("owner filter: %v", got)
		}
		// A manager cannot make staff of another branch the owner.
		if r := w.users[org.Manager].do("POST", "/api/v1/customers/bulk-assign", map[string]any{
			"customer_ids": []int64{w.guideCustomer}, "staff_id": w.south1.ID}); r.Status != 400 {
			t.Errorf("owner outside the manager's scope: %d %s", r.Status, r.Body)
		}
		detail := owner.do("GET", fmt.Sprintf("/api/v1/customers/%d", w.guideCustomer), nil)
		if detail.Status != 200 || !strings.Contains(string(detail.Body), `"owner_assigned"`) {
			t.Errorf("no owner_assigned event on the timeline: %s", detail.Body)
		}
	})
}
