package customer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

// TestBulkTag: each customer goes through WeCom on its own path and the result says what happened
// to each — tagged, no WeCom relation, outside the scope; bad input changes nothing.
func TestBulkTag(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newTagRig(t, db)
		ctx := context.Background()
		g, err := r.svc.CreateTagGroup(r.owner, customer.TagGroupInput{Name: "批量", Tags: []string{"VIP"}})
		if err != nil {
			t.Fatal(err)
		}
		vip := g.Tags[0].ID
		// A customer Siyu knows without a WeCom relation (say, imported by phone).
		var bare int64
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			now := time.Now().UTC()
			if err := tx.QueryRowContext(ctx, `INSERT INTO customers (tenant_id, name, created_at, updated_at) VALUES (?, '无关系', ?, ?) RETURNING id`,
				r.tenantID, now, now).Scan(&bare); err != nil {
				return err
			}
			return customer.RefreshSearch(ctx, tx, r.tenantID, bare)
		}); err != nil {
			t.Fatal(err)
		}
		res, err := r.svc.BulkTag(r.owner, customer.BulkTagInput{CustomerIDs: []int64{r.customerID, bare, 999999999, r.customerID}, Add: []int64{vip}})
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("%d/%d %+v", res.OK, res.Failed, res.Items)
		want := fmt.Sprintf("1/2 [{CustomerID:%d OK:true Error: Detail:} {CustomerID:%d OK:false Error:customer_no_relation Detail:} {CustomerID:999999999 OK:false Error:not_found Detail:}]",
			r.customerID, bare)
		if got != want {
			t.Errorf("result %s\nwant   %s", got, want)
		}
		if tags := r.simTags(t); fmt.Sprint(tags["guide01"]) != "[VIP]" {
			t.Errorf("WeCom tags after bulk: %v", tags)
		}
		// Untag through the same path: off every relation that has it.
		if res, err := r.svc.BulkTag(r.owner, customer.BulkTagInput{CustomerIDs: []int64{r.customerID}, Remove: []int64{vip}}); err != nil || res.OK != 1 {
			t.Fatalf("bulk untag: %+v %v", res, err)
		}
		if tags := r.simTags(t); len(tags["guide01"])+len(tags["guide02"]) != 0 {
			t.Errorf("WeCom tags after bulk untag: %v", tags)
		}
		// A manager elsewhere reaches nobody.
		res, err = r.svc.BulkTag(r.managerElsewhere, customer.BulkTagInput{CustomerIDs: []int64{r.customerID}, Add: []int64{vip}})
		if err != nil || res.Failed != 1 || res.Items[0].Error != "not_found" {
			t.Errorf("out of scope: %+v %v", res, err)
		}
		before := countEvents(t, db, r.tenantID, customer.EventTagged)
		for _, in := range []customer.BulkTagInput{
			{Add: []int64{vip}},
			{CustomerIDs: []int64{r.customerID}},
			{CustomerIDs: []int64{r.customerID}, Add: []int64{vip + 1000}},
			{CustomerIDs: make([]int64, customer.MaxBulkTag+1), Add: []int64{vip}},
			{CustomerIDs: []int64{r.customerID}, Add: []int64{vip}, Remove: []int64{vip}},
		} {
			if _, err := r.svc.BulkTag(r.owner, in); httpx.ErrorCode(err) != httpx.Invalid {
				t.Errorf("%+v: %v, want invalid", in, err)
			}
		}
		if after := countEvents(t, db, r.tenantID, customer.EventTagged); after != before {
			t.Errorf("bad input wrote %d tagged events", after-before)
		}
	})
}

// TestBulkAssign: the follow-up owner is set on customers in scope, cleared again, and filtered
// on; staff outside the caller's scope cannot be made owner.
func TestBulkAssign(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newTagRig(t, db)
		res, err := r.svc.BulkAssign(r.owner, customer.BulkAssignInput{CustomerIDs: []int64{r.customerID, 424242}, StaffID: r.staff2})
		if err != nil || res.OK != 1 || res.Items[1].Error != "not_found" {
			t.Fatalf("assign: %+v %v", res, err)
		}
		page, err := r.svc.List(r.owner, customer.Filter{OwnerID: r.staff2})
		if err != nil || len(page.Items) != 1 || page.Items[0].OwnerStaffID == nil || *page.Items[0].OwnerStaffID != r.staff2 {
			t.Fatalf("owner filter: %+v %v", page.Items, err)
		}
		if n := countEvents(t, db, r.tenantID, customer.EventOwnerAssigned); n != 1 {
			t.Errorf("%d owner_assigned events, want 1", n)
		}
		// Assigning again changes nothing and adds no event.
		if _, err := r.svc.BulkAssign(r.owner, customer.BulkAssignInput{CustomerIDs: []int64{r.customerID}, StaffID: r.staff2}); err != nil {
			t.Fatal(err)
		}
		if n := countEvents(t, db, r.tenantID, customer.EventOwnerAssigned); n != 1 {
			t.Errorf("%d owner_assigned events after a no-op, want 1", n)
		}
		if _, err := r.svc.BulkAssign(r.owner, customer.BulkAssignInput{CustomerIDs: []int64{r.customerID}, Clear: true}); err != nil {
			t.Fatal(err)
		}
		if page, _ := r.svc.List(r.owner, customer.Filter{OwnerID: r.staff2}); len(page.Items) != 0 {
			t.Errorf("owner still set after clear: %+v", page.Items)
		}
		// A guide may only make themselves the owner.
		guide := org.WithCaller(context.Background(), org.Caller{TenantID: r.tenantID, Role: org.Guide, StaffID: r.staff1})
		if _, err := r.svc.BulkAssign(guide, customer.BulkAssignInput{CustomerIDs: []int64{r.customerID}, StaffID: r.staff2}); httpx.ErrorCode(err) != httpx.Invalid {
			t.Errorf("guide assigning a colleague: %v, want invalid", err)
		}
		if res, err := r.svc.BulkAssign(guide, customer.BulkAssignInput{CustomerIDs: []int64{r.customerID}, StaffID: r.staff1}); err != nil || res.OK != 1 {
			t.Errorf("guide assigning themselves: %+v %v", res, err)
		}
		for _, in := range []customer.BulkAssignInput{
			{StaffID: r.staff1},
			{CustomerIDs: []int64{r.customerID}},
			{CustomerIDs: []int64{r.customerID}, StaffID: r.staff1, Clear: true},
			{CustomerIDs: []int64{-1}, StaffID: r.staff1},
		} {
			if _, err := r.svc.BulkAssign(r.owner, in); httpx.ErrorCode(err) != httpx.Invalid {
				t.Errorf("%+v: %v, want invalid", in, err)
			}
		}
	})
}
