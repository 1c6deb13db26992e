package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/siyu-scrm/siyu/internal/store"
)

// Department is a WeCom department as the sync hands it over (org does not speak the protocol).
type Department struct {
	WeComID, ParentWeComID int64
	Name                   string
}

// WeComMember is a WeCom member as the sync hands it over.
type WeComMember struct {
	UserID        string
	Name          string
	Mobile        string
	DepartmentIDs []int64 // the first is the main department
	Resigned      bool
}

// kindFor guesses a unit kind from a WeCom department name, because WeCom has no such notion:
// retail chains name stores …店 and branches …分公司 / …大区; the console can correct it.
func kindFor(name string) string {
	switch {
	case strings.HasSuffix(name, "店") || strings.HasSuffix(name, "门店"):
		return KindStore
	case strings.HasSuffix(name, "分公司") || strings.HasSuffix(name, "大区") || strings.HasSuffix(name, "区域"):
		return KindBranch
	}
	return KindDepartment
}

// ApplyDepartments mirrors WeCom departments into the tenant's tree: the corp's root department
// (parent 0) is the tenant's root unit; every other department becomes a unit under its parent's
// unit, created or renamed. Units are never deleted by sync: they carry history, and an operator
// may have attached staff and reports to them.
func (s *Service) ApplyDepartments(ctx context.Context, tenantID int64, depts []Department) (int, error) {
	// Parents before children, whatever order WeCom listed them in.
	byID := map[int64]Department{}
	for _, d := range depts {
		byID[d.WeComID] = d
	}
	depth := func(d Department) int {
		n := 0
		for seen := 0; d.ParentWeComID != 0 && seen < len(depts); seen++ {
			p, ok := byID[d.ParentWeComID]
			if !ok {
				break
			}
			d, n = p, n+1
		}
		return n
	}
	sorted := append([]Department(nil), depts...)
	sort.SliceStable(sorted, func(i, j int) bool { return depth(sorted[i]) < depth(sorted[j]) })
	n := 0
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockTree(ctx, tx, tenantID); err != nil {
			return err
		}
		now := s.clock()
		for _, d := range sorted {
			if d.ParentWeComID == 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE org_units SET wecom_dept_id = ? WHERE tenant_id = ? AND parent_id IS NULL
					AND (wecom_dept_id IS NULL OR wecom_dept_id = ?)`, d.WeComID, tenantID, d.WeComID); err != nil {
					return err
				}
				n++
				continue
			}
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM org_units WHERE tenant_id = ? AND wecom_dept_id = ?`, tenantID, d.WeComID).Scan(&id)
			switch {
			case err == nil:
				// A sibling already called that keeps the old name here: a failed statement would abort
				// the whole transaction on PostgreSQL, so the conflict is checked, not caught.
				if _, err := tx.ExecContext(ctx, `UPDATE org_units SET name = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND name <> ?
					AND NOT EXISTS (SELECT 1 FROM org_units o2 WHERE o2.tenant_id = org_units.tenant_id
						AND o2.parent_id = org_units.parent_id AND o2.name = ? AND o2.id <> org_units.id)`,
					d.Name, now, tenantID, id, d.Name, d.Name); err != nil {
					return err
				}
			case errors.Is(err, sql.ErrNoRows):
				parent, err := unitForDept(ctx, tx, tenantID, d.ParentWeComID)
				if err != nil {
					return err
				}
				// A unit of that name made in the console first is adopted, not duplicated.
				err = tx.QueryRowContext(ctx, `SELECT id FROM org_units WHERE tenant_id = ? AND parent_id = ? AND name = ? AND wecom_dept_id IS NULL`,
					tenantID, parent.ID, d.Name).Scan(&id)
				if errors.Is(err, sql.ErrNoRows) {
					id, err = insertUnit(ctx, tx, tenantID, &parent.ID, parent.Path, d.Name, kindFor(d.Name), now)
				}
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE org_units SET wecom_dept_id = ? WHERE tenant_id = ? AND id = ?`, d.WeComID, tenantID, id); err != nil {
					return err
				}
			default:
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("org: apply %d departments: %w", len(depts), err)
	}
	return n, nil
}

// unitForDept finds the unit of a WeCom department, or the root when it is unknown.
func unitForDept(ctx context.Context, q store.Querier, tenantID, deptID int64) (Unit, error) {
	u, err := scanUnit(q.QueryRowContext(ctx, `SELECT `+unitCols+` FROM org_units WHERE tenant_id = ? AND wecom_dept_id = ?`, tenantID, deptID))
	if errors.Is(err, sql.ErrNoRows) {
		u, err = scanUnit(q.QueryRowContext(ctx, `SELECT `+unitCols+` FROM org_units WHERE tenant_id = ? AND parent_id IS NULL`, tenantID))
	}
	if err != nil {
		return Unit{}, fmt.Errorf("org: unit of department %d: %w", deptID, err)
	}
	return u, nil
}

// ApplyMembers mirrors WeCom members into staff, matched by WeCom userid: new members are added to
// their main department's unit, known ones get their name and mobile refreshed (their unit stays
// where an operator may have put them), and members WeCom reports as gone are marked resigned.
func (s *Service) ApplyMembers(ctx context.Context, tenantID int64, members []WeComMember) (int, error) {
	n := 0
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.clock()
		for _, m := range members {
			if m.UserID == "" {
				continue
			}
			mobile, ok := NormalizeMobile(m.Mobile)
			if !ok {
				mobile = ""
			}
			status := StaffActive
			if m.Resigned {
				status = StaffResigned
			}
			var id, unitID int64
			var unitIsRoot bool
			err := tx.QueryRowContext(ctx, `SELECT s.id, s.org_unit_id, u.parent_id IS NULL FROM staff s
				JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.org_unit_id
				WHERE s.tenant_id = ? AND s.wecom_userid = ?`, tenantID, m.UserID).Scan(&id, &unitID, &unitIsRoot)
			switch {
			case err == nil:
				// Someone parked at the root (their department was unknown then) moves to it now;
				// anyone an operator placed stays where they were put.
				if unitIsRoot && len(m.DepartmentIDs) > 0 {
					if u, uerr := unitForDept(ctx, tx, tenantID, m.DepartmentIDs[0]); uerr == nil && u.ID != unitID {
						if _, err := tx.ExecContext(ctx, `UPDATE staff SET org_unit_id = ? WHERE tenant_id = ? AND id = ?`, u.ID, tenantID, id); err != nil {
							return err
						}
					}
				}
				// Empty fields (a delete event carries only the userid) keep what is stored, and so
				// does a mobile that belongs to another staff record (checked, not caught: a failed
				// statement aborts the transaction on PostgreSQL).
				_, err = tx.ExecContext(ctx, `UPDATE staff SET name = CASE WHEN ? = '' THEN name ELSE ? END, status = ?, updated_at = ?,
					mobile = CASE WHEN ? = '' OR EXISTS (SELECT 1 FROM staff s2 WHERE s2.tenant_id = staff.tenant_id AND s2.mobile = ? AND s2.id <> staff.id)
						THEN mobile ELSE ? END
					WHERE tenant_id = ? AND id = ?`,
					m.Name, m.Name, status, now, mobile, mobile, mobile, tenantID, id)
			case errors.Is(err, sql.ErrNoRows):
				if m.Resigned {
					continue
				}
				name := m.Name
				if name == "" {
					name = m.UserID
				}
				var dept int64
				if len(m.DepartmentIDs) > 0 {
					dept = m.DepartmentIDs[0]
				}
				unit, uerr := unitForDept(ctx, tx, tenantID, dept)
				if uerr != nil {
					return uerr
				}
				// A mobile already on another (console-made) staff record is left off this one rather
				// than dropping the member.
				var taken int
				if mobile != "" {
					if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff WHERE tenant_id = ? AND mobile = ?`, tenantID, mobile).Scan(&taken); err != nil {
						return err
					}
				}
				if taken > 0 {
					mobile = ""
				}
				_, err = tx.ExecContext(ctx, `INSERT INTO staff (tenant_id, org_unit_id, name, mobile, wecom_userid, status, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, tenantID, unit.ID, name, mobile, m.UserID, status, now, now)
			}
			if err != nil {
				return fmt.Errorf("member %s: %w", m.UserID, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("org: apply %d members: %w", len(members), err)
	}
	return n, nil
}

// StaffIDsByWeCom maps WeCom userids to staff ids for the tenant (unknown userids are absent).
func (s *Service) StaffIDsByWeCom(ctx context.Context, tenantID int64, userIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(userIDs) == 0 {
		return out, nil
	}
	args := []any{tenantID}
	for _, u := range userIDs {
		args = append(args, u)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT wecom_userid, id FROM staff WHERE tenant_id = ? AND wecom_userid IN (?`+
		strings.Repeat(", ?", len(userIDs)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("org: staff by wecom userid: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var id int64
		if err := rows.Scan(&u, &id); err != nil {
			return nil, err
		}
		out[u] = id
	}
	return out, rows.Err()
}

// RenameWeComUser follows a member whose WeCom userid changed (update_user with NewUserID).
func (s *Service) RenameWeComUser(ctx context.Context, tenantID int64, oldID, newID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE staff SET wecom_userid = ?, updated_at = ? WHERE tenant_id = ? AND wecom_userid = ?
		AND NOT EXISTS (SELECT 1 FROM staff s2 WHERE s2.tenant_id = staff.tenant_id AND s2.wecom_userid = ?)`,
		newID, s.clock(), tenantID, oldID, newID)
	if err != nil {
		return fmt.Errorf("org: rename wecom user %s: %w", oldID, err)
	}
	return nil
}
