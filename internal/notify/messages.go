package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Message job statuses.
const (
	MessagePending = "pending"
	MessageSending = "sending"
	MessageSent    = "sent"
	MessageFailed  = "failed"
)

// Message is a WeCom app message to members (by WeCom userid) of one tenant.
type Message struct {
	TenantID int64
	Kind     string
	ToUser   []string
	Content  string
	// DedupKey makes enqueueing the same message again a no-op.
	DedupKey string
}

// Enqueue queues a message in tx, once per dedup key. Recipients are deduplicated and capped at
// WeCom's 1000; content is cut to WeCom's 2048 bytes on a character boundary. A message without
// recipients is not queued.
func (s *Service) Enqueue(ctx context.Context, tx *store.Tx, m Message) error {
	var to []string
	for _, u := range m.ToUser {
		if u = strings.TrimSpace(u); u != "" && !slices.Contains(to, u) && len(to) < wecom.MaxMessageRecipients {
			to = append(to, u)
		}
	}
	if len(to) == 0 {
		return nil
	}
	content := m.Content
	for len(content) > wecom.MaxTextMessageBytes {
		r := []rune(content)
		content = string(r[:len(r)-1])
	}
	now := s.clock()
	res, err := tx.ExecContext(ctx, `INSERT INTO wecom_message_jobs (tenant_id, dedup_key, kind, touser, content, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, dedup_key) DO NOTHING`,
		m.TenantID, m.DedupKey, m.Kind, strings.Join(to, "|"), content, now, now)
	if err != nil {
		return fmt.Errorf("notify: enqueue %s: %w", m.Kind, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// MessageJob is a queued, sent or failed message (for tests and operators).
type MessageJob struct {
	ID          int64
	Kind        string
	ToUser      string
	Content     string
	Status      string
	Attempts    int
	ErrCode     int
	LastError   string
	MsgID       string
	InvalidUser string
}

// MessageJobs lists a tenant's message jobs, oldest first.
func (s *Service) MessageJobs(ctx context.Context, tenantID int64) ([]MessageJob, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, touser, content, status, attempts, errcode, last_error, msgid, invalid_user
		FROM wecom_message_jobs WHERE tenant_id = ? ORDER BY id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("notify: message jobs: %w", err)
	}
	defer rows.Close()
	var out []MessageJob
	for rows.Next() {
		var j MessageJob
		if err := rows.Scan(&j.ID, &j.Kind, &j.ToUser, &j.Content, &j.Status, &j.Attempts, &j.ErrCode, &j.LastError, &j.MsgID, &j.InvalidUser); err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// Start runs the message worker until ctx ends; Wait returns once it has stopped.
func (s *Service) Start(ctx context.Context) {
	s.workers.Go(func() { s.loop(ctx) })
}

// Wait blocks until the worker started by Start has returned.
func (s *Service) Wait() { s.workers.Wait() }

func (s *Service) loop(ctx context.Context) {
	t := time.NewTicker(s.opts.PollEvery)
	defer t.Stop()
	for {
		n, err := s.SendDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("wecom messages", slog.Any("err", err))
		}
		if n > 0 && ctx.Err() == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

const (
	sendBatch = 20
	// sendLease is how long a claimed message belongs to one worker; a message still "sending"
	// after it was abandoned by a crashed worker and is tried again.
	sendLease = 2 * time.Minute
)

// Claiming differs by engine, as for WeCom events: PostgreSQL skips rows other replicas hold;
// SQLite's single writer makes the plain UPDATE … RETURNING exclusive.
const (
	claimMessagesPostgres = `UPDATE wecom_message_jobs SET status = 'sending', claimed_until = ?, claim_token = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM wecom_message_jobs
			WHERE status IN ('pending', 'sending') AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
			ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
		RETURNING id, tenant_id, touser, content, attempts`
	claimMessagesSQLite = `UPDATE wecom_message_jobs SET status = 'sending', claimed_until = ?, claim_token = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM wecom_message_jobs
			WHERE status IN ('pending', 'sending') AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
			ORDER BY next_attempt_at, id LIMIT ?)
		RETURNING id, tenant_id, touser, content, attempts`
)

type claimedMessage struct {
	id, tenantID    int64
	touser, content string
	attempts        int
}

// SendDue claims the messages that are due and sends them through message/send; it returns
// how many it claimed. A send that fails for a reason that may pass (busy, rate limit, transport,
// expired token) is tried again after attempt² × RetryBase, up to MaxAttempts; any other error
// (no app configured, invalid agent id, nobody valid) fails the message at once.
//
// A message whose send may have reached WeCom without an answer (a transport error) is tried
// again too: an alert arriving twice is better than one never arriving.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	now := s.clock()
	q := claimMessagesSQLite
	if s.db.Dialect() == store.Postgres {
		q = claimMessagesPostgres
	}
	token := newToken()
	var batch []claimedMessage
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, q, now.Add(sendLease), token, now, now, sendBatch)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m claimedMessage
			if err := rows.Scan(&m.id, &m.tenantID, &m.touser, &m.content, &m.attempts); err != nil {
				return err
			}
			batch = append(batch, m)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("notify: claim messages: %w", err)
	}
	for _, m := range batch {
		s.send(ctx, m, token)
	}
	return len(batch), ctx.Err()
}

func (s *Service) send(ctx context.Context, m claimedMessage, token string) {
	resp, err := s.sendOne(ctx, m)
	now := s.clock()
	if err == nil {
		if _, uerr := s.db.ExecContext(ctx, `UPDATE wecom_message_jobs SET status = 'sent', sent_at = ?, msgid = ?, invalid_user = ?,
			errcode = 0, last_error = '', claimed_until = NULL WHERE id = ? AND claim_token = ?`,
			now, resp.MsgID, resp.InvalidUser, m.id, token); uerr != nil {
			s.log.Error("wecom message: mark sent", slog.Int64("id", m.id), slog.Any("err", uerr))
		}
		return
	}
	if ctx.Err() != nil {
		return // shutting down: the lease runs out and the next start tries again
	}
	code, _ := wecom.ErrorCode(err)
	status, next := MessageFailed, now
	if retryable(err) && m.attempts < s.opts.MaxAttempts {
		status, next = MessagePending, now.Add(time.Duration(m.attempts*m.attempts)*s.opts.RetryBase)
	}
	msg := err.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	s.log.Warn("wecom message not sent", slog.Int64("id", m.id), slog.Int64("tenant", m.tenantID),
		slog.Int("attempt", m.attempts), slog.String("status", status), slog.Any("err", err))
	if _, uerr := s.db.ExecContext(ctx, `UPDATE wecom_message_jobs SET status = ?, next_attempt_at = ?, errcode = ?, last_error = ?,
		claimed_until = NULL WHERE id = ? AND claim_token = ?`, status, next, code, msg, m.id, token); uerr != nil {
		s.log.Error("wecom message: record failure", slog.Int64("id", m.id), slog.Any("err", uerr))
	}
}

func (s *Service) sendOne(ctx context.Context, m claimedMessage) (*wecom.SendMessageResponse, error) {
	client, agent, err := s.apps.AppClient(ctx, m.tenantID)
	if err != nil {
		return nil, err
	}
	return client.SendMessage(ctx, wecom.SendMessageRequest{ToUser: m.touser, MsgType: "text", AgentID: agent,
		Text: &wecom.Text{Content: m.content}})
}

// retryable says whether a failed send may succeed later without anyone changing anything.
func retryable(err error) bool {
	var apiErr *wecom.APIError
	if errors.As(err, &apiErr) {
		return wecom.IsRetryable(err) || wecom.IsTokenExpired(err)
	}
	if e := (*httpx.Error)(nil); errors.As(err, &e) {
		return e.Code == httpx.Internal // a database hiccup loading settings; not a missing setting
	}
	return true // transport errors
}

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
