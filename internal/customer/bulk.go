package customer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Bulk actions on customers selected in the list. Tags go through MarkTags one customer at a time,
// because WeCom is the truth for tags and keeps them per staff relation: each customer is changed
// in WeCom first, exactly as when tagged alone, and the answer says what happened to each.
// Assignment sets the follow-up owner (跟进人), Siyu's own field; moving a WeCom relation to
// another staff member is inheritance (在职/离职继承), which WeCom performs, not this.

const (
	// MaxBulkTag caps one bulk tagging request: each customer is one WeCom call or more.
	MaxBulkTag = 500
	// MaxBulkAssign caps one bulk assignment.
	MaxBulkAssign = 1000
	// bulkWorkers is how many customers are tagged in WeCom at once.
	bulkWorkers = 4
)

// EventOwnerAssigned is the timeline kind of a follow-up owner change; detail {"owner_staff_id":
// id or null, "by": who}.
const EventOwnerAssigned = "owner_assigned"

// BulkTagInput adds and removes tags on several customers.
type BulkTagInput struct {
	CustomerIDs []int64 `json:"customer_ids" doc:"at most 500"`
	Add         []int64 `json:"add"`
	Remove      []int64 `json:"remove"`
}

// BulkAssignInput sets (or clears) the follow-up owner of several customers.
type BulkAssignInput struct {
	CustomerIDs []int64 `json:"customer_ids" doc:"at most 1000"`
	StaffID     int64   `json:"staff_id" doc:"the new follow-up owner, a staff member in the caller's scope; 0 with clear"`
	Clear       bool    `json:"clear" doc:"remove the follow-up owner instead"`
}

// BulkItem is what happened to one customer.
type BulkItem struct {
	CustomerID int64  `json:"customer_id"`
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty" doc:"not_found, customer_no_relation, wecom_rejected, wecom_unavailable, …"`
	Detail     string `json:"detail,omitempty" doc:"WeCom's own message, when it refused"`
}

// BulkResult is the outcome of a bulk action, per customer in the order given.
type BulkResult struct {
	OK     int        `json:"ok"`
	Failed int        `json:"failed"`
	Items  []BulkItem `json:"items"`
}

func checkIDs(v *httpx.Validator, ids []int64, max int) []int64 {
	switch {
	case len(ids) == 0:
		v.Add("customer_ids", "required")
	case len(ids) > max:
		v.AddLimit("customer_ids", "too_long", max)
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id <= 0 {
			v.Add("customer_ids", "invalid")
			continue
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// BulkTag adds and removes tags on each customer through MarkTags (WeCom first). The input and the
// tags are checked once up front (bad input changes nothing); then each customer succeeds or fails
// on its own — outside the caller's scope (not_found), without a WeCom relation, or refused by
// WeCom.
func (s *Service) BulkTag(ctx context.Context, in BulkTagInput) (BulkResult, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return BulkResult{}, err
	}
	var v httpx.Validator
	ids := checkIDs(&v, in.CustomerIDs, MaxBulkTag)
	switch {
	case len(in.Add)+len(in.Remove) == 0:
		v.Add("add", "required")
	case len(in.Add) > 100:
		v.Add("add", "out_of_range")
	case len(in.Remove) > 100:
		v.Add("remove", "out_of_range")
	}
	for _, id := range in.Remove {
		v.Check(!slices.Contains(in.Add, id), "remove", "invalid")
	}
	if !v.Has("add") && !v.Has("remove") {
		lib, err := s.libraryTags(ctx, c.TenantID, append(slices.Clone(in.Add), in.Remove...))
		if err != nil {
			return BulkResult{}, err
		}
		for _, id := range in.Add {
			v.Check(lib[id].id != 0, "add", "not_found")
		}
		for _, id := range in.Remove {
			v.Check(lib[id].id != 0, "remove", "not_found")
		}
	}
	if err := v.Err(); err != nil {
		return BulkResult{}, err
	}
	// Without WeCom nothing can be tagged: say so once rather than once per customer.
	if _, err := s.wecom.Client(ctx, c.TenantID); err != nil {
		return BulkResult{}, err
	}
	items := make([]BulkItem, len(ids))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(bulkWorkers, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				items[i] = BulkItem{CustomerID: ids[i], OK: true}
				if _, err := s.MarkTags(ctx, ids[i], MarkInput{Add: in.Add, Remove: in.Remove}); err != nil {
					items[i] = bulkFailure(ids[i], err)
				}
			}
		}()
	}
	for i := range ids {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return tally(items, ids, ctx.Err())
}

func bulkFailure(id int64, err error) BulkItem {
	e := httpx.AsError(err)
	key := e.Key
	if key == "" {
		key = string(e.Code)
	}
	if e.Code == httpx.Internal {
		key, e.Detail = "internal", ""
	}
	return BulkItem{CustomerID: id, Error: key, Detail: e.Detail}
}

func tally(items []BulkItem, ids []int64, ctxErr error) (BulkResult, error) {
	out := BulkResult{Items: items}
	for i := range items {
		if items[i].CustomerID == 0 { // never reached: the request was cancelled
			items[i] = BulkItem{CustomerID: ids[i], Error: "cancelled"}
		}
		if items[i].OK {
			out.OK++
		} else {
			out.Failed++
		}
	}
	if ctxErr != nil && out.OK == 0 {
		return BulkResult{}, ctxErr
	}
	return out, nil
}

// BulkAssign sets the follow-up owner of the customers in the caller's scope to a staff member the
// caller can see (a guide: themselves), or clears it, in one transaction, with a timeline event
// per customer that changed. Customers outside the scope fail as not_found.
func (s *Service) BulkAssign(ctx context.Context, in BulkAssignInput) (BulkResult, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return BulkResult{}, err
	}
	var v httpx.Validator
	ids := checkIDs(&v, in.CustomerIDs, MaxBulkAssign)
	switch {
	case in.Clear && in.StaffID != 0:
		v.Add("staff_id", "invalid")
	case !in.Clear && in.StaffID <= 0:
		v.Add("staff_id", "required")
	}
	if err := v.Err(); err != nil {
		return BulkResult{}, err
	}
	var owner any // NULL clears
	if !in.Clear {
		staff, ok := s.staff.(interface {
			GetStaff(ctx context.Context, id int64) (org.Staff, error)
		})
		if !ok {
			return BulkResult{}, fmt.Errorf("customer: staff lookup is not available")
		}
		if _, err := staff.GetStaff(ctx, in.StaffID); err != nil {
			if httpx.ErrorCode(err) == httpx.NotFound {
				return BulkResult{}, httpx.FieldErr("staff_id", "not_found")
			}
			return BulkResult{}, err
		}
		owner = in.StaffID
	}
	cond, scopeArgs := org.ScopeOf(c).CustomerFilter("c.id")
	visible := map[int64]bool{}
	args := append([]any{c.TenantID}, scopeArgs...)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.id FROM customers c WHERE c.tenant_id = ? AND c.merged_into IS NULL AND `+cond+` AND c.id IN `+inList(len(ids)), args...)
	if err != nil {
		return BulkResult{}, fmt.Errorf("customer: bulk assign: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return BulkResult{}, err
		}
		visible[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return BulkResult{}, err
	}
	items := make([]BulkItem, len(ids))
	detail, _ := json.Marshal(map[string]any{"owner_staff_id": owner, "by": actorOf(c)})
	key := "assigned:" + randomKey()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.clock()
		for i, id := range ids {
			if !visible[id] {
				items[i] = BulkItem{CustomerID: id, Error: "not_found"}
				continue
			}
			items[i] = BulkItem{CustomerID: id, OK: true}
			res, err := tx.ExecContext(ctx, `UPDATE customers SET owner_staff_id = ?, updated_at = ? WHERE tenant_id = ? AND id = ?
				AND owner_staff_id IS DISTINCT FROM ?`, owner, now, c.TenantID, id, owner)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // already so
			}
			if err := appendEvent(ctx, tx, c.TenantID, id, EventOwnerAssigned, "", string(detail), fmt.Sprintf("%s:%d", key, id), now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return BulkResult{}, fmt.Errorf("customer: bulk assign: %w", err)
	}
	return tally(items, ids, nil)
}

// BulkRoutes lists the bulk actions of the customer list.
func (s *Service) BulkRoutes() []httpx.Route {
	return []httpx.Route{
		{Method: "POST", Path: "/api/v1/customers/bulk-tags", Perm: org.PermCustomerTag, Tag: "customers",
			Summary: "Add and remove tags on up to 500 customers (each in WeCom first); the result says what happened to each",
			Request: BulkTagInput{}, Response: BulkResult{}, Handler: s.handleBulkTag},
		{Method: "POST", Path: "/api/v1/customers/bulk-assign", Perm: org.PermCustomerWrite, Tag: "customers",
			Summary: "Set or clear the follow-up owner (跟进人) of up to 1000 customers; not a WeCom transfer",
			Request: BulkAssignInput{}, Response: BulkResult{}, Handler: s.handleBulkAssign},
	}
}

func (s *Service) handleBulkTag(w http.ResponseWriter, r *http.Request) error {
	var in BulkTagInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	out, err := s.BulkTag(r.Context(), in)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleBulkAssign(w http.ResponseWriter, r *http.Request) error {
	var in BulkAssignInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	out, err := s.BulkAssign(r.Context(), in)
	return httpx.Reply(w, http.StatusOK, out, err)
}
