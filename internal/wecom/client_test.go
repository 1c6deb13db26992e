package wecom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer is a scripted stand-in for the WeCom API: gettoken hands out t1, t2, … and each
// test installs handlers for the endpoints it exercises.
type fakeServer struct {
	*httptest.Server
	gettoken atomic.Int32
	mu       sync.Mutex
	handlers map[string]func(w http.ResponseWriter, r *http.Request)
	hits     map[string]int
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{handlers: map[string]func(http.ResponseWriter, *http.Request){}, hits: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/cgi-bin/")
		f.mu.Lock()
		f.hits[path]++
		h := f.handlers[path]
		f.mu.Unlock()
		if path == "gettoken" {
			if r.URL.Query().Get("corpsecret") != "secret" {
				fmt.Fprint(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
				return
			}
			n := f.gettoken.Add(1)
			fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","access_token":"t%d","expires_in":7200}`, n)
			return
		}
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) handle(path string, h func(w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[path] = h
}

func (f *fakeServer) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestClient(t *testing.T, f *fakeServer, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		CorpID:         "wwcorp",
		Secret:         "secret",
		BaseURL:        f.URL + "/cgi-bin",
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  5 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// okFollowList answers get_follow_user_list and reports the token it saw.
func okFollowList(seen *[]string, mu *sync.Mutex) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*seen = append(*seen, r.URL.Query().Get("access_token"))
		mu.Unlock()
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","follow_user":["zhangsan","lisi"]}`)
	}
}

func TestTokenCachedAndShared(t *testing.T) {
	f := newFakeServer(t)
	var seen []string
	var mu sync.Mutex
	f.handle("externalcontact/get_follow_user_list", okFollowList(&seen, &mu))
	cache := NewMemoryTokenCache()
	a := newTestClient(t, f, func(c *Config) { c.TokenCache = cache })
	b := newTestClient(t, f, func(c *Config) { c.TokenCache = cache })
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		for _, c := range []*Client{a, b} {
			users, err := c.GetFollowUserList(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != 2 {
				t.Fatalf("users = %v", users)
			}
		}
	}
	if n := f.gettoken.Load(); n != 1 {
		t.Fatalf("gettoken called %d times, want 1 (two clients share the cache)", n)
	}
	// A client with another secret must not reuse that token.
	other := newTestClient(t, f, func(c *Config) { c.TokenCache = cache; c.Secret = "other" })
	if _, err := other.GetFollowUserList(ctx); !errors.Is(err, ErrCredential) {
		t.Fatalf("other secret: err = %v, want ErrCredential", err)
	}
}

func TestTokenConcurrentFetchOnce(t *testing.T) {
	f := newFakeServer(t)
	var seen []string
	var mu sync.Mutex
	f.handle("externalcontact/get_follow_user_list", okFollowList(&seen, &mu))
	c := newTestClient(t, f, nil)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetFollowUserList(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := f.gettoken.Load(); n != 1 {
		t.Fatalf("gettoken called %d times by 20 concurrent calls, want 1", n)
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	f := newFakeServer(t)
	var seen []string
	var mu sync.Mutex
	f.handle("externalcontact/get_follow_user_list", okFollowList(&seen, &mu))
	clock := &testClock{now: time.Unix(1_700_000_000, 0)}
	c := newTestClient(t, f, func(c *Config) { c.Now = clock.Now })
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		token   string
	}{
		{0, "t1"},
		{7200*time.Second - 5*time.Minute - time.Second, "t1"}, // 5 min + 1 s left: still used
		{2 * time.Second, "t2"},                                // inside the refresh margin
		{time.Hour, "t2"},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if _, err := c.GetFollowUserList(ctx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		got := seen[len(seen)-1]
		mu.Unlock()
		if got != s.token {
			t.Fatalf("step %d: token %s, want %s", i, got, s.token)
		}
	}
}

func TestTokenExpiredRefreshesOnceAndRetries(t *testing.T) {
	tests := []struct {
		name      string
		code      int
		rejectAll bool
		wantErr   error
		wantHits  int
		wantToken int32
	}{
		{"42001 then ok", 42001, false, nil, 2, 2},
		{"40014 then ok", 40014, false, nil, 2, 2},
		{"42009 then ok", 42009, false, nil, 2, 2},
		{"always expired", 42001, true, ErrTokenExpired, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.handle("user/get", func(w http.ResponseWriter, r *http.Request) {
				if tt.rejectAll || r.URL.Query().Get("access_token") == "t1" {
					fmt.Fprintf(w, `{"errcode":%d,"errmsg":"access_token expired"}`, tt.code)
					return
				}
				fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","userid":"zhangsan","name":"张三","department":[1],"status":1}`)
			})
			c := newTestClient(t, f, nil)
			u, err := c.GetUser(context.Background(), "zhangsan")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !IsTokenExpired(err) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			} else if err != nil || u.Name != "张三" {
				t.Fatalf("GetUser = %+v, %v", u, err)
			}
			if got := f.count("user/get"); got != tt.wantHits {
				t.Fatalf("user/get hit %d times, want %d", got, tt.wantHits)
			}
			if got := f.gettoken.Load(); got != tt.wantToken {
				t.Fatalf("gettoken %d times, want %d", got, tt.wantToken)
			}
		})
	}
}

func TestRetryBusyAndRateLimited(t *testing.T) {
	tests := []struct {
		name     string
		codes    []int // answers in order; 0 = success
		retries  int
		wantErr  error
		wantHits int
	}{
		{"-1 twice then ok", []int{-1, -1, 0}, 3, nil, 3},
		{"45009 then ok", []int{45009, 0}, 3, nil, 2},
		{"45033 then ok", []int{45033, 0}, 3, nil, 2},
		{"45009 forever", []int{45009, 45009, 45009, 45009, 45009, 45009}, 3, ErrRateLimited, 4},
		{"retries disabled", []int{-1, 0}, -1, ErrRateLimited, 1},
		{"not retryable", []int{40058, 0}, 3, ErrInvalid, 1},
		{"no relation", []int{84061, 0}, 3, ErrNotFound, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			var n atomic.Int32
			f.handle("externalcontact/add_msg_template", func(w http.ResponseWriter, r *http.Request) {
				code := tt.codes[min(int(n.Add(1))-1, len(tt.codes)-1)]
				if code != 0 {
					fmt.Fprintf(w, `{"errcode":%d,"errmsg":"scripted"}`, code)
					return
				}
				fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","msgid":"msg1","fail_list":["wmX"]}`)
			})
			c := newTestClient(t, f, func(c *Config) { c.MaxRetries = tt.retries })
			resp, err := c.AddMsgTemplate(context.Background(), AddMsgTemplateRequest{ExternalUserID: []string{"wmA"}, Text: &Text{Content: "hi"}})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				var ae *APIError
				if !errors.As(err, &ae) || ae.Path != "externalcontact/add_msg_template" {
					t.Fatalf("err %v is not an *APIError with the path", err)
				}
			} else if err != nil || resp.MsgID != "msg1" || len(resp.FailList) != 1 {
				t.Fatalf("AddMsgTemplate = %+v, %v", resp, err)
			}
			if got := f.count("externalcontact/add_msg_template"); got != tt.wantHits {
				t.Fatalf("hits = %d, want %d", got, tt.wantHits)
			}
		})
	}
}

func TestRetryHonoursContext(t *testing.T) {
	f := newFakeServer(t)
	f.handle("user/get", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"errcode":-1,"errmsg":"system busy"}`)
	})
	c := newTestClient(t, f, func(c *Config) {
		c.RetryBaseDelay, c.RetryMaxDelay, c.MaxRetries = time.Hour, time.Hour, 5
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetUser(ctx, "x")
	if !IsRetryable(err) {
		t.Fatalf("err = %v, want the busy APIError", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("back-off ignored the context")
	}
}

// TestTransportErrors: reads are retried after a dropped connection, writes are not (a mass
// message must not be created twice because an answer was lost).
func TestTransportErrors(t *testing.T) {
	f := newFakeServer(t)
	var reads, writes atomic.Int32
	drop := func(w http.ResponseWriter) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	f.handle("externalcontact/get_follow_user_list", func(w http.ResponseWriter, r *http.Request) {
		if reads.Add(1) == 1 {
			drop(w)
			return
		}
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","follow_user":["a"]}`)
	})
	f.handle("externalcontact/add_msg_template", func(w http.ResponseWriter, r *http.Request) {
		writes.Add(1)
		drop(w)
	})
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	if _, err := c.GetFollowUserList(ctx); err != nil {
		t.Fatalf("read after a dropped connection: %v", err)
	}
	_, err := c.AddMsgTemplate(ctx, AddMsgTemplateRequest{ExternalUserID: []string{"wmA"}, Text: &Text{Content: "x"}})
	if err == nil {
		t.Fatal("write over a dropped connection succeeded")
	}
	if strings.Contains(err.Error(), "access_token") || strings.Contains(err.Error(), "t1") {
		t.Fatalf("error leaks the token: %v", err)
	}
	if n := writes.Load(); n != 1 {
		t.Fatalf("write attempted %d times, want 1", n)
	}
}

type brokenCache struct{}

func (brokenCache) Get(context.Context, string) (string, time.Time, bool, error) {
	return "", time.Time{}, false, errors.New("db down")
}
func (brokenCache) Put(context.Context, string, string, time.Time) error {
	return errors.New("db down")
}

func TestBrokenCacheStillWorks(t *testing.T) {
	f := newFakeServer(t)
	var seen []string
	var mu sync.Mutex
	f.handle("externalcontact/get_follow_user_list", okFollowList(&seen, &mu))
	c := newTestClient(t, f, func(c *Config) { c.TokenCache = brokenCache{} })
	if _, err := c.GetFollowUserList(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestAPIErrorTyping(t *testing.T) {
	tests := []struct {
		code      int
		category  error
		expired   bool
		retryable bool
	}{
		{-1, ErrRateLimited, false, true},
		{40001, ErrCredential, false, false},
		{40003, ErrNotFound, false, false},
		{40014, ErrTokenExpired, true, false},
		{40058, ErrInvalid, false, false},
		{40096, ErrNotFound, false, false},
		{41001, ErrInvalid, false, false},
		{41050, ErrInvalid, false, false},
		{41063, ErrInvalid, false, false},
		{41064, ErrLimit, false, false},
		{41091, ErrLimit, false, false},
		{42001, ErrTokenExpired, true, false},
		{42007, nil, false, false},
		{42009, ErrTokenExpired, true, false},
		{45009, ErrRateLimited, false, true},
		{45033, ErrRateLimited, false, true},
		{45035, ErrRateLimited, false, true},
		{45047, ErrRateLimited, false, true},
		{48002, ErrPermission, false, false},
		{60011, ErrPermission, false, false},
		{60111, ErrNotFound, false, false},
		{84061, ErrNotFound, false, false},
		{12345, nil, false, false},
	}
	all := []error{ErrTokenExpired, ErrRateLimited, ErrCredential, ErrPermission, ErrNotFound, ErrInvalid, ErrLimit}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			err := fmt.Errorf("customer: sync: %w", &APIError{Code: tt.code, Msg: "m", Path: "p"})
			for _, c := range all {
				if got, want := errors.Is(err, c), c == tt.category; got != want {
					t.Errorf("errors.Is(%d, %v) = %v", tt.code, c, got)
				}
			}
			if IsTokenExpired(err) != tt.expired || IsRetryable(err) != tt.retryable {
				t.Errorf("IsTokenExpired=%v IsRetryable=%v", IsTokenExpired(err), IsRetryable(err))
			}
			if code, ok := ErrorCode(err); !ok || code != tt.code {
				t.Errorf("ErrorCode = %d, %v", code, ok)
			}
			if Meaning(tt.code) == "" || !strings.Contains(err.Error(), fmt.Sprint(tt.code)) {
				t.Errorf("message %q", err.Error())
			}
		})
	}
	// Every code named in wecom-api.md has a specific meaning.
	for _, code := range []int{-1, 40001, 40003, 40014, 40096, 41001, 42001, 42007, 42009, 45009, 45033, 45035, 45047, 48002, 60011, 84061, 41063, 41064, 40058, 60111} {
		if _, ok := codeMeanings[code]; !ok {
			t.Errorf("no meaning for %d", code)
		}
	}
}

func TestAgentConfigTicketCached(t *testing.T) {
	f := newFakeServer(t)
	f.handle("ticket/get", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("type") != "agent_config" {
			fmt.Fprint(w, `{"errcode":91040,"errmsg":"invalid ticket type"}`)
			return
		}
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","ticket":"bxLdikRXVbTPdHSM05e5u5sUoXNKd8-41ZO3MhKoyN5OfkWITDGgnr2fwJ0m9E8NYzWKVZvdVtaUgWvsdshFKA","expires_in":7200}`)
	})
	c := newTestClient(t, f, nil)
	for i := 0; i < 3; i++ {
		tk, err := c.AgentConfigTicket(context.Background())
		if err != nil || !strings.HasPrefix(tk.Ticket, "bxLdik") {
			t.Fatalf("ticket = %+v, %v", tk, err)
		}
	}
	if n := f.count("ticket/get"); n != 1 {
		t.Fatalf("ticket/get called %d times, want 1", n)
	}
}

// TestJSAPISignature uses the worked example of the JS-SDK signature documentation
// (签名算法: jsapi_ticket, noncestr, timestamp, url → 0f9de62f…).
func TestJSAPISignature(t *testing.T) {
	got := JSAPISignature("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
		"Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value#fragment")
	if got != "0f9de62fce790f9a083d5c99e95740ceb90c27ed" {
		t.Fatalf("signature = %s", got)
	}
}

func TestNewClientValidates(t *testing.T) {
	tests := []Config{
		{Secret: "s"},
		{CorpID: "c"},
		{CorpID: "c", Secret: "s", BaseURL: "not a url"},
	}
	for i, cfg := range tests {
		if _, err := NewClient(cfg); err == nil {
			t.Errorf("%d: NewClient(%+v) accepted", i, cfg)
		}
	}
}
