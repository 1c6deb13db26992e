package wecomsim

import (
	"net/http"
	"slices"
	"strings"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// AppMessage is one accepted message/send call (应用消息, document 90236): who it reached, who
// was invalid, and what it said.
type AppMessage struct {
	MsgID       string     `json:"msgid"`
	AgentID     int64      `json:"agentid"`
	ToUser      []string   `json:"touser"`
	InvalidUser []string   `json:"invaliduser,omitempty"`
	MsgType     string     `json:"msgtype"`
	Text        wecom.Text `json:"text"`
	SentAt      int64      `json:"sent_at"`
}

// apiSendMessage is POST message/send. The documented rules it enforces: the token must be the
// token of the app named by agentid (40056 otherwise; 41011 when missing); touser holds at most
// 1000 userids joined by "|" ("@all" = the app's visible members); only text is simulated
// (40008 for other types), with content required (44004) and at most 2048 bytes (45002).
// Recipients that do not exist, have left, or are outside the app's visible range are returned
// in invaliduser; when no recipient is valid the answer is 81013. toparty and totag are not
// simulated (the simulated corp has no tags on members): they count as invalid.
func (s *Sim) apiSendMessage(c *apiCall) (any, error) {
	var req wecom.SendMessageRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	switch {
	case req.AgentID == 0:
		return nil, s.apiError(wecom.CodeMissingAgentID, "agentid missing")
	case req.AgentID != c.app.AgentID:
		return nil, s.apiError(wecom.CodeInvalidAgentID, "invalid agentid")
	case req.MsgType != "text":
		return nil, s.apiError(40008, "invalid message type")
	case req.Text == nil || strings.TrimSpace(req.Text.Content) == "":
		return nil, s.apiError(wecom.CodeEmptyContent, "empty content")
	case len(req.Text.Content) > wecom.MaxTextMessageBytes:
		return nil, s.apiError(wecom.CodeContentTooLarge, "content size out of limit")
	}
	var ids []string
	if req.ToUser == "@all" {
		for _, id := range s.st.userOrder {
			if s.st.activeUser(id) != nil && visibleTo(c.app, id) {
				ids = append(ids, id)
			}
		}
	} else if req.ToUser != "" {
		ids = strings.Split(req.ToUser, "|")
		if len(ids) > wecom.MaxMessageRecipients {
			return nil, s.apiError(wecom.CodeInvalidParameter, "touser exceeds 1000 userids")
		}
	}
	var valid, invalid []string
	for _, id := range ids {
		switch {
		case id == "" || slices.Contains(valid, id) || slices.Contains(invalid, id):
		case s.st.activeUser(id) != nil && visibleTo(c.app, id):
			valid = append(valid, id)
		default:
			invalid = append(invalid, id)
		}
	}
	if len(valid) == 0 {
		return nil, s.apiError(wecom.CodeAllRecipientsInvalid, "all touser, toparty and totag invalid")
	}
	m := &AppMessage{MsgID: s.newID("", 32, b64url), AgentID: req.AgentID, ToUser: valid, InvalidUser: invalid,
		MsgType: req.MsgType, Text: *req.Text, SentAt: s.now().Unix()}
	s.st.appMsgs = append(s.st.appMsgs, m)
	out := map[string]any{"msgid": m.MsgID}
	if len(invalid) > 0 {
		out["invaliduser"] = strings.Join(invalid, "|")
	}
	if req.ToParty != "" {
		out["invalidparty"] = req.ToParty
	}
	if req.ToTag != "" {
		out["invalidtag"] = req.ToTag
	}
	return out, nil
}

// AppMessages returns every accepted message/send call so far.
func (s *Sim) AppMessages() []AppMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AppMessage, len(s.st.appMsgs))
	for i, m := range s.st.appMsgs {
		out[i] = *m
		out[i].ToUser = slices.Clone(m.ToUser)
		out[i].InvalidUser = slices.Clone(m.InvalidUser)
	}
	return out
}

func (s *Sim) ctlAppMessages(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"app_messages": nonNil(s.AppMessages())})
}
