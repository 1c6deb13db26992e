package wecomsync

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"wecom_app_not_configured": {Zh: "尚未配置企业微信自建应用（AgentId 和应用 Secret），无法发送应用消息", En: "The WeCom self-built app (agent id and app secret) is not configured; app messages cannot be sent"},
	})
}

// AppClient returns a client holding the token of the tenant's self-built app (its secret, not
// the customer-contact secret) and the app's agent id, for app messages (message/send). The
// client does not retry by itself: whoever sends owns the retry policy, since a message must
// not go out twice.
func (s *Service) AppClient(ctx context.Context, tenantID int64) (*wecom.Client, int64, error) {
	e, err := s.clientEntry(ctx, tenantID)
	if err != nil {
		return nil, 0, err
	}
	agent, perr := strconv.ParseInt(e.set.AgentID, 10, 64)
	if e.set.AppSecret == "" || perr != nil || agent <= 0 {
		return nil, 0, &httpx.Error{Code: httpx.Conflict, Key: "wecom_app_not_configured",
			Message: fmt.Sprintf("tenant %d has no WeCom app secret or agent id", tenantID)}
	}
	c, err := wecom.NewClient(wecom.Config{CorpID: e.set.CorpID, Secret: e.set.AppSecret, BaseURL: e.set.APIBaseURL,
		HTTPClient: &http.Client{Timeout: 15 * time.Second}, TokenCache: s.Tokens(tenantID), Logger: s.log, MaxRetries: -1})
	if err != nil {
		return nil, 0, fmt.Errorf("wecomsync: app client for tenant %d: %w", tenantID, err)
	}
	return c, agent, nil
}
