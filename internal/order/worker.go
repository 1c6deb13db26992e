package order

import (
	"context"
	"fmt"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
)

// Start runs the background passes until ctx ends: BindPending for every tenant with unbound
// orders every bindEvery, and Recompute (RFM needs the whole population, and lifecycle stages move
// with time) for every tenant with orders every recomputeEvery, when it also forgets Idempotency-Keys
// older than a week. Each pass is idempotent, so
// replicas running it at once only repeat work. A bind pass costs one identity lookup per unbound
// order with a phone or nick (index seeks), so a tenant with a million orders whose buyers never
// become customers pays about a second per pass.
func (s *Service) Start(ctx context.Context, bindEvery, recomputeEvery time.Duration) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		bind := time.NewTicker(bindEvery)
		defer bind.Stop()
		recompute := time.NewTicker(recomputeEvery)
		defer recompute.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-bind.C:
				s.eachTenant(ctx, `SELECT t.id FROM tenants t WHERE EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = t.id AND o.customer_id IS NULL)`, func(id int64) error {
					_, err := s.BindPending(ctx, id)
					return err
				})
			case <-recompute.C:
				s.eachTenant(ctx, `SELECT t.id FROM tenants t WHERE EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = t.id)`, func(id int64) error {
					if _, err := s.Recompute(ctx, id); err != nil {
						return err
					}
					return s.predictDaily(ctx, id)
				})
				// Idempotency keys answer repeats for a week.
				if _, err := s.db.ExecContext(ctx, `DELETE FROM order_idempotency WHERE created_at < ?`, s.clock().Add(-7*24*time.Hour)); err != nil && ctx.Err() == nil {
					s.log.Warn("order pass: expire idempotency keys", "err", err)
				}
			}
		}
	}()
}

// predictDaily refits the CLV models when the last fit is a day old (a fit reads every order,
// and a day moves predictions little). A tenant with too few buyers is not an error.
func (s *Service) predictDaily(ctx context.Context, tenantID int64) error {
	fit, err := s.Model(ctx, tenantID)
	if err == nil && s.clock().Sub(fit.FittedAt) < 24*time.Hour {
		return nil
	}
	if err != nil && httpx.ErrorCode(err) != httpx.NotFound {
		return err
	}
	if _, err := s.Predict(ctx, tenantID); err != nil && httpx.ErrorCode(err) != httpx.Conflict {
		return err
	}
	return nil
}

// Wait returns when the background passes have stopped.
func (s *Service) Wait() { s.wg.Wait() }

func (s *Service) eachTenant(ctx context.Context, q string, fn func(int64) error) {
	ids, err := s.tenants(ctx, q)
	if err != nil {
		s.log.Warn("order pass: list tenants", "err", err)
		return
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		if err := fn(id); err != nil && ctx.Err() == nil {
			s.log.Warn("order pass failed", "tenant_id", id, "err", err)
		}
	}
}

func (s *Service) tenants(ctx context.Context, q string) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("order: tenants: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
