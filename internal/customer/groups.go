package customer

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// onChat keeps a customer group in step: create and update fetch the group's current members
// from WeCom (the event only says what changed); dismiss marks it gone.
func (s *Service) onChat(ctx context.Context, tenantID int64, e *wecom.ExternalChatEvent) error {
	if e.ChangeType == wecom.ChangeDismiss {
		_, err := s.db.ExecContext(ctx, `UPDATE customer_groups SET status = 'dismissed', updated_at = ? WHERE tenant_id = ? AND chat_id = ?`,
			s.clock(), tenantID, e.ChatID)
		return err
	}
	client, err := s.wecom.Client(ctx, tenantID)
	if err != nil {
		return err
	}
	g, err := client.GetGroupChat(ctx, e.ChatID, true)
	if err != nil {
		return fmt.Errorf("customer: fetch group %s: %w", e.ChatID, err)
	}
	return s.ApplyGroup(ctx, tenantID, g)
}

// ApplyGroup replaces what Siyu knows of a customer group with WeCom's view of it. Customers who
// appear or disappear get joined_group / left_group events.
func (s *Service) ApplyGroup(ctx context.Context, tenantID int64, g *wecom.GroupChat) error {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.clock()
		var gid int64
		err := tx.QueryRowContext(ctx, `INSERT INTO customer_groups (tenant_id, chat_id, name, owner_userid, notice, member_count, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)
			ON CONFLICT (tenant_id, chat_id) DO UPDATE SET name = excluded.name, owner_userid = excluded.owner_userid,
			notice = excluded.notice, member_count = excluded.member_count, status = 'active', updated_at = excluded.updated_at
			RETURNING id`, tenantID, g.ChatID, g.Name, g.Owner, g.Notice, len(g.MemberList), time.Unix(g.CreateTime, 0).UTC(), now).Scan(&gid)
		if err != nil {
			return err
		}
		type member struct {
			customerID sql.NullInt64
			joined     time.Time
		}
		old := map[string]member{}
		rows, err := tx.QueryContext(ctx, `SELECT member_userid, customer_id, join_time FROM customer_group_members WHERE tenant_id = ? AND group_id = ?`, tenantID, gid)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m string
			var v member
			if err := rows.Scan(&m, &v.customerID, &v.joined); err != nil {
				rows.Close()
				return err
			}
			old[m] = v
		}
		rows.Close()
		detail, _ := json.Marshal(map[string]string{"chat_id": g.ChatID, "name": g.Name})
		for _, m := range g.MemberList {
			var cid *int64
			if m.Type == wecom.MemberTypeExternal {
				var id int64
				if err := tx.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value = ?`,
					tenantID, IdentityExternalUserID, m.UserID).Scan(&id); err == nil {
					cid = &id
				}
			}
			joined := time.Unix(m.JoinTime, 0).UTC()
			// join_state is the join way's state the member came through (group live codes count joins by it).
			if _, err := tx.ExecContext(ctx, `INSERT INTO customer_group_members (tenant_id, group_id, member_userid, member_type, customer_id, join_time, join_scene, join_state)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, group_id, member_userid) DO UPDATE SET customer_id = excluded.customer_id`,
				tenantID, gid, m.UserID, m.Type, cid, joined, m.JoinScene, m.State); err != nil {
				return err
			}
			// A member seen before their customer was known (the group event ran ahead of the add)
			// joins the timeline as soon as they are; the key keeps it to one entry per membership.
			if prev, was := old[m.UserID]; (!was || !prev.customerID.Valid) && cid != nil {
				if err := appendEvent(ctx, tx, tenantID, *cid, EventJoinedGroup, "", string(detail),
					fmt.Sprintf("join:%s:%s:%d", g.ChatID, m.UserID, m.JoinTime), joined, now); err != nil {
					return err
				}
			}
			delete(old, m.UserID)
		}
		for m, v := range old { // members WeCom no longer lists have left
			if _, err := tx.ExecContext(ctx, `DELETE FROM customer_group_members WHERE tenant_id = ? AND group_id = ? AND member_userid = ?`, tenantID, gid, m); err != nil {
				return err
			}
			if v.customerID.Valid {
				// Keyed by the membership (its join time), so two overlapping applies record one leave.
				if err := appendEvent(ctx, tx, tenantID, v.customerID.Int64, EventLeftGroup, "", string(detail),
					fmt.Sprintf("leave:%s:%s:%d", g.ChatID, m, v.joined.Unix()), now, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("customer: apply group %s: %w", g.ChatID, err)
	}
	return nil
}

// syncTags re-reads the corp tag library; tag events only say that something changed.
func (s *Service) syncTags(ctx context.Context, tenantID int64) error {
	client, err := s.wecom.Client(ctx, tenantID)
	if err != nil {
		return err
	}
	groups, err := client.GetCorpTagList(ctx, wecom.GetCorpTagListRequest{})
	if err != nil {
		return fmt.Errorf("customer: fetch corp tags: %w", err)
	}
	_, err = s.ApplyTags(ctx, tenantID, groups)
	return err
}

// ApplyTags mirrors WeCom's corp tag library: groups and tags are created or renamed; those WeCom
// no longer lists are marked deleted (kept, because customers' history refers to them).
func (s *Service) ApplyTags(ctx context.Context, tenantID int64, groups []wecom.TagGroup) (int, error) {
	n := 0
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.clock()
		var seenGroups, seenTags []any
		for _, g := range groups {
			var gid int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO tag_groups (tenant_id, wecom_group_id, name, sort, deleted, updated_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (tenant_id, wecom_group_id) DO UPDATE SET name = excluded.name, sort = excluded.sort, deleted = excluded.deleted, updated_at = excluded.updated_at
				RETURNING id`, tenantID, g.GroupID, g.GroupName, int64(g.Order), g.Deleted, now).Scan(&gid); err != nil {
				return err
			}
			seenGroups = append(seenGroups, g.GroupID)
			for _, t := range g.Tag {
				if _, err := tx.ExecContext(ctx, `INSERT INTO tags (tenant_id, group_id, wecom_tag_id, name, sort, deleted, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
					ON CONFLICT (tenant_id, wecom_tag_id) DO UPDATE SET group_id = excluded.group_id, name = excluded.name, sort = excluded.sort,
					deleted = excluded.deleted, updated_at = excluded.updated_at`, tenantID, gid, t.ID, t.Name, int64(t.Order), t.Deleted, now); err != nil {
					return err
				}
				seenTags = append(seenTags, t.ID)
				n++
			}
		}
		if err := markMissing(ctx, tx, "tag_groups", "wecom_group_id", tenantID, now, seenGroups); err != nil {
			return err
		}
		return markMissing(ctx, tx, "tags", "wecom_tag_id", tenantID, now, seenTags)
	})
	if err != nil {
		return 0, fmt.Errorf("customer: apply tags: %w", err)
	}
	return n, nil
}

func markMissing(ctx context.Context, tx *store.Tx, table, col string, tenantID int64, now time.Time, seen []any) error {
	q := `UPDATE ` + table + ` SET deleted = TRUE, updated_at = ? WHERE tenant_id = ? AND deleted = FALSE`
	args := []any{now, tenantID}
	if len(seen) > 0 {
		q += ` AND ` + col + ` NOT IN (?` + strings.Repeat(", ?", len(seen)-1) + `)`
		args = append(args, seen...)
	}
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}
