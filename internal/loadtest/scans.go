package loadtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// ScanOptions configure the live-code scan scenario.
type ScanOptions struct {
	// DB is a PostgreSQL URL; empty means SQLite in a temporary directory.
	DB string
	// Requests is how many scans to send.
	Requests int
	// Rate is scans per second (0 = as fast as Concurrency allows).
	Rate int
	// Concurrency is the number of concurrent senders.
	Concurrency int
}

// ScanResult is what the scan scenario measured.
type ScanResult struct {
	Scenario   string         `json:"scenario"`
	Store      string         `json:"store"`
	Requests   int            `json:"requests"`
	Errors     int            `json:"errors"`
	TargetRate int            `json:"target_rate"`
	SendTime   time.Duration  `json:"send_time_ns"`
	PerSec     float64        `json:"scans_per_sec"`
	Counted    int            `json:"counted" doc:"scans counted in the database afterwards"`
	ByStaff    map[string]int `json:"by_staff"`
	P50        time.Duration  `json:"p50_ns"`
	P90        time.Duration  `json:"p90_ns"`
	P99        time.Duration  `json:"p99_ns"`
	Max        time.Duration  `json:"max_ns"`
}

func (r ScanResult) String() string {
	return fmt.Sprintf(`%s on %s: %d scans (%d errors), target %s, %d counted, by staff %v
  answered  %8.0f scans/s   (sent in %v)
  latency   p50 %v   p90 %v   p99 %v   max %v`,
		r.Scenario, r.Store, r.Requests, r.Errors, rateText(r.TargetRate), r.Counted, r.ByStaff, r.PerSec, r.SendTime.Round(time.Millisecond),
		r.P50.Round(10*time.Microsecond), r.P90.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond))
}

// Scans measures the live-code landing endpoint: a weighted three-guide code (one capped) is
// scanned N times over loopback; each scan is routed (the capped guide from slots reserved in the
// database), answered with the picked guide's contact-way QR page, and its count written to the
// database (checked at the end).
func Scans(ctx context.Context, opts ScanOptions, progress io.Writer) (ScanResult, error) {
	if opts.Requests <= 0 {
		opts.Requests = 20000
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 64
	}
	dir, err := os.MkdirTemp("", "siyu-bench-")
	if err != nil {
		return ScanResult{}, err
	}
	defer os.RemoveAll(dir)
	cfg := config.Default()
	cfg.DataDir, cfg.DB, cfg.Addr, cfg.SecretKey = dir, opts.DB, "127.0.0.1:0", "c2l5dS1iZW5jaC1rZXktc2l5dS1iZW5jaC1rZXkhIUE="
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{})
	if err != nil {
		return ScanResult{}, err
	}
	defer a.Close()
	if err := a.Start(); err != nil {
		return ScanResult{}, err
	}
	sim, simURL, stopSim, err := startSim()
	if err != nil {
		return ScanResult{}, err
	}
	defer stopSim()
	slug := fmt.Sprintf("bench-%d", time.Now().UnixNano()%1e9)
	t, err := a.Org.CreateTenant(ctx, slug, "压测")
	if err != nil {
		return ScanResult{}, err
	}
	if err := a.Org.SetWeComSettingsForTenant(ctx, slug, org.WeComSettingsInput{CorpID: sim.CorpID(), ContactSecret: wecomsim.DefaultApp.Secret,
		CallbackToken: benchToken, EncodingAESKey: benchAES, APIBaseURL: simURL + "/cgi-bin/"}); err != nil {
		return ScanResult{}, err
	}
	owner := org.WithCaller(ctx, org.Caller{TenantID: t.ID, TenantSlug: t.Slug, Role: org.Owner})
	units, err := a.Org.ListUnits(owner)
	if err != nil {
		return ScanResult{}, err
	}
	var staff []acquisition.CodeStaffInput
	for i, weight := range []int{5, 3, 2} {
		uid := fmt.Sprintf("scan%02d", i)
		if _, err := sim.AddStaff(wecomsim.StaffInput{UserID: uid, Name: uid, Department: []int64{1}}); err != nil {
			return ScanResult{}, err
		}
		st, err := a.Org.CreateStaff(owner, org.StaffInput{Name: fmt.Sprintf("导购%d", i), WeComUserID: uid, OrgUnitID: units[0].ID})
		if err != nil {
			return ScanResult{}, err
		}
		in := acquisition.CodeStaffInput{StaffID: st.ID, Weight: weight}
		if i == 0 {
			in.DailyCap = opts.Requests / 4 // the first guide fills up part-way
		}
		staff = append(staff, in)
	}
	ch, err := a.Acquisition.CreateChannel(owner, acquisition.ChannelInput{Name: "压测渠道", Kind: "poster", Tier: "top", OrgUnitID: units[0].ID})
	if err != nil {
		return ScanResult{}, err
	}
	code, err := a.Acquisition.CreateCode(owner, acquisition.LiveCodeInput{ChannelID: ch.ID, Name: "压测活码", Strategy: acquisition.Weighted, Staff: staff})
	if err != nil {
		return ScanResult{}, err
	}
	url := "http://" + a.Addr() + "/l/" + code.Slug
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opts.Concurrency, MaxConnsPerHost: opts.Concurrency}}
	get := func() (int, error) {
		resp, err := client.Get(url)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	// Warm up: every guide's contact way is created in the simulator on their first scan.
	const warm = 10
	for range warm {
		if st, err := get(); err != nil || st != 200 {
			return ScanResult{}, fmt.Errorf("loadtest: warm-up scan: %d %v", st, err)
		}
	}
	fmt.Fprintf(progress, "scanning %d times with %d senders at %s…\n", opts.Requests, opts.Concurrency, rateText(opts.Rate))
	lat := make([]time.Duration, opts.Requests)
	var errs, next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= opts.Requests {
					return
				}
				t0 := time.Now()
				if opts.Rate > 0 { // open loop: scan i is due at start + i/rate, latency counts from then
					due := start.Add(time.Duration(float64(i) / float64(opts.Rate) * float64(time.Second)))
					if d := time.Until(due); d > 0 {
						time.Sleep(d)
					}
					t0 = due
				}
				st, err := get()
				lat[i] = time.Since(t0)
				if err != nil || st != 200 {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	sent := time.Since(start)
	if err := a.Acquisition.Flush(ctx); err != nil {
		return ScanResult{}, err
	}
	res := ScanResult{Scenario: "scans", Store: string(a.DB.Dialect()), Requests: opts.Requests, Errors: int(errs.Load()), TargetRate: opts.Rate,
		SendTime: sent, PerSec: float64(opts.Requests) / sent.Seconds(), ByStaff: map[string]int{}}
	rows, err := a.DB.QueryContext(ctx, `SELECT st.wecom_userid, d.scans FROM acq_code_daily d JOIN staff st ON st.tenant_id = d.tenant_id AND st.id = d.staff_id
		WHERE d.tenant_id = ? AND d.code_id = ?`, t.ID, code.ID)
	if err != nil {
		return ScanResult{}, err
	}
	for rows.Next() {
		var uid string
		var n int
		if err := rows.Scan(&uid, &n); err != nil {
			rows.Close()
			return ScanResult{}, err
		}
		res.ByStaff[uid] += n
		res.Counted += n
	}
	rows.Close()
	res.Counted -= warm
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	res.P50, res.P90, res.P99, res.Max = pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1]
	return res, nil
}
