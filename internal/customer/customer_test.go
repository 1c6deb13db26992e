package customer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var seq atomic.Int64

// noWeCom fails loudly if a test path reaches for the WeCom API.
type noWeCom struct{}

func (noWeCom) Client(context.Context, int64) (*wecom.Client, error) {
	return nil, fmt.Errorf("no WeCom in this test")
}
func (noWeCom) Settings(context.Context, int64) (org.WeComSecrets, error) {
	return org.WeComSecrets{}, fmt.Errorf("no WeCom in this test")
}

func setup(t *testing.T, db *store.DB) (*customer.Service, int64, int64) {
	t.Helper()
	ctx := context.Background()
	box, _ := seal.New(bytes.Repeat([]byte{2}, 32))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	orgs := org.NewService(db, box, log, org.Options{})
	tn, err := orgs.CreateTenant(ctx, fmt.Sprintf("cu%d-%d", time.Now().UnixNano()%1e6, seq.Add(1)), "客户测试")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orgs.ApplyMembers(ctx, tn.ID, []org.WeComMember{{UserID: "guide01", Name: "王芳"}, {UserID: "guide02", Name: "李娜"}}); err != nil {
		t.Fatal(err)
	}
	ids, err := orgs.StaffIDsByWeCom(ctx, tn.ID, []string{"guide01"})
	if err != nil || ids["guide01"] == 0 {
		t.Fatalf("staff: %v %v", ids, err)
	}
	return customer.New(db, noWeCom{}, orgs, log), tn.ID, ids["guide01"]
}

func countEvents(t *testing.T, db *store.DB, tenantID int64, kind string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM customer_events WHERE tenant_id = ? AND kind = ?`, tenantID, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestApplyContact: one customer per person — the same WeChat user added by two staff (with the
// same unionid) is one customer with both relations; applying the same data again changes
// nothing; a lost relation comes back active when the customer adds the staff member again.
func TestApplyContact(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, staff1 := setup(t, db)
		ctx := context.Background()
		c := wecom.ExternalContact{ExternalUserID: "wmA", Name: "张女士", Gender: 2, Type: 1, UnionID: "oUnionA"}
		t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC).Unix()
		a, err := svc.ApplyContact(ctx, tenantID, c, []customer.Follow{{UserID: "guide01", State: "poster", CreateTime: t0, Remark: "老客"}})
		if err != nil || !a.Created || len(a.NewRelations) != 1 {
			t.Fatalf("first apply: %+v %v", a, err)
		}
		// Seen again through another staff member, with the external id WeCom gives that corp app.
		c2 := c
		c2.ExternalUserID = "wmA-other-app"
		b, err := svc.ApplyContact(ctx, tenantID, c2, []customer.Follow{{UserID: "guide02", State: "store", CreateTime: t0 + 3600}})
		if err != nil || b.Created || b.CustomerID != a.CustomerID {
			t.Fatalf("second staff: %+v %v (want customer %d)", b, err, a.CustomerID)
		}
		for i := 0; i < 2; i++ { // replays
			if _, err := svc.ApplyContact(ctx, tenantID, c, []customer.Follow{{UserID: "guide01", State: "poster", CreateTime: t0, Remark: "老客"}}); err != nil {
				t.Fatal(err)
			}
		}
		p, err := svc.ByIdentity(ctx, tenantID, customer.IdentityUnionID, "oUnionA")
		if err != nil {
			t.Fatal(err)
		}
		if p.ID != a.CustomerID || len(p.Identities) != 3 || len(p.Relations) != 2 || p.FirstState != "poster" ||
			p.FirstAddedAt == nil || p.FirstAddedAt.Unix() != t0 || p.Relations[0].StaffID == nil || *p.Relations[0].StaffID != staff1 {
			t.Errorf("profile = %+v", p)
		}
		if n := countEvents(t, db, tenantID, customer.EventAddedStaff); n != 2 {
			t.Errorf("added_staff events = %d, want 2", n)
		}

		// The customer deletes guide01, then adds them again later.
		lost := &wecom.ExternalContactEvent{EventHeader: wecom.EventHeader{Event: wecom.EventChangeExternalContact, ChangeType: wecom.ChangeDelFollowUser,
			CreateTime: t0 + 7200}, UserID: "guide01", ExternalUserID: "wmA"}
		if err := svc.HandleWeComEvent(ctx, tenantID, lost); err != nil {
			t.Fatal(err)
		}
		p, _ = svc.ByIdentity(ctx, tenantID, customer.IdentityExternalUserID, "wmA")
		if p.Relations[0].Status != customer.RelationLost {
			t.Errorf("after del_follow_user: %+v", p.Relations)
		}
		// A full-sync page read before the deletion (same add time) does not undo it; a retried
		// older deletion does not end a newer relation (below).
		if _, err := svc.ApplyContact(ctx, tenantID, c, []customer.Follow{{UserID: "guide01", State: "poster", CreateTime: t0}}); err != nil {
			t.Fatal(err)
		}
		p, _ = svc.ByIdentity(ctx, tenantID, customer.IdentityExternalUserID, "wmA")
		if r := relationOf(p, "guide01"); r.Status != customer.RelationLost {
			t.Errorf("stale sync page reactivated the relation: %+v", r)
		}
		if _, err := svc.ApplyContact(ctx, tenantID, c, []customer.Follow{{UserID: "guide01", State: "sms", CreateTime: t0 + 86400}}); err != nil {
			t.Fatal(err)
		}
		p, _ = svc.ByIdentity(ctx, tenantID, customer.IdentityExternalUserID, "wmA")
		if r := relationOf(p, "guide01"); r.Status != customer.RelationActive || r.State != "sms" || r.AddedAt.Unix() != t0+86400 {
			t.Errorf("after re-adding: %+v", r)
		}
		if err := svc.HandleWeComEvent(ctx, tenantID, lost); err != nil { // the old deletion, retried
			t.Fatal(err)
		}
		p, _ = svc.ByIdentity(ctx, tenantID, customer.IdentityExternalUserID, "wmA")
		if r := relationOf(p, "guide01"); r.Status != customer.RelationActive {
			t.Errorf("a retried older deletion ended the renewed relation: %+v", r)
		}
		if n := countEvents(t, db, tenantID, customer.EventAddedStaff); n != 3 {
			t.Errorf("added_staff events after re-add = %d, want 3", n)
		}
		if n := countEvents(t, db, tenantID, customer.EventLost); n != 1 {
			t.Errorf("lost events = %d, want 1", n)
		}
	})
}

func TestApplyTagsAndGroups(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := setup(t, db)
		ctx := context.Background()
		lib := []wecom.TagGroup{{GroupID: "g1", GroupName: "等级", Tag: []wecom.CorpTag{{ID: "t1", Name: "VIP"}, {ID: "t2", Name: "普通"}}}}
		if n, err := svc.ApplyTags(ctx, tenantID, lib); err != nil || n != 2 {
			t.Fatalf("ApplyTags: %d %v", n, err)
		}
		c := wecom.ExternalContact{ExternalUserID: "wmB", Name: "刘先生"}
		if _, err := svc.ApplyContact(ctx, tenantID, c, []customer.Follow{{UserID: "guide01", TagIDs: []string{"t1"}}}); err != nil {
			t.Fatal(err)
		}
		lib[0].Tag = lib[0].Tag[:1] // 普通 was deleted in WeCom
		if _, err := svc.ApplyTags(ctx, tenantID, lib); err != nil {
			t.Fatal(err)
		}
		var deleted, tagged int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tags WHERE tenant_id = ? AND deleted = TRUE`, tenantID).Scan(&deleted)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_tags WHERE tenant_id = ?`, tenantID).Scan(&tagged)
		if deleted != 1 || tagged != 1 {
			t.Errorf("deleted tags %d (want 1), customer tags %d (want 1)", deleted, tagged)
		}

		g := &wecom.GroupChat{ChatID: "wrChat1", Name: "福利群", Owner: "guide01", CreateTime: time.Now().Unix(),
			MemberList: []wecom.GroupMember{{UserID: "guide01", Type: 1, JoinTime: 1}, {UserID: "wmB", Type: 2, JoinTime: 2}}}
		for i := 0; i < 2; i++ {
			if err := svc.ApplyGroup(ctx, tenantID, g); err != nil {
				t.Fatal(err)
			}
		}
		g.MemberList = g.MemberList[:1]
		if err := svc.ApplyGroup(ctx, tenantID, g); err != nil {
			t.Fatal(err)
		}
		if j, l := countEvents(t, db, tenantID, customer.EventJoinedGroup), countEvents(t, db, tenantID, customer.EventLeftGroup); j != 1 || l != 1 {
			t.Errorf("joined %d left %d, want 1 and 1", j, l)
		}
		var members int
		db.QueryRowContext(ctx, `SELECT member_count FROM customer_groups WHERE tenant_id = ? AND chat_id = ?`, tenantID, "wrChat1").Scan(&members)
		if members != 1 {
			t.Errorf("member_count = %d", members)
		}
		// A stored event with an unknown customer is harmless.
		err := svc.HandleWeComEvent(ctx, tenantID, &wecom.ExternalContactEvent{EventHeader: wecom.EventHeader{ChangeType: wecom.ChangeDelExternalContact},
			UserID: "guide01", ExternalUserID: "wmNobody"})
		if err != nil && !strings.Contains(err.Error(), "no WeCom") {
			t.Errorf("unknown customer: %v", err)
		}
	})
}

func relationOf(p customer.Profile, userID string) customer.Relation {
	for _, r := range p.Relations {
		if r.WeComUserID == userID {
			return r
		}
	}
	return customer.Relation{}
}

// TestConcurrentFirstApplies: the same new person applied concurrently (an event and a full sync,
// or two replicas) ends up as one customer.
func TestConcurrentFirstApplies(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := setup(t, db)
		ctx := context.Background()
		for i := 0; i < 10; i++ {
			c := wecom.ExternalContact{ExternalUserID: fmt.Sprintf("wmRace%d", i), Name: "并发"}
			var wg sync.WaitGroup
			for _, g := range []string{"guide01", "guide02", "guide01", "guide02"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := svc.ApplyContact(ctx, tenantID, c, []customer.Follow{{UserID: g}}); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		var customers, orphans int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE tenant_id = ?`, tenantID).Scan(&customers)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_staff cs WHERE cs.tenant_id = ? AND NOT EXISTS
			(SELECT 1 FROM customer_identities i WHERE i.tenant_id = cs.tenant_id AND i.customer_id = cs.customer_id)`, tenantID).Scan(&orphans)
		if customers != 10 || orphans != 0 {
			t.Errorf("customers %d (want 10), relations on customers without identity %d", customers, orphans)
		}
	})
}

func TestLinkStaff(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := setup(t, db)
		ctx := context.Background()
		// guide77 is not staff yet when their customer arrives.
		a, err := svc.ApplyContact(ctx, tenantID, wecom.ExternalContact{ExternalUserID: "wmEarly", Name: "早到"}, []customer.Follow{{UserID: "guide77"}})
		if err != nil {
			t.Fatal(err)
		}
		box, _ := seal.New(bytes.Repeat([]byte{2}, 32))
		orgs := org.NewService(db, box, slog.New(slog.NewTextHandler(io.Discard, nil)), org.Options{})
		if _, err := orgs.ApplyMembers(ctx, tenantID, []org.WeComMember{{UserID: "guide77", Name: "新员工"}}); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.LinkStaff(ctx, tenantID); err != nil || n != 1 {
			t.Fatalf("LinkStaff = %d, %v", n, err)
		}
		p, _ := svc.ByIdentity(ctx, tenantID, customer.IdentityExternalUserID, "wmEarly")
		if p.ID != a.CustomerID || len(p.Relations) != 1 || p.Relations[0].StaffID == nil {
			t.Errorf("relation after linking: %+v", p.Relations)
		}
	})
}

func TestRenameWeComUser(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := setup(t, db)
		ctx := context.Background()
		if _, err := svc.ApplyContact(ctx, tenantID, wecom.ExternalContact{ExternalUserID: "wmR", Name: "改号"}, []customer.Follow{{UserID: "guide01"}}); err != nil {
			t.Fatal(err)
		}
		if err := svc.RenameWeComUser(ctx, tenantID, "guide01", "wangfang"); err != nil {
			t.Fatal(err)
		}
		p, _ := svc.ByIdentity(ctx, tenantID, customer.IdentityExternalUserID, "wmR")
		if len(p.Relations) != 1 || p.Relations[0].WeComUserID != "wangfang" {
			t.Errorf("relations after rename: %+v", p.Relations)
		}
	})
}

// TestGroupJoinBeforeCustomerKnown: a group event processed before the member's add still puts
// the join on the timeline once the customer is known.
func TestGroupJoinBeforeCustomerKnown(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := setup(t, db)
		ctx := context.Background()
		g := &wecom.GroupChat{ChatID: "wrEarly", Name: "早鸟群", Owner: "guide01", CreateTime: time.Now().Unix(),
			MemberList: []wecom.GroupMember{{UserID: "wmLate", Type: 2, JoinTime: 100}}}
		if err := svc.ApplyGroup(ctx, tenantID, g); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ApplyContact(ctx, tenantID, wecom.ExternalContact{ExternalUserID: "wmLate", Name: "后到"}, []customer.Follow{{UserID: "guide01"}}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := svc.ApplyGroup(ctx, tenantID, g); err != nil {
				t.Fatal(err)
			}
		}
		if n := countEvents(t, db, tenantID, customer.EventJoinedGroup); n != 1 {
			t.Errorf("joined_group events = %d, want 1", n)
		}
	})
}
