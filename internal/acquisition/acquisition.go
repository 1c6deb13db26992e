// Package acquisition holds where customers come from and what they cost: channels with their
// kind, public-domain tier, owning org unit and spend; channel live codes (渠道活码) — one
// permanent landing URL routed to many staff by a strategy, with caps, working hours, backups,
// auto tags and a welcome message; and channel stats (scans, adds, net adds, loss rate, spend, CAC).
//
// A live code is printed once as a Siyu landing URL (/l/{slug}). Each scan picks a staff member
// in memory from counters the database keeps authoritative (flushed every 200 ms and at
// shutdown; capped members take scans only from slots reserved atomically in the database, so
// caps hold across concurrent scans and replicas) and answers with that member's own single-user
// WeCom contact way, created on first need with a state that names code and member; the add
// event carrying that state is attributed back to the code by the customer package through the
// AddHandler internal/app adapts this package to.
//
// The package must not write other packages' tables: customers and their tags are changed
// through the customer package; it reads staff, org units and the tag library to validate and
// name things, as the scope filters do.
package acquisition

import (
	"context"
	"log/slog"
	"sync"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on hosts without a zoneinfo database

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Zone is the tenants' time zone: days, working hours and daily caps are counted in it.
var Zone = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

// Day is the calendar day of t in Zone, as stored (YYYY-MM-DD).
func Day(t time.Time) string { return t.In(Zone).Format(time.DateOnly) }

// WeCom gives the package a tenant's API client.
type WeCom interface {
	Client(ctx context.Context, tenantID int64) (*wecom.Client, error)
}

// Options tune a Service; the zero value is production.
type Options struct {
	// Now replaces the clock in tests.
	Now func() time.Time
	// ConfigTTL is how long a code's routing configuration is cached in memory (default 5 s);
	// writes through this process invalidate it at once, other replicas see them within the TTL.
	ConfigTTL time.Duration
}

// Service holds the acquisition rules.
type Service struct {
	db    *store.DB
	wecom WeCom
	log   *slog.Logger
	now   func() time.Time
	ttl   time.Duration

	cache  sync.Map // slug -> *cachedCode
	scans  *router
	wayMu  sync.Mutex
	wayBsy map[[2]int64]*sync.Mutex
}

// New returns the acquisition service. Scans are routed by a background writer started on the
// first scan; Close drains it.
func New(db *store.DB, wc WeCom, log *slog.Logger, opts Options) *Service {
	s := &Service{db: db, wecom: wc, log: log, now: opts.Now, ttl: opts.ConfigTTL, wayBsy: map[[2]int64]*sync.Mutex{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = 5 * time.Second
	}
	s.scans = newRouter(s)
	return s
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Close writes the scan counts not flushed yet and hands unused cap reservations back; scans
// after Close fail.
func (s *Service) Close() {
	if err := s.scans.close(); err != nil {
		s.log.Error("live-code scan counts not written at shutdown", "err", err)
	}
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"channel_has_codes":  {Zh: "该渠道下还有活码，不能删除", En: "This channel still has live codes and cannot be deleted"},
		"code_unavailable":   {Zh: "该活码已停用或已过期", En: "This code is disabled or has expired"},
		"no_staff_available": {Zh: "当前没有可接待的员工，请稍后再试", En: "No staff member can take this scan right now; try again later"},
	})
}
