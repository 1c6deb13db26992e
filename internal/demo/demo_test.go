package demo_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/analytics"
	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/demo"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/order"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

const testKey = "c2l5dS10ZXN0LWtleS1zaXl1LXRlc3Qta2V5LTMyYnk="

// TestDemoTraffic runs `siyu demo` in miniature: a real Siyu, the seeded demo tenant, the
// simulator connected to it and a few hundred actions of the crowd; Siyu must have verified and
// stored their callbacks, the add events with the channels' states.
func TestDemoTraffic(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testDemoTraffic(t, "") })
	t.Run("postgres", func(t *testing.T) {
		if dsn := storetest.PostgresDSN(t); dsn != "" {
			testDemoTraffic(t, dsn)
		}
	})
}

func TestMain(m *testing.M) { storetest.Main(m) }

func testDemoTraffic(t *testing.T, dsn string) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := config.Default()
	cfg.DataDir, cfg.DB, cfg.SecretKey, cfg.Addr = t.TempDir(), dsn, testKey, "127.0.0.1:0"
	clock := &demo.Clock{}
	a, err := app.Open(ctx, cfg, log, app.Options{OrgOptions: org.Options{Password: &org.PasswordParams{Memory: 64, Time: 1, Threads: 1}},
		AcquisitionOptions: acquisition.Options{Now: clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.Orders.SetClock(clock.Now)
	a.TagRules.SetClock(clock.Now)
	if _, err := demo.Seed(ctx, a.Org); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	sim, err := demo.StartSimulator(ctx, a.Org, demo.SimOptions{Seed: 1, SiyuURL: demo.LocalURL(a.Addr()), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	clock.Use(sim)
	svc := demo.Services{Org: a.Org, Customers: a.Customers, TagRules: a.TagRules, Acquisition: a.Acquisition, Orders: a.Orders}
	value, err := demo.SeedValue(ctx, svc, sim.Sim.Now(), sim.Sim.Now().Add(48*time.Hour), 1, log)
	if err != nil {
		t.Fatal(err)
	}
	tenant, err := a.Org.TenantBySlug(ctx, demo.Tenant)
	if err != nil {
		t.Fatal(err)
	}
	settings, err := a.Org.WeComSecretsFor(ctx, tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if settings.CorpID != sim.Sim.CorpID() || settings.APIBaseURL != sim.URL+"/cgi-bin/" || settings.WelcomeText == "" {
		t.Errorf("tenant settings = %+v, want the simulator's corp and API", settings)
	}

	traffic, err := demo.NewTraffic(sim, demo.TrafficOptions{Seed: 1, Burst: 100, Speed: demo.DefaultSpeed,
		FastForward: 24 * time.Hour, WelcomeWait: 5 * time.Second, Value: value, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	start := sim.Sim.Now()
	for traffic.Stats().Actions < 300 {
		traffic.Step(ctx, 20)
	}
	flush, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sim.Sim.Flush(flush); err != nil {
		t.Fatal(err)
	}
	st := traffic.Stats()
	t.Logf("traffic: %d actions %v, %d customers, simulated %s", st.Actions, st.ByKind, st.Customers, st.Simulated.Sub(start).Round(time.Minute))
	if st.Failed != 0 {
		t.Errorf("%d of %d actions failed: the plan and the simulator disagree", st.Failed, st.Actions)
	}
	if d := st.Simulated.Sub(start); d < 5*time.Hour {
		t.Errorf("the simulated clock moved %s, want hours", d)
	}

	// The clock jumped only after Siyu had used the welcome codes: none was sent too late.
	for _, m := range sim.Sim.WelcomeMessages() {
		if m.ErrCode != 0 {
			t.Errorf("welcome message %+v failed", m)
		}
	}

	delivered := 0
	for _, e := range sim.Sim.Events() {
		switch e.Status {
		case wecomsim.DeliveryDelivered:
			delivered++
		case wecomsim.DeliveryNone: // the corp's directory and tags, from before Siyu was connected
		default:
			t.Errorf("event %d (%s) was not delivered: %s %+v", e.ID, e.ChangeType, e.Status, e.Attempts)
		}
	}
	var stored int
	if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM wecom_events WHERE tenant_id = ?`, tenant.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	// Two edits of one pair in the same second share WeCom's dedup key, so a few may collapse.
	if stored == 0 || stored < delivered*9/10 {
		t.Errorf("Siyu stored %d of %d delivered events", stored, delivered)
	}

	rows, err := a.DB.QueryContext(ctx, `SELECT payload FROM wecom_events WHERE tenant_id = ? AND change_type = ?`,
		tenant.ID, wecom.ChangeAddExternalContact)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	// Every channel is scanned through its live code: the add's state is the code's state plus
	// the member (lc<slug>.<staff id>), which names the planner's channel.
	known := map[string]string{}
	for _, state := range []string{"store-nanjinglu", "store-hubin", "store-tianhe", "store-wanxiangcheng",
		"package-card-618", "douyin-live", "sms-coupon", "kol-xiaohongshu"} {
		slug := value.Code(state)
		if slug == "" {
			t.Fatalf("no live code for %s", state)
		}
		known["lc"+slug] = state
	}
	states := map[string]int{}
	for rows.Next() {
		var payload string
		if err := rows.Scan(&payload); err != nil {
			t.Fatal(err)
		}
		ev, err := wecom.ParseEvent([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		e, ok := ev.(*wecom.ExternalContactEvent)
		code, _, _ := strings.Cut(e.State, ".")
		if !ok || known[code] == "" {
			t.Errorf("stored add event %T with state %q", ev, e.State)
			continue
		}
		states[known[code]]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(states) < 6 || states["store-nanjinglu"] == 0 {
		t.Errorf("add events by state: %v, want most channels", states)
	}

	checkValue(t, ctx, a, tenant, traffic, sim, start, flush)

	// A restart on the same data keeps the callback token and key: a second simulator verifies
	// the callback URL with them.
	again, err := demo.StartSimulator(ctx, a.Org, demo.SimOptions{Seed: 1, SiyuURL: demo.LocalURL(a.Addr()), Log: log})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	if err := again.Sim.Flush(flush); err != nil {
		t.Fatal(err)
	}
	again.Close()
	after, err := a.Org.WeComSecretsFor(ctx, tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.CallbackToken != settings.CallbackToken || after.EncodingAESKey != settings.EncodingAESKey {
		t.Errorf("a restart changed the callback token or key")
	}
}

// checkValue lets the crowd go on for a simulated day and a half (purchases come due, the
// fast-forward ends, customer value and rule tags are refreshed), then checks that the pages of
// channels, live codes, orders, customer value, analytics and auto-tag rules have data.
func checkValue(t *testing.T, ctx context.Context, a *app.App, tenant org.Tenant, traffic *demo.Traffic, sim *demo.Simulator, start time.Time, flush context.Context) {
	t.Helper()
	for range 60 {
		traffic.Step(ctx, 2)
	}
	if err := sim.Sim.Flush(flush); err != nil {
		t.Fatal(err)
	}
	if err := a.Acquisition.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := traffic.Stats()
	t.Logf("value: %d landing-page scans, %d orders, %d refunds, %d failed purchases", st.CodeScans, st.Orders, st.Refunds, st.OrdersFailed)
	if st.Failed != 0 || st.OrdersFailed != 0 {
		t.Errorf("%d actions and %d purchases failed", st.Failed, st.OrdersFailed)
	}
	if st.Orders == 0 || st.CodeScans == 0 {
		t.Fatalf("the crowd scanned %d landing pages and placed %d orders", st.CodeScans, st.Orders)
	}
	caller := org.Caller{TenantID: tenant.ID, TenantSlug: tenant.Slug, TenantName: tenant.Name, Username: demo.Username, Role: org.Owner}
	owner := org.WithCaller(ctx, caller)

	chans, err := a.Acquisition.Channels(owner)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, c := range chans {
		kinds[c.Kind] = true
		if c.SpendFen <= 0 || c.Codes == 0 {
			t.Errorf("channel %s: spend %d, %d codes", c.Name, c.SpendFen, c.Codes)
		}
	}
	if len(chans) != 5 || !kinds["offline_store"] || !kinds["paid_ads"] || !kinds["package_card"] || !kinds["sms"] || !kinds["kol_koc"] {
		t.Errorf("channels %+v, want the demo's five", chans)
	}

	from, to := acquisition.Day(start), acquisition.Day(sim.Sim.Now())
	stats, err := a.Acquisition.Stats(owner, acquisition.StatsQuery{From: from, To: to, GroupBy: "code"})
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	for _, r := range stats.Rows {
		if r.Adds > 0 {
			used++
		}
	}
	if stats.Total.Adds == 0 || stats.Total.Scans < stats.Total.Adds || int(stats.Total.Scans) != st.CodeScans || used < 6 {
		t.Errorf("code stats: %d scans (the crowd made %d), %d adds, %d of %d codes with adds", stats.Total.Scans, st.CodeScans,
			stats.Total.Adds, used, len(stats.Rows))
	}
	days, err := a.Acquisition.Stats(owner, acquisition.StatsQuery{From: from, To: to, GroupBy: "day"})
	if err != nil {
		t.Fatal(err)
	}
	if active := countIf(days.Rows, func(r acquisition.StatsRow) bool { return r.Scans > 0 }); active < 2 {
		t.Errorf("scans fell on %d days, want the simulated days: %+v", active, days.Rows)
	}

	bound, err := a.Orders.List(owner, order.Filter{Bound: "bound", Page: httpx.PageRequest{Limit: 500}})
	if err != nil {
		t.Fatal(err)
	}
	unbound, err := a.Orders.List(owner, order.Filter{Bound: "unbound", Page: httpx.PageRequest{Limit: 500}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bound.Items) != st.Orders || len(unbound.Items) != 0 {
		t.Errorf("%d bound and %d unbound orders, the crowd placed %d", len(bound.Items), len(unbound.Items), st.Orders)
	}
	for _, o := range bound.Items {
		if o.PaidFen < 5900-2000 || o.PaidFen > 89900 || o.Channel == "" {
			t.Errorf("order %s: paid %d fen, channel %q", o.ExternalID, o.PaidFen, o.Channel)
		}
	}
	sum, err := a.Orders.ValueSummary(owner)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Customers == 0 || sum.ScoredAt == nil || len(sum.Stages) == 0 {
		t.Errorf("customer value summary %+v: not computed", sum)
	}

	day := func(s string) time.Time {
		d, _ := time.ParseInLocation(time.DateOnly, s, acquisition.Zone)
		return d.UTC()
	}
	roi, err := a.Analytics.ChannelROI(ctx, org.ScopeOf(caller), analytics.Period{From: day(from), To: day(to).AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if roi.Total.Adds == 0 || roi.Total.Buyers == 0 || roi.Total.GMVFen <= 0 || roi.Total.SpendFen <= 0 || roi.Total.ROI == nil {
		t.Errorf("ROI report total %+v, want adds, buyers, GMV and spend", roi.Total)
	}

	rules, err := a.TagRules.Rules(owner)
	if err != nil {
		t.Fatal(err)
	}
	matched := int64(0)
	for _, r := range rules {
		matched += r.Matched
	}
	if len(rules) != 3 || matched == 0 {
		t.Errorf("tag rules %+v: want three, matching customers", rules)
	}
	fields, err := a.Customers.Fields(owner)
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) != 2 {
		t.Errorf("custom fields %+v, want 会员等级 and 肤质", fields)
	}
}

func countIf[T any](xs []T, f func(T) bool) int {
	n := 0
	for _, x := range xs {
		if f(x) {
			n++
		}
	}
	return n
}

// TestDemoRestart restarts `siyu demo` in miniature on the data of a first run: the simulator of
// the second run is a new corp, so the live codes must hand out contact ways created in it (the
// crowd's scans all succeed), and nothing SeedValue made is made twice.
func TestDemoRestart(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := config.Default()
	cfg.DataDir, cfg.SecretKey, cfg.Addr = t.TempDir(), testKey, "127.0.0.1:0"
	run := func(seed uint64, actions int) (demo.Stats, *app.App) {
		clock := &demo.Clock{}
		a, err := app.Open(ctx, cfg, log, app.Options{OrgOptions: org.Options{Password: &org.PasswordParams{Memory: 64, Time: 1, Threads: 1}},
			AcquisitionOptions: acquisition.Options{Now: clock.Now}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := demo.Seed(ctx, a.Org); err != nil {
			t.Fatal(err)
		}
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		sim, err := demo.StartSimulator(ctx, a.Org, demo.SimOptions{Seed: seed, SiyuURL: demo.LocalURL(a.Addr()), Log: log})
		if err != nil {
			t.Fatal(err)
		}
		defer sim.Close()
		clock.Use(sim)
		value, err := demo.SeedValue(ctx, demo.Services{Org: a.Org, Customers: a.Customers, TagRules: a.TagRules, Acquisition: a.Acquisition,
			Orders: a.Orders}, sim.Sim.Now(), sim.Sim.Now(), seed, log)
		if err != nil {
			t.Fatal(err)
		}
		crowd, err := demo.NewTraffic(sim, demo.TrafficOptions{Seed: seed, Burst: 30, WelcomeWait: 5 * time.Second, Value: value, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		for crowd.Stats().Actions < actions {
			crowd.Step(ctx, 20)
		}
		flush, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := sim.Sim.Flush(flush); err != nil {
			t.Fatal(err)
		}
		return crowd.Stats(), a
	}
	first, a := run(1, 40)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	second, a := run(2, 40)
	defer a.Close()
	for i, st := range []demo.Stats{first, second} {
		if st.Failed != 0 || st.CodeScans == 0 {
			t.Errorf("run %d: %d of %d actions failed, %d landing-page scans", i+1, st.Failed, st.Actions, st.CodeScans)
		}
	}
	tenant, err := a.Org.TenantBySlug(ctx, demo.Tenant)
	if err != nil {
		t.Fatal(err)
	}
	owner := org.WithCaller(ctx, org.Caller{TenantID: tenant.ID, TenantSlug: tenant.Slug, Username: demo.Username, Role: org.Owner})
	chans, err := a.Acquisition.Channels(owner)
	if err != nil || len(chans) != 5 {
		t.Errorf("after the restart: %d channels (%v), want the five of the first run", len(chans), err)
	}
	codes, err := a.Acquisition.Codes(owner, 0)
	if err != nil || len(codes) != 8 {
		t.Errorf("after the restart: %d live codes (%v), want the eight of the first run", len(codes), err)
	}
	if rules, err := a.TagRules.Rules(owner); err != nil || len(rules) != 3 {
		t.Errorf("after the restart: %d tag rules (%v), want three", len(rules), err)
	}
	if fields, err := a.Customers.Fields(owner); err != nil || len(fields) != 2 {
		t.Errorf("after the restart: %d custom fields (%v), want two", len(fields), err)
	}
}
