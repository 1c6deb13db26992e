// Package phonetask is batch add by phone (手机号批量加好友): a list of phone numbers imported
// from a spreadsheet (or JSON) is handed to staff members as daily tasks within a per-staff
// daily cap (WeCom limits how many friend requests a member may send a day). Each task is
// pending until the member marks it requested or failed; it becomes added by itself when a
// customer with that phone identity gets a relation with the task's own staff member after the
// task was assigned (adds through another member are not the task's doing and leave it open),
// and expired when it is still open some days after its day.
//
// A background pass (every minute) detects adds and expiries for all tenants and, once the
// tenant's day has started (09:00 Asia/Shanghai), reminds each member's linked console users of
// the day's pending tasks through the notification bell; the detection also runs on demand.
//
// The package reads customers' phone identities and relations and the staff table; it writes
// only its own tables (and notifications through the notify service).
package phonetask

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/notify"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Zone is the tenants' time zone: task days are counted in it.
var Zone = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

// Day is the calendar day of t in Zone (YYYY-MM-DD).
func Day(t time.Time) string { return t.In(Zone).Format(time.DateOnly) }

// Statuses of a task.
const (
	Pending   = "pending"
	Requested = "requested"
	Added     = "added"
	Failed    = "failed"
	Expired   = "expired"
)

// Statuses lists them in display order.
var Statuses = []string{Pending, Requested, Added, Failed, Expired}

// Defaults of a list.
const (
	// DefaultDailyCap is how many numbers a member is given a day: WeCom lets a member send a
	// limited number of friend requests by phone number a day, and accounts that send many get
	// restricted; 20 keeps well clear of it.
	DefaultDailyCap  = 20
	MaxDailyCap      = 200
	DefaultExpireDay = 7
	MaxExpireDays    = 90
	maxMembers       = 100
	// RemindHour is the local hour from which the day's reminders are sent.
	RemindHour = 9
)

// Notifier records console notifications (the notify service).
type Notifier interface {
	Add(ctx context.Context, tx *store.Tx, n notify.Note) error
}

// Options tune a Service; the zero value is production.
type Options struct {
	// Now replaces the clock in tests.
	Now func() time.Time
	// Every is how often the background pass runs (default 1 minute).
	Every time.Duration
}

// Service holds the phone lists and tasks.
type Service struct {
	db      *store.DB
	notify  Notifier
	log     *slog.Logger
	now     func() time.Time
	every   time.Duration
	workers sync.WaitGroup
}

// New returns the service; Start runs its background pass.
func New(db *store.DB, n Notifier, log *slog.Logger, opts Options) *Service {
	s := &Service{db: db, notify: n, log: log, now: opts.Now, every: opts.Every}
	if s.now == nil {
		s.now = time.Now
	}
	if s.every <= 0 {
		s.every = time.Minute
	}
	return s
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Start runs the periodic pass (detect adds, expire, remind) until ctx ends; Wait waits for it.
func (s *Service) Start(ctx context.Context) {
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		t := time.NewTicker(s.every)
		defer t.Stop()
		for {
			if _, err := s.Pass(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("phone tasks pass", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Wait blocks until the background pass has stopped.
func (s *Service) Wait() { s.workers.Wait() }

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"phone_list_file":   {Zh: "请上传 .csv 或 .xlsx 文件，第 1 行为表头且包含手机号列", En: "Upload a .csv or .xlsx file whose row 1 is a header with a phone column"},
		"phone_task_closed": {Zh: "该任务已完成或已过期，不能再修改", En: "This task is already added or expired and cannot be changed"},
		"field.duplicate":   {Zh: "与前面的行重复", En: "repeats an earlier row"},
	})
}
