package acquisition

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// codeByState finds the code (and the member, 0 for the code's own state) a WeCom state names.
func (s *Service) codeByState(ctx context.Context, q store.Querier, tenantID int64, state string) (codeID, staffID int64, err error) {
	err = q.QueryRowContext(ctx, `SELECT code_id, staff_id FROM acq_live_code_staff WHERE tenant_id = ? AND state = ?`, tenantID, state).Scan(&codeID, &staffID)
	if errors.Is(err, sql.ErrNoRows) {
		err = q.QueryRowContext(ctx, `SELECT id FROM acq_live_codes WHERE tenant_id = ? AND state = ?`, tenantID, state).Scan(&codeID)
	}
	if errors.Is(err, sql.ErrNoRows) && strings.HasPrefix(state, "lc") {
		// A member removed from the code since: their state still names the code.
		if code, _, ok := strings.Cut(state, "."); ok {
			err = q.QueryRowContext(ctx, `SELECT id FROM acq_live_codes WHERE tenant_id = ? AND state = ?`, tenantID, code).Scan(&codeID)
		}
	}
	return codeID, staffID, err
}

// Plan is what an add through a live code brings: its welcome message ({staff} filled in,
// {name} left for the customer package) and its auto tags.
type Plan struct {
	WelcomeText string
	Attachments []wecom.Attachment
	TagIDs      []int64
}

// PlanAdd returns the code's welcome message ({staff} filled in) and auto tags for an add
// through one of its states, or nil when the state is no code's (internal/app adapts it to
// customer.AddHandler).
func (s *Service) PlanAdd(ctx context.Context, tenantID int64, state, userID string) (*Plan, error) {
	if !strings.HasPrefix(state, "lc") {
		return nil, nil
	}
	codeID, _, err := s.codeByState(ctx, s.db, tenantID, state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("acquisition: code of state %q: %w", state, err)
	}
	var tags, welcome, staffName string
	if err := s.db.QueryRowContext(ctx, `SELECT lc.tag_ids, lc.welcome, COALESCE((SELECT name FROM staff WHERE tenant_id = lc.tenant_id AND wecom_userid = ?), '')
		FROM acq_live_codes lc WHERE lc.tenant_id = ? AND lc.id = ?`, userID, tenantID, codeID).Scan(&tags, &welcome, &staffName); err != nil {
		return nil, fmt.Errorf("acquisition: code %d: %w", codeID, err)
	}
	var p Plan
	var w Welcome
	if err := json.Unmarshal([]byte(tags), &p.TagIDs); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(welcome), &w); err != nil {
		return nil, err
	}
	p.WelcomeText = strings.ReplaceAll(w.Text, "{staff}", staffName)
	p.Attachments = w.Attachments
	return &p, nil
}

// Add is an add the customer package recorded, to attribute to a code by its state.
type Add struct {
	CustomerID int64
	UserID     string
	State      string
	AddedAt    time.Time
}

// Added counts an add through a code once: one row in acq_code_adds, and the member's adds of
// the day for the fewest-adds-today strategy. Adds whose state is no code's are ignored.
func (s *Service) Added(ctx context.Context, tenantID int64, a Add) error {
	var counted bool
	var codeID, staffID int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		counted = false
		var err error
		codeID, staffID, err = s.codeByState(ctx, tx, tenantID, a.State)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if staffID == 0 {
			err := tx.QueryRowContext(ctx, `SELECT id FROM staff WHERE tenant_id = ? AND wecom_userid = ?`, tenantID, a.UserID).Scan(&staffID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		day := Day(a.AddedAt)
		res, err := tx.ExecContext(ctx, `INSERT INTO acq_code_adds (tenant_id, code_id, customer_id, wecom_userid, staff_id, added_at, day)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, code_id, customer_id, wecom_userid, added_at) DO NOTHING`,
			tenantID, codeID, a.CustomerID, a.UserID, staffID, a.AddedAt, day)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // counted already (a retried event)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO acq_code_daily (tenant_id, code_id, staff_id, day, scans, adds) VALUES (?, ?, ?, ?, 0, 1)
			ON CONFLICT (tenant_id, code_id, staff_id, day) DO UPDATE SET adds = acq_code_daily.adds + 1`, tenantID, codeID, staffID, day)
		counted = err == nil
		return err
	})
	if err != nil {
		return fmt.Errorf("acquisition: count add through %q: %w", a.State, err)
	}
	if counted {
		s.scans.noteAdd(codeID, staffID, Day(a.AddedAt))
	}
	return nil
}
