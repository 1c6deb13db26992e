package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/notify"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var seq atomic.Int64

// simApps is an AppClients on a simulator; agent overrides the agent id Siyu believes it has,
// and missing answers "not configured".
type simApps struct {
	url     string
	agent   int64
	missing bool
}

func (a simApps) AppClient(ctx context.Context, tenantID int64) (*wecom.Client, int64, error) {
	if a.missing {
		return nil, 0, &httpx.Error{Code: httpx.Conflict, Key: "wecom_app_not_configured"}
	}
	c, err := wecom.NewClient(wecom.Config{CorpID: "ww51a1c0de00000001", Secret: wecomsim.DefaultApp.Secret, BaseURL: a.url, MaxRetries: -1})
	return c, a.agent, err
}

type fixture struct {
	db     *store.DB
	sim    *wecomsim.Sim
	url    string
	tenant int64
	users  []int64
	ctx    context.Context // as the first user
}

func setup(t *testing.T, db *store.DB) fixture {
	t.Helper()
	ctx := context.Background()
	box, _ := seal.New(bytes.Repeat([]byte{3}, 32))
	orgs := org.NewService(db, box, slog.New(slog.NewTextHandler(io.Discard, nil)), org.Options{Password: &org.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	tn, err := orgs.CreateTenant(ctx, fmt.Sprintf("nt%d-%d", time.Now().UnixNano()%1e6, seq.Add(1)), "通知")
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{db: db, tenant: tn.ID}
	for _, name := range []string{"ann", "bob"} {
		u, err := orgs.CreateUserInTenant(ctx, tn.Slug, org.UserInput{Username: name, Password: "password-123", Role: org.Admin})
		if err != nil {
			t.Fatal(err)
		}
		f.users = append(f.users, u.ID)
	}
	f.ctx = org.WithCaller(ctx, org.Caller{TenantID: tn.ID, UserID: f.users[0], Role: org.Admin})
	sim, h, err := wecomsim.NewServer(wecomsim.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	if _, err := sim.AddStaff(wecomsim.StaffInput{UserID: "guide01", Name: "王芳"}); err != nil {
		t.Fatal(err)
	}
	f.sim, f.url = sim, srv.URL+"/cgi-bin/"
	return f
}

// TestNotifications: a note added twice with the same key is one per recipient; each user sees
// and marks only their own.
func TestNotifications(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		svc := notify.New(db, simApps{}, slog.New(slog.NewTextHandler(io.Discard, nil)), notify.Options{})
		for range 2 {
			if err := db.InTx(context.Background(), func(tx *store.Tx) error {
				return svc.Add(context.Background(), tx, notify.Note{TenantID: f.tenant, UserIDs: f.users, Kind: "customer_lost",
					Title: "客户流失", Data: map[string]any{"customer_name": "陈女士"}, DedupKey: "loss:1"})
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.InTx(context.Background(), func(tx *store.Tx) error {
			return svc.Add(context.Background(), tx, notify.Note{TenantID: f.tenant, UserIDs: f.users[:1], Kind: "other", Title: "另一条", DedupKey: "x:2"})
		}); err != nil {
			t.Fatal(err)
		}
		list, err := svc.Mine(f.ctx, notify.Filter{Page: httpx.PageRequest{Limit: 1}})
		if err != nil || list.Unread != 2 || len(list.Items) != 1 || list.Items[0].Kind != "other" || list.NextCursor == "" {
			t.Fatalf("first page: %+v %v", list, err)
		}
		after, _ := httpx.DecodeCursor(list.NextCursor)
		list, err = svc.Mine(f.ctx, notify.Filter{Kind: "customer_lost", Page: httpx.PageRequest{Limit: 10, After: after}})
		if err != nil || len(list.Items) != 1 || string(list.Items[0].Data.(json.RawMessage)) != `{"customer_name":"陈女士"}` {
			t.Fatalf("second page: %+v %v", list, err)
		}
		bob := org.WithCaller(context.Background(), org.Caller{TenantID: f.tenant, UserID: f.users[1], Role: org.Admin})
		if err := svc.MarkRead(bob, list.Items[0].ID); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("bob marks ann's notification: %v", err)
		}
		if err := svc.MarkRead(f.ctx, list.Items[0].ID); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.MarkAllRead(f.ctx); err != nil || n.Updated != 1 {
			t.Errorf("read all: %+v %v", n, err)
		}
		if l, _ := svc.Mine(bob, notify.Filter{Unread: true, Page: httpx.PageRequest{Limit: 10}}); l.Unread != 1 || len(l.Items) != 1 {
			t.Errorf("bob's notifications: %+v", l)
		}
		token := org.WithCaller(context.Background(), org.Caller{TenantID: f.tenant, TokenID: 9, Role: org.Admin})
		if l, err := svc.Mine(token, notify.Filter{Page: httpx.PageRequest{Limit: 10}}); err != nil || len(l.Items) != 0 {
			t.Errorf("an API token's notifications: %+v %v", l, err)
		}
	})
}

// TestMessageJobs: a message is queued once per key and sent once; busy answers are retried;
// configuration errors fail at once.
func TestMessageJobs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		opts := notify.Options{RetryBase: time.Millisecond}
		enqueue := func(svc *notify.Service, key string, to ...string) {
			t.Helper()
			if err := db.InTx(context.Background(), func(tx *store.Tx) error {
				return svc.Enqueue(context.Background(), tx, notify.Message{TenantID: f.tenant, Kind: "test", ToUser: to, Content: "提醒", DedupKey: key})
			}); err != nil {
				t.Fatal(err)
			}
		}
		drain := func(svc *notify.Service) {
			t.Helper()
			for range 50 {
				n, err := svc.SendDue(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					jobs, _ := svc.MessageJobs(context.Background(), f.tenant)
					pending := false
					for _, j := range jobs {
						pending = pending || j.Status == notify.MessagePending
					}
					if !pending {
						return
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		ok := notify.New(db, simApps{url: f.url, agent: wecomsim.DefaultApp.AgentID}, log, opts)
		f.sim.InjectFault("message/send", wecom.CodeFrequencyLimit, 2)
		enqueue(ok, "a", "guide01", "guide01", "nobody", "")
		enqueue(ok, "a", "guide01")
		enqueue(ok, "empty")
		drain(ok)
		jobs, _ := ok.MessageJobs(context.Background(), f.tenant)
		if len(jobs) != 1 || jobs[0].Status != notify.MessageSent || jobs[0].Attempts != 3 || jobs[0].ToUser != "guide01|nobody" ||
			jobs[0].InvalidUser != "nobody" || jobs[0].MsgID == "" {
			t.Fatalf("jobs = %+v", jobs)
		}
		if m := f.sim.AppMessages(); len(m) != 1 || m[0].Text.Content != "提醒" {
			t.Fatalf("sim messages = %+v", m)
		}

		for name, svc := range map[string]*notify.Service{
			"wrong agent":    notify.New(db, simApps{url: f.url, agent: 42}, log, opts),
			"not configured": notify.New(db, simApps{missing: true}, log, opts),
		} {
			key := "k-" + name
			enqueue(svc, key, "guide01")
			drain(svc)
			var status string
			var attempts int
			if err := db.QueryRowContext(context.Background(), `SELECT status, attempts FROM wecom_message_jobs WHERE tenant_id = ? AND dedup_key = ?`,
				f.tenant, key).Scan(&status, &attempts); err != nil {
				t.Fatal(err)
			}
			if status != notify.MessageFailed || attempts != 1 {
				t.Errorf("%s: %s after %d attempts, want failed after 1", name, status, attempts)
			}
		}
		if m := f.sim.AppMessages(); len(m) != 1 {
			t.Errorf("failed jobs reached WeCom: %d messages", len(m))
		}
	})
}
