// Package audit records who did what that must be accounted for — exports of personal data
// first — in the audit_log table: tenant, user (or the actor for API tokens and the CLI), action,
// a JSON detail and the time. Any capability writes to it through Record; it holds no rules about
// what to record.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
)

// Entry is one audit record.
type Entry struct {
	ID       int64 `json:"id"`
	TenantID int64 `json:"-"`
	// UserID is the console user, 0 for API tokens and the CLI.
	UserID int64 `json:"user_id"`
	// Actor names who acted: a username, "token:ID" or "cli".
	Actor  string `json:"actor"`
	Action string `json:"action" doc:"e.g. customer.export"`
	// Detail is marshalled to a JSON object.
	Detail    any       `json:"detail"`
	CreatedAt time.Time `json:"created_at"`
}

// Record writes e (on q, so it can share the transaction of what it records). CreatedAt is set
// to now when zero.
func Record(ctx context.Context, q store.Querier, e Entry) error {
	detail := []byte("{}")
	if e.Detail != nil {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("audit: %s detail: %w", e.Action, err)
		}
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	}
	var user any
	if e.UserID != 0 {
		user = e.UserID
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO audit_log (tenant_id, user_id, actor, action, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		e.TenantID, user, e.Actor, e.Action, string(detail), e.CreatedAt); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// List returns a tenant's latest entries (newest first), at most limit, optionally of one action.
func List(ctx context.Context, q store.Querier, tenantID int64, action string, limit int) ([]Entry, error) {
	query := `SELECT id, COALESCE(user_id, 0), actor, action, detail, created_at FROM audit_log WHERE tenant_id = ?`
	args := []any{tenantID}
	if action != "" {
		query += ` AND action = ?`
		args = append(args, action)
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e := Entry{TenantID: tenantID}
		var detail string
		if err := rows.Scan(&e.ID, &e.UserID, &e.Actor, &e.Action, &detail, &e.CreatedAt); err != nil {
			return nil, err
		}
		e.Detail = json.RawMessage(detail)
		out = append(out, e)
	}
	return out, rows.Err()
}
