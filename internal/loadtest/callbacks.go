// Package loadtest holds the load scenarios behind `siyu bench`: each starts a real Siyu on a
// throwaway store (SQLite in a temp dir, or a PostgreSQL URL), drives it over loopback HTTP the
// way its real clients do, and reports throughput and latency percentiles. It measures; it does
// not assert, and it must never run against a production database.
package loadtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// CallbackOptions configure the callback scenario.
type CallbackOptions struct {
	// DB is a PostgreSQL URL; empty means SQLite in a temporary directory.
	DB string
	// Events is how many distinct events to send.
	Events int
	// Rate is events per second (0 = as fast as Concurrency allows).
	Rate int
	// Concurrency is the number of concurrent senders.
	Concurrency int
}

// Result is what a scenario measured.
type Result struct {
	Scenario    string        `json:"scenario"`
	Store       string        `json:"store"`
	Events      int           `json:"events"`
	Errors      int           `json:"errors"`
	TargetRate  int           `json:"target_rate"`
	SendTime    time.Duration `json:"send_time_ns"`
	AckedPerSec float64       `json:"acked_per_sec"`
	// DonePerSec covers HTTP → verified → stored → processed: events over the time from the
	// first send until the last event was processed.
	DonePerSec float64       `json:"processed_per_sec"`
	P50        time.Duration `json:"p50_ns"`
	P90        time.Duration `json:"p90_ns"`
	P99        time.Duration `json:"p99_ns"`
	Max        time.Duration `json:"max_ns"`
}

func (r Result) String() string {
	return fmt.Sprintf(`%s on %s: %d events (%d errors), target %s
  acknowledged  %8.0f events/s   (sent in %v)
  processed     %8.0f events/s   (HTTP → verified → stored → processed)
  ack latency   p50 %v   p90 %v   p99 %v   max %v`,
		r.Scenario, r.Store, r.Events, r.Errors, rateText(r.TargetRate), r.AckedPerSec, r.SendTime.Round(time.Millisecond),
		r.DonePerSec, r.P50.Round(10*time.Microsecond), r.P90.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond))
}

func rateText(r int) string {
	if r == 0 {
		return "max"
	}
	return fmt.Sprintf("%d/s", r)
}

const (
	benchToken = "BenchToken"
	benchAES   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// Callbacks measures WeCom callback ingestion end to end.
func Callbacks(ctx context.Context, opts CallbackOptions, progress io.Writer) (Result, error) {
	if opts.Events <= 0 {
		opts.Events = 20000
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 64
	}
	dir, err := os.MkdirTemp("", "siyu-bench-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	cfg := config.Default()
	// A fixed key, so a scratch PostgreSQL database can be benchmarked again and again.
	cfg.DataDir, cfg.DB, cfg.Addr, cfg.SecretKey = dir, opts.DB, "127.0.0.1:0", "c2l5dS1iZW5jaC1rZXktc2l5dS1iZW5jaC1rZXkhIUE="
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{})
	if err != nil {
		return Result{}, err
	}
	defer a.Close()
	if err := a.Start(); err != nil {
		return Result{}, err
	}
	// WeCom is the in-process simulator: processing an add fetches the customer from it, as it
	// would from the real server.
	sim, simURL, stopSim, err := startSim()
	if err != nil {
		return Result{}, err
	}
	defer stopSim()
	slug := fmt.Sprintf("bench-%d", time.Now().UnixNano()%1e9)
	t, err := a.Org.CreateTenant(ctx, slug, "压测")
	if err != nil {
		return Result{}, err
	}
	if err := a.Org.SetWeComSettingsForTenant(ctx, slug, org.WeComSettingsInput{CorpID: sim.CorpID(), ContactSecret: wecomsim.DefaultApp.Secret,
		CallbackToken: benchToken, EncodingAESKey: benchAES, APIBaseURL: simURL + "/cgi-bin/"}); err != nil {
		return Result{}, err
	}
	sender, err := wecom.NewCrypter(benchToken, benchAES, sim.CorpID())
	if err != nil {
		return Result{}, err
	}
	fmt.Fprintf(progress, "preparing %d customers in the simulator…\n", opts.Events)
	pairs, err := prepareCustomers(ctx, sim, simURL, opts.Events)
	if err != nil {
		return Result{}, err
	}
	// Seal every event before the clock starts: the client's crypto is not what is measured.
	fmt.Fprintf(progress, "sealing %d events…\n", opts.Events)
	base := "http://" + a.Addr() + "/callback/wecom/" + slug
	type msg struct {
		url  string
		body []byte
	}
	msgs := make([]msg, opts.Events)
	now := time.Now().Unix()
	for i := range msgs {
		plain := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[%s]]></UserID><ExternalUserID><![CDATA[%s]]></ExternalUserID><State><![CDATA[bench]]></State></xml>`,
			sim.CorpID(), now, pairs[i][0], pairs[i][1])
		m, err := sender.SealMessage([]byte(plain), sim.CorpID(), "")
		if err != nil {
			return Result{}, err
		}
		u, _ := m.URL(base)
		msgs[i] = msg{u, m.Body}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opts.Concurrency, MaxConnsPerHost: opts.Concurrency}}
	lat := make([]time.Duration, opts.Events)
	var errs atomic.Int64
	var next atomic.Int64
	fmt.Fprintf(progress, "sending with %d senders at %s…\n", opts.Concurrency, rateText(opts.Rate))
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < opts.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(msgs) {
					return
				}
				t0 := time.Now()
				if opts.Rate > 0 { // open-loop schedule: event i is due at start + i/rate
					due := start.Add(time.Duration(float64(i) / float64(opts.Rate) * float64(time.Second)))
					if d := time.Until(due); d > 0 {
						time.Sleep(d)
					}
					// Latency counts from when the event was due, so a server that falls behind (and
					// makes later sends late) is not flattered by coordinated omission.
					t0 = due
				}
				resp, err := client.Post(msgs[i].url, "text/xml", bytes.NewReader(msgs[i].body))
				if err != nil {
					errs.Add(1)
					lat[i] = time.Since(t0)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if resp.StatusCode != 200 {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	sent := time.Since(start)
	// Wait for processing to finish: nothing left pending or in flight (an indexed lookup, so the
	// watching does not slow down what it watches).
	for {
		var more int
		err := a.DB.QueryRowContext(ctx, `SELECT 1 FROM wecom_events WHERE status IN ('pending', 'processing') AND tenant_id = ? LIMIT 1`, t.ID).Scan(&more)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return Result{}, err
		}
		if time.Since(start) > 10*time.Minute {
			return Result{}, fmt.Errorf("loadtest: events still unprocessed after 10 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	done := time.Since(start)
	var failed int
	if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM wecom_events WHERE status = 'failed' AND tenant_id = ?`, t.ID).Scan(&failed); err != nil {
		return Result{}, err
	}
	if failed > 0 {
		return Result{}, fmt.Errorf("loadtest: %d events failed processing", failed)
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return Result{
		Scenario: "callbacks", Store: string(a.DB.Dialect()), Events: opts.Events, Errors: int(errs.Load()), TargetRate: opts.Rate,
		SendTime: sent, AckedPerSec: float64(opts.Events) / sent.Seconds(), DonePerSec: float64(opts.Events) / done.Seconds(),
		P50: pct(0.50), P90: pct(0.90), P99: pct(0.99), Max: lat[len(lat)-1],
	}, nil
}

func startSim() (*wecomsim.Sim, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	url := "http://" + ln.Addr().String()
	sim, handler, err := wecomsim.NewServer(wecomsim.Config{BaseURL: url, Seed: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		ln.Close()
		return nil, "", nil, err
	}
	srv := &http.Server{Handler: handler}
	go func() { _ = srv.Serve(ln) }()
	return sim, url, func() { srv.Close(); sim.Close() }, nil
}

// prepareCustomers makes n customers who each added one of 20 guides through a live code, with
// no callback configured yet, so the events the benchmark sends describe real relations.
func prepareCustomers(ctx context.Context, sim *wecomsim.Sim, simURL string, n int) ([][2]string, error) {
	client, err := wecom.NewClient(wecom.Config{CorpID: sim.CorpID(), Secret: wecomsim.DefaultApp.Secret, BaseURL: simURL + "/cgi-bin/"})
	if err != nil {
		return nil, err
	}
	var ways []string
	for g := 0; g < 20; g++ {
		uid := fmt.Sprintf("guide%02d", g)
		if _, err := sim.AddStaff(wecomsim.StaffInput{UserID: uid, Name: fmt.Sprintf("导购%02d", g), Department: []int64{1}}); err != nil {
			return nil, err
		}
		way, err := client.AddContactWay(ctx, wecom.AddContactWayRequest{Type: 1, Scene: 2, State: "bench", SkipVerify: true, User: []string{uid}})
		if err != nil {
			return nil, err
		}
		ways = append(ways, way.ConfigID)
	}
	pairs := make([][2]string, n)
	for i := range pairs {
		cu, err := sim.AddCustomer(wecomsim.CustomerInput{Name: fmt.Sprintf("压测客户%d", i)})
		if err != nil {
			return nil, err
		}
		res, err := sim.Scan(cu.ExternalUserID, ways[i%len(ways)])
		if err != nil {
			return nil, err
		}
		pairs[i] = [2]string{res.UserID, cu.ExternalUserID}
	}
	return pairs, nil
}
