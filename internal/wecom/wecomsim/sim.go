// Package wecomsim is a stateful, in-memory WeCom (企业微信) server: the endpoints Siyu calls,
// with WeCom's JSON shapes, limits and errcodes, plus signed, encrypted callbacks to a configured
// URL and a control API (/sim/…) that scripts what staff and customers do in their WeCom and
// WeChat clients (scan a code, accept a friend request, join a group, delete a contact, …).
//
// It is a product feature: `siyu demo` and `siyu wecom-sim` run it, and every integration test
// of a WeCom behaviour goes through it. It must stay faithful to the public documentation of the
// real server (developer.work.weixin.qq.com); where the documentation is silent, the choice made
// is written next to the code and in docs/wecomsim.md. It knows nothing of Siyu's domain and
// keeps everything in memory; it is not a source of truth for anything but itself.
//
// Like the real server, changes made through the API never produce callbacks; only the scripted
// client actions do.
package wecomsim

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Scopes an app may hold. An API outside the app's scopes answers 48002.
const (
	ScopeContact         = "contact"         // user/*, department/*
	ScopeExternalContact = "externalcontact" // externalcontact/*
	ScopeMedia           = "media"           // media/*
	ScopeJSAPI           = "jsapi"           // ticket/get
	ScopeMessage         = "message"         // message/send (app messages)
)

// App is one app of the simulated corp: a secret with its own token, scopes and visible range.
type App struct {
	Name    string `json:"name"`
	Secret  string `json:"secret"`
	AgentID int64  `json:"agentid"`
	// Scopes lists the permissions; empty means all of them.
	Scopes []string `json:"scopes,omitempty"`
	// VisibleUsers limits the members the app may see (60011 for others); empty means all.
	VisibleUsers []string `json:"visible_users,omitempty"`
}

// ReceiveLimit is the corp's mass-message receive rule (群发助手-设置群发规则): a customer
// receives at most Count corp mass messages per Period ("day", "week" or "month"; Count 0 with
// "month" means as many as the month has days, WeCom's current default).
type ReceiveLimit struct {
	Count  int    `json:"count"`
	Period string `json:"period"`
}

// CallbackConfig is where and how events are delivered.
type CallbackConfig struct {
	URL            string `json:"url"`
	Token          string `json:"token"`
	EncodingAESKey string `json:"encoding_aes_key"`
}

// Config configures a simulator. Every field has a default.
type Config struct {
	// CorpID is the simulated corp id (default "ww51a1c0de00000001").
	CorpID string
	// Apps are the corp's apps (default: one app "siyu" with secret "siyu-sim-secret", agent id
	// 1000002 and every scope).
	Apps []App
	// BaseURL is the simulator's own public URL, used in QR-code, media and link URLs
	// (default "http://127.0.0.1:8081").
	BaseURL string
	// Callback, when URL is set, receives the events from the start.
	Callback CallbackConfig
	// AgentID goes into the <AgentID> of callback envelopes (default: the first app's id).
	AgentID string
	// CallbackTimeout is how long one delivery may take before it counts as failed (5 s, like
	// WeCom); CallbackAttempts is the number of deliveries in all (3); CallbackRetryDelay is
	// the pause between them (0).
	CallbackTimeout    time.Duration
	CallbackAttempts   int
	CallbackRetryDelay time.Duration
	// CallbackClient sends callbacks (default: a plain http.Client; the timeout is applied
	// per attempt).
	CallbackClient *http.Client
	// CallbackConcurrency is how many events are in delivery at once (default 1: events
	// arrive in the order they happened, and a receiver that hangs holds up the ones behind,
	// as with one connection). More makes delivery faster and the order unspecified.
	CallbackConcurrency int
	// Now is the clock (time.Now by default). Advance moves the simulated time forward on top
	// of it.
	Now func() time.Time
	// Start, when set, is where simulated time begins (for example two weeks ago, so a demo can
	// fill in history up to today). Callback signatures keep using Now, as a receiver checks
	// them against its own clock.
	Start time.Time
	// Location is the corp's time zone for "per day" rules (default UTC+8).
	Location *time.Location
	// Seed makes generated ids reproducible.
	Seed   uint64
	Logger *slog.Logger

	TokenTTL        time.Duration // access token and jsapi ticket lifetime (7200 s)
	WelcomeCodeTTL  time.Duration // welcome code validity (20 s)
	MaxGroupMembers int           // customer group cap (200)
	// MassMessageLimit is the receive rule (default one per day, the strictest setting).
	MassMessageLimit ReceiveLimit
	// HalfAddOnSkipVerify makes a scan of a skip-verify contact way produce
	// add_half_external_contact (member has not added the customer back) instead of
	// add_external_contact. Both are seen from the real server; see docs/wecomsim.md.
	HalfAddOnSkipVerify bool
	// MaxCustomersPerStaff caps a member's customers for transfers (0 = no cap); a transfer
	// over it fails with customer_limit_exceed.
	MaxCustomersPerStaff int
	// MaxAcquisitionLinks caps customer acquisition links (41095 beyond; default 1000).
	MaxAcquisitionLinks int
}

// DefaultApp is the app a zero Config gets.
var DefaultApp = App{Name: "siyu", Secret: "siyu-sim-secret", AgentID: 1000002}

func (c *Config) setDefaults() {
	if c.CorpID == "" {
		c.CorpID = "ww51a1c0de00000001"
	}
	if len(c.Apps) == 0 {
		c.Apps = []App{DefaultApp}
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://127.0.0.1:8081"
	}
	if c.AgentID == "" {
		c.AgentID = fmt.Sprint(c.Apps[0].AgentID)
	}
	if c.CallbackTimeout <= 0 {
		c.CallbackTimeout = 5 * time.Second
	}
	if c.CallbackAttempts <= 0 {
		c.CallbackAttempts = 3
	}
	if c.CallbackClient == nil {
		c.CallbackClient = &http.Client{}
	}
	if c.CallbackConcurrency <= 0 {
		c.CallbackConcurrency = 1
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Location == nil {
		c.Location = time.FixedZone("CST", 8*3600)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 7200 * time.Second
	}
	if c.WelcomeCodeTTL <= 0 {
		c.WelcomeCodeTTL = wecom.WelcomeCodeTTL * time.Second
	}
	if c.MaxGroupMembers <= 0 {
		c.MaxGroupMembers = wecom.MaxGroupMembers
	}
	if c.MassMessageLimit.Period == "" {
		c.MassMessageLimit = ReceiveLimit{Count: 1, Period: "day"}
	}
	if c.MaxAcquisitionLinks <= 0 {
		c.MaxAcquisitionLinks = 1000
	}
}

// Sim is the simulator. All methods are safe for concurrent use.
type Sim struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler

	ctx    context.Context
	cancel context.CancelFunc
	// wg counts queued and in-flight deliveries.
	wg sync.WaitGroup

	// qmu guards the delivery queue. Lock order: mu before qmu, never the reverse.
	qmu     sync.Mutex
	qcond   *sync.Cond
	queue   []*delivery
	workers int

	// mu guards everything below. Every API call and control action holds it for its whole
	// (in-memory, short) duration, which makes each of them atomic like a real transaction.
	mu     sync.Mutex
	closed bool
	offset time.Duration
	seq    uint64
	st     *state

	callback CallbackConfig
	crypter  *wecom.Crypter
	events   []*EventRecord
	eventSeq int64
	faults   []*fault
}

// New returns a simulator for cfg. It fails only on an invalid callback configuration.
func New(cfg Config) (*Sim, error) {
	cfg.setDefaults()
	s := &Sim{cfg: cfg, log: cfg.Logger.With(slog.String("component", "wecomsim")), st: newState()}
	if !cfg.Start.IsZero() {
		s.offset = cfg.Start.Sub(cfg.Now())
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.qcond = sync.NewCond(&s.qmu)
	s.handler = s.routes()
	if cfg.Callback.URL != "" {
		c, err := s.newCrypter(cfg.Callback)
		if err != nil {
			return nil, fmt.Errorf("wecomsim: %w", err)
		}
		s.callback, s.crypter = cfg.Callback, c
	}
	// The root department exists in every corp.
	s.st.depts[1] = &dept{ID: 1, Name: "总部", ParentID: 0, Order: 100000000}
	return s, nil
}

// NewServer is New plus the HTTP handler, for `siyu wecom-sim` and `siyu demo`: mount the
// handler at the root of a listener whose URL is cfg.BaseURL (API under /cgi-bin/, control API
// under /sim/).
func NewServer(cfg Config) (*Sim, http.Handler, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return s, s.handler, nil
}

// Handler returns the HTTP handler (API under /cgi-bin/, control API under /sim/).
func (s *Sim) Handler() http.Handler { return s.handler }

// CorpID returns the simulated corp id.
func (s *Sim) CorpID() string { return s.cfg.CorpID }

// Apps returns the configured apps (with their secrets: the simulator is a test double).
func (s *Sim) Apps() []App { return append([]App(nil), s.cfg.Apps...) }

// Flush waits until every queued callback has been delivered or given up on.
func (s *Sim) Flush(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops callback deliveries in flight and waits for them to end.
func (s *Sim) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.qmu.Lock()
	s.qcond.Broadcast()
	s.qmu.Unlock()
	s.wg.Wait()
	return nil
}

// Advance moves simulated time forward (token and welcome-code expiry, transfers, message
// periods, event CreateTime). Callback signatures keep using the real clock so that a
// receiver's staleness window still works.
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d > 0 {
		s.offset += d
	}
	s.settleTransfers()
}

// now is the simulated time; s.mu must be held.
func (s *Sim) now() time.Time { return s.cfg.Now().Add(s.offset) }

// Now returns the simulated time.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

const (
	alnum  = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b64url = alnum + "-_"
	hexset = "0123456789abcdef"
)

// newID returns prefix followed by n characters from alphabet, derived from the seed and a
// counter so that a run with the same seed and the same actions yields the same ids. s.mu
// must be held.
func (s *Sim) newID(prefix string, n int, alphabet string) string {
	s.seq++
	out := make([]byte, 0, len(prefix)+n)
	out = append(out, prefix...)
	var block [32]byte
	for i := 0; len(out) < len(prefix)+n; i++ {
		if i%32 == 0 {
			var in [24]byte
			binary.BigEndian.PutUint64(in[0:], s.cfg.Seed)
			binary.BigEndian.PutUint64(in[8:], s.seq)
			binary.BigEndian.PutUint64(in[16:], uint64(i/32))
			block = sha256.Sum256(in[:])
		}
		out = append(out, alphabet[int(block[i%32])%len(alphabet)])
	}
	return string(out)
}

// apiError is the error an API handler returns: errcode and a message in WeCom's style.
func (s *Sim) apiError(code int, msg string) error {
	return &wecom.APIError{Code: code, Msg: fmt.Sprintf("%s, hint: [%d-sim]", msg, s.now().Unix())}
}

// ErrNotFound and ErrConflict classify control-API failures (HTTP 404 and 409).
var (
	ErrNotFound = errors.New("wecomsim: not found")
	ErrConflict = errors.New("wecomsim: conflict")
	ErrInvalid  = errors.New("wecomsim: invalid")
)
