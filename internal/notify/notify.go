// Package notify tells people about things: console notifications (the bell in the console
// header) and WeCom app messages (message/send), sent from an outbox table by a background
// worker with retries.
//
// It is generic: other packages decide what is worth telling and whom, and call Add and Enqueue
// inside their own transaction, with a dedup key so that an alert raised twice (an event
// processed again) is told once. It must not know customers, staff or the org tree.
package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// AppClients gives the worker a tenant's self-built-app client and agent id (wecomsync).
type AppClients interface {
	AppClient(ctx context.Context, tenantID int64) (*wecom.Client, int64, error)
}

// Options tune the message worker; zero values take the defaults.
type Options struct {
	// PollEvery is how often the worker looks for due messages (default 2 s).
	PollEvery time.Duration
	// RetryBase is the delay before a failed send is tried again: attempt² × base (default 30 s:
	// 30 s, 2 min, 4.5 min, 8 min).
	RetryBase time.Duration
	// MaxAttempts is how often a message is tried before it is marked failed (default 5).
	MaxAttempts int
	// Now replaces the clock in tests.
	Now func() time.Time
}

// Service stores notifications and sends queued WeCom messages.
type Service struct {
	db      *store.DB
	apps    AppClients
	log     *slog.Logger
	opts    Options
	wake    chan struct{}
	workers sync.WaitGroup
}

// New returns the service; Start runs its message worker.
func New(db *store.DB, apps AppClients, log *slog.Logger, opts Options) *Service {
	if opts.PollEvery <= 0 {
		opts.PollEvery = 2 * time.Second
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 30 * time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{db: db, apps: apps, log: log, opts: opts, wake: make(chan struct{}, 1)}
}

func (s *Service) clock() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// Note is a console notification for some users of one tenant.
type Note struct {
	TenantID int64
	UserIDs  []int64
	// Kind names what happened (customer_lost, …); the console renders known kinds in the
	// reader's language from Data and falls back to Title and Body.
	Kind, Title, Body, Link string
	Data                    map[string]any
	// DedupKey makes adding the same note again a no-op (per recipient).
	DedupKey string
}

// Add records a notification for each recipient in tx, once per (recipient, dedup key).
func (s *Service) Add(ctx context.Context, tx *store.Tx, n Note) error {
	data := "{}"
	if len(n.Data) > 0 {
		b, err := json.Marshal(n.Data)
		if err != nil {
			return fmt.Errorf("notify: encode data: %w", err)
		}
		data = string(b)
	}
	now := s.clock()
	for _, uid := range n.UserIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (tenant_id, user_id, kind, title, body, link, data, dedup_key, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, user_id, dedup_key) DO NOTHING`,
			n.TenantID, uid, n.Kind, n.Title, n.Body, n.Link, data, n.DedupKey, now); err != nil {
			return fmt.Errorf("notify: add %s for user %d: %w", n.Kind, uid, err)
		}
	}
	return nil
}

// Notification is one entry of the caller's notification list.
type Notification struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Link      string     `json:"link"`
	Data      any        `json:"data" doc:"what the kind's text is made of, e.g. customer and staff names"`
	ReadAt    *time.Time `json:"read_at"`
	CreatedAt time.Time  `json:"created_at"`
}

// List is a page of the caller's notifications with the number of unread ones.
type List struct {
	Items      []Notification `json:"items"`
	NextCursor string         `json:"next_cursor"`
	Unread     int            `json:"unread"`
}

// Filter narrows the list.
type Filter struct {
	Unread bool
	Kind   string
	Page   httpx.PageRequest
}

// Mine lists the caller's notifications, newest first. API tokens have no notifications.
func (s *Service) Mine(ctx context.Context, f Filter) (List, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return List{}, err
	}
	out := List{Items: []Notification{}}
	if c.UserID == 0 {
		return out, nil
	}
	q := `SELECT id, kind, title, body, link, data, read_at, created_at FROM notifications WHERE tenant_id = ? AND user_id = ?`
	args := []any{c.TenantID, c.UserID}
	if f.Unread {
		q += ` AND read_at IS NULL`
	}
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	if f.Page.After > 0 {
		q += ` AND id < ?`
		args = append(args, f.Page.After)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Page.Limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return List{}, fmt.Errorf("notify: list: %w", err)
	}
	defer rows.Close()
	var items []Notification
	for rows.Next() {
		var n Notification
		var data string
		var read sql.NullTime
		if err := rows.Scan(&n.ID, &n.Kind, &n.Title, &n.Body, &n.Link, &data, &read, &n.CreatedAt); err != nil {
			return List{}, err
		}
		if read.Valid {
			n.ReadAt = &read.Time
		}
		n.Data = json.RawMessage(data)
		items = append(items, n)
	}
	if err := rows.Err(); err != nil {
		return List{}, err
	}
	page := httpx.MakePage(items, f.Page.Limit, func(n Notification) int64 { return n.ID })
	out.Items, out.NextCursor = page.Items, page.NextCursor
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE tenant_id = ? AND user_id = ? AND read_at IS NULL`,
		c.TenantID, c.UserID).Scan(&out.Unread)
	return out, err
}

// MarkRead marks one of the caller's notifications read. Someone else's is not found.
func (s *Service) MarkRead(ctx context.Context, id int64) error {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE notifications SET read_at = COALESCE(read_at, ?) WHERE tenant_id = ? AND user_id = ? AND id = ?`,
		s.clock(), c.TenantID, c.UserID, id)
	if err != nil {
		return fmt.Errorf("notify: mark %d read: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return httpx.NotFoundf("notification")
	}
	return nil
}

// ReadAll is how many notifications MarkAllRead marked.
type ReadAll struct {
	Updated int64 `json:"updated"`
}

// MarkAllRead marks every unread notification of the caller read.
func (s *Service) MarkAllRead(ctx context.Context) (ReadAll, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return ReadAll{}, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE notifications SET read_at = ? WHERE tenant_id = ? AND user_id = ? AND read_at IS NULL`,
		s.clock(), c.TenantID, c.UserID)
	if err != nil {
		return ReadAll{}, fmt.Errorf("notify: mark all read: %w", err)
	}
	n, _ := res.RowsAffected()
	return ReadAll{Updated: n}, nil
}

// Routes lists the notification API: any signed-in user reads and marks their own.
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/notifications", Tag: "notifications", Summary: "My notifications, newest first, with the unread count",
			Query: []httpx.Param{{Name: "unread", Type: "boolean", Description: "only unread ones"},
				{Name: "kind", Type: "string", Description: "only this kind, e.g. customer_lost"},
				{Name: "limit", Type: "integer", Description: "1-500"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
			Response: List{}, Handler: s.handleList},
		{Method: "POST", Path: "/api/v1/notifications/{id}/read", Tag: "notifications", Summary: "Mark one of my notifications read",
			Status: http.StatusNoContent, Handler: httpx.Remove(s.MarkRead)},
		{Method: "POST", Path: "/api/v1/notifications/read-all", Tag: "notifications", Summary: "Mark all my notifications read",
			Response: ReadAll{}, Handler: s.handleReadAll},
	}
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) error {
	page, err := httpx.PageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := Filter{Kind: strings.TrimSpace(q.Get("kind")), Page: page}
	switch q.Get("unread") {
	case "", "false", "0":
	case "true", "1":
		f.Unread = true
	default:
		return httpx.FieldErr("unread", "invalid")
	}
	if len(f.Kind) > 64 {
		return httpx.FieldErr("kind", "invalid")
	}
	out, err := s.Mine(r.Context(), f)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleReadAll(w http.ResponseWriter, r *http.Request) error {
	out, err := s.MarkAllRead(r.Context())
	return httpx.Reply(w, http.StatusOK, out, err)
}
