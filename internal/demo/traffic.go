package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// Defaults of `siyu demo`.
const (
	DefaultSpeed = 30  // simulated minutes per real second: a simulated day every 48 s
	DefaultDays  = 14  // simulated days fast-forwarded before the clock runs at real pace
	DefaultBurst = 200 // customers brought at once at the start
)

// burstStep is how many actions a step of the opening burst performs.
const burstStep = 20

// RunSeed is the seed one run of `siyu demo` gives the simulator and the crowd. On fresh data it
// is seed itself, so the same seed always gives the same demo. On data from an earlier run it is
// derived from seed and the start time: the same seed would replay ids Siyu already holds
// (welcome codes it has used, customers it has), while a restart should bring new customers.
func RunSeed(seed uint64, fresh bool, start time.Time) uint64 {
	if fresh {
		return seed
	}
	return rand.New(rand.NewPCG(seed, uint64(start.UnixNano()))).Uint64()
}

// TrafficOptions shape the crowd.
type TrafficOptions struct {
	// Seed chooses the crowd: the same seed plans the same actions.
	Seed uint64
	// Burst is how many new customers arrive at once at the start, in steps of 20 actions.
	Burst int
	// Speed is how many simulated minutes each step (one per real second after the burst)
	// moves the simulator's clock on while fast-forwarding.
	Speed float64
	// FastForward is how much simulated time passes at Speed in all; after it the clock runs at
	// real pace. 0 never moves the clock.
	FastForward time.Duration
	// WelcomeWait bounds how long a step waits for Siyu to use the welcome codes of its actions
	// before moving the clock on (default 3 s).
	WelcomeWait time.Duration
	// Value, when set (SeedValue), has the crowd scan the channels' live codes through Siyu's
	// landing URLs instead of the bare contact ways, and buy: orders, refunds, repurchases, with
	// customer value and auto-tag rules refreshed every simulated day.
	Value *Value
	Log   *slog.Logger
}

// Stats count what the traffic did.
type Stats struct {
	Actions   int
	Failed    int
	Customers int
	ByKind    map[Kind]int
	// Scans of live-code landing pages (some route to a member the customer then does not add),
	// orders and refunds placed, purchases that failed.
	CodeScans, Orders, Refunds, OrdersFailed int
	// Simulated is the simulator's clock.
	Simulated time.Time
}

// Traffic drives the demo corp's customers: the planner decides, the simulator's scripted
// client actions carry it out, and the simulator delivers the callbacks to Siyu.
type Traffic struct {
	s    *Simulator
	opts TrafficOptions
	log  *slog.Logger
	plan *Planner
	pace *rand.Rand // how many actions per second; apart from the plan so timing never changes it

	chats     map[int]string    // planner group → chat id
	tags      map[string]string // tag name → id
	forwarded time.Duration

	// Welcome codes issued since the last clock move, and where the last look at the
	// simulator's welcome messages stopped.
	codes       []string
	welcomeSeen int
	misses      int // steps in a row in which Siyu used none of the codes
	skipped     int // steps not waited for since the last probe

	shop      *shop        // nil without Value
	http      *http.Client // for landing pages
	valueDay  string       // the simulated day customer value was last refreshed for
	codeScans int
	landDown  time.Time // when landing pages started answering 503, zero while they work

	mu    sync.Mutex
	stats Stats
}

// NewTraffic returns the crowd for a started Simulator.
func NewTraffic(s *Simulator, opts TrafficOptions) (*Traffic, error) {
	if opts.FastForward > 0 && opts.Speed <= 0 {
		return nil, errors.New("demo: traffic: fast-forwarding needs a positive speed")
	}
	if opts.WelcomeWait <= 0 {
		opts.WelcomeWait = 3 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	t := &Traffic{s: s, opts: opts, log: opts.Log.With("component", "demo-traffic"), plan: NewPlanner(opts.Seed, opts.Burst),
		pace: rand.New(rand.NewPCG(opts.Seed, 0x70616365)), chats: map[int]string{}, tags: map[string]string{},
		stats: Stats{ByKind: map[Kind]int{}}}
	for i, id := range s.chats {
		t.chats[i] = id
	}
	for k, v := range s.tags {
		t.tags[k] = v
	}
	if opts.Value != nil {
		t.shop = newShop(opts.Value, opts.Seed, t.log)
		t.http = &http.Client{Timeout: 10 * time.Second}
	}
	return t, nil
}

// Run plays the crowd until ctx ends: the burst of new customers as fast as Siyu takes them,
// then one to three actions every second. Failures are logged and the crowd goes on.
func (t *Traffic) Run(ctx context.Context) {
	t.log.Info("demo traffic started", "seed", t.opts.Seed, "burst", t.opts.Burst,
		"speed_sim_minutes_per_second", t.opts.Speed, "fast_forward", t.opts.FastForward)
	for t.plan.NewCustomers() < t.opts.Burst && ctx.Err() == nil {
		t.Step(ctx, burstStep)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			st := t.Stats()
			t.log.Info("demo traffic stopped", "actions", st.Actions, "customers", st.Customers, "failed", st.Failed)
			return
		case <-tick.C:
		}
		t.Step(ctx, t.perSecond())
		if time.Since(last) >= time.Minute {
			last = time.Now()
			st := t.Stats()
			t.log.Info("demo traffic", "actions", st.Actions, "customers", st.Customers, "failed", st.Failed,
				"simulated_time", st.Simulated.Format(time.DateTime))
		}
	}
}

// hourWeight is how busy each hour of the day is (China time): quiet nights, a lunch peak and
// the evening peak when people scroll their phones.
var hourWeight = [24]float64{
	0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.6, 0.9, 1.2, 1.4,
	1.6, 1.5, 1.3, 1.3, 1.3, 1.4, 1.5, 1.8, 1.9, 1.7, 1.1, 0.5,
}

var chinaTime = time.FixedZone("CST", 8*3600)

// perSecond is how many actions the next second brings: two on average, following the time of
// day (and busier at weekends) while the clock is fast-forwarded, one to three once it runs at
// real pace so that the demo stays lively at any hour.
func (t *Traffic) perSecond() int {
	if !t.fastForwarding() {
		return 1 + t.pace.IntN(3)
	}
	now := t.s.Sim.Now().In(chinaTime)
	mean := 2 * hourWeight[now.Hour()]
	if d := now.Weekday(); d == time.Saturday || d == time.Sunday {
		mean *= 1.3
	}
	n := int(mean)
	if t.pace.Float64() < mean-float64(n) {
		n++
	}
	return n
}

// Step performs the next n planned actions at once, then moves the simulated clock on by Speed
// minutes while fast-forwarding. Before the clock moves, it gives Siyu up to WelcomeWait to use
// the welcome codes of those actions, which the jump would otherwise expire (they are valid 20
// simulated seconds).
func (t *Traffic) Step(ctx context.Context, n int) {
	for i := 0; i < n && ctx.Err() == nil; i++ {
		t.do(ctx, t.plan.Next())
	}
	wasForwarding := t.fastForwarding()
	t.tick(ctx)
	if t.shop != nil {
		now := t.s.Sim.Now()
		t.shop.due(ctx, now)
		// Customer value and rule tags are refreshed each simulated day, as the nightly jobs do,
		// and once more when fast-forwarding ends.
		day := now.In(chinaTime).Format(time.DateOnly)
		if (t.valueDay != "" && day != t.valueDay) || (wasForwarding && !t.fastForwarding()) {
			if err := t.shop.v.Refresh(ctx); err != nil && ctx.Err() == nil {
				t.log.Warn("demo traffic: customer value not refreshed", "err", err)
			}
		}
		t.valueDay = day
	}
	t.mu.Lock()
	t.stats.Customers = t.plan.Customers()
	t.stats.Simulated = t.s.Sim.Now()
	t.stats.CodeScans = t.codeScans
	if t.shop != nil {
		t.stats.Orders, t.stats.Refunds, t.stats.OrdersFailed = t.shop.orders, t.shop.refunds, t.shop.failed
	}
	t.mu.Unlock()
}

// Stats returns what the traffic did so far.
func (t *Traffic) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.stats
	st.ByKind = make(map[Kind]int, len(t.stats.ByKind))
	for k, v := range t.stats.ByKind {
		st.ByKind[k] = v
	}
	return st
}

func (t *Traffic) do(ctx context.Context, a Action) {
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return t.apply(ctx, a)
	}()
	t.mu.Lock()
	t.stats.Actions++
	t.stats.ByKind[a.Kind]++
	if err != nil {
		t.stats.Failed++
	}
	t.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		t.log.Warn("demo traffic: action failed", "action", a.String(), "err", err)
	}
}

func (t *Traffic) chat(g int) (string, error) {
	id, ok := t.chats[g]
	if !ok {
		return "", fmt.Errorf("group %d was never created", g)
	}
	return id, nil
}

func (t *Traffic) tagIDs(names []string) ([]string, error) {
	var ids []string
	for _, n := range names {
		id, ok := t.tags[n]
		if !ok {
			return nil, fmt.Errorf("tag %s was never created", n)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// apply carries out one action through the simulator's client flows.
func (t *Traffic) apply(ctx context.Context, a Action) error {
	sim := t.s.Sim
	switch a.Kind {
	case KindScan:
		if a.NewCustomer != nil {
			if _, err := sim.AddCustomer(*a.NewCustomer); err != nil {
				return err
			}
		}
		way := t.s.ways[a.State]
		if slug := t.opts.Value.Code(a.State); slug != "" {
			var err error
			if way, err = t.land(ctx, slug, a.UserID); err != nil {
				return err
			}
		}
		res, err := sim.Scan(a.ExternalUserID, way)
		if err != nil {
			return err
		}
		t.welcome(res)
		want := wecomsim.AddResultAdded
		if a.Pending {
			want = wecomsim.AddResultPending
		}
		if res.UserID != a.UserID || res.Result != want {
			return fmt.Errorf("the simulator made it %s with %s, the plan %s with %s", res.Result, res.UserID, want, a.UserID)
		}
		if !a.Pending && t.shop != nil {
			t.shop.added(a.ExternalUserID, a.UserID, a.State, sim.Now())
		}
	case KindAccept:
		res, err := sim.Accept(a.UserID, a.ExternalUserID)
		if err != nil {
			return err
		}
		t.welcome(res)
		if t.shop != nil {
			t.shop.added(a.ExternalUserID, a.UserID, t.plan.addedBy(a.ExternalUserID, a.UserID), sim.Now())
		}
	case KindCreateGroup:
		g, err := sim.CreateGroupChat(wecomsim.GroupInput{Owner: a.UserID, Name: a.GroupName, Members: a.Members})
		if err != nil {
			return err
		}
		t.chats[a.Group] = g.ChatID
		if a.JoinWayState != "" {
			var ids []string
			for _, gi := range a.JoinWayGroups {
				id, err := t.chat(gi)
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			jw := t.s.joinWay(a.JoinWayState, t.plan.w.storeOf[a.UserID], ids)
			if err := t.s.Client.UpdateJoinWay(ctx, jw); err != nil {
				return fmt.Errorf("add the group to the group code %s: %w", a.JoinWayState, err)
			}
		}
	case KindJoinGroup:
		want, err := t.chat(a.Group)
		if err != nil {
			return err
		}
		in := wecomsim.JoinInput{ExternalUserID: a.ExternalUserID, ChatID: want, Invitor: a.UserID}
		if a.State != "" {
			in = wecomsim.JoinInput{ExternalUserID: a.ExternalUserID, ConfigID: t.s.ways[a.State]}
		}
		got, err := sim.JoinGroup(in)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("the group code sent the customer to %s, the plan to %s", got, want)
		}
	case KindLeaveGroup:
		id, err := t.chat(a.Group)
		if err != nil {
			return err
		}
		return sim.LeaveGroup(a.ExternalUserID, id, a.Removed)
	case KindEdit:
		add, err := t.tagIDs(a.AddTags)
		if err != nil {
			return err
		}
		remove, err := t.tagIDs(a.RemoveTags)
		if err != nil {
			return err
		}
		return sim.StaffEditsCustomer(wecomsim.EditInput{UserID: a.UserID, ExternalUserID: a.ExternalUserID,
			Remark: a.Remark, Description: a.Description, AddTag: add, RemoveTag: remove})
	case KindCustomerDeletesStaff:
		return sim.CustomerDeletesStaff(a.ExternalUserID, a.UserID)
	case KindStaffDeletesCustomer:
		return sim.StaffDeletesCustomer(a.UserID, a.ExternalUserID)
	case KindCreateTag:
		tag, err := sim.AdminCreateTag(wecomsim.TagInput{GroupName: a.TagGroup, Name: a.Tag})
		if err != nil {
			return err
		}
		t.tags[a.Tag] = tag.ID
	default:
		return fmt.Errorf("unknown action %q", a.Kind)
	}
	return nil
}

func (t *Traffic) welcome(res *wecomsim.AddResult) {
	if res != nil && res.WelcomeCode != "" {
		t.codes = append(t.codes, res.WelcomeCode)
	}
}

// fastForwarding reports whether the clock still jumps.
func (t *Traffic) fastForwarding() bool {
	return t.opts.FastForward > 0 && t.forwarded < t.opts.FastForward
}

// tick moves the simulated clock on by one step while fast-forwarding.
func (t *Traffic) tick(ctx context.Context) {
	if !t.fastForwarding() || ctx.Err() != nil {
		t.codes = t.codes[:0]
		return
	}
	t.settle(ctx)
	d := min(time.Duration(t.opts.Speed*float64(time.Minute)), t.opts.FastForward-t.forwarded)
	t.s.Sim.Advance(d)
	t.forwarded += d
	if !t.fastForwarding() {
		t.log.Info("demo traffic: fast-forward done; the simulated clock now runs at real pace",
			"simulated_time", t.s.Sim.Now().Format(time.DateTime))
	}
}

// settle waits until Siyu has used (or tried to use) the welcome codes issued since the last
// clock move, for at most WelcomeWait. When Siyu uses none of them three steps in a row (it
// sends no welcome messages: no welcome text, or nothing processes events), it stops waiting and
// only probes every 20 steps, going back to waiting when a probe sees codes used.
func (t *Traffic) settle(ctx context.Context) {
	defer func() { t.codes = t.codes[:0] }()
	if len(t.codes) == 0 {
		return
	}
	if t.misses >= maxMisses && t.skipped < probeEvery {
		t.skipped++
		return
	}
	t.skipped = 0
	pending := make(map[string]bool, len(t.codes))
	for _, c := range t.codes {
		pending[c] = true
	}
	used := 0
	deadline := time.Now().Add(t.opts.WelcomeWait)
	for {
		msgs := t.s.Sim.WelcomeMessages()
		for _, m := range msgs[min(t.welcomeSeen, len(msgs)):] {
			if pending[m.WelcomeCode] {
				delete(pending, m.WelcomeCode)
				used++
			}
		}
		t.welcomeSeen = len(msgs)
		if len(pending) == 0 || !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	switch {
	case used > 0 && t.misses >= maxMisses:
		t.log.Info("demo traffic: Siyu sends welcome messages again; the clock waits for them")
		t.misses = 0
	case used > 0:
		t.misses = 0
	case t.misses < maxMisses:
		t.misses++
		if t.misses == maxMisses {
			t.log.Info("demo traffic: Siyu sends no welcome messages; the clock no longer waits for them")
		}
	}
}

const (
	maxMisses  = 3
	probeEvery = 20
)

// land opens a live code's landing page the way a phone does after scanning the printed QR (its
// JSON form), which routes the scan to a member and hands out their contact way. The planner
// knows which member the customer adds; a scan routed to someone else is a scan without an add
// (the customer closes the page and scans again), as happens at a counter. Round robin reaches
// every member within as many scans as the code has members.
func (t *Traffic) land(ctx context.Context, slug, userID string) (string, error) {
	var got []string
	for len(got) < 12 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.s.siyuURL+"/l/"+slug+"?format=json", nil)
		if err != nil {
			return "", err
		}
		resp, err := t.http.Do(req)
		if err != nil {
			return "", fmt.Errorf("landing page of %s: %w", slug, err)
		}
		var l struct {
			UserID   string `json:"userid"`
			ConfigID string `json:"config_id"`
		}
		err = json.NewDecoder(resp.Body).Decode(&l)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable && (t.landDown.IsZero() || time.Since(t.landDown) < landingPatience) {
			// Siyu could not create the member's contact way in WeCom. Right after a restart its
			// WeCom client may still point at the previous run's simulator (clients are cached
			// for half a minute): wait for it (once, for a while) rather than lose the customer.
			if t.landDown.IsZero() {
				t.landDown = time.Now()
				t.log.Info("demo traffic: a live code has nobody to route to; waiting", "slug", slug)
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		if resp.StatusCode != http.StatusOK || err != nil {
			return "", fmt.Errorf("landing page of %s: status %d (%v)", slug, resp.StatusCode, err)
		}
		t.codeScans++
		t.landDown = time.Time{}
		if l.UserID == userID {
			return l.ConfigID, nil
		}
		got = append(got, l.UserID)
	}
	return "", fmt.Errorf("live code %s routed to %v, never to %s", slug, got, userID)
}

// landingPatience bounds how long a scan waits for a live code that has nobody to route to.
const landingPatience = 40 * time.Second
