package acquisition

// Short links and SMS campaigns (短链与短信). A short link points at a live code of a channel;
// each recipient has their own token, so /s/{token} counts their clicks (all of them, and the
// first one as a unique click) before it answers as the code's landing /l/{slug} does. An SMS
// campaign imports a phone list, makes one link for it and sends every recipient a message with
// their own link from a template; a background worker sends in batches at the tenant's rate,
// retries transient provider failures and never sends twice to a recipient. Phones that replied
// T/TD (回T退订) are on the tenant's opt-out list and are never sent to again. A recipient
// converts when, after their first click, a customer with their phone was added by any staff.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/sms"
	"github.com/siyu-scrm/siyu/internal/store"
)

// OutreachOptions tune an Outreach; the zero value is production.
type OutreachOptions struct {
	Now func() time.Time
	// Poll is how often the worker looks for messages due (default 2 s).
	Poll time.Duration
	// Batch is how many recipients of a campaign are claimed at once (default 100).
	Batch int
	// MaxAttempts is how often a transient failure is tried (default 5); Backoff the first
	// retry's delay, doubled each time (default 1 minute).
	MaxAttempts int
	Backoff     time.Duration
	// Provider replaces sms.New (tests).
	Provider func(sms.Config) (sms.Provider, error)
	// Wait replaces the rate limiter's sleep (tests).
	Wait func(ctx context.Context, d time.Duration) error
}

// Outreach holds short links, SMS campaigns, the opt-out list and the SMS settings.
type Outreach struct {
	acq  *Service
	db   *store.DB
	box  *seal.Box
	log  *slog.Logger
	opts OutreachOptions

	wg      sync.WaitGroup
	wake    chan struct{}
	limitMu sync.Mutex
	nextAt  map[int64]time.Time // tenant -> when its next message may go
}

// NewOutreach returns the short-link and SMS service over the acquisition service.
func NewOutreach(acq *Service, box *seal.Box, log *slog.Logger, opts OutreachOptions) *Outreach {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Poll <= 0 {
		opts.Poll = 2 * time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 100
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Minute
	}
	if opts.Provider == nil {
		opts.Provider = func(c sms.Config) (sms.Provider, error) { return sms.New(c, log, nil) }
	}
	if opts.Wait == nil {
		opts.Wait = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	return &Outreach{acq: acq, db: acq.db, box: box, log: log, opts: opts, wake: make(chan struct{}, 1), nextAt: map[int64]time.Time{}}
}

func (o *Outreach) clock() time.Time { return o.opts.Now().UTC().Truncate(time.Microsecond) }

// OptOutText is what every campaign message ends with (Chinese SMS rules require a way out).
const OptOutText = "回T退订"

// Template variables.
var templateVars = []string{"name", "link", "phone4"}

var varRE = regexp.MustCompile(`\{([a-z0-9_]*)\}`)

// NormalizeTemplate trims a template and appends the opt-out text when it does not end with it.
func NormalizeTemplate(t string) string {
	t = strings.TrimSpace(t)
	if t != "" && !strings.HasSuffix(t, OptOutText) {
		t += " " + OptOutText
	}
	return t
}

// checkTemplate validates a (normalised) template: its variables are known and {link} is there.
func checkTemplate(v *httpx.Validator, field, t string) {
	switch {
	case t == "":
		v.Add(field, "required")
		return
	case len([]rune(t)) > 500:
		v.AddLimit(field, "too_long", 500)
		return
	}
	for _, m := range varRE.FindAllStringSubmatch(t, -1) {
		known := false
		for _, k := range templateVars {
			known = known || m[1] == k
		}
		if !known {
			v.Add(field, "unknown_variable")
			return
		}
	}
	if !strings.Contains(t, "{link}") {
		v.Add(field, "needs_link")
	}
}

// Render fills a template for one recipient and returns the text and the variables in the order
// they appear (for providers' template parameters).
func Render(template, name, phone, link string) (string, []sms.Param) {
	vals := map[string]string{"name": name, "link": link, "phone4": phone[max(0, len(phone)-4):]}
	var params []sms.Param
	seen := map[string]bool{}
	text := varRE.ReplaceAllStringFunc(template, func(m string) string {
		k := m[1 : len(m)-1]
		val, ok := vals[k]
		if !ok {
			return m
		}
		if !seen[k] {
			seen[k] = true
			params = append(params, sms.Param{Name: k, Value: val})
		}
		return val
	})
	return text, params
}

// ShortURL is a recipient's short link under a base URL (scheme://host).
func ShortURL(base, token string) string { return strings.TrimSuffix(base, "/") + "/s/" + token }

// BaseURL is scheme://host of the request as the client saw it (proxies' X-Forwarded-* win).
func BaseURL(r *http.Request) string {
	return strings.TrimSuffix(LandingURL(r, ""), "/l/")
}

// SMSSettings is what the console sees of a tenant's SMS provider settings.
type SMSSettings struct {
	Provider      string     `json:"provider" doc:"log (writes to the server log; nothing is sent), aliyun or tencent; empty = not configured"`
	AccessKeyID   string     `json:"access_key_id" doc:"Aliyun AccessKeyId or Tencent SecretId"`
	SecretSet     bool       `json:"secret_set"`
	SignName      string     `json:"sign_name"`
	TemplateCode  string     `json:"template_code" doc:"Aliyun TemplateCode or Tencent TemplateId of the approved template"`
	SdkAppID      string     `json:"sdk_app_id" doc:"Tencent SmsSdkAppId"`
	Region        string     `json:"region"`
	Endpoint      string     `json:"endpoint" doc:"API root override; empty = the provider's"`
	RatePerSecond int        `json:"rate_per_second"`
	UpdatedAt     *time.Time `json:"updated_at"`
}

// SMSSettingsInput replaces the settings; an empty secret keeps the stored one.
type SMSSettingsInput struct {
	Provider      string `json:"provider"`
	AccessKeyID   string `json:"access_key_id,omitempty"`
	AccessSecret  string `json:"access_secret,omitempty"`
	SignName      string `json:"sign_name,omitempty"`
	TemplateCode  string `json:"template_code,omitempty"`
	SdkAppID      string `json:"sdk_app_id,omitempty"`
	Region        string `json:"region,omitempty"`
	Endpoint      string `json:"endpoint,omitempty"`
	RatePerSecond int    `json:"rate_per_second,omitempty" doc:"1-1000 messages a second (default 10)"`
}

var (
	regionRE = regexp.MustCompile(`^[a-z0-9-]{0,32}$`)
	appIDRE  = regexp.MustCompile(`^[0-9]{1,20}$`)
)

func secretAAD(tenantID int64) string { return fmt.Sprintf("tenant:%d:sms_secret_enc", tenantID) }

// Settings returns the caller's tenant SMS settings without the secret.
func (o *Outreach) Settings(ctx context.Context) (SMSSettings, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return SMSSettings{}, err
	}
	var out SMSSettings
	var secret string
	var updated time.Time
	err = o.db.QueryRowContext(ctx, `SELECT provider, access_key_id, secret_enc, sign_name, template_code, sdk_app_id, region, endpoint, rate_per_second, updated_at
		FROM sms_settings WHERE tenant_id = ?`, c.TenantID).Scan(&out.Provider, &out.AccessKeyID, &secret, &out.SignName, &out.TemplateCode,
		&out.SdkAppID, &out.Region, &out.Endpoint, &out.RatePerSecond, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("acquisition: sms settings: %w", err)
	}
	out.SecretSet, out.UpdatedAt = secret != "", &updated
	return out, nil
}

// SetSettings validates and stores the caller's tenant SMS settings, sealing the secret.
func (o *Outreach) SetSettings(ctx context.Context, in SMSSettingsInput) (SMSSettings, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return SMSSettings{}, err
	}
	var v httpx.Validator
	in.Provider = strings.TrimSpace(in.Provider)
	v.OneOf("provider", in.Provider, sms.ProviderLog, sms.ProviderAliyun, sms.ProviderTencent)
	in.AccessKeyID = v.Text("access_key_id", in.AccessKeyID, false, 128)
	in.SignName = v.Text("sign_name", in.SignName, false, 32)
	in.TemplateCode = v.Text("template_code", in.TemplateCode, false, 64)
	in.SdkAppID = strings.TrimSpace(in.SdkAppID)
	in.Region = strings.TrimSpace(in.Region)
	in.Endpoint = strings.TrimSpace(in.Endpoint)
	if len(in.AccessSecret) > 256 {
		v.AddLimit("access_secret", "too_long", 256)
	}
	v.Check(in.SdkAppID == "" || appIDRE.MatchString(in.SdkAppID), "sdk_app_id", "invalid")
	v.Check(regionRE.MatchString(in.Region), "region", "invalid")
	if in.Endpoint != "" {
		u, err := url.Parse(in.Endpoint)
		v.Check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "", "endpoint", "invalid")
	}
	if in.RatePerSecond == 0 {
		in.RatePerSecond = 10
	}
	v.Check(in.RatePerSecond >= 1 && in.RatePerSecond <= 1000, "rate_per_second", "out_of_range")
	var stored string
	err = o.db.QueryRowContext(ctx, `SELECT secret_enc FROM sms_settings WHERE tenant_id = ?`, c.TenantID).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return SMSSettings{}, fmt.Errorf("acquisition: sms settings: %w", err)
	}
	if in.Provider == sms.ProviderAliyun || in.Provider == sms.ProviderTencent {
		v.Check(in.AccessKeyID != "", "access_key_id", "required")
		v.Check(in.AccessSecret != "" || stored != "", "access_secret", "required")
		v.Check(in.SignName != "", "sign_name", "required")
		v.Check(in.TemplateCode != "", "template_code", "required")
	}
	if in.Provider == sms.ProviderTencent {
		v.Check(in.SdkAppID != "", "sdk_app_id", "required")
	}
	if err := v.Err(); err != nil {
		return SMSSettings{}, err
	}
	sealed := ""
	if in.AccessSecret != "" {
		if sealed, err = o.box.Seal(in.AccessSecret, secretAAD(c.TenantID)); err != nil {
			return SMSSettings{}, err
		}
	}
	_, err = o.db.ExecContext(ctx, `INSERT INTO sms_settings (tenant_id, provider, access_key_id, secret_enc, sign_name, template_code, sdk_app_id, region, endpoint, rate_per_second, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET provider = excluded.provider, access_key_id = excluded.access_key_id,
		secret_enc = COALESCE(NULLIF(excluded.secret_enc, ''), sms_settings.secret_enc), sign_name = excluded.sign_name,
		template_code = excluded.template_code, sdk_app_id = excluded.sdk_app_id, region = excluded.region, endpoint = excluded.endpoint,
		rate_per_second = excluded.rate_per_second, updated_at = excluded.updated_at`,
		c.TenantID, in.Provider, in.AccessKeyID, sealed, in.SignName, in.TemplateCode, in.SdkAppID, in.Region, in.Endpoint, in.RatePerSecond, o.clock())
	if err != nil {
		return SMSSettings{}, fmt.Errorf("acquisition: save sms settings: %w", err)
	}
	return o.Settings(ctx)
}

// providerFor opens a tenant's settings for the worker; ok is false when there are none.
func (o *Outreach) providerFor(ctx context.Context, tenantID int64) (sms.Provider, int, bool, error) {
	var c sms.Config
	var enc string
	var rate int
	err := o.db.QueryRowContext(ctx, `SELECT provider, access_key_id, secret_enc, sign_name, template_code, sdk_app_id, region, endpoint, rate_per_second
		FROM sms_settings WHERE tenant_id = ?`, tenantID).Scan(&c.Provider, &c.AccessKeyID, &enc, &c.SignName, &c.TemplateCode, &c.SdkAppID, &c.Region, &c.Endpoint, &rate)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("acquisition: sms settings of tenant %d: %w", tenantID, err)
	}
	if enc != "" {
		if c.AccessSecret, err = o.box.Open(enc, secretAAD(tenantID)); err != nil {
			return nil, 0, false, fmt.Errorf("acquisition: open sms secret of tenant %d: %w", tenantID, err)
		}
	}
	p, err := o.opts.Provider(c)
	return p, rate, err == nil, err
}

// OptOut is one phone that asked not to receive messages.
type OptOut struct {
	Phone     string    `json:"phone"`
	Source    string    `json:"source" doc:"reply (回T退订) or manual"`
	Content   string    `json:"content" doc:"the reply that opted out"`
	CreatedAt time.Time `json:"created_at"`
}

// OptOutInput adds a phone to the opt-out list by hand.
type OptOutInput struct {
	Phone string `json:"phone"`
}

// ReplyInput is an inbound (uplink) SMS a provider pushed, relayed to the API.
type ReplyInput struct {
	Phone   string `json:"phone"`
	Content string `json:"content"`
}

// ReplyResult says whether a reply opted out.
type ReplyResult struct {
	Phone    string `json:"phone"`
	OptedOut bool   `json:"opted_out"`
}

// IsOptOutReply reports whether an inbound message asks to unsubscribe: T or TD (any case,
// surrounding spaces and punctuation ignored), or 退订.
func IsOptOutReply(content string) bool {
	c := strings.ToUpper(strings.Trim(strings.TrimSpace(content), " .。!！"))
	return c == "T" || c == "TD" || c == "退订"
}

func (o *Outreach) addOptOut(ctx context.Context, tenantID int64, phone, source, content string) error {
	_, err := o.db.ExecContext(ctx, `INSERT INTO sms_optouts (tenant_id, phone, source, content, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, phone) DO NOTHING`, tenantID, phone, source, content, o.clock())
	if err != nil {
		return fmt.Errorf("acquisition: opt out %s: %w", phone, err)
	}
	return nil
}

// AddOptOut puts a phone on the caller's tenant opt-out list (again is a no-op).
func (o *Outreach) AddOptOut(ctx context.Context, in OptOutInput) (OptOut, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return OptOut{}, err
	}
	phone, ok := org.NormalizeMobile(in.Phone)
	if !ok || phone == "" {
		return OptOut{}, httpx.FieldErr("phone", "invalid")
	}
	if err := o.addOptOut(ctx, c.TenantID, phone, "manual", ""); err != nil {
		return OptOut{}, err
	}
	var out OptOut
	err = o.db.QueryRowContext(ctx, `SELECT phone, source, content, created_at FROM sms_optouts WHERE tenant_id = ? AND phone = ?`, c.TenantID, phone).
		Scan(&out.Phone, &out.Source, &out.Content, &out.CreatedAt)
	return out, err
}

// Reply records an inbound message: T/TD/退订 puts its phone on the opt-out list.
func (o *Outreach) Reply(ctx context.Context, in ReplyInput) (ReplyResult, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return ReplyResult{}, err
	}
	var v httpx.Validator
	phone, ok := org.NormalizeMobile(in.Phone)
	v.Check(ok && phone != "", "phone", "invalid")
	content := v.Text("content", in.Content, true, 500)
	if err := v.Err(); err != nil {
		return ReplyResult{}, err
	}
	out := ReplyResult{Phone: phone, OptedOut: IsOptOutReply(content)}
	if out.OptedOut {
		if err := o.addOptOut(ctx, c.TenantID, phone, "reply", content); err != nil {
			return ReplyResult{}, err
		}
	}
	return out, nil
}

// OptOuts lists the caller's tenant opt-out list, newest first (phones masked for analysts).
func (o *Outreach) OptOuts(ctx context.Context) ([]OptOut, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := o.db.QueryContext(ctx, `SELECT phone, source, content, created_at FROM sms_optouts WHERE tenant_id = ? ORDER BY created_at DESC, phone LIMIT 5000`, c.TenantID)
	if err != nil {
		return nil, fmt.Errorf("acquisition: opt-outs: %w", err)
	}
	defer rows.Close()
	personal := org.ScopeOf(c).PersonalData
	out := []OptOut{}
	for rows.Next() {
		var m OptOut
		if err := rows.Scan(&m.Phone, &m.Source, &m.Content, &m.CreatedAt); err != nil {
			return nil, err
		}
		if !personal {
			m.Phone = org.MaskMobile(m.Phone)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"field.unknown_variable": {Zh: "含有不支持的变量（可用：{name}、{link}、{phone4}）", En: "has an unknown variable (use {name}, {link}, {phone4})"},
		"field.needs_link":       {Zh: "必须包含短链变量 {link}", En: "must contain the {link} variable"},
		"field.duplicate":        {Zh: "与前面的行重复", En: "repeats an earlier row"},
		"sms_not_configured":     {Zh: "请先在设置中配置短信服务商", En: "Configure an SMS provider in the settings first"},
		"campaign_finished":      {Zh: "该短信活动已结束", En: "This SMS campaign has already ended"},
	})
}
