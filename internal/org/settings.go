package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/httpx"
)

// WeComSettings is what the console sees of a tenant's WeCom configuration: ids in the clear,
// secrets only as "set or not".
type WeComSettings struct {
	CorpID            string     `json:"corp_id"`
	AgentID           string     `json:"agent_id"`
	ContactSecretSet  bool       `json:"contact_secret_set"`
	AppSecretSet      bool       `json:"app_secret_set"`
	CallbackTokenSet  bool       `json:"callback_token_set"`
	EncodingAESKeySet bool       `json:"encoding_aes_key_set"`
	APIBaseURL        string     `json:"api_base_url" doc:"WeCom API root; empty = https://qyapi.weixin.qq.com/cgi-bin/"`
	WelcomeText       string     `json:"welcome_text" doc:"default welcome message for new customers; empty = none"`
	UpdatedAt         *time.Time `json:"updated_at"`
}

// WeComSettingsInput replaces the settings. An absent or empty secret keeps the stored one, so the
// console never needs to read a secret back.
type WeComSettingsInput struct {
	CorpID         string `json:"corp_id"`
	AgentID        string `json:"agent_id,omitempty"`
	ContactSecret  string `json:"contact_secret,omitempty"`
	AppSecret      string `json:"app_secret,omitempty"`
	CallbackToken  string `json:"callback_token,omitempty"`
	EncodingAESKey string `json:"encoding_aes_key,omitempty"`
	APIBaseURL     string `json:"api_base_url,omitempty"`
	WelcomeText    string `json:"welcome_text,omitempty"`
}

// WeComSecrets are the decrypted settings, for the WeCom client and the callback handler only.
type WeComSecrets struct {
	CorpID, AgentID, ContactSecret, AppSecret, CallbackToken, EncodingAESKey string
	APIBaseURL, WelcomeText                                                  string
}

var (
	corpIDRE = regexp.MustCompile(`^ww[0-9a-f]{16}$|^wx[0-9a-f]{16}$`)
	aesKeyRE = regexp.MustCompile(`^[A-Za-z0-9+/]{43}$`)
	tokenRE  = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)
)

// GetWeComSettings returns the caller's tenant settings without secrets.
func (s *Service) GetWeComSettings(ctx context.Context) (WeComSettings, error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return WeComSettings{}, err
	}
	var out WeComSettings
	var contact, app, token, aes string
	var updated time.Time
	err = s.db.QueryRowContext(ctx, `SELECT corp_id, agent_id, contact_secret_enc, app_secret_enc, callback_token_enc, aes_key_enc,
		api_base_url, welcome_text, updated_at
		FROM tenant_wecom_settings WHERE tenant_id = ?`, c.TenantID).Scan(&out.CorpID, &out.AgentID, &contact, &app, &token, &aes,
		&out.APIBaseURL, &out.WelcomeText, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return WeComSettings{}, fmt.Errorf("org: wecom settings: %w", err)
	}
	out.ContactSecretSet, out.AppSecretSet, out.CallbackTokenSet, out.EncodingAESKeySet = contact != "", app != "", token != "", aes != ""
	out.UpdatedAt = &updated
	return out, nil
}

// SetWeComSettings validates and stores the caller's tenant settings, sealing every secret.
func (s *Service) SetWeComSettings(ctx context.Context, in WeComSettingsInput) (WeComSettings, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return WeComSettings{}, err
	}
	if err := s.setWeCom(ctx, c.TenantID, in); err != nil {
		return WeComSettings{}, err
	}
	return s.GetWeComSettings(ctx)
}

// SetWeComSettingsForTenant is the operator path (`siyu tenant set-wecom`).
func (s *Service) SetWeComSettingsForTenant(ctx context.Context, slug string, in WeComSettingsInput) error {
	t, err := s.TenantBySlug(ctx, slug)
	if err != nil {
		return err
	}
	return s.setWeCom(ctx, t.ID, in)
}

func (s *Service) setWeCom(ctx context.Context, tenantID int64, in WeComSettingsInput) error {
	var v httpx.Validator
	in.CorpID = strings.TrimSpace(in.CorpID)
	in.AgentID = strings.TrimSpace(in.AgentID)
	v.Check(in.CorpID == "" || corpIDRE.MatchString(in.CorpID), "corp_id", "invalid")
	if in.AgentID != "" {
		_, err := strconv.ParseUint(in.AgentID, 10, 32)
		v.Check(err == nil, "agent_id", "invalid")
	}
	v.Check(in.EncodingAESKey == "" || aesKeyRE.MatchString(in.EncodingAESKey), "encoding_aes_key", "invalid")
	v.Check(in.CallbackToken == "" || tokenRE.MatchString(in.CallbackToken), "callback_token", "invalid")
	if len(in.ContactSecret) > 128 {
		v.AddLimit("contact_secret", "too_long", 128)
	}
	if len(in.AppSecret) > 128 {
		v.AddLimit("app_secret", "too_long", 128)
	}
	in.APIBaseURL = strings.TrimSpace(in.APIBaseURL)
	if in.APIBaseURL != "" {
		u, err := url.Parse(in.APIBaseURL)
		v.Check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && strings.HasSuffix(u.Path, "/"), "api_base_url", "invalid")
	}
	in.WelcomeText = strings.TrimSpace(in.WelcomeText)
	if utf8.RuneCountInString(in.WelcomeText) > 4000 { // WeCom's limit for text content
		v.AddLimit("welcome_text", "too_long", 4000)
	}
	if err := v.Err(); err != nil {
		return err
	}
	seal := func(field, value string) (string, error) {
		return s.box.Seal(value, fmt.Sprintf("tenant:%d:%s", tenantID, field))
	}
	vals := map[string]string{}
	for field, value := range map[string]string{"contact_secret_enc": in.ContactSecret, "app_secret_enc": in.AppSecret,
		"callback_token_enc": in.CallbackToken, "aes_key_enc": in.EncodingAESKey} {
		sealed, err := seal(field, value)
		if err != nil {
			return err
		}
		vals[field] = sealed
	}
	// Empty sealed values keep what is stored: COALESCE(NULLIF(new, ''), old).
	_, err := s.db.ExecContext(ctx, `INSERT INTO tenant_wecom_settings
		(tenant_id, corp_id, agent_id, contact_secret_enc, app_secret_enc, callback_token_enc, aes_key_enc, api_base_url, welcome_text, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET corp_id = excluded.corp_id, agent_id = excluded.agent_id,
		api_base_url = excluded.api_base_url, welcome_text = excluded.welcome_text,
		contact_secret_enc = COALESCE(NULLIF(excluded.contact_secret_enc, ''), tenant_wecom_settings.contact_secret_enc),
		app_secret_enc = COALESCE(NULLIF(excluded.app_secret_enc, ''), tenant_wecom_settings.app_secret_enc),
		callback_token_enc = COALESCE(NULLIF(excluded.callback_token_enc, ''), tenant_wecom_settings.callback_token_enc),
		aes_key_enc = COALESCE(NULLIF(excluded.aes_key_enc, ''), tenant_wecom_settings.aes_key_enc),
		updated_at = excluded.updated_at`,
		tenantID, in.CorpID, in.AgentID, vals["contact_secret_enc"], vals["app_secret_enc"], vals["callback_token_enc"], vals["aes_key_enc"],
		in.APIBaseURL, in.WelcomeText, s.clock())
	if err != nil {
		return fmt.Errorf("org: save wecom settings: %w", err)
	}
	return nil
}

// WeComSecretsFor decrypts a tenant's settings for the WeCom client and callback handler. It is
// not reachable from any route.
func (s *Service) WeComSecretsFor(ctx context.Context, tenantID int64) (WeComSecrets, error) {
	var out WeComSecrets
	var enc [4]string
	err := s.db.QueryRowContext(ctx, `SELECT corp_id, agent_id, contact_secret_enc, app_secret_enc, callback_token_enc, aes_key_enc,
		api_base_url, welcome_text
		FROM tenant_wecom_settings WHERE tenant_id = ?`, tenantID).Scan(&out.CorpID, &out.AgentID, &enc[0], &enc[1], &enc[2], &enc[3],
		&out.APIBaseURL, &out.WelcomeText)
	if errors.Is(err, sql.ErrNoRows) {
		return out, httpx.NotFoundf("wecom settings")
	}
	if err != nil {
		return out, fmt.Errorf("org: wecom secrets: %w", err)
	}
	fields := []string{"contact_secret_enc", "app_secret_enc", "callback_token_enc", "aes_key_enc"}
	dst := []*string{&out.ContactSecret, &out.AppSecret, &out.CallbackToken, &out.EncodingAESKey}
	for i, f := range fields {
		if *dst[i], err = s.box.Open(enc[i], fmt.Sprintf("tenant:%d:%s", tenantID, f)); err != nil {
			return out, fmt.Errorf("org: open %s of tenant %d: %w", f, tenantID, err)
		}
	}
	return out, nil
}
