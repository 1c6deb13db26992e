package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TencentEndpoint is the SMS API root.
const TencentEndpoint = "https://sms.tencentcloudapi.com/"

// Tencent sends through Tencent Cloud SMS: SendSms of API version 2021-01-11, a JSON POST signed
// with TC3-HMAC-SHA256 (signature v3): a canonical request (method, URI "/", empty query, the
// signed headers content-type, host and x-tc-action, the hex SHA-256 of the body) hashed into
// StringToSign = "TC3-HMAC-SHA256\n" + timestamp + "\n" + date/sms/tc3_request + "\n" + hash; the
// signing key derived by HMAC-SHA256 from "TC3"+SecretKey over the UTC date, the service ("sms")
// and "tc3_request".
type Tencent struct {
	Config Config
	Client *http.Client
	// Now replaces the clock in tests.
	Now func() time.Time
}

// TencentRequest is the SendSms body.
type TencentRequest struct {
	PhoneNumberSet   []string
	SmsSdkAppId      string
	SignName         string
	TemplateId       string
	TemplateParamSet []string
	SessionContext   string `json:",omitempty"`
}

// Send sends one message.
func (t *Tencent) Send(ctx context.Context, m Message) (string, error) {
	in := TencentRequest{PhoneNumberSet: []string{m.Phone}, SmsSdkAppId: t.Config.SdkAppID, SignName: t.Config.SignName,
		TemplateId: t.Config.TemplateCode, TemplateParamSet: []string{}, SessionContext: m.OutID}
	for _, p := range m.Params {
		in.TemplateParamSet = append(in.TemplateParamSet, p.Value)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	endpoint := t.Config.Endpoint
	if endpoint == "" {
		endpoint = TencentEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("sms: tencent endpoint: %w", err)
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	ts := now().Unix()
	region := t.Config.Region
	if region == "" {
		region = "ap-guangzhou"
	}
	const contentType = "application/json; charset=utf-8"
	req, err := http.NewRequestWithContext(ctx, "POST", endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("sms: tencent request: %w", err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-TC-Action", "SendSms")
	req.Header.Set("X-TC-Version", "2021-01-11")
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-TC-Region", region)
	req.Header.Set("Authorization", TencentAuthorization(t.Config.AccessKeyID, t.Config.AccessSecret, "sms", u.Host, contentType, "SendSms", ts, body))
	resp, err := t.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("sms: tencent: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("sms: tencent answer: %w", err)
	}
	var out struct {
		Response struct {
			Error *struct {
				Code, Message string
			}
			SendStatusSet []struct {
				SerialNo, PhoneNumber, Code, Message string
			}
			RequestId string
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		if resp.StatusCode >= 500 {
			return "", &Error{Code: fmt.Sprintf("http %d", resp.StatusCode), Message: "provider unavailable", Transient: true}
		}
		// The body stays out of the error (see aliyun.go).
		return "", fmt.Errorf("sms: tencent answer with status %d is not a SendSms reply (%d bytes): %w", resp.StatusCode, len(raw), err)
	}
	if e := out.Response.Error; e != nil {
		return "", &Error{Code: e.Code, Message: e.Message, Transient: tencentTransient(e.Code)}
	}
	if len(out.Response.SendStatusSet) != 1 {
		return "", fmt.Errorf("sms: tencent answered %d statuses for one number", len(out.Response.SendStatusSet))
	}
	st := out.Response.SendStatusSet[0]
	if !strings.EqualFold(st.Code, "Ok") {
		return "", &Error{Code: st.Code, Message: st.Message, Transient: tencentTransient(st.Code)}
	}
	return st.SerialNo, nil
}

func tencentTransient(code string) bool {
	return code == "RequestLimitExceeded" || strings.HasPrefix(code, "InternalError") || code == "ResourceUnavailable" ||
		strings.HasPrefix(code, "FailedOperation.Timeout") || code == "LimitExceeded.PhoneNumberThirtySecondLimit"
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TencentAuthorization is the TC3-HMAC-SHA256 Authorization header of a POST to "/".
func TencentAuthorization(secretID, secretKey, service, host, contentType, action string, ts int64, body []byte) string {
	const signed = "content-type;host;x-tc-action"
	canonical := "POST\n/\n\n" +
		"content-type:" + contentType + "\nhost:" + host + "\nx-tc-action:" + strings.ToLower(action) + "\n\n" +
		signed + "\n" + sha256Hex(body)
	date := time.Unix(ts, 0).UTC().Format(time.DateOnly)
	scope := date + "/" + service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	key := hmacSHA256(hmacSHA256(hmacSHA256([]byte("TC3"+secretKey), date), service), "tc3_request")
	sig := hex.EncodeToString(hmacSHA256(key, toSign))
	return "TC3-HMAC-SHA256 Credential=" + secretID + "/" + scope + ", SignedHeaders=" + signed + ", Signature=" + sig
}
