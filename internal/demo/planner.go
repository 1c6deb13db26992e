package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// Kind is what a planned action does in the simulator.
type Kind string

// The actions of the demo crowd, each one of the simulator's scripted client actions.
const (
	KindScan                 Kind = "scan"                   // a customer scans a contact way
	KindAccept               Kind = "accept"                 // a guide accepts a friend request
	KindCreateGroup          Kind = "create_group"           // a guide opens another customer group
	KindJoinGroup            Kind = "join_group"             // by the store's group code or invited by a guide
	KindLeaveGroup           Kind = "leave_group"            // leaves, or is removed by the owner
	KindEdit                 Kind = "edit"                   // a guide edits remark, description or tags
	KindCustomerDeletesStaff Kind = "customer_deletes_staff" // a loss
	KindStaffDeletesCustomer Kind = "staff_deletes_customer"
	KindCreateTag            Kind = "create_tag" // the admin adds a campaign tag
)

// Action is one planned step of the crowd. It names objects the way the planner knows them
// (external userids it chose, states, group and tag names); the traffic runner resolves them to
// the simulator's ids.
type Action struct {
	Kind           Kind
	ExternalUserID string
	UserID         string // the staff member involved
	// NewCustomer is set on the first scan of a customer: the WeChat user comes into existence.
	NewCustomer *wecomsim.CustomerInput
	// State is the contact way scanned, or the join way of a group-code join.
	State string
	// Pending: the scan is a friend request the guide has to accept.
	Pending bool
	// Group is the planner's index of the group (the setup's groups first, in world order).
	Group int
	// GroupName and Members (colleagues invited) describe a new group; JoinWayGroups, when set,
	// is the new group list of the store's join way JoinWayState.
	GroupName     string
	Members       []string
	JoinWayState  string
	JoinWayGroups []int
	Removed       bool
	Remark        *string
	Description   *string
	AddTags       []string // tag names (unique in the corp)
	RemoveTags    []string
	TagGroup, Tag string
}

func (a Action) String() string {
	var b strings.Builder
	b.WriteString(string(a.Kind))
	add := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	add("customer", a.ExternalUserID)
	add("staff", a.UserID)
	add("state", a.State)
	if a.Kind == KindCreateGroup || a.Kind == KindJoinGroup || a.Kind == KindLeaveGroup {
		fmt.Fprintf(&b, " group=%d", a.Group)
	}
	add("tag", a.Tag)
	return b.String()
}

// Relation statuses in the planner's model (the simulator's names).
const (
	relPending = wecomsim.RelPending
	relActive  = wecomsim.RelActive
	relLost    = wecomsim.RelDeletedByCustomer
	relDeleted = wecomsim.RelDeletedByStaff
)

type pcust struct {
	id, name, surname string
	gender            int
	rels              []*prel
	groups            []int
}

type prel struct {
	staff    string
	state    string // the channel of the latest scan
	status   string
	tags     []string
	remarked bool
}

func (c *pcust) rel(staff string) *prel {
	for _, r := range c.rels {
		if r.staff == staff {
			return r
		}
	}
	return nil
}

func (c *pcust) active() []*prel {
	var out []*prel
	for _, r := range c.rels {
		if r.status == relActive {
			out = append(out, r)
		}
	}
	return out
}

type pgroup struct {
	store     int
	members   int // staff and customers, against the 200 cap
	customers []string
}

type pjoinWay struct {
	state  string
	store  int
	groups []int
}

type deferred struct {
	due int
	a   Action
}

// Planner decides what the crowd does next. It is a pure function of its seed: it keeps its own
// model of the corp (customers, relations, groups, tags, round-robin of multi-person codes) and
// never looks at the simulator, so a seed always yields the same actions whatever the timing.
type Planner struct {
	w     *world
	r     *rand.Rand
	burst int

	emitted      int // actions returned so far
	newCustomers int
	customers    []*pcust
	byID         map[string]*pcust
	lost         []*pcust // customers with no active relation left, who may come back
	rr           map[string]int
	groups       []*pgroup
	joinWays     []*pjoinWay
	tags         []tagSeed
	campaigns    int
	deferred     []deferred
	queue        []Action
}

// NewPlanner returns the planner for seed; the first burst actions that are not follow-ups are
// new customers scanning codes.
func NewPlanner(seed uint64, burst int) *Planner {
	w := newWorld()
	p := &Planner{w: w, r: rand.New(rand.NewPCG(seed, 0x5369797544656d6f)), burst: burst, rr: map[string]int{}, byID: map[string]*pcust{},
		tags: slices.Clone(w.tags)}
	for _, g := range w.groups {
		p.groups = append(p.groups, &pgroup{store: g.store, members: 1 + len(g.staff)})
	}
	for _, j := range w.joinWays {
		p.joinWays = append(p.joinWays, &pjoinWay{state: j.state, store: j.store, groups: slices.Clone(j.groups)})
	}
	return p
}

// NewCustomers is how many customers the plan has brought so far.
func (p *Planner) NewCustomers() int { return p.newCustomers }

// Customers is how many customers exist in the plan.
func (p *Planner) Customers() int { return len(p.customers) }

// What the crowd does, per mille of the actions that are not follow-ups (accepts, the join
// after a group was opened, a guide tidying up after a loss, a lost customer leaving groups).
var mix = []struct {
	w  int
	fn func(*Planner) (Action, bool)
}{
	{420, (*Planner).newCustomer},
	{40, (*Planner).addAnotherStaff},
	{10, (*Planner).comeBack},
	{160, (*Planner).joinGroup},
	{40, (*Planner).leaveGroup},
	{100, (*Planner).editRemark},
	{100, (*Planner).editTags},
	{30, (*Planner).customerDeletesStaff},
	{5, (*Planner).staffDeletesCustomer},
	{4, (*Planner).createTag},
}

var mixTotal = func() int {
	n := 0
	for _, m := range mix {
		n += m.w
	}
	return n
}()

// Next plans the next action.
func (p *Planner) Next() Action {
	a := p.next()
	p.emitted++
	return a
}

func (p *Planner) next() Action {
	if len(p.queue) > 0 {
		a := p.queue[0]
		p.queue = p.queue[1:]
		return a
	}
	for {
		d, ok := p.popDue()
		if !ok {
			break
		}
		if p.stillValid(d) {
			return d
		}
	}
	if p.newCustomers < p.burst {
		a, _ := p.newCustomer()
		return a
	}
	x := p.r.IntN(mixTotal)
	for _, m := range mix {
		if x < m.w {
			if a, ok := m.fn(p); ok {
				return a
			}
			break
		}
		x -= m.w
	}
	a, _ := p.newCustomer()
	return a
}

// later schedules a follow-up after n more actions.
func (p *Planner) later(n int, a Action) {
	p.deferred = append(p.deferred, deferred{due: p.emitted + 1 + n, a: a})
}

// popDue returns the earliest due follow-up (first scheduled first among equals).
func (p *Planner) popDue() (Action, bool) {
	best := -1
	for i, d := range p.deferred {
		if d.due <= p.emitted+1 && (best < 0 || d.due < p.deferred[best].due) {
			best = i
		}
	}
	if best < 0 {
		return Action{}, false
	}
	a := p.deferred[best].a
	p.deferred = slices.Delete(p.deferred, best, best+1)
	return a, true
}

// stillValid re-checks a follow-up against what happened since it was scheduled and applies it
// to the model.
func (p *Planner) stillValid(a Action) bool {
	c := p.customer(a.ExternalUserID)
	if c == nil {
		return false
	}
	switch a.Kind {
	case KindAccept:
		r := c.rel(a.UserID)
		if r == nil || r.status != relPending {
			return false
		}
		r.status = relActive
		p.found(c)
		return true
	case KindStaffDeletesCustomer:
		r := c.rel(a.UserID)
		if r == nil || r.status != relLost {
			return false
		}
		r.status = relDeleted
		return true
	case KindLeaveGroup:
		if !slices.Contains(c.groups, a.Group) {
			return false
		}
		p.leave(c, a.Group)
		return true
	}
	return false
}

// customer finds a customer of the plan. (Maps are only looked up, never ranged over: their
// order is random and the plan must not be.)
func (p *Planner) customer(id string) *pcust { return p.byID[id] }

// found takes a customer with an active relation off the lost list.
func (p *Planner) found(c *pcust) {
	if i := slices.Index(p.lost, c); i >= 0 {
		p.lost = slices.Delete(p.lost, i, i+1)
	}
}

func (p *Planner) pickChannel() *channel {
	total := 0
	for _, ch := range p.w.channels {
		total += ch.weight
	}
	x := p.r.IntN(total)
	for i := range p.w.channels {
		if x < p.w.channels[i].weight {
			return &p.w.channels[i]
		}
		x -= p.w.channels[i].weight
	}
	return &p.w.channels[0]
}

// nextStaff is who the simulator hands the next scan of ch to: its members in turn.
func (p *Planner) nextStaff(ch *channel) string { return ch.staff[p.rr[ch.state]%len(ch.staff)] }

const idChars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func (p *Planner) randID(prefix string, n int, alphabet string) string {
	b := []byte(prefix)
	for range n {
		b = append(b, alphabet[p.r.IntN(len(alphabet))])
	}
	return string(b)
}

var companies = []struct{ corp, position string }{
	{"杭州云帆科技有限公司", "行政主管"}, {"上海悦享文化传媒", "采购经理"}, {"深圳前海星河贸易", "HR"},
	{"广州南方优品电商", "运营总监"}, {"苏州工业园区恒信咨询", "办公室主任"},
}

// newCustomer: a WeChat user scans a channel's code for the first time.
func (p *Planner) newCustomer() (Action, bool) {
	ch := p.pickChannel()
	name, surname, gender := person(p.r)
	in := wecomsim.CustomerInput{Name: name, Gender: gender, Type: wecom.ExternalTypeWeChat}
	prefix := "wm"
	if p.r.IntN(100) < 2 {
		// A WeCom user of another company (a corporate gift buyer).
		co := companies[p.r.IntN(len(companies))]
		in.Type, in.CorpName, in.Position, prefix = wecom.ExternalTypeWeCom, co.corp, co.position, "wo"
	}
	in.ExternalUserID = p.randID(prefix, 30, idChars)
	if in.Type == wecom.ExternalTypeWeChat && p.r.IntN(100) < 60 {
		// The brand's official account is bound to the corp, so most WeChat users come with a
		// unionid.
		in.UnionID = p.randID("o", 27, idChars+"-_")
	}
	c := &pcust{id: in.ExternalUserID, name: name, surname: surname, gender: gender}
	p.customers = append(p.customers, c)
	p.byID[c.id] = c
	p.newCustomers++
	a := p.scan(c, ch)
	a.NewCustomer = &in
	return a, true
}

// scan makes c scan ch and updates the model; ch's next member must not be a friend (or a
// pending request) of c.
func (p *Planner) scan(c *pcust, ch *channel) Action {
	staff := p.nextStaff(ch)
	p.rr[ch.state]++
	r := c.rel(staff)
	if r == nil {
		r = &prel{staff: staff}
		c.rels = append(c.rels, r)
	}
	r.state = ch.state
	a := Action{Kind: KindScan, ExternalUserID: c.id, UserID: staff, State: ch.state}
	if ch.skipVerify {
		r.status = relActive
		p.found(c)
		return a
	}
	r.status, a.Pending = relPending, true
	// Most guides accept within a few actions, some take hours; a few requests are never
	// accepted.
	if p.r.IntN(100) >= 6 {
		p.later(2+int(min(p.r.ExpFloat64()*12, 300)), Action{Kind: KindAccept, ExternalUserID: c.id, UserID: staff})
	}
	return a
}

// addedBy is the channel through which a customer last scanned a staff member's code.
func (p *Planner) addedBy(customer, staff string) string {
	if c := p.customer(customer); c != nil {
		if r := c.rel(staff); r != nil {
			return r.state
		}
	}
	return ""
}

// pickActive draws a customer with at least one active relation.
func (p *Planner) pickActive() (*pcust, bool) {
	for range 20 {
		if len(p.customers) == 0 {
			return nil, false
		}
		c := p.customers[p.r.IntN(len(p.customers))]
		if len(c.active()) > 0 {
			return c, true
		}
	}
	return nil, false
}

// pickChannelFor draws a channel whose next member c may add (no relation, or one that ended).
func (p *Planner) pickChannelFor(c *pcust) (*channel, bool) {
	for range 8 {
		ch := p.pickChannel()
		r := c.rel(p.nextStaff(ch))
		if r == nil || r.status == relLost || r.status == relDeleted {
			return ch, true
		}
	}
	return nil, false
}

// addAnotherStaff: a customer also adds a second guide (another store, the live room's host…).
func (p *Planner) addAnotherStaff() (Action, bool) {
	c, ok := p.pickActive()
	if !ok {
		return Action{}, false
	}
	ch, ok := p.pickChannelFor(c)
	if !ok {
		return Action{}, false
	}
	return p.scan(c, ch), true
}

// comeBack: a customer who was lost scans a code again.
func (p *Planner) comeBack() (Action, bool) {
	if len(p.lost) == 0 {
		return Action{}, false
	}
	c := p.lost[p.r.IntN(len(p.lost))]
	ch, ok := p.pickChannelFor(c)
	if !ok {
		return Action{}, false
	}
	return p.scan(c, ch), true
}

var descriptions = []string{
	"喜欢香氛，常买护手霜", "618买过礼盒套装", "孩子两岁，关注母婴用品", "公司团购联系人", "偏好无香型护肤品",
	"周末常来店里", "在意价格，等活动再买", "送礼需求，关注礼盒", "敏感肌，推荐温和产品", "老客户介绍来的",
	"住在附近小区", "对会员积分感兴趣", "想要新品试用装", "直播间下过单", "上班族，晚上有空",
}

// editRemark: the guide notes who the customer is (remark) and what they care about.
func (p *Planner) editRemark() (Action, bool) {
	c, ok := p.pickActive()
	if !ok {
		return Action{}, false
	}
	act := c.active()
	r := act[p.r.IntN(len(act))]
	a := Action{Kind: KindEdit, ExternalUserID: c.id, UserID: r.staff}
	desc := descriptions[p.r.IntN(len(descriptions))]
	a.Description = &desc
	if !r.remarked {
		remark := honorific(c.name, c.surname, c.gender) + "-" + p.w.stores[p.w.storeOf[r.staff]].short
		a.Remark = &remark
		r.remarked = true
	}
	return a, true
}

// editTags: the guide tags the customer in the client: a level, an interest, the intent, or a
// running campaign. A level or intent replaces the previous one of its group.
func (p *Planner) editTags() (Action, bool) {
	c, ok := p.pickActive()
	if !ok {
		return Action{}, false
	}
	act := c.active()
	r := act[p.r.IntN(len(act))]
	t := p.tags[p.r.IntN(len(p.tags))]
	if slices.Contains(r.tags, t.name) {
		return Action{}, false
	}
	a := Action{Kind: KindEdit, ExternalUserID: c.id, UserID: r.staff, AddTags: []string{t.name}}
	if t.group == "客户等级" || t.group == "购买意向" {
		for _, old := range r.tags {
			if p.tagGroup(old) == t.group {
				a.RemoveTags = append(a.RemoveTags, old)
			}
		}
		r.tags = slices.DeleteFunc(r.tags, func(x string) bool { return slices.Contains(a.RemoveTags, x) })
	}
	r.tags = append(r.tags, t.name)
	return a, true
}

func (p *Planner) tagGroup(name string) string {
	for _, t := range p.tags {
		if t.name == name {
			return t.group
		}
	}
	return ""
}

// customerDeletesStaff: a loss. Some lost customers also leave the groups; some guides delete
// the customer in turn.
func (p *Planner) customerDeletesStaff() (Action, bool) {
	c, ok := p.pickActive()
	if !ok {
		return Action{}, false
	}
	act := c.active()
	r := act[p.r.IntN(len(act))]
	r.status = relLost
	if len(c.active()) == 0 {
		p.lost = append(p.lost, c)
		for _, g := range c.groups {
			if p.r.IntN(2) == 0 {
				p.later(1+p.r.IntN(30), Action{Kind: KindLeaveGroup, ExternalUserID: c.id, Group: g})
			}
		}
	}
	if p.r.IntN(5) == 0 {
		p.later(5+p.r.IntN(50), Action{Kind: KindStaffDeletesCustomer, UserID: r.staff, ExternalUserID: c.id})
	}
	return Action{Kind: KindCustomerDeletesStaff, ExternalUserID: c.id, UserID: r.staff}, true
}

// staffDeletesCustomer: a guide deletes a customer (rare: a reseller, a troublemaker).
func (p *Planner) staffDeletesCustomer() (Action, bool) {
	c, ok := p.pickActive()
	if !ok {
		return Action{}, false
	}
	act := c.active()
	r := act[p.r.IntN(len(act))]
	r.status = relDeleted
	if len(c.active()) == 0 {
		p.lost = append(p.lost, c)
	}
	return Action{Kind: KindStaffDeletesCustomer, UserID: r.staff, ExternalUserID: c.id}, true
}

// createTag: the admin adds the next campaign tag in the admin console.
func (p *Planner) createTag() (Action, bool) {
	if p.campaigns >= len(p.w.campaign) {
		return Action{}, false
	}
	t := p.w.campaign[p.campaigns]
	p.campaigns++
	p.tags = append(p.tags, t)
	return Action{Kind: KindCreateTag, TagGroup: t.group, Tag: t.name}, true
}
