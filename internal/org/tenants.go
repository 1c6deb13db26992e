package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Tenant is a brand: one WeCom corp, one organisation tree, its own customers.
type Tenant struct {
	ID        int64     `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

// CreateTenant creates a tenant with its root unit (总部). It is an operator action (CLI, demo),
// not an API route: tenants do not create each other.
func (s *Service) CreateTenant(ctx context.Context, slug, name string) (Tenant, error) {
	var v httpx.Validator
	if !slugRE.MatchString(slug) {
		v.Add("slug", "invalid")
	}
	name = v.Text("name", name, true, 64)
	if err := v.Err(); err != nil {
		return Tenant{}, err
	}
	now := s.clock()
	t := Tenant{Slug: slug, Name: name, CreatedAt: now}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx,
			`INSERT INTO tenants (slug, name, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id`,
			slug, name, now, now).Scan(&t.ID)
		if store.IsUniqueViolation(err) {
			return &httpx.Error{Code: httpx.Conflict, Key: "tenant_taken", Message: "tenant " + slug + " exists",
				Fields: map[string]httpx.FieldError{"slug": {Code: "taken"}}}
		}
		if err != nil {
			return err
		}
		_, err = insertUnit(ctx, tx, t.ID, nil, "", "总部", KindHQ, now)
		return err
	})
	if err != nil {
		return Tenant{}, fmt.Errorf("org: create tenant %s: %w", slug, err)
	}
	return t, nil
}

// TenantBySlug finds a tenant; NotFound when there is none.
func (s *Service) TenantBySlug(ctx context.Context, slug string) (Tenant, error) {
	var t Tenant
	err := s.db.QueryRowContext(ctx, `SELECT id, slug, name, created_at FROM tenants WHERE slug = ?`, slug).
		Scan(&t.ID, &t.Slug, &t.Name, &t.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Tenant{}, httpx.NotFoundf("tenant " + slug)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("org: tenant %s: %w", slug, err)
	}
	return t, nil
}

// CurrentTenant returns the caller's tenant.
func (s *Service) CurrentTenant(ctx context.Context) (Tenant, error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return Tenant{}, err
	}
	return s.TenantBySlug(ctx, c.TenantSlug)
}
