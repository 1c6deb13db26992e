package wecom

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readVector reads a key=value testdata file ('#' lines are comments).
func readVector(t testing.TB, name string) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, val, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: bad line %q", name, line)
		}
		v[k] = val
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return v
}

func fixedClock(unix int64) func() time.Time { return func() time.Time { return time.Unix(unix, 0) } }

func TestDecodeAESKey(t *testing.T) {
	tests := []struct {
		name, key string
		ok        bool
	}{
		{"valid", "Siyu0Test0Vector0Key0For0WeComCallback0Abc1", true},
		{"official sample", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", true},
		{"42 chars", "Siyu0Test0Vector0Key0For0WeComCallback0Abc", false},
		{"44 chars", "Siyu0Test0Vector0Key0For0WeComCallback0Abc12", false},
		{"plus sign", "Siyu0Test0Vector0Key0For0WeComCallback0Ab+1", false},
		{"slash", "Siyu0Test0Vector0Key0For0WeComCallback0Ab/1", false},
		{"padding char", "Siyu0Test0Vector0Key0For0WeComCallback0Ab=1", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := DecodeAESKey(tt.key)
			if tt.ok != (err == nil) {
				t.Fatalf("DecodeAESKey(%q) err = %v, want ok=%v", tt.key, err, tt.ok)
			}
			if tt.ok && len(key) != 32 {
				t.Fatalf("key length %d, want 32", len(key))
			}
		})
	}
	if _, err := NewCrypter("", "Siyu0Test0Vector0Key0For0WeComCallback0Abc1", "x"); err == nil {
		t.Fatal("NewCrypter accepted an empty token")
	}
}

// TestCrypterKnownVector checks Encrypt, Decrypt and Signature against a vector computed with
// OpenSSL and coreutils, independently of this package:
//
//	KEYHEX=$(printf '%s=' "$ENCODING_AES_KEY" | base64 -d | xxd -p -c 64)   # AES key
//	{ printf 'RANDOM16BYTES!!!'; printf <4-byte big-endian len(msg)>; cat msg.xml; printf "$RID"; } > plain.bin
//	# PKCS#7: append (32 - len%32) bytes of that value, then
//	openssl enc -aes-256-cbc -K $KEYHEX -iv ${KEYHEX:0:32} -nopad -in padded.bin | base64 -w0
//	printf '%s\n' "$TOKEN" "$TS" "$NONCE" "$ENC" | LC_ALL=C sort | tr -d '\n' | sha1sum
func TestCrypterKnownVector(t *testing.T) {
	v := readVector(t, "callback_vector.txt")
	c, err := NewCrypter(v["token"], v["encoding_aes_key"], v["receive_id"],
		WithRandom(strings.NewReader(v["random"])), WithClock(fixedClock(1700000000)))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmtHex(c.key); got != v["aes_key_hex"] {
		t.Fatalf("aes key = %s, want %s", got, v["aes_key_hex"])
	}
	enc, err := c.Encrypt([]byte(v["msg"]))
	if err != nil {
		t.Fatal(err)
	}
	if enc != v["encrypt"] {
		t.Fatalf("Encrypt differs from the OpenSSL vector\n got %s\nwant %s", enc, v["encrypt"])
	}
	msg, err := c.Decrypt(v["encrypt"])
	if err != nil {
		t.Fatal(err)
	}
	if string(msg) != v["msg"] {
		t.Fatalf("Decrypt = %q", msg)
	}
	if sig := c.Signature(v["timestamp"], v["nonce"], v["encrypt"]); sig != v["msg_signature"] {
		t.Fatalf("Signature = %s, want %s", sig, v["msg_signature"])
	}
	body, _ := Envelope{ToUserName: v["receive_id"], Encrypt: v["encrypt"]}.Marshal()
	plain, err := c.DecryptMessage(v["msg_signature"], v["timestamp"], v["nonce"], body)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ParseEvent(plain)
	if err != nil {
		t.Fatal(err)
	}
	add, ok := ev.(*ExternalContactEvent)
	if !ok || add.State != "channel-42" || add.WelcomeCode != "WELCOMECODE1" || add.UserID != "zhangsan" {
		t.Fatalf("event = %#v", ev)
	}
}

func fmtHex(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for _, x := range b {
		sb.WriteByte(digits[x>>4])
		sb.WriteByte(digits[x&15])
	}
	return sb.String()
}

// TestOfficialSample decrypts the sample WeCom publishes with its callback SDKs.
func TestOfficialSample(t *testing.T) {
	v := readVector(t, "official_sample.txt")
	c, err := NewCrypter(v["token"], v["encoding_aes_key"], v["receive_id"], WithWindow(0))
	if err != nil {
		t.Fatal(err)
	}
	echo, err := c.VerifyURL(v["verify_msg_signature"], v["verify_timestamp"], v["verify_nonce"], v["verify_echostr"])
	if err != nil {
		t.Fatalf("VerifyURL: %v", err)
	}
	if string(echo) != "1616140317555161061" {
		t.Fatalf("echo = %q", echo)
	}
	plain, err := c.DecryptMessage(v["post_msg_signature"], v["post_timestamp"], v["post_nonce"], []byte(v["post_body"]))
	if err != nil {
		t.Fatalf("DecryptMessage: %v", err)
	}
	ev, err := ParseEvent(plain)
	if err != nil {
		t.Fatal(err)
	}
	h := ev.Header()
	if h.MsgType != "text" || h.ToUserName != "wx5823bf96d3bd56c7" || h.MsgID == "" {
		t.Fatalf("header = %+v (plain %s)", h, plain)
	}
	if _, ok := ev.(*UnknownEvent); !ok {
		t.Fatalf("a text message should parse as UnknownEvent, got %T", ev)
	}
	// The same request with the window enforced is stale.
	strict, _ := NewCrypter(v["token"], v["encoding_aes_key"], v["receive_id"])
	if _, err := strict.DecryptMessage(v["post_msg_signature"], v["post_timestamp"], v["post_nonce"], []byte(v["post_body"])); !errors.Is(err, ErrStale) {
		t.Fatalf("err = %v, want ErrStale", err)
	}
}

func testCrypter(t testing.TB, opts ...CrypterOption) *Crypter {
	t.Helper()
	c, err := NewCrypter("SiyuToken", "Siyu0Test0Vector0Key0For0WeComCallback0Abc1", "wwSiyuTestCorp01", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rawEncrypt encrypts an already padded frame with the test key, bypassing Encrypt, so tests
// can build frames Encrypt would never produce.
func rawEncrypt(t *testing.T, frame []byte) string {
	t.Helper()
	key, _ := DecodeAESKey("Siyu0Test0Vector0Key0For0WeComCallback0Abc1")
	block, _ := aes.NewCipher(key)
	out := make([]byte, len(frame))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, frame)
	return base64.StdEncoding.EncodeToString(out)
}

func frame(msg string, declaredLen uint32, rid string) []byte {
	b := []byte("0123456789abcdef")
	b = binary.BigEndian.AppendUint32(b, declaredLen)
	b = append(b, msg...)
	return append(b, rid...)
}

func TestDecryptRejects(t *testing.T) {
	c := testCrypter(t)
	good := frame("<xml/>", 6, "wwSiyuTestCorp01")
	withPad := func(b []byte, pad []byte) []byte { return append(append([]byte(nil), b...), pad...) }
	// good is 16+4+6+16 = 42 bytes; 22 bytes of padding make 64.
	pad22 := bytes.Repeat([]byte{22}, 22)
	tests := []struct {
		name    string
		encrypt string
		want    error
	}{
		{"not base64", "!!!not-base64!!!", ErrMalformed},
		{"empty", "", ErrMalformed},
		{"not whole blocks", base64.StdEncoding.EncodeToString(make([]byte, 20)), ErrMalformed},
		{"16 but not 32", rawEncrypt(t, bytes.Repeat([]byte{16}, 48)), ErrBadPadding},
		{"pad zero", rawEncrypt(t, withPad(good, append(bytes.Repeat([]byte{22}, 21), 0))), ErrBadPadding},
		{"pad 33", rawEncrypt(t, withPad(good, append(bytes.Repeat([]byte{22}, 21), 33))), ErrBadPadding},
		{"pad bytes differ", rawEncrypt(t, withPad(good, append(append(bytes.Repeat([]byte{22}, 10), 7), bytes.Repeat([]byte{22}, 11)...))), ErrBadPadding},
		{"pad longer than data", rawEncrypt(t, bytes.Repeat([]byte{32}, 32)), ErrMalformed},
		{"length field too large", rawEncrypt(t, withPad(frame("<xml/>", 1000, "wwSiyuTestCorp01"), pad22)), ErrMalformed},
		{"length field max uint32", rawEncrypt(t, withPad(frame("<xml/>", 0xffffffff, "wwSiyuTestCorp01"), pad22)), ErrMalformed},
		{"wrong receive id", rawEncrypt(t, withPad(frame("<xml/>", 6, "wwSomeoneElse001"), pad22)), ErrBadReceiveID},
		{"receive id absorbed by length", rawEncrypt(t, withPad(frame("<xml/>", 22, "wwSiyuTestCorp01"), pad22)), ErrBadReceiveID},
		{"short frame", rawEncrypt(t, withPad([]byte("0123456789"), bytes.Repeat([]byte{22}, 22))), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Decrypt(tt.encrypt)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decrypt err = %v, want %v", err, tt.want)
			}
		})
	}
	// The well-formed frame itself decrypts, so the cases above fail for the stated reason.
	msg, err := c.Decrypt(rawEncrypt(t, withPad(good, pad22)))
	if err != nil || string(msg) != "<xml/>" {
		t.Fatalf("good frame: %q, %v", msg, err)
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	c := testCrypter(t)
	// Lengths around the 32-byte boundary: 16+4+len+16 ≡ 0 (mod 32) needs a full pad block.
	for n := 0; n <= 130; n++ {
		msg := bytes.Repeat([]byte{'a' + byte(n%26)}, n)
		enc, err := c.Encrypt(msg)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(enc)
		if len(raw)%32 != 0 {
			t.Fatalf("n=%d: ciphertext %d bytes, not a multiple of 32", n, len(raw))
		}
		got, err := c.Decrypt(enc)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("n=%d: round trip = %q, %v", n, got, err)
		}
	}
	// Encrypt with one path, decrypt with the other: the sealed envelope through
	// DecryptRequest, and a raw frame encrypted outside Encrypt through Decrypt (above).
	sealed, err := c.SealMessage([]byte("<xml><a>1</a></xml>"), "wwSiyuTestCorp01", "1000002")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := sealed.URL("http://siyu.example/wecom/callback?tenant=7")
	req := httptest.NewRequest("POST", u, bytes.NewReader(sealed.Body))
	plain, err := c.DecryptRequest(req)
	if err != nil || string(plain) != "<xml><a>1</a></xml>" {
		t.Fatalf("DecryptRequest = %q, %v", plain, err)
	}
	if req.URL.Query().Get("tenant") != "7" {
		t.Fatal("SealedMessage.URL dropped the existing query")
	}
	// Passive reply round trip.
	reply, err := c.EncryptReply([]byte("<xml>reply</xml>"), "1700000000", "42")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.DecryptReply(reply); err != nil || string(got) != "<xml>reply</xml>" {
		t.Fatalf("DecryptReply = %q, %v", got, err)
	}
}

func TestVerifyURLRequest(t *testing.T) {
	c := testCrypter(t)
	q, err := c.SealEcho("echo-1234567890")
	if err != nil {
		t.Fatal(err)
	}
	// Properly escaped.
	req := httptest.NewRequest("GET", "/cb?"+q.Encode(), nil)
	if got, err := c.VerifyURLRequest(req); err != nil || string(got) != "echo-1234567890" {
		t.Fatalf("VerifyURLRequest = %q, %v", got, err)
	}
	// A sender that does not escape '+' in echostr.
	raw := "msg_signature=" + q.Get("msg_signature") + "&timestamp=" + q.Get("timestamp") +
		"&nonce=" + q.Get("nonce") + "&echostr=" + strings.ReplaceAll(q.Get("echostr"), "/", "%2F")
	req = httptest.NewRequest("GET", "/cb?"+raw, nil)
	if got, err := c.VerifyURLRequest(req); err != nil || string(got) != "echo-1234567890" {
		t.Fatalf("unescaped '+': %q, %v", got, err)
	}
	req = httptest.NewRequest("GET", "/cb?msg_signature=x&timestamp=1&nonce=2", nil)
	if _, err := c.VerifyURLRequest(req); !errors.Is(err, ErrMalformed) {
		t.Fatalf("missing echostr: %v", err)
	}
}

func TestStaleness(t *testing.T) {
	now := int64(1_700_000_000)
	sender := testCrypter(t, WithClock(fixedClock(now)))
	sealed, err := sender.SealMessage([]byte("<xml/>"), "wwSiyuTestCorp01", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		recvTime int64
		window   time.Duration
		want     error
	}{
		{"same second", now, DefaultWindow, nil},
		{"299 s later", now + 299, DefaultWindow, nil},
		{"300 s later", now + 300, DefaultWindow, nil},
		{"301 s later", now + 301, DefaultWindow, ErrStale},
		{"301 s earlier", now - 301, DefaultWindow, ErrStale},
		{"custom 10 s window", now + 11, 10 * time.Second, ErrStale},
		{"window disabled", now + 86400, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv := testCrypter(t, WithClock(fixedClock(tt.recvTime)), WithWindow(tt.window))
			_, err := recv.DecryptMessage(sealed.MsgSignature, sealed.Timestamp, sealed.Nonce, sealed.Body)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	recv := testCrypter(t)
	if err := recv.CheckTimestamp("17e8"); !errors.Is(err, ErrMalformed) {
		t.Fatalf("non-integer timestamp: %v", err)
	}
}

// TestTamperedRejected sends 1,000 randomly forged or tampered callbacks; every one must be
// rejected. The forger does not know the token (that is what the signature authenticates) —
// except in the "re-signed" cases, where the forger knows the token but not the AES key and
// alters the tail of the ciphertext (the blocks holding the receive id and padding).
func TestTamperedRejected(t *testing.T) {
	now := int64(1_700_000_000)
	c := testCrypter(t, WithClock(fixedClock(now)))
	rng := rand.New(rand.NewPCG(1, 2))
	msg := []byte(`<xml><ToUserName><![CDATA[wwSiyuTestCorp01]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[lisi]]></UserID><ExternalUserID><![CDATA[wmX]]></ExternalUserID></xml>`)
	const n = 1000
	for i := 0; i < n; i++ {
		sealed, err := c.SealMessage(msg, "wwSiyuTestCorp01", "")
		if err != nil {
			t.Fatal(err)
		}
		env, _ := ParseEnvelope(sealed.Body)
		sig, ts, nonce, enc := sealed.MsgSignature, sealed.Timestamp, sealed.Nonce, env.Encrypt
		raw, _ := base64.StdEncoding.DecodeString(enc)
		kind := rng.IntN(9)
		switch kind {
		case 0: // flip a bit anywhere in the ciphertext, keep the signature
			raw[rng.IntN(len(raw))] ^= 1 << rng.IntN(8)
			enc = base64.StdEncoding.EncodeToString(raw)
		case 1: // other timestamp within the window
			ts = strconv.FormatInt(now+int64(rng.IntN(200))+1, 10)
		case 2: // other nonce
			nonce = strconv.FormatUint(uint64(rng.Uint32()), 10)
		case 3: // forged signature
			b := []byte(sig)
			b[rng.IntN(len(b))] = "0123456789abcdef"[rng.IntN(16)]
			if string(b) == sig {
				b[0] ^= 1
			}
			sig = string(b)
		case 4: // truncated ciphertext
			enc = base64.StdEncoding.EncodeToString(raw[:len(raw)-16*(1+rng.IntN(2))])
		case 5: // random ciphertext, random signature
			junk := make([]byte, 32*(1+rng.IntN(8)))
			for j := range junk {
				junk[j] = byte(rng.Uint32())
			}
			enc, sig = base64.StdEncoding.EncodeToString(junk), fmtHex(junk[:20])
		case 6: // random ciphertext re-signed by a forger who knows the token but not the key
			junk := make([]byte, 32*(1+rng.IntN(8)))
			for j := range junk {
				junk[j] = byte(rng.Uint32())
			}
			enc = base64.StdEncoding.EncodeToString(junk)
			sig = c.Signature(ts, nonce, enc)
		case 7: // tail bit flip re-signed (token known, key not): hits receive id or padding
			pos := len(raw) - 32 + rng.IntN(32)
			raw[pos] ^= 1 << rng.IntN(8)
			enc = base64.StdEncoding.EncodeToString(raw)
			sig = c.Signature(ts, nonce, enc)
		case 8: // stale replay, correctly signed for its old timestamp
			old := testCrypter(t, WithClock(fixedClock(now-3600)))
			s2, _ := old.SealMessage(msg, "wwSiyuTestCorp01", "")
			e2, _ := ParseEnvelope(s2.Body)
			sig, ts, nonce, enc = s2.MsgSignature, s2.Timestamp, s2.Nonce, e2.Encrypt
		}
		body, _ := Envelope{ToUserName: "wwSiyuTestCorp01", Encrypt: enc}.Marshal()
		got, err := c.DecryptMessage(sig, ts, nonce, body)
		if err == nil {
			t.Fatalf("case %d (kind %d) accepted: %q", i, kind, got)
		}
		if !IsCallbackRejection(err) {
			t.Fatalf("case %d (kind %d): error %v is not a typed rejection", i, kind, err)
		}
	}
}

func TestEnvelopeParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Envelope
		err  error
	}{
		{"cdata", "<xml><ToUserName><![CDATA[ww1]]></ToUserName><Encrypt><![CDATA[abc=]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>",
			Envelope{"ww1", "abc=", "218"}, nil},
		{"plain text and whitespace", "<xml>\n <ToUserName>ww1</ToUserName>\n <Encrypt>\n abc= \n</Encrypt></xml>",
			Envelope{"ww1", "abc=", ""}, nil},
		{"no encrypt", "<xml><ToUserName>ww1</ToUserName></xml>", Envelope{}, ErrMalformed},
		{"not xml", "{}", Envelope{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEnvelope([]byte(tt.body))
			if !errors.Is(err, tt.err) && !(err == nil && tt.err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzDecrypt(f *testing.F) {
	v := readVector(f, "callback_vector.txt")
	f.Add(v["encrypt"])
	f.Add("")
	f.Add("AAAA")
	f.Add(base64.StdEncoding.EncodeToString(make([]byte, 64)))
	c := testCrypter(f)
	f.Fuzz(func(t *testing.T, enc string) {
		msg, err := c.Decrypt(enc)
		if err != nil {
			if !IsCallbackRejection(err) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Anything accepted must re-encrypt and decrypt to the same message.
		enc2, err := c.Encrypt(msg)
		if err != nil {
			t.Fatal(err)
		}
		if msg2, err := c.Decrypt(enc2); err != nil || !bytes.Equal(msg, msg2) {
			t.Fatalf("re-encrypt round trip: %q vs %q, %v", msg, msg2, err)
		}
	})
}
