package customer

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Tags in Siyu are WeCom corp tags (企业客户标签). Every change is made in WeCom first and stored
// only with what WeCom answered (its ids), so the two never diverge: when WeCom refuses, Siyu
// changes nothing; when Siyu fails to store an accepted change, the next full sync or tag event
// (ApplyTags, ApplyContact) brings it in.

// Tag sources on a customer: where the tag came from.
const (
	TagSourceSync   = "sync"   // read from WeCom (put on in the WeCom app or by another tool)
	TagSourceManual = "manual" // put on in Siyu's console or API
)

// EventTagged is the timeline kind for tags changed in Siyu; detail {"added":[names],"removed":[names]}.
const EventTagged = "tagged"

// maxTagName is WeCom's limit for tag and group names (characters).
const maxTagName = 30

// TagGroup is a group of the tag library with its tags, largest sort first.
type TagGroup struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Sort int    `json:"sort" doc:"larger sorts first (WeCom's order)"`
	Tags []Tag  `json:"tags"`
}

// Tag is one corp tag.
type Tag struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Sort int    `json:"sort"`
}

// CustomerTag is a tag on a customer and where it came from.
type CustomerTag struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	GroupName string `json:"group_name"`
	Source    string `json:"source" doc:"manual (tagged in Siyu) or sync (from WeCom)"`
}

// TagGroupInput creates a group with its first tags.
type TagGroupInput struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// TagInput names a tag.
type TagInput struct {
	Name string `json:"name"`
}

// MarkInput adds and removes tags (ids of the tag library) on a customer.
type MarkInput struct {
	Add    []int64 `json:"add"`
	Remove []int64 `json:"remove"`
}

// CustomerTags is a customer's tags after a change.
type CustomerTags struct {
	Tags []CustomerTag `json:"tags"`
}

// TagGroups lists the tag library (groups and tags not deleted).
func (s *Service) TagGroups(ctx context.Context) ([]TagGroup, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT g.id, g.name, g.sort, t.id, t.name, t.sort FROM tag_groups g
		LEFT JOIN tags t ON t.tenant_id = g.tenant_id AND t.group_id = g.id AND t.deleted = FALSE
		WHERE g.tenant_id = ? AND g.deleted = FALSE ORDER BY g.sort DESC, g.id, t.sort DESC, t.id`, c.TenantID)
	if err != nil {
		return nil, fmt.Errorf("customer: tag groups: %w", err)
	}
	defer rows.Close()
	out := []TagGroup{}
	for rows.Next() {
		var g TagGroup
		var tid, tsort sql.NullInt64
		var tname sql.NullString
		if err := rows.Scan(&g.ID, &g.Name, &g.Sort, &tid, &tname, &tsort); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != g.ID {
			g.Tags = []Tag{}
			out = append(out, g)
		}
		if tid.Valid {
			last := &out[len(out)-1]
			last.Tags = append(last.Tags, Tag{ID: tid.Int64, Name: tname.String, Sort: int(tsort.Int64)})
		}
	}
	return out, rows.Err()
}

// tagGroup returns one group of the library with its tags.
func (s *Service) tagGroup(ctx context.Context, id int64) (TagGroup, error) {
	groups, err := s.TagGroups(ctx)
	if err != nil {
		return TagGroup{}, err
	}
	for _, g := range groups {
		if g.ID == id {
			return g, nil
		}
	}
	return TagGroup{}, httpx.NotFoundf("tag group")
}

func checkTagName(v *httpx.Validator, field, name string) string {
	return v.Text(field, name, true, maxTagName)
}

// CreateTagGroup creates a group with its first tags in WeCom, then stores it with WeCom's ids.
// WeCom adds to an existing group of the same name rather than making a second one.
func (s *Service) CreateTagGroup(ctx context.Context, in TagGroupInput) (TagGroup, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return TagGroup{}, err
	}
	var v httpx.Validator
	name := checkTagName(&v, "name", in.Name)
	var tags []wecom.NewTag
	seen := map[string]bool{}
	for _, t := range in.Tags {
		var tv httpx.Validator
		t = checkTagName(&tv, "tags", t)
		if tv.Err() != nil || seen[t] {
			v.Add("tags", "invalid")
			continue
		}
		seen[t] = true
		tags = append(tags, wecom.NewTag{Name: t})
	}
	if len(in.Tags) == 0 {
		v.Add("tags", "required")
	} else if len(in.Tags) > 100 {
		v.Add("tags", "out_of_range")
	}
	if err := v.Err(); err != nil {
		return TagGroup{}, err
	}
	client, err := s.wecom.Client(ctx, c.TenantID)
	if err != nil {
		return TagGroup{}, err
	}
	g, err := client.AddCorpTag(ctx, wecom.AddCorpTagRequest{GroupName: name, Tag: tags})
	if err != nil {
		return TagGroup{}, wecomRejected(err)
	}
	id, err := s.storeWeComGroup(ctx, c.TenantID, g)
	if err != nil {
		return TagGroup{}, err
	}
	return s.tagGroup(ctx, id)
}

// storeWeComGroup records a group and tags WeCom returned; tags it did not return are untouched.
func (s *Service) storeWeComGroup(ctx context.Context, tenantID int64, g *wecom.TagGroup) (int64, error) {
	var gid int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.clock()
		if err := tx.QueryRowContext(ctx, `INSERT INTO tag_groups (tenant_id, wecom_group_id, name, sort, deleted, updated_at) VALUES (?, ?, ?, ?, FALSE, ?)
			ON CONFLICT (tenant_id, wecom_group_id) DO UPDATE SET name = excluded.name, deleted = FALSE, updated_at = excluded.updated_at
			RETURNING id`, tenantID, g.GroupID, g.GroupName, int64(g.Order), now).Scan(&gid); err != nil {
			return err
		}
		for _, t := range g.Tag {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tags (tenant_id, group_id, wecom_tag_id, name, sort, deleted, updated_at) VALUES (?, ?, ?, ?, ?, FALSE, ?)
				ON CONFLICT (tenant_id, wecom_tag_id) DO UPDATE SET group_id = excluded.group_id, name = excluded.name, deleted = FALSE,
				updated_at = excluded.updated_at`, tenantID, gid, t.ID, t.Name, int64(t.Order), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("customer: store tag group %s: %w", g.GroupID, err)
	}
	return gid, nil
}

// AddTag adds a tag to a group of the library, in WeCom first.
func (s *Service) AddTag(ctx context.Context, groupID int64, in TagInput) (Tag, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Tag{}, err
	}
	var v httpx.Validator
	name := checkTagName(&v, "name", in.Name)
	if err := v.Err(); err != nil {
		return Tag{}, err
	}
	var wecomGroup string
	err = s.db.QueryRowContext(ctx, `SELECT wecom_group_id FROM tag_groups WHERE tenant_id = ? AND id = ? AND deleted = FALSE`,
		c.TenantID, groupID).Scan(&wecomGroup)
	if errors.Is(err, sql.ErrNoRows) {
		return Tag{}, httpx.NotFoundf("tag group")
	}
	if err != nil {
		return Tag{}, fmt.Errorf("customer: tag group %d: %w", groupID, err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tags WHERE tenant_id = ? AND group_id = ? AND deleted = FALSE AND name = ?`,
		c.TenantID, groupID, name).Scan(&n); err != nil {
		return Tag{}, err
	}
	if n > 0 {
		return Tag{}, httpx.FieldErr("name", "taken")
	}
	client, err := s.wecom.Client(ctx, c.TenantID)
	if err != nil {
		return Tag{}, err
	}
	g, err := client.AddCorpTag(ctx, wecom.AddCorpTagRequest{GroupID: wecomGroup, Tag: []wecom.NewTag{{Name: name}}})
	if err != nil {
		return Tag{}, wecomRejected(err)
	}
	if g.GroupID == "" {
		g.GroupID = wecomGroup
	}
	if _, err := s.storeWeComGroup(ctx, c.TenantID, g); err != nil {
		return Tag{}, err
	}
	var t Tag
	for _, wt := range g.Tag {
		if wt.Name == name {
			err = s.db.QueryRowContext(ctx, `SELECT id, name, sort FROM tags WHERE tenant_id = ? AND wecom_tag_id = ?`, c.TenantID, wt.ID).
				Scan(&t.ID, &t.Name, &t.Sort)
			return t, err
		}
	}
	return Tag{}, fmt.Errorf("customer: WeCom did not return the new tag %q", name)
}

// libraryTag is a tag of the library with its WeCom id.
type libraryTag struct {
	id      int64
	groupID int64
	wecomID string
	name    string
	sort    int
}

func (s *Service) libraryTags(ctx context.Context, tenantID int64, ids []int64) (map[int64]libraryTag, error) {
	out := map[int64]libraryTag{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{tenantID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, group_id, wecom_tag_id, name, sort FROM tags WHERE tenant_id = ? AND deleted = FALSE
		AND id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("customer: tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t libraryTag
		if err := rows.Scan(&t.id, &t.groupID, &t.wecomID, &t.name, &t.sort); err != nil {
			return nil, err
		}
		out[t.id] = t
	}
	return out, rows.Err()
}

// RenameTag renames a tag in WeCom, then in Siyu.
func (s *Service) RenameTag(ctx context.Context, id int64, in TagInput) (Tag, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Tag{}, err
	}
	var v httpx.Validator
	name := checkTagName(&v, "name", in.Name)
	if err := v.Err(); err != nil {
		return Tag{}, err
	}
	tags, err := s.libraryTags(ctx, c.TenantID, []int64{id})
	if err != nil {
		return Tag{}, err
	}
	t, ok := tags[id]
	if !ok {
		return Tag{}, httpx.NotFoundf("tag")
	}
	client, err := s.wecom.Client(ctx, c.TenantID)
	if err != nil {
		return Tag{}, err
	}
	if err := client.EditCorpTag(ctx, wecom.EditCorpTagRequest{ID: t.wecomID, Name: name}); err != nil {
		return Tag{}, wecomRejected(err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE tags SET name = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`, name, s.clock(), c.TenantID, id); err != nil {
		return Tag{}, fmt.Errorf("customer: rename tag %d: %w", id, err)
	}
	return Tag{ID: id, Name: name, Sort: t.sort}, nil
}

// DeleteTag deletes a tag in WeCom, then marks it deleted in Siyu and takes it off every customer
// (WeCom does the same; a group left without tags is gone in WeCom and is marked deleted too).
func (s *Service) DeleteTag(ctx context.Context, id int64) error {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return err
	}
	tags, err := s.libraryTags(ctx, c.TenantID, []int64{id})
	if err != nil {
		return err
	}
	t, ok := tags[id]
	if !ok {
		return httpx.NotFoundf("tag")
	}
	client, err := s.wecom.Client(ctx, c.TenantID)
	if err != nil {
		return err
	}
	if err := client.DelCorpTag(ctx, wecom.DelCorpTagRequest{TagID: []string{t.wecomID}}); err != nil {
		return wecomRejected(err)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.clock()
		if _, err := tx.ExecContext(ctx, `UPDATE tags SET deleted = TRUE, updated_at = ? WHERE tenant_id = ? AND id = ?`, now, c.TenantID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_tags WHERE tenant_id = ? AND tag_id = ?`, c.TenantID, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE tag_groups SET deleted = TRUE, updated_at = ? WHERE tenant_id = ? AND id = ?
			AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.tenant_id = tag_groups.tenant_id AND t.group_id = tag_groups.id AND t.deleted = FALSE)`,
			now, c.TenantID, t.groupID)
		return err
	})
	if err != nil {
		return fmt.Errorf("customer: delete tag %d: %w", id, err)
	}
	return nil
}

// MarkTags adds and removes tags on a customer in the caller's scope. WeCom keeps tags per staff
// relation: added tags go on the relation of the caller's own staff member when they have one
// (a guide tagging their customer), otherwise on the customer's first active relation; removed
// tags come off every active relation that has them, so the customer no longer shows them. Each
// relation is changed in WeCom first and then in Siyu, and the change lands on the timeline.
func (s *Service) MarkTags(ctx context.Context, customerID int64, in MarkInput) (CustomerTags, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return CustomerTags{}, err
	}
	var v httpx.Validator
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
	if err := v.Err(); err != nil {
		return CustomerTags{}, err
	}
	cond, args := org.ScopeOf(c).CustomerFilter("c.id")
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers c WHERE c.tenant_id = ? AND c.id = ? AND `+cond,
		append([]any{c.TenantID, customerID}, args...)...).Scan(&n); err != nil {
		return CustomerTags{}, fmt.Errorf("customer: mark tags %d: %w", customerID, err)
	}
	if n == 0 {
		return CustomerTags{}, httpx.NotFoundf("customer")
	}
	lib, err := s.libraryTags(ctx, c.TenantID, append(slices.Clone(in.Add), in.Remove...))
	if err != nil {
		return CustomerTags{}, err
	}
	for _, id := range in.Add {
		v.Check(lib[id].id != 0, "add", "not_found")
	}
	for _, id := range in.Remove {
		v.Check(lib[id].id != 0, "remove", "not_found")
	}
	if err := v.Err(); err != nil {
		return CustomerTags{}, err
	}
	plan, external, err := s.markPlan(ctx, c, customerID, in, lib)
	if err != nil {
		return CustomerTags{}, err
	}
	client, err := s.wecom.Client(ctx, c.TenantID)
	if err != nil {
		return CustomerTags{}, err
	}
	var added, removed []string
	var firstUser string
	var callErr error
	for _, p := range plan {
		if err := client.MarkTag(ctx, wecom.MarkTagRequest{UserID: p.userID, ExternalUserID: external,
			AddTag: wecomIDs(lib, p.add), RemoveTag: wecomIDs(lib, p.remove)}); err != nil {
			callErr = wecomRejected(err)
			break // what WeCom accepted so far is recorded below
		}
		if err := s.storeMarks(ctx, c.TenantID, customerID, p); err != nil {
			return CustomerTags{}, err
		}
		if firstUser == "" {
			firstUser = p.userID
		}
		for _, id := range p.add {
			added = appendNew(added, lib[id].name)
		}
		for _, id := range p.remove {
			removed = appendNew(removed, lib[id].name)
		}
	}
	if firstUser != "" {
		detail, _ := json.Marshal(map[string][]string{"added": nonNil(added), "removed": nonNil(removed)})
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			now := s.clock()
			return appendEvent(ctx, tx, c.TenantID, customerID, EventTagged, firstUser, string(detail), "tagged:"+randomKey(), now, now)
		})
		if err != nil {
			return CustomerTags{}, fmt.Errorf("customer: tagged event %d: %w", customerID, err)
		}
	}
	if callErr != nil {
		return CustomerTags{}, callErr
	}
	tags, err := s.customerTags(ctx, c.TenantID, customerID)
	return CustomerTags{Tags: tags}, err
}

// markOnRelation is the change to one staff member's relation.
type markOnRelation struct {
	userID      string
	add, remove []int64
}

// markPlan decides which relations change and returns the customer's external_userid.
func (s *Service) markPlan(ctx context.Context, c org.Caller, customerID int64, in MarkInput, lib map[int64]libraryTag) ([]markOnRelation, string, error) {
	var external string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM customer_identities WHERE tenant_id = ? AND customer_id = ? AND kind = ?
		ORDER BY created_at, value LIMIT 1`, c.TenantID, customerID, IdentityExternalUserID).Scan(&external)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", httpx.Errorf(httpx.Conflict, "customer_no_relation", "the customer has no active WeCom relation to tag")
	}
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT wecom_userid, COALESCE(staff_id, 0) FROM customer_staff
		WHERE tenant_id = ? AND customer_id = ? AND status = 'active' ORDER BY added_at, wecom_userid`, c.TenantID, customerID)
	if err != nil {
		return nil, "", err
	}
	var users []string
	chosen := ""
	for rows.Next() {
		var u string
		var staffID int64
		if err := rows.Scan(&u, &staffID); err != nil {
			rows.Close()
			return nil, "", err
		}
		users = append(users, u)
		if c.StaffID != 0 && staffID == c.StaffID {
			chosen = u
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(users) == 0 {
		return nil, "", httpx.Errorf(httpx.Conflict, "customer_no_relation", "the customer has no active WeCom relation to tag")
	}
	if chosen == "" {
		chosen = users[0]
	}
	// Which relations hold the tags to remove.
	has := map[string]map[int64]bool{}
	if len(in.Remove) > 0 {
		args := []any{c.TenantID, customerID}
		for _, id := range in.Remove {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT wecom_userid, tag_id FROM customer_tags WHERE tenant_id = ? AND customer_id = ?
			AND tag_id IN (?`+strings.Repeat(", ?", len(in.Remove)-1)+`)`, args...)
		if err != nil {
			return nil, "", err
		}
		for rows.Next() {
			var u string
			var id int64
			if err := rows.Scan(&u, &id); err != nil {
				rows.Close()
				return nil, "", err
			}
			if has[u] == nil {
				has[u] = map[int64]bool{}
			}
			has[u][id] = true
		}
		rows.Close()
	}
	plan := []markOnRelation{{userID: chosen, add: in.Add, remove: in.Remove}}
	for _, u := range users {
		if u == chosen {
			continue
		}
		var rm []int64
		for _, id := range in.Remove {
			if has[u][id] {
				rm = append(rm, id)
			}
		}
		if len(rm) > 0 {
			plan = append(plan, markOnRelation{userID: u, remove: rm})
		}
	}
	if len(plan[0].add)+len(plan[0].remove) == 0 {
		plan = plan[1:]
	}
	return plan, external, nil
}

// storeMarks records one relation's change WeCom accepted.
func (s *Service) storeMarks(ctx context.Context, tenantID, customerID int64, p markOnRelation) error {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.clock()
		for _, id := range p.add {
			if _, err := tx.ExecContext(ctx, `INSERT INTO customer_tags (tenant_id, customer_id, tag_id, wecom_userid, source, created_at)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, customer_id, tag_id, wecom_userid) DO NOTHING`,
				tenantID, customerID, id, p.userID, TagSourceManual, now); err != nil {
				return err
			}
		}
		for _, id := range p.remove {
			if _, err := tx.ExecContext(ctx, `DELETE FROM customer_tags WHERE tenant_id = ? AND customer_id = ? AND tag_id = ? AND wecom_userid = ?`,
				tenantID, customerID, id, p.userID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("customer: store tags of %d on %s: %w", customerID, p.userID, err)
	}
	return nil
}

// customerTags lists a customer's tags, each once; a tag put on in Siyu shows as manual.
func (s *Service) customerTags(ctx context.Context, tenantID, customerID int64) ([]CustomerTag, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.name, g.name, ct.source FROM customer_tags ct
		JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id
		JOIN tag_groups g ON g.tenant_id = t.tenant_id AND g.id = t.group_id
		WHERE ct.tenant_id = ? AND ct.customer_id = ? AND t.deleted = FALSE
		ORDER BY g.sort DESC, g.id, t.sort DESC, t.id, ct.source`, tenantID, customerID)
	if err != nil {
		return nil, fmt.Errorf("customer: tags of %d: %w", customerID, err)
	}
	defer rows.Close()
	out := []CustomerTag{}
	for rows.Next() {
		var t CustomerTag
		if err := rows.Scan(&t.ID, &t.Name, &t.GroupName, &t.Source); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == t.ID {
			continue // "manual" sorts before "sync"
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// wecomRejected turns a failed WeCom call into an error the caller can act on, with WeCom's own
// message.
func wecomRejected(err error) error {
	var apiErr *wecom.APIError
	if errors.As(err, &apiErr) {
		return &httpx.Error{Code: httpx.Conflict, Key: "wecom_rejected", Message: "WeCom rejected the change",
			Detail: fmt.Sprintf("%d %s", apiErr.Code, apiErr.Msg), Err: err}
	}
	return &httpx.Error{Code: httpx.Conflict, Key: "wecom_unavailable", Message: "WeCom could not be reached, try again later", Err: err}
}

func wecomIDs(lib map[int64]libraryTag, ids []int64) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, lib[id].wecomID)
	}
	return out
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func randomKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"wecom_rejected":       {Zh: "企业微信拒绝了此操作", En: "WeCom rejected the change"},
		"wecom_unavailable":    {Zh: "暂时无法连接企业微信，请稍后再试", En: "WeCom could not be reached, try again later"},
		"customer_no_relation": {Zh: "该客户已没有有效的企业微信好友关系，无法打标签", En: "The customer has no active WeCom relation to tag"},
	})
}
