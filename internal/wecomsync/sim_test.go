package wecomsync_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// TestThroughSimulator: a customer scans a contact-way QR in the simulator → the signed,
// encrypted add event with its State reaches Siyu's callback URL (after the simulator verified
// the URL) → Siyu stores and processes it → the processing sends the welcome message with the
// event's welcome code within its 20 seconds, once. The client uses the database token cache.
func TestThroughSimulator(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		ctx := context.Background()
		sim, handler, err := wecomsim.NewServer(wecomsim.Config{CorpID: corpID, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sim.Close() })
		simSrv := httptest.NewServer(handler)
		t.Cleanup(simSrv.Close)
		if err := sim.SetCallback(ctx, wecomsim.CallbackConfig{URL: r.srv.URL + "/callback/wecom/" + r.tenant.Slug,
			Token: token, EncodingAESKey: aesKey}, true); err != nil {
			t.Fatalf("simulator could not verify Siyu's callback URL: %v", err)
		}
		client, err := wecom.NewClient(wecom.Config{CorpID: corpID, Secret: wecomsim.DefaultApp.Secret,
			BaseURL: simSrv.URL + "/cgi-bin/", TokenCache: r.svc.Tokens(r.tenant.ID)})
		if err != nil {
			t.Fatal(err)
		}

		var mu sync.Mutex
		var got []*wecom.ExternalContactEvent
		var welcomeErrs []error
		r.svc.Register(handlerFunc(func(ctx context.Context, tenantID int64, ev wecom.Event) error {
			e, ok := ev.(*wecom.ExternalContactEvent)
			if !ok || e.ChangeType != wecom.ChangeAddExternalContact {
				return nil
			}
			err := client.SendWelcomeMsg(ctx, wecom.SendWelcomeMsgRequest{WelcomeCode: e.WelcomeCode,
				Text: &wecom.Text{Content: "欢迎光临，送您一张新客券"}})
			mu.Lock()
			got = append(got, e)
			welcomeErrs = append(welcomeErrs, err)
			mu.Unlock()
			return err
		}))

		if _, err := sim.AddStaff(wecomsim.StaffInput{UserID: "guide01", Name: "王芳", Department: []int64{1}}); err != nil {
			t.Fatal(err)
		}
		cu, err := sim.AddCustomer(wecomsim.CustomerInput{Name: "李女士", Gender: 2})
		if err != nil {
			t.Fatal(err)
		}
		way, err := client.AddContactWay(ctx, wecom.AddContactWayRequest{Type: 1, Scene: 2, State: "poster-618",
			SkipVerify: true, User: []string{"guide01"}})
		if err != nil {
			t.Fatal(err)
		}
		scanned := time.Now()
		if _, err := sim.Scan(cu.ExternalUserID, way.ConfigID); err != nil {
			t.Fatal(err)
		}
		if err := sim.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		r.drain(t)

		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 || got[0].State != "poster-618" || got[0].UserID != "guide01" || got[0].ExternalUserID != cu.ExternalUserID {
			t.Fatalf("processed add events = %+v", got)
		}
		if welcomeErrs[0] != nil {
			t.Errorf("welcome message: %v", welcomeErrs[0])
		}
		// The simulator records every attempt; the first, with this event's code, succeeded in time.
		sent := sim.WelcomeMessages()
		if len(sent) == 0 || sent[0].WelcomeCode != got[0].WelcomeCode || sent[0].ErrCode != 0 ||
			time.Unix(sent[0].SentAt, 0).Sub(scanned) > 20*time.Second {
			t.Errorf("simulator saw welcome messages %+v", sent)
		}
		// The code is spent: a second send fails with WeCom's error.
		err = client.SendWelcomeMsg(ctx, wecom.SendWelcomeMsgRequest{WelcomeCode: got[0].WelcomeCode, Text: &wecom.Text{Content: "again"}})
		var apiErr *wecom.APIError
		if !errors.As(err, &apiErr) {
			t.Errorf("second welcome with the same code: %v, want a WeCom API error", err)
		}
		// The access token went through the database cache.
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM wecom_tokens WHERE tenant_id = ?`, r.tenant.ID).Scan(&n); err != nil || n == 0 {
			t.Errorf("tokens cached in the database: %d (%v)", n, err)
		}
	})
}

type handlerFunc func(ctx context.Context, tenantID int64, ev wecom.Event) error

func (f handlerFunc) HandleWeComEvent(ctx context.Context, tenantID int64, ev wecom.Event) error {
	return f(ctx, tenantID, ev)
}
