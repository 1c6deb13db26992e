package wecomsim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// friend makes ext a friend of userID through a skip-verify contact way and drains the event.
func (e *env) friend(t *testing.T, userID, ext string) {
	t.Helper()
	way := must[*wecom.AddContactWayResponse](t)(e.client.AddContactWay(context.Background(), wecom.AddContactWayRequest{
		Type: 1, Scene: 2, SkipVerify: true, User: []string{userID}}))
	must[*AddResult](t)(e.sim.Scan(ext, way.ConfigID))
	e.rv.next(t, wecom.ChangeAddExternalContact)
}

func TestContactWayLimits(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.staffAndCustomer(t, "zhangsan", "x")
	must[*Staff](t)(e.sim.AddStaff(StaffInput{UserID: "nocc", CustomerContact: new(bool)}))
	tests := []struct {
		name string
		req  wecom.AddContactWayRequest
		code int
	}{
		{"state of 30 characters", wecom.AddContactWayRequest{Type: 1, Scene: 2, State: strings.Repeat("渠", 30), User: []string{"zhangsan"}}, 0},
		{"state of 31 characters", wecom.AddContactWayRequest{Type: 1, Scene: 2, State: strings.Repeat("a", 31), User: []string{"zhangsan"}}, wecom.CodeInvalidParameter},
		{"missing type", wecom.AddContactWayRequest{Scene: 2, User: []string{"zhangsan"}}, wecom.CodeMissingContactWayType},
		{"bad type", wecom.AddContactWayRequest{Type: 3, Scene: 2, User: []string{"zhangsan"}}, wecom.CodeInvalidContactWayType},
		{"missing scene", wecom.AddContactWayRequest{Type: 1, User: []string{"zhangsan"}}, wecom.CodeMissingContactWayScene},
		{"unknown user", wecom.AddContactWayRequest{Type: 1, Scene: 2, User: []string{"nobody"}}, wecom.CodeUserIDNotFound},
		{"user without customer contact", wecom.AddContactWayRequest{Type: 1, Scene: 2, User: []string{"nocc"}}, 84074},
		{"single with two users", wecom.AddContactWayRequest{Type: 1, Scene: 2, User: []string{"zhangsan", "nocc"}}, wecom.CodeInvalidParameter},
		{"no users", wecom.AddContactWayRequest{Type: 2, Scene: 2}, wecom.CodeInvalidParameter},
		{"unknown party", wecom.AddContactWayRequest{Type: 2, Scene: 2, Party: []int64{99}}, wecom.CodeInvalidDepartmentList},
		{"temp way over 14 days", wecom.AddContactWayRequest{Type: 1, Scene: 2, User: []string{"zhangsan"}, IsTemp: true, ExpiresIn: 15 * 86400}, wecom.CodeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.AddContactWay(ctx, tt.req)
			if tt.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tt.code)
		})
	}
	_, err := e.client.GetContactWay(ctx, "nope")
	wantCode(t, err, wecom.CodeInvalidConfigID)
	wantCode(t, e.client.DelContactWay(ctx, "nope"), wecom.CodeInvalidConfigID)
	state := strings.Repeat("s", 31)
	wantCode(t, e.client.UpdateContactWay(ctx, wecom.UpdateContactWayRequest{ConfigID: "nope", State: &state}), wecom.CodeInvalidConfigID)
}

func TestContactWayCRUD(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.staffAndCustomer(t, "zhangsan", "x")
	e.staffAndCustomer(t, "lisi", "y")
	way := must[*wecom.AddContactWayResponse](t)(e.client.AddContactWay(ctx, wecom.AddContactWayRequest{
		Type: 2, Scene: 2, Remark: "门店码", State: "store-1", User: []string{"zhangsan", "lisi"}}))
	got := must[*wecom.ContactWay](t)(e.client.GetContactWay(ctx, way.ConfigID))
	if got.Remark != "门店码" || got.State != "store-1" || len(got.User) != 2 || got.SkipVerify {
		t.Fatalf("get = %+v", got)
	}
	skip, state := true, "store-2"
	if err := e.client.UpdateContactWay(ctx, wecom.UpdateContactWayRequest{ConfigID: way.ConfigID, SkipVerify: &skip, State: &state}); err != nil {
		t.Fatal(err)
	}
	got = must[*wecom.ContactWay](t)(e.client.GetContactWay(ctx, way.ConfigID))
	if !got.SkipVerify || got.State != "store-2" || got.Remark != "门店码" {
		t.Fatalf("after update = %+v", got)
	}
	// A multi-person way hands customers out in turn.
	var who []string
	for i := 0; i < 4; i++ {
		ext := must[*Customer](t)(e.sim.AddCustomer(CustomerInput{Name: fmt.Sprint("c", i)})).ExternalUserID
		who = append(who, must[*AddResult](t)(e.sim.Scan(ext, way.ConfigID)).UserID)
	}
	if strings.Join(who, ",") != "zhangsan,lisi,zhangsan,lisi" {
		t.Fatalf("round robin = %v", who)
	}
	list := must[*wecom.ListContactWayResponse](t)(e.client.ListContactWays(ctx, wecom.ListContactWayRequest{Limit: 1}))
	if len(list.ContactWay) != 1 || list.NextCursor != "" {
		t.Fatalf("list = %+v", list)
	}
	if err := e.client.DelContactWay(ctx, way.ConfigID); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.GetContactWay(ctx, way.ConfigID)
	wantCode(t, err, wecom.CodeInvalidConfigID)
}

func TestWelcomeMessageLimits(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ext := e.staffAndCustomer(t, "zhangsan", "x")
	way := must[*wecom.AddContactWayResponse](t)(e.client.AddContactWay(ctx, wecom.AddContactWayRequest{Type: 1, Scene: 2, SkipVerify: true, User: []string{"zhangsan"}}))
	code := must[*AddResult](t)(e.sim.Scan(ext, way.ConfigID)).WelcomeCode
	link := wecom.Attachment{MsgType: wecom.MsgTypeLink, Link: &wecom.Link{Title: "t", URL: "https://example.com"}}
	ten := make([]wecom.Attachment, 10)
	for i := range ten {
		ten[i] = link
	}
	tests := []struct {
		name string
		req  wecom.SendWelcomeMsgRequest
		code int
	}{
		{"missing code", wecom.SendWelcomeMsgRequest{Text: &wecom.Text{Content: "x"}}, wecom.CodeMissingWelcomeCode},
		{"unknown code", wecom.SendWelcomeMsgRequest{WelcomeCode: "nope", Text: &wecom.Text{Content: "x"}}, wecom.CodeInvalidWelcomeCode},
		{"empty", wecom.SendWelcomeMsgRequest{WelcomeCode: code}, wecom.CodeEmptyContent},
		{"10 attachments", wecom.SendWelcomeMsgRequest{WelcomeCode: code, Attachments: ten}, wecom.CodeTooManyAttachments},
		{"unknown media", wecom.SendWelcomeMsgRequest{WelcomeCode: code, Attachments: []wecom.Attachment{{MsgType: "image", Image: &wecom.Image{MediaID: "m"}}}}, wecom.CodeInvalidMediaID},
		{"bad attachment", wecom.SendWelcomeMsgRequest{WelcomeCode: code, Attachments: []wecom.Attachment{{MsgType: "voice"}}}, wecom.CodeInvalidAttachmentType},
		{"9 attachments ok", wecom.SendWelcomeMsgRequest{WelcomeCode: code, Attachments: ten[:9]}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.client.SendWelcomeMsg(ctx, tt.req)
			if tt.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tt.code)
		})
	}
}

func TestGroupLimits(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxGroupMembers = 4 })
	ctx := context.Background()
	e.staffAndCustomer(t, "owner", "x")
	var exts []string
	for i := 0; i < 8; i++ {
		exts = append(exts, must[*Customer](t)(e.sim.AddCustomer(CustomerInput{Name: fmt.Sprint("m", i)})).ExternalUserID)
	}
	g := must[*GroupChat](t)(e.sim.CreateGroupChat(GroupInput{Owner: "owner", Name: "VIP群"}))
	e.rv.next(t, wecom.ChangeCreate)
	for _, x := range exts[:3] {
		must[string](t)(e.sim.JoinGroup(JoinInput{ExternalUserID: x, ChatID: g.ChatID}))
	}
	if _, err := e.sim.JoinGroup(JoinInput{ExternalUserID: exts[3], ChatID: g.ChatID}); !errors.Is(err, ErrConflict) {
		t.Fatalf("join of a full group: %v", err)
	}

	// Join ways: at most 5 groups.
	six := []string{g.ChatID, g.ChatID, g.ChatID, g.ChatID, g.ChatID, g.ChatID}
	_, err := e.client.AddJoinWay(ctx, wecom.JoinWay{Scene: 2, ChatIDList: six})
	wantCode(t, err, wecom.CodeJoinWayTooManyChats)
	_, err = e.client.AddJoinWay(ctx, wecom.JoinWay{Scene: 2, ChatIDList: []string{"wrNope"}})
	wantCode(t, err, wecom.CodeChatNotFound)
	_, err = e.client.AddJoinWay(ctx, wecom.JoinWay{Scene: 2, ChatIDList: []string{g.ChatID}, State: strings.Repeat("x", 31)})
	wantCode(t, err, wecom.CodeInvalidParameter)

	// Without auto_create_room a full way refuses; with it, "room_base_name + id" is created.
	plain := must[string](t)(e.client.AddJoinWay(ctx, wecom.JoinWay{Scene: 2, ChatIDList: []string{g.ChatID}}))
	if _, err := e.sim.JoinGroup(JoinInput{ExternalUserID: exts[3], ConfigID: plain}); !errors.Is(err, ErrConflict) {
		t.Fatalf("full join way without auto create: %v", err)
	}
	auto := must[string](t)(e.client.AddJoinWay(ctx, wecom.JoinWay{Scene: 2, ChatIDList: []string{g.ChatID}, AutoCreateRoom: 1,
		RoomBaseName: "福利群", RoomBaseID: 2, State: "jw-1"}))
	drain(e)
	newChat := must[string](t)(e.sim.JoinGroup(JoinInput{ExternalUserID: exts[3], ConfigID: auto}))
	if newChat == g.ChatID {
		t.Fatal("joined the full group")
	}
	created := e.rv.next(t, wecom.ChangeCreate).(*wecom.ExternalChatEvent)
	joined := e.rv.next(t, wecom.ChangeUpdate).(*wecom.ExternalChatEvent)
	if created.ChatID != newChat || joined.ChatID != newChat || joined.JoinScene != wecom.JoinSceneQRCode || joined.MemChangeList[0] != exts[3] {
		t.Fatalf("events: %+v / %+v", created, joined)
	}
	gc := must[*wecom.GroupChat](t)(e.client.GetGroupChat(ctx, newChat, true))
	if gc.Name != "福利群2" || gc.Owner != "owner" || len(gc.MemberList) != 2 || gc.MemberList[1].State != "jw-1" || gc.MemberList[1].Name != "m3" {
		t.Fatalf("auto-created group = %+v", gc)
	}
	jw := must[*wecom.JoinWay](t)(e.client.GetJoinWay(ctx, auto))
	if jw.RoomBaseID != 3 || len(jw.ChatIDList) != 2 || jw.ChatIDList[1] != newChat {
		t.Fatalf("join way after auto create = %+v", jw)
	}
}

// drain empties the receiver's queue after letting in-flight deliveries land.
func drain(e *env) {
	e.sim.Flush(context.Background())
	for {
		select {
		case <-e.rv.events:
		default:
			return
		}
	}
}

func TestMassMessageLimits(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ext := e.staffAndCustomer(t, "zhangsan", "x")
	e.friend(t, "zhangsan", ext)
	text := &wecom.Text{Content: "双11 大促"}
	tests := []struct {
		name string
		req  wecom.AddMsgTemplateRequest
		code int
	}{
		{"10001 customers", wecom.AddMsgTemplateRequest{ExternalUserID: make([]string, 10001), Text: text}, wecom.CodeInvalidParameter},
		{"10 attachments", wecom.AddMsgTemplateRequest{ExternalUserID: []string{ext}, Attachments: make([]wecom.Attachment, 10)}, wecom.CodeTooManyAttachments},
		{"empty", wecom.AddMsgTemplateRequest{ExternalUserID: []string{ext}}, wecom.CodeEmptyContent},
		{"nobody reachable", wecom.AddMsgTemplateRequest{ExternalUserID: []string{"wmNobody"}, Text: text}, wecom.CodeNoRecipient},
		{"no target", wecom.AddMsgTemplateRequest{Text: text}, wecom.CodeInvalidParameter},
		{"group without sender", wecom.AddMsgTemplateRequest{ChatType: "group", Text: text}, wecom.CodeInvalidParameter},
		{"unknown sender", wecom.AddMsgTemplateRequest{Sender: "nobody", Text: text}, wecom.CodeUserIDNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.AddMsgTemplate(ctx, tt.req)
			wantCode(t, err, tt.code)
		})
	}

	// One corp mass message per customer per day: the second one sent the same day gets 3.
	send := func() string {
		resp := must[*wecom.AddMsgTemplateResponse](t)(e.client.AddMsgTemplate(ctx, wecom.AddMsgTemplateRequest{
			ExternalUserID: []string{ext, "wmUnknown"}, Text: text}))
		if len(resp.FailList) != 1 || resp.FailList[0] != "wmUnknown" {
			t.Fatalf("fail_list = %v", resp.FailList)
		}
		if err := e.sim.ConfirmMassMessage(resp.MsgID, "zhangsan"); err != nil {
			t.Fatal(err)
		}
		return resp.MsgID
	}
	status := func(msgID string) int {
		r := must[*wecom.GetGroupMsgSendResultResponse](t)(e.client.GetGroupMsgSendResult(ctx, wecom.GetGroupMsgSendResultRequest{MsgID: msgID, UserID: "zhangsan"}))
		if len(r.SendList) != 1 {
			t.Fatalf("send_list = %+v", r.SendList)
		}
		return r.SendList[0].Status
	}
	first, second := send(), send()
	if status(first) != wecom.SendStatusSent || status(second) != wecom.SendStatusLimitRecv {
		t.Fatalf("statuses = %d, %d; want 1, 3", status(first), status(second))
	}
	e.sim.Advance(24 * time.Hour)
	if third := send(); status(third) != wecom.SendStatusSent {
		t.Fatalf("next day status = %d", status(third))
	}
	// A customer who deleted the member meanwhile: status 2.
	if err := e.sim.CustomerDeletesStaff(ext, "zhangsan"); err != nil {
		t.Fatal(err)
	}
	e.sim.Advance(24 * time.Hour)
	if fourth := send(); status(fourth) != wecom.SendStatusNotFriend {
		t.Fatalf("status after deletion = %d", status(fourth))
	}
}

func TestReceiveLimitPeriods(t *testing.T) {
	tests := []struct {
		limit ReceiveLimit
		sends int
		sent  int
	}{
		{ReceiveLimit{1, "day"}, 3, 1},
		{ReceiveLimit{7, "week"}, 9, 7},
		{ReceiveLimit{0, "month"}, 40, 30}, // June has 30 days
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			june := time.Date(2025, 6, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)) // a Monday
			sim := must[*Sim](t)(New(Config{Logger: quietLogger(), MassMessageLimit: tt.limit, Now: func() time.Time { return june }}))
			defer sim.Close()
			sent := 0
			sim.mu.Lock()
			for i := 0; i < tt.sends; i++ {
				if sim.canReceive("wmX", sim.now()) {
					sim.st.receipts["wmX"] = append(sim.st.receipts["wmX"], sim.now())
					sent++
				}
			}
			sim.mu.Unlock()
			if sent != tt.sent {
				t.Fatalf("sent %d of %d, want %d", sent, tt.sends, tt.sent)
			}
		})
	}
}

func TestTokensAndPermissions(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Apps = []App{DefaultApp,
			{Name: "hr", Secret: "hr-secret", AgentID: 1000003, Scopes: []string{ScopeContact}, VisibleUsers: []string{"zhangsan"}}}
	})
	ctx := context.Background()
	e.staffAndCustomer(t, "zhangsan", "x")
	e.staffAndCustomer(t, "lisi", "y")
	hr := must[*wecom.Client](t)(wecom.NewClient(wecom.Config{CorpID: e.sim.CorpID(), Secret: "hr-secret", BaseURL: e.srv.URL + "/cgi-bin", Logger: quietLogger()}))
	_, err := hr.GetFollowUserList(ctx)
	if !errors.Is(err, wecom.ErrPermission) {
		t.Fatalf("externalcontact with a contact-only app: %v", err)
	}
	wantCode(t, err, wecom.CodeAPIForbidden)
	must[*wecom.User](t)(hr.GetUser(ctx, "zhangsan"))
	_, err = hr.GetUser(ctx, "lisi")
	wantCode(t, err, wecom.CodeNoPrivilege)
	_, err = e.client.GetUser(ctx, "nobody")
	wantCode(t, err, wecom.CodeUserIDNotFound)

	bad := must[*wecom.Client](t)(wecom.NewClient(wecom.Config{CorpID: e.sim.CorpID(), Secret: "wrong", BaseURL: e.srv.URL + "/cgi-bin", Logger: quietLogger()}))
	_, err = bad.GetUser(ctx, "zhangsan")
	if !errors.Is(err, wecom.ErrCredential) {
		t.Fatalf("wrong secret: %v", err)
	}
	wrongCorp := must[*wecom.Client](t)(wecom.NewClient(wecom.Config{CorpID: "wwOther", Secret: "x", BaseURL: e.srv.URL + "/cgi-bin", Logger: quietLogger()}))
	_, err = wrongCorp.GetUser(ctx, "zhangsan")
	wantCode(t, err, wecom.CodeInvalidCorpID)

	// Tokens expire after 7200 s of simulated time; the client refreshes on 42001 and retries.
	tok := must[string](t)(e.client.AccessToken(ctx))
	e.sim.Advance(7201 * time.Second)
	must[[]string](t)(e.client.GetFollowUserList(ctx))
	tok2 := must[string](t)(e.client.AccessToken(ctx))
	if tok2 == tok {
		t.Fatal("client kept the expired token")
	}
	// Forced expiry, as tests of the refresh path need.
	e.sim.ExpireTokens()
	must[[]string](t)(e.client.GetFollowUserList(ctx))
	if must[string](t)(e.client.AccessToken(ctx)) == tok2 {
		t.Fatal("client kept the force-expired token")
	}
	// Raw requests: missing and unknown tokens.
	for q, code := range map[string]int{"": wecom.CodeMissingToken, "?access_token=nope": wecom.CodeInvalidToken} {
		resp := must[*httpResp](t)(get(e.srv.URL + "/cgi-bin/user/get" + q))
		if resp.Code != code {
			t.Fatalf("%q: errcode %d, want %d", q, resp.Code, code)
		}
	}
}

func TestClientRetriesThroughSimFaults(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.staffAndCustomer(t, "zhangsan", "x")
	for _, code := range []int{wecom.CodeBusy, wecom.CodeFrequencyLimit, wecom.CodeConcurrencyLimit, wecom.CodeTokenExpired} {
		e.sim.InjectFault("externalcontact/get_follow_user_list", code, 1)
		if users := must[[]string](t)(e.client.GetFollowUserList(ctx)); len(users) != 1 {
			t.Fatalf("after fault %d: %v", code, users)
		}
	}
	e.sim.InjectFault("*", wecom.CodeFrequencyLimit, 10)
	_, err := e.client.GetFollowUserList(ctx)
	if !wecom.IsRetryable(err) {
		t.Fatalf("persistent 45009: %v", err)
	}
}

func TestUnknownIDs(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ext := e.staffAndCustomer(t, "zhangsan", "x")
	tests := []struct {
		name string
		call func() error
		code int
	}{
		{"customer", func() error { _, err := e.client.GetExternalContact(ctx, "wmNope", ""); return err }, wecom.CodeInvalidExternalUserID},
		{"no relation", func() error { _, err := e.client.GetExternalContact(ctx, ext, ""); return err }, wecom.CodeNoRelation},
		{"list of member without customers", func() error {
			r := must[*httpResp](t)(get(e.srv.URL + "/cgi-bin/externalcontact/list?userid=zhangsan&access_token=" + must[string](t)(e.client.AccessToken(ctx))))
			if ids, err := e.client.ListExternalContacts(ctx, "zhangsan"); err != nil || len(ids) != 0 {
				t.Errorf("client: %v, %v; want an empty list", ids, err)
			}
			return &wecom.APIError{Code: r.Code}
		}, wecom.CodeNoRelation},
		{"group chat", func() error { _, err := e.client.GetGroupChat(ctx, "wrNope", false); return err }, wecom.CodeChatNotFound},
		{"mass message", func() error {
			_, err := e.client.GetGroupMsgTask(ctx, wecom.GetGroupMsgTaskRequest{MsgID: "msgNope"})
			return err
		}, wecom.CodeInvalidMsgID},
		{"moment", func() error {
			_, err := e.client.GetMomentTask(ctx, wecom.GetMomentTaskRequest{MomentID: "momNope"})
			return err
		}, wecom.CodeInvalidMomentID},
		{"moment job", func() error { _, err := e.client.GetMomentTaskResult(ctx, "jobNope"); return err }, wecom.CodeJobIDNotFound},
		{"tag", func() error { return e.client.DelCorpTag(ctx, wecom.DelCorpTagRequest{TagID: []string{"etNope"}}) }, wecom.CodeInvalidTagID},
		{"department", func() error { _, err := e.client.ListDepartments(ctx, 404); return err }, wecom.CodeInvalidDepartmentID},
		{"acquisition link", func() error { _, err := e.client.GetAcquisitionLink(ctx, "cawNope"); return err }, wecom.CodeInvalidParameter},
		{"cursor", func() error {
			_, err := e.client.ListUserIDs(ctx, wecom.ListUserIDsRequest{Cursor: "garbage"})
			return err
		}, wecom.CodeCursorInvalid},
		{"ticket type", func() error {
			r := must[*httpResp](t)(get(e.srv.URL + "/cgi-bin/ticket/get?type=jsapi&access_token=" + must[string](t)(e.client.AccessToken(ctx))))
			return &wecom.APIError{Code: r.Code}
		}, wecom.CodeInvalidTicketType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}
}
