package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

// AlertRecipients are who hears about something that happened to one staff member's customers:
// the staff member and the managers above them.
type AlertRecipients struct {
	StaffID   int64
	StaffName string
	UnitName  string
	// UserIDs are the enabled console users linked to the staff member, and the enabled managers
	// whose unit is the staff member's unit or one of its ancestors.
	UserIDs []int64
	// WeComUserIDs are the staff member's WeCom userid (when they are still active) and those of
	// the active staff records linked to those managers — WeCom app messages reach people, not
	// console accounts.
	WeComUserIDs []string
}

// AlertRecipientsFor resolves the recipients for the staff member with a WeCom userid. ok is
// false when Siyu does not know the member.
func (s *Service) AlertRecipientsFor(ctx context.Context, tenantID int64, wecomUserID string) (AlertRecipients, bool, error) {
	var r AlertRecipients
	var path, status string
	err := s.db.QueryRowContext(ctx, `SELECT s.id, s.name, s.status, u.name, u.path FROM staff s
		JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.org_unit_id
		WHERE s.tenant_id = ? AND s.wecom_userid = ?`, tenantID, wecomUserID).Scan(&r.StaffID, &r.StaffName, &status, &r.UnitName, &path)
	if errors.Is(err, sql.ErrNoRows) || wecomUserID == "" {
		return AlertRecipients{}, false, nil
	}
	if err != nil {
		return AlertRecipients{}, false, fmt.Errorf("org: alert recipients of %s: %w", wecomUserID, err)
	}
	if status == StaffActive {
		r.WeComUserIDs = append(r.WeComUserIDs, wecomUserID)
	}
	// A manager's unit path is a prefix of the staff member's unit path when the staff member is
	// in the manager's subtree.
	rows, err := s.db.QueryContext(ctx, `SELECT u.id, COALESCE(ms.wecom_userid, ''), COALESCE(ms.status, '') FROM users u
		LEFT JOIN org_units mu ON mu.tenant_id = u.tenant_id AND mu.id = u.org_unit_id
		LEFT JOIN staff ms ON ms.tenant_id = u.tenant_id AND ms.id = u.staff_id
		WHERE u.tenant_id = ? AND NOT u.disabled
			AND (u.staff_id = ? OR (u.role = ? AND mu.path IS NOT NULL AND ? LIKE mu.path || '%'))
		ORDER BY u.id`, tenantID, r.StaffID, string(Manager), path)
	if err != nil {
		return AlertRecipients{}, false, fmt.Errorf("org: alert recipients of %s: %w", wecomUserID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var wid, wstatus string
		if err := rows.Scan(&id, &wid, &wstatus); err != nil {
			return AlertRecipients{}, false, err
		}
		r.UserIDs = append(r.UserIDs, id)
		if wid != "" && wstatus == StaffActive && !slices.Contains(r.WeComUserIDs, wid) {
			r.WeComUserIDs = append(r.WeComUserIDs, wid)
		}
	}
	return r, true, rows.Err()
}
