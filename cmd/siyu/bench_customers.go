package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/siyu-scrm/siyu/internal/loadtest"
)

func newBenchCustomersCmd() *cobra.Command {
	var opts loadtest.CustomerOptions
	var out benchOutput
	cmd := &cobra.Command{
		Use:   "customers",
		Short: "Customer list and search: first-page latency over a large synthetic tenant",
		Long: `Loads --customers synthetic customers (Chinese names, phones, relations with remarks, tags)
into a benchmark tenant, unless an earlier run on the same store loaded them, then times the first
page (50 rows) of typical list queries — tags any/all/none with a keyword, phone endings, pinyin,
sorts, a manager's scope — --runs times each with varying tags and keywords, and prints p50/p99.
SQLite lives in --data (kept, so the next run skips loading) or a temporary directory; --db uses a
scratch PostgreSQL database.`,
		Example: `  siyu bench customers --customers 1000000 --data /tmp/siyu-bench
  siyu bench customers --customers 1000000 --db postgres://postgres@127.0.0.1/siyu_bench`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return out.run(cmd, func() (fmt.Stringer, error) { return loadtest.Customers(cmd.Context(), opts, cmd.ErrOrStderr()) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DB, "db", "", "PostgreSQL URL of a scratch database (default: SQLite in --data or a temp dir)")
	f.StringVar(&opts.DataDir, "data", "", "keep the SQLite database here, to reuse the loaded customers in the next run")
	f.IntVar(&opts.Customers, "customers", 1_000_000, "number of customers in the benchmark tenant")
	f.IntVar(&opts.Runs, "runs", 30, "timed runs per query")
	f.Uint64Var(&opts.Seed, "seed", 1, "random seed of the generated data and queries")
	out.flags(cmd, false)
	return cmd
}
