package customer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// TagSourceRule marks a tag an auto-tag rule put on (and will take off when the customer no
// longer meets the rule).
const TagSourceRule = "rule"

// EventRuleTagged is a rule putting a tag on or taking it off (detail: tag, rule, action).
const EventRuleTagged = "rule_tagged"

// RuleConditions are what a customer must meet, all of them, to carry a rule's tag.
type RuleConditions struct {
	// SpentAtLeastFen with SpentWithinDays: paid minus refunded over the last N days (default 90).
	SpentAtLeastFen int64 `json:"spent_at_least_fen,omitempty"`
	SpentWithinDays int   `json:"spent_within_days,omitempty"`
	// GroupIDs: a member of at least one of these customer groups.
	GroupIDs []int64 `json:"group_ids,omitempty"`
	// ChannelIDs: first added through a live code of one of these acquisition channels.
	ChannelIDs []int64 `json:"channel_ids,omitempty"`
	// BirthdayThisMonth: the profile's birthday falls in the current month (Beijing time).
	BirthdayThisMonth bool `json:"birthday_this_month,omitempty"`
}

// RuleFacts answers the conditions that belong to other capabilities: spend (orders) and
// channels (acquisition). Either may be missing (nil) when the capability is not wired; rules
// that need it then match nobody.
type RuleFacts interface {
	// SpentAtLeast returns which customers (of only, or of the whole tenant when only is nil)
	// paid at least minFen net since the given time.
	SpentAtLeast(ctx context.Context, tenantID, minFen int64, since time.Time, only []int64) ([]int64, error)
	// ChannelStates returns the WeCom contact-way states that tie adds to the channels' codes.
	ChannelStates(ctx context.Context, tenantID int64, channelIDs []int64) ([]string, error)
}

// TagRule is an auto-tag rule.
type TagRule struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	TagID      int64          `json:"tag_id"`
	TagName    string         `json:"tag_name"`
	Conditions RuleConditions `json:"conditions"`
	Enabled    bool           `json:"enabled"`
	// Matched is how many customers carried the tag after the last full run.
	Matched   int64      `json:"matched"`
	LastRunAt *time.Time `json:"last_run_at"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// TagRuleInput creates or replaces a rule.
type TagRuleInput struct {
	Name       string         `json:"name"`
	TagID      int64          `json:"tag_id"`
	Conditions RuleConditions `json:"conditions"`
	Enabled    *bool          `json:"enabled" doc:"default true"`
}

// RuleRun is what applying one rule changed.
type RuleRun struct {
	RuleID  int64 `json:"rule_id"`
	Matched int64 `json:"matched"`
	Added   int64 `json:"added"`
	Removed int64 `json:"removed"`
}

// TagRules keeps rule tags true: for the customers an event touched (it is a wecomsync handler,
// registered after the customer service so the customer is already recorded), for customers
// named by other capabilities (ApplyFor, e.g. after orders bind), and for everyone by a nightly
// run. Rule tags live in Siyu only: pushing them to every WeCom relation would spend the
// mark_tag quota on churn such as birthday-month tags every month.
type TagRules struct {
	db    *store.DB
	facts RuleFacts
	log   *slog.Logger
	now   func() time.Time

	mu     sync.Mutex
	active map[int64]activeRules // tenant → its enabled rules, briefly cached for the event path
	wg     sync.WaitGroup
}

type activeRules struct {
	rules  []TagRule
	loaded time.Time
}

// rulesCacheTTL bounds how long another replica's rule change takes to reach the event path of
// this one (the nightly run and the API always read the table).
const rulesCacheTTL = 30 * time.Second

// NewTagRules returns the rule engine; facts may be nil.
func NewTagRules(db *store.DB, facts RuleFacts, log *slog.Logger) *TagRules {
	return &TagRules{db: db, facts: facts, log: log, now: time.Now, active: map[int64]activeRules{}}
}

func (r *TagRules) clock() time.Time { return r.now().UTC().Truncate(time.Microsecond) }

func (c RuleConditions) validate(v *httpx.Validator) {
	v.Check(c.SpentAtLeastFen >= 0 && c.SpentAtLeastFen <= 1e12, "conditions.spent_at_least_fen", "invalid")
	v.Check(c.SpentWithinDays >= 0 && c.SpentWithinDays <= 3660, "conditions.spent_within_days", "invalid")
	v.Check(len(c.GroupIDs) <= 100, "conditions.group_ids", "invalid")
	v.Check(len(c.ChannelIDs) <= 100, "conditions.channel_ids", "invalid")
	v.Check(c.SpentAtLeastFen != 0 || len(c.GroupIDs) > 0 || len(c.ChannelIDs) > 0 || c.BirthdayThisMonth,
		"conditions", "rule_empty")
}

// CreateRule adds a rule and applies it to every customer at once.
func (r *TagRules) CreateRule(ctx context.Context, in TagRuleInput) (TagRule, error) {
	return r.save(ctx, 0, in)
}

// UpdateRule replaces a rule and re-applies it.
func (r *TagRules) UpdateRule(ctx context.Context, id int64, in TagRuleInput) (TagRule, error) {
	return r.save(ctx, id, in)
}

func (r *TagRules) save(ctx context.Context, id int64, in TagRuleInput) (TagRule, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return TagRule{}, err
	}
	if id != 0 {
		if _, err := r.rule(ctx, c.TenantID, id); err != nil {
			return TagRule{}, err // another tenant's rule is not found, however bad the input
		}
	}
	var v httpx.Validator
	in.Name = v.Text("name", in.Name, true, 64)
	v.Check(in.TagID > 0, "tag_id", "required")
	in.Conditions.validate(&v)
	if err := v.Err(); err != nil {
		return TagRule{}, err
	}
	if err := r.checkRefs(ctx, c.TenantID, in); err != nil {
		return TagRule{}, err
	}
	enabled := in.Enabled == nil || *in.Enabled
	cond, _ := json.Marshal(in.Conditions)
	now := r.clock()
	err = r.db.InTx(ctx, func(tx *store.Tx) error {
		if id == 0 {
			return tx.QueryRowContext(ctx, `INSERT INTO tag_rules (tenant_id, name, tag_id, conditions, enabled, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.TenantID, in.Name, in.TagID, string(cond), enabled, now, now).Scan(&id)
		}
		var oldTag int64
		if err := tx.QueryRowContext(ctx, `SELECT tag_id FROM tag_rules WHERE tenant_id = ? AND id = ?`, c.TenantID, id).Scan(&oldTag); err != nil {
			return notFoundOr(err, "tag_rule")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tag_rules SET name = ?, tag_id = ?, conditions = ?, enabled = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, in.Name, in.TagID, string(cond), enabled, now, c.TenantID, id); err != nil {
			return err
		}
		if oldTag != in.TagID {
			return r.dropRuleTag(ctx, tx, c.TenantID, oldTag, id)
		}
		return nil
	})
	if store.IsUniqueViolation(err) {
		return TagRule{}, httpx.FieldErr("name", "taken")
	}
	if err != nil {
		return TagRule{}, wrapRule("save tag rule", err)
	}
	r.forget(c.TenantID)
	rule, err := r.rule(ctx, c.TenantID, id)
	if err != nil {
		return TagRule{}, err
	}
	if _, err := r.apply(ctx, rule, nil); err != nil {
		return TagRule{}, err
	}
	return r.rule(ctx, c.TenantID, id)
}

// checkRefs makes sure the tag, groups and channels exist in the tenant.
func (r *TagRules) checkRefs(ctx context.Context, tenantID int64, in TagRuleInput) error {
	var n int
	if err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tags WHERE tenant_id = ? AND id = ? AND NOT deleted`, tenantID, in.TagID).Scan(&n); err != nil {
		return wrapRule("check tag", err)
	}
	if n == 0 {
		return httpx.FieldErr("tag_id", "not_found")
	}
	if ids := uniq(in.Conditions.GroupIDs); len(ids) > 0 {
		if err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_groups WHERE tenant_id = ? AND id IN `+inList(len(ids)),
			append([]any{tenantID}, anys(ids)...)...).Scan(&n); err != nil {
			return wrapRule("check groups", err)
		}
		if n != len(ids) {
			return httpx.FieldErr("conditions.group_ids", "not_found")
		}
	}
	if ids := uniq(in.Conditions.ChannelIDs); len(ids) > 0 && r.facts != nil {
		if _, err := r.facts.ChannelStates(ctx, tenantID, ids); err != nil {
			if httpx.ErrorCode(err) == httpx.NotFound {
				return httpx.FieldErr("conditions.channel_ids", "not_found")
			}
			return err
		}
	}
	return nil
}

// DeleteRule removes a rule and the tags it put on.
func (r *TagRules) DeleteRule(ctx context.Context, id int64) error {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return err
	}
	err = r.db.InTx(ctx, func(tx *store.Tx) error {
		var tag int64
		if err := tx.QueryRowContext(ctx, `SELECT tag_id FROM tag_rules WHERE tenant_id = ? AND id = ?`, c.TenantID, id).Scan(&tag); err != nil {
			return notFoundOr(err, "tag_rule")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tag_rules WHERE tenant_id = ? AND id = ?`, c.TenantID, id); err != nil {
			return err
		}
		return r.dropRuleTag(ctx, tx, c.TenantID, tag, id)
	})
	r.forget(c.TenantID)
	return wrapRule("delete tag rule", err)
}

// dropRuleTag takes a rule's tag off everyone, unless another rule puts the same tag on (that
// rule's next run settles who keeps it).
func (r *TagRules) dropRuleTag(ctx context.Context, tx *store.Tx, tenantID, tagID, ruleID int64) error {
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tag_rules WHERE tenant_id = ? AND tag_id = ? AND id <> ?`,
		tenantID, tagID, ruleID).Scan(&others); err != nil || others > 0 {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM customer_tags WHERE tenant_id = ? AND tag_id = ? AND source = ? AND wecom_userid = ''`,
		tenantID, tagID, TagSourceRule)
	return err
}

// Rules lists the tenant's rules.
func (r *TagRules) Rules(ctx context.Context) ([]TagRule, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	return r.list(ctx, c.TenantID, false, 0)
}

func (r *TagRules) rule(ctx context.Context, tenantID, id int64) (TagRule, error) {
	rules, err := r.list(ctx, tenantID, false, id)
	if err != nil {
		return TagRule{}, err
	}
	if len(rules) == 0 {
		return TagRule{}, httpx.NotFoundf("tag_rule")
	}
	return rules[0], nil
}

func (r *TagRules) list(ctx context.Context, tenantID int64, enabledOnly bool, id int64) ([]TagRule, error) {
	q := `SELECT r.id, r.name, r.tag_id, t.name, r.conditions, r.enabled, r.matched, r.last_run_at, r.created_at, r.updated_at
		FROM tag_rules r JOIN tags t ON t.tenant_id = r.tenant_id AND t.id = r.tag_id WHERE r.tenant_id = ?`
	args := []any{tenantID}
	if enabledOnly {
		q += ` AND r.enabled`
	}
	if id != 0 {
		q += ` AND r.id = ?`
		args = append(args, id)
	}
	rows, err := r.db.QueryContext(ctx, q+` ORDER BY r.id`, args...)
	if err != nil {
		return nil, wrapRule("list tag rules", err)
	}
	defer rows.Close()
	out := []TagRule{}
	for rows.Next() {
		var t TagRule
		var cond string
		var last store.Time
		if err := rows.Scan(&t.ID, &t.Name, &t.TagID, &t.TagName, &cond, &t.Enabled, &t.Matched, &last, &t.CreatedAt, &t.UpdatedAt); err != nil {
			return nil, wrapRule("list tag rules", err)
		}
		if err := json.Unmarshal([]byte(cond), &t.Conditions); err != nil {
			return nil, wrapRule(fmt.Sprintf("rule %d conditions", t.ID), err)
		}
		if last.Valid {
			t.LastRunAt = &last.Time
		}
		out = append(out, t)
	}
	return out, wrapRule("list tag rules", rows.Err())
}

// RunRule applies one rule to every customer now (the console's 立即执行).
func (r *TagRules) RunRule(ctx context.Context, id int64) (RuleRun, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return RuleRun{}, err
	}
	rule, err := r.rule(ctx, c.TenantID, id)
	if err != nil {
		return RuleRun{}, err
	}
	if !rule.Enabled {
		return RuleRun{}, httpx.Errorf(httpx.Conflict, "tag_rule_disabled", "customer: rule %d is disabled", id)
	}
	return r.apply(ctx, rule, nil)
}

// ApplyFor re-evaluates every enabled rule of the tenant for some customers (after an event
// about them). Errors are returned for the caller to retry; nothing is half-applied per rule.
func (r *TagRules) ApplyFor(ctx context.Context, tenantID int64, customerIDs []int64) error {
	customerIDs = uniq(customerIDs)
	if len(customerIDs) == 0 {
		return nil
	}
	rules, err := r.enabled(ctx, tenantID)
	if err != nil {
		return err
	}
	for _, rule := range rules {
		for chunk := range slices.Chunk(customerIDs, 500) {
			if _, err := r.apply(ctx, rule, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

// enabled returns the tenant's enabled rules through the short cache of the event path.
func (r *TagRules) enabled(ctx context.Context, tenantID int64) ([]TagRule, error) {
	r.mu.Lock()
	a, ok := r.active[tenantID]
	r.mu.Unlock()
	if ok && r.now().Sub(a.loaded) < rulesCacheTTL {
		return a.rules, nil
	}
	rules, err := r.list(ctx, tenantID, true, 0)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.active[tenantID] = activeRules{rules: rules, loaded: r.now()}
	r.mu.Unlock()
	return rules, nil
}

func (r *TagRules) forget(tenantID int64) {
	r.mu.Lock()
	delete(r.active, tenantID)
	r.mu.Unlock()
}

// apply makes the rule's tag true for the given customers (all of the tenant's when only is
// nil): on for those who match, off for those who carry it from this rule and no longer match.
func (r *TagRules) apply(ctx context.Context, rule TagRule, only []int64) (RuleRun, error) {
	tenantID, err := r.tenantOf(ctx, rule.ID)
	if err != nil {
		return RuleRun{}, err
	}
	run := RuleRun{RuleID: rule.ID}
	match, err := r.matching(ctx, tenantID, rule.Conditions, only)
	if err != nil {
		return run, err
	}
	now := r.clock()
	err = r.db.InTx(ctx, func(tx *store.Tx) error {
		q := `SELECT customer_id FROM customer_tags WHERE tenant_id = ? AND tag_id = ? AND source = ? AND wecom_userid = ''`
		args := []any{tenantID, rule.TagID, TagSourceRule}
		if only != nil {
			q += ` AND customer_id IN ` + inList(len(only))
			args = append(args, anys(only)...)
		}
		have, err := queryIDs(ctx, tx, q, args...)
		if err != nil {
			return err
		}
		tagged := map[int64]bool{}
		for _, id := range have {
			tagged[id] = true
		}
		detail := func(action string) string {
			b, _ := json.Marshal(map[string]any{"tag_id": rule.TagID, "tag": rule.TagName, "rule_id": rule.ID, "rule": rule.Name, "action": action})
			return string(b)
		}
		stamp := now.Format(time.RFC3339Nano)
		for _, id := range match {
			if tagged[id] {
				delete(tagged, id)
				continue
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO customer_tags (tenant_id, customer_id, tag_id, wecom_userid, source, created_at)
				VALUES (?, ?, ?, '', ?, ?) ON CONFLICT (tenant_id, customer_id, tag_id, wecom_userid) DO NOTHING`,
				tenantID, id, rule.TagID, TagSourceRule, now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // the same tag is already on the customer by hand or import
			}
			run.Added++
			if err := appendEvent(ctx, tx, tenantID, id, EventRuleTagged, "", detail("add"),
				fmt.Sprintf("rule:%d:%d:add:%s", rule.ID, id, stamp), now, now); err != nil {
				return err
			}
		}
		for id := range tagged {
			if _, err := tx.ExecContext(ctx, `DELETE FROM customer_tags WHERE tenant_id = ? AND customer_id = ? AND tag_id = ? AND source = ? AND wecom_userid = ''`,
				tenantID, id, rule.TagID, TagSourceRule); err != nil {
				return err
			}
			run.Removed++
			if err := appendEvent(ctx, tx, tenantID, id, EventRuleTagged, "", detail("remove"),
				fmt.Sprintf("rule:%d:%d:remove:%s", rule.ID, id, stamp), now, now); err != nil {
				return err
			}
		}
		if only == nil {
			run.Matched = int64(len(match))
			_, err = tx.ExecContext(ctx, `UPDATE tag_rules SET matched = ?, last_run_at = ? WHERE tenant_id = ? AND id = ?`,
				run.Matched, now, tenantID, rule.ID)
		}
		return err
	})
	if err != nil {
		return run, wrapRule(fmt.Sprintf("apply rule %d", rule.ID), err)
	}
	return run, nil
}

func (r *TagRules) tenantOf(ctx context.Context, ruleID int64) (int64, error) {
	var t int64
	err := r.db.QueryRowContext(ctx, `SELECT tenant_id FROM tag_rules WHERE id = ?`, ruleID).Scan(&t)
	return t, notFoundOr(err, "tag_rule")
}

// matching returns the customers (of only, or all) who meet every condition.
func (r *TagRules) matching(ctx context.Context, tenantID int64, c RuleConditions, only []int64) ([]int64, error) {
	where := []string{"c.tenant_id = ?", "c.merged_into IS NULL"}
	args := []any{tenantID}
	if only != nil {
		where = append(where, "c.id IN "+inList(len(only)))
		args = append(args, anys(only)...)
	}
	if c.BirthdayThisMonth {
		// birthday is 'YYYY-MM-DD'; Beijing's month decides.
		where = append(where, "SUBSTR(c.birthday, 6, 2) = ?")
		args = append(args, fmt.Sprintf("%02d", int(r.now().In(beijing).Month())))
	}
	if ids := uniq(c.GroupIDs); len(ids) > 0 {
		where = append(where, `EXISTS (SELECT 1 FROM customer_group_members m WHERE m.tenant_id = c.tenant_id
			AND m.customer_id = c.id AND m.group_id IN `+inList(len(ids))+`)`)
		args = append(args, anys(ids)...)
	}
	if ids := uniq(c.ChannelIDs); len(ids) > 0 {
		var states []string
		if r.facts != nil {
			var err error
			if states, err = r.facts.ChannelStates(ctx, tenantID, ids); err != nil && httpx.ErrorCode(err) != httpx.NotFound {
				return nil, err
			}
		}
		if len(states) == 0 {
			return nil, nil // a deleted channel (or none wired) matches nobody
		}
		where = append(where, "c.first_state IN "+inList(len(states)))
		for _, s := range states {
			args = append(args, s)
		}
	}
	ids, err := queryIDs(ctx, r.db, `SELECT c.id FROM customers c WHERE `+strings.Join(where, " AND ")+` ORDER BY c.id`, args...)
	if err != nil || c.SpentAtLeastFen <= 0 || len(ids) == 0 {
		return ids, wrapRule("match rule", err)
	}
	if r.facts == nil {
		return nil, nil
	}
	days := c.SpentWithinDays
	if days == 0 {
		days = 90
	}
	since := r.now().UTC().AddDate(0, 0, -days)
	keep := map[int64]bool{}
	// Spend only needs checking for those who passed the rest, in chunks that keep clear of
	// both engines' bind-parameter limits; with no other condition, ask for everyone at once.
	chunks := [][]int64{nil}
	if only != nil || len(where) > 2 {
		chunks = slices.Collect(slices.Chunk(ids, 500))
	}
	for _, in := range chunks {
		spent, err := r.facts.SpentAtLeast(ctx, tenantID, c.SpentAtLeastFen, since, in)
		if err != nil {
			return nil, err
		}
		for _, id := range spent {
			keep[id] = true
		}
	}
	out := ids[:0]
	for _, id := range ids {
		if keep[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// beijing is the business calendar of the brands (no DST).
var beijing = time.FixedZone("CST", 8*3600)

// HandleWeComEvent re-evaluates rules for the customers an add, edit or group change touched.
func (r *TagRules) HandleWeComEvent(ctx context.Context, tenantID int64, ev wecom.Event) error {
	var q string
	var args []any
	switch e := ev.(type) {
	case *wecom.ExternalContactEvent:
		q, args = `SELECT customer_id FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value = ?`,
			[]any{tenantID, IdentityExternalUserID, e.ExternalUserID}
	case *wecom.ExternalChatEvent:
		q, args = `SELECT m.customer_id FROM customer_group_members m JOIN customer_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
			WHERE m.tenant_id = ? AND g.chat_id = ? AND m.customer_id IS NOT NULL`, []any{tenantID, e.ChatID}
	default:
		return nil
	}
	rules, err := r.enabled(ctx, tenantID)
	if err != nil || len(rules) == 0 {
		return err
	}
	ids, err := queryIDs(ctx, r.db, q, args...)
	if err != nil {
		return wrapRule("customers of event", err)
	}
	return r.ApplyFor(ctx, tenantID, ids)
}

// RunAll applies every enabled rule of every tenant to everyone (the nightly job).
func (r *TagRules) RunAll(ctx context.Context) error {
	tenants, err := queryIDs(ctx, r.db, `SELECT DISTINCT tenant_id FROM tag_rules WHERE enabled ORDER BY tenant_id`)
	if err != nil {
		return wrapRule("tenants with rules", err)
	}
	var errs []error
	for _, t := range tenants {
		rules, err := r.list(ctx, t, true, 0)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, rule := range rules {
			run, err := r.apply(ctx, rule, nil)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			r.log.Info("tag rule applied", slog.Int64("tenant", t), slog.Int64("rule", rule.ID),
				slog.Int64("matched", run.Matched), slog.Int64("added", run.Added), slog.Int64("removed", run.Removed))
		}
	}
	return errors.Join(errs...)
}

// Start runs RunAll every night at 03:00 Beijing time (and on the first of the month birthday
// tags move on with it) until ctx ends; Wait returns once it has stopped.
func (r *TagRules) Start(ctx context.Context) {
	r.wg.Go(func() {
		for {
			now := r.now().In(beijing)
			next := time.Date(now.Year(), now.Month(), now.Day(), 3, 0, 0, 0, beijing)
			if !next.After(now) {
				next = next.AddDate(0, 0, 1)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(next.Sub(now)):
			}
			if err := r.RunAll(ctx); err != nil && ctx.Err() == nil {
				r.log.Error("nightly tag rules", slog.Any("err", err))
			}
		}
	})
}

// Wait blocks until Start's loop has returned.
func (r *TagRules) Wait() { r.wg.Wait() }

// queryIDs runs a query of one integer column.
func queryIDs(ctx context.Context, q store.Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func anys(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func notFoundOr(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return httpx.NotFoundf(what)
	}
	return err
}

func wrapRule(what string, err error) error {
	if err == nil || httpx.AsError(err).Code != httpx.Internal {
		return err
	}
	return fmt.Errorf("customer: %s: %w", what, err)
}

// SetClock replaces the clock (tests, and demos that run in simulated time).
func (r *TagRules) SetClock(now func() time.Time) { r.now = now }
