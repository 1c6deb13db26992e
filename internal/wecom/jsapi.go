package wecom

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Ticket is a JS-SDK ticket.
type Ticket struct {
	Ticket    string
	ExpiresAt time.Time
}

// AgentConfigTicket returns the app's jsapi ticket for wx.agentConfig (GET
// ticket/get?type=agent_config, document 90506), shared through the TokenCache like the access
// token: WeCom limits ticket fetches too, and every replica must sign with the same ticket.
func (c *Client) AgentConfigTicket(ctx context.Context) (*Ticket, error) {
	key := c.tokenKey + ":ticket:agent_config"
	if tok, exp, ok := c.cachedToken(ctx, key, ""); ok {
		return &Ticket{Ticket: tok, ExpiresAt: exp}, nil
	}
	c.ticketMu.Lock()
	defer c.ticketMu.Unlock()
	if tok, exp, ok := c.cachedToken(ctx, key, ""); ok {
		return &Ticket{Ticket: tok, ExpiresAt: exp}, nil
	}
	var resp struct {
		Ticket    string `json:"ticket"`
		ExpiresIn int64  `json:"expires_in"`
	}
	if err := c.get(ctx, "ticket/get", url.Values{"type": {"agent_config"}}, &resp); err != nil {
		return nil, err
	}
	if resp.Ticket == "" {
		return nil, errors.New("wecom: ticket/get: empty ticket in response")
	}
	t := &Ticket{Ticket: resp.Ticket, ExpiresAt: c.now().Add(time.Duration(resp.ExpiresIn) * time.Second)}
	if err := c.cache.Put(ctx, key, t.Ticket, t.ExpiresAt); err != nil {
		c.log.WarnContext(ctx, "wecom: store jsapi ticket", slog.Any("err", err))
	}
	return t, nil
}

// JSAPISignature computes the JS-SDK signature that wx.config / wx.agentConfig check:
// sha1("jsapi_ticket=…&noncestr=…&timestamp=…&url=…") as lowercase hex. pageURL is the page's
// full URL without the fragment (anything from '#' on is dropped here, as the docs require).
func JSAPISignature(ticket, nonceStr string, timestamp int64, pageURL string) string {
	if i := strings.IndexByte(pageURL, '#'); i >= 0 {
		pageURL = pageURL[:i]
	}
	s := "jsapi_ticket=" + ticket + "&noncestr=" + nonceStr + "&timestamp=" + strconv.FormatInt(timestamp, 10) + "&url=" + pageURL
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
