package wecom

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The fixtures in testdata/events follow the examples of 事件格式 (document 92130) and
// 通讯录回调通知 (90970/90971/90972); MemChangeList comes in both the <Item> and the older
// comma-separated form.
func TestParseEvent(t *testing.T) {
	hdr := func(event, change string) EventHeader {
		return EventHeader{ToUserName: "ww55ca070cb9b7eb22", FromUserName: "sys", CreateTime: 1403610513,
			MsgType: "event", Event: event, ChangeType: change}
	}
	const ext = "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA"
	const chat = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
	tests := []struct {
		file string
		want Event
		key  string
	}{
		{"add_external_contact.xml", &ExternalContactEvent{EventHeader: hdr(EventChangeExternalContact, ChangeAddExternalContact),
			UserID: "zhangsan", ExternalUserID: ext, State: "teststate", WelcomeCode: "WELCOMECODE"},
			"sys|1403610513|change_external_contact|add_external_contact|zhangsan|" + ext},
		{"edit_external_contact.xml", &ExternalContactEvent{EventHeader: hdr(EventChangeExternalContact, ChangeEditExternalContact),
			UserID: "zhangsan", ExternalUserID: ext}, ""},
		{"add_half_external_contact.xml", &ExternalContactEvent{EventHeader: hdr(EventChangeExternalContact, ChangeAddHalfExternalContact),
			UserID: "zhangsan", ExternalUserID: ext, State: "teststate", WelcomeCode: "WELCOMECODE"}, ""},
		{"del_external_contact.xml", &ExternalContactEvent{EventHeader: hdr(EventChangeExternalContact, ChangeDelExternalContact),
			UserID: "zhangsan", ExternalUserID: ext, Source: SourceDeleteByTransfer}, ""},
		{"del_follow_user.xml", &ExternalContactEvent{EventHeader: hdr(EventChangeExternalContact, ChangeDelFollowUser),
			UserID: "zhangsan", ExternalUserID: ext}, ""},
		{"transfer_fail.xml", &ExternalContactEvent{EventHeader: hdr(EventChangeExternalContact, ChangeTransferFail),
			UserID: "zhangsan", ExternalUserID: ext, FailReason: FailReasonCustomerRefused}, ""},
		{"chat_create.xml", &ExternalChatEvent{EventHeader: hdr(EventChangeExternalChat, ChangeCreate), ChatID: chat}, ""},
		{"chat_update_add_member.xml", &ExternalChatEvent{EventHeader: hdr(EventChangeExternalChat, ChangeUpdate), ChatID: chat,
			UpdateDetail: UpdateAddMember, JoinScene: 3, MemChangeCnt: 2, MemChangeList: ItemList{"Jack", "wmRose"},
			LastMemVer: "9c3f97c2ada667dfb5f6d03308d963e1", CurMemVer: "71217227bbd112ecfe3a49c482195cb4"},
			"sys|1403610513|change_external_chat|update|" + chat + "|add_member|71217227bbd112ecfe3a49c482195cb4"},
		{"chat_update_del_member_legacy.xml", &ExternalChatEvent{EventHeader: hdr(EventChangeExternalChat, ChangeUpdate), ChatID: chat,
			UpdateDetail: UpdateDelMember, QuitScene: 1, MemChangeCnt: 2, MemChangeList: ItemList{"Jack", "wmRose"},
			LastMemVer: "71217227bbd112ecfe3a49c482195cb4", CurMemVer: "0e1b1e3b8d5a4c6f9e2a7b1c3d4e5f60"}, ""},
		{"chat_dismiss.xml", &ExternalChatEvent{EventHeader: hdr(EventChangeExternalChat, ChangeDismiss), ChatID: chat}, ""},
		{"tag_create.xml", &ExternalTagEvent{EventHeader: hdr(EventChangeExternalTag, ChangeCreate), ID: "etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA", TagType: TagTypeTag},
			"sys|1403610513|change_external_tag|create|tag|etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA|"},
		{"tag_update.xml", &ExternalTagEvent{EventHeader: hdr(EventChangeExternalTag, ChangeUpdate), ID: "etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA", TagType: TagTypeTag}, ""},
		{"tag_delete.xml", &ExternalTagEvent{EventHeader: hdr(EventChangeExternalTag, ChangeDelete), ID: "etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA", TagType: TagTypeTag}, ""},
		{"tag_shuffle.xml", &ExternalTagEvent{EventHeader: hdr(EventChangeExternalTag, ChangeShuffle), ID: "etAJ2GCAAAXtWyujaWJHDDGi0mACAAAA", StrategyID: "1"}, ""},
		{"tag_group_create_strategy.xml", &ExternalTagEvent{EventHeader: hdr(EventChangeExternalTag, ChangeCreate), ID: "etAJ2GCAAAXtWyujaWJHDDGi0mACGAAA", TagType: TagTypeTagGroup, StrategyID: "2"}, ""},
		{"contact_create_user.xml", &ContactEvent{EventHeader: hdr(EventChangeContact, ChangeCreateUser), UserID: "zhangsan", Name: "张三",
			Department: IntList{1, 2, 3}, MainDepartment: 1, IsLeaderInDept: IntList{1, 0, 0}, DirectLeader: ItemList{"lisi", "wangwu"},
			Position: "产品经理", Mobile: "13800000000", Gender: "1", BizMail: "zhangsan@qyycs2.wecom.work", Email: "zhangsan@gzdev.com",
			Status: 1, Avatar: "http://wx.qlogo.cn/mmopen/ajNVdqHZLLA3WJ6DSZUfiakYe37PKnQhBIeOQBO4czqrnZDS79FH5Wm5m4X69TBicnHFlhiafvDwklOpZeXYQQ2icg/0",
			Alias: "zhangsan", Telephone: "020-123456", Address: "广州市"},
			"sys|1403610513|change_contact|create_user|zhangsan||0|0"},
		{"contact_update_user.xml", &ContactEvent{EventHeader: hdr(EventChangeContact, ChangeUpdateUser), UserID: "zhangsan", NewUserID: "zhangsan001",
			Name: "张三", Department: IntList{1, 2}}, ""},
		{"contact_delete_user.xml", &ContactEvent{EventHeader: hdr(EventChangeContact, ChangeDeleteUser), UserID: "zhangsan"}, ""},
		{"contact_create_party.xml", &ContactEvent{EventHeader: hdr(EventChangeContact, ChangeCreateParty), ID: 2, Name: "张三", ParentID: 1, Order: 1},
			"sys|1403610513|change_contact|create_party|||2|0"},
		{"contact_update_party.xml", &ContactEvent{EventHeader: hdr(EventChangeContact, ChangeUpdateParty), ID: 2, Name: "张三", ParentID: 1}, ""},
		{"contact_delete_party.xml", &ContactEvent{EventHeader: hdr(EventChangeContact, ChangeDeleteParty), ID: 2}, ""},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseEvent(readEvent(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseEvent mismatch (-want +got):\n%s", diff)
			}
			key := got.DedupKey()
			if tt.key != "" && key != tt.key {
				t.Errorf("DedupKey = %q, want %q", key, tt.key)
			}
			if prev, dup := seen[key]; dup {
				t.Errorf("DedupKey %q shared with %s", key, prev)
			}
			seen[key] = tt.file
		})
	}
}

func TestParseEventUnknown(t *testing.T) {
	tests := []struct {
		file, event, msgType, key string
	}{
		{"unknown_event.xml", "change_app_admin", "event", ""},
		{"text_message.xml", "", "text", "zhangsan|1348831860|text|||1234567890123456"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readEvent(t, tt.file)
			ev, err := ParseEvent(raw)
			if err != nil {
				t.Fatal(err)
			}
			u, ok := ev.(*UnknownEvent)
			if !ok {
				t.Fatalf("got %T, want *UnknownEvent", ev)
			}
			if u.Event != tt.event || u.MsgType != tt.msgType || string(u.Raw) != string(raw) {
				t.Fatalf("got %+v", u.EventHeader)
			}
			if tt.key != "" && u.DedupKey() != tt.key {
				t.Fatalf("DedupKey = %q, want %q", u.DedupKey(), tt.key)
			}
			again, _ := ParseEvent(raw)
			if again.DedupKey() != u.DedupKey() {
				t.Fatal("DedupKey is not stable")
			}
		})
	}
}

func TestParseEventMalformed(t *testing.T) {
	tests := []struct{ name, xml string }{
		{"not xml", "hello"},
		{"empty", ""},
		{"bad create time", "<xml><CreateTime>soon</CreateTime></xml>"},
		{"bad department", "<xml><Event>change_contact</Event><Department>1,x</Department></xml>"},
		{"bad join scene", "<xml><Event>change_external_chat</Event><JoinScene>x</JoinScene></xml>"},
		{"truncated", "<xml><Event>change_external_contact</Event><UserID>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseEvent([]byte(tt.xml)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestDedupKeyEscapes(t *testing.T) {
	a := &ExternalContactEvent{EventHeader: EventHeader{FromUserName: "sys", Event: "e", ChangeType: "c"}, UserID: "a|b", ExternalUserID: "c"}
	b := &ExternalContactEvent{EventHeader: EventHeader{FromUserName: "sys", Event: "e", ChangeType: "c"}, UserID: "a", ExternalUserID: "b|c"}
	if a.DedupKey() == b.DedupKey() {
		t.Fatalf("distinct events share key %q", a.DedupKey())
	}
}

func FuzzParseEvent(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "events"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(readEvent(f, e.Name()))
	}
	f.Add([]byte("<xml><Event>change_external_chat</Event><MemChangeList><Item><Item>x</Item></Item>,,</MemChangeList></xml>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseEvent(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		_ = ev.DedupKey()
		_ = ev.Header()
	})
}
