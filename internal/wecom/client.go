package wecom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultBaseURL is the production API root.
const DefaultBaseURL = "https://qyapi.weixin.qq.com/cgi-bin/"

// maxResponseBody bounds how much of a response is read; the largest documented answers (pages of
// 1000 group chats or 100 customers with follow info) are well below it.
const maxResponseBody = 32 << 20

// Config configures a Client. CorpID and Secret are required; everything else has a default.
type Config struct {
	CorpID string
	// Secret is the secret of the app whose token this client uses (the customer-contact
	// secret, or a self-built app's secret). Each secret has its own token.
	Secret string
	// BaseURL is the API root, DefaultBaseURL unless pointed at the simulator.
	BaseURL string
	// HTTPClient defaults to a client with a 30 s timeout.
	HTTPClient *http.Client
	// TokenCache shares tokens between replicas. Defaults to an in-process cache, which is only
	// right for a single process.
	TokenCache TokenCache
	Logger     *slog.Logger
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// RefreshBefore renews a token this long before it expires (default 5 min), so a token is
	// never used in its last minutes while a request is in flight.
	RefreshBefore time.Duration
	// MaxRetries bounds the retries of a busy / rate-limited call (default 3, as WeCom advises;
	// negative disables retries).
	MaxRetries int
	// RetryBaseDelay and RetryMaxDelay shape the exponential back-off with full jitter
	// (defaults 200 ms and 5 s).
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
}

// Client calls the WeCom server API with one corp id and secret. It is safe for concurrent use.
type Client struct {
	base          *url.URL
	hc            *http.Client
	corpID        string
	secret        string
	cache         TokenCache
	tokenKey      string
	log           *slog.Logger
	now           func() time.Time
	refreshBefore time.Duration
	maxRetries    int
	baseDelay     time.Duration
	maxDelay      time.Duration

	// mu serialises token and ticket fetches inside this process, so that a burst of calls
	// with an expired token costs one gettoken, not one per call. Replicas may still race; the
	// shared cache makes that rare and WeCom tolerates it.
	mu sync.Mutex
	// ticketMu does the same for JS-SDK tickets. It is separate from mu because fetching a
	// ticket may itself need a token.
	ticketMu sync.Mutex
}

// NewClient validates cfg and returns a Client.
func NewClient(cfg Config) (*Client, error) {
	if cfg.CorpID == "" || cfg.Secret == "" {
		return nil, errors.New("wecom: new client: corp id and secret are required")
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	base, err := url.Parse(raw)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("wecom: new client: invalid base url %q", cfg.BaseURL)
	}
	c := &Client{
		base:          base,
		hc:            cfg.HTTPClient,
		corpID:        cfg.CorpID,
		secret:        cfg.Secret,
		cache:         cfg.TokenCache,
		log:           cfg.Logger,
		now:           cfg.Now,
		refreshBefore: cfg.RefreshBefore,
		maxRetries:    cfg.MaxRetries,
		baseDelay:     cfg.RetryBaseDelay,
		maxDelay:      cfg.RetryMaxDelay,
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if c.cache == nil {
		c.cache = NewMemoryTokenCache()
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.refreshBefore <= 0 {
		c.refreshBefore = 5 * time.Minute
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = 3
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.baseDelay <= 0 {
		c.baseDelay = 200 * time.Millisecond
	}
	if c.maxDelay <= 0 {
		c.maxDelay = 5 * time.Second
	}
	// The key names the corp and a digest of the secret: distinct secrets get distinct tokens,
	// and the secret itself never reaches the cache.
	sum := sha256.Sum256([]byte(cfg.CorpID + "\x00" + cfg.Secret))
	c.tokenKey = "wecom:" + cfg.CorpID + ":" + hex.EncodeToString(sum[:8])
	return c, nil
}

// CorpID returns the corp id the client was built with.
func (c *Client) CorpID() string { return c.corpID }

// AccessToken returns a valid access token, from the cache when it has one that is not about to
// expire, otherwise from gettoken (and then stores it in the cache).
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	return c.token(ctx, "")
}

// token returns a usable token other than stale (the one the server just rejected, if any).
func (c *Client) token(ctx context.Context, stale string) (string, error) {
	if tok, _, ok := c.cachedToken(ctx, c.tokenKey, stale); ok {
		return tok, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Another goroutine may have refreshed it while we waited for the lock.
	if tok, _, ok := c.cachedToken(ctx, c.tokenKey, stale); ok {
		return tok, nil
	}
	var resp struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	q := url.Values{"corpid": {c.corpID}, "corpsecret": {c.secret}}
	if err := c.call(ctx, request{method: http.MethodGet, path: "gettoken", query: q, read: true, noToken: true}, &resp); err != nil {
		return "", err
	}
	if resp.AccessToken == "" {
		return "", errors.New("wecom: gettoken: empty access_token in response")
	}
	exp := c.now().Add(time.Duration(resp.ExpiresIn) * time.Second)
	if err := c.cache.Put(ctx, c.tokenKey, resp.AccessToken, exp); err != nil {
		// The token is good; only sharing it failed. Use it and let the next caller retry the
		// cache.
		c.log.WarnContext(ctx, "wecom: store access token", slog.String("corp_id", c.corpID), slog.Any("err", err))
	}
	c.log.DebugContext(ctx, "wecom: fetched access token", slog.String("corp_id", c.corpID), slog.Time("expires_at", exp))
	return resp.AccessToken, nil
}

// cachedToken reads key from the cache and reports whether it holds a value other than stale
// that is valid for at least RefreshBefore. Cache errors are logged and treated as a miss, so
// a database hiccup degrades to extra gettoken calls instead of failed API calls.
func (c *Client) cachedToken(ctx context.Context, key, stale string) (string, time.Time, bool) {
	tok, exp, ok, err := c.cache.Get(ctx, key)
	if err != nil {
		c.log.WarnContext(ctx, "wecom: read token cache", slog.String("key", key), slog.Any("err", err))
		return "", time.Time{}, false
	}
	if !ok || tok == "" || tok == stale || !c.now().Add(c.refreshBefore).Before(exp) {
		return "", time.Time{}, false
	}
	return tok, exp, true
}

// request describes one API call.
type request struct {
	method      string
	path        string // relative to the base URL, e.g. "externalcontact/get"
	query       url.Values
	body        []byte
	contentType string
	// read marks calls that change nothing, so a transport error may be retried without
	// risking a duplicate write (a mass message sent twice).
	read    bool
	noToken bool
}

// call performs req with the token, retry and error rules, and decodes the answer into out
// (which may be nil). The rules: a token-expired code refreshes the token once and retries; a
// busy or rate-limit code is retried with back-off up to MaxRetries; a transport error or 5xx is
// retried the same way for read calls only; any other non-zero errcode is an *APIError.
func (c *Client) call(ctx context.Context, req request, out any) error {
	var (
		stale     string
		refreshed bool
		attempt   int
	)
	for {
		var tok string
		if !req.noToken {
			var err error
			if tok, err = c.token(ctx, stale); err != nil {
				return err
			}
		}
		start := c.now()
		raw, err := c.roundTrip(ctx, req, tok)
		if err != nil {
			if req.read && attempt < c.maxRetries && ctx.Err() == nil {
				c.log.WarnContext(ctx, "wecom: transport error, retrying", slog.String("path", req.path),
					slog.Int("attempt", attempt+1), slog.Any("err", err))
				if serr := c.sleep(ctx, attempt); serr != nil {
					return fmt.Errorf("wecom: %s: %w", req.path, err)
				}
				attempt++
				continue
			}
			return fmt.Errorf("wecom: %s: %w", req.path, err)
		}
		var status struct {
			ErrCode int    `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if err := json.Unmarshal(raw, &status); err != nil {
			return fmt.Errorf("wecom: %s: decode response: %w", req.path, err)
		}
		c.log.DebugContext(ctx, "wecom: call", slog.String("path", req.path), slog.Int("errcode", status.ErrCode),
			slog.Int("attempt", attempt), slog.Duration("took", c.now().Sub(start)))
		if status.ErrCode == 0 {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(raw, out); err != nil {
				return fmt.Errorf("wecom: %s: decode response: %w", req.path, err)
			}
			return nil
		}
		apiErr := &APIError{Code: status.ErrCode, Msg: status.ErrMsg, Path: req.path}
		switch {
		case IsTokenExpired(apiErr) && !req.noToken && !refreshed:
			refreshed, stale = true, tok
			c.log.InfoContext(ctx, "wecom: token rejected, refreshing", slog.String("path", req.path), slog.Int("errcode", apiErr.Code))
			continue
		case IsRetryable(apiErr) && attempt < c.maxRetries:
			c.log.WarnContext(ctx, "wecom: busy or rate limited, retrying", slog.String("path", req.path),
				slog.Int("errcode", apiErr.Code), slog.Int("attempt", attempt+1))
			if err := c.sleep(ctx, attempt); err != nil {
				return apiErr
			}
			attempt++
			continue
		}
		return apiErr
	}
}

// roundTrip sends one HTTP request and returns the body of a 2xx answer.
func (c *Client) roundTrip(ctx context.Context, req request, token string) ([]byte, error) {
	u := c.base.JoinPath(req.path)
	q := url.Values{}
	for k, v := range req.query {
		q[k] = v
	}
	if token != "" {
		q.Set("access_token", token)
	}
	u.RawQuery = q.Encode()
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if req.body != nil {
		ct := req.contentType
		if ct == "" {
			ct = "application/json; charset=utf-8"
		}
		hr.Header.Set("Content-Type", ct)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		// The URL in a *url.Error carries the token or secret; keep it out of errors and logs.
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("%s %s: %w", req.method, req.path, ue.Err)
		}
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("http status %d", resp.StatusCode)
	}
	return raw, nil
}

// sleep waits the back-off for attempt (0-based): full jitter over an exponentially growing,
// capped window, so that replicas hitting the same limit spread out.
func (c *Client) sleep(ctx context.Context, attempt int) error {
	d := c.baseDelay << min(attempt, 16)
	if d <= 0 || d > c.maxDelay {
		d = c.maxDelay
	}
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// get calls a GET endpoint.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	return c.call(ctx, request{method: http.MethodGet, path: path, query: q, read: true}, out)
}

// postRead calls a POST endpoint that only reads.
func (c *Client) postRead(ctx context.Context, path string, in, out any) error {
	return c.post(ctx, path, in, out, true)
}

// postWrite calls a POST endpoint that changes state; transport errors are not retried.
func (c *Client) postWrite(ctx context.Context, path string, in, out any) error {
	return c.post(ctx, path, in, out, false)
}

func (c *Client) post(ctx context.Context, path string, in, out any, read bool) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("wecom: %s: encode request: %w", path, err)
	}
	return c.call(ctx, request{method: http.MethodPost, path: path, body: body, read: read}, out)
}
