package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
)

// APIToken is an integration credential: scoped to a tenant and a role (and, for managers and
// guides, a unit or staff member). Only a hash of the secret is stored.
type APIToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix" doc:"first characters of the secret, to recognise it"`
	Role       Role       `json:"role"`
	StaffID    *int64     `json:"staff_id"`
	OrgUnitID  *int64     `json:"org_unit_id"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// TokenInput creates a token.
type TokenInput struct {
	Name      string `json:"name"`
	Role      Role   `json:"role"`
	StaffID   int64  `json:"staff_id,omitempty"`
	OrgUnitID int64  `json:"org_unit_id,omitempty"`
}

// NewToken is the answer to a token creation: the only time the secret is shown.
type NewToken struct {
	Token  APIToken `json:"token"`
	Secret string   `json:"secret"`
}

// CreateToken makes an API token with a role the caller may grant.
func (s *Service) CreateToken(ctx context.Context, in TokenInput) (NewToken, error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return NewToken{}, err
	}
	var v httpx.Validator
	name := v.Text("name", in.Name, true, 64)
	v.OneOf("role", string(in.Role), roleNames()...)
	v.Check(in.Role != Manager || in.OrgUnitID > 0, "org_unit_id", "required")
	v.Check(in.Role != Guide || in.StaffID > 0, "staff_id", "required")
	if err := v.Err(); err != nil {
		return NewToken{}, err
	}
	if !c.Role.MayGrant(in.Role) {
		return NewToken{}, &httpx.Error{Code: httpx.Forbidden, Key: "role_not_grantable",
			Fields: map[string]httpx.FieldError{"role": {Code: "not_allowed"}}}
	}
	raw, _ := newSecret()
	secret := tokenPrefix + raw
	out := NewToken{Secret: secret}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		t := APIToken{Name: name, Prefix: secret[:12], Role: in.Role, CreatedAt: s.clock()}
		if in.StaffID > 0 {
			if _, _, err := loadStaff(ctx, tx, c.TenantID, in.StaffID); err != nil {
				return hidden(err, false, httpx.FieldErr("staff_id", "not_found"))
			}
			t.StaffID = &in.StaffID
		}
		if in.OrgUnitID > 0 {
			if _, err := loadUnit(ctx, tx, c.TenantID, in.OrgUnitID); err != nil {
				return hidden(err, false, httpx.FieldErr("org_unit_id", "not_found"))
			}
			t.OrgUnitID = &in.OrgUnitID
		}
		var createdBy *int64
		if c.UserID != 0 {
			createdBy = &c.UserID
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (tenant_id, name, token_hash, prefix, role, staff_id, org_unit_id, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.TenantID, name, hashSecret(secret), t.Prefix, string(t.Role), t.StaffID, t.OrgUnitID, createdBy, t.CreatedAt).Scan(&t.ID)
		out.Token = t
		return err
	})
	if err != nil {
		return NewToken{}, fmt.Errorf("org: create token: %w", err)
	}
	return out, nil
}

// ListTokens returns the tenant's live tokens (never their secrets).
func (s *Service) ListTokens(ctx context.Context, page httpx.PageRequest) (httpx.Page[APIToken], error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return httpx.Page[APIToken]{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, prefix, role, staff_id, org_unit_id, created_at, last_used_at
		FROM api_tokens WHERE tenant_id = ? AND revoked_at IS NULL AND id > ? ORDER BY id LIMIT ?`, c.TenantID, page.After, page.Limit+1)
	if err != nil {
		return httpx.Page[APIToken]{}, fmt.Errorf("org: list tokens: %w", err)
	}
	defer rows.Close()
	var items []APIToken
	for rows.Next() {
		var t APIToken
		var staff, unit sql.NullInt64
		var used sql.NullTime
		if err := rows.Scan(&t.ID, &t.Name, &t.Prefix, &t.Role, &staff, &unit, &t.CreatedAt, &used); err != nil {
			return httpx.Page[APIToken]{}, fmt.Errorf("org: scan token: %w", err)
		}
		t.StaffID, t.OrgUnitID = nullID(staff), nullID(unit)
		if used.Valid {
			t.LastUsedAt = &used.Time
		}
		items = append(items, t)
	}
	if err := rows.Err(); err != nil {
		return httpx.Page[APIToken]{}, err
	}
	return httpx.MakePage(items, page.Limit, func(t APIToken) int64 { return t.ID }), nil
}

// RevokeToken revokes a token of the caller's tenant.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	c, err := RequireCaller(ctx)
	if err != nil {
		return err
	}
	var role Role
	err = s.db.QueryRowContext(ctx, `SELECT role FROM api_tokens WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL`, c.TenantID, id).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return httpx.NotFoundf("token")
	}
	if err != nil {
		return fmt.Errorf("org: revoke token %d: %w", id, err)
	}
	// Whoever may not grant a role may not take it away either (admins and owner tokens).
	if !c.Role.MayGrant(role) {
		return &httpx.Error{Code: httpx.Forbidden, Key: "role_not_grantable"}
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL`,
		s.clock(), c.TenantID, id); err != nil {
		return fmt.Errorf("org: revoke token %d: %w", id, err)
	}
	return nil
}

// tokenCaller resolves a bearer token. last_used_at is written at most once a minute per token,
// so integrations do not turn every read into a write.
func (s *Service) tokenCaller(ctx context.Context, secret string) (Caller, error) {
	var c Caller
	var used sql.NullTime
	var revoked sql.NullTime
	var staffStatus string
	err := s.db.QueryRowContext(ctx, `SELECT t.id, t.slug, t.name, k.id, k.name, k.role, COALESCE(k.staff_id, 0), COALESCE(k.org_unit_id, 0),
		k.last_used_at, k.revoked_at, COALESCE(st.status, '')
		FROM api_tokens k JOIN tenants t ON t.id = k.tenant_id
		LEFT JOIN staff st ON st.tenant_id = k.tenant_id AND st.id = k.staff_id
		WHERE k.token_hash = ?`, hashSecret(secret)).
		Scan(&c.TenantID, &c.TenantSlug, &c.TenantName, &c.TokenID, &c.Username, &c.Role, &c.StaffID, &c.OrgUnitID, &used, &revoked, &staffStatus)
	// A guide's token dies with their employment, like their console login.
	if errors.Is(err, sql.ErrNoRows) || revoked.Valid || staffStatus == StaffResigned {
		return Caller{}, &httpx.Error{Code: httpx.Unauthorized, Key: "bad_token"}
	}
	if err != nil {
		return Caller{}, fmt.Errorf("org: token: %w", err)
	}
	c.Display = c.Username
	now := s.clock()
	if !used.Valid || now.Sub(used.Time) > time.Minute {
		if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE tenant_id = ? AND id = ?`, now, c.TenantID, c.TokenID); err != nil {
			s.log.WarnContext(ctx, "token last-used update failed", "err", err)
		}
	}
	return c, s.resolveScope(ctx, &c)
}
