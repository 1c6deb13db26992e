package acquisition

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/sms"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

func TestTemplate(t *testing.T) {
	if got := NormalizeTemplate("  {name}您好，新品到店 {link} "); got != "{name}您好，新品到店 {link} 回T退订" {
		t.Errorf("normalize: %q", got)
	}
	if got := NormalizeTemplate("{link} 回T退订"); got != "{link} 回T退订" {
		t.Errorf("normalize keeps an existing opt-out: %q", got)
	}
	for _, tt := range []struct {
		tmpl, code string
	}{
		{"", "required"}, {"你好 {coupon} {link} 回T退订", "unknown_variable"}, {"你好 {name} 回T退订", "needs_link"},
		{strings.Repeat("长", 501), "too_long"}, {"{name} {phone4} {link} 回T退订", ""},
	} {
		var v httpx.Validator
		checkTemplate(&v, "template", tt.tmpl)
		var e *httpx.Error
		err := v.Err()
		got := ""
		if errors.As(err, &e) {
			got = e.Fields["template"].Code
		}
		if got != tt.code {
			t.Errorf("%q: %q, want %q", tt.tmpl, got, tt.code)
		}
	}
	text, params := Render("{name}您好 {link} 尾号{phone4}的会员 {name} 回T退订", "李雷", "+8613812345678", "https://x/s/abc")
	if text != "李雷您好 https://x/s/abc 尾号5678的会员 李雷 回T退订" {
		t.Errorf("render: %q", text)
	}
	want := []sms.Param{{Name: "name", Value: "李雷"}, {Name: "link", Value: "https://x/s/abc"}, {Name: "phone4", Value: "5678"}}
	if !slices.Equal(params, want) {
		t.Errorf("params %v, want %v (first appearance order)", params, want)
	}
	for n, parts := range map[int]int{1: 1, 70: 1, 71: 2, 134: 2, 135: 3} {
		if Parts(n) != parts {
			t.Errorf("Parts(%d) = %d, want %d", n, Parts(n), parts)
		}
	}
	for s, want := range map[string]bool{"T": true, " td ": true, "Td。": true, "退订": true, "TT": false, "好的": false, "": false} {
		if IsOptOutReply(s) != want {
			t.Errorf("IsOptOutReply(%q) = %v", s, !want)
		}
	}
}

func TestParsePhoneList(t *testing.T) {
	csvText := "姓名,手机号\n李雷,13812345678\n韩梅梅,+86 139-1234-5678\n坏,12345\n李雷2,138 1234 5678\n,\n外国,+14155552671\n"
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(csvText))
	x := excelize.NewFile()
	for i, row := range [][]any{{"手机", "称呼"}, {"13812345678", "李雷"}, {"abc", ""}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		x.SetSheetRow("Sheet1", cell, &row)
	}
	var xb bytes.Buffer
	x.Write(&xb)
	for name, tt := range map[string]struct {
		data   []byte
		phones []string
		bad    []int
		dups   int
	}{
		"csv utf-8 with BOM": {append([]byte("\xef\xbb\xbf"), csvText...), []string{"+8613812345678", "+8613912345678", "+14155552671"}, []int{4}, 1},
		"csv gbk":            {gbk, []string{"+8613812345678", "+8613912345678", "+14155552671"}, []int{4}, 1},
		"xlsx":               {xb.Bytes(), []string{"+8613812345678"}, []int{3}, 0},
		"no header":          {[]byte("13812345678\n13912345678,韩梅梅\n"), []string{"+8613812345678", "+8613912345678"}, nil, 0},
	} {
		got, err := ParsePhoneList(tt.data, httpx.ZhCN)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var phones []string
		for _, r := range got.Recipients {
			phones = append(phones, r.Phone)
		}
		var bad []int
		for _, e := range got.Errors {
			bad = append(bad, e.Row)
		}
		if !slices.Equal(phones, tt.phones) || !slices.Equal(bad, tt.bad) || got.Duplicates != tt.dups {
			t.Errorf("%s: phones %v bad rows %v dups %d; want %v %v %d", name, phones, bad, got.Duplicates, tt.phones, tt.bad, tt.dups)
		}
		if name == "csv gbk" && got.Recipients[1].Name != "韩梅梅" {
			t.Errorf("gbk name %q", got.Recipients[1].Name)
		}
	}
}

type outreachFixture struct {
	fixture
	out  *Outreach
	code LiveCode
	now  *time.Time
}

func setupOutreach(t *testing.T, db *store.DB, provider func(sms.Config) (sms.Provider, error)) outreachFixture {
	t.Helper()
	f := setup(t, db, 1)
	code, err := f.svc.CreateCode(f.owner, LiveCodeInput{ChannelID: f.ch.ID, Name: "短信码", Strategy: RoundRobin, Staff: []CodeStaffInput{{StaffID: f.staff[0].ID}}})
	if err != nil {
		t.Fatal(err)
	}
	withWays(t, db, code)
	box, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	o := NewOutreach(f.svc, box, f.svc.log, OutreachOptions{Now: func() time.Time { return now }, Provider: provider, Batch: 2, MaxAttempts: 3,
		Wait: func(context.Context, time.Duration) error { return nil }})
	return outreachFixture{fixture: f, out: o, code: code, now: &now}
}

// TestShortLinkClicksAndConversion: every visit of a token counts, the first one as a unique
// click; the visit lands on the code's page; a recipient converts when a customer with their
// phone is added after their first click (not before).
func TestShortLinkClicksAndConversion(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setupOutreach(t, db, nil)
		link, err := f.out.CreateLink(f.owner, ShortLinkInput{Name: "会员日", CodeID: f.code.ID, Recipients: []RecipientInput{
			{Phone: "13812345678", Name: "李雷"}, {Phone: "+86 139 1234 5678"}, {Phone: "13700001111"}}})
		if err != nil {
			t.Fatal(err)
		}
		if link.ChannelID != f.ch.ID || link.Recipients != 3 {
			t.Fatalf("link %+v", link)
		}
		page, err := f.out.Recipients(f.owner, link.ID, httpx.PageRequest{Limit: 10}, "")
		if err != nil || len(page.Items) != 3 {
			t.Fatalf("recipients %+v %v", page, err)
		}
		tok := map[string]string{}
		for _, r := range page.Items {
			tok[r.Phone] = r.Token
		}
		mux := http.NewServeMux()
		mux.Handle("GET /s/{token}", f.out.ShortLinkHandler())
		srv := httptest.NewServer(mux)
		defer srv.Close()
		visit := func(token string) int {
			resp, err := http.Get(srv.URL + "/s/" + token + "?format=json")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var l Landing
			json.NewDecoder(resp.Body).Decode(&l)
			if resp.StatusCode == 200 && l.UserID != "g0" {
				t.Errorf("landing %+v", l)
			}
			return resp.StatusCode
		}
		for _, tk := range []string{tok["+8613812345678"], tok["+8613812345678"], tok["+8613912345678"]} {
			if st := visit(tk); st != 200 {
				t.Errorf("visit: %d", st)
			}
		}
		if st := visit("zzzzzzzzzzzz"); st != 404 {
			t.Errorf("unknown token: %d", st)
		}
		if st := visit("../../etc"); st != 404 {
			t.Errorf("bad token: %d", st)
		}
		// Lei is added after his click; the 139 customer was added before clicking; 137 never clicked.
		tid := f.ch.tenantIDForTest(t, db)
		add := func(phone string, at time.Time) {
			err := db.InTx(context.Background(), func(tx *store.Tx) error {
				var cid int64
				if err := tx.QueryRowContext(context.Background(), `INSERT INTO customers (tenant_id, name, created_at, updated_at) VALUES (?, 'x', ?, ?) RETURNING id`,
					tid, at, at).Scan(&cid); err != nil {
					return err
				}
				if _, err := tx.ExecContext(context.Background(), `INSERT INTO customer_identities (tenant_id, kind, value, customer_id, created_at) VALUES (?, 'phone', ?, ?, ?)`,
					tid, phone, cid, at); err != nil {
					return err
				}
				_, err := tx.ExecContext(context.Background(), `INSERT INTO customer_staff (tenant_id, customer_id, wecom_userid, added_at, status_at) VALUES (?, ?, 'g0', ?, ?)`,
					tid, cid, at, at)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		clickTime := f.out.clock()
		add("+8613812345678", clickTime.Add(time.Hour))
		add("+8613912345678", clickTime.Add(-time.Hour))
		add("+8613700001111", clickTime.Add(time.Hour))
		got, err := f.out.Link(f.owner, link.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := (LinkStats{Recipients: 3, Clicks: 3, UniqueClicks: 2, Converted: 1}); got.LinkStats != want {
			t.Errorf("stats %+v, want %+v", got.LinkStats, want)
		}
		page, _ = f.out.Recipients(f.owner, link.ID, httpx.PageRequest{Limit: 2}, "")
		if len(page.Items) != 2 || page.NextCursor == "" || page.Items[0].Clicks != 2 || !page.Items[0].Converted || page.Items[1].Converted {
			t.Errorf("page %+v", page)
		}
		var userid string
		db.QueryRowContext(context.Background(), `SELECT click_userid FROM sms_recipients WHERE token = ?`, tok["+8613812345678"]).Scan(&userid)
		if userid != "g0" {
			t.Errorf("click routed to %q", userid)
		}
		// An analyst sees masked phones.
		c, _ := org.RequireCaller(f.owner)
		analyst := org.WithCaller(context.Background(), org.Caller{TenantID: c.TenantID, Role: org.Analyst})
		page, _ = f.out.Recipients(analyst, link.ID, httpx.PageRequest{Limit: 1}, "")
		if page.Items[0].Phone != "138****5678" {
			t.Errorf("analyst sees %q", page.Items[0].Phone)
		}
		// Bad input: each bad row by index, nothing written.
		_, err = f.out.CreateLink(f.owner, ShortLinkInput{Name: "x", CodeID: f.code.ID, Recipients: []RecipientInput{{Phone: "13812345678"}, {Phone: "12"}, {Phone: "138-1234-5678"}}})
		var e *httpx.Error
		if !errors.As(err, &e) || e.Fields["recipients[1].phone"].Code != "invalid" || e.Fields["recipients[2].phone"].Code != "duplicate" || len(e.Fields) != 2 {
			t.Errorf("bad rows: %v", err)
		}
	})
}

// tenantIDForTest reads a channel's tenant (the fixture keeps only the caller context).
func (c Channel) tenantIDForTest(t *testing.T, db *store.DB) int64 {
	var id int64
	if err := db.QueryRowContext(context.Background(), `SELECT tenant_id FROM acq_channels WHERE id = ?`, c.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// fakeProvider fails by plan and records what it sent.
type fakeProvider struct {
	mu    sync.Mutex
	sent  map[string]int
	tries map[string]int
	texts map[string]string
	plan  map[string][]error // per phone: the errors of the first tries
}

func (p *fakeProvider) Send(_ context.Context, m sms.Message) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.tries[m.Phone]
	p.tries[m.Phone]++
	if n < len(p.plan[m.Phone]) {
		return "", p.plan[m.Phone][n]
	}
	p.sent[m.Phone]++
	p.texts[m.Phone] = m.Text
	return "id-" + m.Phone, nil
}

// TestCampaignSending: the worker sends each recipient exactly once in batches, retries a
// transient failure after its backoff, gives up on a permanent one, skips phones that opted out
// (by a T reply, even after the campaign was created), survives a restart without sending twice
// and closes the campaign.
func TestCampaignSending(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fp := &fakeProvider{sent: map[string]int{}, tries: map[string]int{}, texts: map[string]string{}, plan: map[string][]error{
			"+8613800000001": {&sms.Error{Code: "Throttling.User", Transient: true}},
			"+8613800000002": {&sms.Error{Code: "isv.MOBILE_NUMBER_ILLEGAL"}},
		}}
		var gotCfg sms.Config
		f := setupOutreach(t, db, func(c sms.Config) (sms.Provider, error) { gotCfg = c; return fp, nil })
		in := CampaignInput{Name: "双11", CodeID: f.code.ID, Template: "{name}您好，点 {link} 加导购", Recipients: []RecipientInput{
			{Phone: "13800000001", Name: "甲"}, {Phone: "13800000002"}, {Phone: "13800000003"}, {Phone: "13800000004"}, {Phone: "13800000005"}}}
		if _, err := f.out.CreateCampaign(f.owner, in, "https://siyu.example"); err == nil || !strings.Contains(err.Error(), "SMS provider") {
			t.Fatalf("without settings: %v", err)
		}
		if _, err := f.out.SetSettings(f.owner, SMSSettingsInput{Provider: "aliyun", AccessKeyID: "LTAI", SignName: "思域", TemplateCode: "SMS_1"}); err == nil {
			t.Error("aliyun without a secret accepted")
		}
		st, err := f.out.SetSettings(f.owner, SMSSettingsInput{Provider: "aliyun", AccessKeyID: "LTAI", AccessSecret: "s3cret", SignName: "思域", TemplateCode: "SMS_1", RatePerSecond: 50})
		if err != nil || !st.SecretSet || st.RatePerSecond != 50 {
			t.Fatalf("settings %+v %v", st, err)
		}
		var enc string
		db.QueryRowContext(context.Background(), `SELECT secret_enc FROM sms_settings`).Scan(&enc)
		if enc == "" || strings.Contains(enc, "s3cret") {
			t.Errorf("secret stored as %q", enc)
		}
		// An empty secret keeps the stored one.
		if _, err := f.out.SetSettings(f.owner, SMSSettingsInput{Provider: "aliyun", AccessKeyID: "LTAI", SignName: "思域", TemplateCode: "SMS_1", RatePerSecond: 50}); err != nil {
			t.Fatal(err)
		}
		prev, err := f.out.Preview(f.owner, in, "https://siyu.example")
		if err != nil || prev.Recipients != 5 || len(prev.Samples) != 5 || prev.Samples[0].Text != "甲您好，点 https://siyu.example/s/xxxxxxxxxxxx 加导购 回T退订" {
			t.Fatalf("preview %+v %v", prev, err)
		}
		in.IdempotencyKey = "create-1"
		camp, err := f.out.CreateCampaign(f.owner, in, "https://siyu.example")
		if err != nil || camp.Status != "sending" || camp.Pending != 5 || camp.Template != "{name}您好，点 {link} 加导购 回T退订" {
			t.Fatalf("campaign %+v %v", camp, err)
		}
		// The same request again (a double click, a client retry) is the same campaign: nobody
		// gets the message twice.
		again, err := f.out.CreateCampaign(f.owner, in, "https://siyu.example")
		var recipients int
		db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM sms_recipients WHERE campaign_id = ?`, camp.ID).Scan(&recipients)
		if err != nil || again.ID != camp.ID || recipients != 5 {
			t.Fatalf("repeat with the same key: %+v %v, %d recipients", again, err, recipients)
		}
		var campaigns int
		db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM sms_campaigns WHERE idem_key = 'create-1'`).Scan(&campaigns)
		if campaigns != 1 {
			t.Fatalf("%d campaigns for one key", campaigns)
		}
		// 13800000004 replies TD after the campaign was created: it is never sent to.
		if r, err := f.out.Reply(f.owner, ReplyInput{Phone: "13800000004", Content: "TD"}); err != nil || !r.OptedOut {
			t.Fatalf("reply %+v %v", r, err)
		}
		// 13800000005 was claimed by a process that died mid-send: after a restart it is failed, not resent.
		if _, err := db.ExecContext(context.Background(), `UPDATE sms_recipients SET status = 'sending', attempts = 1 WHERE phone = '+8613800000005'`); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		f.out.opts.Poll = time.Hour
		f.out.Start(ctx)
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := f.out.Campaign(f.owner, camp.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Pending == 1 || time.Now().After(deadline) { // only the throttled one waits for its backoff
				break
			}
			f.out.Wake()
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		f.out.Wait()
		*f.now = f.now.Add(2 * time.Minute) // past the first backoff (1 minute)
		for range 3 {
			if _, err := f.out.SendDue(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.out.Campaign(f.owner, camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "done" || got.Sent != 2 || got.Failed != 2 || got.OptedOut != 1 || got.Pending != 0 || got.FinishedAt == nil {
			t.Errorf("campaign %+v", got)
		}
		if fp.sent["+8613800000001"] != 1 || fp.tries["+8613800000001"] != 2 || fp.sent["+8613800000003"] != 1 ||
			fp.tries["+8613800000002"] != 1 || fp.tries["+8613800000004"] != 0 || fp.tries["+8613800000005"] != 0 {
			t.Errorf("sends %v tries %v", fp.sent, fp.tries)
		}
		if !strings.HasPrefix(fp.texts["+8613800000001"], "甲您好，点 https://siyu.example/s/") || !strings.HasSuffix(fp.texts["+8613800000001"], " 加导购 回T退订") {
			t.Errorf("text %q", fp.texts["+8613800000001"])
		}
		if gotCfg.AccessSecret != "s3cret" || gotCfg.Provider != "aliyun" || gotCfg.SignName != "思域" {
			t.Errorf("provider config %+v", gotCfg)
		}
		page, _ := f.out.Recipients(f.owner, got.LinkID, httpx.PageRequest{Limit: 10}, "failed")
		if len(page.Items) != 2 || !strings.Contains(page.Items[0].Error, "MOBILE_NUMBER_ILLEGAL") || !strings.Contains(page.Items[1].Error, "interrupted") {
			t.Errorf("failed recipients %+v", page.Items)
		}
		// Running again sends nothing more; a done campaign cannot be cancelled.
		if n, err := f.out.SendDue(context.Background()); n != 0 || err != nil {
			t.Errorf("again: %d %v", n, err)
		}
		if _, err := f.out.CancelCampaign(f.owner, camp.ID); err == nil {
			t.Error("cancelled a finished campaign")
		}
		opts, _ := f.out.OptOuts(f.owner)
		if len(opts) != 1 || opts[0].Phone != "+8613800000004" || opts[0].Source != "reply" {
			t.Errorf("opt-outs %+v", opts)
		}

		// A cancelled campaign sends nothing.
		camp2, err := f.out.CreateCampaign(f.owner, CampaignInput{Name: "取消", CodeID: f.code.ID, Template: "{link}", Recipients: []RecipientInput{{Phone: "13800000009"}}}, "https://siyu.example")
		if err != nil {
			t.Fatal(err)
		}
		if c, err := f.out.CancelCampaign(f.owner, camp2.ID); err != nil || c.Status != "cancelled" || c.Cancelled != 1 {
			t.Fatalf("cancel %+v %v", c, err)
		}
		f.out.SendDue(context.Background())
		if fp.tries["+8613800000009"] != 0 {
			t.Error("cancelled campaign sent")
		}
	})
}
