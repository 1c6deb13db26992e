package customer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// The WeCom sidebar (聊天工具栏) is a page of the console (/sidebar) that the WeCom client opens
// beside a customer chat. To learn which customer that is, the page calls wx.agentConfig —
// signed with the self-built app's jsapi ticket (ticket/get?type=agent_config) — and then
// wx.invoke('getCurExternalContact'). This file signs; the page and the customer lookup do the rest.

// AgentConfig is what wx.agentConfig needs for one page URL.
type AgentConfig struct {
	CorpID    string `json:"corp_id"`
	AgentID   int64  `json:"agent_id"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonce_str"`
	Signature string `json:"signature" doc:"sha1 of jsapi_ticket, noncestr, timestamp and url (without the fragment)"`
}

// appClients gives the self-built app's client (the wecomsync service has it); the app, not the
// customer-contact secret, holds the ticket wx.agentConfig is signed with.
type appClients interface {
	AppClient(ctx context.Context, tenantID int64) (*wecom.Client, int64, error)
}

// SidebarAgentConfig signs wx.agentConfig for the sidebar page at pageURL (the page's own URL,
// as the browser has it). 409 when the tenant's self-built app is not configured.
func (s *Service) SidebarAgentConfig(ctx context.Context, pageURL string) (AgentConfig, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return AgentConfig{}, err
	}
	u, perr := url.Parse(pageURL)
	switch {
	case pageURL == "":
		return AgentConfig{}, httpx.FieldErr("url", "required")
	case len(pageURL) > 2000:
		return AgentConfig{}, httpx.FieldErr("url", "too_long")
	case perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return AgentConfig{}, httpx.FieldErr("url", "invalid")
	}
	apps, ok := s.wecom.(appClients)
	if !ok {
		return AgentConfig{}, fmt.Errorf("customer: the WeCom service gives no app client")
	}
	client, agentID, err := apps.AppClient(ctx, c.TenantID)
	if err != nil {
		return AgentConfig{}, err
	}
	set, err := s.wecom.Settings(ctx, c.TenantID)
	if err != nil {
		return AgentConfig{}, err
	}
	ticket, err := client.AgentConfigTicket(ctx)
	if err != nil {
		return AgentConfig{}, wecomRejected(err)
	}
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	out := AgentConfig{CorpID: set.CorpID, AgentID: agentID, Timestamp: s.clock().Unix(), NonceStr: hex.EncodeToString(nonce)}
	out.Signature = wecom.JSAPISignature(ticket.Ticket, out.NonceStr, out.Timestamp, pageURL)
	return out, nil
}

func (s *Service) handleAgentConfig(w http.ResponseWriter, r *http.Request) error {
	out, err := s.SidebarAgentConfig(r.Context(), r.URL.Query().Get("url"))
	return httpx.Reply(w, http.StatusOK, out, err)
}
