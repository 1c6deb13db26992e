package wecomsim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// apiRoutes is every WeCom endpoint the simulator serves, with the scope it needs. Reading this
// table tells you the simulated API surface.
func (s *Sim) apiRoutes() []apiRoute {
	const get, post = http.MethodGet, http.MethodPost
	const c, x, m, j, g = ScopeContact, ScopeExternalContact, ScopeMedia, ScopeJSAPI, ScopeMessage
	return []apiRoute{
		{get, "gettoken", "", s.apiGetToken},
		{get, "ticket/get", j, s.apiTicket},
		{get, "user/get", c, s.apiUserGet},
		{post, "user/list_id", c, s.apiUserListID},
		{get, "department/list", c, s.apiDepartmentList},
		{get, "department/simplelist", c, s.apiDepartmentSimpleList},
		{post, "media/upload", m, s.apiMediaUpload},
		{post, "media/uploadimg", m, s.apiMediaUploadImg},
		{post, "message/send", g, s.apiSendMessage},

		{get, "externalcontact/get_follow_user_list", x, s.apiFollowUserList},
		{get, "externalcontact/list", x, s.apiExternalList},
		{get, "externalcontact/get", x, s.apiExternalGet},
		{post, "externalcontact/batch/get_by_user", x, s.apiBatchGetByUser},
		{post, "externalcontact/remark", x, s.apiRemark},

		{post, "externalcontact/get_corp_tag_list", x, s.apiGetCorpTagList},
		{post, "externalcontact/add_corp_tag", x, s.apiAddCorpTag},
		{post, "externalcontact/edit_corp_tag", x, s.apiEditCorpTag},
		{post, "externalcontact/del_corp_tag", x, s.apiDelCorpTag},
		{post, "externalcontact/mark_tag", x, s.apiMarkTag},

		{post, "externalcontact/add_contact_way", x, s.apiAddContactWay},
		{post, "externalcontact/get_contact_way", x, s.apiGetContactWay},
		{post, "externalcontact/list_contact_way", x, s.apiListContactWay},
		{post, "externalcontact/update_contact_way", x, s.apiUpdateContactWay},
		{post, "externalcontact/del_contact_way", x, s.apiDelContactWay},
		{post, "externalcontact/send_welcome_msg", x, s.apiSendWelcomeMsg},

		{post, "externalcontact/groupchat/list", x, s.apiGroupChatList},
		{post, "externalcontact/groupchat/get", x, s.apiGroupChatGet},
		{post, "externalcontact/groupchat/add_join_way", x, s.apiAddJoinWay},
		{post, "externalcontact/groupchat/get_join_way", x, s.apiGetJoinWay},
		{post, "externalcontact/groupchat/update_join_way", x, s.apiUpdateJoinWay},
		{post, "externalcontact/groupchat/del_join_way", x, s.apiDelJoinWay},

		{post, "externalcontact/add_msg_template", x, s.apiAddMsgTemplate},
		{post, "externalcontact/get_groupmsg_list_v2", x, s.apiGroupMsgList},
		{post, "externalcontact/get_groupmsg_task", x, s.apiGroupMsgTask},
		{post, "externalcontact/get_groupmsg_send_result", x, s.apiGroupMsgSendResult},
		{post, "externalcontact/remind_groupmsg_send", x, s.apiRemindGroupMsg},
		{post, "externalcontact/cancel_groupmsg_send", x, s.apiCancelGroupMsg},

		{post, "externalcontact/add_moment_task", x, s.apiAddMomentTask},
		{get, "externalcontact/get_moment_task_result", x, s.apiMomentTaskResult},
		{post, "externalcontact/get_moment_list", x, s.apiMomentList},
		{post, "externalcontact/get_moment_task", x, s.apiMomentTask},

		{post, "externalcontact/transfer_customer", x, s.apiTransferCustomer},
		{post, "externalcontact/transfer_result", x, s.apiTransferResult},
		{post, "externalcontact/resigned/transfer_customer", x, s.apiResignedTransferCustomer},
		{post, "externalcontact/resigned/transfer_result", x, s.apiResignedTransferResult},
		{post, "externalcontact/get_unassigned_list", x, s.apiUnassignedList},

		{post, "externalcontact/customer_acquisition/create_link", x, s.apiCreateLink},
		{post, "externalcontact/customer_acquisition/list_link", x, s.apiListLinks},
		{post, "externalcontact/customer_acquisition/get", x, s.apiGetLink},
		{post, "externalcontact/customer_acquisition/update_link", x, s.apiUpdateLink},
		{post, "externalcontact/customer_acquisition/delete_link", x, s.apiDeleteLink},
	}
}

// controlRoutes is the control API: what people do in their clients, and inspection.
func (s *Sim) controlRoutes() []controlRoute {
	return []controlRoute{
		{"POST /sim/departments", s.ctlAddDepartment},
		{"POST /sim/staff", s.ctlAddStaff},
		{"POST /sim/staff/resign", s.ctlResignStaff},
		{"POST /sim/customers", s.ctlAddCustomer},
		{"POST /sim/scan", s.ctlScan},
		{"POST /sim/accept", s.ctlAccept},
		{"POST /sim/customer-deletes-staff", s.ctlCustomerDeletesStaff},
		{"POST /sim/staff-deletes-customer", s.ctlStaffDeletesCustomer},
		{"POST /sim/staff-edits-customer", s.ctlStaffEditsCustomer},
		{"POST /sim/tags", s.ctlAdminCreateTag},
		{"POST /sim/tags/edit", s.ctlAdminEditTag},
		{"POST /sim/tags/delete", s.ctlAdminDeleteTag},
		{"POST /sim/groups", s.ctlCreateGroup},
		{"POST /sim/groups/join", s.ctlJoinGroup},
		{"POST /sim/groups/leave", s.ctlLeaveGroup},
		{"POST /sim/groups/dismiss", s.ctlDismissGroup},
		{"POST /sim/mass-messages/confirm", s.ctlConfirmMassMessage},
		{"POST /sim/moments/publish", s.ctlPublishMoment},
		{"POST /sim/transfers/respond", s.ctlRespondTransfer},
		{"POST /sim/acquisition/click", s.ctlClickLink},
		{"POST /sim/callback", s.ctlSetCallback},
		{"POST /sim/tokens/expire", s.ctlExpireTokens},
		{"POST /sim/clock/advance", s.ctlAdvance},
		{"POST /sim/faults", s.ctlFault},
		{"POST /sim/jsapi/verify", s.ctlVerifyJSAPI},
		{"GET /sim/state", s.ctlState},
		{"GET /sim/welcome-messages", s.ctlWelcomeMessages},
		{"GET /sim/app-messages", s.ctlAppMessages},
		{"GET /sim/events", s.ctlEvents},
		{"GET /sim/qr/{kind}/{id}", s.ctlQRCode},
		{"GET /sim/media/{id}", s.ctlMedia},
		{"GET /sim/ca/{id}", s.ctlLinkLanding},
	}
}

type apiRoute struct {
	method string
	path   string
	scope  string // "" = no token needed (gettoken)
	h      func(c *apiCall) (any, error)
}

type controlRoute struct {
	pattern string
	h       http.HandlerFunc
}

// apiCall is one request to a WeCom endpoint.
type apiCall struct {
	r    *http.Request
	q    url.Values
	body []byte
	app  *App
}

// maxAPIBody bounds request bodies (media uploads are the largest: 20 MB files).
const maxAPIBody = 21 << 20

func (s *Sim) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.apiRoutes() {
		mux.HandleFunc("/cgi-bin/"+rt.path, s.serveAPI(rt))
	}
	for _, rt := range s.controlRoutes() {
		mux.HandleFunc(rt.pattern, rt.h)
	}
	return mux
}

func (s *Sim) serveAPI(rt apiRoute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		c := &apiCall{r: r, q: r.URL.Query(), body: body}
		s.mu.Lock()
		resp, err := s.dispatch(rt, c)
		s.mu.Unlock()
		writeAPI(w, resp, err)
	}
}

// dispatch authenticates, applies injected faults and runs the handler; s.mu is held.
func (s *Sim) dispatch(rt apiRoute, c *apiCall) (any, error) {
	if rt.method == http.MethodPost && c.r.Method != http.MethodPost {
		return nil, s.apiError(wecom.CodeInvalidParameter, "invalid Request Method, this api needs POST")
	}
	if rt.scope != "" {
		v := c.q.Get("access_token")
		if v == "" {
			return nil, s.apiError(wecom.CodeMissingToken, "access_token missing")
		}
		t := s.st.tokens[v]
		if t == nil {
			return nil, s.apiError(wecom.CodeInvalidToken, "invalid access_token")
		}
		if !s.now().Before(t.expiresAt) {
			return nil, s.apiError(wecom.CodeTokenExpired, "access_token expired")
		}
		c.app = t.app
		if len(t.app.Scopes) > 0 && !slices.Contains(t.app.Scopes, rt.scope) {
			return nil, s.apiError(wecom.CodeAPIForbidden, "api forbidden")
		}
	}
	if f := s.takeFault(rt.path); f != 0 {
		return nil, s.apiError(f, "injected by /sim/faults")
	}
	return rt.h(c)
}

// writeAPI answers like WeCom: HTTP 200 and a JSON object whose first fields are errcode and
// errmsg.
func writeAPI(w http.ResponseWriter, resp any, err error) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if err != nil {
		var ae *wecom.APIError
		if !errors.As(err, &ae) {
			ae = &wecom.APIError{Code: wecom.CodeBusy, Msg: "system error: " + err.Error()}
		}
		b, _ := json.Marshal(map[string]any{"errcode": ae.Code, "errmsg": ae.Msg})
		w.Write(b)
		return
	}
	head := []byte(`{"errcode":0,"errmsg":"ok"`)
	if resp == nil {
		w.Write(append(head, '}'))
		return
	}
	b, err := json.Marshal(resp)
	if err != nil || len(b) < 2 || b[0] != '{' {
		b, _ = json.Marshal(map[string]any{"errcode": -1, "errmsg": "system error: bad response"})
		w.Write(b)
		return
	}
	if string(b) == "{}" {
		w.Write(append(head, '}'))
		return
	}
	w.Write(append(append(head, ','), b[1:]...))
}

// decode reads the JSON body into v; bad JSON is 40058 as on the real server.
func (s *Sim) decode(c *apiCall, v any) error {
	if len(strings.TrimSpace(string(c.body))) == 0 {
		return s.apiError(wecom.CodeInvalidParameter, "invalid json request: empty body")
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return s.apiError(wecom.CodeInvalidParameter, "Warning: wrong json format. "+err.Error())
	}
	return nil
}

// page slices n items for a cursor and limit; the cursor is opaque to clients. An undecodable
// cursor is 50100 (invalid cursor).
func (s *Sim) page(cursor string, limit, def, max, n int) (start, end int, next string, err error) {
	if limit <= 0 {
		limit = def
	}
	if limit > max {
		return 0, 0, "", s.apiError(wecom.CodeInvalidParameter, fmt.Sprintf("limit exceeds %d", max))
	}
	if cursor != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(cursor)
		off, perr := strconv.Atoi(strings.TrimPrefix(string(raw), "sim:"))
		if derr != nil || perr != nil || !strings.HasPrefix(string(raw), "sim:") || off < 0 {
			return 0, 0, "", s.apiError(wecom.CodeCursorInvalid, "invalid cursor")
		}
		start = off
	}
	start = min(start, n)
	end = min(start+limit, n)
	if end < n {
		next = base64.RawURLEncoding.EncodeToString([]byte("sim:" + strconv.Itoa(end)))
	}
	return start, end, next, nil
}

// --- control API plumbing ---

func decodeJSON(r *http.Request, v any) error {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil && err != io.EOF {
		return fmt.Errorf("%w: bad JSON: %v", ErrInvalid, err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// writeErr maps a control-API error to a status: ErrInvalid 400, ErrNotFound 404,
// ErrConflict 409, a WeCom errcode 400 with the code.
func writeErr(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	body := map[string]any{"error": err.Error()}
	var ae *wecom.APIError
	switch {
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, ErrInvalid):
		status = http.StatusBadRequest
	case errors.As(err, &ae):
		status = http.StatusBadRequest
		body["errcode"] = ae.Code
	}
	writeJSON(w, status, body)
}

// ctl adapts a control action: decode the JSON body into a fresh In, run fn, write its result.
func ctl[In any](fn func(in In) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if err := decodeJSON(r, &in); err != nil {
			writeErr(w, err)
			return
		}
		out, err := fn(in)
		if err != nil {
			writeErr(w, err)
			return
		}
		if out == nil {
			out = map[string]bool{"ok": true}
		}
		writeJSON(w, http.StatusOK, out)
	}
}
