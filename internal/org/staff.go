package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Staff statuses. Resigned staff stay, because their customers, orders and history do.
const (
	StaffActive   = "active"
	StaffResigned = "resigned"
)

// Staff is an employee: a shopping guide, a store manager, an HQ operator.
type Staff struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Mobile      string    `json:"mobile" doc:"E.164; masked as 138****5678 for roles without personal-data access"`
	WeComUserID string    `json:"wecom_userid"`
	OrgUnitID   int64     `json:"org_unit_id"`
	OrgUnitName string    `json:"org_unit_name"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// StaffInput creates a staff member.
type StaffInput struct {
	Name        string `json:"name"`
	Mobile      string `json:"mobile,omitempty"`
	WeComUserID string `json:"wecom_userid,omitempty"`
	OrgUnitID   int64  `json:"org_unit_id"`
}

// StaffPatch changes a staff member; absent fields stay.
type StaffPatch struct {
	Name        *string `json:"name,omitempty"`
	Mobile      *string `json:"mobile,omitempty"`
	WeComUserID *string `json:"wecom_userid,omitempty"`
	OrgUnitID   *int64  `json:"org_unit_id,omitempty"`
	Status      *string `json:"status,omitempty"`
}

// StaffFilter narrows a staff list.
type StaffFilter struct {
	OrgUnitID int64  // includes the unit's subtree
	Status    string // "" = any
	Query     string // name, WeCom userid, or (with personal-data access) mobile digits
	Page      httpx.PageRequest
}

// WeCom userids are 1–64 characters of letters, digits and _-.@ (as WeCom allows).
var wecomUserIDRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// NormalizeMobile returns a phone number in E.164, reading numbers without a country code as
// Chinese. ok is false when it is not a valid number.
func NormalizeMobile(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	n, err := phonenumbers.Parse(s, "CN")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

const staffSelect = `SELECT s.id, s.name, s.mobile, s.wecom_userid, s.org_unit_id, u.name, s.status, s.created_at, s.updated_at
	FROM staff s JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.org_unit_id`

func scanStaff(row interface{ Scan(...any) error }) (Staff, error) {
	var m Staff
	err := row.Scan(&m.ID, &m.Name, &m.Mobile, &m.WeComUserID, &m.OrgUnitID, &m.OrgUnitName, &m.Status, &m.CreatedAt, &m.UpdatedAt)
	return m, err
}

func (sc Scope) present(m Staff) Staff {
	if !sc.PersonalData && m.Mobile != "" {
		m.Mobile = MaskMobile(m.Mobile)
	}
	return m
}

// ListStaff returns a page of staff visible to the caller.
func (s *Service) ListStaff(ctx context.Context, f StaffFilter) (httpx.Page[Staff], error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return httpx.Page[Staff]{}, err
	}
	sc := ScopeOf(c)
	cond, args := sc.StaffFilter("s.id", "u.path")
	q := staffSelect + ` WHERE s.tenant_id = ? AND ` + cond + ` AND s.id > ?`
	args = append([]any{c.TenantID}, append(args, f.Page.After)...)
	if f.OrgUnitID > 0 {
		q += ` AND u.path LIKE (SELECT path FROM org_units WHERE tenant_id = ? AND id = ?) || '%'`
		args = append(args, c.TenantID, f.OrgUnitID)
	}
	if f.Status != "" {
		q += ` AND s.status = ?`
		args = append(args, f.Status)
	}
	if kw := strings.TrimSpace(f.Query); kw != "" {
		// lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
		like := "%" + escapeLike(strings.ToLower(kw)) + "%"
		if sc.PersonalData {
			q += ` AND (lower(s.name) LIKE ? ESCAPE '\' OR lower(s.wecom_userid) LIKE ? ESCAPE '\' OR s.mobile LIKE ? ESCAPE '\')`
			args = append(args, like, like, like)
		} else {
			q += ` AND (lower(s.name) LIKE ? ESCAPE '\' OR lower(s.wecom_userid) LIKE ? ESCAPE '\')`
			args = append(args, like, like)
		}
	}
	q += ` ORDER BY s.id LIMIT ?`
	args = append(args, f.Page.Limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return httpx.Page[Staff]{}, fmt.Errorf("org: list staff: %w", err)
	}
	defer rows.Close()
	var items []Staff
	for rows.Next() {
		m, err := scanStaff(rows)
		if err != nil {
			return httpx.Page[Staff]{}, fmt.Errorf("org: scan staff: %w", err)
		}
		items = append(items, sc.present(m))
	}
	if err := rows.Err(); err != nil {
		return httpx.Page[Staff]{}, fmt.Errorf("org: list staff: %w", err)
	}
	return httpx.MakePage(items, f.Page.Limit, func(m Staff) int64 { return m.ID }), nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// GetStaff returns one staff member in the caller's scope.
func (s *Service) GetStaff(ctx context.Context, id int64) (Staff, error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return Staff{}, err
	}
	sc := ScopeOf(c)
	m, path, err := loadStaff(ctx, s.db, c.TenantID, id)
	if err != nil {
		return Staff{}, err
	}
	if !sc.coversStaff(m.ID, path) {
		return Staff{}, httpx.NotFoundf("staff")
	}
	return sc.present(m), nil
}

func (sc Scope) coversStaff(id int64, unitPath string) bool {
	switch {
	case sc.All:
		return true
	case sc.StaffID != 0:
		return id == sc.StaffID
	default:
		return strings.HasPrefix(unitPath, sc.OrgPath)
	}
}

func loadStaff(ctx context.Context, q store.Querier, tenantID, id int64) (Staff, string, error) {
	var path string
	row := q.QueryRowContext(ctx, `SELECT s.id, s.name, s.mobile, s.wecom_userid, s.org_unit_id, u.name, s.status, s.created_at, s.updated_at, u.path
		FROM staff s JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.org_unit_id
		WHERE s.tenant_id = ? AND s.id = ?`, tenantID, id)
	var m Staff
	err := row.Scan(&m.ID, &m.Name, &m.Mobile, &m.WeComUserID, &m.OrgUnitID, &m.OrgUnitName, &m.Status, &m.CreatedAt, &m.UpdatedAt, &path)
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, "", httpx.NotFoundf("staff")
	}
	if err != nil {
		return Staff{}, "", fmt.Errorf("org: load staff %d: %w", id, err)
	}
	return m, path, nil
}

// CreateStaff adds a staff member to a unit the caller manages.
func (s *Service) CreateStaff(ctx context.Context, in StaffInput) (Staff, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return Staff{}, err
	}
	var v httpx.Validator
	name := v.Text("name", in.Name, true, 32)
	mobile, ok := NormalizeMobile(in.Mobile)
	v.Check(ok, "mobile", "invalid")
	wecomID := strings.TrimSpace(in.WeComUserID)
	v.Check(wecomID == "" || wecomUserIDRE.MatchString(wecomID), "wecom_userid", "invalid")
	v.Check(in.OrgUnitID > 0, "org_unit_id", "required")
	if err := v.Err(); err != nil {
		return Staff{}, err
	}
	var out Staff
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockTree(ctx, tx, c.TenantID); err != nil {
			return err
		}
		unit, err := loadUnit(ctx, tx, c.TenantID, in.OrgUnitID)
		if err := hidden(err, sc.CoversUnit(unit.Path) && sc.StaffID == 0, httpx.FieldErr("org_unit_id", "not_found")); err != nil {
			return err
		}
		now := s.clock()
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO staff (tenant_id, org_unit_id, name, mobile, wecom_userid, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.TenantID, unit.ID, name, mobile, wecomID, StaffActive, now, now).Scan(&id)
		if err != nil {
			return staffUniqueErr(err)
		}
		out, _, err = loadStaff(ctx, tx, c.TenantID, id)
		return err
	})
	if err != nil {
		return Staff{}, fmt.Errorf("org: create staff: %w", err)
	}
	return sc.present(out), nil
}

// staffUniqueErr names the field behind a unique violation on staff.
func staffUniqueErr(err error) error {
	if !store.IsUniqueViolation(err) {
		return err
	}
	if strings.Contains(err.Error(), "mobile") {
		return httpx.FieldErr("mobile", "taken")
	}
	return httpx.FieldErr("wecom_userid", "taken")
}

// UpdateStaff changes a staff member in the caller's scope.
func (s *Service) UpdateStaff(ctx context.Context, id int64, p StaffPatch) (Staff, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return Staff{}, err
	}
	var v httpx.Validator
	if p.Name != nil {
		*p.Name = v.Text("name", *p.Name, true, 32)
	}
	if p.Mobile != nil {
		m, ok := NormalizeMobile(*p.Mobile)
		v.Check(ok, "mobile", "invalid")
		p.Mobile = &m
	}
	if p.WeComUserID != nil {
		w := strings.TrimSpace(*p.WeComUserID)
		v.Check(w == "" || wecomUserIDRE.MatchString(w), "wecom_userid", "invalid")
		p.WeComUserID = &w
	}
	if p.Status != nil {
		v.OneOf("status", *p.Status, StaffActive, StaffResigned)
	}
	if err := v.Err(); err != nil {
		return Staff{}, err
	}
	var out Staff
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockTree(ctx, tx, c.TenantID); err != nil {
			return err
		}
		m, path, err := loadStaff(ctx, tx, c.TenantID, id)
		if err := hidden(err, sc.coversStaff(m.ID, path), httpx.NotFoundf("staff")); err != nil {
			return err
		}
		if p.OrgUnitID != nil && *p.OrgUnitID != m.OrgUnitID {
			unit, err := loadUnit(ctx, tx, c.TenantID, *p.OrgUnitID)
			if err := hidden(err, sc.CoversUnit(unit.Path), httpx.FieldErr("org_unit_id", "not_found")); err != nil {
				return err
			}
			m.OrgUnitID = unit.ID
		}
		if p.Name != nil {
			m.Name = *p.Name
		}
		if p.Mobile != nil {
			m.Mobile = *p.Mobile
		}
		if p.WeComUserID != nil {
			m.WeComUserID = *p.WeComUserID
		}
		if p.Status != nil {
			m.Status = *p.Status
		}
		_, err = tx.ExecContext(ctx, `UPDATE staff SET name = ?, mobile = ?, wecom_userid = ?, org_unit_id = ?, status = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, m.Name, m.Mobile, m.WeComUserID, m.OrgUnitID, m.Status, s.clock(), c.TenantID, id)
		if err != nil {
			return staffUniqueErr(err)
		}
		if m.Status == StaffResigned {
			// Their console sessions end now (tokens and logins are refused by status).
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND user_id IN
				(SELECT id FROM users WHERE tenant_id = ? AND staff_id = ?)`, c.TenantID, c.TenantID, id); err != nil {
				return err
			}
		}
		out, _, err = loadStaff(ctx, tx, c.TenantID, id)
		return err
	})
	if err != nil {
		return Staff{}, fmt.Errorf("org: update staff %d: %w", id, err)
	}
	return sc.present(out), nil
}
