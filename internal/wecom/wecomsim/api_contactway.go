package wecomsim

import (
	"encoding/json"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Contact-way caps: members of one way, departments expanded (41041), and ways a corp may create
// through the API (41045).
const (
	contactWayMaxUsers = 100
	contactWayMaxCount = 500000
)

// checkContactWay validates a contact way's type, scene, state and members; s.mu is held.
func (s *Sim) checkContactWay(c *apiCall, cw *wecom.ContactWay) error {
	switch {
	case cw.Type == 0:
		return s.apiError(wecom.CodeMissingContactWayType, "missing type")
	case cw.Type != wecom.ContactWaySingle && cw.Type != wecom.ContactWayMulti:
		return s.apiError(wecom.CodeInvalidContactWayType, "invalid type")
	case cw.Scene == 0:
		return s.apiError(wecom.CodeMissingContactWayScene, "missing scene")
	case cw.Scene != wecom.SceneMiniProgram && cw.Scene != wecom.SceneQRCode:
		return s.apiError(wecom.CodeInvalidContactWayScene, "invalid scene")
	case cw.Style < 0:
		return s.apiError(wecom.CodeInvalidContactWayStyle, "invalid style")
	case utf8.RuneCountInString(cw.State) > wecom.MaxStateLen:
		return s.apiError(wecom.CodeInvalidParameter, "state exceeds 30 characters")
	case utf8.RuneCountInString(cw.Remark) > 30:
		return s.apiError(wecom.CodeInvalidParameter, "remark exceeds 30 characters")
	case cw.Type == wecom.ContactWaySingle && (len(cw.User) != 1 || len(cw.Party) != 0):
		return s.apiError(wecom.CodeInvalidParameter, "type 1 takes exactly one user and no party")
	case len(cw.User) == 0 && len(cw.Party) == 0:
		return s.apiError(wecom.CodeInvalidParameter, "user and party cannot both be empty")
	}
	for _, id := range cw.User {
		u, err := s.requireUser(c, id)
		if err != nil {
			return err
		}
		if !u.CustomerContact {
			return s.apiError(84074, "user has no customer-contact permission: "+id)
		}
	}
	for _, id := range cw.Party {
		if s.st.depts[id] == nil {
			return s.apiError(wecom.CodeInvalidDepartmentList, "invalid party")
		}
	}
	if n := len(s.members(cw.User, cw.Party)); n > contactWayMaxUsers {
		return s.apiError(wecom.CodeContactWayUserLimit, "too many users in contact way")
	}
	if cw.IsTemp {
		if cw.Type != wecom.ContactWaySingle {
			return s.apiError(wecom.CodeInvalidParameter, "temporary contact ways are single-person only")
		}
		if cw.ExpiresIn == 0 {
			cw.ExpiresIn = 7 * 86400
		}
		if cw.ChatExpiresIn == 0 {
			cw.ChatExpiresIn = 86400
		}
		if cw.ExpiresIn > 14*86400 || cw.ChatExpiresIn > 14*86400 || cw.ExpiresIn < 0 || cw.ChatExpiresIn < 0 {
			return s.apiError(wecom.CodeInvalidParameter, "expires_in and chat_expires_in are at most 14 days")
		}
	}
	return nil
}

// members lists the active customer-contact members of users and parties, de-duplicated.
func (s *Sim) members(users []string, parties []int64) []string {
	var out []string
	for _, id := range append(slices.Clone(users), s.st.deptMembers(parties)...) {
		if u := s.st.activeUser(id); u != nil && u.CustomerContact && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (s *Sim) apiAddContactWay(c *apiCall) (any, error) {
	var req wecom.AddContactWayRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	// skip_verify defaults to true when absent.
	var present struct {
		SkipVerify *bool `json:"skip_verify"`
	}
	if json.Unmarshal(c.body, &present) == nil && present.SkipVerify == nil {
		req.SkipVerify = true
	}
	if len(s.st.contactWays) >= contactWayMaxCount {
		return nil, s.apiError(wecom.CodeContactWayCountLimit, "contact way count exceeds 500000")
	}
	cw := wecom.ContactWay{
		Type: req.Type, Scene: req.Scene, Style: req.Style, Remark: req.Remark, SkipVerify: req.SkipVerify,
		State: req.State, User: req.User, Party: req.Party, IsTemp: req.IsTemp, ExpiresIn: req.ExpiresIn,
		ChatExpiresIn: req.ChatExpiresIn, UnionID: req.UnionID, IsExclusive: req.IsExclusive, Conclusions: req.Conclusions,
	}
	if err := s.checkContactWay(c, &cw); err != nil {
		return nil, err
	}
	cw.ConfigID = s.newID("", 32, hexset)
	if cw.Scene == wecom.SceneQRCode {
		cw.QRCode = s.cfg.BaseURL + "/sim/qr/contact_way/" + cw.ConfigID
	}
	now := s.now().Unix()
	way := &ContactWay{ContactWay: cw, CreateTime: now}
	if cw.IsTemp {
		way.ExpiresAt = now + cw.ExpiresIn
	}
	s.st.contactWays[cw.ConfigID] = way
	s.st.cwOrder = append(s.st.cwOrder, cw.ConfigID)
	return wecom.AddContactWayResponse{ConfigID: cw.ConfigID, QRCode: cw.QRCode}, nil
}

type configIDReq struct {
	ConfigID string `json:"config_id"`
}

func (s *Sim) contactWay(c *apiCall) (*ContactWay, error) {
	var req configIDReq
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if req.ConfigID == "" {
		return nil, s.apiError(wecom.CodeMissingConfigID, "missing config_id")
	}
	w := s.st.contactWays[req.ConfigID]
	if w == nil {
		return nil, s.apiError(wecom.CodeInvalidConfigID, "invalid config_id")
	}
	return w, nil
}

func (s *Sim) apiGetContactWay(c *apiCall) (any, error) {
	w, err := s.contactWay(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"contact_way": w.ContactWay}, nil
}

func (s *Sim) apiListContactWay(c *apiCall) (any, error) {
	var req wecom.ListContactWayRequest
	if len(c.body) > 0 {
		if err := s.decode(c, &req); err != nil {
			return nil, err
		}
	}
	now := s.now().Unix()
	if req.EndTime == 0 {
		req.EndTime = now
	}
	if req.StartTime == 0 {
		req.StartTime = req.EndTime - 90*86400
	}
	if req.EndTime < req.StartTime || req.EndTime-req.StartTime > 90*86400 {
		return nil, s.apiError(wecom.CodeInvalidParameter, "time range must be within 90 days")
	}
	var ids []map[string]string
	for _, id := range s.st.cwOrder {
		w := s.st.contactWays[id]
		if w.CreateTime >= req.StartTime && w.CreateTime <= req.EndTime {
			ids = append(ids, map[string]string{"config_id": id})
		}
	}
	start, end, next, err := s.page(req.Cursor, req.Limit, 100, 1000, len(ids))
	if err != nil {
		return nil, err
	}
	return map[string]any{"contact_way": nonNil(ids[start:end]), "next_cursor": next}, nil
}

func (s *Sim) apiUpdateContactWay(c *apiCall) (any, error) {
	var req wecom.UpdateContactWayRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if req.ConfigID == "" {
		return nil, s.apiError(wecom.CodeMissingConfigID, "missing config_id")
	}
	w := s.st.contactWays[req.ConfigID]
	if w == nil {
		return nil, s.apiError(wecom.CodeInvalidConfigID, "invalid config_id")
	}
	cw := w.ContactWay
	if req.Remark != nil {
		cw.Remark = *req.Remark
	}
	if req.SkipVerify != nil {
		cw.SkipVerify = *req.SkipVerify
	}
	if req.Style != 0 {
		cw.Style = req.Style
	}
	if req.State != nil {
		cw.State = *req.State
	}
	if req.User != nil || req.Party != nil {
		cw.User, cw.Party = req.User, req.Party
	}
	if req.ExpiresIn != 0 {
		cw.ExpiresIn = req.ExpiresIn
	}
	if req.ChatExpiresIn != 0 {
		cw.ChatExpiresIn = req.ChatExpiresIn
	}
	if req.UnionID != "" {
		cw.UnionID = req.UnionID
	}
	if req.Conclusions != nil {
		cw.Conclusions = req.Conclusions
	}
	if err := s.checkContactWay(c, &cw); err != nil {
		return nil, err
	}
	w.ContactWay = cw
	if cw.IsTemp && req.ExpiresIn != 0 {
		w.ExpiresAt = s.now().Unix() + cw.ExpiresIn
	}
	return nil, nil
}

func (s *Sim) apiDelContactWay(c *apiCall) (any, error) {
	w, err := s.contactWay(c)
	if err != nil {
		return nil, err
	}
	delete(s.st.contactWays, w.ConfigID)
	s.st.cwOrder = slices.DeleteFunc(s.st.cwOrder, func(x string) bool { return x == w.ConfigID })
	return nil, nil
}

// apiSendWelcomeMsg enforces the welcome code's rules: it exists, is at most WelcomeCodeTTL old
// and has not been used (41050 otherwise); every call is recorded for GET
// /sim/welcome-messages.
func (s *Sim) apiSendWelcomeMsg(c *apiCall) (any, error) {
	var req wecom.SendWelcomeMsgRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	now := s.now()
	rec := &WelcomeMessage{WelcomeCode: req.WelcomeCode, SentAt: now.Unix(), Text: req.Text, Attachments: req.Attachments}
	s.st.welcomeMsgs = append(s.st.welcomeMsgs, rec)
	err := s.sendWelcome(&req, rec, now)
	if err != nil {
		ae := err.(*wecom.APIError)
		rec.ErrCode, rec.ErrMsg = ae.Code, ae.Msg
		return nil, err
	}
	return nil, nil
}

func (s *Sim) sendWelcome(req *wecom.SendWelcomeMsgRequest, rec *WelcomeMessage, now time.Time) error {
	if req.WelcomeCode == "" {
		return s.apiError(wecom.CodeMissingWelcomeCode, "missing welcome_code")
	}
	wc := s.st.welcomeCodes[req.WelcomeCode]
	if wc == nil {
		return s.apiError(wecom.CodeInvalidWelcomeCode, "invalid welcome_code")
	}
	rec.UserID, rec.ExternalUserID, rec.CodeIssuedAt = wc.userID, wc.externalUserID, wc.issuedAt.Unix()
	if wc.used {
		return s.apiError(wecom.CodeInvalidWelcomeCode, "invalid welcome_code: already used")
	}
	if now.Sub(wc.issuedAt) > s.cfg.WelcomeCodeTTL {
		return s.apiError(wecom.CodeInvalidWelcomeCode, "invalid welcome_code: expired (valid 20 seconds)")
	}
	if (req.Text == nil || req.Text.Content == "") && len(req.Attachments) == 0 {
		return s.apiError(wecom.CodeEmptyContent, "text and attachments cannot both be empty")
	}
	if req.Text != nil && len(req.Text.Content) > 4000 {
		return s.apiError(wecom.CodeContentTooLarge, "text exceeds 4000 bytes")
	}
	if err := s.checkAttachments(req.Attachments); err != nil {
		return err
	}
	wc.used = true
	if r := s.st.rel(wc.userID, wc.externalUserID); r != nil {
		r.WelcomeCodeUsed = true
	}
	return nil
}
