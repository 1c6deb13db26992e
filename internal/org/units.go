package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Unit kinds. The tree may be any depth; kind only says what a node is (stores get store codes,
// branches roll up reports).
const (
	KindHQ         = "hq"
	KindBranch     = "branch"
	KindStore      = "store"
	KindDepartment = "department"
)

var unitKinds = []string{KindHQ, KindBranch, KindStore, KindDepartment}

// Unit is a node of a tenant's organisation tree.
type Unit struct {
	ID        int64     `json:"id"`
	ParentID  *int64    `json:"parent_id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	Path      string    `json:"path" doc:"materialised path of ids, e.g. /1/4/9/"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// UnitList is the whole visible tree, flat, parents before children.
type UnitList struct {
	Items []Unit `json:"items"`
}

// UnitInput creates a unit.
type UnitInput struct {
	ParentID int64  `json:"parent_id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
}

// UnitPatch changes a unit; absent fields stay.
type UnitPatch struct {
	ParentID *int64  `json:"parent_id,omitempty"`
	Name     *string `json:"name,omitempty"`
	Kind     *string `json:"kind,omitempty"`
}

const unitCols = `id, parent_id, name, kind, path, created_at, updated_at`

func scanUnit(row interface{ Scan(...any) error }) (Unit, error) {
	var u Unit
	var parent sql.NullInt64
	err := row.Scan(&u.ID, &parent, &u.Name, &u.Kind, &u.Path, &u.CreatedAt, &u.UpdatedAt)
	if parent.Valid {
		u.ParentID = &parent.Int64
	}
	return u, err
}

// ListUnits returns every unit the caller may see, ordered by path so parents come first.
func (s *Service) ListUnits(ctx context.Context) ([]Unit, error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := ScopeOf(c).UnitFilter("path")
	rows, err := s.db.QueryContext(ctx, `SELECT `+unitCols+` FROM org_units WHERE tenant_id = ? AND `+cond+` ORDER BY path`,
		append([]any{c.TenantID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("org: list units: %w", err)
	}
	defer rows.Close()
	out := []Unit{}
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("org: scan unit: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// GetUnit returns one unit in the caller's scope.
func (s *Service) GetUnit(ctx context.Context, id int64) (Unit, error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return Unit{}, err
	}
	u, err := loadUnit(ctx, s.db, c.TenantID, id)
	if err != nil {
		return Unit{}, err
	}
	if !ScopeOf(c).CoversUnit(u.Path) {
		return Unit{}, httpx.NotFoundf("org unit")
	}
	return u, nil
}

func loadUnit(ctx context.Context, q store.Querier, tenantID, id int64) (Unit, error) {
	u, err := scanUnit(q.QueryRowContext(ctx, `SELECT `+unitCols+` FROM org_units WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Unit{}, httpx.NotFoundf("org unit")
	}
	if err != nil {
		return Unit{}, fmt.Errorf("org: load unit %d: %w", id, err)
	}
	return u, nil
}

// CreateUnit adds a unit under a parent the caller may manage.
func (s *Service) CreateUnit(ctx context.Context, in UnitInput) (Unit, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return Unit{}, err
	}
	var v httpx.Validator
	name := v.Text("name", in.Name, true, 64)
	v.OneOf("kind", in.Kind, KindBranch, KindStore, KindDepartment)
	if in.ParentID <= 0 {
		v.Add("parent_id", "required")
	}
	if err := v.Err(); err != nil {
		return Unit{}, err
	}
	var out Unit
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockTree(ctx, tx, c.TenantID); err != nil {
			return err
		}
		parent, err := loadUnit(ctx, tx, c.TenantID, in.ParentID)
		if err := hidden(err, sc.CoversUnit(parent.Path), httpx.FieldErr("parent_id", "not_found")); err != nil {
			return err
		}
		id, err := insertUnit(ctx, tx, c.TenantID, &parent.ID, parent.Path, name, in.Kind, s.clock())
		if store.IsUniqueViolation(err) {
			return httpx.FieldErr("name", "taken")
		}
		if err != nil {
			return err
		}
		out, err = loadUnit(ctx, tx, c.TenantID, id)
		return err
	})
	if err != nil {
		return Unit{}, fmt.Errorf("org: create unit: %w", err)
	}
	return out, nil
}

func insertUnit(ctx context.Context, tx *store.Tx, tenantID int64, parentID *int64, parentPath, name, kind string, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx,
		`INSERT INTO org_units (tenant_id, parent_id, name, kind, path, created_at, updated_at)
		 VALUES (?, ?, ?, ?, '', ?, ?) RETURNING id`,
		tenantID, parentID, name, kind, now, now).Scan(&id)
	if err != nil {
		return 0, err
	}
	if parentPath == "" {
		parentPath = "/"
	}
	_, err = tx.ExecContext(ctx, `UPDATE org_units SET path = ? WHERE tenant_id = ? AND id = ?`,
		parentPath+strconv.FormatInt(id, 10)+"/", tenantID, id)
	return id, err
}

// UpdateUnit renames, re-kinds or moves a unit. Moving rewrites the paths of its whole subtree in
// the same transaction.
func (s *Service) UpdateUnit(ctx context.Context, id int64, p UnitPatch) (Unit, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return Unit{}, err
	}
	var v httpx.Validator
	if p.Name != nil {
		*p.Name = v.Text("name", *p.Name, true, 64)
	}
	if p.Kind != nil {
		v.OneOf("kind", *p.Kind, unitKinds...)
	}
	if err := v.Err(); err != nil {
		return Unit{}, err
	}
	var out Unit
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockTree(ctx, tx, c.TenantID); err != nil {
			return err
		}
		u, err := loadUnit(ctx, tx, c.TenantID, id)
		if err := hidden(err, sc.CoversUnit(u.Path), httpx.NotFoundf("org unit")); err != nil {
			return err
		}
		isRoot := u.ParentID == nil
		if !sc.All && u.Path == sc.OrgPath && (p.ParentID != nil) {
			return &httpx.Error{Code: httpx.Forbidden, Key: "outside_scope"}
		}
		if p.Kind != nil && (*p.Kind == KindHQ) != isRoot {
			return httpx.FieldErr("kind", "not_allowed")
		}
		now := s.clock()
		if p.Name != nil || p.Kind != nil {
			name, kind := u.Name, u.Kind
			if p.Name != nil {
				name = *p.Name
			}
			if p.Kind != nil {
				kind = *p.Kind
			}
			_, err := tx.ExecContext(ctx, `UPDATE org_units SET name = ?, kind = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
				name, kind, now, c.TenantID, id)
			if store.IsUniqueViolation(err) {
				return httpx.FieldErr("name", "taken")
			}
			if err != nil {
				return err
			}
		}
		if p.ParentID != nil && (u.ParentID == nil || *p.ParentID != *u.ParentID) {
			if isRoot {
				return &httpx.Error{Code: httpx.Conflict, Key: "unit_is_root", Message: "the root unit cannot move",
					Fields: map[string]httpx.FieldError{"parent_id": {Code: "not_allowed"}}}
			}
			parent, err := loadUnit(ctx, tx, c.TenantID, *p.ParentID)
			if err := hidden(err, sc.CoversUnit(parent.Path), httpx.FieldErr("parent_id", "not_found")); err != nil {
				return err
			}
			if len(parent.Path) >= len(u.Path) && parent.Path[:len(u.Path)] == u.Path {
				return &httpx.Error{Code: httpx.Invalid, Key: "unit_cycle", Message: "a unit cannot move under itself",
					Fields: map[string]httpx.FieldError{"parent_id": {Code: "not_allowed"}}}
			}
			newPath := parent.Path + strconv.FormatInt(id, 10) + "/"
			if _, err := tx.ExecContext(ctx,
				`UPDATE org_units SET path = ? || substr(path, ?), updated_at = ? WHERE tenant_id = ? AND path LIKE ?`,
				newPath, len(u.Path)+1, now, c.TenantID, u.Path+"%"); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE org_units SET parent_id = ? WHERE tenant_id = ? AND id = ?`, parent.ID, c.TenantID, id)
			if store.IsUniqueViolation(err) {
				return httpx.FieldErr("name", "taken")
			}
			if err != nil {
				return err
			}
		}
		out, err = loadUnit(ctx, tx, c.TenantID, id)
		return err
	})
	if err != nil {
		return Unit{}, fmt.Errorf("org: update unit %d: %w", id, err)
	}
	return out, nil
}

// DeleteUnit removes an empty unit (no sub-units, no staff, no users bound to it).
func (s *Service) DeleteUnit(ctx context.Context, id int64) error {
	c, sc, err := writer(ctx)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockTree(ctx, tx, c.TenantID); err != nil {
			return err
		}
		u, err := loadUnit(ctx, tx, c.TenantID, id)
		if err := hidden(err, sc.CoversUnit(u.Path), httpx.NotFoundf("org unit")); err != nil {
			return err
		}
		if u.ParentID == nil || (!sc.All && u.Path == sc.OrgPath) {
			return &httpx.Error{Code: httpx.Conflict, Key: "unit_is_root", Message: "the root unit cannot be deleted"}
		}
		var n int
		err = tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM org_units WHERE tenant_id = ? AND parent_id = ?) +
			(SELECT COUNT(*) FROM staff WHERE tenant_id = ? AND org_unit_id = ?) +
			(SELECT COUNT(*) FROM users WHERE tenant_id = ? AND org_unit_id = ?) +
			(SELECT COUNT(*) FROM api_tokens WHERE tenant_id = ? AND org_unit_id = ? AND revoked_at IS NULL)`,
			c.TenantID, id, c.TenantID, id, c.TenantID, id, c.TenantID, id).Scan(&n)
		if err != nil {
			return err
		}
		if n > 0 {
			return &httpx.Error{Code: httpx.Conflict, Key: "unit_not_empty", Message: "the unit still has sub-units, staff, users or API tokens"}
		}
		// Revoked tokens keep their history but let go of the unit.
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET org_unit_id = NULL WHERE tenant_id = ? AND org_unit_id = ?`, c.TenantID, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM org_units WHERE tenant_id = ? AND id = ?`, c.TenantID, id)
		if store.IsForeignKeyViolation(err) {
			return &httpx.Error{Code: httpx.Conflict, Key: "unit_not_empty", Message: "something still refers to the unit", Err: err}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("org: delete unit %d: %w", id, err)
	}
	return nil
}

// lockTree serialises changes to one tenant's tree. Moves and creations read paths and then write
// paths derived from them; on PostgreSQL two such transactions could otherwise interleave and
// build a cycle or a child under a stale prefix. SQLite has one writer and begins transactions
// IMMEDIATE, which already serialises them.
func lockTree(ctx context.Context, tx *store.Tx, tenantID int64) error {
	if tx.Dialect() != store.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT id FROM tenants WHERE id = ? FOR UPDATE`, tenantID)
	if err != nil {
		return fmt.Errorf("org: lock tree of tenant %d: %w", tenantID, err)
	}
	return nil
}
