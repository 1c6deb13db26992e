package customer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// TestCustomerGroups: the list holds the caller's tenant's groups only, active ones first and
// then by name, with their member counts; another tenant's groups never show.
func TestCustomerGroups(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := setup(t, db)
		_, otherID, _ := setup(t, db)
		ctx := context.Background()
		now := time.Now().Unix()
		apply := func(tenant int64, chat, name string, members int) {
			t.Helper()
			g := &wecom.GroupChat{ChatID: chat, Name: name, Owner: "guide01", CreateTime: now}
			for i := range members {
				g.MemberList = append(g.MemberList, wecom.GroupMember{UserID: fmt.Sprintf("%s-m%d", chat, i), Type: 2, JoinTime: now})
			}
			if err := svc.ApplyGroup(ctx, tenant, g); err != nil {
				t.Fatal(err)
			}
		}
		apply(tenantID, "wrB", "A福利群", 2)
		apply(tenantID, "wrA", "B老客群", 1)
		apply(tenantID, "wrC", "A已解散群", 3)
		apply(otherID, "wrX", "别家群", 1)
		if _, err := db.ExecContext(ctx, `UPDATE customer_groups SET status = 'dismissed' WHERE tenant_id = ? AND chat_id = 'wrC'`, tenantID); err != nil {
			t.Fatal(err)
		}

		if _, err := svc.CustomerGroups(ctx); err == nil {
			t.Fatal("listed groups without a caller")
		}
		got, err := svc.CustomerGroups(org.WithCaller(ctx, org.Caller{TenantID: tenantID, Role: org.Guide, UserID: 1}))
		if err != nil {
			t.Fatal(err)
		}
		var summary []string
		for _, g := range got {
			if g.ID == 0 {
				t.Errorf("group %q has no id", g.Name)
			}
			summary = append(summary, fmt.Sprintf("%s:%s:%d", g.Name, g.Status, g.MemberCount))
		}
		want := []string{"A福利群:active:2", "B老客群:active:1", "A已解散群:dismissed:3"}
		if len(got) != len(want) {
			t.Fatalf("groups = %v, want %v", summary, want)
		}
		for i := range want {
			if summary[i] != want[i] {
				t.Fatalf("groups = %v, want %v", summary, want)
			}
		}
		other, err := svc.CustomerGroups(org.WithCaller(ctx, org.Caller{TenantID: otherID, Role: org.Owner, UserID: 1}))
		if err != nil || len(other) != 1 || other[0].Name != "别家群" {
			t.Fatalf("other tenant's groups = %+v, %v", other, err)
		}
	})
}
