package wecomsync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// TokenCache is a tenant's wecom.TokenCache in the database, so every replica uses the same
// access token instead of each fetching its own (WeCom limits gettoken). Tokens are sealed at
// rest like the secrets that obtain them.
type TokenCache struct {
	s        *Service
	tenantID int64
}

// tokenMemo keeps a token read from the database in memory for a short while, so every API call
// does not become a database read. It is a cache of the shared row, never the truth: another
// replica's refresh reaches this one within tokenMemoTTL, or at once through the client's
// refresh-on-expired-token rule.
type tokenMemo struct {
	token   string
	expires time.Time
	read    time.Time
}

const tokenMemoTTL = time.Minute

var _ wecom.TokenCache = (*TokenCache)(nil)

// Tokens returns the token cache of a tenant.
func (s *Service) Tokens(tenantID int64) *TokenCache { return &TokenCache{s: s, tenantID: tenantID} }

func memoKey(tenantID int64, key string) string { return fmt.Sprintf("%d\x00%s", tenantID, key) }

func (c *TokenCache) aad(key string) string {
	return fmt.Sprintf("tenant:%d:wecom_token:%s", c.tenantID, key)
}

// Get implements wecom.TokenCache.
func (c *TokenCache) Get(ctx context.Context, key string) (string, time.Time, bool, error) {
	if v, ok := c.s.tokenMemo.Load(memoKey(c.tenantID, key)); ok {
		m := v.(tokenMemo)
		if time.Since(m.read) < tokenMemoTTL && m.expires.After(c.s.now()) {
			return m.token, m.expires, true, nil
		}
	}
	var enc string
	var expires time.Time
	err := c.s.db.QueryRowContext(ctx, `SELECT token_enc, expires_at FROM wecom_tokens WHERE tenant_id = ? AND key = ?`,
		c.tenantID, key).Scan(&enc, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("wecomsync: token %s: %w", key, err)
	}
	tok, err := c.s.box.Open(enc, c.aad(key))
	if err != nil {
		return "", time.Time{}, false, nil // unreadable (key rotated): fetch a new one
	}
	c.s.tokenMemo.Store(memoKey(c.tenantID, key), tokenMemo{token: tok, expires: expires, read: time.Now()})
	return tok, expires, true, nil
}

// Put implements wecom.TokenCache.
func (c *TokenCache) Put(ctx context.Context, key, token string, expiresAt time.Time) error {
	enc, err := c.s.box.Seal(token, c.aad(key))
	if err != nil {
		return err
	}
	_, err = c.s.db.ExecContext(ctx, `INSERT INTO wecom_tokens (tenant_id, key, token_enc, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id, key) DO UPDATE SET token_enc = excluded.token_enc, expires_at = excluded.expires_at`,
		c.tenantID, key, enc, expiresAt.UTC())
	if err != nil {
		return fmt.Errorf("wecomsync: save token %s: %w", key, err)
	}
	c.s.tokenMemo.Store(memoKey(c.tenantID, key), tokenMemo{token: token, expires: expiresAt, read: time.Now()})
	return nil
}
