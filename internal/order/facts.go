package order

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SpentAtLeast returns the customers (of only, or of the whole tenant when only is nil) whose
// orders paid since the given time add up to at least minFen net of refunds. Auto-tag rules
// ("spent ≥ X in 90 days") ask it through customer.RuleFacts.
func (s *Service) SpentAtLeast(ctx context.Context, tenantID, minFen int64, since time.Time, only []int64) ([]int64, error) {
	q := `SELECT customer_id FROM orders WHERE tenant_id = ? AND customer_id IS NOT NULL AND paid_at >= ?`
	args := []any{tenantID, since.UTC()}
	if only != nil {
		if len(only) == 0 {
			return nil, nil
		}
		q += ` AND customer_id IN (?` + strings.Repeat(", ?", len(only)-1) + `)`
		for _, id := range only {
			args = append(args, id)
		}
	}
	rows, err := s.db.QueryContext(ctx, q+` GROUP BY customer_id HAVING SUM(paid_fen - refund_fen) >= ? ORDER BY customer_id`,
		append(args, minFen)...)
	if err != nil {
		return nil, fmt.Errorf("order: customers who spent %d: %w", minFen, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("order: customers who spent %d: %w", minFen, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
