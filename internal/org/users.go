package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
)

// User is a console account. It may be linked to a staff record (guides must be).
type User struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        Role      `json:"role"`
	StaffID     *int64    `json:"staff_id"`
	OrgUnitID   *int64    `json:"org_unit_id"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

// UserInput creates a console account.
type UserInput struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name,omitempty"`
	Password    string `json:"password"`
	Role        Role   `json:"role"`
	StaffID     int64  `json:"staff_id,omitempty"`
	OrgUnitID   int64  `json:"org_unit_id,omitempty"`
}

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]{2,64}$`)

// Password rules: long enough to matter, short enough not to be a denial of service on argon2.
const (
	minPassword = 8
	maxPassword = 128
)

func checkNewPassword(v *httpx.Validator, field, pw string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case n == 0:
		v.Add(field, "required")
	case n < minPassword:
		v.AddLimit(field, "too_short", minPassword)
	case n > maxPassword:
		v.AddLimit(field, "too_long", maxPassword)
	}
}

// CreateUser adds a console account in the caller's tenant. A role can only be granted by a
// caller allowed to grant it; managers need a unit and guides a staff record.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (User, error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return User{}, err
	}
	if !c.Role.MayGrant(in.Role) && in.Role.Valid() {
		return User{}, &httpx.Error{Code: httpx.Forbidden, Key: "role_not_grantable",
			Fields: map[string]httpx.FieldError{"role": {Code: "not_allowed"}}}
	}
	return s.createUser(ctx, c.TenantID, in)
}

// CreateUserInTenant is the operator path (CLI, demo): no caller, any role.
func (s *Service) CreateUserInTenant(ctx context.Context, tenantSlug string, in UserInput) (User, error) {
	t, err := s.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		return User{}, err
	}
	return s.createUser(ctx, t.ID, in)
}

func (s *Service) createUser(ctx context.Context, tenantID int64, in UserInput) (User, error) {
	var v httpx.Validator
	username := strings.TrimSpace(in.Username)
	v.Check(usernameRE.MatchString(username), "username", "invalid")
	display := v.Text("display_name", in.DisplayName, false, 32)
	if display == "" {
		display = username
	}
	checkNewPassword(&v, "password", in.Password)
	v.OneOf("role", string(in.Role), roleNames()...)
	v.Check(in.Role != Manager || in.OrgUnitID > 0, "org_unit_id", "required")
	v.Check(in.Role != Guide || in.StaffID > 0, "staff_id", "required")
	if err := v.Err(); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(s.hash, in.Password)
	if err != nil {
		return User{}, err
	}
	var out User
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var staffID, unitID *int64
		if in.StaffID > 0 {
			if _, _, err := loadStaff(ctx, tx, tenantID, in.StaffID); err != nil {
				return hidden(err, false, httpx.FieldErr("staff_id", "not_found"))
			}
			staffID = &in.StaffID
		}
		if in.OrgUnitID > 0 {
			if _, err := loadUnit(ctx, tx, tenantID, in.OrgUnitID); err != nil {
				return hidden(err, false, httpx.FieldErr("org_unit_id", "not_found"))
			}
			unitID = &in.OrgUnitID
		}
		now := s.clock()
		out = User{Username: username, DisplayName: display, Role: in.Role, StaffID: staffID, OrgUnitID: unitID, CreatedAt: now}
		err := tx.QueryRowContext(ctx, `INSERT INTO users (tenant_id, username, display_name, password_hash, role, staff_id, org_unit_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			tenantID, username, display, hash, string(in.Role), staffID, unitID, now, now).Scan(&out.ID)
		if store.IsUniqueViolation(err) {
			return httpx.FieldErr("username", "taken")
		}
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("org: create user %s: %w", username, err)
	}
	return out, nil
}

func roleNames() []string {
	out := make([]string, len(Roles))
	for i, r := range Roles {
		out[i] = string(r)
	}
	return out
}

// ListUsers returns a page of the tenant's console accounts.
func (s *Service) ListUsers(ctx context.Context, page httpx.PageRequest) (httpx.Page[User], error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return httpx.Page[User]{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, username, display_name, role, staff_id, org_unit_id, disabled, created_at
		FROM users WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`, c.TenantID, page.After, page.Limit+1)
	if err != nil {
		return httpx.Page[User]{}, fmt.Errorf("org: list users: %w", err)
	}
	defer rows.Close()
	var items []User
	for rows.Next() {
		var u User
		var staff, unit sql.NullInt64
		if err := rows.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &staff, &unit, &u.Disabled, &u.CreatedAt); err != nil {
			return httpx.Page[User]{}, fmt.Errorf("org: scan user: %w", err)
		}
		u.StaffID, u.OrgUnitID = nullID(staff), nullID(unit)
		items = append(items, u)
	}
	if err := rows.Err(); err != nil {
		return httpx.Page[User]{}, err
	}
	return httpx.MakePage(items, page.Limit, func(u User) int64 { return u.ID }), nil
}

func nullID(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

// UserPatch changes a console account; absent fields stay.
type UserPatch struct {
	DisplayName *string `json:"display_name,omitempty"`
	Role        *Role   `json:"role,omitempty"`
	OrgUnitID   *int64  `json:"org_unit_id,omitempty"`
	StaffID     *int64  `json:"staff_id,omitempty"`
	Disabled    *bool   `json:"disabled,omitempty"`
	// Password resets the password (for a user who forgot theirs).
	Password *string `json:"password,omitempty"`
}

// UpdateUser changes an account the caller may manage: its current and new role must both be
// grantable by the caller, and nobody disables or demotes themselves. Disabling, a role change
// or a password reset ends the account's sessions.
func (s *Service) UpdateUser(ctx context.Context, id int64, p UserPatch) (User, error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return User{}, err
	}
	var v httpx.Validator
	if p.DisplayName != nil {
		*p.DisplayName = v.Text("display_name", *p.DisplayName, true, 32)
	}
	if p.Role != nil {
		v.OneOf("role", string(*p.Role), roleNames()...)
	}
	if p.Password != nil {
		checkNewPassword(&v, "password", *p.Password)
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	if p.Role != nil && !c.Role.MayGrant(*p.Role) {
		return User{}, &httpx.Error{Code: httpx.Forbidden, Key: "role_not_grantable", Fields: map[string]httpx.FieldError{"role": {Code: "not_allowed"}}}
	}
	if id == c.UserID && (p.Role != nil || (p.Disabled != nil && *p.Disabled)) {
		return User{}, &httpx.Error{Code: httpx.Forbidden, Message: "you cannot change your own role or disable yourself"}
	}
	var hash string
	if p.Password != nil {
		if hash, err = HashPassword(s.hash, *p.Password); err != nil {
			return User{}, err
		}
	}
	var out User
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		u, err := loadUser(ctx, tx, c.TenantID, id)
		if err != nil {
			return err
		}
		if !c.Role.MayGrant(u.Role) {
			return &httpx.Error{Code: httpx.Forbidden, Key: "role_not_grantable"}
		}
		endSessions := p.Password != nil || (p.Role != nil && *p.Role != u.Role) || (p.Disabled != nil && *p.Disabled && !u.Disabled)
		if p.DisplayName != nil {
			u.DisplayName = *p.DisplayName
		}
		if p.Role != nil {
			u.Role = *p.Role
		}
		if p.Disabled != nil {
			u.Disabled = *p.Disabled
		}
		if p.OrgUnitID != nil {
			if _, err := loadUnit(ctx, tx, c.TenantID, *p.OrgUnitID); err != nil {
				return hidden(err, false, httpx.FieldErr("org_unit_id", "not_found"))
			}
			u.OrgUnitID = p.OrgUnitID
		}
		if p.StaffID != nil {
			if _, _, err := loadStaff(ctx, tx, c.TenantID, *p.StaffID); err != nil {
				return hidden(err, false, httpx.FieldErr("staff_id", "not_found"))
			}
			u.StaffID = p.StaffID
		}
		var fields httpx.Validator
		fields.Check(u.Role != Manager || u.OrgUnitID != nil, "org_unit_id", "required")
		fields.Check(u.Role != Guide || u.StaffID != nil, "staff_id", "required")
		if err := fields.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET display_name = ?, role = ?, org_unit_id = ?, staff_id = ?, disabled = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, u.DisplayName, string(u.Role), u.OrgUnitID, u.StaffID, u.Disabled, s.clock(), c.TenantID, id); err != nil {
			return err
		}
		if hash != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE tenant_id = ? AND id = ?`, hash, c.TenantID, id); err != nil {
				return err
			}
		}
		if endSessions {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?`, c.TenantID, id); err != nil {
				return err
			}
		}
		out = u
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("org: update user %d: %w", id, err)
	}
	return out, nil
}

func loadUser(ctx context.Context, q store.Querier, tenantID, id int64) (User, error) {
	var u User
	var staff, unit sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, username, display_name, role, staff_id, org_unit_id, disabled, created_at
		FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id).
		Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &staff, &unit, &u.Disabled, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, httpx.NotFoundf("user")
	}
	if err != nil {
		return User{}, fmt.Errorf("org: load user %d: %w", id, err)
	}
	u.StaffID, u.OrgUnitID = nullID(staff), nullID(unit)
	return u, nil
}
