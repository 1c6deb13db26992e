package wecomsync_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecomsync"
)

func TestMain(m *testing.M) { storetest.Main(m) }

const (
	corpID = "ww0123456789abcdef"
	token  = "CallbackTok3n"
	aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

var seq atomic.Int64

type rig struct {
	svc      *wecomsync.Service
	db       *store.DB
	srv      *httptest.Server
	tenant   org.Tenant
	sender   *wecom.Crypter // plays WeCom
	handled  atomic.Int64
	failNext atomic.Int64
}

func newRig(t *testing.T, db *store.DB) *rig {
	t.Helper()
	ctx := context.Background()
	box, _ := seal.New(bytes.Repeat([]byte{1}, 32))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	orgs := org.NewService(db, box, log, org.Options{})
	r := &rig{db: db}
	var err error
	r.tenant, err = orgs.CreateTenant(ctx, fmt.Sprintf("cb%d-%d", time.Now().UnixNano()%1e6, seq.Add(1)), "回调测试")
	if err != nil {
		t.Fatal(err)
	}
	if err := orgs.SetWeComSettingsForTenant(ctx, r.tenant.Slug, org.WeComSettingsInput{CorpID: corpID, CallbackToken: token, EncodingAESKey: aesKey}); err != nil {
		t.Fatal(err)
	}
	r.svc = wecomsync.New(db, orgs, box, log, wecomsync.Options{MaxAttempts: 2, RetryBackoff: 10 * time.Millisecond})
	r.svc.Register(wecomsync.HandlerFunc(func(ctx context.Context, tenantID int64, ev wecom.Event) error {
		if tenantID != r.tenant.ID {
			return fmt.Errorf("wrong tenant %d", tenantID)
		}
		if r.failNext.Load() > 0 {
			r.failNext.Add(-1)
			return fmt.Errorf("downstream unavailable")
		}
		r.handled.Add(1)
		return nil
	}))
	wctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	r.svc.Start(wctx)
	mux := http.NewServeMux()
	for p, h := range r.svc.CallbackHandlers() {
		mux.Handle(p, h)
	}
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	r.sender, err = wecom.NewCrypter(token, aesKey, corpID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func addEvent(ext string, at int64) []byte {
	return []byte(fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>
<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>
<ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[guide01]]></UserID>
<ExternalUserID><![CDATA[%s]]></ExternalUserID><State><![CDATA[ch1]]></State><WelcomeCode><![CDATA[WC1]]></WelcomeCode></xml>`, corpID, at, ext))
}

func (r *rig) post(t *testing.T, m *wecom.SealedMessage) int {
	t.Helper()
	u, _ := m.URL(r.srv.URL + "/callback/wecom/" + r.tenant.Slug)
	resp, err := http.Post(u, "text/xml", bytes.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (r *rig) stored(t *testing.T) int {
	t.Helper()
	var n int
	if err := r.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM wecom_events WHERE tenant_id = ?`, r.tenant.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// drain waits until the background processor has nothing pending or in flight.
func (r *rig) drain(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := r.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM wecom_events WHERE tenant_id = ? AND status IN ('pending', 'processing')`,
			r.tenant.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("events still pending after 20 s")
}

func TestURLVerification(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		q, err := r.sender.SealEcho("echo-1234567")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(r.srv.URL + "/callback/wecom/" + r.tenant.Slug + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "echo-1234567" {
			t.Errorf("verify: %d %q", resp.StatusCode, body)
		}
		q.Set("msg_signature", strings.Repeat("0", 40))
		resp, _ = http.Get(r.srv.URL + "/callback/wecom/" + r.tenant.Slug + "?" + q.Encode())
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("forged verify: %d", resp.StatusCode)
		}
	})
}

// TestRedeliveryStoresOnce: each callback delivered 3 times is stored and processed once.
func TestRedeliveryStoresOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		now := time.Now().Unix()
		const events = 20
		var wg sync.WaitGroup
		for i := 0; i < events; i++ {
			plain := addEvent(fmt.Sprintf("wm%03d", i), now)
			for d := 0; d < 3; d++ { // WeCom seals every delivery afresh: new nonce, new IV
				m, err := r.sender.SealMessage(plain, corpID, "")
				if err != nil {
					t.Fatal(err)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if code := r.post(t, m); code != 200 {
						t.Errorf("delivery: %d", code)
					}
				}()
			}
		}
		wg.Wait()
		if n := r.stored(t); n != events {
			t.Errorf("stored %d events, want %d", n, events)
		}
		r.drain(t)
		if got := r.handled.Load(); got != events {
			t.Errorf("handled %d events, want %d", got, events)
		}
		// A fourth delivery after processing changes nothing either.
		m, _ := r.sender.SealMessage(addEvent("wm000", now), corpID, "")
		r.post(t, m)
		r.drain(t)
		if n, got := r.stored(t), r.handled.Load(); n != events || got != events {
			t.Errorf("after late re-delivery: stored %d handled %d", n, got)
		}
	})
}

// TestForgedCallbacksStoreNothing: 1,000 forged or tampered callbacks are all rejected.
func TestForgedCallbacksStoreNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		rng := rand.New(rand.NewPCG(1, 2))
		other, _ := wecom.NewCrypter(token, "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut", corpID)
		wrongCorp, _ := wecom.NewCrypter(token, aesKey, "ww9999999999999999")
		stale, _ := wecom.NewCrypter(token, aesKey, corpID, wecom.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }))
		otherToken, _ := wecom.NewCrypter("OtherToken", aesKey, corpID)
		now := time.Now().Unix()
		for i := 0; i < 1000; i++ {
			plain := addEvent(fmt.Sprintf("forged%d", i), now)
			var m *wecom.SealedMessage
			var err error
			switch i % 7 {
			case 0: // wrong AES key, right token: signature passes only if the attacker knows the token
				m, err = other.SealMessage(plain, corpID, "")
			case 1: // another corp's receive id inside the ciphertext
				m, err = wrongCorp.SealMessage(plain, corpID, "")
			case 2: // a timestamp an hour old (replay)
				m, err = stale.SealMessage(plain, corpID, "")
			case 3: // signed with another token
				m, err = otherToken.SealMessage(plain, corpID, "")
			case 4: // one ciphertext byte flipped after signing
				m, err = r.sender.SealMessage(plain, corpID, "")
				if err == nil {
					flipInEnvelope(m, rng)
				}
			case 5: // signature altered
				m, err = r.sender.SealMessage(plain, corpID, "")
				if err == nil {
					b := []byte(m.MsgSignature)
					b[rng.IntN(len(b))] ^= 1
					m.MsgSignature = string(b)
				}
			case 6: // garbage body
				m, err = r.sender.SealMessage(plain, corpID, "")
				if err == nil {
					m.Body = []byte("<xml><Encrypt>" + strings.Repeat("A", rng.IntN(200)) + "</Encrypt></xml>")
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if code := r.post(t, m); code == 200 {
				t.Fatalf("forged callback %d (kind %d) accepted", i, i%7)
			}
		}
		if n := r.stored(t); n != 0 {
			t.Errorf("%d forged events stored", n)
		}
	})
}

// flipInEnvelope changes one base64 character of the Encrypt field, keeping it valid base64.
func flipInEnvelope(m *wecom.SealedMessage, rng *rand.Rand) {
	env, err := wecom.ParseEnvelope(m.Body)
	if err != nil {
		return
	}
	b := []byte(env.Encrypt)
	i := rng.IntN(len(b) - 2)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	env.Encrypt = string(b)
	m.Body, _ = env.Marshal()
}

func TestFailedProcessingRetriesThenFails(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		r.failNext.Store(1)
		m, _ := r.sender.SealMessage(addEvent("retry1", time.Now().Unix()), corpID, "")
		if code := r.post(t, m); code != 200 {
			t.Fatalf("post: %d", code)
		}
		r.drain(t)
		if r.handled.Load() != 1 {
			t.Errorf("handled %d after one failure, want the retry to succeed", r.handled.Load())
		}
		r.failNext.Store(5)
		m, _ = r.sender.SealMessage(addEvent("retry2", time.Now().Unix()), corpID, "")
		r.post(t, m)
		r.drain(t)
		var status, lastErr string
		if err := db.QueryRowContext(context.Background(), `SELECT status, last_error FROM wecom_events WHERE tenant_id = ? AND dedup_key LIKE ?`,
			r.tenant.ID, "%retry2%").Scan(&status, &lastErr); err != nil {
			t.Fatal(err)
		}
		if status != wecomsync.StatusFailed || !strings.Contains(lastErr, "downstream unavailable") {
			t.Errorf("after max attempts: status %q error %q", status, lastErr)
		}
	})
}

func TestPrune(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		m, _ := r.sender.SealMessage(addEvent("old1", time.Now().Unix()), corpID, "")
		r.post(t, m)
		r.drain(t)
		// Age it past the retention.
		if _, err := db.ExecContext(context.Background(), `UPDATE wecom_events SET processed_at = ? WHERE tenant_id = ?`,
			time.Now().Add(-wecomsync.Retention-time.Hour).UTC(), r.tenant.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := r.svc.Prune(context.Background()); err != nil || n < 1 {
			t.Errorf("Prune = %d, %v", n, err)
		}
		if n := r.stored(t); n != 0 {
			t.Errorf("%d events left after pruning", n)
		}
	})
}
