package demo_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/demo"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

const testKey = "c2l5dS10ZXN0LWtleS1zaXl1LXRlc3Qta2V5LTMyYnk="

// TestDemoTraffic runs `siyu demo` in miniature: a real Siyu, the seeded demo tenant, the
// simulator connected to it and a few hundred actions of the crowd; Siyu must have verified and
// stored their callbacks, the add events with the channels' states.
func TestDemoTraffic(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := config.Default()
	cfg.DataDir, cfg.SecretKey, cfg.Addr = t.TempDir(), testKey, "127.0.0.1:0"
	a, err := app.Open(ctx, cfg, log, app.Options{OrgOptions: org.Options{Password: &org.PasswordParams{Memory: 64, Time: 1, Threads: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
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
		FastForward: 24 * time.Hour, WelcomeWait: 2 * time.Second, Log: log})
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
	known := map[string]bool{"store-nanjinglu": true, "store-hubin": true, "store-tianhe": true, "store-wanxiangcheng": true,
		"package-card-618": true, "douyin-live": true, "sms-coupon": true, "kol-xiaohongshu": true}
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
		if !ok || !known[e.State] {
			t.Errorf("stored add event %T with state %q", ev, e.State)
			continue
		}
		states[e.State]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(states) < 6 || states["store-nanjinglu"] == 0 {
		t.Errorf("add events by state: %v, want most channels", states)
	}

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
