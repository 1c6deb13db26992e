package wecomsim

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// The control API's HTTP handlers: thin wrappers around the Go methods (see controlRoutes).

type pairReq struct {
	UserID         string `json:"userid"`
	ExternalUserID string `json:"external_userid"`
}

func (s *Sim) ctlAddDepartment(w http.ResponseWriter, r *http.Request) {
	ctl(func(in Department) (any, error) { return s.AddDepartment(in) })(w, r)
}

func (s *Sim) ctlAddStaff(w http.ResponseWriter, r *http.Request) {
	ctl(func(in StaffInput) (any, error) { return s.AddStaff(in) })(w, r)
}

func (s *Sim) ctlResignStaff(w http.ResponseWriter, r *http.Request) {
	ctl(func(in pairReq) (any, error) { return nil, s.ResignStaff(in.UserID) })(w, r)
}

func (s *Sim) ctlAddCustomer(w http.ResponseWriter, r *http.Request) {
	ctl(func(in CustomerInput) (any, error) { return s.AddCustomer(in) })(w, r)
}

func (s *Sim) ctlScan(w http.ResponseWriter, r *http.Request) {
	ctl(func(in struct {
		ExternalUserID string `json:"external_userid"`
		ConfigID       string `json:"config_id"`
	}) (any, error) {
		return s.Scan(in.ExternalUserID, in.ConfigID)
	})(w, r)
}

func (s *Sim) ctlAccept(w http.ResponseWriter, r *http.Request) {
	ctl(func(in pairReq) (any, error) { return s.Accept(in.UserID, in.ExternalUserID) })(w, r)
}

func (s *Sim) ctlCustomerDeletesStaff(w http.ResponseWriter, r *http.Request) {
	ctl(func(in pairReq) (any, error) { return nil, s.CustomerDeletesStaff(in.ExternalUserID, in.UserID) })(w, r)
}

func (s *Sim) ctlStaffDeletesCustomer(w http.ResponseWriter, r *http.Request) {
	ctl(func(in pairReq) (any, error) { return nil, s.StaffDeletesCustomer(in.UserID, in.ExternalUserID) })(w, r)
}

func (s *Sim) ctlStaffEditsCustomer(w http.ResponseWriter, r *http.Request) {
	ctl(func(in EditInput) (any, error) { return nil, s.StaffEditsCustomer(in) })(w, r)
}

func (s *Sim) ctlAdminCreateTag(w http.ResponseWriter, r *http.Request) {
	ctl(func(in TagInput) (any, error) { return s.AdminCreateTag(in) })(w, r)
}

type idNameReq struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (s *Sim) ctlAdminEditTag(w http.ResponseWriter, r *http.Request) {
	ctl(func(in idNameReq) (any, error) { return nil, s.AdminEditTag(in.ID, in.Name) })(w, r)
}

func (s *Sim) ctlAdminDeleteTag(w http.ResponseWriter, r *http.Request) {
	ctl(func(in idNameReq) (any, error) { return nil, s.AdminDeleteTag(in.ID) })(w, r)
}

func (s *Sim) ctlCreateGroup(w http.ResponseWriter, r *http.Request) {
	ctl(func(in GroupInput) (any, error) { return s.CreateGroupChat(in) })(w, r)
}

func (s *Sim) ctlJoinGroup(w http.ResponseWriter, r *http.Request) {
	ctl(func(in JoinInput) (any, error) {
		id, err := s.JoinGroup(in)
		if err != nil {
			return nil, err
		}
		return map[string]string{"chat_id": id}, nil
	})(w, r)
}

func (s *Sim) ctlLeaveGroup(w http.ResponseWriter, r *http.Request) {
	ctl(func(in struct {
		ExternalUserID string `json:"external_userid"`
		ChatID         string `json:"chat_id"`
		Removed        bool   `json:"removed"`
	}) (any, error) {
		return nil, s.LeaveGroup(in.ExternalUserID, in.ChatID, in.Removed)
	})(w, r)
}

func (s *Sim) ctlDismissGroup(w http.ResponseWriter, r *http.Request) {
	ctl(func(in struct {
		ChatID string `json:"chat_id"`
	}) (any, error) {
		return nil, s.DismissGroup(in.ChatID)
	})(w, r)
}

func (s *Sim) ctlConfirmMassMessage(w http.ResponseWriter, r *http.Request) {
	ctl(func(in struct {
		MsgID  string `json:"msgid"`
		UserID string `json:"userid"`
	}) (any, error) {
		return nil, s.ConfirmMassMessage(in.MsgID, in.UserID)
	})(w, r)
}

func (s *Sim) ctlPublishMoment(w http.ResponseWriter, r *http.Request) {
	ctl(func(in struct {
		MomentID string `json:"moment_id"`
		UserID   string `json:"userid"`
	}) (any, error) {
		return nil, s.PublishMoment(in.MomentID, in.UserID)
	})(w, r)
}

func (s *Sim) ctlRespondTransfer(w http.ResponseWriter, r *http.Request) {
	ctl(func(in struct {
		ExternalUserID string `json:"external_userid"`
		TakeoverUserID string `json:"takeover_userid"`
		Accept         bool   `json:"accept"`
	}) (any, error) {
		return nil, s.RespondTransfer(in.ExternalUserID, in.TakeoverUserID, in.Accept)
	})(w, r)
}

func (s *Sim) ctlClickLink(w http.ResponseWriter, r *http.Request) {
	ctl(func(in struct {
		LinkID          string `json:"link_id"`
		ExternalUserID  string `json:"external_userid"`
		CustomerChannel string `json:"customer_channel"`
	}) (any, error) {
		return s.ClickAcquisitionLink(in.LinkID, in.ExternalUserID, in.CustomerChannel)
	})(w, r)
}

func (s *Sim) ctlSetCallback(w http.ResponseWriter, r *http.Request) {
	ctl(func(in struct {
		CallbackConfig
		Verify bool `json:"verify"`
	}) (any, error) {
		return nil, s.SetCallback(r.Context(), in.CallbackConfig, in.Verify)
	})(w, r)
}

func (s *Sim) ctlExpireTokens(w http.ResponseWriter, r *http.Request) {
	s.ExpireTokens()
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Sim) ctlAdvance(w http.ResponseWriter, r *http.Request) {
	ctl(func(in struct {
		Seconds int64 `json:"seconds"`
	}) (any, error) {
		if in.Seconds <= 0 {
			return nil, fmt.Errorf("%w: seconds must be positive", ErrInvalid)
		}
		s.Advance(time.Duration(in.Seconds) * time.Second)
		return map[string]int64{"now": s.Now().Unix()}, nil
	})(w, r)
}

func (s *Sim) ctlFault(w http.ResponseWriter, r *http.Request) {
	ctl(func(in fault) (any, error) {
		if in.Path == "" || in.ErrCode == 0 {
			return nil, fmt.Errorf("%w: path and errcode required", ErrInvalid)
		}
		if in.Count <= 0 {
			in.Count = 1
		}
		s.InjectFault(in.Path, in.ErrCode, in.Count)
		return nil, nil
	})(w, r)
}

// JSAPIVerifyInput is what a WeCom client checks when a page calls wx.agentConfig.
type JSAPIVerifyInput struct {
	App       string `json:"app"` // app name; default the first app
	URL       string `json:"url"`
	NonceStr  string `json:"noncestr"`
	Timestamp int64  `json:"timestamp"`
	Signature string `json:"signature"`
}

// VerifyJSAPI checks a JS-SDK agentConfig signature against the app's current ticket: the
// check the WeCom client performs before a sidebar page may call getCurExternalContact.
func (s *Sim) VerifyJSAPI(in JSAPIVerifyInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := in.App
	if name == "" {
		name = s.cfg.Apps[0].Name
	}
	t := s.st.tickets[name]
	if t == nil || !s.now().Before(t.expiresAt) {
		return s.apiError(wecom.CodeJSAPITicketUnavailable, "no valid agent_config ticket for app "+name)
	}
	if wecom.JSAPISignature(t.value, in.NonceStr, in.Timestamp, in.URL) != in.Signature {
		return s.apiError(wecom.CodeInvalidJSAPISignature, "invalid signature")
	}
	return nil
}

func (s *Sim) ctlVerifyJSAPI(w http.ResponseWriter, r *http.Request) {
	ctl(func(in JSAPIVerifyInput) (any, error) { return nil, s.VerifyJSAPI(in) })(w, r)
}

func (s *Sim) ctlState(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.settleTransfers()
	b, err := s.snapshotJSON()
	s.mu.Unlock()
	if err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(b)
}

func (s *Sim) ctlWelcomeMessages(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"welcome_messages": nonNil(s.WelcomeMessages())})
}

// ctlEvents lists emitted events; ?since=ID returns only later ones.
func (s *Sim) ctlEvents(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	var out []EventRecord
	for _, e := range s.Events() {
		if e.ID > since {
			out = append(out, e)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": nonNil(out)})
}

// ctlQRCode serves a placeholder image for QR-code URLs (contact ways, join ways, members,
// avatars): a deterministic 9×9 pattern scaled up, so a page that shows it has something to
// show. It is not a scannable QR code.
func (s *Sim) ctlQRCode(w http.ResponseWriter, r *http.Request) {
	sum := sha256.Sum256([]byte(r.PathValue("kind") + "/" + r.PathValue("id")))
	const cells, scale = 9, 16
	img := image.NewGray(image.Rect(0, 0, cells*scale, cells*scale))
	for y := 0; y < cells*scale; y++ {
		for x := 0; x < cells*scale; x++ {
			bit := (y/scale)*cells + x/scale
			c := color.Gray{Y: 255}
			if sum[bit/8%32]>>(bit%8)&1 == 1 {
				c.Y = 0
			}
			img.SetGray(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(buf.Bytes())
}

func (s *Sim) ctlMedia(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m := s.st.media[r.PathValue("id")]
	var data []byte
	if m != nil {
		data = m.data
	}
	s.mu.Unlock()
	if m == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", http.DetectContentType(data))
	w.Write(data)
}

func (s *Sim) ctlLinkLanding(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	l := s.st.links[r.PathValue("id")]
	var name string
	if l != nil {
		name = l.Link.LinkName
	}
	s.mu.Unlock()
	if l == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "wecomsim acquisition link %q (%s). A customer opening it is simulated with POST /sim/acquisition/click.\n",
		name, r.PathValue("id"))
}
