package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/order"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Orders and customer value in the whole-program tables (hooked in through moreCases,
// moreObjects, moreInvalid and moreSnapshot).

func init() {
	for k, v := range map[string][6]int{
		"GET /api/v1/orders":                    {200, 200, 200, 200, 200, 200},
		"GET /api/v1/orders/{id}":               {200, 200, 404, 404, 200, 200}, // an order of the other branch's store and guide
		"POST /api/v1/orders":                   {200, 200, 403, 403, 403, 403},
		"POST /api/v1/orders/batch":             {200, 200, 403, 403, 403, 403},
		"POST /api/v1/orders/import":            {400, 400, 403, 403, 403, 403}, // a JSON body is not a file upload
		"POST /api/v1/orders/bind":              {200, 200, 403, 403, 403, 403},
		"POST /api/v1/orders/webhook-secret":    {200, 200, 403, 403, 403, 403},
		"GET /api/v1/customers/{id}/value":      {200, 200, 404, 404, 200, 200}, // a customer of the other branch
		"GET /api/v1/customer-value/summary":    {200, 200, 200, 200, 200, 200},
		"POST /api/v1/customer-value/recompute": {200, 200, 403, 403, 403, 403},
		// Tenant A has too few buyers for a CLV fit: writers get the 409, readers the 404 of no fit.
		"POST /api/v1/customer-value/predict": {409, 409, 403, 403, 403, 403},
		"GET /api/v1/customer-value/model":    {404, 404, 404, 404, 404, 404},
		"GET /api/v1/settings/customer-value": {200, 200, 403, 403, 403, 403},
		"PUT /api/v1/settings/customer-value": {200, 200, 403, 403, 403, 403},
	} {
		statuses[k] = v
	}
	moreCases = append(moreCases, orderCases)
	moreObjects = append(moreObjects, func(t *testing.T, a *app.App, w *world) map[string]int64 {
		res, err := a.Orders.IngestFor(context.Background(), w.b.ID, []order.Input{{Source: "pos", ExternalID: uniq("B-"), PaidFen: 100,
			PaidAt: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}})
		if err != nil {
			t.Fatal(err)
		}
		return map[string]int64{"/api/v1/orders/": res.IDs[0]}
	})
	moreInvalid = append(moreInvalid, func(t *testing.T, a *app.App, w *world) map[string]badCase {
		return map[string]badCase{
			"POST /api/v1/orders": {"/api/v1/orders", map[string]any{"source": "mars", "external_id": "", "paid_fen": -5, "paid_at": "2024-06-01T00:00:00Z"},
				[]string{"source", "external_id", "paid_fen", "refund_fen"}},
			"POST /api/v1/orders/batch": {"/api/v1/orders/batch", map[string]any{"orders": []map[string]any{
				{"source": "pos", "external_id": "ok-1", "paid_fen": 100, "paid_at": "2024-06-01T00:00:00Z"},
				{"source": "pos", "external_id": "bad-1", "paid_fen": 100, "store_unit_id": w.bUnit.ID, "paid_at": "2024-06-01T00:00:00Z"}}},
				[]string{"orders[1].store_unit_id"}},
			"PUT /api/v1/settings/customer-value": {"/api/v1/settings/customer-value", map[string]any{
				"rfm":       map[string]any{"bins": 1, "window_days": 365, "split": "mode"},
				"lifecycle": map[string]any{"rhythm_factor": 2, "min_trust_days": 30, "initial_days": 90, "lost_days": 365},
				"value":     map[string]any{"coupon_discount_pct": 30, "refund_share_pct": 500, "high_spend_fen": 1000, "high_min_orders": 3}},
				[]string{"rfm.bins", "rfm.split", "value.refund_share_pct"}},
		}
	})
	moreSnapshot = append(moreSnapshot,
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM orders",
		"SELECT COUNT(*), '' FROM order_items",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM order_settings",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM customer_metrics")
}

var rulesBody = map[string]any{
	"rfm":       map[string]any{"bins": 4, "window_days": 0, "split": "median", "reference_date": ""},
	"lifecycle": map[string]any{"rhythm_factor": 2, "min_trust_days": 30, "initial_days": 90, "lost_days": 365},
	"value":     map[string]any{"coupon_discount_pct": 30, "refund_share_pct": 50, "high_spend_fen": 100000, "high_min_orders": 3},
}

func orderCases(t *testing.T, a *app.App, w *world) map[string]func(org.Role) call {
	ctx := context.Background()
	// An order sold by the south store and credited to the south guide: outside the manager's
	// and the guide's scope.
	res, err := a.Orders.IngestFor(ctx, w.a.ID, []order.Input{{Source: "pos", ExternalID: uniq("S-"), PaidFen: 100, StoreUnitID: w.shopB.ID,
		GuideStaffID: w.south1.ID, PaidAt: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	southOrder := res.IDs[0]
	one := func(org.Role) call {
		return call{"/api/v1/orders", map[string]any{"source": "mall", "external_id": uniq("M-"), "paid_fen": 990, "paid_at": "2024-06-01T00:00:00Z"}}
	}
	return map[string]func(org.Role) call{
		"GET /api/v1/orders":      func(org.Role) call { return call{"/api/v1/orders?source=pos&bound=unbound", nil} },
		"GET /api/v1/orders/{id}": func(org.Role) call { return call{fmt.Sprintf("/api/v1/orders/%d", southOrder), nil} },
		"POST /api/v1/orders":     one,
		"POST /api/v1/orders/batch": func(r org.Role) call {
			return call{"/api/v1/orders/batch", map[string]any{"orders": []any{one(r).body}}}
		},
		"POST /api/v1/orders/import": func(org.Role) call {
			return call{"/api/v1/orders/import", map[string]any{}}
		},
		"POST /api/v1/orders/bind":           func(org.Role) call { return call{"/api/v1/orders/bind", nil} },
		"POST /api/v1/orders/webhook-secret": func(org.Role) call { return call{"/api/v1/orders/webhook-secret", nil} },
		"GET /api/v1/customers/{id}/value": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/customers/%d/value", w.southCustomer), nil}
		},
		"GET /api/v1/customer-value/summary":    func(org.Role) call { return call{"/api/v1/customer-value/summary", nil} },
		"POST /api/v1/customer-value/recompute": func(org.Role) call { return call{"/api/v1/customer-value/recompute", nil} },
		"POST /api/v1/customer-value/predict":   func(org.Role) call { return call{"/api/v1/customer-value/predict", nil} },
		"GET /api/v1/customer-value/model":      func(org.Role) call { return call{"/api/v1/customer-value/model", nil} },
		"GET /api/v1/settings/customer-value":   func(org.Role) call { return call{"/api/v1/settings/customer-value", nil} },
		"PUT /api/v1/settings/customer-value":   func(org.Role) call { return call{"/api/v1/settings/customer-value", rulesBody} },
	}
}

// upload posts a file as multipart field "file".
func (c *client) upload(path, name string, data []byte) response {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return response{Status: resp.StatusCode, Body: b.Bytes()}
}

// TestOrdersEndToEnd: a file upload with a bad row imports nothing and names the row; the fixed
// file imports, re-importing changes nothing; a signed webhook ingests; the customer profile
// carries the value section; analysts see buyers masked.
func TestOrdersEndToEnd(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := build(t, a, srv)
		owner := w.users[org.Owner]
		// The guide's customer gets a phone, so orders with it bind to them.
		if r := owner.do("POST", fmt.Sprintf("/api/v1/customers/%d/identities", w.guideCustomer), map[string]any{"kind": "phone", "value": "13700000001"}); r.Status != 200 {
			t.Fatalf("add phone: %d %s", r.Status, r.Body)
		}
		bad := "order_id,source,phone,paid_at,amount\nG1,pos,13700000001,2024-05-01 10:00:00,100\nG2,pos,13700000002,yesterday,80\n"
		r := owner.upload("/api/v1/orders/import?layout=generic", "orders.csv", []byte(bad))
		if r.Status != 400 || !strings.Contains(string(r.Body), `"row 3: paid_at"`) {
			t.Fatalf("bad file: %d %s", r.Status, r.Body)
		}
		good := strings.Replace(bad, "yesterday", "2024-05-20 09:00:00", 1)
		for i, want := range []string{`"created":2`, `"unchanged":2`} {
			r = owner.upload("/api/v1/orders/import?layout=generic", "orders.csv", []byte(good))
			if r.Status != 200 || !strings.Contains(string(r.Body), want) {
				t.Fatalf("import %d: %d %s", i, r.Status, r.Body)
			}
		}
		// Webhook.
		r = owner.do("POST", "/api/v1/orders/webhook-secret", nil)
		var sec order.SecretReply
		json.Unmarshal(r.Body, &sec)
		body := []byte(`{"source":"mall","external_id":"W1","buyer_phone":"13700000001","paid_fen":5000,"paid_at":"2024-06-01T00:00:00Z"}`)
		post := func(sig string) int {
			req, _ := http.NewRequest("POST", srv.URL+sec.URL, bytes.NewReader(body))
			req.Header.Set("X-Siyu-Signature", sig)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if s := post(order.Sign("wrong", body)); s != 401 {
			t.Errorf("webhook with a wrong signature: %d", s)
		}
		if s := post(order.Sign(sec.Secret, body)); s != 200 {
			t.Errorf("signed webhook: %d", s)
		}
		// The profile carries the value section; the guide sees their customer's orders.
		r = w.users[org.Guide].do("GET", fmt.Sprintf("/api/v1/customers/%d", w.guideCustomer), nil)
		var d struct {
			Sections struct {
				Value order.Value `json:"value"`
			} `json:"sections"`
		}
		if err := json.Unmarshal(r.Body, &d); err != nil || d.Sections.Value.Metrics == nil || d.Sections.Value.Metrics.Orders != 2 ||
			d.Sections.Value.Metrics.SpendFen != 15000 {
			t.Errorf("profile value section: %d %s", r.Status, r.Body)
		}
		r = w.users[org.Guide].do("GET", fmt.Sprintf("/api/v1/orders?customer_id=%d", w.guideCustomer), nil)
		if r.Status != 200 || strings.Count(string(r.Body), `"external_id"`) != 2 {
			t.Errorf("guide's orders: %s", r.Body)
		}
		r = w.users[org.Analyst].do("GET", "/api/v1/orders?bound=unbound", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `137****0002`) || strings.Contains(string(r.Body), "13700000002") {
			t.Errorf("analyst's unbound orders: %s", r.Body)
		}
		// A merge moves the orders: the south customer's order follows them into the guide's
		// customer, and the recompute rebuilds both customers' rows.
		if r := owner.do("POST", fmt.Sprintf("/api/v1/customers/%d/identities", w.southCustomer), map[string]any{"kind": "phone", "value": "13700000009"}); r.Status != 200 {
			t.Fatalf("south phone: %d %s", r.Status, r.Body)
		}
		r = owner.do("POST", "/api/v1/orders", map[string]any{"source": "pos", "external_id": "SOUTH-1", "buyer_phone": "13700000009", "paid_fen": 700, "paid_at": "2024-06-02T00:00:00Z"})
		var ing order.IngestReply
		if err := json.Unmarshal(r.Body, &ing); err != nil || ing.Order.CustomerID == nil || *ing.Order.CustomerID != w.southCustomer {
			t.Fatalf("south order: %d %s", r.Status, r.Body)
		}
		if r := owner.do("POST", fmt.Sprintf("/api/v1/customers/%d/merge", w.guideCustomer), map[string]any{"from_id": w.southCustomer}); r.Status != 200 {
			t.Fatalf("merge: %d %s", r.Status, r.Body)
		}
		if r := owner.do("POST", "/api/v1/customer-value/recompute", nil); r.Status != 200 {
			t.Fatalf("recompute: %d %s", r.Status, r.Body)
		}
		r = owner.do("GET", fmt.Sprintf("/api/v1/orders/%d", ing.Order.ID), nil)
		if !strings.Contains(string(r.Body), fmt.Sprintf(`"customer_id":%d`, w.guideCustomer)) {
			t.Errorf("order after the merge: %s", r.Body)
		}
		var v order.Value
		r = owner.do("GET", fmt.Sprintf("/api/v1/customers/%d/value", w.guideCustomer), nil)
		if err := json.Unmarshal(r.Body, &v); err != nil || v.Metrics == nil || v.Metrics.Orders != 3 || v.Metrics.SpendFen != 15700 {
			t.Errorf("merged customer's value: %s", r.Body)
		}
		r = owner.do("GET", fmt.Sprintf("/api/v1/customers/%d/value", w.southCustomer), nil)
		if !strings.Contains(string(r.Body), `"metrics":null`) {
			t.Errorf("merged-away customer's value: %s", r.Body)
		}
		if r := owner.do("GET", "/api/v1/orders?status=lost&from=never", nil); r.Status != 400 ||
			!strings.Contains(string(r.Body), `"status"`) || !strings.Contains(string(r.Body), `"from"`) {
			t.Errorf("bad list filters: %d %s", r.Status, r.Body)
		}
	})
}
