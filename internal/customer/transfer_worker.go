package customer

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// The transfer worker: it submits pending customers, polls transfer_result for waiting ones,
// and applies takeovers (see transfer.go for the rules).

func (s *Service) wakeTransfers() {
	if s.ext.wake == nil {
		return
	}
	select {
	case s.ext.wake <- struct{}{}:
	default:
	}
}

// StartTransfers runs the transfer worker until ctx ends; WaitTransfers returns once it stopped.
func (s *Service) StartTransfers(ctx context.Context) {
	if s.ext.workers == nil {
		return
	}
	s.ext.workers.Go(func() { s.transferLoop(ctx) })
}

// WaitTransfers blocks until the worker started by StartTransfers has returned.
func (s *Service) WaitTransfers() {
	if s.ext.workers != nil {
		s.ext.workers.Wait()
	}
}

func (s *Service) transferLoop(ctx context.Context) {
	t := time.NewTicker(s.ext.transfers.PollEvery)
	defer t.Stop()
	for {
		n, err := s.ProcessTransfers(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("customer transfers", "err", err)
		}
		if n > 0 && ctx.Err() == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.ext.wake:
		case <-t.C:
		}
	}
}

const transferLease = 5 * time.Minute

const (
	claimTransferPostgres = `UPDATE customer_transfers SET claimed_until = ?, claim_token = ?
		WHERE id = (SELECT id FROM customer_transfers WHERE status = 'running' AND next_run_at <= ?
			AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING id, tenant_id, kind, handover_userid, takeover_userid, message, to_staff_id`
	claimTransferSQLite = `UPDATE customer_transfers SET claimed_until = ?, claim_token = ?
		WHERE id = (SELECT id FROM customer_transfers WHERE status = 'running' AND next_run_at <= ?
			AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_run_at, id LIMIT 1)
		RETURNING id, tenant_id, kind, handover_userid, takeover_userid, message, to_staff_id`
)

type claimedTransfer struct {
	id, tenantID             int64
	kind, handover, takeover string
	message                  string
	toStaffID                int64
	token                    string
}

// ProcessTransfers works through the transfers that are due, one at a time, and returns how
// many it handled. Replicas share the work: each transfer is claimed for a lease.
func (s *Service) ProcessTransfers(ctx context.Context) (int, error) {
	n := 0
	for n < 20 && ctx.Err() == nil {
		t, ok, err := s.claimTransfer(ctx)
		if err != nil || !ok {
			return n, err
		}
		n++
		if err := s.runTransfer(ctx, t); err != nil {
			return n, err
		}
	}
	return n, ctx.Err()
}

func (s *Service) claimTransfer(ctx context.Context) (claimedTransfer, bool, error) {
	now := s.clock()
	q := claimTransferSQLite
	if s.db.Dialect() == store.Postgres {
		q = claimTransferPostgres
	}
	t := claimedTransfer{token: claimToken()}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, q, now.Add(transferLease), t.token, now, now).Scan(&t.id, &t.tenantID, &t.kind,
			&t.handover, &t.takeover, &t.message, &t.toStaffID)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("customer: claim transfer: %w", err)
	}
	return t, true, nil
}

type dueItem struct {
	cid       int64
	ext       string
	attempts  int
	submitted sql.NullTime
}

func (s *Service) dueItems(ctx context.Context, t claimedTransfer, status string, now time.Time) ([]dueItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT customer_id, external_userid, attempts, submitted_at FROM customer_transfer_items
		WHERE tenant_id = ? AND transfer_id = ? AND status = ? AND next_check_at <= ? ORDER BY customer_id`, t.tenantID, t.id, status, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dueItem
	for rows.Next() {
		var d dueItem
		if err := rows.Scan(&d.cid, &d.ext, &d.attempts, &d.submitted); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// runTransfer submits the due pending customers, checks the due waiting ones, and schedules the
// transfer's next run (or marks it done).
func (s *Service) runTransfer(ctx context.Context, t claimedTransfer) error {
	now := s.clock()
	opts := s.ext.transfers
	client, cerr := s.wecom.Client(ctx, t.tenantID)
	pending, err := s.dueItems(ctx, t, ItemPending, now)
	if err != nil {
		return fmt.Errorf("customer: transfer %d: %w", t.id, err)
	}
	for start := 0; start < len(pending); start += wecom.MaxTransferCustomers {
		batch := pending[start:min(start+wecom.MaxTransferCustomers, len(pending))]
		var resp *wecom.TransferCustomerResponse
		err := cerr
		if err == nil {
			exts := make([]string, len(batch))
			for i, d := range batch {
				exts[i] = d.ext
			}
			req := wecom.TransferCustomerRequest{HandoverUserID: t.handover, TakeoverUserID: t.takeover, ExternalUserID: exts, TransferSuccessMsg: t.message}
			if t.kind == TransferResigned {
				resp, err = client.ResignedTransferCustomer(ctx, req)
			} else {
				resp, err = client.TransferCustomer(ctx, req)
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		codes := map[string]int{}
		if err == nil {
			for _, r := range resp.Customer {
				codes[r.ExternalUserID] = r.ErrCode
			}
		}
		if uerr := s.recordSubmissions(ctx, t, batch, codes, err, now); uerr != nil {
			return uerr
		}
	}
	waiting, err := s.dueItems(ctx, t, ItemWaiting, now)
	if err != nil {
		return fmt.Errorf("customer: transfer %d: %w", t.id, err)
	}
	if len(waiting) > 0 {
		statuses, err := map[string]transferResult(nil), cerr
		if err == nil {
			statuses, err = s.transferResults(ctx, client, t)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			s.log.Warn("customer transfer: results not read", "transfer", t.id, "err", err)
			if _, uerr := s.db.ExecContext(ctx, `UPDATE customer_transfer_items SET next_check_at = ? WHERE tenant_id = ? AND transfer_id = ?
				AND status = 'waiting' AND next_check_at <= ?`, now.Add(opts.RetryBase), t.tenantID, t.id, now); uerr != nil {
				return uerr
			}
		} else if err := s.recordResults(ctx, t, waiting, statuses, now); err != nil {
			return err
		}
	}
	return s.scheduleTransfer(ctx, t)
}

// recordSubmissions records what WeCom answered for one batch: per customer 0 → waiting;
// 40129 "customer already in a transfer" → waiting too, so transfer_result decides (it is ours
// when an earlier submission reached WeCom without an answer; another transfer's customer is
// never listed for our pair and fails as no_record after noRecordAfter); other codes → failed.
// A failed call fails the batch, or puts it back for later when the failure may pass.
func (s *Service) recordSubmissions(ctx context.Context, t claimedTransfer, batch []dueItem, codes map[string]int, callErr error, now time.Time) error {
	opts := s.ext.transfers
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, d := range batch {
			attempts := d.attempts + 1
			status, next, code, msg := ItemWaiting, now.Add(opts.CheckEvery), 0, ""
			var submitted any = now
			retry := false
			if callErr != nil {
				code, _ = wecom.ErrorCode(callErr)
				msg, retry = errorText(callErr), transferRetryable(callErr)
				submitted = nil
			} else if c, ok := codes[d.ext]; c == wecom.CodeCustomerInTransfer {
				code, msg = c, "customer_in_transfer"
			} else if !ok || c != 0 {
				code, submitted, msg = c, nil, wecom.Meaning(c)
				if !ok {
					msg = "no_record"
				}
				retry = c == wecom.CodeAlreadyInTransfer
			}
			if submitted == nil {
				status = ItemFailed
				if retry && attempts < opts.MaxAttempts {
					status, next = ItemPending, now.Add(time.Duration(attempts*attempts)*opts.RetryBase)
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE customer_transfer_items SET status = ?, attempts = ?, errcode = ?, error = ?,
				next_check_at = ?, submitted_at = COALESCE(?, submitted_at), updated_at = ?
				WHERE tenant_id = ? AND transfer_id = ? AND customer_id = ? AND status = 'pending'`,
				status, attempts, code, msg, next, submitted, now, t.tenantID, t.id, d.cid); err != nil {
				return err
			}
		}
		return nil
	})
}

type transferResult struct {
	status       int
	takeoverTime int64
}

// transferResults reads every outcome between the transfer's two members; for a customer
// transferred between them more than once, the last one counts.
func (s *Service) transferResults(ctx context.Context, client *wecom.Client, t claimedTransfer) (map[string]transferResult, error) {
	out := map[string]transferResult{}
	for cursor := ""; ; {
		req := wecom.TransferResultRequest{HandoverUserID: t.handover, TakeoverUserID: t.takeover, Cursor: cursor}
		var page *wecom.TransferResultResponse
		var err error
		if t.kind == TransferResigned {
			page, err = client.ResignedTransferResult(ctx, req)
		} else {
			page, err = client.TransferResult(ctx, req)
		}
		if err != nil {
			return nil, err
		}
		for _, c := range page.Customer {
			out[c.ExternalUserID] = transferResult{c.Status, c.TakeoverTime}
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

// recordResults applies transfer_result to the waiting customers: done → succeeded and the
// relation moves; refused → rejected; over the limit → failed; still waiting → checked again
// later; unknown for longer than noRecordAfter → failed.
func (s *Service) recordResults(ctx context.Context, t claimedTransfer, waiting []dueItem, results map[string]transferResult, now time.Time) error {
	opts := s.ext.transfers
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, d := range waiting {
			r, ok := results[d.ext]
			status, msg, next := ItemWaiting, "", now.Add(opts.CheckEvery)
			var took any
			switch {
			case ok && r.status == wecom.TransferDone:
				at := time.Unix(r.takeoverTime, 0).UTC()
				if r.takeoverTime == 0 {
					at = now
				}
				status, took = ItemSucceeded, at
				if err := s.applyTakeover(ctx, tx, t, d.cid, at, now); err != nil {
					return err
				}
			case ok && r.status == wecom.TransferRefused:
				status, msg = ItemRejected, wecom.FailReasonCustomerRefused
			case ok && r.status == wecom.TransferLimitExceeded:
				status, msg = ItemFailed, wecom.FailReasonCustomerLimitExceed
			case ok && r.status == wecom.TransferWaiting:
			case d.submitted.Valid && now.Sub(d.submitted.Time) > noRecordAfter:
				status, msg = ItemFailed, "no_record"
			}
			if _, err := tx.ExecContext(ctx, `UPDATE customer_transfer_items SET status = ?, error = ?, next_check_at = ?,
				takeover_at = COALESCE(?, takeover_at), updated_at = ? WHERE tenant_id = ? AND transfer_id = ? AND customer_id = ? AND status = 'waiting'`,
				status, msg, next, took, now, t.tenantID, t.id, d.cid); err != nil {
				return err
			}
		}
		return nil
	})
}

// applyTakeover moves a taken-over customer in Siyu: the handover's relation ends, the
// takeover's is active (with the handover's remark, description and state), and the timeline
// says so. WeCom's add/delete events for the same change find the rows already so.
func (s *Service) applyTakeover(ctx context.Context, tx *store.Tx, t claimedTransfer, cid int64, at, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE customer_staff SET status = ?, status_at = ?
		WHERE tenant_id = ? AND customer_id = ? AND wecom_userid = ? AND status = ? AND status_at <= ?`,
		RelationRemoved, at, t.tenantID, cid, t.handover, RelationActive, at); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO customer_staff (tenant_id, customer_id, wecom_userid, staff_id, remark, description, state, add_way, added_at, status, status_at)
		SELECT tenant_id, customer_id, ?, ?, remark, description, state, ?, ?, 'active', ? FROM customer_staff
		WHERE tenant_id = ? AND customer_id = ? AND wecom_userid = ?
		ON CONFLICT (tenant_id, customer_id, wecom_userid) DO UPDATE SET staff_id = excluded.staff_id,
			added_at = CASE WHEN customer_staff.status <> 'active' AND excluded.added_at > customer_staff.status_at THEN excluded.added_at ELSE customer_staff.added_at END,
			status = CASE WHEN customer_staff.status <> 'active' AND excluded.added_at > customer_staff.status_at THEN 'active' ELSE customer_staff.status END,
			status_at = CASE WHEN customer_staff.status <> 'active' AND excluded.added_at > customer_staff.status_at THEN excluded.added_at ELSE customer_staff.status_at END`,
		t.takeover, t.toStaffID, wecom.AddWayAssigned, at, at, t.tenantID, cid, t.handover); err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]any{"transfer_id": t.id, "kind": t.kind, "from": t.handover, "to": t.takeover})
	return appendEvent(ctx, tx, t.tenantID, cid, EventTransferred, t.takeover, string(detail),
		fmt.Sprintf("transfer:%d:%d", t.id, cid), at, now)
}

// scheduleTransfer sets the next run to the earliest due customer, or marks the transfer done,
// and gives up the claim.
func (s *Service) scheduleTransfer(ctx context.Context, t claimedTransfer) error {
	now := s.clock()
	var next sql.NullTime
	// ORDER BY … LIMIT 1 rather than MIN(): SQLite returns an aggregate of a timestamp as text.
	err := s.db.QueryRowContext(ctx, `SELECT next_check_at FROM customer_transfer_items WHERE tenant_id = ? AND transfer_id = ?
		AND status IN ('pending', 'waiting') ORDER BY next_check_at LIMIT 1`, t.tenantID, t.id).Scan(&next)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("customer: schedule transfer %d: %w", t.id, err)
	}
	if next.Valid {
		_, err = s.db.ExecContext(ctx, `UPDATE customer_transfers SET next_run_at = ?, claimed_until = NULL, updated_at = ?
			WHERE tenant_id = ? AND id = ? AND claim_token = ?`, next.Time, now, t.tenantID, t.id, t.token)
	} else {
		_, err = s.db.ExecContext(ctx, `UPDATE customer_transfers SET status = 'done', finished_at = ?, claimed_until = NULL, updated_at = ?
			WHERE tenant_id = ? AND id = ? AND claim_token = ?`, now, now, t.tenantID, t.id, t.token)
	}
	if err != nil {
		return fmt.Errorf("customer: schedule transfer %d: %w", t.id, err)
	}
	return nil
}

// transferRetryable says whether a failed transfer call may succeed later unchanged.
func transferRetryable(err error) bool {
	var apiErr *wecom.APIError
	if errors.As(err, &apiErr) {
		return wecom.IsRetryable(err) || wecom.IsTokenExpired(err)
	}
	if e := (*httpx.Error)(nil); errors.As(err, &e) {
		return e.Code == httpx.Internal
	}
	return true // transport
}

func errorText(err error) string {
	var apiErr *wecom.APIError
	if errors.As(err, &apiErr) {
		return wecom.Meaning(apiErr.Code)
	}
	if e := (*httpx.Error)(nil); errors.As(err, &e) && e.Key != "" {
		return e.Key
	}
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return msg
}

func claimToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
