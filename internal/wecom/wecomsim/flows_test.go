package wecomsim

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

type httpResp struct {
	Code int    `json:"errcode"`
	Msg  string `json:"errmsg"`
}

func get(url string) (*httpResp, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r httpResp
	return &r, json.NewDecoder(resp.Body).Decode(&r)
}

func TestGroupChatEventsAndAPI(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	a := e.staffAndCustomer(t, "owner", "Amy")
	b := must[*Customer](t)(e.sim.AddCustomer(CustomerInput{Name: "Ben"})).ExternalUserID
	g := must[*GroupChat](t)(e.sim.CreateGroupChat(GroupInput{Owner: "owner", Name: "会员群", Members: []string{a}}))
	if ev := e.rv.next(t, wecom.ChangeCreate).(*wecom.ExternalChatEvent); ev.ChatID != g.ChatID {
		t.Fatalf("create = %+v", ev)
	}
	must[string](t)(e.sim.JoinGroup(JoinInput{ExternalUserID: b, ChatID: g.ChatID}))
	join := e.rv.next(t, wecom.ChangeUpdate).(*wecom.ExternalChatEvent)
	gc := must[*wecom.GroupChat](t)(e.client.GetGroupChat(ctx, g.ChatID, false))
	if join.UpdateDetail != wecom.UpdateAddMember || join.JoinScene != wecom.JoinSceneInvited || join.MemChangeCnt != 1 ||
		!slices.Equal(join.MemChangeList, []string{b}) || join.CurMemVer != gc.MemberVersion || join.LastMemVer == join.CurMemVer {
		t.Fatalf("join = %+v (member_version %s)", join, gc.MemberVersion)
	}
	if len(gc.MemberList) != 3 || gc.MemberList[2].Type != wecom.MemberTypeExternal || gc.MemberList[2].Invitor.UserID != "owner" {
		t.Fatalf("group = %+v", gc)
	}
	if err := e.sim.LeaveGroup(b, g.ChatID, true); err != nil {
		t.Fatal(err)
	}
	leave := e.rv.next(t, wecom.ChangeUpdate).(*wecom.ExternalChatEvent)
	if leave.UpdateDetail != wecom.UpdateDelMember || leave.QuitScene != wecom.QuitSceneRemoved || leave.LastMemVer != join.CurMemVer {
		t.Fatalf("leave = %+v", leave)
	}
	list := must[*wecom.ListGroupChatsResponse](t)(e.client.ListGroupChats(ctx, wecom.ListGroupChatsRequest{Limit: 10,
		OwnerFilter: &wecom.OwnerFilter{UserIDList: []string{"owner"}}}))
	if len(list.GroupChatList) != 1 || list.GroupChatList[0].ChatID != g.ChatID {
		t.Fatalf("list = %+v", list)
	}
	if err := e.sim.DismissGroup(g.ChatID); err != nil {
		t.Fatal(err)
	}
	e.rv.next(t, wecom.ChangeDismiss)
	_, err := e.client.GetGroupChat(ctx, g.ChatID, false)
	wantCode(t, err, wecom.CodeGroupDismissed)
}

// TestTagsAPIAndClientEvents: API changes produce no callbacks; admin-console and staff
// client changes do.
func TestTagsAPIAndClientEvents(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ext := e.staffAndCustomer(t, "zhangsan", "x")
	e.friend(t, "zhangsan", ext)

	grp := must[*wecom.TagGroup](t)(e.client.AddCorpTag(ctx, wecom.AddCorpTagRequest{GroupName: "客户等级", Tag: []wecom.NewTag{{Name: "VIP"}, {Name: "普通"}}}))
	if len(grp.Tag) != 2 || grp.GroupID == "" {
		t.Fatalf("add_corp_tag = %+v", grp)
	}
	_, err := e.client.AddCorpTag(ctx, wecom.AddCorpTagRequest{GroupID: grp.GroupID, Tag: []wecom.NewTag{{Name: "VIP"}}})
	wantCode(t, err, wecom.CodeTagNameExists)
	vip := grp.Tag[0].ID
	if err := e.client.MarkTag(ctx, wecom.MarkTagRequest{UserID: "zhangsan", ExternalUserID: ext, AddTag: []string{vip}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.client.MarkTag(ctx, wecom.MarkTagRequest{UserID: "zhangsan", ExternalUserID: ext, AddTag: []string{"etNope"}}), wecom.CodeInvalidTagID)
	e.rv.none(t)
	got := must[*wecom.GetExternalContactResponse](t)(e.client.GetExternalContact(ctx, ext, ""))
	if tags := got.FollowUser[0].Tags; len(tags) != 1 || tags[0].TagID != vip || tags[0].GroupName != "客户等级" || tags[0].Type != 1 {
		t.Fatalf("tags = %+v", tags)
	}
	only := must[[]wecom.TagGroup](t)(e.client.GetCorpTagList(ctx, wecom.GetCorpTagListRequest{TagID: []string{vip}}))
	if len(only) != 1 || len(only[0].Tag) != 1 {
		t.Fatalf("get_corp_tag_list by tag = %+v", only)
	}

	// A staff member tags the customer in the client: edit_external_contact.
	if err := e.sim.StaffEditsCustomer(EditInput{UserID: "zhangsan", ExternalUserID: ext, RemoveTag: []string{vip}, AddTag: []string{grp.Tag[1].ID}}); err != nil {
		t.Fatal(err)
	}
	if ev := e.rv.next(t, wecom.ChangeEditExternalContact).(*wecom.ExternalContactEvent); ev.ExternalUserID != ext {
		t.Fatalf("edit = %+v", ev)
	}
	// An admin creates, renames and deletes tags in the admin console: change_external_tag.
	tag := must[*Tag](t)(e.sim.AdminCreateTag(TagInput{GroupName: "兴趣", Name: "美妆"}))
	gev := e.rv.next(t, wecom.ChangeCreate).(*wecom.ExternalTagEvent)
	tev := e.rv.next(t, wecom.ChangeCreate).(*wecom.ExternalTagEvent)
	if gev.TagType != wecom.TagTypeTagGroup || gev.ID != tag.GroupID || tev.TagType != wecom.TagTypeTag || tev.ID != tag.ID {
		t.Fatalf("create events = %+v / %+v", gev, tev)
	}
	if err := e.sim.AdminEditTag(tag.ID, "彩妆"); err != nil {
		t.Fatal(err)
	}
	e.rv.next(t, wecom.ChangeUpdate)
	if err := e.sim.AdminDeleteTag(grp.GroupID); err != nil {
		t.Fatal(err)
	}
	if ev := e.rv.next(t, wecom.ChangeDelete).(*wecom.ExternalTagEvent); ev.ID != grp.GroupID || ev.TagType != wecom.TagTypeTagGroup {
		t.Fatalf("delete = %+v", ev)
	}
	got = must[*wecom.GetExternalContactResponse](t)(e.client.GetExternalContact(ctx, ext, ""))
	if len(got.FollowUser[0].Tags) != 0 {
		t.Fatalf("tags of a deleted group remain: %+v", got.FollowUser[0].Tags)
	}
	all := must[[]wecom.TagGroup](t)(e.client.GetCorpTagList(ctx, wecom.GetCorpTagListRequest{}))
	if len(all) != 1 || all[0].Tag[0].Name != "彩妆" {
		t.Fatalf("tags = %+v", all)
	}
}

func TestTransfers(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	a := e.staffAndCustomer(t, "old", "A")
	b := e.staffAndCustomer(t, "new", "B")
	e.friend(t, "old", a)
	e.friend(t, "old", b)

	_, err := e.client.TransferCustomer(ctx, wecom.TransferCustomerRequest{HandoverUserID: "old", TakeoverUserID: "old", ExternalUserID: []string{a}})
	wantCode(t, err, wecom.CodeSameHandoverTakeover)
	resp := must[*wecom.TransferCustomerResponse](t)(e.client.TransferCustomer(ctx, wecom.TransferCustomerRequest{
		HandoverUserID: "old", TakeoverUserID: "new", ExternalUserID: []string{a, b, "wmNope"}}))
	codes := []int{resp.Customer[0].ErrCode, resp.Customer[1].ErrCode, resp.Customer[2].ErrCode}
	if !slices.Equal(codes, []int{0, 0, wecom.CodeInvalidExternalUserID}) {
		t.Fatalf("per-customer codes = %v", codes)
	}
	again := must[*wecom.TransferCustomerResponse](t)(e.client.TransferCustomer(ctx, wecom.TransferCustomerRequest{
		HandoverUserID: "old", TakeoverUserID: "new", ExternalUserID: []string{a}}))
	if again.Customer[0].ErrCode != wecom.CodeCustomerInTransfer {
		t.Fatalf("second transfer = %+v", again)
	}
	// A refuses: transfer_fail, status 3, A stays with the old member.
	if err := e.sim.RespondTransfer(a, "new", false); err != nil {
		t.Fatal(err)
	}
	fail := e.rv.next(t, wecom.ChangeTransferFail).(*wecom.ExternalContactEvent)
	if fail.FailReason != wecom.FailReasonCustomerRefused || fail.ExternalUserID != a || fail.UserID != "new" {
		t.Fatalf("transfer_fail = %+v", fail)
	}
	// B says nothing: after 24 h the takeover completes.
	e.sim.Advance(24*time.Hour + time.Second)
	del := e.rv.next(t, wecom.ChangeDelExternalContact).(*wecom.ExternalContactEvent)
	add := e.rv.next(t, wecom.ChangeAddExternalContact).(*wecom.ExternalContactEvent)
	if del.Source != wecom.SourceDeleteByTransfer || del.UserID != "old" || add.UserID != "new" || add.WelcomeCode != "" {
		t.Fatalf("takeover events = %+v / %+v", del, add)
	}
	res := must[*wecom.TransferResultResponse](t)(e.client.TransferResult(ctx, wecom.TransferResultRequest{HandoverUserID: "old", TakeoverUserID: "new"}))
	if len(res.Customer) != 2 || res.Customer[0].Status != wecom.TransferRefused || res.Customer[1].Status != wecom.TransferDone || res.Customer[1].TakeoverTime == 0 {
		t.Fatalf("transfer_result = %+v", res)
	}
	got := must[*wecom.GetExternalContactResponse](t)(e.client.GetExternalContact(ctx, b, ""))
	if len(got.FollowUser) != 1 || got.FollowUser[0].UserID != "new" || got.FollowUser[0].AddWay != wecom.AddWayAssigned {
		t.Fatalf("B after takeover = %+v", got.FollowUser)
	}

	// Resigned transfers: only for members who left; their customers are unassigned until then.
	_, err = e.client.ResignedTransferCustomer(ctx, wecom.TransferCustomerRequest{HandoverUserID: "old", TakeoverUserID: "new", ExternalUserID: []string{a}})
	wantCode(t, err, wecom.CodeNotResigned)
	if err := e.sim.ResignStaff("old"); err != nil {
		t.Fatal(err)
	}
	un := must[*wecom.GetUnassignedListResponse](t)(e.client.GetUnassignedList(ctx, wecom.GetUnassignedListRequest{}))
	if len(un.Info) != 1 || un.Info[0].ExternalUserID != a || !un.IsLast || un.Info[0].DimissionTime == 0 {
		t.Fatalf("unassigned = %+v", un)
	}
	r2 := must[*wecom.TransferCustomerResponse](t)(e.client.ResignedTransferCustomer(ctx, wecom.TransferCustomerRequest{HandoverUserID: "old", TakeoverUserID: "new", ExternalUserID: []string{a}}))
	if r2.Customer[0].ErrCode != 0 {
		t.Fatalf("resigned transfer = %+v", r2)
	}
	if err := e.sim.RespondTransfer(a, "", true); err != nil {
		t.Fatal(err)
	}
	res = must[*wecom.TransferResultResponse](t)(e.client.ResignedTransferResult(ctx, wecom.TransferResultRequest{HandoverUserID: "old", TakeoverUserID: "new"}))
	if len(res.Customer) != 1 || res.Customer[0].Status != wecom.TransferDone {
		t.Fatalf("resigned result = %+v", res)
	}
}

func TestMassMessageFlow(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	a := e.staffAndCustomer(t, "zhangsan", "A")
	b := e.staffAndCustomer(t, "lisi", "B")
	e.friend(t, "zhangsan", a)
	e.friend(t, "lisi", b)
	e.friend(t, "zhangsan", b) // B's newest member is zhangsan
	resp := must[*wecom.AddMsgTemplateResponse](t)(e.client.AddMsgTemplate(ctx, wecom.AddMsgTemplateRequest{
		ExternalUserID: []string{a, b}, Text: &wecom.Text{Content: "新品上市"}}))
	tasks := must[*wecom.GetGroupMsgTaskResponse](t)(e.client.GetGroupMsgTask(ctx, wecom.GetGroupMsgTaskRequest{MsgID: resp.MsgID}))
	if len(tasks.TaskList) != 1 || tasks.TaskList[0].UserID != "zhangsan" || tasks.TaskList[0].Status != wecom.TaskStatusPending {
		t.Fatalf("tasks = %+v", tasks)
	}
	now := e.sim.Now().Unix()
	list := must[*wecom.GetGroupMsgListV2Response](t)(e.client.GetGroupMsgListV2(ctx, wecom.GetGroupMsgListV2Request{ChatType: "single", StartTime: now - 3600, EndTime: now + 1}))
	if len(list.GroupMsgList) != 1 || list.GroupMsgList[0].MsgID != resp.MsgID || list.GroupMsgList[0].Text.Content != "新品上市" {
		t.Fatalf("list = %+v", list)
	}
	for i := 0; i < 3; i++ {
		if err := e.client.RemindGroupMsgSend(ctx, resp.MsgID); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, e.client.RemindGroupMsgSend(ctx, resp.MsgID), wecom.CodeRemindTooFrequent)
	if err := e.sim.ConfirmMassMessage(resp.MsgID, "zhangsan"); err != nil {
		t.Fatal(err)
	}
	tasks = must[*wecom.GetGroupMsgTaskResponse](t)(e.client.GetGroupMsgTask(ctx, wecom.GetGroupMsgTaskRequest{MsgID: resp.MsgID}))
	if tasks.TaskList[0].Status != wecom.TaskStatusSent || tasks.TaskList[0].SendTime == 0 {
		t.Fatalf("task after confirm = %+v", tasks)
	}
	// Cancelled messages cannot be confirmed.
	r2 := must[*wecom.AddMsgTemplateResponse](t)(e.client.AddMsgTemplate(ctx, wecom.AddMsgTemplateRequest{Sender: "lisi", Text: &wecom.Text{Content: "x"}}))
	if err := e.client.CancelGroupMsgSend(ctx, r2.MsgID); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.ConfirmMassMessage(r2.MsgID, "lisi"); err == nil {
		t.Fatal("confirmed a cancelled message")
	}
	// Group messages go to the sender's groups.
	g := must[*GroupChat](t)(e.sim.CreateGroupChat(GroupInput{Owner: "lisi", Name: "g"}))
	r3 := must[*wecom.AddMsgTemplateResponse](t)(e.client.AddMsgTemplate(ctx, wecom.AddMsgTemplateRequest{ChatType: "group", Sender: "lisi", Text: &wecom.Text{Content: "群发"}}))
	if err := e.sim.ConfirmMassMessage(r3.MsgID, "lisi"); err != nil {
		t.Fatal(err)
	}
	sr := must[*wecom.GetGroupMsgSendResultResponse](t)(e.client.GetGroupMsgSendResult(ctx, wecom.GetGroupMsgSendResultRequest{MsgID: r3.MsgID, UserID: "lisi"}))
	if len(sr.SendList) != 1 || sr.SendList[0].ChatID != g.ChatID || sr.SendList[0].Status != wecom.SendStatusSent {
		t.Fatalf("group send result = %+v", sr)
	}
}

func pngBytes(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMediaMomentsAndJSAPI(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.staffAndCustomer(t, "zhangsan", "x")
	up := must[*wecom.UploadMediaResponse](t)(e.client.UploadMedia(ctx, wecom.MediaImage, "poster.png", bytes.NewReader(pngBytes(t))))
	if up.MediaID == "" || up.Type != "image" || up.CreatedAt == 0 {
		t.Fatalf("upload = %+v", up)
	}
	_, err := e.client.UploadMedia(ctx, wecom.MediaImage, "x.txt", strings.NewReader("not an image"))
	wantCode(t, err, wecom.CodeInvalidMediaType)
	_, err = e.client.UploadMedia(ctx, "gif", "x.gif", strings.NewReader("x"))
	wantCode(t, err, wecom.CodeInvalidFileType)
	u := must[string](t)(e.client.UploadImage(ctx, "logo.png", bytes.NewReader(pngBytes(t))))
	resp, err := http.Get(strings.Replace(u, "http://127.0.0.1:8081", e.srv.URL, 1))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(body, pngBytes(t)) {
		t.Fatal("uploadimg URL does not serve the image")
	}

	// Moments: the uploaded image goes into a moment; members publish it.
	job := must[string](t)(e.client.AddMomentTask(ctx, wecom.AddMomentTaskRequest{Text: &wecom.Text{Content: "周末活动"},
		Attachments: []wecom.Attachment{{MsgType: "image", Image: &wecom.Image{MediaID: up.MediaID}}}}))
	res := must[*wecom.MomentTaskResult](t)(e.client.GetMomentTaskResult(ctx, job))
	if res.Status != wecom.MomentTaskDone || res.Result.MomentID == "" {
		t.Fatalf("moment result = %+v", res)
	}
	now := e.sim.Now().Unix()
	ml := must[*wecom.GetMomentListResponse](t)(e.client.GetMomentList(ctx, wecom.GetMomentListRequest{StartTime: now - 60, EndTime: now + 60}))
	if len(ml.MomentList) != 1 || len(ml.MomentList[0].Image) != 1 || ml.MomentList[0].Text.Content != "周末活动" {
		t.Fatalf("moment list = %+v", ml)
	}
	if err := e.sim.PublishMoment(res.Result.MomentID, "zhangsan"); err != nil {
		t.Fatal(err)
	}
	mt := must[*wecom.GetMomentTaskResponse](t)(e.client.GetMomentTask(ctx, wecom.GetMomentTaskRequest{MomentID: res.Result.MomentID}))
	if len(mt.TaskList) != 1 || mt.TaskList[0].PublishStatus != wecom.MomentPublished {
		t.Fatalf("moment tasks = %+v", mt)
	}
	_, err = e.client.AddMomentTask(ctx, wecom.AddMomentTaskRequest{})
	wantCode(t, err, wecom.CodeEmptyMoment)
	// Media expire after 3 days.
	e.sim.Advance(3*24*time.Hour + time.Second)
	_, err = e.client.AddMomentTask(ctx, wecom.AddMomentTaskRequest{Attachments: []wecom.Attachment{{MsgType: "image", Image: &wecom.Image{MediaID: up.MediaID}}}})
	wantCode(t, err, wecom.CodeInvalidMediaID)

	// JS-SDK: the ticket signs a sidebar page; the simulated client accepts the signature.
	tk := must[*wecom.Ticket](t)(e.client.AgentConfigTicket(ctx))
	sig := wecom.JSAPISignature(tk.Ticket, "nonce1", 1700000000, "https://siyu.example/sidebar?x=1#top")
	if err := e.sim.VerifyJSAPI(JSAPIVerifyInput{URL: "https://siyu.example/sidebar?x=1", NonceStr: "nonce1", Timestamp: 1700000000, Signature: sig}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.sim.VerifyJSAPI(JSAPIVerifyInput{URL: "https://other.example/", NonceStr: "nonce1", Timestamp: 1700000000, Signature: sig}), wecom.CodeInvalidJSAPISignature)
}

func TestAcquisitionLinks(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ext := e.staffAndCustomer(t, "zhangsan", "x")
	_, err := e.client.CreateAcquisitionLink(ctx, wecom.CreateAcquisitionLinkRequest{LinkName: "抖音投放"})
	wantCode(t, err, wecom.CodeInvalidParameter)
	l := must[*wecom.AcquisitionLink](t)(e.client.CreateAcquisitionLink(ctx, wecom.CreateAcquisitionLinkRequest{
		LinkName: "抖音投放", Range: wecom.AcquisitionRange{UserList: []string{"zhangsan"}}, SkipVerify: true}))
	if l.LinkID == "" || !strings.Contains(l.URL, l.LinkID) {
		t.Fatalf("link = %+v", l)
	}
	res := must[*AddResult](t)(e.sim.ClickAcquisitionLink(l.LinkID, ext, "douyin-ad-7"))
	ev := e.rv.next(t, wecom.ChangeAddExternalContact).(*wecom.ExternalContactEvent)
	if res.Result != AddResultAdded || ev.State != "douyin-ad-7" || ev.WelcomeCode == "" {
		t.Fatalf("click = %+v, event %+v", res, ev)
	}
	got := must[*wecom.GetExternalContactResponse](t)(e.client.GetExternalContact(ctx, ext, ""))
	if got.FollowUser[0].AddWay != wecom.AddWayAcquisition {
		t.Fatalf("add_way = %d", got.FollowUser[0].AddWay)
	}
	if err := e.client.UpdateAcquisitionLink(ctx, wecom.UpdateAcquisitionLinkRequest{LinkID: l.LinkID, LinkName: "抖音-2"}); err != nil {
		t.Fatal(err)
	}
	d := must[*wecom.AcquisitionLinkDetail](t)(e.client.GetAcquisitionLink(ctx, l.LinkID))
	if d.Link.LinkName != "抖音-2" || !d.Link.SkipVerify || d.Range.UserList[0] != "zhangsan" {
		t.Fatalf("get = %+v", d)
	}
	ids := must[*wecom.ListAcquisitionLinksResponse](t)(e.client.ListAcquisitionLinks(ctx, 10, ""))
	if len(ids.LinkIDList) != 1 {
		t.Fatalf("list = %+v", ids)
	}
	if err := e.client.DeleteAcquisitionLink(ctx, l.LinkID); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetAcquisitionLink(ctx, l.LinkID)
	wantCode(t, err, wecom.CodeInvalidParameter)
}

func TestDirectoryAPI(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d := must[*Department](t)(e.sim.AddDepartment(Department{Name: "华东"}))
	sub := must[*Department](t)(e.sim.AddDepartment(Department{Name: "上海店", ParentID: d.ID}))
	must[*Staff](t)(e.sim.AddStaff(StaffInput{UserID: "guide1", Name: "导购一", Department: []int64{sub.ID}, Mobile: "13800000000"}))
	ev := e.rv.next(t, wecom.ChangeCreateUser).(*wecom.ContactEvent)
	if ev.UserID != "guide1" || !slices.Equal(ev.Department, wecom.IntList{sub.ID}) {
		t.Fatalf("create_user = %+v", ev)
	}
	depts := must[[]wecom.Department](t)(e.client.ListDepartments(ctx, d.ID))
	if len(depts) != 2 || depts[1].ParentID != d.ID {
		t.Fatalf("department/list = %+v", depts)
	}
	all := must[[]wecom.DepartmentID](t)(e.client.ListDepartmentIDs(ctx, 0))
	if len(all) != 3 {
		t.Fatalf("simplelist = %+v", all)
	}
	u := must[*wecom.User](t)(e.client.GetUser(ctx, "guide1"))
	if u.Name != "导购一" || u.MainDepartment != sub.ID || u.Status != 1 {
		t.Fatalf("user/get = %+v", u)
	}
	ids := must[*wecom.ListUserIDsResponse](t)(e.client.ListUserIDs(ctx, wecom.ListUserIDsRequest{Limit: 10}))
	if len(ids.DeptUser) != 1 || ids.DeptUser[0].UserID != "guide1" {
		t.Fatalf("list_id = %+v", ids)
	}
	if err := e.sim.ResignStaff("guide1"); err != nil {
		t.Fatal(err)
	}
	e.rv.next(t, wecom.ChangeDeleteUser)
	_, err := e.client.GetUser(ctx, "guide1")
	wantCode(t, err, wecom.CodeUserIDNotFound)
}

// TestConcurrentUse drives the simulator from many goroutines at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.staffAndCustomer(t, "zhangsan", "seed")
	way := must[*wecom.AddContactWayResponse](t)(e.client.AddContactWay(ctx, wecom.AddContactWayRequest{Type: 1, Scene: 2, SkipVerify: true, User: []string{"zhangsan"}}))
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				c, err := e.sim.AddCustomer(CustomerInput{Name: "c"})
				if err == nil {
					_, err = e.sim.Scan(c.ExternalUserID, way.ConfigID)
				}
				if err == nil {
					_, err = e.client.GetExternalContact(ctx, c.ExternalUserID, "")
				}
				if err == nil {
					_, err = e.sim.Snapshot()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := e.sim.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	ids := must[[]string](t)(e.client.ListExternalContacts(ctx, "zhangsan"))
	if len(ids) != 100 {
		t.Fatalf("customers = %d, want 100", len(ids))
	}
	delivered := 0
	for _, ev := range e.sim.Events() {
		if ev.Status == DeliveryDelivered {
			delivered++
		}
	}
	if delivered != 101 { // 100 adds and the create_user
		t.Fatalf("delivered %d events, want 101", delivered)
	}
}

func TestDeterministicIDs(t *testing.T) {
	run := func() []string {
		sim := must[*Sim](t)(New(Config{Seed: 7, Logger: quietLogger()}))
		defer sim.Close()
		var ids []string
		for i := 0; i < 3; i++ {
			ids = append(ids, must[*Customer](t)(sim.AddCustomer(CustomerInput{Name: "c"})).ExternalUserID)
		}
		return ids
	}
	a, b := run(), run()
	if !slices.Equal(a, b) || a[0] == a[1] || !strings.HasPrefix(a[0], "wm") || len(a[0]) != 32 {
		t.Fatalf("ids %v vs %v", a, b)
	}
}
