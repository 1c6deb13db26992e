package wecomsim

import (
	"fmt"
	"slices"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Limits of add_msg_template (document 92135).
const (
	maxTemplateChats = 2000
	maxRemindsPerDay = 3
)

// apiAddMsgTemplate creates a corp mass message. Nothing is delivered until each member
// confirms in the client (POST /sim/mass-messages/confirm); the receive rule is applied then.
func (s *Sim) apiAddMsgTemplate(c *apiCall) (any, error) {
	var req wecom.AddMsgTemplateRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if req.ChatType == "" {
		req.ChatType = wecom.ChatTypeSingle
	}
	if req.ChatType != wecom.ChatTypeSingle && req.ChatType != wecom.ChatTypeGroup {
		return nil, s.apiError(wecom.CodeInvalidParameter, "chat_type is single or group")
	}
	if (req.Text == nil || req.Text.Content == "") && len(req.Attachments) == 0 {
		return nil, s.apiError(wecom.CodeEmptyContent, "text and attachments cannot both be empty")
	}
	if req.Text != nil && len(req.Text.Content) > 4000 {
		return nil, s.apiError(wecom.CodeContentTooLarge, "text exceeds 4000 bytes")
	}
	if err := s.checkAttachments(req.Attachments); err != nil {
		return nil, err
	}
	if len(req.ExternalUserID) > wecom.MaxMsgTemplateRecipients {
		return nil, s.apiError(wecom.CodeInvalidParameter, "external_userid holds at most 10000 customers")
	}
	if len(req.ChatIDList) > maxTemplateChats {
		return nil, s.apiError(wecom.CodeInvalidParameter, "chat_id_list holds at most 2000 groups")
	}
	if req.Sender != "" {
		if _, err := s.requireUser(c, req.Sender); err != nil {
			return nil, err
		}
	}
	m := &MassMessage{ChatType: req.ChatType, Sender: req.Sender, CreateTime: s.now().Unix(), Text: req.Text, Attachments: req.Attachments}
	var err error
	if req.ChatType == wecom.ChatTypeSingle {
		err = s.planSingle(m, &req)
	} else {
		err = s.planGroup(m, &req)
	}
	if err != nil {
		return nil, err
	}
	if len(m.Results) == 0 {
		return nil, s.apiError(wecom.CodeNoRecipient, "no customer to send")
	}
	m.MsgID = s.newID("msg", 27, alnum)
	s.st.massMsgs[m.MsgID] = m
	s.st.mmOrder = append(s.st.mmOrder, m.MsgID)
	return wecom.AddMsgTemplateResponse{MsgID: m.MsgID, FailList: m.FailList}, nil
}

// planSingle resolves the recipients of a message to customers: each customer goes to the
// sender, or — without one — to the member who added them last (WeCom sends to the member who
// last interacted with the customer; the simulator has no chats, so it uses the newest add).
func (s *Sim) planSingle(m *MassMessage, req *wecom.AddMsgTemplateRequest) error {
	targets := req.ExternalUserID
	if len(targets) == 0 {
		if req.Sender == "" {
			return s.apiError(wecom.CodeInvalidParameter, "external_userid and sender cannot both be empty")
		}
		for _, k := range s.st.relOrder {
			if k.userID == req.Sender && s.st.rels[k].visible() {
				targets = append(targets, k.externalUserID)
			}
		}
	}
	tasks := map[string]*MassTask{}
	for _, ext := range uniq(targets) {
		var best *Relation
		for _, k := range s.st.relOrder {
			r := s.st.rels[k]
			if k.externalUserID != ext || !r.visible() || s.st.activeUser(k.userID) == nil {
				continue
			}
			if req.Sender != "" && k.userID != req.Sender {
				continue
			}
			if req.TagFilter != nil && !s.matchesTagFilter(r, req.TagFilter) {
				continue
			}
			if best == nil || r.CreateTime >= best.CreateTime {
				best = r
			}
		}
		if best == nil {
			m.FailList = append(m.FailList, ext)
			continue
		}
		if tasks[best.UserID] == nil {
			tasks[best.UserID] = &MassTask{UserID: best.UserID}
			m.Tasks = append(m.Tasks, tasks[best.UserID])
		}
		m.Results = append(m.Results, &MassResult{ExternalUserID: ext, UserID: best.UserID})
	}
	return nil
}

// matchesTagFilter: every group of the filter must match (AND), by any of its tags (OR).
func (s *Sim) matchesTagFilter(r *Relation, tf *wecom.TagFilter) bool {
	for _, g := range tf.GroupList {
		if !slices.ContainsFunc(g.TagList, func(t string) bool { return slices.Contains(r.TagIDs, t) }) {
			return false
		}
	}
	return true
}

// planGroup resolves the groups of a group message: the listed ones, or all the sender owns.
func (s *Sim) planGroup(m *MassMessage, req *wecom.AddMsgTemplateRequest) error {
	if req.Sender == "" {
		return s.apiError(wecom.CodeInvalidParameter, "sender is required for chat_type group")
	}
	chats := req.ChatIDList
	if len(chats) == 0 {
		for _, id := range s.st.chatOrder {
			if g := s.st.chats[id]; g.Owner == req.Sender && !g.Dismissed {
				chats = append(chats, id)
			}
		}
	}
	for _, id := range uniq(chats) {
		g := s.st.chats[id]
		if g == nil || g.Dismissed || g.Owner != req.Sender {
			m.FailList = append(m.FailList, id)
			continue
		}
		m.Results = append(m.Results, &MassResult{ChatID: id, UserID: req.Sender})
	}
	if len(m.Results) > 0 {
		m.Tasks = []*MassTask{{UserID: req.Sender}}
	}
	return nil
}

func uniq(v []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range v {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// periodStart is the start of the receive-rule period containing t.
func periodStart(t time.Time, period string) time.Time {
	y, mo, d := t.Date()
	switch period {
	case "week":
		wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
		return time.Date(y, mo, d-wd, 0, 0, 0, 0, t.Location())
	case "month":
		return time.Date(y, mo, 1, 0, 0, 0, 0, t.Location())
	default:
		return time.Date(y, mo, d, 0, 0, 0, 0, t.Location())
	}
}

// canReceive applies the receive rule to a customer or group id; s.mu is held.
func (s *Sim) canReceive(id string, now time.Time) bool {
	lim := s.cfg.MassMessageLimit
	local := now.In(s.cfg.Location)
	start := periodStart(local, lim.Period)
	count := lim.Count
	if count <= 0 {
		count = time.Date(local.Year(), local.Month()+1, 0, 0, 0, 0, 0, s.cfg.Location).Day()
	}
	n := 0
	for _, t := range s.st.receipts[id] {
		if !t.Before(start) {
			n++
		}
	}
	return n < count
}

// ConfirmMassMessage is a member pressing "send" on a mass-message task in the client. Each
// recipient gets status 1 (sent), 2 (no longer a friend) or 3 (already received its quota of
// mass messages in the period).
func (s *Sim) ConfirmMassMessage(msgID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.massMsgs[msgID]
	if m == nil {
		return fmt.Errorf("%w: mass message %q", ErrNotFound, msgID)
	}
	if m.Cancelled {
		return fmt.Errorf("%w: mass message %q was cancelled (41093)", ErrConflict, msgID)
	}
	i := slices.IndexFunc(m.Tasks, func(t *MassTask) bool { return t.UserID == userID })
	if i < 0 {
		return fmt.Errorf("%w: %q has no task in %q", ErrNotFound, userID, msgID)
	}
	task := m.Tasks[i]
	if task.Status == wecom.TaskStatusSent {
		return fmt.Errorf("%w: %q already sent %q", ErrConflict, userID, msgID)
	}
	now := s.now()
	task.Status, task.SendTime = wecom.TaskStatusSent, now.Unix()
	for _, r := range m.Results {
		if r.UserID != userID {
			continue
		}
		id := r.ExternalUserID
		alive := false
		if id != "" {
			rel := s.st.rel(userID, id)
			alive = rel != nil && rel.Status == RelActive
		} else {
			id = r.ChatID
			g := s.st.chats[id]
			alive = g != nil && !g.Dismissed
		}
		switch {
		case !alive:
			r.Status = wecom.SendStatusNotFriend
		case !s.canReceive(id, now):
			r.Status = wecom.SendStatusLimitRecv
		default:
			r.Status, r.SendTime = wecom.SendStatusSent, now.Unix()
			s.st.receipts[id] = append(s.st.receipts[id], now)
		}
	}
	return nil
}

func (s *Sim) massMessage(msgID string) (*MassMessage, error) {
	if msgID == "" {
		return nil, s.apiError(wecom.CodeMissingMsgID, "msgid missing")
	}
	m := s.st.massMsgs[msgID]
	if m == nil {
		return nil, s.apiError(wecom.CodeInvalidMsgID, "invalid msgid")
	}
	return m, nil
}

func (s *Sim) apiGroupMsgList(c *apiCall) (any, error) {
	var req wecom.GetGroupMsgListV2Request
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if req.ChatType != wecom.ChatTypeSingle && req.ChatType != wecom.ChatTypeGroup {
		return nil, s.apiError(wecom.CodeInvalidParameter, "chat_type is single or group")
	}
	if req.StartTime == 0 || req.EndTime < req.StartTime || req.EndTime-req.StartTime > 31*86400 {
		return nil, s.apiError(wecom.CodeInvalidParameter, "start_time and end_time must span at most one month")
	}
	var all []wecom.GroupMsg
	for _, id := range s.st.mmOrder {
		m := s.st.massMsgs[id]
		if m.ChatType != req.ChatType || m.CreateTime < req.StartTime || m.CreateTime > req.EndTime {
			continue
		}
		// Every message made through the API is a corp message (create_type 0).
		if req.FilterType == wecom.FilterTypePersonal {
			continue
		}
		if req.Creator != "" && m.Sender != req.Creator {
			continue
		}
		all = append(all, wecom.GroupMsg{MsgID: m.MsgID, Creator: m.Sender, CreateTime: wecom.FlexInt64(m.CreateTime),
			CreateType: wecom.CreateTypeCorp, Text: m.Text, Attachments: m.Attachments})
	}
	start, end, next, err := s.page(req.Cursor, req.Limit, 50, 100, len(all))
	if err != nil {
		return nil, err
	}
	return wecom.GetGroupMsgListV2Response{NextCursor: next, GroupMsgList: nonNil(all[start:end])}, nil
}

func (s *Sim) apiGroupMsgTask(c *apiCall) (any, error) {
	var req wecom.GetGroupMsgTaskRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	m, err := s.massMessage(req.MsgID)
	if err != nil {
		return nil, err
	}
	start, end, next, err := s.page(req.Cursor, req.Limit, 500, 1000, len(m.Tasks))
	if err != nil {
		return nil, err
	}
	out := make([]wecom.GroupMsgTask, 0, end-start)
	for _, t := range m.Tasks[start:end] {
		out = append(out, wecom.GroupMsgTask{UserID: t.UserID, Status: t.Status, SendTime: wecom.FlexInt64(t.SendTime)})
	}
	return wecom.GetGroupMsgTaskResponse{NextCursor: next, TaskList: out}, nil
}

func (s *Sim) apiGroupMsgSendResult(c *apiCall) (any, error) {
	var req wecom.GetGroupMsgSendResultRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	m, err := s.massMessage(req.MsgID)
	if err != nil {
		return nil, err
	}
	if req.UserID == "" {
		return nil, s.apiError(wecom.CodeMissingUserID, "userid missing")
	}
	var mine []*MassResult
	for _, r := range m.Results {
		if r.UserID == req.UserID {
			mine = append(mine, r)
		}
	}
	start, end, next, err := s.page(req.Cursor, req.Limit, 500, 1000, len(mine))
	if err != nil {
		return nil, err
	}
	out := make([]wecom.GroupMsgSendResult, 0, end-start)
	for _, r := range mine[start:end] {
		out = append(out, wecom.GroupMsgSendResult{ExternalUserID: r.ExternalUserID, ChatID: r.ChatID, UserID: r.UserID,
			Status: r.Status, SendTime: wecom.FlexInt64(r.SendTime)})
	}
	return wecom.GetGroupMsgSendResultResponse{NextCursor: next, SendList: out}, nil
}

type msgIDReq struct {
	MsgID string `json:"msgid"`
}

// apiRemindGroupMsg allows three reminders per message in 24 hours (41094 beyond).
func (s *Sim) apiRemindGroupMsg(c *apiCall) (any, error) {
	var req msgIDReq
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	m, err := s.massMessage(req.MsgID)
	if err != nil {
		return nil, err
	}
	if m.Cancelled {
		return nil, s.apiError(wecom.CodeMassMsgCancelled, "mass message cancelled")
	}
	now := s.now().Unix()
	n := 0
	for _, t := range m.Reminders {
		if now-t < 86400 {
			n++
		}
	}
	if n >= maxRemindsPerDay {
		return nil, s.apiError(wecom.CodeRemindTooFrequent, "remind too frequent: 3 times per 24 hours")
	}
	m.Reminders = append(m.Reminders, now)
	return nil, nil
}

func (s *Sim) apiCancelGroupMsg(c *apiCall) (any, error) {
	var req msgIDReq
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	m, err := s.massMessage(req.MsgID)
	if err != nil {
		return nil, err
	}
	m.Cancelled = true
	return nil, nil
}
