package wecom

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// Event names (the <Event> element) Siyu handles.
const (
	EventChangeExternalContact = "change_external_contact"
	EventChangeExternalChat    = "change_external_chat"
	EventChangeExternalTag     = "change_external_tag"
	EventChangeContact         = "change_contact"
)

// ChangeType values of change_external_contact.
const (
	ChangeAddExternalContact     = "add_external_contact"      // a member added a customer (UserID, ExternalUserID, State, WelcomeCode)
	ChangeEditExternalContact    = "edit_external_contact"     // a member edited the remark or corp tags in the client
	ChangeAddHalfExternalContact = "add_half_external_contact" // a customer added a skip-verify member who has not added them back (may carry WelcomeCode)
	ChangeDelExternalContact     = "del_external_contact"      // the member deleted the customer (Source=DELETE_BY_TRANSFER when a transfer did it)
	ChangeDelFollowUser          = "del_follow_user"           // the customer deleted the member: a loss
	ChangeTransferFail           = "transfer_fail"             // a transfer failed (FailReason)
)

// ChangeType values of change_external_chat, change_external_tag and change_contact.
const (
	ChangeCreate  = "create"
	ChangeUpdate  = "update"
	ChangeDelete  = "delete"
	ChangeDismiss = "dismiss"
	ChangeShuffle = "shuffle"

	ChangeCreateUser  = "create_user"
	ChangeUpdateUser  = "update_user"
	ChangeDeleteUser  = "delete_user"
	ChangeCreateParty = "create_party"
	ChangeUpdateParty = "update_party"
	ChangeDeleteParty = "delete_party"
	ChangeUpdateTag   = "update_tag"
)

// UpdateDetail values of a change_external_chat update.
const (
	UpdateAddMember    = "add_member"
	UpdateDelMember    = "del_member"
	UpdateChangeOwner  = "change_owner"
	UpdateChangeName   = "change_name"
	UpdateChangeNotice = "change_notice"
)

// Join and quit scenes of a change_external_chat update.
const (
	JoinSceneInvited = 0 // invited by a member, directly or through an invitation link
	JoinSceneQRCode  = 3 // scanned a group QR code (join ways)

	QuitSceneSelf    = 0 // left by themselves
	QuitSceneRemoved = 1 // removed by the owner or an admin
)

// Other enumerations carried by events.
const (
	FailReasonCustomerRefused     = "customer_refused"
	FailReasonCustomerLimitExceed = "customer_limit_exceed"

	TagTypeTag      = "tag"
	TagTypeTagGroup = "tag_group"

	SourceDeleteByTransfer = "DELETE_BY_TRANSFER"
)

// Event is a decrypted callback payload. Use a type switch on the concrete types
// (*ExternalContactEvent, *ExternalChatEvent, *ExternalTagEvent, *ContactEvent, *UnknownEvent).
type Event interface {
	// Header returns the fields every callback carries.
	Header() EventHeader
	// DedupKey is stable across WeCom's re-deliveries of the same event and distinct between
	// different events: FromUserName, CreateTime, Event, ChangeType and the event's own ids.
	DedupKey() string
}

// EventHeader holds the fields common to every callback.
type EventHeader struct {
	ToUserName   string `xml:"ToUserName"`   // corp id
	FromUserName string `xml:"FromUserName"` // "sys" for system events
	CreateTime   int64  `xml:"CreateTime"`   // Unix seconds
	MsgType      string `xml:"MsgType"`      // "event" for the events here
	Event        string `xml:"Event"`
	ChangeType   string `xml:"ChangeType"`
	MsgID        string `xml:"MsgId"` // only on message (non-event) callbacks
	AgentID      string `xml:"AgentID"`
}

// Header implements Event.
func (h EventHeader) Header() EventHeader { return h }

func (h *EventHeader) trim() {
	trimAll(&h.ToUserName, &h.FromUserName, &h.MsgType, &h.Event, &h.ChangeType, &h.MsgID, &h.AgentID)
}

func (h EventHeader) keyPrefix() []string {
	return []string{h.FromUserName, strconv.FormatInt(h.CreateTime, 10), h.Event, h.ChangeType}
}

// ExternalContactEvent is change_external_contact (客户联系: 添加/编辑/删除企业客户, 删除跟进成员,
// 客户接替失败, 外部联系人免验证添加成员). Source: 事件格式, developer.work.weixin.qq.com/document/path/92130.
type ExternalContactEvent struct {
	EventHeader
	UserID         string `xml:"UserID"`
	ExternalUserID string `xml:"ExternalUserID"`
	State          string `xml:"State"`       // the contact way's state (or acquisition link's customer_channel)
	WelcomeCode    string `xml:"WelcomeCode"` // valid 20 s, once
	Source         string `xml:"Source"`      // del_external_contact: DELETE_BY_TRANSFER
	FailReason     string `xml:"FailReason"`  // transfer_fail: customer_refused | customer_limit_exceed
}

// DedupKey implements Event.
func (e *ExternalContactEvent) DedupKey() string {
	return dedupKey(append(e.keyPrefix(), e.UserID, e.ExternalUserID)...)
}

// ExternalChatEvent is change_external_chat (客户群创建/变更/解散).
type ExternalChatEvent struct {
	EventHeader
	ChatID        string   `xml:"ChatId"`
	UpdateDetail  string   `xml:"UpdateDetail"` // add_member | del_member | change_owner | change_name | change_notice
	JoinScene     int      `xml:"JoinScene"`
	QuitScene     int      `xml:"QuitScene"`
	MemChangeCnt  int      `xml:"MemChangeCnt"`
	MemChangeList ItemList `xml:"MemChangeList"` // userids / external userids that joined or left
	LastMemVer    string   `xml:"LastMemVer"`
	CurMemVer     string   `xml:"CurMemVer"`
}

// DedupKey implements Event.
func (e *ExternalChatEvent) DedupKey() string {
	return dedupKey(append(e.keyPrefix(), e.ChatID, e.UpdateDetail, e.CurMemVer)...)
}

// ExternalTagEvent is change_external_tag (企业客户标签创建/变更/删除/重排).
type ExternalTagEvent struct {
	EventHeader
	ID         string `xml:"Id"`
	TagType    string `xml:"TagType"`    // tag | tag_group
	StrategyID string `xml:"StrategyId"` // set for rule-group (策略) tags
}

// DedupKey implements Event.
func (e *ExternalTagEvent) DedupKey() string {
	return dedupKey(append(e.keyPrefix(), e.TagType, e.ID, e.StrategyID)...)
}

// ContactEvent is change_contact (通讯录变更: members, departments, member tags).
// Which fields are set depends on ChangeType.
type ContactEvent struct {
	EventHeader
	// create_user / update_user / delete_user
	UserID         string   `xml:"UserID"`
	NewUserID      string   `xml:"NewUserID"` // update_user when the userid changed
	Name           string   `xml:"Name"`      // also the department name for *_party
	Department     IntList  `xml:"Department"`
	MainDepartment int64    `xml:"MainDepartment"`
	IsLeaderInDept IntList  `xml:"IsLeaderInDept"`
	DirectLeader   ItemList `xml:"DirectLeader"`
	Position       string   `xml:"Position"`
	Mobile         string   `xml:"Mobile"`
	Gender         string   `xml:"Gender"` // "1" male, "2" female, "0" unknown
	Email          string   `xml:"Email"`
	BizMail        string   `xml:"BizMail"`
	Status         int      `xml:"Status"` // 1 active, 2 disabled, 4 not activated
	Avatar         string   `xml:"Avatar"`
	Alias          string   `xml:"Alias"`
	Telephone      string   `xml:"Telephone"`
	Address        string   `xml:"Address"`
	// create_party / update_party / delete_party
	ID       int64 `xml:"Id"`
	ParentID int64 `xml:"ParentId"`
	Order    int64 `xml:"Order"`
	// update_tag (member tags, not customer tags)
	TagID         int64    `xml:"TagId"`
	AddUserItems  ItemList `xml:"AddUserItems"`
	DelUserItems  ItemList `xml:"DelUserItems"`
	AddPartyItems IntList  `xml:"AddPartyItems"`
	DelPartyItems IntList  `xml:"DelPartyItems"`
}

// DedupKey implements Event.
func (e *ContactEvent) DedupKey() string {
	return dedupKey(append(e.keyPrefix(), e.UserID, e.NewUserID,
		strconv.FormatInt(e.ID, 10), strconv.FormatInt(e.TagID, 10))...)
}

// UnknownEvent is any callback this package does not model (other events, and messages). It
// is returned instead of an error so the caller can store or ignore it.
type UnknownEvent struct {
	EventHeader
	Raw []byte // the decrypted XML
}

// DedupKey implements Event. Messages are keyed by MsgId; other payloads by a hash of the
// plaintext, which WeCom re-sends unchanged.
func (e *UnknownEvent) DedupKey() string {
	id := e.MsgID
	if id == "" {
		sum := sha256.Sum256(e.Raw)
		id = "sha256:" + hex.EncodeToString(sum[:12])
	}
	return dedupKey(e.FromUserName, strconv.FormatInt(e.CreateTime, 10), e.MsgType, e.Event, e.ChangeType, id)
}

// ParseEvent parses a decrypted callback. Known events come back as their typed structs,
// anything else as *UnknownEvent; only XML that cannot be parsed is an error (ErrMalformed).
func ParseEvent(plain []byte) (Event, error) {
	var h EventHeader
	if err := xml.Unmarshal(plain, &h); err != nil {
		return nil, fmt.Errorf("%w: event: %v", ErrMalformed, err)
	}
	h.trim()
	var ev Event
	var err error
	switch h.Event {
	case EventChangeExternalContact:
		e := &ExternalContactEvent{}
		if err = xml.Unmarshal(plain, e); err == nil {
			e.EventHeader = h
			trimAll(&e.UserID, &e.ExternalUserID, &e.State, &e.WelcomeCode, &e.Source, &e.FailReason)
			ev = e
		}
	case EventChangeExternalChat:
		e := &ExternalChatEvent{}
		if err = xml.Unmarshal(plain, e); err == nil {
			e.EventHeader = h
			trimAll(&e.ChatID, &e.UpdateDetail, &e.LastMemVer, &e.CurMemVer)
			ev = e
		}
	case EventChangeExternalTag:
		e := &ExternalTagEvent{}
		if err = xml.Unmarshal(plain, e); err == nil {
			e.EventHeader = h
			trimAll(&e.ID, &e.TagType, &e.StrategyID)
			ev = e
		}
	case EventChangeContact:
		e := &ContactEvent{}
		if err = xml.Unmarshal(plain, e); err == nil {
			e.EventHeader = h
			trimAll(&e.UserID, &e.NewUserID, &e.Name, &e.Position, &e.Mobile, &e.Gender, &e.Email,
				&e.BizMail, &e.Avatar, &e.Alias, &e.Telephone, &e.Address)
			ev = e
		}
	default:
		return &UnknownEvent{EventHeader: h, Raw: append([]byte(nil), plain...)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s event: %v", ErrMalformed, h.Event, err)
	}
	return ev, nil
}

// ItemList is a list of strings that WeCom sends either as <Item> children or, in older
// payloads, as one comma-separated text.
type ItemList []string

// UnmarshalXML implements xml.Unmarshaler.
func (l *ItemList) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var items []string
	var text strings.Builder
	sawItem := false
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "Item" {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			var s string
			if err := d.DecodeElement(&s, &t); err != nil {
				return err
			}
			sawItem = true
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if !sawItem {
				items = splitComma(text.String())
			}
			*l = items
			return nil
		}
	}
}

// IntList is a comma-separated list of integers (department ids, leader flags).
type IntList []int64

// UnmarshalXML implements xml.Unmarshaler.
func (l *IntList) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := d.DecodeElement(&s, &start); err != nil {
		return err
	}
	parts := splitComma(s)
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not an integer", start.Name.Local, p)
		}
		out = append(out, n)
	}
	*l = out
	return nil
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func trimAll(ss ...*string) {
	for _, s := range ss {
		*s = strings.TrimSpace(*s)
	}
}

// dedupKey joins parts with '|', escaping '%' and '|' inside parts so distinct tuples never
// produce the same key.
func dedupKey(parts ...string) string {
	r := strings.NewReplacer("%", "%25", "|", "%7C")
	for i, p := range parts {
		parts[i] = r.Replace(p)
	}
	return strings.Join(parts, "|")
}
