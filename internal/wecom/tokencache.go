package wecom

import (
	"context"
	"sync"
	"time"
)

// TokenCache stores access tokens (and JS-SDK tickets) so that every replica of Siyu uses the same
// one: WeCom limits how often gettoken may be called, and each call may invalidate nothing but
// still counts. The production implementation lives with the database; MemoryTokenCache is for
// tests and single-process tools.
//
// Get reports ok=false (and no error) when the key is absent. Implementations must be safe for
// concurrent use. Keys are opaque strings of at most 100 bytes.
type TokenCache interface {
	Get(ctx context.Context, key string) (token string, expiresAt time.Time, ok bool, err error)
	Put(ctx context.Context, key, token string, expiresAt time.Time) error
}

// MemoryTokenCache is an in-process TokenCache. It is not shared between processes, so it must
// not be used by replicated servers.
type MemoryTokenCache struct {
	mu sync.Mutex
	m  map[string]memoryToken
}

type memoryToken struct {
	token     string
	expiresAt time.Time
}

// NewMemoryTokenCache returns an empty in-memory cache.
func NewMemoryTokenCache() *MemoryTokenCache {
	return &MemoryTokenCache{m: make(map[string]memoryToken)}
}

// Get implements TokenCache.
func (c *MemoryTokenCache) Get(_ context.Context, key string) (string, time.Time, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[key]
	return t.token, t.expiresAt, ok, nil
}

// Put implements TokenCache.
func (c *MemoryTokenCache) Put(_ context.Context, key, token string, expiresAt time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = memoryToken{token: token, expiresAt: expiresAt}
	return nil
}
