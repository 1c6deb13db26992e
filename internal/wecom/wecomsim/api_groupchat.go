package wecomsim

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Group-chat status for groupchat/list (0: normal; 1..3 concern the owner having left).
func (s *Sim) chatStatus(g *GroupChat) int {
	if u := s.st.users[g.Owner]; u != nil && u.Status == StaffResigned {
		return 1
	}
	return 0
}

func (s *Sim) apiGroupChatList(c *apiCall) (any, error) {
	var req wecom.ListGroupChatsRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if req.Limit < 1 || req.Limit > 1000 {
		return nil, s.apiError(wecom.CodeInvalidParameter, "limit must be 1..1000")
	}
	type item struct {
		ChatID string `json:"chat_id"`
		Status int    `json:"status"`
	}
	var all []item
	for _, id := range s.st.chatOrder {
		g := s.st.chats[id]
		if g.Dismissed {
			continue
		}
		if req.OwnerFilter != nil && len(req.OwnerFilter.UserIDList) > 0 && !slices.Contains(req.OwnerFilter.UserIDList, g.Owner) {
			continue
		}
		st := s.chatStatus(g)
		if req.StatusFilter != 0 && st != req.StatusFilter {
			continue
		}
		all = append(all, item{id, st})
	}
	start, end, next, err := s.page(req.Cursor, req.Limit, req.Limit, 1000, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"group_chat_list": nonNil(all[start:end]), "next_cursor": next}, nil
}

// chat looks up a live group for the API: unknown is 40050, dismissed 49008.
func (s *Sim) chat(id string) (*GroupChat, error) {
	g := s.st.chats[id]
	if g == nil {
		return nil, s.apiError(wecom.CodeChatNotFound, "chatid not found")
	}
	if g.Dismissed {
		return nil, s.apiError(wecom.CodeGroupDismissed, "group chat has been dismissed")
	}
	return g, nil
}

func (s *Sim) apiGroupChatGet(c *apiCall) (any, error) {
	var req struct {
		ChatID   string `json:"chat_id"`
		NeedName int    `json:"need_name"`
	}
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if req.ChatID == "" {
		return nil, s.apiError(wecom.CodeInvalidParameter, "chat_id missing")
	}
	g, err := s.chat(req.ChatID)
	if err != nil {
		return nil, err
	}
	out := wecom.GroupChat{ChatID: g.ChatID, Name: g.Name, Owner: g.Owner, CreateTime: g.CreateTime, Notice: g.Notice, MemberVersion: g.version()}
	for _, m := range g.Members {
		if req.NeedName == 1 {
			if u := s.st.users[m.UserID]; u != nil {
				m.Name = u.Name
			} else if cu := s.st.customers[m.UserID]; cu != nil {
				m.Name = cu.Name
			}
		}
		out.MemberList = append(out.MemberList, m)
	}
	for _, a := range g.Admins {
		out.AdminList = append(out.AdminList, struct {
			UserID string `json:"userid"`
		}{a})
	}
	return map[string]any{"group_chat": out}, nil
}

// checkJoinWay validates a join way; s.mu is held.
func (s *Sim) checkJoinWay(j *wecom.JoinWay) error {
	switch {
	case j.Scene != wecom.SceneMiniProgram && j.Scene != wecom.SceneQRCode:
		return s.apiError(wecom.CodeInvalidParameter, "invalid scene")
	case len(j.ChatIDList) == 0:
		return s.apiError(wecom.CodeInvalidParameter, "chat_id_list empty")
	case len(j.ChatIDList) > wecom.MaxJoinWayChats:
		return s.apiError(wecom.CodeJoinWayTooManyChats, "chat_id_list holds at most 5 groups")
	case utf8.RuneCountInString(j.State) > wecom.MaxStateLen:
		return s.apiError(wecom.CodeInvalidParameter, "state exceeds 30 characters")
	case utf8.RuneCountInString(j.Remark) > 30:
		return s.apiError(wecom.CodeInvalidParameter, "remark exceeds 30 characters")
	case j.AutoCreateRoom != 0 && j.AutoCreateRoom != 1:
		return s.apiError(wecom.CodeInvalidParameter, "auto_create_room is 0 or 1")
	case j.AutoCreateRoom == 1 && (j.RoomBaseName == "" || utf8.RuneCountInString(j.RoomBaseName) > 40):
		return s.apiError(wecom.CodeInvalidParameter, "room_base_name required (≤ 40 characters) with auto_create_room")
	}
	for _, id := range j.ChatIDList {
		if _, err := s.chat(id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sim) apiAddJoinWay(c *apiCall) (any, error) {
	var req wecom.JoinWay
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if err := s.checkJoinWay(&req); err != nil {
		return nil, err
	}
	if req.AutoCreateRoom == 1 && req.RoomBaseID == 0 {
		req.RoomBaseID = 1
	}
	req.ConfigID = s.newID("", 32, hexset)
	req.QRCode = s.cfg.BaseURL + "/sim/qr/join_way/" + req.ConfigID
	s.st.joinWays[req.ConfigID] = &JoinWay{JoinWay: req, CreateTime: s.now().Unix()}
	s.st.jwOrder = append(s.st.jwOrder, req.ConfigID)
	return map[string]any{"config_id": req.ConfigID}, nil
}

// joinWay looks up a join way for the API. The docs name no errcode for an unknown join way;
// the simulator answers 40058 (invalid parameter).
func (s *Sim) joinWay(c *apiCall) (*JoinWay, error) {
	var req configIDReq
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if req.ConfigID == "" {
		return nil, s.apiError(wecom.CodeMissingConfigID, "missing config_id")
	}
	j := s.st.joinWays[req.ConfigID]
	if j == nil {
		return nil, s.apiError(wecom.CodeInvalidParameter, "invalid config_id")
	}
	return j, nil
}

func (s *Sim) apiGetJoinWay(c *apiCall) (any, error) {
	j, err := s.joinWay(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"join_way": j.JoinWay}, nil
}

func (s *Sim) apiUpdateJoinWay(c *apiCall) (any, error) {
	var req wecom.JoinWay
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	j := s.st.joinWays[req.ConfigID]
	if j == nil {
		return nil, s.apiError(wecom.CodeInvalidParameter, "invalid config_id")
	}
	if err := s.checkJoinWay(&req); err != nil {
		return nil, err
	}
	if req.AutoCreateRoom == 1 && req.RoomBaseID == 0 {
		req.RoomBaseID = 1
	}
	req.QRCode = j.QRCode
	j.JoinWay = req
	return nil, nil
}

func (s *Sim) apiDelJoinWay(c *apiCall) (any, error) {
	j, err := s.joinWay(c)
	if err != nil {
		return nil, err
	}
	delete(s.st.joinWays, j.ConfigID)
	s.st.jwOrder = slices.DeleteFunc(s.st.jwOrder, func(x string) bool { return x == j.ConfigID })
	return nil, nil
}

// --- scripted group actions ---

// GroupInput is a member creating a customer group in the client.
type GroupInput struct {
	Owner string `json:"owner"`
	Name  string `json:"name"`
	// Members are staff userids or external userids invited at creation.
	Members []string `json:"members"`
	Notice  string   `json:"notice"`
}

// CreateGroupChat creates a customer group and emits change_external_chat create.
func (s *Sim) CreateGroupChat(in GroupInput) (*GroupChat, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.st.activeUser(in.Owner); u == nil || !u.CustomerContact {
		return nil, fmt.Errorf("%w: owner %q must be an active member with customer contact", ErrInvalid, in.Owner)
	}
	g := s.newChat(in.Owner, in.Name)
	g.Notice = in.Notice
	for _, id := range in.Members {
		if id == in.Owner {
			continue
		}
		if err := s.addMember(g, id, 1, in.Owner, ""); err != nil {
			return nil, err
		}
	}
	s.emit(wecom.EventChangeExternalChat, wecom.ChangeCreate, f("ChatId", g.ChatID))
	out := *g
	out.Members = slices.Clone(g.Members)
	return &out, nil
}

// newChat creates a group with its owner as the only member; s.mu is held.
func (s *Sim) newChat(owner, name string) *GroupChat {
	now := s.now().Unix()
	g := &GroupChat{ChatID: s.newID("wr", 30, alnum), Name: name, Owner: owner, CreateTime: now}
	g.Members = append(g.Members, wecom.GroupMember{UserID: owner, Type: wecom.MemberTypeStaff, JoinTime: now, JoinScene: 1})
	s.st.chats[g.ChatID] = g
	s.st.chatOrder = append(s.st.chatOrder, g.ChatID)
	return g
}

// addMember adds a member or customer to a group, enforcing the member cap; s.mu is held.
func (s *Sim) addMember(g *GroupChat, id string, scene int, invitor, state string) error {
	if g.memberIndex(id) >= 0 {
		return fmt.Errorf("%w: %q is already in group %s", ErrConflict, id, g.ChatID)
	}
	if len(g.Members) >= s.cfg.MaxGroupMembers {
		return fmt.Errorf("%w: group %s is full (%d members)", ErrConflict, g.ChatID, s.cfg.MaxGroupMembers)
	}
	m := wecom.GroupMember{UserID: id, JoinTime: s.now().Unix(), JoinScene: scene, State: state}
	switch {
	case s.st.activeUser(id) != nil:
		m.Type = wecom.MemberTypeStaff
	case s.st.customers[id] != nil:
		m.Type = wecom.MemberTypeExternal
		m.UnionID = s.st.customers[id].UnionID
	default:
		return fmt.Errorf("%w: no member or customer %q", ErrNotFound, id)
	}
	if invitor != "" && scene != 3 {
		m.Invitor = &struct {
			UserID string `json:"userid"`
		}{invitor}
	}
	g.Members = append(g.Members, m)
	return nil
}

// JoinInput is a customer joining a group: invited into ChatID by a member, or by scanning the
// QR code of the join way ConfigID.
type JoinInput struct {
	ExternalUserID string `json:"external_userid"`
	ChatID         string `json:"chat_id"`
	ConfigID       string `json:"config_id"`
	// Invitor is the member who invited (default: the owner) when joining by ChatID.
	Invitor string `json:"invitor"`
}

// JoinGroup adds the customer and emits change_external_chat update/add_member. Through a join
// way, the first listed group with room is used; when all are full and auto_create_room is on,
// a new group "room_base_name + room_base_id" is created first (create event), listed on the
// way, and room_base_id is incremented.
func (s *Sim) JoinGroup(in JoinInput) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.customers[in.ExternalUserID] == nil && s.st.activeUser(in.ExternalUserID) == nil {
		return "", fmt.Errorf("%w: customer %q", ErrNotFound, in.ExternalUserID)
	}
	var g *GroupChat
	scene, eventScene, invitor, state := 1, wecom.JoinSceneInvited, in.Invitor, ""
	switch {
	case in.ChatID != "":
		g = s.st.chats[in.ChatID]
		if g == nil || g.Dismissed {
			return "", fmt.Errorf("%w: group %q", ErrNotFound, in.ChatID)
		}
		if invitor == "" {
			invitor = g.Owner
		}
	case in.ConfigID != "":
		j := s.st.joinWays[in.ConfigID]
		if j == nil {
			return "", fmt.Errorf("%w: join way %q", ErrNotFound, in.ConfigID)
		}
		scene, eventScene, invitor, state = 3, wecom.JoinSceneQRCode, "", j.State
		var err error
		if g, err = s.roomFor(j); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("%w: chat_id or config_id required", ErrInvalid)
	}
	last := g.version()
	if err := s.addMember(g, in.ExternalUserID, scene, invitor, state); err != nil {
		return "", err
	}
	s.emit(wecom.EventChangeExternalChat, wecom.ChangeUpdate, f("ChatId", g.ChatID), f("UpdateDetail", wecom.UpdateAddMember),
		f("JoinScene", eventScene), f("MemChangeCnt", 1), f("MemChangeList", []string{in.ExternalUserID}),
		f("LastMemVer", last), f("CurMemVer", g.version()))
	return g.ChatID, nil
}

// roomFor picks the group a join way sends a customer to; s.mu is held.
func (s *Sim) roomFor(j *JoinWay) (*GroupChat, error) {
	var lastLive *GroupChat
	for _, id := range j.ChatIDList {
		g := s.st.chats[id]
		if g == nil || g.Dismissed {
			continue
		}
		lastLive = g
		if len(g.Members) < s.cfg.MaxGroupMembers {
			return g, nil
		}
	}
	if j.AutoCreateRoom != 1 {
		return nil, fmt.Errorf("%w: every group of join way %s is full", ErrConflict, j.ConfigID)
	}
	if lastLive == nil {
		return nil, fmt.Errorf("%w: join way %s has no live group to copy the owner from", ErrConflict, j.ConfigID)
	}
	g := s.newChat(lastLive.Owner, j.RoomBaseName+strconv.Itoa(j.RoomBaseID))
	j.RoomBaseID++
	j.ChatIDList = append(j.ChatIDList, g.ChatID)
	if len(j.ChatIDList) > wecom.MaxJoinWayChats {
		// Keep the way within its 5 groups by dropping the oldest (full) one.
		j.ChatIDList = j.ChatIDList[len(j.ChatIDList)-wecom.MaxJoinWayChats:]
	}
	s.emit(wecom.EventChangeExternalChat, wecom.ChangeCreate, f("ChatId", g.ChatID))
	return g, nil
}

// LeaveGroup removes a customer (or member) from a group: by themselves (QuitScene 0) or
// removed by the owner (1). It emits change_external_chat update/del_member.
func (s *Sim) LeaveGroup(id, chatID string, removed bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.st.chats[chatID]
	if g == nil || g.Dismissed {
		return fmt.Errorf("%w: group %q", ErrNotFound, chatID)
	}
	i := g.memberIndex(id)
	if i < 0 {
		return fmt.Errorf("%w: %q is not in group %s", ErrNotFound, id, chatID)
	}
	if id == g.Owner {
		return fmt.Errorf("%w: the owner cannot leave; dismiss the group", ErrConflict)
	}
	last := g.version()
	g.Members = slices.Delete(g.Members, i, i+1)
	quit := wecom.QuitSceneSelf
	if removed {
		quit = wecom.QuitSceneRemoved
	}
	s.emit(wecom.EventChangeExternalChat, wecom.ChangeUpdate, f("ChatId", chatID), f("UpdateDetail", wecom.UpdateDelMember),
		f("QuitScene", quit), f("MemChangeCnt", 1), f("MemChangeList", []string{id}),
		f("LastMemVer", last), f("CurMemVer", g.version()))
	return nil
}

// DismissGroup is the owner dismissing a group: change_external_chat dismiss.
func (s *Sim) DismissGroup(chatID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.st.chats[chatID]
	if g == nil || g.Dismissed {
		return fmt.Errorf("%w: group %q", ErrNotFound, chatID)
	}
	g.Dismissed = true
	s.emit(wecom.EventChangeExternalChat, wecom.ChangeDismiss, f("ChatId", chatID))
	return nil
}
