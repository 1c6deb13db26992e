package wecomsim

import (
	"context"
	"strings"
	"testing"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// TestSendAppMessage: message/send reaches the valid members, reports the invalid ones, and
// enforces agentid, content and recipient rules.
func TestSendAppMessage(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	must[*Staff](t)(e.sim.AddStaff(StaffInput{UserID: "mgr", Name: "店长"}))
	must[*Staff](t)(e.sim.AddStaff(StaffInput{UserID: "guide", Name: "导购"}))
	must[*Staff](t)(e.sim.AddStaff(StaffInput{UserID: "gone", Name: "离职"}))
	if err := e.sim.ResignStaff("gone"); err != nil {
		t.Fatal(err)
	}
	agent := e.sim.Apps()[0].AgentID
	text := func(s string) *wecom.Text { return &wecom.Text{Content: s} }

	resp, err := e.client.SendMessage(ctx, wecom.SendMessageRequest{ToUser: "guide|mgr|gone|nobody|guide", MsgType: "text", AgentID: agent, Text: text("客户流失提醒")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.MsgID == "" || resp.InvalidUser != "gone|nobody" {
		t.Errorf("response = %+v", resp)
	}
	msgs := e.sim.AppMessages()
	if len(msgs) != 1 || strings.Join(msgs[0].ToUser, ",") != "guide,mgr" || msgs[0].Text.Content != "客户流失提醒" || msgs[0].AgentID != agent {
		t.Errorf("recorded = %+v", msgs)
	}

	tests := []struct {
		name string
		req  wecom.SendMessageRequest
		code int
	}{
		{"no agentid", wecom.SendMessageRequest{ToUser: "guide", MsgType: "text", Text: text("x")}, wecom.CodeMissingAgentID},
		{"another app's agentid", wecom.SendMessageRequest{ToUser: "guide", MsgType: "text", AgentID: agent + 1, Text: text("x")}, wecom.CodeInvalidAgentID},
		{"empty content", wecom.SendMessageRequest{ToUser: "guide", MsgType: "text", AgentID: agent, Text: text(" ")}, wecom.CodeEmptyContent},
		{"content over 2048 bytes", wecom.SendMessageRequest{ToUser: "guide", MsgType: "text", AgentID: agent, Text: text(strings.Repeat("流", 683))}, wecom.CodeContentTooLarge},
		{"nobody valid", wecom.SendMessageRequest{ToUser: "gone|nobody", MsgType: "text", AgentID: agent, Text: text("x")}, wecom.CodeAllRecipientsInvalid},
		{"too many recipients", wecom.SendMessageRequest{ToUser: strings.Repeat("guide|", 1000) + "mgr", MsgType: "text", AgentID: agent, Text: text("x")}, wecom.CodeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.SendMessage(ctx, tt.req)
			wantCode(t, err, tt.code)
		})
	}
	if n := len(e.sim.AppMessages()); n != 1 {
		t.Errorf("rejected sends were recorded: %d messages", n)
	}
}
