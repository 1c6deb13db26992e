package sms

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// AliyunEndpoint is the dysmsapi API root.
const AliyunEndpoint = "https://dysmsapi.aliyuncs.com/"

// Aliyun sends through Aliyun SMS: the SendSms action of dysmsapi (version 2017-05-25), an RPC
// style API whose parameters are signed with HMAC-SHA1 (signature version 1.0): the parameters
// sorted by name, percent-encoded (RFC 3986, space as %20) into a canonical query string;
// StringToSign = METHOD & %2F & percentEncode(canonical); Signature = Base64(HMAC-SHA1(secret
// + "&", StringToSign)).
type Aliyun struct {
	Config Config
	Client *http.Client
	// Now and Nonce replace the clock and the random nonce in tests.
	Now   func() time.Time
	Nonce func() string
}

// Send sends one message.
func (a *Aliyun) Send(ctx context.Context, m Message) (string, error) {
	vars := map[string]string{}
	for _, p := range m.Params {
		vars[p.Name] = p.Value
	}
	tp, err := json.Marshal(vars)
	if err != nil {
		return "", err
	}
	now, nonce := time.Now, randomNonce
	if a.Now != nil {
		now = a.Now
	}
	if a.Nonce != nil {
		nonce = a.Nonce
	}
	region := a.Config.Region
	if region == "" {
		region = "cn-hangzhou"
	}
	params := map[string]string{
		"AccessKeyId": a.Config.AccessKeyID, "Action": "SendSms", "Format": "JSON", "RegionId": region,
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce(), "SignatureVersion": "1.0",
		"Timestamp": now().UTC().Format("2006-01-02T15:04:05Z"), "Version": "2017-05-25",
		"PhoneNumbers": aliyunPhone(m.Phone), "SignName": a.Config.SignName, "TemplateCode": a.Config.TemplateCode,
		"TemplateParam": string(tp),
	}
	if m.OutID != "" {
		params["OutId"] = m.OutID
	}
	params["Signature"] = AliyunSignature("POST", params, a.Config.AccessSecret)
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	endpoint := a.Config.Endpoint
	if endpoint == "" {
		endpoint = AliyunEndpoint
	}
	req, err := http.NewRequestWithContext(ctx, "POST", endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("sms: aliyun request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("sms: aliyun: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("sms: aliyun answer: %w", err)
	}
	var out struct {
		Code, Message, BizId, RequestId string
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Code == "" {
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return "", &Error{Code: fmt.Sprintf("http %d", resp.StatusCode), Message: "provider unavailable", Transient: true}
		}
		// The body stays out of the error: it is stored on the recipient and shown in the console,
		// and the endpoint is tenant-configurable, so it must not become a way to read other hosts.
		return "", fmt.Errorf("sms: aliyun answer with status %d is not a SendSms reply (%d bytes): %v", resp.StatusCode, len(body), err)
	}
	if out.Code != "OK" {
		return "", &Error{Code: out.Code, Message: out.Message, Transient: aliyunTransient(out.Code) || resp.StatusCode >= 500}
	}
	return out.BizId, nil
}

// aliyunTransient: throttling and the provider's own failures are worth retrying; per-number
// frequency limits (isv.BUSINESS_LIMIT_CONTROL) lift after a while.
func aliyunTransient(code string) bool {
	return strings.HasPrefix(code, "Throttling") || strings.HasPrefix(code, "isp.SYSTEM") || code == "ServiceUnavailable" ||
		code == "InternalError" || code == "isv.BUSINESS_LIMIT_CONTROL"
}

// aliyunPhone: Aliyun takes mainland numbers without the country code and others with it
// (00 prefix is not needed; the international form without +).
func aliyunPhone(e164 string) string {
	if p, ok := strings.CutPrefix(e164, "+86"); ok {
		return p
	}
	return strings.TrimPrefix(e164, "+")
}

// AliyunSignature signs RPC parameters (without Signature) the documented way.
func AliyunSignature(method string, params map[string]string, secret string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = aliyunEncode(k) + "=" + aliyunEncode(params[k])
	}
	toSign := method + "&" + aliyunEncode("/") + "&" + aliyunEncode(strings.Join(parts, "&"))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// aliyunEncode percent-encodes per RFC 3986 (unreserved A-Z a-z 0-9 - _ . ~ kept; space %20).
func aliyunEncode(s string) string {
	e := url.QueryEscape(s)
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(e)
}

func randomNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
