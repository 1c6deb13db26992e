package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/siyu-scrm/siyu/internal/loadtest"
)

func newBenchScansCmd() *cobra.Command {
	var opts loadtest.ScanOptions
	var out benchOutput
	cmd := &cobra.Command{
		Use:   "scans",
		Short: "Live-code scans: GET /l/{slug} → staff picked and counted → contact-way QR page, on a throwaway store",
		Long: `Starts Siyu and the WeCom simulator on a throwaway store (SQLite in a temporary directory, or
the PostgreSQL database given with --db — use a scratch database), creates a weighted live code
of three guides (the first capped at a quarter of the scans) and opens its landing URL
--requests times over loopback. Every scan is routed and counted (the counts written to the
database are checked at the end; the capped guide takes only slots reserved in the database).
--rate 0 sends as fast as --concurrency allows (throughput); --rate N sends N per second on an
open-loop schedule (latency at that load, counted from each scan's due time).`,
		Example: `  siyu bench scans --requests 20000
  siyu bench scans --requests 20000 --rate 2000
  siyu bench scans --db postgres://postgres@127.0.0.1/siyu_bench --requests 20000 --rate 2000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return out.run(cmd, func() (fmt.Stringer, error) { return loadtest.Scans(cmd.Context(), opts, cmd.ErrOrStderr()) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DB, "db", "", "PostgreSQL URL of a scratch database (default: SQLite in a temp dir)")
	f.IntVar(&opts.Requests, "requests", 20000, "number of scans")
	f.IntVar(&opts.Rate, "rate", 0, "scans per second (0 = as fast as possible)")
	f.IntVar(&opts.Concurrency, "concurrency", 64, "concurrent senders")
	out.flags(cmd, true)
	return cmd
}
