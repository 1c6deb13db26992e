// Package sms sends text messages through a provider: Aliyun SMS (dysmsapi SendSms, RPC style
// signed with HMAC-SHA1), Tencent Cloud SMS (SendSms 2021-01-11, signed with TC3-HMAC-SHA256)
// or a log provider that only writes to slog (the demo and development). It knows nothing of
// tenants, campaigns or the database.
//
// Chinese SMS providers send only pre-approved templates: a Message carries the template's
// variables by name (Aliyun's TemplateParam is a JSON object of them) and in the order they
// appear in the template text (Tencent's TemplateParamSet is a positional list); Text is the
// rendered message, which the log provider writes and the others only use for errors.
package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Message is one SMS to one phone.
type Message struct {
	// Phone is in E.164 (+8613812345678).
	Phone string
	// Text is the whole rendered message.
	Text string
	// Params are the template variables in the order they appear in the template.
	Params []Param
	// OutID is the caller's id for the message (Aliyun OutId, Tencent SessionContext).
	OutID string
}

// Param is one template variable.
type Param struct {
	Name, Value string
}

// Provider sends messages.
type Provider interface {
	// Send sends one message and returns the provider's id for it. A *Error tells whether a
	// failure is worth retrying; any other error (network, 5xx) is transient.
	Send(ctx context.Context, m Message) (string, error)
}

// Error is a failure the provider reported.
type Error struct {
	Code, Message string
	// Transient failures (rate limits, provider-side errors) may succeed when retried;
	// permanent ones (bad number, bad signature, unapproved template) will not.
	Transient bool
}

func (e *Error) Error() string { return fmt.Sprintf("sms: %s: %s", e.Code, e.Message) }

// IsTransient reports whether sending again may succeed without risking a second message:
// provider errors say so themselves, and a request that never reached the provider (no
// connection) is safe to repeat. Anything else — a timeout after the request went out, an
// unreadable answer — leaves the outcome unknown, and a customer must not get the text twice.
func IsTransient(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Transient
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// Config is a tenant's provider configuration, secrets opened.
type Config struct {
	Provider     string // log, aliyun or tencent
	AccessKeyID  string // Aliyun AccessKeyId or Tencent SecretId
	AccessSecret string // Aliyun AccessKeySecret or Tencent SecretKey
	SignName     string
	TemplateCode string // Aliyun TemplateCode or Tencent TemplateId
	SdkAppID     string // Tencent SmsSdkAppId
	Region       string // Aliyun RegionId (default cn-hangzhou) or Tencent X-TC-Region (default ap-guangzhou)
	// Endpoint replaces the provider's API root (a private gateway, or a local fake in tests).
	Endpoint string
}

// Provider names.
const (
	ProviderLog     = "log"
	ProviderAliyun  = "aliyun"
	ProviderTencent = "tencent"
)

// New returns the provider a configuration names.
func New(c Config, log *slog.Logger, client *http.Client) (Provider, error) {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	switch c.Provider {
	case ProviderLog:
		return &Log{Logger: log}, nil
	case ProviderAliyun:
		return &Aliyun{Config: c, Client: client}, nil
	case ProviderTencent:
		return &Tencent{Config: c, Client: client}, nil
	}
	return nil, fmt.Errorf("sms: unknown provider %q", c.Provider)
}

// Log is the provider that sends nothing: it writes each message to slog.
type Log struct {
	Logger *slog.Logger
	seq    atomicCounter
}

// Send logs the message.
func (l *Log) Send(ctx context.Context, m Message) (string, error) {
	id := fmt.Sprintf("log-%d", l.seq.next())
	l.Logger.InfoContext(ctx, "sms (log provider, not sent)", "id", id, "phone", m.Phone, "text", m.Text, "out_id", m.OutID)
	return id, nil
}
