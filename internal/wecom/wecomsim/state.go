package wecomsim

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// The simulator's objects. They are exported so that GET /sim/state decodes into State, and
// their JSON is part of the control API; WeCom's own shapes are reused where they exist.

// Department is a node of the org tree.
type Department struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	ParentID int64  `json:"parentid"`
	Order    int64  `json:"order"`
}

// Staff statuses.
const (
	StaffActive   = 1
	StaffResigned = 5
)

// Staff is a member of the corp.
type Staff struct {
	UserID         string  `json:"userid"`
	Name           string  `json:"name"`
	Department     []int64 `json:"department"`
	MainDepartment int64   `json:"main_department"`
	Position       string  `json:"position,omitempty"`
	Mobile         string  `json:"mobile,omitempty"`
	Gender         string  `json:"gender,omitempty"`
	Email          string  `json:"email,omitempty"`
	Avatar         string  `json:"avatar,omitempty"`
	Alias          string  `json:"alias,omitempty"`
	// CustomerContact is whether the member has the customer-contact feature (客户联系).
	CustomerContact bool  `json:"customer_contact"`
	Status          int   `json:"status"`
	ResignedAt      int64 `json:"resigned_at,omitempty"`
}

// Customer is a WeChat (or other corp's WeCom) user.
type Customer struct {
	ExternalUserID string `json:"external_userid"`
	Name           string `json:"name"`
	Type           int    `json:"type"`
	Gender         int    `json:"gender"`
	UnionID        string `json:"unionid,omitempty"`
	Avatar         string `json:"avatar,omitempty"`
	CorpName       string `json:"corp_name,omitempty"`
	Position       string `json:"position,omitempty"`
	CreatedAt      int64  `json:"created_at"`
}

// Relation statuses: the life of a staff–customer pair.
const (
	RelPending           = "pending"             // friend request sent, member has not accepted
	RelHalf              = "half"                // customer added a skip-verify member who has not added back
	RelActive            = "active"              // friends both ways
	RelDeletedByCustomer = "deleted_by_customer" // one-way: still visible to the API
	RelDeletedByStaff    = "deleted_by_staff"    // gone for the API (84061)
)

// Relation is a staff–customer pair (follow_user).
type Relation struct {
	UserID         string   `json:"userid"`
	ExternalUserID string   `json:"external_userid"`
	Status         string   `json:"status"`
	Remark         string   `json:"remark,omitempty"`
	Description    string   `json:"description,omitempty"`
	RemarkCorpName string   `json:"remark_corp_name,omitempty"`
	RemarkMobiles  []string `json:"remark_mobiles,omitempty"`
	CreateTime     int64    `json:"createtime"`
	AddWay         int      `json:"add_way"`
	OperUserID     string   `json:"oper_userid,omitempty"`
	State          string   `json:"state,omitempty"`
	TagIDs         []string `json:"tag_ids,omitempty"`
	// WelcomeCodeUsed records that a welcome code of this pair was spent (WeCom then sends no
	// new code when a half add is completed).
	WelcomeCodeUsed bool `json:"welcome_code_used,omitempty"`
}

// visible reports whether the customer-contact API can see the relation.
func (r *Relation) visible() bool {
	return r.Status == RelActive || r.Status == RelDeletedByCustomer
}

// Tag is a corp customer tag.
type Tag struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	GroupID    string `json:"group_id"`
	CreateTime int64  `json:"create_time"`
	Order      uint32 `json:"order"`
}

// TagGroup is a group of corp tags.
type TagGroup struct {
	GroupID    string   `json:"group_id"`
	GroupName  string   `json:"group_name"`
	CreateTime int64    `json:"create_time"`
	Order      uint32   `json:"order"`
	TagIDs     []string `json:"tag_ids"`
}

// ContactWay is a contact way with the simulator's bookkeeping.
type ContactWay struct {
	wecom.ContactWay
	CreateTime int64 `json:"create_time"`
	// ExpiresAt is set for temporary ways (is_temp).
	ExpiresAt int64 `json:"expires_at,omitempty"`
	Scans     int   `json:"scans"`
}

// WelcomeMessage is one send_welcome_msg call: what was sent, with which code and when.
// ErrCode is 0 for a message that went out and the errcode otherwise.
type WelcomeMessage struct {
	WelcomeCode    string             `json:"welcome_code"`
	UserID         string             `json:"userid,omitempty"`
	ExternalUserID string             `json:"external_userid,omitempty"`
	CodeIssuedAt   int64              `json:"code_issued_at,omitempty"`
	SentAt         int64              `json:"sent_at"`
	Text           *wecom.Text        `json:"text,omitempty"`
	Attachments    []wecom.Attachment `json:"attachments,omitempty"`
	ErrCode        int                `json:"errcode"`
	ErrMsg         string             `json:"errmsg,omitempty"`
}

type welcomeCode struct {
	code           string
	userID         string
	externalUserID string
	issuedAt       time.Time
	used           bool
}

// GroupChat is a customer group.
type GroupChat struct {
	ChatID     string              `json:"chat_id"`
	Name       string              `json:"name"`
	Owner      string              `json:"owner"`
	Notice     string              `json:"notice,omitempty"`
	CreateTime int64               `json:"create_time"`
	Members    []wecom.GroupMember `json:"members"`
	Admins     []string            `json:"admins,omitempty"`
	Dismissed  bool                `json:"dismissed,omitempty"`
}

func (g *GroupChat) memberIndex(id string) int {
	return slices.IndexFunc(g.Members, func(m wecom.GroupMember) bool { return m.UserID == id })
}

// version is the member_version: a digest of the sorted member ids.
func (g *GroupChat) version() string {
	ids := make([]string, len(g.Members))
	for i, m := range g.Members {
		ids[i] = m.UserID
	}
	sort.Strings(ids)
	return fmt.Sprintf("%x", digest(ids))[:32]
}

// JoinWay is a group join way with bookkeeping.
type JoinWay struct {
	wecom.JoinWay
	CreateTime int64 `json:"create_time"`
}

// MassTask is one member's part of a mass message.
type MassTask struct {
	UserID   string `json:"userid"`
	Status   int    `json:"status"`
	SendTime int64  `json:"send_time,omitempty"`
}

// MassResult is one recipient of a mass message.
type MassResult struct {
	ExternalUserID string `json:"external_userid,omitempty"`
	ChatID         string `json:"chat_id,omitempty"`
	UserID         string `json:"userid"`
	Status         int    `json:"status"`
	SendTime       int64  `json:"send_time,omitempty"`
}

// MassMessage is a corp mass message (add_msg_template).
type MassMessage struct {
	MsgID       string             `json:"msgid"`
	ChatType    string             `json:"chat_type"`
	Sender      string             `json:"sender,omitempty"`
	CreateTime  int64              `json:"create_time"`
	Text        *wecom.Text        `json:"text,omitempty"`
	Attachments []wecom.Attachment `json:"attachments,omitempty"`
	Tasks       []*MassTask        `json:"tasks"`
	Results     []*MassResult      `json:"results"`
	FailList    []string           `json:"fail_list,omitempty"`
	Cancelled   bool               `json:"cancelled,omitempty"`
	Reminders   []int64            `json:"reminders,omitempty"`
}

// MomentTask is one member's publish task.
type MomentTask struct {
	UserID        string `json:"userid"`
	PublishStatus int    `json:"publish_status"`
}

// Moment is a corp moment (add_moment_task).
type Moment struct {
	MomentID    string             `json:"moment_id"`
	JobID       string             `json:"jobid"`
	CreateTime  int64              `json:"create_time"`
	VisibleType int                `json:"visible_type"`
	Text        *wecom.Text        `json:"text,omitempty"`
	Attachments []wecom.Attachment `json:"attachments,omitempty"`
	TagList     []string           `json:"tag_list,omitempty"`
	Tasks       []*MomentTask      `json:"tasks"`
	InvalidUser []string           `json:"invalid_users,omitempty"`
	InvalidTags []string           `json:"invalid_tags,omitempty"`
}

// Transfer is one customer handed from one member to another.
type Transfer struct {
	Resigned       bool   `json:"resigned"`
	HandoverUserID string `json:"handover_userid"`
	TakeoverUserID string `json:"takeover_userid"`
	ExternalUserID string `json:"external_userid"`
	Status         int    `json:"status"`
	StartedAt      int64  `json:"started_at"`
	TakeoverTime   int64  `json:"takeover_time,omitempty"`
	Message        string `json:"transfer_success_msg,omitempty"`
}

// AcquisitionLink is a customer acquisition link with bookkeeping.
type AcquisitionLink struct {
	wecom.AcquisitionLinkDetail
	Clicks int `json:"clicks"`
}

// Media is an uploaded file.
type Media struct {
	MediaID   string `json:"media_id"`
	Type      string `json:"type"`
	Filename  string `json:"filename"`
	Size      int    `json:"size"`
	CreatedAt int64  `json:"created_at"`
	ExpiresAt int64  `json:"expires_at,omitempty"` // 0 for permanent images (uploadimg)
	URL       string `json:"url,omitempty"`
	data      []byte
}

// digest hashes a list of strings (member versions).
func digest(parts []string) [32]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

type token struct {
	value     string
	app       *App
	expiresAt time.Time
}

// state is everything the simulator knows. Maps hold the objects; the order slices keep
// listings stable (creation order), as WeCom's are.
type state struct {
	depts     map[int64]*dept
	users     map[string]*Staff
	userOrder []string
	customers map[string]*Customer
	custOrder []string
	rels      map[relKey]*Relation
	relOrder  []relKey
	// relsByCustomer indexes relOrder by customer, so externalcontact/get does not scan every
	// relation of the corp (the callback benchmark fetches tens of thousands of customers).
	relsByCustomer map[string][]relKey
	tagGroups      map[string]*TagGroup
	groupOrder     []string
	tags           map[string]*Tag

	contactWays  map[string]*ContactWay
	cwOrder      []string
	welcomeCodes map[string]*welcomeCode
	welcomeMsgs  []*WelcomeMessage

	chats     map[string]*GroupChat
	chatOrder []string
	joinWays  map[string]*JoinWay
	jwOrder   []string

	massMsgs map[string]*MassMessage
	mmOrder  []string
	// receipts holds, per customer, when it received corp mass messages (for the receive rule).
	receipts map[string][]time.Time

	moments     map[string]*Moment
	momentOrder []string
	momentJobs  map[string]*Moment

	transfers []*Transfer

	appMsgs []*AppMessage

	links     map[string]*AcquisitionLink
	linkOrder []string

	media map[string]*Media

	tokens    map[string]*token // value → token
	appTokens map[string]*token // app name → current access token
	tickets   map[string]*token // app name → current agent_config ticket

	// rr round-robins members of multi-person contact ways and acquisition links.
	rr map[string]int
}

type dept = Department

type relKey struct{ userID, externalUserID string }

func newState() *state {
	return &state{
		depts:          map[int64]*dept{},
		users:          map[string]*Staff{},
		customers:      map[string]*Customer{},
		rels:           map[relKey]*Relation{},
		relsByCustomer: map[string][]relKey{},
		tagGroups:      map[string]*TagGroup{},
		tags:           map[string]*Tag{},
		contactWays:    map[string]*ContactWay{},
		welcomeCodes:   map[string]*welcomeCode{},
		chats:          map[string]*GroupChat{},
		joinWays:       map[string]*JoinWay{},
		massMsgs:       map[string]*MassMessage{},
		receipts:       map[string][]time.Time{},
		moments:        map[string]*Moment{},
		momentJobs:     map[string]*Moment{},
		links:          map[string]*AcquisitionLink{},
		media:          map[string]*Media{},
		tokens:         map[string]*token{},
		appTokens:      map[string]*token{},
		tickets:        map[string]*token{},
		rr:             map[string]int{},
	}
}

// rel returns the relation of a pair, or nil.
func (st *state) rel(userID, externalUserID string) *Relation {
	return st.rels[relKey{userID, externalUserID}]
}

// putRel stores a new relation.
func (st *state) putRel(r *Relation) {
	k := relKey{r.UserID, r.ExternalUserID}
	if _, ok := st.rels[k]; !ok {
		st.relOrder = append(st.relOrder, k)
		st.relsByCustomer[k.externalUserID] = append(st.relsByCustomer[k.externalUserID], k)
	}
	st.rels[k] = r
}

// activeUser returns a member who has not left, or nil.
func (st *state) activeUser(id string) *Staff {
	u := st.users[id]
	if u == nil || u.Status != StaffActive {
		return nil
	}
	return u
}

// deptMembers expands departments (and their sub-departments) to active members.
func (st *state) deptMembers(ids []int64) []string {
	want := map[int64]bool{}
	var walk func(id int64)
	walk = func(id int64) {
		if want[id] {
			return
		}
		want[id] = true
		for _, d := range st.depts {
			if d.ParentID == id {
				walk(d.ID)
			}
		}
	}
	for _, id := range ids {
		walk(id)
	}
	var out []string
	for _, uid := range st.userOrder {
		u := st.users[uid]
		if u.Status != StaffActive {
			continue
		}
		for _, d := range u.Department {
			if want[d] {
				out = append(out, uid)
				break
			}
		}
	}
	return out
}

// State is a snapshot of the simulator for GET /sim/state and tests.
type State struct {
	CorpID           string            `json:"corp_id"`
	Now              int64             `json:"now"`
	Apps             []App             `json:"apps"`
	Callback         CallbackConfig    `json:"callback"`
	Departments      []Department      `json:"departments"`
	Staff            []Staff           `json:"staff"`
	Customers        []Customer        `json:"customers"`
	Relations        []Relation        `json:"relations"`
	TagGroups        []TagGroup        `json:"tag_groups"`
	Tags             []Tag             `json:"tags"`
	ContactWays      []ContactWay      `json:"contact_ways"`
	GroupChats       []GroupChat       `json:"group_chats"`
	JoinWays         []JoinWay         `json:"join_ways"`
	MassMessages     []MassMessage     `json:"mass_messages"`
	Moments          []Moment          `json:"moments"`
	Transfers        []Transfer        `json:"transfers"`
	AcquisitionLinks []AcquisitionLink `json:"acquisition_links"`
	Media            []Media           `json:"media"`
	WelcomeMessages  []WelcomeMessage  `json:"welcome_messages"`
}

// snapshotJSON renders the state; s.mu must be held. Marshalling under the lock and decoding
// outside it gives callers a deep copy.
func (s *Sim) snapshotJSON() ([]byte, error) {
	st := s.st
	out := State{CorpID: s.cfg.CorpID, Now: s.now().Unix(), Apps: s.cfg.Apps, Callback: s.callback}
	ids := make([]int64, 0, len(st.depts))
	for id := range st.depts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		out.Departments = append(out.Departments, *st.depts[id])
	}
	for _, id := range st.userOrder {
		out.Staff = append(out.Staff, *st.users[id])
	}
	for _, id := range st.custOrder {
		out.Customers = append(out.Customers, *st.customers[id])
	}
	for _, k := range st.relOrder {
		out.Relations = append(out.Relations, *st.rels[k])
	}
	for _, id := range st.groupOrder {
		g := st.tagGroups[id]
		out.TagGroups = append(out.TagGroups, *g)
		for _, tid := range g.TagIDs {
			out.Tags = append(out.Tags, *st.tags[tid])
		}
	}
	for _, id := range st.cwOrder {
		out.ContactWays = append(out.ContactWays, *st.contactWays[id])
	}
	for _, id := range st.chatOrder {
		out.GroupChats = append(out.GroupChats, *st.chats[id])
	}
	for _, id := range st.jwOrder {
		out.JoinWays = append(out.JoinWays, *st.joinWays[id])
	}
	for _, id := range st.mmOrder {
		out.MassMessages = append(out.MassMessages, *st.massMsgs[id])
	}
	for _, id := range st.momentOrder {
		out.Moments = append(out.Moments, *st.moments[id])
	}
	for _, t := range st.transfers {
		out.Transfers = append(out.Transfers, *t)
	}
	for _, id := range st.linkOrder {
		out.AcquisitionLinks = append(out.AcquisitionLinks, *st.links[id])
	}
	mids := make([]string, 0, len(st.media))
	for id := range st.media {
		mids = append(mids, id)
	}
	sort.Strings(mids)
	for _, id := range mids {
		out.Media = append(out.Media, *st.media[id])
	}
	for _, w := range st.welcomeMsgs {
		out.WelcomeMessages = append(out.WelcomeMessages, *w)
	}
	return json.Marshal(out)
}

// Snapshot returns a deep copy of the simulator's state.
func (s *Sim) Snapshot() (*State, error) {
	s.mu.Lock()
	s.settleTransfers()
	b, err := s.snapshotJSON()
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("wecomsim: snapshot: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("wecomsim: snapshot: %w", err)
	}
	return &st, nil
}

// WelcomeMessages returns every send_welcome_msg call so far, accepted or rejected.
func (s *Sim) WelcomeMessages() []WelcomeMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]WelcomeMessage, len(s.st.welcomeMsgs))
	for i, w := range s.st.welcomeMsgs {
		out[i] = *w
		out[i].Attachments = slices.Clone(w.Attachments)
	}
	return out
}
