package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/siyu-scrm/siyu/internal/loadtest"
)

func newBenchRFMCmd() *cobra.Command {
	var opts loadtest.RFMOptions
	var out benchOutput
	cmd := &cobra.Command{
		Use:   "rfm",
		Short: "RFM over millions of orders: aggregate in SQL, bins in Go (and in SQL window functions, for comparison)",
		Long: `Loads --orders synthetic orders for --customers customers into a scratch store (SQLite in a
temporary directory or --data DIR, kept for the next run; or the PostgreSQL database given with
--db — use a scratch database, the load rebuilds the orders indexes) and times the RFM
computation over all of them: the per-customer aggregate (one scan of the covering index) with
quintiles in Go, and the same with NTILE window functions in SQL. --persist also times a full
recompute that writes every customer's metrics row.`,
		Example: `  siyu bench rfm --orders 10000000 --data /tmp/rfm
  siyu bench rfm --orders 10000000 --db postgres://postgres@127.0.0.1/siyu_bench --persist`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return out.run(cmd, func() (fmt.Stringer, error) { return loadtest.RFM(cmd.Context(), opts, cmd.ErrOrStderr()) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DB, "db", "", "PostgreSQL URL of a scratch database (default: SQLite)")
	f.StringVar(&opts.DataDir, "data", "", "keep the SQLite database in this directory between runs (default: a temporary one)")
	f.IntVar(&opts.Orders, "orders", 10_000_000, "number of orders")
	f.IntVar(&opts.Customers, "customers", 0, "number of customers (default orders/10)")
	f.IntVar(&opts.Bins, "bins", 5, "RFM score bins")
	f.BoolVar(&opts.Persist, "persist", false, "also time a full recompute that writes every customer's row")
	out.flags(cmd, true)
	return cmd
}
