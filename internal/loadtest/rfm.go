package loadtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/order"
)

// RFMOptions configure the RFM scenario.
type RFMOptions struct {
	// DB is a PostgreSQL URL of a scratch database; empty means SQLite in DataDir.
	DB string
	// DataDir keeps the SQLite database between runs (loading ten million orders takes minutes);
	// empty means a temporary directory removed at the end.
	DataDir   string
	Orders    int
	Customers int // default Orders / 10
	Bins      int
	// Persist also times a full Recompute (aggregate, score and write every customer's row).
	Persist bool
}

// RFMResult is what the scenario measured.
type RFMResult struct {
	Store      string        `json:"store"`
	Orders     int           `json:"orders"`
	Customers  int           `json:"customers"`
	LoadTime   time.Duration `json:"load_time_ns"`
	RFM        time.Duration `json:"rfm_ns" doc:"RFM: aggregate in SQL, bins in Go"`
	Compute    time.Duration `json:"compute_ns" doc:"ComputeRFM: every metric and RFM in one aggregate, bins in Go (no writes)"`
	Scored     int           `json:"scored"`
	SQLWindow  time.Duration `json:"sql_window_ns" doc:"RFM with NTILE window functions in SQL"`
	Recompute  time.Duration `json:"recompute_ns,omitempty"`
	PersistOut time.Duration `json:"persist_ns,omitempty"`
	// CPU time of each phase (this process: Go and the embedded SQLite; not PostgreSQL's server).
	RFMCPU       time.Duration `json:"rfm_cpu_ns"`
	SQLWindowCPU time.Duration `json:"sql_window_cpu_ns"`
	ComputeCPU   time.Duration `json:"compute_cpu_ns"`
	RecomputeCPU time.Duration `json:"recompute_cpu_ns,omitempty"`
}

func (r RFMResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store %s, %d orders, %d customers (loaded in %s)\n", r.Store, r.Orders, r.Customers, r.LoadTime.Round(time.Second))
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	fmt.Fprintf(&b, "RFM, aggregate in SQL + bins in Go: %s wall, %s CPU (%d customers scored)\n", ms(r.RFM), ms(r.RFMCPU), r.Scored)
	fmt.Fprintf(&b, "RFM, NTILE window functions in SQL: %s wall, %s CPU\n", ms(r.SQLWindow), ms(r.SQLWindowCPU))
	fmt.Fprintf(&b, "all metrics + RFM (no writes):      %s wall, %s CPU\n", ms(r.Compute), ms(r.ComputeCPU))
	if r.Recompute > 0 {
		fmt.Fprintf(&b, "full recompute with writes:         %s wall, %s CPU (writing %s)\n", ms(r.Recompute), ms(r.RecomputeCPU), ms(r.PersistOut))
	}
	return b.String()
}

const rfmSlug = "bench-rfm"

// RFM loads synthetic orders (unless the database already holds them) and times the RFM
// computation over all of them.
func RFM(ctx context.Context, opts RFMOptions, progress io.Writer) (RFMResult, error) {
	if opts.Orders <= 0 {
		opts.Orders = 10_000_000
	}
	if opts.Customers <= 0 {
		opts.Customers = opts.Orders / 10
	}
	if opts.Bins == 0 {
		opts.Bins = 5
	}
	dir := opts.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "siyu-bench-rfm-")
		if err != nil {
			return RFMResult{}, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	cfg := config.Default()
	cfg.DataDir, cfg.DB, cfg.SecretKey = dir, opts.DB, "c2l5dS1iZW5jaC1rZXktc2l5dS1iZW5jaC1rZXkhIUE="
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{})
	if err != nil {
		return RFMResult{}, err
	}
	defer a.Close()
	res := RFMResult{Store: string(a.DB.Dialect()), Orders: opts.Orders, Customers: opts.Customers}
	t, err := a.Org.TenantBySlug(ctx, rfmSlug)
	if err != nil {
		if t, err = a.Org.CreateTenant(ctx, rfmSlug, "RFM benchmark"); err != nil {
			return res, err
		}
	}
	var have int
	if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE tenant_id = ?`, t.ID).Scan(&have); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return res, err
	}
	switch {
	case have == opts.Orders:
		fmt.Fprintf(progress, "reusing %d orders already loaded\n", have)
	case have == 0:
		start := time.Now()
		if err := order.LoadSynthetic(ctx, a.DB, t.ID, opts.Orders, opts.Customers, progress); err != nil {
			return res, err
		}
		res.LoadTime = time.Since(start)
	default:
		return res, fmt.Errorf("the database holds %d benchmark orders, not %d: use a fresh --data directory or database", have, opts.Orders)
	}
	rules := order.DefaultRules()
	rules.RFM.Bins, rules.RFM.WindowDays = opts.Bins, 0 // every order counts
	rules.RFM.ReferenceDate = order.SyntheticEnd.AddDate(0, 0, -1).Format(time.DateOnly)
	if err := a.Orders.SetRulesFor(ctx, t.ID, rules); err != nil {
		return res, err
	}
	a.Orders.SetClock(func() time.Time { return order.SyntheticEnd })
	start, cpu := time.Now(), cpuTime()
	scores, err := a.Orders.RFM(ctx, t.ID, rules, order.SyntheticEnd)
	if err != nil {
		return res, err
	}
	res.RFM, res.RFMCPU, res.Scored = time.Since(start), cpuTime()-cpu, len(scores)
	start, cpu = time.Now(), cpuTime()
	if _, err := a.Orders.RFMSQL(ctx, t.ID, rules, order.SyntheticEnd); err != nil {
		return res, err
	}
	res.SQLWindow, res.SQLWindowCPU = time.Since(start), cpuTime()-cpu
	start, cpu = time.Now(), cpuTime()
	if _, _, err := a.Orders.ComputeRFM(ctx, t.ID, rules, order.SyntheticEnd); err != nil {
		return res, err
	}
	res.Compute, res.ComputeCPU = time.Since(start), cpuTime()-cpu
	if opts.Persist {
		start, cpu = time.Now(), cpuTime()
		tm, err := a.Orders.Recompute(ctx, t.ID)
		if err != nil {
			return res, err
		}
		res.Recompute, res.RecomputeCPU, res.PersistOut = time.Since(start), cpuTime()-cpu, tm.Persist
	}
	return res, nil
}
