// Package app wires Siyu together: configuration → store → services → HTTP router → server.
// It holds no business rules; cmd/siyu calls it, and whole-program tests start it on a temporary
// directory and port :0.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/analytics"
	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/notify"
	"github.com/siyu-scrm/siyu/internal/order"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/packcard"
	"github.com/siyu-scrm/siyu/internal/phonetask"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecomsync"
	"github.com/siyu-scrm/siyu/web"
)

// Version is set at build time with -ldflags "-X github.com/siyu-scrm/siyu/internal/app.Version=…".
var Version = "dev"

// App is a running (or ready to run) Siyu.
type App struct {
	Config    config.Config
	Log       *slog.Logger
	DB        *store.DB
	Org       *org.Service
	WeCom     *wecomsync.Service
	Customers *customer.Service
	// Acquisition holds channels, live codes and channel stats.
	Acquisition *acquisition.Service
	// Outreach holds short links, SMS campaigns (and their sending worker) and the opt-out list.
	Outreach *acquisition.Outreach
	// Orders holds orders, their binding to customers and customer value (RFM, lifecycle).
	Orders *order.Service
	Notify *notify.Service
	// TagRules keeps auto-tag rules true (on events, on demand and nightly).
	TagRules *customer.TagRules
	// Analytics answers the value reports: channel ROI, funnels, cohorts, repurchase rhythm.
	Analytics *analytics.Service
	// PhoneTasks hands imported phone numbers to staff as daily add-friend tasks; PackageCards
	// prints live codes as package-card sheets.
	PhoneTasks   *phonetask.Service
	PackageCards *packcard.Service
	Router       *httpx.Router

	server   *http.Server
	listener net.Listener
	done     chan error
	stop     context.CancelFunc
}

// Options adjust New for tests.
type Options struct {
	OrgOptions   org.Options
	WeComOptions wecomsync.Options
	// NotifyOptions and TransferOptions tune the WeCom message and customer-transfer workers.
	NotifyOptions   notify.Options
	TransferOptions customer.TransferOptions
	// PhoneTaskOptions tunes the phone-task pass (clock, period).
	PhoneTaskOptions phonetask.Options
	// AcquisitionOptions tune live-code routing (the demo gives it the simulator's clock).
	AcquisitionOptions acquisition.Options
}

// Open opens the store, applies migrations and builds the services, but serves nothing. CLI
// commands that only touch data (user create, tenant create, migrate) stop here.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*App, error) {
	db, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, URL: cfg.DB})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, log); err != nil {
		db.Close()
		return nil, err
	}
	box, err := secretBox(cfg, log)
	if err == nil {
		err = verifyKey(ctx, db, box)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db}
	a.Org = org.NewService(db, box, log, opts.OrgOptions)
	a.WeCom = wecomsync.New(db, a.Org, box, log, opts.WeComOptions)
	a.Customers = customer.New(db, a.WeCom, a.Org, log)
	a.WeCom.Register(a.Customers)
	a.Notify = notify.New(db, a.WeCom, log, opts.NotifyOptions)
	a.Customers.Wire(a.Notify, a.Org, opts.TransferOptions)
	a.WeCom.SetAppliers(wecomsync.Appliers{Org: a.Org, Customer: a.Customers})
	a.Acquisition = acquisition.New(db, a.WeCom, log, opts.AcquisitionOptions)
	a.Outreach = acquisition.NewOutreach(a.Acquisition, box, log, acquisition.OutreachOptions{})
	a.Customers.SetAddHandler(addHandler{a.Acquisition})
	a.Orders = order.New(db, box, a.Org, log)
	a.Customers.AddProfileSection("value", func(ctx context.Context, tenantID, customerID int64) (any, error) {
		v, err := a.Orders.ValueFor(ctx, tenantID, customerID)
		if err != nil || v.Metrics == nil {
			return nil, err
		}
		return v, nil
	})
	a.TagRules = customer.NewTagRules(db, ruleFacts{a.Orders, a.Acquisition}, log)
	a.WeCom.Register(a.TagRules) // after the customer service: the customer is recorded first
	a.Orders.OnCustomersChanged(func(ctx context.Context, tenantID int64, ids []int64) {
		// Spend rules follow orders at once; a failure here is caught up by the nightly run.
		if err := a.TagRules.ApplyFor(ctx, tenantID, ids); err != nil {
			log.Warn("tag rules after orders", "tenant_id", tenantID, "customers", len(ids), "err", err)
		}
	})
	a.Analytics = analytics.New(db)
	a.PhoneTasks = phonetask.New(db, a.Notify, log, opts.PhoneTaskOptions)
	a.PackageCards = packcard.New(db, a.Acquisition, cfg.FontPath)
	a.Router = a.routes()
	return a, nil
}

func secretBox(cfg config.Config, log *slog.Logger) (*seal.Box, error) {
	if cfg.SecretKey != "" {
		key, err := seal.ParseKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("app: SIYU_SECRET_KEY: %w", err)
		}
		return seal.New(key)
	}
	path := filepath.Join(cfg.DataDir, "secret.key")
	key, created, err := seal.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("created a new secret key; back it up, stored WeCom secrets cannot be read without it", "path", path)
	}
	if cfg.DB != "" {
		log.Warn("using a secret key file with PostgreSQL; replicas must share it (set SIYU_SECRET_KEY)", "path", path)
	}
	return seal.New(key)
}

// keyCheck is sealed with the secret key on first start; opening it later proves the key is the
// one the stored secrets were sealed with, so a wrong key stops the server at once instead of
// failing when a tenant's WeCom secret is first needed.
const keyCheck = "siyu secret key check"

func verifyKey(ctx context.Context, db *store.DB, box *seal.Box) error {
	sealed, err := box.Seal(keyCheck, "server_meta:seal_check")
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO server_meta (name, value) VALUES ('seal_check', ?) ON CONFLICT (name) DO NOTHING`, sealed); err != nil {
		return fmt.Errorf("app: record key check: %w", err)
	}
	var stored string
	if err := db.QueryRowContext(ctx, `SELECT value FROM server_meta WHERE name = 'seal_check'`).Scan(&stored); err != nil {
		return fmt.Errorf("app: read key check: %w", err)
	}
	if plain, err := box.Open(stored, "server_meta:seal_check"); err != nil || plain != keyCheck {
		return errors.New("app: the secret key does not match the one this database's secrets were sealed with; " +
			"use the same SIYU_SECRET_KEY (or DATA/secret.key) as the server that wrote them")
	}
	return nil
}

func (a *App) routes() *httpx.Router {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	rt := httpx.NewRouter(a.Org, reg)
	rt.Mount(a.Org.Routes()...)
	rt.Mount(a.WeCom.Routes()...)
	rt.Mount(a.Customers.Routes()...)
	rt.Mount(a.Customers.BulkRoutes()...)
	rt.Mount(a.Customers.LossRoutes()...)
	rt.Mount(a.Customers.TransferRoutes()...)
	rt.Mount(a.Notify.Routes()...)
	rt.Mount(a.Customers.ProfileRoutes()...)
	rt.Mount(a.Customers.DataRoutes()...) // custom fields, imports, exports
	for pattern, h := range a.WeCom.CallbackHandlers() {
		rt.Handle(pattern, h)
	}
	rt.Mount(a.Acquisition.Routes()...)
	rt.Mount(a.Orders.Routes()...)
	rt.Mount(a.Analytics.Routes()...)
	rt.Mount(a.TagRules.Routes()...)
	rt.Mount(a.Customers.GroupRoutes()...) // read-only customer groups (rule conditions pick them)
	rt.Mount(a.PhoneTasks.Routes()...)
	rt.Mount(a.PackageCards.Routes()...)
	// A live code's printed QR: anonymous by design (customers scan it), like the callbacks.
	rt.Handle("GET /l/{slug}", a.Acquisition.LandingHandler())
	rt.Mount(a.Outreach.Routes()...)
	rt.Handle("GET /s/{token}", a.Outreach.ShortLinkHandler()) // a recipient's short link: anonymous too
	// Group live codes and the store finder: anonymous too (GET /l/g/{slug}, /l/stores/{tenant slug}).
	rt.Mount(a.Acquisition.GroupStoreRoutes()...)
	rt.Handle("GET /l/g/{slug}", a.Acquisition.GroupLandingHandler())
	rt.Handle("GET /l/stores/{tenant}", a.Acquisition.StoreFinderHandler())

	rt.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok", "version": Version})
	}))
	rt.Handle("GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.DB.Ping(ctx); err != nil {
			a.Log.Warn("not ready", "err", err)
			httpx.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
			return
		}
		httpx.JSON(w, http.StatusOK, map[string]string{"status": "ready", "database": string(a.DB.Dialect())})
	}))
	rt.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	rt.Handle("GET /api/openapi.json", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.JSON(w, http.StatusOK, rt.OpenAPI("Siyu API", Version))
	}))
	rt.Handle("/", web.Handler())
	return rt
}

// Handler is the whole HTTP surface with request ids, recovery and the access log.
func (a *App) Handler() http.Handler { return httpx.Middleware(a.Log, a.Router) }

// StartWorkers runs the background work (callback writer, event processor) until Close.
func (a *App) StartWorkers() {
	if a.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	// Customers from before search existed (or written without RefreshSearch) get their search
	// rows before the list is served; a quick no-op otherwise.
	if n, err := a.Customers.RepairSearch(ctx); err != nil {
		a.Log.Error("customer search rows not repaired", "err", err)
	} else if n > 0 {
		a.Log.Info("customer search rows built", "customers", n)
	}
	a.WeCom.Start(ctx)
	a.TagRules.Start(ctx)
	a.Notify.Start(ctx)
	a.Outreach.Start(ctx) // SMS campaigns
	a.Customers.StartTransfers(ctx)
	a.Orders.Start(ctx, time.Minute, time.Hour) // bind pending orders; recompute RFM and stages
	a.PhoneTasks.Start(ctx)                     // detect adds, expire, remind (every minute)
}

// Start runs the workers, listens on the configured address and serves in the background.
func (a *App) Start() error {
	a.StartWorkers()
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("app: listen on %s: %w", a.Config.Addr, err)
	}
	a.listener = ln
	a.server = &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	a.done = make(chan error, 1)
	go func() { a.done <- a.server.Serve(ln) }()
	a.Log.Info("siyu is serving", "addr", ln.Addr().String(), "database", a.DB.Dialect(), "version", Version, "console_built", web.Built())
	return nil
}

// Addr is the address actually listened on (useful with :0).
func (a *App) Addr() string {
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

// Wait blocks until the server stops or ctx ends, then shuts down gracefully.
func (a *App) Wait(ctx context.Context) error {
	select {
	case err := <-a.done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return nil
	}
}

// Close stops serving (finishing requests in flight) and closes the database.
func (a *App) Close() error {
	var err error
	if a.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = a.server.Shutdown(ctx)
	}
	if a.stop != nil {
		a.stop()
		a.WeCom.Wait() // the workers write to the database closed below
		a.TagRules.Wait()
		a.Notify.Wait()
		a.Outreach.Wait()
		a.Customers.WaitTransfers()
		a.Orders.Wait()
		a.PhoneTasks.Wait()
	}
	a.Acquisition.Close()     // routes scans still queued; the server stopped taking new ones above
	a.Customers.WaitImports() // background imports write to the database closed below
	return errors.Join(err, a.DB.Close())
}

// ruleFacts answers auto-tag rules' questions about spend (orders) and channels (acquisition).
type ruleFacts struct {
	orders      *order.Service
	acquisition *acquisition.Service
}

func (f ruleFacts) SpentAtLeast(ctx context.Context, tenantID, minFen int64, since time.Time, only []int64) ([]int64, error) {
	return f.orders.SpentAtLeast(ctx, tenantID, minFen, since, only)
}

func (f ruleFacts) ChannelStates(ctx context.Context, tenantID int64, channelIDs []int64) ([]string, error) {
	return f.acquisition.ChannelStates(ctx, tenantID, channelIDs)
}
