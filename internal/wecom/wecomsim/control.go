package wecomsim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Scripted actions: what admins, staff and customers do in their clients. Unlike API calls,
// they produce callbacks, exactly as on the real server.

// AddDepartment creates a department (admin console) and emits change_contact create_party.
// ID 0 picks the next free id; ParentID 0 means the root (1).
func (s *Sim) AddDepartment(d Department) (*Department, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.Name == "" {
		return nil, fmt.Errorf("%w: department name required", ErrInvalid)
	}
	if d.ParentID == 0 {
		d.ParentID = 1
	}
	if s.st.depts[d.ParentID] == nil {
		return nil, fmt.Errorf("%w: parent department %d", ErrNotFound, d.ParentID)
	}
	if d.ID == 0 {
		for id := range s.st.depts {
			d.ID = max(d.ID, id)
		}
		d.ID++
	}
	if s.st.depts[d.ID] != nil {
		return nil, fmt.Errorf("%w: department %d exists", ErrConflict, d.ID)
	}
	if d.Order == 0 {
		d.Order = 100000000 - d.ID
	}
	s.st.depts[d.ID] = &d
	s.emit(wecom.EventChangeContact, wecom.ChangeCreateParty,
		f("Id", d.ID), f("Name", d.Name), f("ParentId", strconv.FormatInt(d.ParentID, 10)), f("Order", d.Order))
	out := d
	return &out, nil
}

// StaffInput creates a member.
type StaffInput struct {
	UserID     string  `json:"userid"`
	Name       string  `json:"name"`
	Department []int64 `json:"department"`
	Position   string  `json:"position"`
	Mobile     string  `json:"mobile"`
	Gender     string  `json:"gender"`
	Email      string  `json:"email"`
	Avatar     string  `json:"avatar"`
	Alias      string  `json:"alias"`
	// CustomerContact defaults to true: the member may have customers.
	CustomerContact *bool `json:"customer_contact"`
}

// AddStaff creates a member (admin console) and emits change_contact create_user.
func (s *Sim) AddStaff(in StaffInput) (*Staff, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.UserID == "" || len(in.UserID) > 64 {
		return nil, fmt.Errorf("%w: userid must be 1..64 characters", ErrInvalid)
	}
	if s.st.users[in.UserID] != nil {
		return nil, fmt.Errorf("%w: userid %s exists", ErrConflict, in.UserID)
	}
	if len(in.Department) == 0 {
		in.Department = []int64{1}
	}
	for _, d := range in.Department {
		if s.st.depts[d] == nil {
			return nil, fmt.Errorf("%w: department %d", ErrNotFound, d)
		}
	}
	if in.Name == "" {
		in.Name = in.UserID
	}
	if in.Gender == "" {
		in.Gender = "0"
	}
	u := &Staff{
		UserID: in.UserID, Name: in.Name, Department: in.Department, MainDepartment: in.Department[0],
		Position: in.Position, Mobile: in.Mobile, Gender: in.Gender, Email: in.Email, Avatar: in.Avatar, Alias: in.Alias,
		CustomerContact: in.CustomerContact == nil || *in.CustomerContact, Status: StaffActive,
	}
	s.st.users[u.UserID] = u
	s.st.userOrder = append(s.st.userOrder, u.UserID)
	s.emit(wecom.EventChangeContact, wecom.ChangeCreateUser,
		f("UserID", u.UserID), f("Name", u.Name), f("Department", joinInts(u.Department)), f("MainDepartment", u.MainDepartment),
		f("IsLeaderInDept", joinInts(make([]int64, len(u.Department)))), f("Position", u.Position), f("Mobile", u.Mobile),
		f("Gender", u.Gender), f("Email", u.Email), f("Status", u.Status), f("Avatar", u.Avatar), f("Alias", u.Alias))
	out := *u
	return &out, nil
}

func joinInts(v []int64) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(parts, ",")
}

// ResignStaff removes a member from the directory (emits delete_user). Their customers stay,
// visible to get_unassigned_list until transferred.
func (s *Sim) ResignStaff(userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.activeUser(userID)
	if u == nil {
		return fmt.Errorf("%w: active member %q", ErrNotFound, userID)
	}
	u.Status, u.ResignedAt = StaffResigned, s.now().Unix()
	s.emit(wecom.EventChangeContact, wecom.ChangeDeleteUser, f("UserID", userID))
	return nil
}

// CustomerInput creates a customer (a WeChat user who will add staff).
type CustomerInput struct {
	// ExternalUserID is generated when empty.
	ExternalUserID string `json:"external_userid"`
	Name           string `json:"name"`
	Gender         int    `json:"gender"`
	UnionID        string `json:"unionid"`
	Avatar         string `json:"avatar"`
	// Type is 1 (WeChat, default) or 2 (another corp's WeCom user, with CorpName/Position).
	Type     int    `json:"type"`
	CorpName string `json:"corp_name"`
	Position string `json:"position"`
}

// AddCustomer creates a customer. No event: nothing happens in WeCom until they add someone.
func (s *Sim) AddCustomer(in CustomerInput) (*Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.Name == "" {
		return nil, fmt.Errorf("%w: name required", ErrInvalid)
	}
	if in.Gender < 0 || in.Gender > 2 {
		return nil, fmt.Errorf("%w: gender is 0, 1 or 2", ErrInvalid)
	}
	if in.Type == 0 {
		in.Type = wecom.ExternalTypeWeChat
	}
	if in.ExternalUserID == "" {
		in.ExternalUserID = s.newID("wm", 30, alnum)
	}
	if s.st.customers[in.ExternalUserID] != nil {
		return nil, fmt.Errorf("%w: customer %s exists", ErrConflict, in.ExternalUserID)
	}
	if in.Avatar == "" {
		in.Avatar = s.cfg.BaseURL + "/sim/qr/avatar/" + in.ExternalUserID
	}
	cu := &Customer{
		ExternalUserID: in.ExternalUserID, Name: in.Name, Type: in.Type, Gender: in.Gender, UnionID: in.UnionID,
		Avatar: in.Avatar, CorpName: in.CorpName, Position: in.Position, CreatedAt: s.now().Unix(),
	}
	s.st.customers[cu.ExternalUserID] = cu
	s.st.custOrder = append(s.st.custOrder, cu.ExternalUserID)
	out := *cu
	return &out, nil
}

// Results of an add attempt.
const (
	AddResultAdded   = "added"           // friends; add_external_contact was emitted
	AddResultHalf    = "half"            // add_half_external_contact was emitted; Accept completes it
	AddResultPending = "pending"         // a friend request waits for the member; Accept completes it
	AddResultAlready = "already_friends" // nothing happened
)

// AddResult is the outcome of a scan, an accept or a link click.
type AddResult struct {
	Result         string `json:"result"`
	UserID         string `json:"userid"`
	ExternalUserID string `json:"external_userid"`
	State          string `json:"state,omitempty"`
	WelcomeCode    string `json:"welcome_code,omitempty"`
	// Event is the ChangeType emitted, if any.
	Event string `json:"event,omitempty"`
}

// issueWelcomeCode creates a welcome code for a pair; s.mu is held.
func (s *Sim) issueWelcomeCode(userID, externalUserID string) string {
	code := s.newID("", 43, b64url)
	s.st.welcomeCodes[code] = &welcomeCode{code: code, userID: userID, externalUserID: externalUserID, issuedAt: s.now()}
	return code
}

// customerAdds runs the customer's side of an add through a contact way or a link: with
// skipVerify the pair becomes friends at once (or half friends, see HalfAddOnSkipVerify),
// otherwise a friend request waits for Accept. s.mu is held.
func (s *Sim) customerAdds(userID, externalUserID, state string, addWay int, skipVerify bool) (*AddResult, error) {
	res := &AddResult{UserID: userID, ExternalUserID: externalUserID, State: state}
	r := s.st.rel(userID, externalUserID)
	if r != nil && r.Status == RelActive {
		res.Result = AddResultAlready
		return res, nil
	}
	if r == nil || r.Status == RelDeletedByStaff || r.Status == RelDeletedByCustomer {
		old := r
		r = &Relation{UserID: userID, ExternalUserID: externalUserID}
		if old != nil {
			// Re-adding keeps the member's remark and tags, as WeCom does for a returning
			// customer.
			r.Remark, r.Description, r.TagIDs, r.RemarkMobiles = old.Remark, old.Description, old.TagIDs, old.RemarkMobiles
		}
		s.st.putRel(r)
	}
	r.State, r.AddWay, r.OperUserID, r.CreateTime = state, addWay, externalUserID, s.now().Unix()
	switch {
	case !skipVerify:
		r.Status = RelPending
		res.Result = AddResultPending
	case s.cfg.HalfAddOnSkipVerify:
		r.Status = RelHalf
		res.Result, res.Event = AddResultHalf, wecom.ChangeAddHalfExternalContact
		res.WelcomeCode = s.issueWelcomeCode(userID, externalUserID)
		s.emitContact(wecom.ChangeAddHalfExternalContact, r, f("State", state), f("WelcomeCode", res.WelcomeCode))
	default:
		s.completeAdd(r, res)
	}
	return res, nil
}

// completeAdd makes the pair friends and emits add_external_contact with State and a welcome
// code (none if a welcome code of this pair was already spent). s.mu is held.
func (s *Sim) completeAdd(r *Relation, res *AddResult) {
	r.Status = RelActive
	res.Result, res.Event, res.State = AddResultAdded, wecom.ChangeAddExternalContact, r.State
	fields := []field{f("State", r.State)}
	if !r.WelcomeCodeUsed {
		res.WelcomeCode = s.issueWelcomeCode(r.UserID, r.ExternalUserID)
		fields = append(fields, f("WelcomeCode", res.WelcomeCode))
	}
	s.emitContact(wecom.ChangeAddExternalContact, r, fields...)
}

// emitContact emits change_external_contact for a pair; s.mu is held.
func (s *Sim) emitContact(changeType string, r *Relation, extra ...field) {
	s.emit(wecom.EventChangeExternalContact, changeType, append([]field{f("UserID", r.UserID), f("ExternalUserID", r.ExternalUserID)}, extra...)...)
}

// Scan is a customer scanning a contact way's QR code (or tapping its mini-program button).
func (s *Sim) Scan(externalUserID, configID string) (*AddResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.customers[externalUserID] == nil {
		return nil, fmt.Errorf("%w: customer %q", ErrNotFound, externalUserID)
	}
	w := s.st.contactWays[configID]
	if w == nil {
		return nil, fmt.Errorf("%w: contact way %q", ErrNotFound, configID)
	}
	if w.ExpiresAt != 0 && s.now().Unix() >= w.ExpiresAt {
		return nil, fmt.Errorf("%w: contact way %q has expired", ErrConflict, configID)
	}
	staff := s.members(w.User, w.Party)
	if len(staff) == 0 {
		return nil, fmt.Errorf("%w: contact way %q has no active member", ErrConflict, configID)
	}
	// A multi-person way hands scans out in turn.
	i := s.st.rr[configID] % len(staff)
	s.st.rr[configID]++
	w.Scans++
	return s.customerAdds(staff[i], externalUserID, w.State, wecom.AddWayQRCode, w.SkipVerify)
}

// Accept is the member accepting a pending friend request, or adding back a customer who added
// them without verification; it emits add_external_contact.
func (s *Sim) Accept(userID, externalUserID string) (*AddResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.rel(userID, externalUserID)
	if r == nil || (r.Status != RelPending && r.Status != RelHalf) {
		return nil, fmt.Errorf("%w: no pending add from %q to %q", ErrNotFound, externalUserID, userID)
	}
	if s.st.activeUser(userID) == nil {
		return nil, fmt.Errorf("%w: member %q has left", ErrConflict, userID)
	}
	res := &AddResult{UserID: userID, ExternalUserID: externalUserID}
	s.completeAdd(r, res)
	return res, nil
}

// CustomerDeletesStaff is the customer deleting the member (a loss): del_follow_user. The
// relation stays visible to the API one-way, as on the real server.
func (s *Sim) CustomerDeletesStaff(externalUserID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.rel(userID, externalUserID)
	if r == nil || r.Status != RelActive {
		return fmt.Errorf("%w: %q and %q are not friends", ErrNotFound, externalUserID, userID)
	}
	r.Status = RelDeletedByCustomer
	s.emitContact(wecom.ChangeDelFollowUser, r)
	return nil
}

// StaffDeletesCustomer is the member deleting the customer: del_external_contact, after which
// the API answers 84061 for the pair.
func (s *Sim) StaffDeletesCustomer(userID, externalUserID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.rel(userID, externalUserID)
	if r == nil || (r.Status != RelActive && r.Status != RelDeletedByCustomer) {
		return fmt.Errorf("%w: %q has no customer %q", ErrNotFound, userID, externalUserID)
	}
	r.Status = RelDeletedByStaff
	s.emitContact(wecom.ChangeDelExternalContact, r)
	return nil
}

// EditInput is a member editing a customer in the client: remark, description, corp tags.
type EditInput struct {
	UserID         string   `json:"userid"`
	ExternalUserID string   `json:"external_userid"`
	Remark         *string  `json:"remark"`
	Description    *string  `json:"description"`
	AddTag         []string `json:"add_tag"`
	RemoveTag      []string `json:"remove_tag"`
}

// StaffEditsCustomer applies the edit and emits edit_external_contact.
func (s *Sim) StaffEditsCustomer(in EditInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.rel(in.UserID, in.ExternalUserID)
	if r == nil || !r.visible() {
		return fmt.Errorf("%w: %q has no customer %q", ErrNotFound, in.UserID, in.ExternalUserID)
	}
	if err := s.markTags(r, in.AddTag, in.RemoveTag); err != nil {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	if in.Remark != nil {
		r.Remark = *in.Remark
	}
	if in.Description != nil {
		r.Description = *in.Description
	}
	s.emitContact(wecom.ChangeEditExternalContact, r)
	return nil
}

// TagInput is an admin creating a corp tag in the admin console: into GroupID, or into the group
// named GroupName (created when missing).
type TagInput struct {
	GroupID   string `json:"group_id"`
	GroupName string `json:"group_name"`
	Name      string `json:"name"`
}

// AdminCreateTag creates a tag and emits change_external_tag create (first for the group when
// it is new, TagType tag_group, then for the tag).
func (s *Sim) AdminCreateTag(in TagInput) (*Tag, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ids, newGroup, err := s.addTags(in.GroupID, in.GroupName, 0, []wecom.NewTag{{Name: in.Name}})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if newGroup {
		s.emit(wecom.EventChangeExternalTag, wecom.ChangeCreate, f("Id", g.GroupID), f("TagType", wecom.TagTypeTagGroup))
	}
	s.emit(wecom.EventChangeExternalTag, wecom.ChangeCreate, f("Id", ids[0]), f("TagType", wecom.TagTypeTag))
	t := *s.st.tags[ids[0]]
	return &t, nil
}

// AdminEditTag renames a tag or a group and emits change_external_tag update.
func (s *Sim) AdminEditTag(id, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "" {
		return fmt.Errorf("%w: name required", ErrInvalid)
	}
	if t := s.st.tags[id]; t != nil {
		t.Name = name
		s.emit(wecom.EventChangeExternalTag, wecom.ChangeUpdate, f("Id", id), f("TagType", wecom.TagTypeTag))
		return nil
	}
	if g := s.st.tagGroups[id]; g != nil {
		g.GroupName = name
		s.emit(wecom.EventChangeExternalTag, wecom.ChangeUpdate, f("Id", id), f("TagType", wecom.TagTypeTagGroup))
		return nil
	}
	return fmt.Errorf("%w: tag or group %q", ErrNotFound, id)
}

// AdminDeleteTag deletes a tag or a group and emits change_external_tag delete.
func (s *Sim) AdminDeleteTag(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.st.tags[id] != nil:
		s.deleteTag(id)
		s.emit(wecom.EventChangeExternalTag, wecom.ChangeDelete, f("Id", id), f("TagType", wecom.TagTypeTag))
	case s.st.tagGroups[id] != nil:
		s.deleteTagGroup(id)
		s.emit(wecom.EventChangeExternalTag, wecom.ChangeDelete, f("Id", id), f("TagType", wecom.TagTypeTagGroup))
	default:
		return fmt.Errorf("%w: tag or group %q", ErrNotFound, id)
	}
	return nil
}
