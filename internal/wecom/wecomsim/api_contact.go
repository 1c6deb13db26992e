package wecomsim

import (
	"bytes"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// apiGetToken: a valid token is returned again until it expires (WeCom: "有效期内重复获取返回相同
// 结果"); expires_in is its remaining lifetime.
func (s *Sim) apiGetToken(c *apiCall) (any, error) {
	corpID, secret := c.q.Get("corpid"), c.q.Get("corpsecret")
	switch {
	case corpID == "":
		return nil, s.apiError(wecom.CodeMissingCorpID, "corpid missing")
	case secret == "":
		return nil, s.apiError(wecom.CodeMissingSecret, "corpsecret missing")
	case corpID != s.cfg.CorpID:
		return nil, s.apiError(wecom.CodeInvalidCorpID, "invalid corpid")
	}
	var app *App
	for i := range s.cfg.Apps {
		if s.cfg.Apps[i].Secret == secret {
			app = &s.cfg.Apps[i]
		}
	}
	if app == nil {
		return nil, s.apiError(wecom.CodeInvalidSecret, "invalid credential, corpsecret is invalid")
	}
	t := s.currentToken(s.st.appTokens, app, 64)
	s.st.tokens[t.value] = t
	return map[string]any{"access_token": t.value, "expires_in": int64(t.expiresAt.Sub(s.now()) / time.Second)}, nil
}

// currentToken returns the app's unexpired token from m, or issues a new one; s.mu is held.
func (s *Sim) currentToken(m map[string]*token, app *App, n int) *token {
	if t := m[app.Name]; t != nil && s.now().Before(t.expiresAt) {
		return t
	}
	t := &token{value: s.newID("", n, b64url), app: app, expiresAt: s.now().Add(s.cfg.TokenTTL)}
	m[app.Name] = t
	return t
}

// ExpireTokens makes every access token and ticket expire now; the next call with one answers
// 42001 and gettoken issues a new one.
func (s *Sim) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, t := range s.st.tokens {
		t.expiresAt = now
	}
	for _, t := range s.st.tickets {
		t.expiresAt = now
	}
}

func (s *Sim) apiTicket(c *apiCall) (any, error) {
	if c.q.Get("type") != "agent_config" {
		return nil, s.apiError(wecom.CodeInvalidTicketType, "invalid ticket type")
	}
	t := s.currentToken(s.st.tickets, c.app, 86)
	return map[string]any{"ticket": t.value, "expires_in": int64(t.expiresAt.Sub(s.now()) / time.Second)}, nil
}

// visibleTo reports whether app may see member id.
func visibleTo(app *App, id string) bool {
	return len(app.VisibleUsers) == 0 || slices.Contains(app.VisibleUsers, id)
}

func (s *Sim) apiUserGet(c *apiCall) (any, error) {
	id := c.q.Get("userid")
	if id == "" {
		return nil, s.apiError(wecom.CodeMissingUserID, "userid missing")
	}
	u := s.st.activeUser(id)
	if u == nil {
		return nil, s.apiError(wecom.CodeUserIDNotFound, "userid not found")
	}
	if !visibleTo(c.app, id) {
		return nil, s.apiError(wecom.CodeNoPrivilege, "no privilege to access/modify contact/party/agent")
	}
	return s.wireUser(u), nil
}

func (s *Sim) wireUser(u *Staff) wecom.User {
	leader := make([]int, len(u.Department))
	return wecom.User{
		UserID: u.UserID, Name: u.Name, Department: u.Department, Position: u.Position, Mobile: u.Mobile,
		Gender: u.Gender, Email: u.Email, Avatar: u.Avatar, Alias: u.Alias, MainDepartment: u.MainDepartment,
		Status: u.Status, IsLeaderInDept: leader, OpenUserID: "",
		QRCode: s.cfg.BaseURL + "/sim/qr/user/" + u.UserID,
	}
}

func (s *Sim) apiUserListID(c *apiCall) (any, error) {
	var req wecom.ListUserIDsRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	var all []wecom.DeptUser
	for _, id := range s.st.userOrder {
		u := s.st.users[id]
		if u.Status != StaffActive || !visibleTo(c.app, id) {
			continue
		}
		for _, d := range u.Department {
			all = append(all, wecom.DeptUser{UserID: id, Department: d})
		}
	}
	start, end, next, err := s.page(req.Cursor, req.Limit, 10000, 10000, len(all))
	if err != nil {
		return nil, err
	}
	return wecom.ListUserIDsResponse{NextCursor: next, DeptUser: nonNil(all[start:end])}, nil
}

// subtree returns id and its descendants in id order (all departments when id is 0).
func (s *Sim) subtree(c *apiCall) ([]*dept, error) {
	var root int64
	if v := c.q.Get("id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, s.apiError(wecom.CodeInvalidDepartmentID, "invalid party id")
		}
		root = n
	}
	if root != 0 && s.st.depts[root] == nil {
		return nil, s.apiError(wecom.CodeInvalidDepartmentID, "invalid party id")
	}
	var ids []int64
	if root == 0 {
		for id := range s.st.depts {
			ids = append(ids, id)
		}
	} else {
		in := map[int64]bool{root: true}
		for changed := true; changed; {
			changed = false
			for id, d := range s.st.depts {
				if !in[id] && in[d.ParentID] {
					in[id], changed = true, true
				}
			}
		}
		for id := range in {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := make([]*dept, len(ids))
	for i, id := range ids {
		out[i] = s.st.depts[id]
	}
	return out, nil
}

func (s *Sim) apiDepartmentList(c *apiCall) (any, error) {
	ds, err := s.subtree(c)
	if err != nil {
		return nil, err
	}
	out := make([]wecom.Department, len(ds))
	for i, d := range ds {
		out[i] = wecom.Department{ID: d.ID, Name: d.Name, ParentID: d.ParentID, Order: d.Order, DepartmentLeader: []string{}}
	}
	return map[string]any{"department": out}, nil
}

func (s *Sim) apiDepartmentSimpleList(c *apiCall) (any, error) {
	ds, err := s.subtree(c)
	if err != nil {
		return nil, err
	}
	out := make([]wecom.DepartmentID, len(ds))
	for i, d := range ds {
		out[i] = wecom.DepartmentID{ID: d.ID, ParentID: d.ParentID, Order: d.Order}
	}
	return map[string]any{"department_id": out}, nil
}

// Upload limits (上传临时素材: image 10 MB jpg/png, voice 2 MB amr, video 10 MB mp4, file 20 MB;
// uploadimg 2 MB jpg/png).
var mediaLimits = map[string]int{
	wecom.MediaImage: 10 << 20,
	wecom.MediaVoice: 2 << 20,
	wecom.MediaVideo: 10 << 20,
	wecom.MediaFile:  20 << 20,
}

// readUpload extracts the "media" part of a multipart body.
func (s *Sim) readUpload(c *apiCall) (name string, data []byte, err error) {
	_, params, perr := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if perr != nil || params["boundary"] == "" {
		return "", nil, s.apiError(wecom.CodeEmptyMedia, "empty media data")
	}
	mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	form, ferr := mr.ReadForm(maxAPIBody)
	if ferr != nil {
		return "", nil, s.apiError(wecom.CodeEmptyMedia, "empty media data")
	}
	defer form.RemoveAll()
	files := form.File["media"]
	if len(files) == 0 || files[0].Size == 0 {
		return "", nil, s.apiError(wecom.CodeEmptyMedia, "empty media data")
	}
	fh, oerr := files[0].Open()
	if oerr != nil {
		return "", nil, s.apiError(wecom.CodeEmptyMedia, "empty media data")
	}
	defer fh.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(fh); err != nil {
		return "", nil, s.apiError(wecom.CodeEmptyMedia, "empty media data")
	}
	return files[0].Filename, buf.Bytes(), nil
}

func isImage(b []byte) bool {
	ct := http.DetectContentType(b)
	return ct == "image/jpeg" || ct == "image/png"
}

func (s *Sim) apiMediaUpload(c *apiCall) (any, error) {
	typ := c.q.Get("type")
	limit, ok := mediaLimits[typ]
	if !ok {
		return nil, s.apiError(wecom.CodeInvalidFileType, "invalid media type")
	}
	name, data, err := s.readUpload(c)
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, s.apiError(wecom.CodeMediaTooLarge, "media size out of limit")
	}
	if typ == wecom.MediaImage && !isImage(data) {
		return nil, s.apiError(wecom.CodeInvalidMediaType, "invalid media type: image must be jpg or png")
	}
	now := s.now()
	m := &Media{
		MediaID: s.newID("3", 63, b64url), Type: typ, Filename: name, Size: len(data), CreatedAt: now.Unix(),
		ExpiresAt: now.Add(wecom.MediaTTLDays * 24 * time.Hour).Unix(), data: data,
	}
	s.st.media[m.MediaID] = m
	// created_at is a string on the real server.
	return map[string]any{"type": typ, "media_id": m.MediaID, "created_at": strconv.FormatInt(m.CreatedAt, 10)}, nil
}

func (s *Sim) apiMediaUploadImg(c *apiCall) (any, error) {
	name, data, err := s.readUpload(c)
	if err != nil {
		return nil, err
	}
	if len(data) > 2<<20 {
		return nil, s.apiError(wecom.CodeMediaTooLarge, "image size out of limit")
	}
	if !isImage(data) {
		return nil, s.apiError(wecom.CodeInvalidMediaType, "invalid image type: jpg or png only")
	}
	m := &Media{MediaID: s.newID("img", 29, alnum), Type: "uploadimg", Filename: name, Size: len(data), CreatedAt: s.now().Unix(), data: data}
	m.URL = s.cfg.BaseURL + "/sim/media/" + m.MediaID
	s.st.media[m.MediaID] = m
	return map[string]any{"url": m.URL}, nil
}

// checkMedia validates media ids used in attachments: they must exist and be unexpired
// temporary media (40007 otherwise).
func (s *Sim) checkMedia(atts []wecom.Attachment) error {
	for _, a := range atts {
		for _, id := range a.MediaIDs() {
			m := s.st.media[id]
			if m == nil || m.ExpiresAt == 0 || s.now().Unix() >= m.ExpiresAt {
				return s.apiError(wecom.CodeInvalidMediaID, "invalid media_id "+id)
			}
		}
	}
	return nil
}

// checkAttachments validates count, types and media of attachments.
func (s *Sim) checkAttachments(atts []wecom.Attachment) error {
	if len(atts) > wecom.MaxAttachments {
		return s.apiError(wecom.CodeTooManyAttachments, "attachments count exceed limit 9")
	}
	for _, a := range atts {
		ok := false
		switch a.MsgType {
		case wecom.MsgTypeImage:
			ok = a.Image != nil && (a.Image.MediaID != "" || a.Image.PicURL != "")
		case wecom.MsgTypeLink:
			ok = a.Link != nil && a.Link.Title != "" && a.Link.URL != ""
		case wecom.MsgTypeMiniProgram:
			ok = a.MiniProgram != nil && a.MiniProgram.AppID != "" && a.MiniProgram.PicMediaID != ""
		case wecom.MsgTypeVideo:
			ok = a.Video != nil && a.Video.MediaID != ""
		case wecom.MsgTypeFile:
			ok = a.File != nil && a.File.MediaID != ""
		}
		if !ok {
			return s.apiError(wecom.CodeInvalidAttachmentType, "invalid attachment type or content: "+a.MsgType)
		}
	}
	return s.checkMedia(atts)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
