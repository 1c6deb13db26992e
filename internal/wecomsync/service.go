// Package wecomsync keeps Siyu in step with each tenant's WeCom corp: it receives callbacks at
// /callback/wecom/{tenant}, stores every verified event before acknowledging it, processes the
// stored events in the background (handing them to the domain packages that registered for them),
// and shares access tokens between replicas through the database.
//
// The protocol (crypto, XML, API shapes) lives in internal/wecom; this package adds tenancy and
// persistence. It must not hold domain rules: what an "add customer" event means for customers is
// the customer package's business, reached through the Handler interface.
package wecomsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Handler processes one stored event. It must be idempotent: an event whose processing failed
// half-way is handed over again.
type Handler interface {
	HandleWeComEvent(ctx context.Context, tenantID int64, ev wecom.Event) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, tenantID int64, ev wecom.Event) error

// HandleWeComEvent implements Handler.
func (f HandlerFunc) HandleWeComEvent(ctx context.Context, tenantID int64, ev wecom.Event) error {
	return f(ctx, tenantID, ev)
}

// Options configure the service.
type Options struct {
	// Now replaces the clock in tests.
	Now func() time.Time
	// CrypterWindow is how old a callback timestamp may be (default 5 minutes, as WeCom retries
	// for a short while only).
	CrypterWindow time.Duration
	// MaxAttempts is how often a failing event is tried before it is marked failed.
	MaxAttempts int
	// RetryBackoff is the base delay before a failed event is tried again: attempt² × base
	// (default 1 s: 1 s, 4 s, 9 s, 16 s).
	RetryBackoff time.Duration
}

// Service receives, stores and processes WeCom callbacks.
type Service struct {
	db       *store.DB
	org      *org.Service
	box      *seal.Box
	log      *slog.Logger
	now      func() time.Time
	window   time.Duration
	attempts int
	backoff  time.Duration

	mu        sync.RWMutex
	handlers  []Handler
	crypters  map[string]crypterEntry // by tenant slug
	clients   map[int64]clientEntry
	appliers  Appliers
	tokenMemo sync.Map // memoKey -> tokenMemo

	ingest   chan ingestReq
	wake     chan struct{}
	syncWake chan struct{}
	workers  sync.WaitGroup // the loops started by Start
}

type crypterEntry struct {
	tenantID int64
	crypter  *wecom.Crypter
	err      error // a remembered failure: unknown tenant or no callback settings
	loaded   time.Time
}

// crypterTTL bounds how long a changed callback token or AES key takes to reach every replica.
const crypterTTL = 30 * time.Second

// New returns the service; call Start to run its writer and processor.
func New(db *store.DB, orgs *org.Service, box *seal.Box, log *slog.Logger, opts Options) *Service {
	s := &Service{db: db, org: orgs, box: box, log: log, now: opts.Now, window: opts.CrypterWindow,
		attempts: opts.MaxAttempts, crypters: map[string]crypterEntry{}, clients: map[int64]clientEntry{},
		ingest: make(chan ingestReq, 4096), wake: make(chan struct{}, 1), syncWake: make(chan struct{}, 1)}
	if s.now == nil {
		s.now = time.Now
	}
	if s.window == 0 {
		s.window = 5 * time.Minute
	}
	if s.attempts == 0 {
		s.attempts = 5
	}
	s.backoff = opts.RetryBackoff
	if s.backoff == 0 {
		s.backoff = time.Second
	}
	return s
}

// Register adds a handler for every processed event.
func (s *Service) Register(h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers = append(s.handlers, h)
}

// Start runs the batching writer, the event processor and the full-sync worker until ctx ends.
// Wait returns once they have all stopped.
func (s *Service) Start(ctx context.Context) {
	s.workers.Go(func() { s.writeLoop(ctx) })
	s.workers.Go(func() { s.processLoop(ctx) })
	s.workers.Go(func() { s.syncLoop(ctx) })
}

// Wait blocks until the loops started by Start have returned, so that nothing touches the
// database or the logger after the owner has closed them.
func (s *Service) Wait() { s.workers.Wait() }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// crypterFor returns the callback crypter of a tenant, cached for crypterTTL.
func (s *Service) crypterFor(ctx context.Context, slug string) (crypterEntry, error) {
	s.mu.RLock()
	e, ok := s.crypters[slug]
	s.mu.RUnlock()
	if ok && (e.err == nil && s.now().Sub(e.loaded) < crypterTTL || e.err != nil && s.now().Sub(e.loaded) < failureTTL) {
		return e, e.err
	}
	e, err := s.loadCrypter(ctx, slug)
	if err != nil && httpx.ErrorCode(err) == httpx.Internal && !errors.Is(err, errNoCallbackSettings) {
		return crypterEntry{}, err // a database failure is not remembered
	}
	// Failures are cached too, so forged traffic to an unknown slug costs no queries.
	e.err, e.loaded = err, s.now()
	s.mu.Lock()
	if len(s.crypters) < maxCachedCrypters || err == nil {
		s.crypters[slug] = e
	}
	s.mu.Unlock()
	return e, err
}

// failureTTL is short, so a tenant configured a moment ago is reachable almost at once.
const failureTTL = 5 * time.Second

// maxCachedCrypters bounds the crypter cache against requests for made-up tenant slugs.
const maxCachedCrypters = 10000

var errNoCallbackSettings = errors.New("wecomsync: no callback token, EncodingAESKey or corp id")

func (s *Service) loadCrypter(ctx context.Context, slug string) (crypterEntry, error) {
	t, err := s.org.TenantBySlug(ctx, slug)
	if err != nil {
		return crypterEntry{}, err
	}
	sec, err := s.org.WeComSecretsFor(ctx, t.ID)
	if err != nil && httpx.ErrorCode(err) != httpx.NotFound {
		return crypterEntry{}, err
	}
	if sec.CallbackToken == "" || sec.EncodingAESKey == "" || sec.CorpID == "" {
		return crypterEntry{}, fmt.Errorf("tenant %s: %w", slug, errNoCallbackSettings)
	}
	c, err := wecom.NewCrypter(sec.CallbackToken, sec.EncodingAESKey, sec.CorpID,
		wecom.WithClock(s.now), wecom.WithWindow(s.window))
	if err != nil {
		return crypterEntry{}, fmt.Errorf("wecomsync: tenant %s: %w", slug, err)
	}
	return crypterEntry{tenantID: t.ID, crypter: c}, nil
}
