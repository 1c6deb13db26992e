package wecomsim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// post sends a control-API request and decodes the answer into out (if not nil).
func post(t *testing.T, base, path string, in, out any) int {
	t.Helper()
	b, _ := json.Marshal(in)
	resp, err := http.Post(base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s: %v in %s", path, err, body)
		}
	}
	return resp.StatusCode
}

// TestControlAPI scripts a customer's life over HTTP only, the way docs/wecomsim.md shows with
// curl.
func TestControlAPI(t *testing.T) {
	e := newEnv(t, nil)
	base := e.srv.URL
	ok := func(code int) {
		t.Helper()
		if code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	var dept Department
	ok(post(t, base, "/sim/departments", map[string]any{"name": "门店A"}, &dept))
	ok(post(t, base, "/sim/staff", map[string]any{"userid": "guide1", "name": "导购一", "department": []int64{dept.ID}}, nil))
	var cu Customer
	ok(post(t, base, "/sim/customers", map[string]any{"name": "王女士", "gender": 2, "unionid": "oUnion1"}, &cu))

	way := must[*wecom.AddContactWayResponse](t)(e.client.AddContactWay(context.Background(),
		wecom.AddContactWayRequest{Type: 1, Scene: 2, State: "poster-1", User: []string{"guide1"}}))
	var scan AddResult
	ok(post(t, base, "/sim/scan", map[string]any{"external_userid": cu.ExternalUserID, "config_id": way.ConfigID}, &scan))
	if scan.Result != AddResultPending {
		t.Fatalf("scan = %+v", scan)
	}
	var acc AddResult
	ok(post(t, base, "/sim/accept", map[string]any{"userid": "guide1", "external_userid": cu.ExternalUserID}, &acc))
	if acc.WelcomeCode == "" || acc.State != "poster-1" {
		t.Fatalf("accept = %+v", acc)
	}
	ok(post(t, base, "/sim/staff-edits-customer", map[string]any{"userid": "guide1", "external_userid": cu.ExternalUserID, "remark": "老客户"}, nil))
	var g GroupChat
	ok(post(t, base, "/sim/groups", map[string]any{"owner": "guide1", "name": "门店A福利群"}, &g))
	ok(post(t, base, "/sim/groups/join", map[string]any{"external_userid": cu.ExternalUserID, "chat_id": g.ChatID}, nil))
	ok(post(t, base, "/sim/groups/leave", map[string]any{"external_userid": cu.ExternalUserID, "chat_id": g.ChatID}, nil))
	ok(post(t, base, "/sim/customer-deletes-staff", map[string]any{"userid": "guide1", "external_userid": cu.ExternalUserID}, nil))

	// Errors map to statuses.
	if code := post(t, base, "/sim/scan", map[string]any{"external_userid": "wmNope", "config_id": way.ConfigID}, nil); code != http.StatusNotFound {
		t.Fatalf("unknown customer: %d", code)
	}
	if code := post(t, base, "/sim/staff", map[string]any{"userid": "guide1"}, nil); code != http.StatusConflict {
		t.Fatalf("duplicate staff: %d", code)
	}
	if code := post(t, base, "/sim/customers", map[string]any{}, nil); code != http.StatusBadRequest {
		t.Fatalf("customer without name: %d", code)
	}
	resp, _ := http.Post(base+"/sim/staff", "application/json", bytes.NewReader([]byte("{")))
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad JSON: %d", resp.StatusCode)
	}

	var adv map[string]int64
	ok(post(t, base, "/sim/clock/advance", map[string]any{"seconds": 30}, &adv))
	ok(post(t, base, "/sim/faults", map[string]any{"path": "user/get", "errcode": -1, "count": 1}, nil))
	ok(post(t, base, "/sim/tokens/expire", nil, nil))

	e.sim.Flush(context.Background())
	r, err := http.Get(base + "/sim/state")
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.NewDecoder(r.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if len(st.Staff) != 1 || len(st.Customers) != 1 || len(st.Relations) != 1 || st.Relations[0].Status != RelDeletedByCustomer ||
		st.Relations[0].Remark != "老客户" || len(st.GroupChats) != 1 || len(st.ContactWays) != 1 || st.ContactWays[0].Scans != 1 {
		t.Fatalf("state = %+v", st)
	}
	var evs struct {
		Events []EventRecord `json:"events"`
	}
	r, _ = http.Get(base + "/sim/events?since=2")
	json.NewDecoder(r.Body).Decode(&evs)
	r.Body.Close()
	var kinds []string
	for _, ev := range evs.Events {
		kinds = append(kinds, ev.ChangeType)
		if ev.Status != DeliveryDelivered {
			t.Fatalf("event %d: %s", ev.ID, ev.Status)
		}
	}
	want := []string{"add_external_contact", "edit_external_contact", "create", "update", "update", "del_follow_user"}
	if len(kinds) != len(want) {
		t.Fatalf("events since 2 = %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events since 2 = %v, want %v", kinds, want)
		}
	}
	r, _ = http.Get(base + "/sim/qr/contact_way/" + way.ConfigID)
	if r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr content type %q", r.Header.Get("Content-Type"))
	}
	r.Body.Close()
	r, _ = http.Get(base + "/sim/welcome-messages")
	var wm struct {
		WelcomeMessages []WelcomeMessage `json:"welcome_messages"`
	}
	json.NewDecoder(r.Body).Decode(&wm)
	r.Body.Close()
	if wm.WelcomeMessages == nil {
		t.Fatal("welcome-messages must be a list")
	}
}

func TestCallbackControlRoute(t *testing.T) {
	sim, h, err := NewServer(Config{Logger: quietLogger(), CallbackTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	srv := newServer(t, h)
	rv := newReceiver(t, sim.CorpID())
	in := map[string]any{"url": rv.URL, "token": testToken, "encoding_aes_key": testAESKey, "verify": true}
	if code := post(t, srv, "/sim/callback", in, nil); code != http.StatusOK {
		t.Fatalf("set callback: %d", code)
	}
	in["token"] = "other"
	if code := post(t, srv, "/sim/callback", in, nil); code != http.StatusBadRequest {
		t.Fatalf("verification with a wrong token should fail, got %d", code)
	}
}

func newServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
