package wecomsim

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

const (
	testToken  = "SiyuSimToken"
	testAESKey = "Siyu0Test0Vector0Key0For0WeComCallback0Abc1"
)

// receiver is a callback endpoint built only from Part 1 (Crypter, ParseEvent), as Siyu's
// handler will be: it verifies, decrypts, parses and answers 200 — or misbehaves on demand.
type receiver struct {
	*httptest.Server
	crypter *wecom.Crypter
	events  chan wecom.Event
	posts   atomic.Int32

	mu      sync.Mutex
	hang    int // the next n POSTs take longer than the sim's timeout
	fail    int // the next n POSTs answer 500
	hangFor time.Duration
	rejects []error
	// override, when set, handles POSTs instead of the default logic.
	override http.HandlerFunc
}

func newReceiver(t *testing.T, corpID string) *receiver {
	t.Helper()
	c, err := wecom.NewCrypter(testToken, testAESKey, corpID)
	if err != nil {
		t.Fatal(err)
	}
	rv := &receiver{crypter: c, events: make(chan wecom.Event, 1000)}
	rv.Server = httptest.NewServer(http.HandlerFunc(rv.serve))
	t.Cleanup(rv.Close)
	return rv
}

func (rv *receiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		echo, err := rv.crypter.VerifyURLRequest(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(echo)
		return
	}
	rv.posts.Add(1)
	rv.mu.Lock()
	if o := rv.override; o != nil {
		rv.mu.Unlock()
		o(w, r)
		return
	}
	hang, fail := rv.hang > 0, rv.fail > 0
	if hang {
		rv.hang--
	} else if fail {
		rv.fail--
	}
	d := rv.hangFor
	rv.mu.Unlock()
	if hang {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
		return
	}
	if fail {
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	plain, err := rv.crypter.DecryptRequest(r)
	if err != nil {
		rv.mu.Lock()
		rv.rejects = append(rv.rejects, err)
		rv.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ev, err := wecom.ParseEvent(plain)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rv.events <- ev
}

// next waits for the next event matching changeType (other events are skipped).
func (rv *receiver) next(t *testing.T, changeType string) wecom.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-rv.events:
			if ev.Header().ChangeType == changeType {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event within 5 s", changeType)
			return nil
		}
	}
}

// none asserts that no event arrives for a short while.
func (rv *receiver) none(t *testing.T) {
	t.Helper()
	select {
	case ev := <-rv.events:
		t.Fatalf("unexpected event %s/%s", ev.Header().Event, ev.Header().ChangeType)
	case <-time.After(100 * time.Millisecond):
	}
}

type env struct {
	sim    *Sim
	srv    *httptest.Server
	rv     *receiver
	client *wecom.Client
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newEnv starts a simulator, a callback receiver wired to it, and a Client pointed at it.
func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	cfg := Config{Logger: quietLogger(), Seed: 42, CallbackTimeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	sim, h, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	rv := newReceiver(t, sim.CorpID())
	if err := sim.SetCallback(context.Background(), CallbackConfig{URL: rv.URL + "/wecom/callback", Token: testToken, EncodingAESKey: testAESKey}, true); err != nil {
		t.Fatalf("SetCallback with URL verification: %v", err)
	}
	client, err := wecom.NewClient(wecom.Config{
		CorpID: sim.CorpID(), Secret: sim.Apps()[0].Secret, BaseURL: srv.URL + "/cgi-bin/",
		Logger: quietLogger(), RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, srv: srv, rv: rv, client: client}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// staffAndCustomer seeds one member and one customer.
func (e *env) staffAndCustomer(t *testing.T, userID, name string) string {
	t.Helper()
	e.sim.mu.Lock()
	exists := e.sim.st.users[userID] != nil
	e.sim.mu.Unlock()
	if !exists {
		must[*Staff](t)(e.sim.AddStaff(StaffInput{UserID: userID, Name: userID}))
		e.rv.next(t, wecom.ChangeCreateUser)
	}
	return must[*Customer](t)(e.sim.AddCustomer(CustomerInput{Name: name, Gender: wecom.GenderFemale, UnionID: "o-" + name})).ExternalUserID
}

func wantCode(t *testing.T, err error, code int) {
	t.Helper()
	got, ok := wecom.ErrorCode(err)
	if !ok || got != code {
		t.Fatalf("err = %v, want errcode %d", err, code)
	}
}

// TestRoundTripScanAndWelcome is the path every new customer takes: Client creates a contact
// way; a customer scans; the signed, encrypted add event reaches the receiver with State and
// WelcomeCode; send_welcome_msg works once within 20 s, and not again or later.
func TestRoundTripScanAndWelcome(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ext := e.staffAndCustomer(t, "zhangsan", "Lucy")
	way := must[*wecom.AddContactWayResponse](t)(e.client.AddContactWay(ctx, wecom.AddContactWayRequest{
		Type: wecom.ContactWaySingle, Scene: wecom.SceneQRCode, SkipVerify: true, State: "渠道-直播间-0001", User: []string{"zhangsan"},
	}))
	if way.ConfigID == "" || !strings.Contains(way.QRCode, way.ConfigID) {
		t.Fatalf("add_contact_way = %+v", way)
	}
	res := must[*AddResult](t)(e.sim.Scan(ext, way.ConfigID))
	if res.Result != AddResultAdded {
		t.Fatalf("scan = %+v", res)
	}
	add := e.rv.next(t, wecom.ChangeAddExternalContact).(*wecom.ExternalContactEvent)
	if add.UserID != "zhangsan" || add.ExternalUserID != ext || add.State != "渠道-直播间-0001" || add.WelcomeCode != res.WelcomeCode || add.WelcomeCode == "" {
		t.Fatalf("event = %+v", add)
	}
	if add.ToUserName != e.sim.CorpID() || add.FromUserName != "sys" {
		t.Fatalf("header = %+v", add.EventHeader)
	}

	welcome := wecom.SendWelcomeMsgRequest{WelcomeCode: add.WelcomeCode, Text: &wecom.Text{Content: "你好，欢迎！"}}
	if err := e.client.SendWelcomeMsg(ctx, welcome); err != nil {
		t.Fatalf("first send_welcome_msg: %v", err)
	}
	err := e.client.SendWelcomeMsg(ctx, welcome)
	wantCode(t, err, wecom.CodeInvalidWelcomeCode)

	// A second customer's code used after 20 s.
	ext2 := e.staffAndCustomer(t, "zhangsan", "Mike")
	must[*AddResult](t)(e.sim.Scan(ext2, way.ConfigID))
	add2 := e.rv.next(t, wecom.ChangeAddExternalContact).(*wecom.ExternalContactEvent)
	e.sim.Advance(21 * time.Second)
	err = e.client.SendWelcomeMsg(ctx, wecom.SendWelcomeMsgRequest{WelcomeCode: add2.WelcomeCode, Text: &wecom.Text{Content: "late"}})
	wantCode(t, err, wecom.CodeInvalidWelcomeCode)

	msgs := e.sim.WelcomeMessages()
	if len(msgs) != 3 || msgs[0].ErrCode != 0 || msgs[1].ErrCode != 41050 || msgs[2].ErrCode != 41050 ||
		msgs[0].ExternalUserID != ext || msgs[0].Text.Content != "你好，欢迎！" || msgs[2].SentAt-msgs[2].CodeIssuedAt < 20 {
		t.Fatalf("welcome log = %+v", msgs)
	}

	got := must[*wecom.GetExternalContactResponse](t)(e.client.GetExternalContact(ctx, ext, ""))
	if got.ExternalContact.Name != "Lucy" || got.ExternalContact.UnionID != "o-Lucy" || len(got.FollowUser) != 1 ||
		got.FollowUser[0].State != "渠道-直播间-0001" || got.FollowUser[0].AddWay != wecom.AddWayQRCode {
		t.Fatalf("externalcontact/get = %+v", got)
	}
	ids := must[[]string](t)(e.client.ListExternalContacts(ctx, "zhangsan"))
	if len(ids) != 2 {
		t.Fatalf("externalcontact/list = %v", ids)
	}
}

func TestAddFlows(t *testing.T) {
	tests := []struct {
		name       string
		skipVerify bool
		half       bool
		scanResult string
		scanEvent  string // "" = no event at scan
	}{
		{"verify required: pending until accepted", false, false, AddResultPending, ""},
		{"skip verify: added at once", true, false, AddResultAdded, wecom.ChangeAddExternalContact},
		{"skip verify, half mode", true, true, AddResultHalf, wecom.ChangeAddHalfExternalContact},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.HalfAddOnSkipVerify = tt.half })
			ctx := context.Background()
			ext := e.staffAndCustomer(t, "lisi", "Ann")
			way := must[*wecom.AddContactWayResponse](t)(e.client.AddContactWay(ctx, wecom.AddContactWayRequest{
				Type: 1, Scene: 2, SkipVerify: tt.skipVerify, State: "s1", User: []string{"lisi"}}))
			res := must[*AddResult](t)(e.sim.Scan(ext, way.ConfigID))
			if res.Result != tt.scanResult {
				t.Fatalf("scan = %+v", res)
			}
			var code string
			if tt.scanEvent == "" {
				e.rv.none(t)
				// Until accepted, the API cannot see the pair.
				_, err := e.client.GetExternalContact(ctx, ext, "")
				wantCode(t, err, wecom.CodeNoRelation)
			} else {
				ev := e.rv.next(t, tt.scanEvent).(*wecom.ExternalContactEvent)
				if ev.State != "s1" || ev.WelcomeCode == "" {
					t.Fatalf("event = %+v", ev)
				}
				code = ev.WelcomeCode
			}
			if tt.half {
				_, err := e.client.GetExternalContact(ctx, ext, "")
				wantCode(t, err, wecom.CodeNoRelation)
				// The code of the half add is used before the member adds back.
				if err := e.client.SendWelcomeMsg(ctx, wecom.SendWelcomeMsgRequest{WelcomeCode: code, Text: &wecom.Text{Content: "hi"}}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.scanResult == AddResultAdded {
				if _, err := e.sim.Accept("lisi", ext); !errors.Is(err, ErrNotFound) {
					t.Fatalf("accept of an added customer: %v", err)
				}
				return
			}
			acc := must[*AddResult](t)(e.sim.Accept("lisi", ext))
			ev := e.rv.next(t, wecom.ChangeAddExternalContact).(*wecom.ExternalContactEvent)
			if ev.State != "s1" || acc.Result != AddResultAdded {
				t.Fatalf("accept event = %+v, result %+v", ev, acc)
			}
			// No new welcome code once one was spent on the half add.
			if tt.half != (ev.WelcomeCode == "") {
				t.Fatalf("welcome code after accept = %q (half=%v)", ev.WelcomeCode, tt.half)
			}
			must[*wecom.GetExternalContactResponse](t)(e.client.GetExternalContact(ctx, ext, ""))
		})
	}
}

func TestDeletions(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ext := e.staffAndCustomer(t, "wangwu", "Bo")
	way := must[*wecom.AddContactWayResponse](t)(e.client.AddContactWay(ctx, wecom.AddContactWayRequest{Type: 1, Scene: 2, SkipVerify: true, User: []string{"wangwu"}}))
	must[*AddResult](t)(e.sim.Scan(ext, way.ConfigID))
	e.rv.next(t, wecom.ChangeAddExternalContact)

	if err := e.sim.CustomerDeletesStaff(ext, "wangwu"); err != nil {
		t.Fatal(err)
	}
	ev := e.rv.next(t, wecom.ChangeDelFollowUser).(*wecom.ExternalContactEvent)
	if ev.UserID != "wangwu" || ev.ExternalUserID != ext {
		t.Fatalf("del_follow_user = %+v", ev)
	}
	// One-way: the API still sees the customer.
	must[*wecom.GetExternalContactResponse](t)(e.client.GetExternalContact(ctx, ext, ""))

	if err := e.sim.StaffDeletesCustomer("wangwu", ext); err != nil {
		t.Fatal(err)
	}
	e.rv.next(t, wecom.ChangeDelExternalContact)
	_, err := e.client.GetExternalContact(ctx, ext, "")
	wantCode(t, err, wecom.CodeNoRelation)
	err = e.client.MarkTag(ctx, wecom.MarkTagRequest{UserID: "wangwu", ExternalUserID: ext, AddTag: []string{"x"}})
	wantCode(t, err, wecom.CodeNoRelation)
}

// TestCallbackRetries: no 200 within the timeout means re-delivery, three deliveries in all.
func TestCallbackRetries(t *testing.T) {
	tests := []struct {
		name       string
		hang, fail int
		wantPosts  int32
		wantStatus string
		delivered  bool
	}{
		{"two timeouts then ok", 2, 0, 3, DeliveryDelivered, true},
		{"one 500 then ok", 0, 1, 2, DeliveryDelivered, true},
		{"always timing out", 5, 0, 3, DeliveryFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.CallbackTimeout = 150 * time.Millisecond })
			e.rv.mu.Lock()
			e.rv.hang, e.rv.fail, e.rv.hangFor = tt.hang, tt.fail, time.Second
			e.rv.mu.Unlock()
			start := time.Now()
			must[*Department](t)(e.sim.AddDepartment(Department{Name: "华东区"}))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := e.sim.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if got := e.rv.posts.Load(); got != tt.wantPosts {
				t.Fatalf("deliveries = %d, want %d", got, tt.wantPosts)
			}
			evs := e.sim.Events()
			last := evs[len(evs)-1]
			if last.Status != tt.wantStatus || len(last.Attempts) != int(tt.wantPosts) {
				t.Fatalf("record = %+v", last)
			}
			if tt.delivered {
				ev := e.rv.next(t, wecom.ChangeCreateParty).(*wecom.ContactEvent)
				if ev.Name != "华东区" || ev.ParentID != 1 {
					t.Fatalf("event = %+v", ev)
				}
			}
			if tt.hang >= 2 && time.Since(start) < 300*time.Millisecond {
				t.Fatal("re-deliveries did not wait for the timeout")
			}
		})
	}
}

// TestRetriedDeliveryIsSameEvent: a re-delivered event decrypts to the same dedup key.
func TestRetriedDeliveryIsSameEvent(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CallbackTimeout = 100 * time.Millisecond })
	// The receiver processes the first delivery but answers too late; WeCom re-delivers.
	var keys []string
	var mu sync.Mutex
	var n atomic.Int32
	e.rv.mu.Lock()
	e.rv.override = func(w http.ResponseWriter, r *http.Request) {
		plain, err := e.rv.crypter.DecryptRequest(r)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		ev, _ := wecom.ParseEvent(plain)
		mu.Lock()
		keys = append(keys, ev.DedupKey())
		mu.Unlock()
		if n.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond)
		}
	}
	e.rv.mu.Unlock()
	must[*Staff](t)(e.sim.AddStaff(StaffInput{UserID: "zhaoliu"}))
	if err := e.sim.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 2 || keys[0] != keys[1] {
		t.Fatalf("keys = %v", keys)
	}
}

func TestSetCallbackVerification(t *testing.T) {
	sim := must[*Sim](t)(New(Config{Logger: quietLogger()}))
	defer sim.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("\"wrong\"\n"))
	}))
	defer bad.Close()
	err := sim.SetCallback(context.Background(), CallbackConfig{URL: bad.URL, Token: testToken, EncodingAESKey: testAESKey}, true)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("verification against a wrong answer: %v", err)
	}
	err = sim.SetCallback(context.Background(), CallbackConfig{URL: bad.URL, Token: testToken, EncodingAESKey: "short"}, false)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad key: %v", err)
	}
	if err := sim.SetCallback(context.Background(), CallbackConfig{}, false); err != nil {
		t.Fatalf("clearing: %v", err)
	}
	// Without a callback, events are still logged.
	must[*Staff](t)(sim.AddStaff(StaffInput{UserID: "u1"}))
	if evs := sim.Events(); len(evs) != 1 || evs[0].Status != DeliveryNone {
		t.Fatalf("events = %+v", evs)
	}
}
