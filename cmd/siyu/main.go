// Command siyu is the Siyu server and its operator tools. main only parses flags and calls into
// internal/; see `siyu --help`.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the CLI and returns the exit status, so tests can drive it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "siyu:", err)
		if code, ok := err.(exitCode); ok {
			return int(code)
		}
		return 1
	}
	return 0
}

// exitCode lets a command choose its exit status.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "siyu",
		Short: "Siyu (私域) — self-hosted private-domain traffic platform (SCRM)",
		Long: `Siyu runs a brand's private-domain loop on WeChat Work (企业微信): acquire customers
through live codes, keep one profile per customer, activate them, convert and spread, run the
store team, and measure customer value.

Configuration comes from flags and SIYU_* environment variables (see the README).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newServeCmd(), newDemoCmd(), newMigrateCmd(), newUserCmd(), newTenantCmd(), newVersionCmd(),
	)
	for _, extra := range extraCommands {
		root.AddCommand(extra())
	}
	return root
}

// extraCommands are added by files that register themselves (capabilities with CLI tools).
var extraCommands []func() *cobra.Command

// dataFlags binds the flags every data-touching command takes.
func dataFlags(cmd *cobra.Command, cfg *config.Config) {
	cmd.Flags().StringVar(&cfg.DataDir, "data", cfg.DataDir, "directory of the embedded SQLite database (SIYU_DATA)")
	cmd.Flags().StringVar(&cfg.DB, "db", cfg.DB, "PostgreSQL URL instead of SQLite (SIYU_DB)")
	cmd.Flags().StringVar(&cfg.SecretKey, "secret-key", cfg.SecretKey, "base64 32-byte key sealing stored secrets (SIYU_SECRET_KEY); default DATA/secret.key")
	cmd.Flags().StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error (SIYU_LOG_LEVEL)")
	cmd.Flags().StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "text or json (SIYU_LOG_FORMAT)")
}

// openApp opens the store and services for a command.
func openApp(cmd *cobra.Command, cfg config.Config) (*app.App, error) {
	log, err := cfg.Logger(os.Stderr)
	if err != nil {
		return nil, err
	}
	return app.Open(cmd.Context(), cfg, log, app.Options{})
}

func newServeCmd() *cobra.Command {
	cfg := config.Default()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server (API, console, WeCom callbacks) and the job workers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := openApp(cmd, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Start(); err != nil {
				return err
			}
			return a.Wait(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (SIYU_ADDR)")
	dataFlags(cmd, &cfg)
	return cmd
}

func newMigrateCmd() *cobra.Command {
	cfg := config.Default()
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the embedded database migrations (also done at every start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := openApp(cmd, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "database (%s) is up to date\n", a.DB.Dialect())
			return nil
		},
	}
	dataFlags(cmd, &cfg)
	return cmd
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "siyu", app.Version)
		},
	}
}
