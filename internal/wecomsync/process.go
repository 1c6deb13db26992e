package wecomsync

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Event statuses.
const (
	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusDone       = "done"
	StatusFailed     = "failed"
)

const (
	claimBatch = 100
	// claimLease is how long a claimed event belongs to one worker; after it, another replica
	// may take it over (the first one crashed).
	claimLease = 5 * time.Minute
	pollEvery  = time.Second
)

// A pending event with claimed_until in the future is waiting out its retry backoff; a processing
// one whose claim has run out was abandoned by a crashed worker.
//
// Claiming differs by engine: PostgreSQL skips rows other replicas hold; SQLite has one writer,
// so a plain UPDATE … RETURNING is already exclusive.
const (
	claimPostgres = `UPDATE wecom_events SET status = 'processing', claimed_until = ?, claim_token = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM wecom_events
			WHERE (status = 'pending' OR status = 'processing') AND (claimed_until IS NULL OR claimed_until < ?)
			ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
		RETURNING id, tenant_id, payload, attempts`
	claimSQLite = `UPDATE wecom_events SET status = 'processing', claimed_until = ?, claim_token = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM wecom_events
			WHERE (status = 'pending' OR status = 'processing') AND (claimed_until IS NULL OR claimed_until < ?)
			ORDER BY id LIMIT ?)
		RETURNING id, tenant_id, payload, attempts`
)

type claimed struct {
	id, tenantID int64
	payload      string
	attempts     int
}

func (s *Service) processLoop(ctx context.Context) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		if time.Since(lastPrune) > time.Hour {
			if n, err := s.Prune(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("wecom events: prune", slog.Any("err", err))
			} else if n > 0 {
				s.log.Info("wecom events: pruned processed events", slog.Int64("rows", n))
			}
			lastPrune = time.Now()
		}
		n, err := s.ProcessPending(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("wecom event processing", slog.Any("err", err))
		}
		if n > 0 {
			continue // there may be more
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// ProcessPending claims one batch of stored events and processes them in order. It returns how
// many it claimed.
func (s *Service) ProcessPending(ctx context.Context) (int, error) {
	now := s.clock()
	q := claimSQLite
	if s.db.Dialect() == store.Postgres {
		q = claimPostgres
	}
	var batch []claimed
	// The token proves a claim is still ours when results are written: after a lease ran out,
	// another worker may have taken the events over.
	token := newToken()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, q, now.Add(claimLease), token, now, claimBatch)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c claimed
			if err := rows.Scan(&c.id, &c.tenantID, &c.payload, &c.attempts); err != nil {
				return err
			}
			batch = append(batch, c)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("wecomsync: claim events: %w", err)
	}
	// RETURNING does not promise order.
	slices.SortFunc(batch, func(a, b claimed) int { return cmp.Compare(a.id, b.id) })
	errs := s.dispatchAll(ctx, batch)
	if err := ctx.Err(); err != nil {
		// Shutting down: the failures are the cancellation's, not the events'. Their lease runs
		// out and the next start processes them again (handlers are idempotent).
		return 0, err
	}
	var done []any
	for i, c := range batch {
		if errs[i] != nil {
			s.retryLater(ctx, c, token, errs[i])
			continue
		}
		done = append(done, c.id)
	}
	// One statement marks the whole batch done: per-event commits would halve throughput on the
	// single SQLite writer.
	if len(done) > 0 {
		q := `UPDATE wecom_events SET status = 'done', processed_at = ?, claimed_until = NULL, last_error = ''
			WHERE claim_token = ? AND status = 'processing' AND id IN (?` + strings.Repeat(", ?", len(done)-1) + `)`
		if _, err := s.db.ExecContext(ctx, q, append([]any{s.clock(), token}, done...)...); err != nil {
			return len(batch), fmt.Errorf("wecomsync: mark %d events done: %w", len(done), err)
		}
	}
	return len(batch), nil
}

// retryLater records a failed attempt: back to pending after a growing delay, or failed for good
// after the last attempt.
func (s *Service) retryLater(ctx context.Context, c claimed, token string, err error) {
	now := s.clock()
	status := StatusPending
	var retryAt *time.Time
	if c.attempts >= s.attempts {
		status = StatusFailed
	} else {
		t := now.Add(time.Duration(c.attempts*c.attempts) * s.backoff)
		retryAt = &t
	}
	msg := err.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	s.log.Warn("wecom event processing failed", slog.Int64("id", c.id), slog.Int64("tenant", c.tenantID),
		slog.Int("attempt", c.attempts), slog.String("status", status), slog.Any("err", err))
	if _, uerr := s.db.ExecContext(ctx, `UPDATE wecom_events SET status = ?, claimed_until = ?, last_error = ?
		WHERE tenant_id = ? AND id = ? AND claim_token = ? AND status = 'processing'`, status, retryAt, msg, c.tenantID, c.id, token); uerr != nil {
		s.log.Error("wecom event: mark failed", slog.Int64("id", c.id), slog.Any("err", uerr))
	}
}

// processParallel bounds how many entities' events are handled at once. Handlers spend much of
// their time waiting on WeCom's API, so overlapping a few helps; more than a few only takes CPU
// from acknowledging callbacks (measured on 2 cores: 4 lanes ack 9.3–9.7k/s and process as fast
// as 16 lanes, which ack 4.5–6k/s; see docs/benchmarks.md).
const processParallel = 4

// dispatchAll handles a claimed batch: events about the same entity (customer, group, member) stay
// in order on one goroutine; different entities run in parallel.
func (s *Service) dispatchAll(ctx context.Context, batch []claimed) []error {
	errs := make([]error, len(batch))
	lanes := map[string][]int{}
	var order []string
	for i, c := range batch {
		key := entityKey(c)
		if _, ok := lanes[key]; !ok {
			order = append(order, key)
		}
		lanes[key] = append(lanes[key], i)
	}
	sem := make(chan struct{}, processParallel)
	var wg sync.WaitGroup
	for _, key := range order {
		idxs := lanes[key]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			for _, i := range idxs {
				errs[i] = s.dispatch(ctx, batch[i])
			}
		}()
	}
	wg.Wait()
	return errs
}

// entityKey names what an event is about: events about one customer, group or member must be
// applied in the order WeCom sent them. Organisation and tag-library changes depend on each
// other (a member's department must exist first), so they share one lane per tenant each. It
// reads parsed fields, never free text, so a customer-controlled value cannot steer the routing.
func entityKey(c claimed) string {
	ev, err := wecom.ParseEvent([]byte(c.payload))
	if err != nil {
		return fmt.Sprintf("%d:", c.tenantID)
	}
	switch e := ev.(type) {
	case *wecom.ExternalContactEvent:
		return fmt.Sprintf("%d:customer:%s", c.tenantID, e.ExternalUserID)
	case *wecom.ExternalChatEvent:
		return fmt.Sprintf("%d:chat:%s", c.tenantID, e.ChatID)
	case *wecom.ContactEvent:
		return fmt.Sprintf("%d:contact", c.tenantID)
	case *wecom.ExternalTagEvent:
		return fmt.Sprintf("%d:tags", c.tenantID)
	}
	return fmt.Sprintf("%d:", c.tenantID)
}

func (s *Service) dispatch(ctx context.Context, c claimed) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	ev, err := wecom.ParseEvent([]byte(c.payload))
	if err != nil {
		return fmt.Errorf("parse stored event: %w", err)
	}
	s.mu.RLock()
	handlers := append([]Handler(nil), s.handlers...)
	s.mu.RUnlock()
	var errs []error
	if ce, ok := ev.(*wecom.ContactEvent); ok {
		errs = append(errs, s.handleContactEvent(ctx, c.tenantID, ce))
	}
	for _, h := range handlers {
		if err := h.HandleWeComEvent(ctx, c.tenantID, ev); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Status is what the console shows about a tenant's WeCom event flow.
type Status struct {
	Pending      int          `json:"pending"`
	Processing   int          `json:"processing"`
	Done         int          `json:"done"`
	Failed       int          `json:"failed"`
	LastReceived *time.Time   `json:"last_received"`
	LastErrors   []EventError `json:"last_errors"`
}

// EventError is a failed or retrying event.
type EventError struct {
	ID         int64     `json:"id"`
	Event      string    `json:"event"`
	ChangeType string    `json:"change_type"`
	Attempts   int       `json:"attempts"`
	Status     string    `json:"status"`
	Error      string    `json:"error"`
	ReceivedAt time.Time `json:"received_at"`
}

func (s *Service) status(ctx context.Context, tenantID int64) (Status, error) {
	out := Status{LastErrors: []EventError{}}
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM wecom_events WHERE tenant_id = ? GROUP BY status`, tenantID)
	if err != nil {
		return out, fmt.Errorf("wecomsync: status: %w", err)
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return out, err
		}
		switch st {
		case StatusPending:
			out.Pending = n
		case StatusProcessing:
			out.Processing = n
		case StatusDone:
			out.Done = n
		case StatusFailed:
			out.Failed = n
		}
	}
	rows.Close()
	// ORDER BY rather than MAX: SQLite loses the column's time type in aggregates.
	var last time.Time
	err = s.db.QueryRowContext(ctx, `SELECT received_at FROM wecom_events WHERE tenant_id = ? ORDER BY id DESC LIMIT 1`, tenantID).Scan(&last)
	switch {
	case err == nil:
		out.LastReceived = &last
	case !errors.Is(err, sql.ErrNoRows):
		return out, fmt.Errorf("wecomsync: last received: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT id, event, change_type, attempts, status, last_error, received_at FROM wecom_events
		WHERE tenant_id = ? AND last_error <> '' ORDER BY id DESC LIMIT 20`, tenantID)
	if err != nil {
		return out, fmt.Errorf("wecomsync: last errors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e EventError
		if err := rows.Scan(&e.ID, &e.Event, &e.ChangeType, &e.Attempts, &e.Status, &e.Error, &e.ReceivedAt); err != nil {
			return out, err
		}
		out.LastErrors = append(out.LastErrors, e)
	}
	return out, rows.Err()
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Retention keeps processed events this long: long past WeCom's re-deliveries (minutes), so the
// dedup keys still catch them, and long enough to investigate a problem.
const Retention = 30 * 24 * time.Hour

// Prune deletes processed events older than Retention. Failed events stay until someone looks.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM wecom_events WHERE status = 'done' AND processed_at < ?`, s.clock().Add(-Retention))
	if err != nil {
		return 0, fmt.Errorf("wecomsync: prune: %w", err)
	}
	return res.RowsAffected()
}
