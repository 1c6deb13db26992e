package acquisition

import (
	"context"
	"fmt"
	"strings"

	"github.com/siyu-scrm/siyu/internal/httpx"
)

// ChannelStates returns every contact-way state that ties an add to one of the channels: each
// code's own state and its staff members' states. Auto-tag rules ("came from channel Z") match
// customers' first add against them through customer.RuleFacts. A channel id that does not exist
// in the tenant is a NotFound error.
func (s *Service) ChannelStates(ctx context.Context, tenantID int64, channelIDs []int64) ([]string, error) {
	if len(channelIDs) == 0 {
		return nil, nil
	}
	in := "(?" + strings.Repeat(", ?", len(channelIDs)-1) + ")"
	args := []any{tenantID}
	for _, id := range channelIDs {
		args = append(args, id)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM acq_channels WHERE tenant_id = ? AND id IN `+in, args...).Scan(&n); err != nil {
		return nil, fmt.Errorf("acquisition: channel states: %w", err)
	}
	if n != len(channelIDs) {
		return nil, httpx.NotFoundf("channel")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.state FROM acq_live_codes c WHERE c.tenant_id = ? AND c.channel_id IN `+in+`
		UNION SELECT st.state FROM acq_live_code_staff st JOIN acq_live_codes c ON c.tenant_id = st.tenant_id AND c.id = st.code_id
		WHERE st.tenant_id = ? AND c.channel_id IN `+in, append(args, args...)...)
	if err != nil {
		return nil, fmt.Errorf("acquisition: channel states: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var st string
		if err := rows.Scan(&st); err != nil {
			return nil, fmt.Errorf("acquisition: channel states: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}
