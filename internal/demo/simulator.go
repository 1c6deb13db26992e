package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// WelcomeText is the demo tenant's welcome message unless one was set in the console; Siyu puts
// the customer's name in place of {name}.
const WelcomeText = "您好{name}，欢迎来到思语生活！回复 1 领取新人券"

// SimOptions configure the demo's WeCom simulator.
type SimOptions struct {
	// Addr is where the simulator listens (default 127.0.0.1:0, a free port).
	Addr string
	// Seed makes the simulator's ids (contact ways, groups, tags) reproducible.
	Seed uint64
	// SiyuURL is where Siyu answers, e.g. http://127.0.0.1:8080: the simulator delivers the demo
	// tenant's callbacks to SiyuURL/callback/wecom/demo.
	SiyuURL string
	// Start is where the simulator's clock begins (zero: now). A fresh demo starts it in the past
	// so the fast-forwarded crowd fills in history that ends about now, not in the future.
	Start time.Time
	Log   *slog.Logger
}

// Simulator is the demo corp in an in-process WeCom simulator, connected to the demo tenant: the
// tenant's WeCom settings point at it and its callbacks go to Siyu.
type Simulator struct {
	Sim *wecomsim.Sim
	// URL is the simulator's root (API under /cgi-bin/, control API under /sim/).
	URL string
	// Client is a WeCom client of the simulated corp (the brand's own integration).
	Client *wecom.Client

	w     *world
	ways  map[string]string // state → config id, of contact ways and join ways
	chats []string          // world.groups index → chat id
	tags  map[string]string // tag name → tag id
	srv   *http.Server
	done  chan struct{}
	// siyuURL is where Siyu answers: the crowd opens live codes' landing pages there.
	siyuURL string
}

// StartSimulator starts the simulator, creates the demo corp in it (the seeded organisation's
// departments and staff, corp tags, contact ways, customer groups and their group codes),
// points the demo tenant's WeCom settings at it and has it verify and use Siyu's callback URL.
// Siyu must already be serving at opts.SiyuURL, and Seed must have run.
//
// The callback token and EncodingAESKey are generated once and kept in the tenant's settings, so
// a restart on the same data keeps them.
func StartSimulator(ctx context.Context, orgs *org.Service, opts SimOptions) (*Simulator, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("demo: simulator: listen on %s: %w", opts.Addr, err)
	}
	base := LocalURL(ln.Addr().String())
	sim, handler, err := wecomsim.NewServer(wecomsim.Config{BaseURL: base, Seed: opts.Seed, Start: opts.Start, Logger: opts.Log})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("demo: simulator: %w", err)
	}
	s := &Simulator{Sim: sim, URL: base, w: newWorld(), ways: map[string]string{}, tags: map[string]string{},
		srv: &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{}), siyuURL: opts.SiyuURL}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			opts.Log.Error("demo: simulator stopped serving", "err", err)
		}
	}()
	if err := s.setup(ctx, orgs, opts); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Simulator) setup(ctx context.Context, orgs *org.Service, opts SimOptions) error {
	// The corp as it was before Siyu was connected: no callbacks for these.
	for i, u := range s.w.units {
		parent := int64(1)
		if u.parent >= 0 {
			parent = deptID(u.parent)
		}
		if _, err := s.Sim.AddDepartment(wecomsim.Department{ID: deptID(i), Name: u.name, ParentID: parent}); err != nil {
			return fmt.Errorf("demo: simulator: department %s: %w", u.name, err)
		}
		for _, st := range u.staff {
			if _, err := s.Sim.AddStaff(wecomsim.StaffInput{UserID: st.userID, Name: st.name, Department: []int64{deptID(i)},
				Mobile: st.mobile, Gender: st.gender, Position: st.position}); err != nil {
				return fmt.Errorf("demo: simulator: staff %s: %w", st.name, err)
			}
		}
	}
	for _, t := range s.w.tags {
		tag, err := s.Sim.AdminCreateTag(wecomsim.TagInput{GroupName: t.group, Name: t.name})
		if err != nil {
			return fmt.Errorf("demo: simulator: tag %s: %w", t.name, err)
		}
		s.tags[t.name] = tag.ID
	}

	cb, err := connectTenant(ctx, orgs, s.Sim, s.URL)
	if err != nil {
		return err
	}
	cb.URL = opts.SiyuURL + "/callback/wecom/" + Tenant
	// WeCom verifies the URL when the admin saves it; Siyu has just started, so allow it a moment.
	for attempt := 1; ; attempt++ {
		err = s.Sim.SetCallback(ctx, cb, true)
		if err == nil || attempt == 5 || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("demo: simulator: callback %s: %w", cb.URL, err)
	}

	app := s.Sim.Apps()[0]
	s.Client, err = wecom.NewClient(wecom.Config{CorpID: s.Sim.CorpID(), Secret: app.Secret, BaseURL: s.URL + "/cgi-bin/", Logger: opts.Log})
	if err != nil {
		return fmt.Errorf("demo: simulator: %w", err)
	}
	for _, ch := range s.w.channels {
		typ := wecom.ContactWayMulti
		if len(ch.staff) == 1 {
			typ = wecom.ContactWaySingle
		}
		way, err := s.Client.AddContactWay(ctx, wecom.AddContactWayRequest{Type: typ, Scene: wecom.SceneQRCode, Remark: ch.remark,
			SkipVerify: ch.skipVerify, State: ch.state, User: ch.staff})
		if err != nil {
			return fmt.Errorf("demo: simulator: contact way %s: %w", ch.state, err)
		}
		s.ways[ch.state] = way.ConfigID
	}
	// Groups are opened after Siyu is connected, so it hears of them.
	for _, g := range s.w.groups {
		chat, err := s.Sim.CreateGroupChat(wecomsim.GroupInput{Owner: g.owner, Name: g.name, Members: g.staff,
			Notice: "欢迎加入！每周三会员日群内专属福利，新品试用优先报名。"})
		if err != nil {
			return fmt.Errorf("demo: simulator: group %s: %w", g.name, err)
		}
		s.chats = append(s.chats, chat.ChatID)
	}
	for _, j := range s.w.joinWays {
		var ids []string
		for _, g := range j.groups {
			ids = append(ids, s.chats[g])
		}
		id, err := s.Client.AddJoinWay(ctx, s.joinWay(j.state, j.store, ids))
		if err != nil {
			return fmt.Errorf("demo: simulator: join way %s: %w", j.state, err)
		}
		s.ways[j.state] = id
	}
	return nil
}

// joinWay is a store's group code (群活码) listing chatIDs.
func (s *Simulator) joinWay(state string, st int, chatIDs []string) wecom.JoinWay {
	return wecom.JoinWay{ConfigID: s.ways[state], Scene: wecom.SceneQRCode, Remark: s.w.stores[st].short + "群活码",
		ChatIDList: chatIDs, State: state}
}

var callbackTokenRE = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)

// connectTenant points the demo tenant's WeCom settings at the simulator and returns the callback
// token and key, reusing the stored ones.
func connectTenant(ctx context.Context, orgs *org.Service, sim *wecomsim.Sim, simURL string) (wecomsim.CallbackConfig, error) {
	t, err := orgs.TenantBySlug(ctx, Tenant)
	if err != nil {
		return wecomsim.CallbackConfig{}, fmt.Errorf("demo: tenant %s: %w", Tenant, err)
	}
	old, err := orgs.WeComSecretsFor(ctx, t.ID)
	if err != nil && httpx.ErrorCode(err) != httpx.NotFound {
		return wecomsim.CallbackConfig{}, fmt.Errorf("demo: wecom settings: %w", err)
	}
	cb := wecomsim.CallbackConfig{Token: old.CallbackToken, EncodingAESKey: old.EncodingAESKey}
	if !callbackTokenRE.MatchString(cb.Token) {
		cb.Token = randomAlnum(32)
	}
	if _, err := wecom.DecodeAESKey(cb.EncodingAESKey); err != nil {
		cb.EncodingAESKey = randomAlnum(43)
	}
	welcome := old.WelcomeText
	if welcome == "" {
		welcome = WelcomeText
	}
	app := sim.Apps()[0]
	err = orgs.SetWeComSettingsForTenant(ctx, Tenant, org.WeComSettingsInput{CorpID: sim.CorpID(), AgentID: fmt.Sprint(app.AgentID),
		ContactSecret: app.Secret, AppSecret: app.Secret, CallbackToken: cb.Token, EncodingAESKey: cb.EncodingAESKey,
		APIBaseURL: simURL + "/cgi-bin/", WelcomeText: welcome})
	if err != nil {
		return wecomsim.CallbackConfig{}, fmt.Errorf("demo: wecom settings: %w", err)
	}
	return cb, nil
}

// randomAlnum returns n random letters and digits, as WeCom generates tokens and keys.
func randomAlnum(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	var r [1]byte
	for i := range b {
		for {
			rand.Read(r[:])
			if int(r[0]) < 256/len(chars)*len(chars) { // no modulo bias
				b[i] = chars[int(r[0])%len(chars)]
				break
			}
		}
	}
	return string(b)
}

// Close stops the callbacks in flight and the simulator's server.
func (s *Simulator) Close() error {
	s.Sim.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}

// LocalURL turns a listen address into a URL this process can reach it at ("[::]:8080" →
// "http://127.0.0.1:8080").
func LocalURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
