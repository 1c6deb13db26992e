package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

func init() { extraCommands = append(extraCommands, newWeComSimCmd) }

func newWeComSimCmd() *cobra.Command {
	var addr, corpID, publicURL string
	var cb wecomsim.CallbackConfig
	var seed uint64
	cmd := &cobra.Command{
		Use:   "wecom-sim",
		Short: "Run the WeCom simulator as a stand-alone server (API under /cgi-bin/, control API under /sim/)",
		Long: `Runs a stateful simulator of the WeCom (企业微信) server API for integrators: point a WeCom
client's base URL at http://ADDR/cgi-bin/ and script customers through /sim/… (see docs/wecomsim.md).
With --callback-url, --callback-token and --callback-aes-key it verifies that URL and delivers
signed, encrypted events to it, retrying like WeCom.`,
		Example: `  siyu wecom-sim --addr :8081
  siyu wecom-sim --callback-url http://localhost:8080/callback/wecom/demo --callback-token T --callback-aes-key K`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if publicURL == "" {
				publicURL = "http://" + addr
				if addr != "" && addr[0] == ':' {
					publicURL = "http://localhost" + addr
				}
			}
			sim, handler, err := wecomsim.NewServer(wecomsim.Config{CorpID: corpID, BaseURL: publicURL, Seed: seed,
				Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
			if err != nil {
				return err
			}
			defer sim.Close()
			srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
			errc := make(chan error, 1)
			go func() { errc <- srv.ListenAndServe() }()
			if cb.URL != "" {
				// The receiver may still be starting; verification is retried for a while.
				var err error
				for i := 0; i < 30; i++ {
					if err = sim.SetCallback(cmd.Context(), cb, true); err == nil {
						break
					}
					time.Sleep(time.Second)
				}
				if err != nil {
					return fmt.Errorf("callback URL %s did not verify: %w", cb.URL, err)
				}
			}
			app := sim.Apps()[0]
			fmt.Fprintf(cmd.OutOrStdout(), "WeCom simulator on %s\n  API      %s/cgi-bin/\n  control  %s/sim/\n  corp id  %s\n  secret   %s (agent %d)\n",
				addr, publicURL, publicURL, sim.CorpID(), app.Secret, app.AgentID)
			select {
			case err := <-errc:
				if !errors.Is(err, http.ErrServerClosed) {
					return err
				}
			case <-cmd.Context().Done():
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", ":8081", "listen address")
	f.StringVar(&publicURL, "public-url", "", "the simulator's URL as clients see it (default from --addr)")
	f.StringVar(&corpID, "corp-id", "", "simulated corp id (default ww51a1c0de00000001)")
	f.Uint64Var(&seed, "seed", 1, "seed for generated ids")
	f.StringVar(&cb.URL, "callback-url", "", "where to deliver events, e.g. http://localhost:8080/callback/wecom/demo")
	f.StringVar(&cb.Token, "callback-token", "", "callback Token")
	f.StringVar(&cb.EncodingAESKey, "callback-aes-key", "", "callback EncodingAESKey (43 characters)")
	return cmd
}
