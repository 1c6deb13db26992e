package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/siyu-scrm/siyu/internal/loadtest"
)

func init() { extraCommands = append(extraCommands, newBenchCmd) }

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load scenarios that print throughput and latency percentiles (see docs/benchmarks.md)",
	}
	cmd.AddCommand(newBenchCallbacksCmd())
	cmd.AddCommand(newBenchScansCmd())
	cmd.AddCommand(newBenchCustomersCmd())
	cmd.AddCommand(newBenchRFMCmd())
	return cmd
}

// benchOutput is what every benchmark command shares: --json, an optional --cpuprofile of the
// run, and printing the result.
type benchOutput struct {
	json       bool
	cpuProfile string
}

func (o *benchOutput) flags(cmd *cobra.Command, profile bool) {
	cmd.Flags().BoolVar(&o.json, "json", false, "print the result as JSON")
	if profile {
		cmd.Flags().StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	}
}

// run profiles fn if asked and prints its result as text or JSON.
func (o *benchOutput) run(cmd *cobra.Command, fn func() (fmt.Stringer, error)) error {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := fn()
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	text := res.String()
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, err = fmt.Fprint(cmd.OutOrStdout(), text)
	return err
}

func newBenchCallbacksCmd() *cobra.Command {
	var opts loadtest.CallbackOptions
	var out benchOutput
	cmd := &cobra.Command{
		Use:   "callbacks",
		Short: "WeCom callbacks: HTTP → verified → stored → processed, on a throwaway store",
		Long: `Starts Siyu on a throwaway store (SQLite in a temporary directory, or the PostgreSQL
database given with --db — use a scratch database), seals --events distinct add_external_contact
callbacks as WeCom would, posts them over loopback and waits until all are processed.
--rate 0 sends as fast as --concurrency allows (throughput); --rate N sends N per second on an
open-loop schedule (latency at that load).`,
		Example: `  siyu bench callbacks --events 50000
  siyu bench callbacks --events 20000 --rate 1000
  siyu bench callbacks --db postgres://postgres@127.0.0.1/siyu_bench --events 50000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return out.run(cmd, func() (fmt.Stringer, error) { return loadtest.Callbacks(cmd.Context(), opts, cmd.ErrOrStderr()) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DB, "db", "", "PostgreSQL URL of a scratch database (default: SQLite in a temp dir)")
	f.IntVar(&opts.Events, "events", 20000, "number of distinct events")
	f.IntVar(&opts.Rate, "rate", 0, "events per second (0 = as fast as possible)")
	f.IntVar(&opts.Concurrency, "concurrency", 64, "concurrent senders")
	out.flags(cmd, true)
	return cmd
}
