package wecomsync

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

type clientEntry struct {
	client *wecom.Client
	set    org.WeComSecrets
	loaded time.Time
}

// Settings returns a tenant's decrypted WeCom settings (cached like the clients).
func (s *Service) Settings(ctx context.Context, tenantID int64) (org.WeComSecrets, error) {
	e, err := s.clientEntry(ctx, tenantID)
	return e.set, err
}

// Client returns a tenant's WeCom API client: the customer-contact secret, the tenant's API base
// URL (the simulator in demos), and the database token cache shared by replicas.
func (s *Service) Client(ctx context.Context, tenantID int64) (*wecom.Client, error) {
	e, err := s.clientEntry(ctx, tenantID)
	return e.client, err
}

func (s *Service) clientEntry(ctx context.Context, tenantID int64) (clientEntry, error) {
	s.mu.RLock()
	e, ok := s.clients[tenantID]
	s.mu.RUnlock()
	if ok && s.now().Sub(e.loaded) < crypterTTL {
		return e, nil
	}
	set, err := s.org.WeComSecretsFor(ctx, tenantID)
	if err != nil && httpx.ErrorCode(err) != httpx.NotFound {
		return clientEntry{}, err
	}
	secret := set.ContactSecret
	if secret == "" {
		secret = set.AppSecret
	}
	if set.CorpID == "" || secret == "" {
		// A user-fixable state, so every caller (API, sync, event processing) reports it the same way.
		return clientEntry{}, &httpx.Error{Code: httpx.Conflict, Key: "wecom_not_configured",
			Message: fmt.Sprintf("tenant %d has no WeCom corp id or secret", tenantID)}
	}
	c, err := wecom.NewClient(wecom.Config{CorpID: set.CorpID, Secret: secret, BaseURL: set.APIBaseURL,
		HTTPClient: &http.Client{Timeout: 15 * time.Second}, TokenCache: s.Tokens(tenantID), Logger: s.log})
	if err != nil {
		return clientEntry{}, fmt.Errorf("wecomsync: client for tenant %d: %w", tenantID, err)
	}
	e = clientEntry{client: c, set: set, loaded: s.now()}
	s.mu.Lock()
	s.clients[tenantID] = e
	s.mu.Unlock()
	return e, nil
}
