package customer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Follow is one staff member's relation as WeCom reports it (from externalcontact/get or
// batch/get_by_user).
type Follow struct {
	UserID, Remark, Description, State string
	AddWay                             int
	CreateTime                         int64
	TagIDs                             []string
}

// FollowsOf converts externalcontact/get follow_user entries.
func FollowsOf(fus []wecom.FollowUser) []Follow {
	out := make([]Follow, 0, len(fus))
	for _, f := range fus {
		var tags []string
		for _, t := range f.Tags {
			if t.TagID != "" {
				tags = append(tags, t.TagID)
			}
		}
		out = append(out, Follow{UserID: f.UserID, Remark: f.Remark, Description: f.Description, State: f.State,
			AddWay: f.AddWay, CreateTime: f.CreateTime, TagIDs: tags})
	}
	return out
}

// FollowOfInfo converts a batch/get_by_user follow_info entry.
func FollowOfInfo(f wecom.FollowInfo) Follow {
	return Follow{UserID: f.UserID, Remark: f.Remark, Description: f.Description, State: f.State,
		AddWay: f.AddWay, CreateTime: f.CreateTime, TagIDs: f.TagID}
}

// Applied says what ApplyContact did.
type Applied struct {
	CustomerID int64
	Created    bool
	Relations  int
	// NewRelations are the staff userids whose relation did not exist before (or was lost).
	NewRelations []string
}

// ApplyContact records a WeCom customer and the given relations: the customer is found or
// created through their external_userid (and unionid), relations are upserted, and a relation
// that is new gets an added_staff event on the timeline. Re-applying the same data changes
// nothing, so events and full syncs may overlap freely.
func (s *Service) ApplyContact(ctx context.Context, tenantID int64, c wecom.ExternalContact, follows []Follow) (Applied, error) {
	var out Applied
	userIDs := make([]string, 0, len(follows))
	for _, f := range follows {
		userIDs = append(userIDs, f.UserID)
	}
	staffIDs, err := s.staff.StaffIDsByWeCom(ctx, tenantID, userIDs)
	if err != nil {
		return out, err
	}
	ids := []Identity{{IdentityExternalUserID, c.ExternalUserID}}
	if c.UnionID != "" {
		// The unionid ties the WeCom contact to the same person met elsewhere (an official
		// account, a mini-program, an order); Resolve merges customers that share it.
		if u, _, ok := NormalizeIdentity(IdentityUnionID, c.UnionID); ok {
			ids = append(ids, u)
		} else {
			s.log.WarnContext(ctx, "ignoring a unionid that does not look like one", "tenant", tenantID, "external_userid", c.ExternalUserID)
		}
	}
	// Concurrent applies of the same person (an event and a full sync, two replicas) may collide
	// on the identities' keys on PostgreSQL: run again, the second time the person is known.
	for attempt := 0; ; attempt++ {
		out = Applied{}
		err = s.applyContactTx(ctx, tenantID, c, follows, ids, staffIDs, &out)
		if err == nil || attempt >= 4 || !(store.IsRetryable(err) || errors.Is(err, errRestart)) {
			break
		}
	}
	if err != nil {
		return Applied{}, fmt.Errorf("customer: apply %s: %w", c.ExternalUserID, err)
	}
	return out, nil
}

func (s *Service) applyContactTx(ctx context.Context, tenantID int64, c wecom.ExternalContact, follows []Follow, ids []Identity,
	staffIDs map[string]int64, out *Applied) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.clock()
		res, err := s.ResolveTx(ctx, tx, tenantID, ids)
		if err != nil {
			return err
		}
		cid := res.CustomerID
		out.CustomerID, out.Created = cid, res.Created
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET name = ?, avatar = ?, gender = ?, kind = ?, corp_name = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, c.Name, c.Avatar, c.Gender, max(c.Type, 1), c.CorpName, now, tenantID, cid); err != nil {
			return err
		}
		for _, f := range follows {
			added := time.Unix(f.CreateTime, 0).UTC()
			if f.CreateTime == 0 {
				added = now
			}
			var staffID *int64
			if id, ok := staffIDs[f.UserID]; ok {
				staffID = &id
			}
			// A relation that ended is active again only for an add later than its end: a full-sync
			// page read before a deletion was processed must not undo the deletion.
			var prev string
			var prevAt time.Time
			err := tx.QueryRowContext(ctx, `SELECT status, status_at FROM customer_staff WHERE tenant_id = ? AND customer_id = ? AND wecom_userid = ?`,
				tenantID, cid, f.UserID).Scan(&prev, &prevAt)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			isNew := err != nil || (prev != RelationActive && added.After(prevAt))
			if _, err := tx.ExecContext(ctx, `INSERT INTO customer_staff (tenant_id, customer_id, wecom_userid, staff_id, remark, description, state, add_way, added_at, status, status_at, synced_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)
				ON CONFLICT (tenant_id, customer_id, wecom_userid) DO UPDATE SET staff_id = excluded.staff_id, remark = excluded.remark,
				synced_at = excluded.synced_at,
				description = excluded.description, add_way = excluded.add_way,
				state = CASE WHEN excluded.state <> '' THEN excluded.state ELSE customer_staff.state END,
				added_at = CASE WHEN customer_staff.status <> 'active' AND excluded.added_at > customer_staff.status_at THEN excluded.added_at ELSE customer_staff.added_at END,
				status = CASE WHEN customer_staff.status <> 'active' AND excluded.added_at > customer_staff.status_at THEN 'active' ELSE customer_staff.status END,
				status_at = CASE WHEN customer_staff.status <> 'active' AND excluded.added_at > customer_staff.status_at THEN excluded.added_at ELSE customer_staff.status_at END`,
				tenantID, cid, f.UserID, staffID, f.Remark, f.Description, f.State, f.AddWay, added, added, now); err != nil {
				return err
			}
			out.Relations++
			if isNew {
				out.NewRelations = append(out.NewRelations, f.UserID)
				detail, _ := json.Marshal(map[string]any{"state": f.State, "add_way": f.AddWay})
				key := fmt.Sprintf("added:%s:%s:%d", c.ExternalUserID, f.UserID, f.CreateTime)
				if err := appendEvent(ctx, tx, tenantID, cid, EventAddedStaff, f.UserID, string(detail), key, added, now); err != nil {
					return err
				}
			}
			if err := s.applyRelationTags(ctx, tx, tenantID, cid, f, now); err != nil {
				return err
			}
		}
		// The first add (earliest relation) is the customer's acquisition: when and through which code.
		if err := refreshFirstAdd(ctx, tx, tenantID, cid); err != nil {
			return err
		}
		// Name, relation remarks and the first add are what the list searches and sorts on.
		return RefreshSearch(ctx, tx, tenantID, cid)
	})
}

// applyRelationTags makes the tags on one staff member's relation what WeCom reports: WeCom is
// the truth for them, whoever put them on. Tags still there keep their source (manual when put on
// in Siyu); new ones are recorded as synced.
func (s *Service) applyRelationTags(ctx context.Context, tx *store.Tx, tenantID, cid int64, f Follow, now time.Time) error {
	q := `DELETE FROM customer_tags WHERE tenant_id = ? AND customer_id = ? AND wecom_userid = ?`
	args := []any{tenantID, cid, f.UserID}
	if len(f.TagIDs) > 0 {
		q += ` AND tag_id NOT IN (SELECT id FROM tags WHERE tenant_id = ? AND wecom_tag_id IN (?` + strings.Repeat(", ?", len(f.TagIDs)-1) + `))`
		args = append(args, tenantID)
		for _, t := range f.TagIDs {
			args = append(args, t)
		}
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return err
	}
	for _, tagID := range f.TagIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO customer_tags (tenant_id, customer_id, tag_id, wecom_userid, source, created_at)
			SELECT ?, ?, id, ?, 'sync', ? FROM tags WHERE tenant_id = ? AND wecom_tag_id = ?
			ON CONFLICT (tenant_id, customer_id, tag_id, wecom_userid) DO NOTHING`, tenantID, cid, f.UserID, now, tenantID, tagID); err != nil {
			return err
		}
	}
	return nil
}

// setRelationStatus marks one relation lost or removed (status "" leaves it) and puts the event on
// the timeline.
func (s *Service) setRelationStatus(ctx context.Context, tenantID int64, ev *wecom.ExternalContactEvent, status, kind string) error {
	at := time.Unix(ev.CreateTime, 0).UTC()
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var cid int64
		err := tx.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value = ?`,
			tenantID, IdentityExternalUserID, ev.ExternalUserID).Scan(&cid)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // never seen: nothing to mark (a full sync will not bring them back either)
		}
		if err != nil {
			return err
		}
		// Only an event newer than the relation's last change applies: a retried deletion must not
		// end a relation the customer has renewed since.
		if status != "" {
			res, err := tx.ExecContext(ctx, `UPDATE customer_staff SET status = ?, status_at = ?
				WHERE tenant_id = ? AND customer_id = ? AND wecom_userid = ? AND status_at <= ?`,
				status, at, tenantID, cid, ev.UserID, at)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 && status == RelationLost {
				if err := s.alertLoss(ctx, tx, tenantID, cid, ev, at); err != nil {
					return err
				}
			}
		}
		detail, _ := json.Marshal(map[string]string{"source": ev.Source, "fail_reason": ev.FailReason})
		return appendEvent(ctx, tx, tenantID, cid, kind, ev.UserID, string(detail), ev.DedupKey(), at, s.clock())
	})
}

// HandleWeComEvent processes stored callbacks about customers (it implements wecomsync.Handler).
func (s *Service) HandleWeComEvent(ctx context.Context, tenantID int64, ev wecom.Event) error {
	switch e := ev.(type) {
	case *wecom.ExternalContactEvent:
		switch e.ChangeType {
		case wecom.ChangeAddExternalContact, wecom.ChangeAddHalfExternalContact, wecom.ChangeEditExternalContact:
			return s.onAddOrEdit(ctx, tenantID, e)
		case wecom.ChangeDelFollowUser:
			return s.setRelationStatus(ctx, tenantID, e, RelationLost, EventLost)
		case wecom.ChangeDelExternalContact:
			return s.setRelationStatus(ctx, tenantID, e, RelationRemoved, EventRemovedByStaff)
		case wecom.ChangeTransferFail:
			// The customer stays with whoever had them; only the timeline learns of it.
			return s.setRelationStatus(ctx, tenantID, e, "", EventTransferFailed)
		}
	case *wecom.ExternalChatEvent:
		return s.onChat(ctx, tenantID, e)
	case *wecom.ExternalTagEvent:
		return s.syncTags(ctx, tenantID)
	}
	return nil
}

// onAddOrEdit fetches the customer from WeCom, sends the welcome message while its code is still
// valid (20 s from the add), then records customer, relations and timeline.
func (s *Service) onAddOrEdit(ctx context.Context, tenantID int64, e *wecom.ExternalContactEvent) error {
	client, err := s.wecom.Client(ctx, tenantID)
	if err != nil {
		return err
	}
	resp, err := client.GetExternalContact(ctx, e.ExternalUserID, "")
	var apiErr *wecom.APIError
	if errors.As(err, &apiErr) && (apiErr.Code == wecom.CodeNoRelation || apiErr.Code == wecom.CodeInvalidExternalUserID) {
		// The relation is already gone again (deleted before this event was processed): nothing
		// to record, and retrying cannot change that. The deletion's own event follows.
		s.log.InfoContext(ctx, "customer gone before its add was processed", "tenant", tenantID,
			"external_userid", e.ExternalUserID, "errcode", apiErr.Code)
		return nil
	}
	if err != nil {
		return fmt.Errorf("customer: fetch %s: %w", e.ExternalUserID, err)
	}
	follows := FollowsOf(resp.FollowUser)
	for i := range follows {
		if follows[i].UserID == e.UserID && follows[i].State == "" {
			follows[i].State = e.State // the event's state is authoritative for this add
		}
	}
	plan, err := s.planAdd(ctx, tenantID, e)
	if err != nil {
		return err
	}
	welcome := s.sendWelcome(ctx, tenantID, client, e, resp.ExternalContact.Name, plan)
	applied, err := s.ApplyContact(ctx, tenantID, resp.ExternalContact, follows)
	if err != nil {
		return err
	}
	if err := s.attributeAdd(ctx, tenantID, client, e, applied.CustomerID, follows, plan); err != nil {
		return err
	}
	if e.ChangeType == wecom.ChangeEditExternalContact {
		var remark string
		for _, f := range follows {
			if f.UserID == e.UserID {
				remark = f.Remark
			}
		}
		detail, _ := json.Marshal(map[string]string{"remark": remark})
		if err := s.db.InTx(ctx, func(tx *store.Tx) error {
			return appendEvent(ctx, tx, tenantID, applied.CustomerID, EventRelationEdited, e.UserID, string(detail), e.DedupKey(),
				time.Unix(e.CreateTime, 0).UTC(), s.clock())
		}); err != nil {
			return err
		}
	}
	if welcome == "" {
		return nil
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		kind, detail := EventWelcomeSent, "{}"
		if welcome != "sent" {
			kind = EventWelcomeFailed
			b, _ := json.Marshal(map[string]string{"error": welcome})
			detail = string(b)
		}
		return appendEvent(ctx, tx, tenantID, applied.CustomerID, kind, e.UserID, detail, "welcome:"+e.WelcomeCode,
			time.Unix(e.CreateTime, 0).UTC(), s.clock())
	})
}

// sendWelcome sends the tenant's welcome text with the event's welcome code, at most once per
// code. It returns "" when there was nothing to send, "sent", or why it failed; a failure is
// recorded, not retried, because the code is dead 20 s after the add anyway.
func (s *Service) sendWelcome(ctx context.Context, tenantID int64, client *wecom.Client, e *wecom.ExternalContactEvent, name string, plan *AddPlan) string {
	if e.WelcomeCode == "" || e.ChangeType == wecom.ChangeEditExternalContact {
		return ""
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_events WHERE tenant_id = ? AND dedup_key = ?`,
		tenantID, "welcome:"+e.WelcomeCode).Scan(&n); err != nil || n > 0 {
		return ""
	}
	set, err := s.wecom.Settings(ctx, tenantID)
	if err != nil {
		return ""
	}
	// A live code's own welcome message replaces the tenant's default.
	text, atts := welcomeOf(plan, set.WelcomeText, name)
	if text == nil && len(atts) == 0 {
		return ""
	}
	if err := client.SendWelcomeMsg(ctx, wecom.SendWelcomeMsgRequest{WelcomeCode: e.WelcomeCode, Text: text, Attachments: atts}); err != nil {
		s.log.WarnContext(ctx, "welcome message not sent", "tenant", tenantID, "external_userid", e.ExternalUserID, "err", err)
		return err.Error()
	}
	return "sent"
}

// LinkStaff attaches relations recorded before their staff member was known to Siyu (an add
// processed before the member's create_user event or the staff sync), so scoped views — a guide's
// own customers, a manager's subtree — include them.
func (s *Service) LinkStaff(ctx context.Context, tenantID int64) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT wecom_userid FROM customer_staff WHERE tenant_id = ? AND staff_id IS NULL`, tenantID)
	if err != nil {
		return 0, fmt.Errorf("customer: unlinked relations: %w", err)
	}
	var userIDs []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return 0, err
		}
		userIDs = append(userIDs, u)
	}
	rows.Close()
	if len(userIDs) == 0 {
		return 0, rows.Err()
	}
	ids, err := s.staff.StaffIDsByWeCom(ctx, tenantID, userIDs)
	if err != nil {
		return 0, err
	}
	n := 0
	for u, id := range ids {
		res, err := s.db.ExecContext(ctx, `UPDATE customer_staff SET staff_id = ? WHERE tenant_id = ? AND wecom_userid = ? AND staff_id IS NULL`, id, tenantID, u)
		if err != nil {
			return n, fmt.Errorf("customer: link staff %s: %w", u, err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// RenameWeComUser moves relations to a member's new WeCom userid.
func (s *Service) RenameWeComUser(ctx context.Context, tenantID int64, oldID, newID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE customer_staff SET wecom_userid = ? WHERE tenant_id = ? AND wecom_userid = ?
		AND NOT EXISTS (SELECT 1 FROM customer_staff c2 WHERE c2.tenant_id = customer_staff.tenant_id
			AND c2.customer_id = customer_staff.customer_id AND c2.wecom_userid = ?)`, newID, tenantID, oldID, newID)
	if err != nil {
		return fmt.Errorf("customer: rename wecom user %s: %w", oldID, err)
	}
	return nil
}

// EventRelationEnded marks a relation a full sync no longer found in WeCom (the deletion's own
// event was missed).
const EventRelationEnded = "relation_ended"

// EndUnseen ends what a full sync that began at since did not see: active relations WeCom no
// longer lists (a member deleted the customer while callbacks were missed — a customer deleting
// the member is not visible this way, WeCom keeps listing such relations) and groups that are
// gone. Anything confirmed after since — by the sync or by an event meanwhile —
// stays.
func (s *Service) EndUnseen(ctx context.Context, tenantID int64, since time.Time) (int, error) {
	now := s.clock()
	n := 0
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT customer_id, wecom_userid FROM customer_staff
			WHERE tenant_id = ? AND status = 'active' AND (synced_at IS NULL OR synced_at < ?)`, tenantID, since)
		if err != nil {
			return err
		}
		type rel struct {
			cid  int64
			user string
		}
		var ended []rel
		for rows.Next() {
			var r rel
			if err := rows.Scan(&r.cid, &r.user); err != nil {
				rows.Close()
				return err
			}
			ended = append(ended, r)
		}
		rows.Close()
		for _, r := range ended {
			if _, err := tx.ExecContext(ctx, `UPDATE customer_staff SET status = 'removed', status_at = ? WHERE tenant_id = ? AND customer_id = ? AND wecom_userid = ?`,
				now, tenantID, r.cid, r.user); err != nil {
				return err
			}
			if err := appendEvent(ctx, tx, tenantID, r.cid, EventRelationEnded, r.user, `{"source":"full_sync"}`,
				fmt.Sprintf("ended:%d:%s:%d", r.cid, r.user, since.Unix()), now, now); err != nil {
				return err
			}
		}
		n = len(ended)
		_, err = tx.ExecContext(ctx, `UPDATE customer_groups SET status = 'dismissed', updated_at = ? WHERE tenant_id = ? AND status = 'active' AND updated_at < ?`,
			now, tenantID, since)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("customer: end unseen: %w", err)
	}
	return n, nil
}
