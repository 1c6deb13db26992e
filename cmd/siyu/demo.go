package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/demo"
	"github.com/siyu-scrm/siyu/internal/httpx"
)

func newDemoCmd() *cobra.Command {
	cfg := config.Default()
	// The demo creates a login whose password is in the source: it never picks up a database
	// from the environment (SIYU_DB, SIYU_DATA), only from explicit flags.
	cfg.DataDir, cfg.DB = "data/demo", ""
	var (
		seed    uint64
		traffic bool
		speed   float64
		days    float64
		simAddr string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the server with a demo brand, the WeCom simulator and a crowd of customers, and print the login",
		Long: `Runs the server with a demo brand (tenant "demo": an organisation of four stores and nine
guides, and a login), a WeCom simulator in the same process that the tenant is connected to, and
a seeded crowd of customers who scan the brand's channel codes, add guides, join and leave
customer groups, get remarks and tags, and sometimes delete their guide. Their callbacks reach
Siyu like WeCom's would.

The crowd starts with a burst of 200 customers, then does about two things a second (following
the simulated time of day while the clock is fast-forwarded). The simulated clock runs --speed
minutes per second for --days days, then at real pace. On fresh data the same --seed gives the
same crowd; on data of an earlier run, new customers come.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 0 || traffic && days > 0 && speed <= 0 {
				return fmt.Errorf("--days must not be negative and --speed must be positive")
			}
			// Live-code scans and customer value count by day: on the simulator's clock, so the
			// fast-forwarded fortnight lands on its own days.
			clock := &demo.Clock{}
			log, err := cfg.Logger(os.Stderr)
			if err != nil {
				return err
			}
			a, err := app.Open(cmd.Context(), cfg, log, app.Options{AcquisitionOptions: acquisition.Options{Now: clock.Now}})
			if err != nil {
				return err
			}
			defer a.Close()
			a.Orders.SetClock(clock.Now)
			a.TagRules.SetClock(clock.Now)
			created, err := demo.Seed(cmd.Context(), a.Org)
			if err != nil {
				return err
			}
			if err := a.Start(); err != nil {
				return err
			}
			runSeed := demo.RunSeed(seed, created, time.Now())
			// A fresh demo fills in the last --days of history, ending about now; a restart goes
			// on from now at real pace, so its dates do not overlap the first run's.
			var start time.Time
			if !created {
				days = 0
			} else if traffic && days > 0 {
				start = time.Now().Add(-time.Duration(days * float64(24*time.Hour)))
			}
			sim, err := demo.StartSimulator(cmd.Context(), a.Org, demo.SimOptions{Addr: simAddr, Seed: runSeed,
				SiyuURL: demo.LocalURL(a.Addr()), Start: start, Log: a.Log})
			if err != nil {
				return err
			}
			defer sim.Close()
			clock.Use(sim)
			// Channels with live codes and spend, custom fields and auto-tag rules; the crowd
			// scans the codes and buys.
			from := start
			if from.IsZero() {
				from = time.Now().AddDate(0, 0, -demo.DefaultDays)
			}
			value, err := demo.SeedValue(cmd.Context(), demo.Services{Org: a.Org, Customers: a.Customers, TagRules: a.TagRules,
				Acquisition: a.Acquisition, Orders: a.Orders}, from, time.Now(), seed, a.Log)
			if err != nil {
				return err
			}
			// The log SMS provider and a campaign through the SMS channel's code (sent to the log).
			if err := demo.SeedSMS(cmd.Context(), a.Org, a.Acquisition, a.Outreach, demo.LocalURL(a.Addr()), a.Log); err != nil {
				return err
			}
			// Bring in what the corp had before Siyu was connected (its tag library, for one), the
			// way an operator does after entering the WeCom settings.
			if t, err := a.Org.TenantBySlug(cmd.Context(), demo.Tenant); err == nil {
				if _, err := a.WeCom.StartSync(cmd.Context(), t.ID, "startup"); err != nil && httpx.ErrorCode(err) != httpx.Conflict {
					a.Log.Warn("demo: startup sync not started", "err", err)
				}
			}
			ctx, stop := context.WithCancel(cmd.Context())
			defer stop()
			var crowd sync.WaitGroup
			if traffic {
				t, err := demo.NewTraffic(sim, demo.TrafficOptions{Seed: runSeed, Burst: demo.DefaultBurst, Speed: speed,
					FastForward: time.Duration(days * float64(24*time.Hour)), Value: value, Log: a.Log})
				if err != nil {
					return err
				}
				crowd.Go(func() { t.Run(ctx) })
			}
			// Stop the crowd before the simulator and the server close.
			defer crowd.Wait()
			defer stop()
			state := "existing"
			if created {
				state = "new"
			}
			crowdLine := "off (--traffic=false)"
			if traffic {
				crowdLine = fmt.Sprintf("seed %d", seed)
				if runSeed != seed {
					crowdLine += fmt.Sprintf(" (existing data: new customers, run seed %d)", runSeed)
				}
				if days > 0 {
					crowdLine += fmt.Sprintf("; the clock runs %g simulated minutes a second for %g days", speed, days)
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), `
  Siyu demo (%s data in %s) is running:

    console   %s
    tenant    %s
    username  %s
    password  %s

    WeCom simulator  %s  (API /cgi-bin/, control API /sim/, see docs/wecomsim.md)
    customers        %s

  Stop with Ctrl-C.
`, state, describeStore(cfg), consoleURL(a.Addr()), demo.Tenant, demo.Username, demo.Password, sim.URL, crowdLine)
			return a.Wait(ctx)
		},
	}
	cmd.Flags().StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (SIYU_ADDR)")
	dataFlags(cmd, &cfg)
	f := cmd.Flags()
	f.Uint64Var(&seed, "seed", 1, "seed of the simulator's ids and of the crowd: on fresh data, the same seed gives the same customers and actions")
	f.BoolVar(&traffic, "traffic", true, "run the crowd of simulated customers")
	f.Float64Var(&speed, "speed", demo.DefaultSpeed, "simulated minutes per real second while fast-forwarding")
	f.Float64Var(&days, "days", demo.DefaultDays, "simulated days to fast-forward before the clock runs at real pace (0: never)")
	f.StringVar(&simAddr, "sim-addr", "127.0.0.1:0", "listen address of the WeCom simulator (port 0: a free one)")
	return cmd
}

func describeStore(cfg config.Config) string {
	if cfg.DB != "" {
		return "PostgreSQL"
	}
	return cfg.DataDir
}

// consoleURL turns a listen address into a URL a person can open.
func consoleURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" || strings.HasPrefix(host, "[") {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
