package demo

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/order"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Services are the capabilities the demo fills in beyond the WeCom flows: acquisition channels
// and live codes, orders and customer value, custom fields and auto-tag rules. SeedValue and the
// crowd's purchases use only their service APIs.
type Services struct {
	Org         *org.Service
	Customers   *customer.Service
	TagRules    *customer.TagRules
	Acquisition *acquisition.Service
	Orders      *order.Service
}

// Value is what SeedValue prepared for the crowd: the live codes the simulated customers scan
// (by the state the planner knows the channel by) and what their purchases need.
type Value struct {
	svc      Services
	tenantID int64
	owner    context.Context // acting as the demo's owner
	// codes maps a world channel's state to the slug of its live code.
	codes   map[string]string
	staffID map[string]int64 // WeCom userid → staff id
	unitOf  map[string]int64 // WeCom userid → org unit id
	rules   []int64          // the demo's auto-tag rules
}

// Code returns the live-code slug of a world channel's state ("" when it has none).
func (v *Value) Code(state string) string {
	if v == nil {
		return ""
	}
	return v.codes[state]
}

// channelSeed is an acquisition channel of the demo brand: its kind, tier and the world
// channels (contact-way states the planner uses) it holds a live code for, with the daily spend.
type channelSeed struct {
	name, kind, tier, note string
	states                 []string
	// dailyFen is the mean daily spend; 0 records none.
	dailyFen int64
}

var channelSeeds = []channelSeed{
	{name: "门店", kind: "offline_store", tier: "bottom", note: "门店收银台与试用台的导购码", dailyFen: 12000,
		states: []string{"store-nanjinglu", "store-hubin", "store-tianhe", "store-wanxiangcheng"}},
	{name: "抖音直播", kind: "paid_ads", tier: "top", note: "直播间挂码，千川投放", dailyFen: 80000, states: []string{"douyin-live"}},
	{name: "包裹卡", kind: "package_card", tier: "bottom", note: "电商订单包裹内的加粉卡", dailyFen: 15000, states: []string{"package-card-618"}},
	{name: "短信", kind: "sms", tier: "waist", note: "老客短信领券", dailyFen: 8000, states: []string{"sms-coupon"}},
	{name: "小红书KOL", kind: "kol_koc", tier: "waist", note: "达人笔记合作", dailyFen: 30000, states: []string{"kol-xiaohongshu"}},
}

// ruleTagGroup is the tag group of the demo's auto-tag rules' tags.
const ruleTagGroup = "智能标签"

// OwnerContext returns ctx acting as the demo tenant's owner.
func OwnerContext(ctx context.Context, orgs *org.Service) (context.Context, org.Tenant, error) {
	t, err := orgs.TenantBySlug(ctx, Tenant)
	if err != nil {
		return nil, org.Tenant{}, fmt.Errorf("demo: tenant %s: %w", Tenant, err)
	}
	return org.WithCaller(ctx, org.Caller{TenantID: t.ID, TenantSlug: t.Slug, TenantName: t.Name, Username: Username, Role: org.Owner}), t, nil
}

// SeedValue gives the demo tenant its acquisition channels (with a live code per world channel
// and a spend entry per day from from to to), two custom fields and auto-tag rules, unless they
// exist; either way it returns the codes the crowd scans. It needs the simulator connected (the
// rules' tags are created in WeCom). It is quick: a few dozen writes.
func SeedValue(ctx context.Context, svc Services, from, to time.Time, seed uint64, log *slog.Logger) (*Value, error) {
	if log == nil {
		log = slog.Default()
	}
	owner, t, err := OwnerContext(ctx, svc.Org)
	if err != nil {
		return nil, err
	}
	v := &Value{svc: svc, tenantID: t.ID, owner: owner, codes: map[string]string{}, staffID: map[string]int64{}, unitOf: map[string]int64{}}
	staff, err := svc.Org.ListStaff(owner, org.StaffFilter{Page: httpx.PageRequest{Limit: 100}})
	if err != nil {
		return nil, fmt.Errorf("demo: staff: %w", err)
	}
	for _, st := range staff.Items {
		if st.WeComUserID != "" {
			v.staffID[st.WeComUserID], v.unitOf[st.WeComUserID] = st.ID, st.OrgUnitID
		}
	}
	if err := v.seedChannels(from, to, seed); err != nil {
		return nil, err
	}
	if err := v.seedFields(); err != nil {
		return nil, err
	}
	if err := v.seedRules(); err != nil {
		return nil, err
	}
	log.Info("demo: channels, live codes, custom fields and tag rules ready", "codes", len(v.codes), "rules", len(v.rules))
	return v, nil
}

// seedChannels creates the channels, their codes and spend, or finds the codes of an earlier run.
func (v *Value) seedChannels(from, to time.Time, seed uint64) error {
	acq := v.svc.Acquisition
	w := newWorld()
	existing, err := acq.Codes(v.owner, 0)
	if err != nil {
		return fmt.Errorf("demo: live codes: %w", err)
	}
	byName := map[string]string{}
	for _, c := range existing {
		byName[c.Name] = c.Slug
		if w.channelNamed(c.Name) != nil {
			if err := v.resetWays(c); err != nil {
				return err
			}
		}
	}
	chans, err := acq.Channels(v.owner)
	if err != nil {
		return fmt.Errorf("demo: channels: %w", err)
	}
	have := map[string]bool{}
	for _, c := range chans {
		have[c.Name] = true
	}
	units, err := v.svc.Org.ListUnits(v.owner)
	if err != nil || len(units) == 0 {
		return fmt.Errorf("demo: org units: %w", err)
	}
	root := units[0].ID
	r := rand.New(rand.NewPCG(seed, 0x7370656e64))
	for _, cs := range channelSeeds {
		if have[cs.name] {
			continue
		}
		ch, err := acq.CreateChannel(v.owner, acquisition.ChannelInput{Name: cs.name, Kind: cs.kind, Tier: cs.tier, OrgUnitID: root, Note: cs.note})
		if err != nil {
			return fmt.Errorf("demo: channel %s: %w", cs.name, err)
		}
		for _, state := range cs.states {
			wc := w.channel(state)
			skip := wc.skipVerify
			in := acquisition.LiveCodeInput{ChannelID: ch.ID, Name: wc.remark, Strategy: acquisition.RoundRobin, SkipVerify: &skip,
				Welcome: acquisition.Welcome{Text: "您好{name}，我是{staff}，欢迎来到思语生活！" + welcomeOffer(cs.kind)}}
			for _, uid := range wc.staff {
				in.Staff = append(in.Staff, acquisition.CodeStaffInput{StaffID: v.staffID[uid]})
			}
			code, err := acq.CreateCode(v.owner, in)
			if err != nil {
				return fmt.Errorf("demo: live code %s: %w", wc.remark, err)
			}
			byName[code.Name] = code.Slug
		}
		if cs.dailyFen > 0 {
			for d := from.In(acquisition.Zone); !d.After(to); d = d.AddDate(0, 0, 1) {
				fen := cs.dailyFen*7/10 + r.Int64N(cs.dailyFen*6/10+1)
				if _, err := acq.AddSpend(v.owner, ch.ID, acquisition.SpendInput{Date: d.Format(time.DateOnly), AmountFen: fen, Note: "日常投放"}); err != nil {
					return fmt.Errorf("demo: spend of %s: %w", cs.name, err)
				}
			}
		}
	}
	for _, wc := range w.channels {
		if slug, ok := byName[wc.remark]; ok {
			v.codes[wc.state] = slug
		}
	}
	return nil
}

// resetWays drops the members' contact ways of a code of an earlier run: they were created in
// that run's simulator, which kept its corp in memory, so the new simulator does not know them.
// Taking every member off the code (a stand-in takes the scans for a moment) and putting them
// back makes the code create fresh ways on the next scans, as after any staff change.
func (v *Value) resetWays(c acquisition.LiveCode) error {
	in := acquisition.LiveCodeInput{ChannelID: c.ChannelID, Name: c.Name, Strategy: c.Strategy, SkipVerify: &c.SkipVerify,
		TagIDs: c.TagIDs, Welcome: c.Welcome, GroupCode: c.GroupCode, ExpiresAt: c.ExpiresAt, Disabled: c.Disabled}
	members := map[int64]bool{}
	for _, m := range c.Staff {
		members[m.StaffID] = true
		in.Staff = append(in.Staff, acquisition.CodeStaffInput{StaffID: m.StaffID, Weight: m.Weight, DailyCap: m.DailyCap, Backup: m.Backup, Schedule: m.Schedule})
	}
	var stand int64
	for _, id := range v.staffID {
		if !members[id] && (stand == 0 || id < stand) {
			stand = id
		}
	}
	if stand == 0 || len(in.Staff) == 0 {
		return nil
	}
	tmp := in
	tmp.Staff = []acquisition.CodeStaffInput{{StaffID: stand}}
	if _, err := v.svc.Acquisition.UpdateCode(v.owner, c.ID, tmp); err != nil {
		return fmt.Errorf("demo: reset live code %s: %w", c.Name, err)
	}
	if _, err := v.svc.Acquisition.UpdateCode(v.owner, c.ID, in); err != nil {
		return fmt.Errorf("demo: reset live code %s: %w", c.Name, err)
	}
	return nil
}

func welcomeOffer(kind string) string {
	switch kind {
	case "paid_ads":
		return "直播间专属券已到账，回复 1 领取"
	case "package_card":
		return "感谢购买，回复 2 领取晒单返现"
	case "sms":
		return "您的短信优惠券已激活"
	case "kol_koc":
		return "达人同款试用装申请请回复 3"
	}
	return "到店出示本消息可领小样一份"
}

// The demo's custom fields and their options.
var fieldSeeds = []customer.FieldInput{
	{Key: "member_level", Label: "会员等级", Type: customer.FieldSelect, Options: []string{"普通会员", "银卡", "金卡", "黑金"}, Sort: 10},
	{Key: "skin_type", Label: "肤质", Type: customer.FieldSelect, Options: []string{"干性", "油性", "混合性", "敏感肌", "中性"}, Sort: 20},
}

func (v *Value) seedFields() error {
	fields, err := v.svc.Customers.Fields(v.owner)
	if err != nil {
		return fmt.Errorf("demo: custom fields: %w", err)
	}
	have := map[string]bool{}
	for _, f := range fields {
		have[f.Key] = true
	}
	for _, in := range fieldSeeds {
		if have[in.Key] {
			continue
		}
		if _, err := v.svc.Customers.CreateField(v.owner, in); err != nil {
			return fmt.Errorf("demo: custom field %s: %w", in.Label, err)
		}
	}
	return nil
}

// seedRules creates the rule tags (in WeCom, like any tag of the library) and the rules.
func (v *Value) seedRules() error {
	rules, err := v.svc.TagRules.Rules(v.owner)
	if err != nil {
		return fmt.Errorf("demo: tag rules: %w", err)
	}
	if len(rules) > 0 {
		for _, r := range rules {
			v.rules = append(v.rules, r.ID)
		}
		return nil
	}
	g, err := v.svc.Customers.CreateTagGroup(v.owner, customer.TagGroupInput{Name: ruleTagGroup, Tags: []string{"高消费", "本月生日", "直播间粉丝"}})
	if err != nil {
		return fmt.Errorf("demo: rule tags: %w", err)
	}
	tag := map[string]int64{}
	for _, t := range g.Tags {
		tag[t.Name] = t.ID
	}
	var live int64
	chans, err := v.svc.Acquisition.Channels(v.owner)
	if err != nil {
		return err
	}
	for _, c := range chans {
		if c.Kind == "paid_ads" {
			live = c.ID
		}
	}
	ins := []customer.TagRuleInput{
		{Name: "近90天消费满500元", TagID: tag["高消费"], Conditions: customer.RuleConditions{SpentAtLeastFen: 50000, SpentWithinDays: 90}},
		{Name: "本月生日", TagID: tag["本月生日"], Conditions: customer.RuleConditions{BirthdayThisMonth: true}},
	}
	if live > 0 {
		ins = append(ins, customer.TagRuleInput{Name: "抖音直播间来的客户", TagID: tag["直播间粉丝"], Conditions: customer.RuleConditions{ChannelIDs: []int64{live}}})
	}
	for _, in := range ins {
		if in.TagID == 0 {
			return fmt.Errorf("demo: rule %s: its tag was not created", in.Name)
		}
		r, err := v.svc.TagRules.CreateRule(v.owner, in)
		if err != nil {
			return fmt.Errorf("demo: rule %s: %w", in.Name, err)
		}
		v.rules = append(v.rules, r.ID)
	}
	return nil
}

// Refresh recomputes customer value (RFM, lifecycle stages) and re-runs the auto-tag rules, as
// the nightly jobs do; the crowd calls it every simulated day and when fast-forwarding ends.
func (v *Value) Refresh(ctx context.Context) error {
	if _, err := v.svc.Orders.Recompute(ctx, v.tenantID); err != nil {
		return fmt.Errorf("demo: recompute customer value: %w", err)
	}
	owner := v.ownerCtx(ctx)
	for _, id := range v.rules {
		if _, err := v.svc.TagRules.RunRule(owner, id); err != nil && httpx.ErrorCode(err) != httpx.Conflict {
			return fmt.Errorf("demo: run tag rule %d: %w", id, err)
		}
	}
	return nil
}

func mustCaller(ctx context.Context) org.Caller {
	c, _ := org.CallerFrom(ctx)
	return c
}

// ownerCtx is ctx acting as the demo tenant's owner.
func (v *Value) ownerCtx(ctx context.Context) context.Context {
	return org.WithCaller(ctx, mustCaller(v.owner))
}
