package customer_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// fakeFacts stands in for orders and acquisition: who spent enough, which states a channel has.
type fakeFacts struct {
	spent  map[int64]bool
	since  []time.Time
	states map[int64][]string
}

func (f *fakeFacts) SpentAtLeast(_ context.Context, _ int64, minFen int64, since time.Time, only []int64) ([]int64, error) {
	f.since = append(f.since, since)
	var out []int64
	for id, ok := range f.spent {
		if ok && (only == nil || slices.Contains(only, id)) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (f *fakeFacts) ChannelStates(_ context.Context, _ int64, ids []int64) ([]string, error) {
	var out []string
	for _, id := range ids {
		st, ok := f.states[id]
		if !ok {
			return nil, httpx.NotFoundf("channel")
		}
		out = append(out, st...)
	}
	return out, nil
}

// TestTagRules: a rule tags exactly the customers who meet all its conditions, takes the tag
// off when they stop meeting them, leaves tags put on by hand alone, follows events, and
// refuses bad rules without writing anything.
func TestTagRules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := setup(t, db)
		ctx := context.Background()
		lib := []wecom.TagGroup{{GroupID: "g1", GroupName: "自动", Tag: []wecom.CorpTag{{ID: "t1", Name: "高消费群友"}, {ID: "t2", Name: "本月生日"}, {ID: "t3", Name: "群友"}, {ID: "t4", Name: "抖音来的"}}}}
		if _, err := svc.ApplyTags(ctx, tenantID, lib); err != nil {
			t.Fatal(err)
		}
		tag := map[string]int64{}
		rows, err := db.QueryContext(ctx, `SELECT wecom_tag_id, id FROM tags WHERE tenant_id = ?`, tenantID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var w string
			var id int64
			rows.Scan(&w, &id)
			tag[w] = id
		}
		rows.Close()
		cust := map[string]int64{}
		for _, c := range []struct{ ext, state, birthday string }{{"wmA", "dy-1", "1990-04-02"}, {"wmB", "store", "1985-03-15"}, {"wmC", "dy-2", "2001-04-30"}} {
			a, err := svc.ApplyContact(ctx, tenantID, wecom.ExternalContact{ExternalUserID: c.ext, Name: "客户" + c.ext},
				[]customer.Follow{{UserID: "guide01", State: c.state, CreateTime: time.Now().Unix()}})
			if err != nil {
				t.Fatal(err)
			}
			cust[c.ext] = a.CustomerID
			if _, err := db.ExecContext(ctx, `UPDATE customers SET birthday = ? WHERE id = ?`, c.birthday, a.CustomerID); err != nil {
				t.Fatal(err)
			}
		}
		group := &wecom.GroupChat{ChatID: "wrG", Name: "福利群", Owner: "guide01", CreateTime: time.Now().Unix(),
			MemberList: []wecom.GroupMember{{UserID: "guide01", Type: 1, JoinTime: 1}, {UserID: "wmA", Type: 2, JoinTime: 2}}}
		if err := svc.ApplyGroup(ctx, tenantID, group); err != nil {
			t.Fatal(err)
		}
		var groupID int64
		if err := db.QueryRowContext(ctx, `SELECT id FROM customer_groups WHERE tenant_id = ? AND chat_id = 'wrG'`, tenantID).Scan(&groupID); err != nil {
			t.Fatal(err)
		}

		facts := &fakeFacts{spent: map[int64]bool{cust["wmA"]: true, cust["wmB"]: true}, states: map[int64][]string{7: {"dy-1", "dy-2"}}}
		now := time.Date(2026, 3, 20, 4, 0, 0, 0, time.UTC)
		rules := customer.NewTagRules(db, facts, slog.New(slog.NewTextHandler(io.Discard, nil)))
		rules.SetClock(func() time.Time { return now })
		admin := org.WithCaller(ctx, org.Caller{TenantID: tenantID, Role: org.Admin, UserID: 1})
		ruleTagged := func(tagID int64) []int64 {
			t.Helper()
			rows, err := db.QueryContext(ctx, `SELECT customer_id FROM customer_tags WHERE tenant_id = ? AND tag_id = ? AND source = 'rule' ORDER BY customer_id`, tenantID, tagID)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []int64
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				out = append(out, id)
			}
			return out
		}
		want := func(what string, got []int64, exts ...string) {
			t.Helper()
			var w []int64
			for _, e := range exts {
				w = append(w, cust[e])
			}
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Errorf("%s: tagged %v, want %v (%v)", what, got, w, exts)
			}
		}

		// Spent ≥ ¥100 in 30 days AND in the group: A only (B spent but is not in the group).
		big, err := rules.CreateRule(admin, customer.TagRuleInput{Name: "高消费群友", TagID: tag["t1"],
			Conditions: customer.RuleConditions{SpentAtLeastFen: 10000, SpentWithinDays: 30, GroupIDs: []int64{groupID}}})
		if err != nil {
			t.Fatal(err)
		}
		want("spend+group", ruleTagged(tag["t1"]), "wmA")
		if big.Matched != 1 || big.LastRunAt == nil {
			t.Errorf("rule after create = %+v", big)
		}
		if got := facts.since[len(facts.since)-1]; !got.Equal(now.AddDate(0, 0, -30)) {
			t.Errorf("spend window starts %s, want 30 days before %s", got, now)
		}
		if n := countEvents(t, db, tenantID, customer.EventRuleTagged); n != 1 {
			t.Errorf("rule timeline events = %d, want 1", n)
		}
		// A stops spending: a run takes the tag off; a second run changes nothing.
		facts.spent[cust["wmA"]] = false
		run, err := rules.RunRule(admin, big.ID)
		if err != nil || run.Removed != 1 || run.Added != 0 || run.Matched != 0 {
			t.Errorf("run = %+v, %v", run, err)
		}
		if run, err = rules.RunRule(admin, big.ID); err != nil || run.Removed+run.Added != 0 {
			t.Errorf("second run = %+v, %v", run, err)
		}
		want("after spend stopped", ruleTagged(tag["t1"]))

		// Birthday this month, in March: B. A hand-put tag on C stays whatever the rule does.
		if _, err := db.ExecContext(ctx, `INSERT INTO customer_tags (tenant_id, customer_id, tag_id, wecom_userid, source, created_at) VALUES (?, ?, ?, 'guide01', 'manual', ?)`,
			tenantID, cust["wmC"], tag["t2"], now); err != nil {
			t.Fatal(err)
		}
		if _, err := rules.CreateRule(admin, customer.TagRuleInput{Name: "生日", TagID: tag["t2"], Conditions: customer.RuleConditions{BirthdayThisMonth: true}}); err != nil {
			t.Fatal(err)
		}
		want("March birthdays", ruleTagged(tag["t2"]), "wmB")
		now = time.Date(2026, 4, 1, 3, 0, 0, 0, time.UTC) // 11:00 on 1 April in Beijing
		if err := rules.RunAll(ctx); err != nil {
			t.Fatal(err)
		}
		want("April birthdays", ruleTagged(tag["t2"]), "wmA", "wmC")
		var manual int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_tags WHERE tenant_id = ? AND tag_id = ? AND source = 'manual'`, tenantID, tag["t2"]).Scan(&manual)
		if manual != 1 {
			t.Errorf("the hand-put tag is gone (%d rows)", manual)
		}

		// Group members, kept up by group events.
		if _, err := rules.CreateRule(admin, customer.TagRuleInput{Name: "群友", TagID: tag["t3"], Conditions: customer.RuleConditions{GroupIDs: []int64{groupID}}}); err != nil {
			t.Fatal(err)
		}
		want("group", ruleTagged(tag["t3"]), "wmA")
		group.MemberList = append(group.MemberList, wecom.GroupMember{UserID: "wmB", Type: 2, JoinTime: 3})
		if err := svc.ApplyGroup(ctx, tenantID, group); err != nil {
			t.Fatal(err)
		}
		if err := rules.HandleWeComEvent(ctx, tenantID, &wecom.ExternalChatEvent{ChatID: "wrG", UpdateDetail: "add_member"}); err != nil {
			t.Fatal(err)
		}
		want("group after join event", ruleTagged(tag["t3"]), "wmA", "wmB")

		// Came from the Douyin channel (its codes' states).
		ch, err := rules.CreateRule(admin, customer.TagRuleInput{Name: "抖音", TagID: tag["t4"], Conditions: customer.RuleConditions{ChannelIDs: []int64{7}}})
		if err != nil {
			t.Fatal(err)
		}
		want("channel", ruleTagged(tag["t4"]), "wmA", "wmC")
		if err := rules.DeleteRule(admin, ch.ID); err != nil {
			t.Fatal(err)
		}
		want("deleted rule", ruleTagged(tag["t4"]))

		// Bad rules are refused and write nothing.
		var before int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tag_rules WHERE tenant_id = ?`, tenantID).Scan(&before)
		bad := []struct {
			in    customer.TagRuleInput
			field string
		}{
			{customer.TagRuleInput{Name: "空", TagID: tag["t1"]}, "conditions"},
			{customer.TagRuleInput{Name: "", TagID: tag["t1"], Conditions: customer.RuleConditions{BirthdayThisMonth: true}}, "name"},
			{customer.TagRuleInput{Name: "无标签", TagID: 999999, Conditions: customer.RuleConditions{BirthdayThisMonth: true}}, "tag_id"},
			{customer.TagRuleInput{Name: "无群", TagID: tag["t1"], Conditions: customer.RuleConditions{GroupIDs: []int64{999999}}}, "conditions.group_ids"},
			{customer.TagRuleInput{Name: "无渠道", TagID: tag["t1"], Conditions: customer.RuleConditions{ChannelIDs: []int64{8}}}, "conditions.channel_ids"},
			{customer.TagRuleInput{Name: "负数", TagID: tag["t1"], Conditions: customer.RuleConditions{SpentAtLeastFen: -1}}, "conditions.spent_at_least_fen"},
			{customer.TagRuleInput{Name: "生日", TagID: tag["t1"], Conditions: customer.RuleConditions{BirthdayThisMonth: true}}, "name"}, // taken
		}
		for _, b := range bad {
			_, err := rules.CreateRule(admin, b.in)
			if e := httpx.AsError(err); e.Code != httpx.Invalid || e.Fields[b.field].Code == "" {
				t.Errorf("CreateRule(%+v) = %v, want an error on %s", b.in, err, b.field)
			}
		}
		var after int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tag_rules WHERE tenant_id = ?`, tenantID).Scan(&after)
		if after != before {
			t.Errorf("bad rules wrote %d rows", after-before)
		}
		// Another tenant's caller sees none of these rules.
		if list, err := rules.Rules(org.WithCaller(ctx, org.Caller{TenantID: tenantID + 1000, Role: org.Admin})); err != nil || len(list) != 0 {
			t.Errorf("another tenant lists %d rules, %v", len(list), err)
		}
	})
}
