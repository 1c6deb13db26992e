package app_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/order"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Auto-tag rules in the whole-program tables. Anyone who reads customers reads the rules;
// changing them needs tags.write and a tenant-wide role (a rule tags customers of every
// branch), so managers get 403 although they manage the tag library.
func init() {
	statuses["GET /api/v1/tag-rules"] = [6]int{200, 200, 200, 200, 200, 200}
	statuses["POST /api/v1/tag-rules"] = [6]int{201, 201, 403, 403, 403, 403}
	statuses["PUT /api/v1/tag-rules/{id}"] = [6]int{200, 200, 403, 403, 403, 403}
	statuses["DELETE /api/v1/tag-rules/{id}"] = [6]int{204, 204, 403, 403, 403, 403}
	statuses["POST /api/v1/tag-rules/{id}/run"] = [6]int{200, 200, 403, 403, 403, 403}

	moreCases = append(moreCases, func(t *testing.T, a *app.App, w *world) map[string]func(org.Role) call {
		body := func(role org.Role) map[string]any {
			return map[string]any{"name": uniq("规则" + string(role)), "tag_id": w.tag, "conditions": map[string]any{"birthday_this_month": true}}
		}
		rule := func(org.Role) int64 { return newRule(t, a, w.ownerCtx, w.tag) }
		return map[string]func(org.Role) call{
			"GET /api/v1/tag-rules":  func(org.Role) call { return call{"/api/v1/tag-rules", nil} },
			"POST /api/v1/tag-rules": func(r org.Role) call { return call{"/api/v1/tag-rules", body(r)} },
			"PUT /api/v1/tag-rules/{id}": func(r org.Role) call {
				return call{fmt.Sprintf("/api/v1/tag-rules/%d", rule(r)), body(r)}
			},
			"DELETE /api/v1/tag-rules/{id}":   func(r org.Role) call { return call{fmt.Sprintf("/api/v1/tag-rules/%d", rule(r)), nil} },
			"POST /api/v1/tag-rules/{id}/run": func(r org.Role) call { return call{fmt.Sprintf("/api/v1/tag-rules/%d/run", rule(r)), nil} },
		}
	})
	moreObjects = append(moreObjects, func(t *testing.T, a *app.App, w *world) map[string]int64 {
		bOwner := org.WithCaller(context.Background(), org.Caller{TenantID: w.b.ID, TenantSlug: w.b.Slug, Role: org.Owner})
		return map[string]int64{"/api/v1/tag-rules/": newRule(t, a, bOwner, w.bTag)}
	})
	moreInvalid = append(moreInvalid, func(t *testing.T, a *app.App, w *world) map[string]badCase {
		bad := map[string]any{"name": "", "tag_id": w.tag, "conditions": map[string]any{"spent_at_least_fen": -5}}
		return map[string]badCase{
			"POST /api/v1/tag-rules": {"/api/v1/tag-rules", bad, []string{"name", "conditions.spent_at_least_fen"}},
			"PUT /api/v1/tag-rules/{id}": {fmt.Sprintf("/api/v1/tag-rules/%d", newRule(t, a, w.ownerCtx, w.tag)),
				map[string]any{"name": "x", "tag_id": w.tag, "conditions": map[string]any{}}, []string{"conditions"}},
		}
	})
	moreSnapshot = append(moreSnapshot, "SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM tag_rules")
}

func newRule(t *testing.T, a *app.App, ctx context.Context, tagID int64) int64 {
	t.Helper()
	r, err := a.TagRules.CreateRule(ctx, customer.TagRuleInput{Name: uniq("生日规则"), TagID: tagID,
		Conditions: customer.RuleConditions{BirthdayThisMonth: true}})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// TestSpendRuleFollowsOrders: an order that lifts a customer over a spend rule's threshold
// tags them as soon as it is ingested, not only at the nightly run.
func TestSpendRuleFollowsOrders(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := build(t, a, srv)
		ctx := w.ownerCtx
		if _, err := a.Customers.Resolve(ctx, w.a.ID, []customer.Identity{{Kind: customer.IdentityExternalUserID, Value: "wmGuide"},
			{Kind: customer.IdentityPhone, Value: "+8613900001111"}}); err != nil {
			t.Fatal(err)
		}
		rule, err := a.TagRules.CreateRule(ctx, customer.TagRuleInput{Name: "高消费", TagID: w.tag,
			Conditions: customer.RuleConditions{SpentAtLeastFen: 50000, SpentWithinDays: 90}})
		if err != nil || rule.Matched != 0 {
			t.Fatalf("rule %+v, %v", rule, err)
		}
		tagged := func() int {
			var n int
			if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_tags WHERE tenant_id = ? AND customer_id = ? AND tag_id = ? AND source = 'rule'`,
				w.a.ID, w.guideCustomer, w.tag).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for i, fen := range []int64{30000, 30000} {
			if _, _, err := a.Orders.Ingest(ctx, order.Input{Source: "tmall", ExternalID: fmt.Sprint("rule-", i), BuyerPhone: "13900001111",
				PaidFen: fen, PaidAt: time.Now().UTC().Add(-time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if want := i; tagged() != want { // ¥300 is not enough, ¥600 is
				t.Errorf("after order %d: tagged %d, want %d", i+1, tagged(), want)
			}
		}
	})
}
