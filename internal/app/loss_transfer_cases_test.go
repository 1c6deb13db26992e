package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/notify"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// The authorization rows of the notification, loss and transfer routes (owner, admin, manager,
// guide, analyst, service). Everyone reads and marks their own notifications; transfers are for
// owners, admins and managers, within their scope (the probed transfer is from the other
// branch: 404 for the manager).
var lossTransferStatuses = map[string][6]int{
	"GET /api/v1/notifications":                  {200, 200, 200, 200, 200, 200},
	"POST /api/v1/notifications/{id}/read":       {204, 204, 204, 204, 204, 204},
	"POST /api/v1/notifications/read-all":        {200, 200, 200, 200, 200, 200},
	"GET /api/v1/customer-losses":                {200, 200, 200, 200, 200, 200},
	"POST /api/v1/customer-transfers":            {201, 201, 201, 403, 403, 403},
	"GET /api/v1/customer-transfers":             {200, 200, 200, 403, 403, 403},
	"GET /api/v1/customer-transfers/{id}":        {200, 200, 404, 403, 403, 403},
	"POST /api/v1/customer-transfers/{id}/retry": {200, 200, 404, 403, 403, 403},
}

func init() {
	for k, v := range lossTransferStatuses {
		statuses[k] = v
	}
}

// freshCustomerOf records a new customer of a WeCom userid in tenant A.
func freshCustomerOf(t *testing.T, a *app.App, w *world, userID string) int64 {
	t.Helper()
	ap, err := a.Customers.ApplyContact(context.Background(), w.a.ID, wecom.ExternalContact{ExternalUserID: uniq("wmT"), Name: "继承顾客"},
		[]customer.Follow{{UserID: userID}})
	if err != nil {
		t.Fatal(err)
	}
	return ap.CustomerID
}

// southTransfer creates, as tenant A's owner, a transfer from the other branch's guide; failed
// marks its customer failed so it can be retried.
func southTransfer(t *testing.T, a *app.App, w *world, failed bool) int64 {
	t.Helper()
	d, err := a.Customers.CreateTransfer(w.ownerCtx, customer.TransferInput{FromStaffID: w.south1.ID, ToStaffID: w.a2.ID,
		CustomerIDs: []int64{freshCustomerOf(t, a, w, "gS1")}})
	if err != nil {
		t.Fatal(err)
	}
	if failed {
		if _, err := a.DB.ExecContext(context.Background(), `UPDATE customer_transfer_items SET status = 'failed' WHERE tenant_id = ? AND transfer_id = ?`,
			w.a.ID, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	return d.ID
}

// noteFor gives a user of a tenant a fresh notification.
func noteFor(t *testing.T, a *app.App, tenantID, userID int64) int64 {
	t.Helper()
	key := uniq("test:")
	err := a.DB.InTx(context.Background(), func(tx *store.Tx) error {
		return a.Notify.Add(context.Background(), tx, notify.Note{TenantID: tenantID, UserIDs: []int64{userID}, Kind: "test", Title: "测试", DedupKey: key})
	})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := a.DB.QueryRowContext(context.Background(), `SELECT id FROM notifications WHERE tenant_id = ? AND user_id = ? AND dedup_key = ?`,
		tenantID, userID, key).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// lossTransferCases are the authorization-table requests of these routes.
func lossTransferCases(t *testing.T, a *app.App, w *world) map[string]func(org.Role) call {
	userOf := func(role org.Role) int64 {
		var id int64
		if err := a.DB.QueryRowContext(context.Background(), `SELECT id FROM users WHERE tenant_id = ? AND username = ?`, w.a.ID, string(role)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	return map[string]func(org.Role) call{
		"GET /api/v1/notifications": func(org.Role) call { return call{"/api/v1/notifications?unread=true", nil} },
		"POST /api/v1/notifications/{id}/read": func(role org.Role) call {
			return call{fmt.Sprintf("/api/v1/notifications/%d/read", noteFor(t, a, w.a.ID, userOf(role))), nil}
		},
		"POST /api/v1/notifications/read-all": func(org.Role) call { return call{"/api/v1/notifications/read-all", nil} },
		"GET /api/v1/customer-losses":         func(org.Role) call { return call{"/api/v1/customer-losses?days=30", nil} },
		"POST /api/v1/customer-transfers": func(org.Role) call {
			return call{"/api/v1/customer-transfers", map[string]any{"from_staff_id": w.guideStaff.ID, "to_staff_id": w.a2.ID,
				"customer_ids": []int64{freshCustomerOf(t, a, w, "gA1")}}}
		},
		"GET /api/v1/customer-transfers": func(org.Role) call { return call{"/api/v1/customer-transfers", nil} },
		"GET /api/v1/customer-transfers/{id}": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/customer-transfers/%d", southTransfer(t, a, w, false)), nil}
		},
		"POST /api/v1/customer-transfers/{id}/retry": func(org.Role) call {
			return call{fmt.Sprintf("/api/v1/customer-transfers/%d/retry", southTransfer(t, a, w, true)), nil}
		},
	}
}

// addLossTransferObjects adds tenant B's notification and transfer to the isolation probes.
func addLossTransferObjects(t *testing.T, a *app.App, w *world, objects map[string]int64) {
	t.Helper()
	ctx := context.Background()
	objects["/api/v1/notifications/"] = noteFor(t, a, w.b.ID, w.bUser.ID)
	bOwner := org.WithCaller(ctx, org.Caller{TenantID: w.b.ID, TenantSlug: w.b.Slug, Role: org.Owner})
	to, err := a.Org.CreateStaff(bOwner, org.StaffInput{Name: "乙方接替", WeComUserID: "gB2", OrgUnitID: w.bUnit.ID})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := a.Org.StaffIDsByWeCom(ctx, w.b.ID, []string{"gA1"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.Customers.CreateTransfer(bOwner, customer.TransferInput{FromStaffID: ids["gA1"], ToStaffID: to.ID, CustomerIDs: []int64{w.bCustomer}})
	if err != nil {
		t.Fatal(err)
	}
	objects["/api/v1/customer-transfers/"] = d.ID
}

// lossTransferBadInput are the bad-input cases of these write routes.
func lossTransferBadInput(w *world) map[string]struct {
	path   string
	body   any
	fields []string
} {
	return map[string]struct {
		path   string
		body   any
		fields []string
	}{
		"POST /api/v1/customer-transfers": {"/api/v1/customer-transfers", map[string]any{"from_staff_id": 0, "to_staff_id": -1,
			"customer_ids": []int64{}, "message": strings.Repeat("字", 201)}, []string{"from_staff_id", "to_staff_id", "customer_ids", "message"}},
	}
}

// lossTransferTables are what TestBadInput's snapshot watches for these routes.
var lossTransferTables = []string{
	"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM notifications",
	"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM wecom_message_jobs",
	"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM customer_transfers",
	"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM customer_transfer_items",
}
