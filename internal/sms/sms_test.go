package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The example of Aliyun's signature documentation (ECS DescribeRegions, secret "testsecret").
func TestAliyunSignatureDocumentedExample(t *testing.T) {
	params := map[string]string{"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
	if got, want := AliyunSignature("GET", params, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY="; got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
}

// rfc3986 is the fake's own percent-encoding, written apart from the provider's.
func rfc3986(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// fakeAliyun checks a SendSms request the way dysmsapi documents it and answers like it.
func fakeAliyun(t *testing.T, secret string, answer func(form url.Values) (int, string)) (*httptest.Server, *[]url.Values) {
	var got []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("aliyun: %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		f := r.PostForm
		for k, want := range map[string]string{"Action": "SendSms", "Version": "2017-05-25", "Format": "JSON", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0"} {
			if f.Get(k) != want {
				t.Errorf("aliyun: %s = %q, want %q", k, f.Get(k), want)
			}
		}
		for _, k := range []string{"AccessKeyId", "RegionId", "SignatureNonce", "Timestamp", "PhoneNumbers", "SignName", "TemplateCode", "TemplateParam", "Signature"} {
			if f.Get(k) == "" {
				t.Errorf("aliyun: no %s", k)
			}
		}
		if _, err := time.Parse("2006-01-02T15:04:05Z", f.Get("Timestamp")); err != nil {
			t.Errorf("aliyun: timestamp %q", f.Get("Timestamp"))
		}
		var keys []string
		for k := range f {
			if k != "Signature" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var pairs []string
		for _, k := range keys {
			pairs = append(pairs, rfc3986(k)+"="+rfc3986(f.Get(k)))
		}
		mac := hmac.New(sha1.New, []byte(secret+"&"))
		mac.Write([]byte("POST&%2F&" + rfc3986(strings.Join(pairs, "&"))))
		if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); f.Get("Signature") != want {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation.","RequestId":"x"}`)
			return
		}
		got = append(got, f)
		status, body := answer(f)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

var msg = Message{Phone: "+8613812345678", Text: "【思域】李雷，您好 https://s.example/s/abc 回T退订",
	Params: []Param{{"name", "李雷"}, {"link", "https://s.example/s/abc?x=1&y=a b"}}, OutID: "c1-r9"}

func TestAliyun(t *testing.T) {
	ok := func(url.Values) (int, string) {
		return 200, `{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"F655A8D5"}`
	}
	srv, got := fakeAliyun(t, "sekret", ok)
	a := &Aliyun{Config: Config{AccessKeyID: "LTAI5t", AccessSecret: "sekret", SignName: "思域", TemplateCode: "SMS_1530", Endpoint: srv.URL + "/"}, Client: srv.Client()}
	id, err := a.Send(context.Background(), msg)
	if err != nil || id != "900619746936498440^0" {
		t.Fatalf("send: %q %v", id, err)
	}
	f := (*got)[0]
	var tp map[string]string
	if err := json.Unmarshal([]byte(f.Get("TemplateParam")), &tp); err != nil || tp["name"] != "李雷" || tp["link"] != msg.Params[1].Value {
		t.Errorf("template param %q: %v", f.Get("TemplateParam"), err)
	}
	if f.Get("PhoneNumbers") != "13812345678" || f.Get("SignName") != "思域" || f.Get("TemplateCode") != "SMS_1530" || f.Get("OutId") != "c1-r9" ||
		f.Get("AccessKeyId") != "LTAI5t" || f.Get("RegionId") != "cn-hangzhou" {
		t.Errorf("form %v", f)
	}

	// A wrong secret fails the fake's signature check: a permanent error.
	bad := &Aliyun{Config: Config{AccessKeyID: "LTAI5t", AccessSecret: "wrong", SignName: "思域", TemplateCode: "SMS_1530", Endpoint: srv.URL + "/"}, Client: srv.Client()}
	_, err = bad.Send(context.Background(), msg)
	var e *Error
	if !errors.As(err, &e) || e.Code != "SignatureDoesNotMatch" || IsTransient(err) {
		t.Errorf("wrong secret: %v", err)
	}

	for _, tt := range []struct {
		code      string
		transient bool
	}{{"isv.MOBILE_NUMBER_ILLEGAL", false}, {"isv.BUSINESS_LIMIT_CONTROL", true}, {"Throttling.User", true}, {"isv.SMS_TEMPLATE_ILLEGAL", false}} {
		srv, _ := fakeAliyun(t, "sekret", func(url.Values) (int, string) {
			return 200, `{"Code":"` + tt.code + `","Message":"m","RequestId":"r"}`
		})
		a.Config.Endpoint = srv.URL + "/"
		a.Client = srv.Client()
		_, err := a.Send(context.Background(), msg)
		if !errors.As(err, &e) || e.Code != tt.code || IsTransient(err) != tt.transient {
			t.Errorf("%s: %v transient %v", tt.code, err, IsTransient(err))
		}
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	a.Config.Endpoint = down.URL
	if _, err := a.Send(context.Background(), msg); err == nil || !IsTransient(err) {
		t.Errorf("503: %v", err)
	}
}

// fakeTencent checks a SendSms request against the documented TC3-HMAC-SHA256 scheme.
func fakeTencent(t *testing.T, secretKey string, answer func(req TencentRequest) string) (*httptest.Server, *[]TencentRequest) {
	var got []TencentRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		reply := func(code, msg string) {
			fmt.Fprintf(w, `{"Response":{"Error":{"Code":%q,"Message":%q},"RequestId":"rq"}}`, code, msg)
		}
		if r.Method != "POST" || r.URL.Path != "/" || r.Header.Get("X-TC-Action") != "SendSms" || r.Header.Get("X-TC-Version") != "2021-01-11" ||
			r.Header.Get("X-TC-Region") == "" {
			t.Errorf("tencent: %s %s %v", r.Method, r.URL.Path, r.Header)
		}
		ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
		if err != nil {
			reply("MissingParameter", "X-TC-Timestamp")
			return
		}
		auth := r.Header.Get("Authorization")
		rest, ok := strings.CutPrefix(auth, "TC3-HMAC-SHA256 ")
		if !ok {
			reply("AuthFailure.InvalidAuthorization", auth)
			return
		}
		fields := map[string]string{}
		for _, kv := range strings.Split(rest, ", ") {
			k, v, _ := strings.Cut(kv, "=")
			fields[k] = v
		}
		date := time.Unix(ts, 0).UTC().Format("2006-01-02")
		id, scope, _ := strings.Cut(fields["Credential"], "/")
		if scope != date+"/sms/tc3_request" || id == "" {
			reply("AuthFailure.InvalidAuthorization", "credential "+fields["Credential"])
			return
		}
		var hdrs []string
		for _, h := range strings.Split(fields["SignedHeaders"], ";") {
			v := r.Header.Get(h)
			if h == "host" {
				v = r.Host
			}
			if h == "x-tc-action" {
				v = strings.ToLower(v)
			}
			hdrs = append(hdrs, h+":"+strings.TrimSpace(v)+"\n")
		}
		if !strings.Contains(fields["SignedHeaders"], "content-type") || !strings.Contains(fields["SignedHeaders"], "host") {
			reply("AuthFailure.InvalidAuthorization", "signed headers")
			return
		}
		bh := sha256.Sum256(body)
		canonical := "POST\n/\n\n" + strings.Join(hdrs, "") + "\n" + fields["SignedHeaders"] + "\n" + hex.EncodeToString(bh[:])
		ch := sha256.Sum256([]byte(canonical))
		toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + scope + "\n" + hex.EncodeToString(ch[:])
		mac := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
		key := mac(mac(mac([]byte("TC3"+secretKey), date), "sms"), "tc3_request")
		if hex.EncodeToString(mac(key, toSign)) != fields["Signature"] {
			reply("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
			return
		}
		var req TencentRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			reply("InvalidParameter", err.Error())
			return
		}
		got = append(got, req)
		io.WriteString(w, answer(req))
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestTencent(t *testing.T) {
	okAnswer := func(req TencentRequest) string {
		return `{"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"` + req.PhoneNumberSet[0] +
			`","Fee":1,"SessionContext":"","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"a0aabda6"}}`
	}
	srv, got := fakeTencent(t, "tkey", okAnswer)
	tc := &Tencent{Config: Config{AccessKeyID: "AKIDxx", AccessSecret: "tkey", SignName: "思域", TemplateCode: "449739", SdkAppID: "1400006666", Endpoint: srv.URL + "/"},
		Client: srv.Client(), Now: func() time.Time { return time.Date(2026, 11, 23, 23, 59, 59, 0, time.UTC) }}
	id, err := tc.Send(context.Background(), msg)
	if err != nil || id != "5000:1045710669157053657849499619" {
		t.Fatalf("send: %q %v", id, err)
	}
	r := (*got)[0]
	if !slices.Equal(r.PhoneNumberSet, []string{"+8613812345678"}) || r.SmsSdkAppId != "1400006666" || r.SignName != "思域" || r.TemplateId != "449739" ||
		!slices.Equal(r.TemplateParamSet, []string{"李雷", msg.Params[1].Value}) || r.SessionContext != "c1-r9" {
		t.Errorf("request %+v", r)
	}

	tc.Config.AccessSecret = "wrong"
	_, err = tc.Send(context.Background(), msg)
	var e *Error
	if !errors.As(err, &e) || e.Code != "AuthFailure.SignatureFailure" || IsTransient(err) {
		t.Errorf("wrong key: %v", err)
	}
	tc.Config.AccessSecret = "tkey"
	for _, tt := range []struct {
		answer    string
		code      string
		transient bool
	}{
		{`{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow down"},"RequestId":"r"}}`, "RequestLimitExceeded", true},
		{`{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+8613812345678","Code":"InvalidParameterValue.IncorrectPhoneNumber","Message":"bad"}],"RequestId":"r"}}`,
			"InvalidParameterValue.IncorrectPhoneNumber", false},
	} {
		srv, _ := fakeTencent(t, "tkey", func(TencentRequest) string { return tt.answer })
		tc.Config.Endpoint, tc.Client = srv.URL+"/", srv.Client()
		_, err := tc.Send(context.Background(), msg)
		if !errors.As(err, &e) || e.Code != tt.code || IsTransient(err) != tt.transient {
			t.Errorf("%s: %v", tt.code, err)
		}
	}
}

func TestNewAndLog(t *testing.T) {
	var buf bytes.Buffer
	p, err := New(Config{Provider: ProviderLog}, slog.New(slog.NewTextHandler(&buf, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := p.Send(context.Background(), msg)
	if err != nil || id != "log-1" || !strings.Contains(buf.String(), "+8613812345678") || !strings.Contains(buf.String(), "回T退订") {
		t.Errorf("log: %q %v %s", id, err, buf.String())
	}
	if _, err := New(Config{Provider: "carrier-pigeon"}, nil, nil); err == nil {
		t.Error("unknown provider accepted")
	}
	// Only failures before the request left are safe to repeat: a timeout or an unreadable
	// answer may hide a message already sent.
	refused := fmt.Errorf("sms: aliyun: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")})
	if IsTransient(nil) || !IsTransient(refused) || IsTransient(context.Canceled) || IsTransient(context.DeadlineExceeded) ||
		IsTransient(errors.New("sms: aliyun answer 200: unexpected end of JSON input")) {
		t.Error("IsTransient")
	}
}
