package wecom

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// MaxCallbackBody bounds what a callback handler reads. Real envelopes are a few KiB; the bound
// keeps a hostile sender from making us buffer arbitrary amounts before the signature check.
const MaxCallbackBody = 1 << 20

// Envelope is the XML WeCom POSTs to a callback URL:
// <xml><ToUserName/><Encrypt/><AgentID/></xml>. ToUserName is the corp id; AgentID is the app id
// (empty for some customer-contact callbacks).
type Envelope struct {
	ToUserName string
	Encrypt    string
	AgentID    string
}

// cdata marshals as <![CDATA[…]]> and unmarshals from CDATA or plain text alike.
type cdata struct {
	Value string `xml:",cdata"`
}

type envelopeXML struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName cdata    `xml:"ToUserName"`
	Encrypt    cdata    `xml:"Encrypt"`
	AgentID    cdata    `xml:"AgentID"`
}

// Marshal renders the envelope the way WeCom does (CDATA sections).
func (e Envelope) Marshal() ([]byte, error) {
	b, err := xml.Marshal(envelopeXML{
		ToUserName: cdata{e.ToUserName},
		Encrypt:    cdata{e.Encrypt},
		AgentID:    cdata{e.AgentID},
	})
	if err != nil {
		return nil, fmt.Errorf("wecom: marshal envelope: %w", err)
	}
	return b, nil
}

// ParseEnvelope reads a POSTed envelope. A missing or empty <Encrypt> is ErrMalformed.
func ParseEnvelope(body []byte) (Envelope, error) {
	var x envelopeXML
	if err := xml.Unmarshal(body, &x); err != nil {
		return Envelope{}, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	if x.Encrypt.Value == "" {
		return Envelope{}, fmt.Errorf("%w: envelope has no Encrypt", ErrMalformed)
	}
	return Envelope{
		ToUserName: strings.TrimSpace(x.ToUserName.Value),
		Encrypt:    strings.TrimSpace(x.Encrypt.Value),
		AgentID:    strings.TrimSpace(x.AgentID.Value),
	}, nil
}

// DecryptMessage handles a POSTed callback: it parses the envelope, verifies msg_signature over
// its Encrypt, checks the timestamp window, decrypts, and returns the plaintext XML (parse it
// with ParseEvent).
func (c *Crypter) DecryptMessage(msgSignature, timestamp, nonce string, body []byte) ([]byte, error) {
	env, err := ParseEnvelope(body)
	if err != nil {
		return nil, err
	}
	if err := c.VerifySignature(msgSignature, timestamp, nonce, env.Encrypt); err != nil {
		return nil, err
	}
	if err := c.CheckTimestamp(timestamp); err != nil {
		return nil, err
	}
	return c.Decrypt(env.Encrypt)
}

// SealedMessage is an encrypted, signed callback ready to POST: the query parameters and the
// envelope body. It is what the WeCom server (and so the simulator) sends.
type SealedMessage struct {
	MsgSignature string
	Timestamp    string
	Nonce        string
	Body         []byte
}

// Query returns msg_signature, timestamp and nonce as URL query values.
func (s *SealedMessage) Query() url.Values {
	return url.Values{"msg_signature": {s.MsgSignature}, "timestamp": {s.Timestamp}, "nonce": {s.Nonce}}
}

// URL appends the query parameters to callbackURL, keeping any query it already has.
func (s *SealedMessage) URL(callbackURL string) (string, error) {
	u, err := url.Parse(callbackURL)
	if err != nil {
		return "", fmt.Errorf("wecom: callback url: %w", err)
	}
	q := u.Query()
	for k, v := range s.Query() {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// SealMessage encrypts msg into an envelope addressed to toUserName (the corp id) and signs it
// with the current time and a fresh nonce — the server side of DecryptMessage.
func (c *Crypter) SealMessage(msg []byte, toUserName, agentID string) (*SealedMessage, error) {
	enc, err := c.Encrypt(msg)
	if err != nil {
		return nil, err
	}
	nonce, err := c.newNonce()
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(c.now().Unix(), 10)
	body, err := Envelope{ToUserName: toUserName, Encrypt: enc, AgentID: agentID}.Marshal()
	if err != nil {
		return nil, err
	}
	return &SealedMessage{MsgSignature: c.Signature(ts, nonce, enc), Timestamp: ts, Nonce: nonce, Body: body}, nil
}

// SealEcho produces the query of a URL-verification GET: a signed, encrypted echostr. The
// receiver must answer with plain.
func (c *Crypter) SealEcho(plain string) (url.Values, error) {
	enc, err := c.Encrypt([]byte(plain))
	if err != nil {
		return nil, err
	}
	nonce, err := c.newNonce()
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(c.now().Unix(), 10)
	return url.Values{
		"msg_signature": {c.Signature(ts, nonce, enc)},
		"timestamp":     {ts},
		"nonce":         {nonce},
		"echostr":       {enc},
	}, nil
}

// replyXML is the passive-reply envelope an app may answer a callback with:
// <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>.
type replyXML struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata    `xml:"Encrypt"`
	MsgSignature cdata    `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        cdata    `xml:"Nonce"`
}

// EncryptReply builds an encrypted passive reply to a callback (for message callbacks that
// expect one; customer-contact events do not, an empty 200 is the answer there).
func (c *Crypter) EncryptReply(msg []byte, timestamp, nonce string) ([]byte, error) {
	enc, err := c.Encrypt(msg)
	if err != nil {
		return nil, err
	}
	b, err := xml.Marshal(replyXML{
		Encrypt:      cdata{enc},
		MsgSignature: cdata{c.Signature(timestamp, nonce, enc)},
		TimeStamp:    timestamp,
		Nonce:        cdata{nonce},
	})
	if err != nil {
		return nil, fmt.Errorf("wecom: marshal reply: %w", err)
	}
	return b, nil
}

// DecryptReply verifies and decrypts a passive reply (what the WeCom server does with it). The
// reply carries its own timestamp, which is not checked against the window: it echoes the
// request's.
func (c *Crypter) DecryptReply(body []byte) ([]byte, error) {
	var x replyXML
	if err := xml.Unmarshal(body, &x); err != nil {
		return nil, fmt.Errorf("%w: reply: %v", ErrMalformed, err)
	}
	enc := strings.TrimSpace(x.Encrypt.Value)
	if enc == "" {
		return nil, fmt.Errorf("%w: reply has no Encrypt", ErrMalformed)
	}
	ts, nonce := strings.TrimSpace(x.TimeStamp), strings.TrimSpace(x.Nonce.Value)
	if err := c.VerifySignature(strings.TrimSpace(x.MsgSignature.Value), ts, nonce, enc); err != nil {
		return nil, err
	}
	return c.Decrypt(enc)
}

// VerifyURLRequest handles a GET callback verification request and returns the echostr
// plaintext to write back.
func (c *Crypter) VerifyURLRequest(r *http.Request) ([]byte, error) {
	q := r.URL.Query()
	// echostr is base64; a sender that forgot to escape '+' has it decoded as a space.
	echo := strings.ReplaceAll(q.Get("echostr"), " ", "+")
	if echo == "" {
		return nil, fmt.Errorf("%w: missing echostr", ErrMalformed)
	}
	return c.VerifyURL(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), echo)
}

// DecryptRequest handles a POST callback request: it reads at most MaxCallbackBody bytes and
// returns the decrypted plaintext XML.
func (c *Crypter) DecryptRequest(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxCallbackBody+1))
	if err != nil {
		return nil, fmt.Errorf("wecom: read callback body: %w", err)
	}
	if len(body) > MaxCallbackBody {
		return nil, fmt.Errorf("%w: body larger than %d bytes", ErrMalformed, MaxCallbackBody)
	}
	q := r.URL.Query()
	return c.DecryptMessage(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), body)
}

// IsCallbackRejection reports whether err is one of the callback crypto rejections (as opposed
// to an I/O error while reading the request).
func IsCallbackRejection(err error) bool {
	return errors.Is(err, ErrBadSignature) || errors.Is(err, ErrBadPadding) ||
		errors.Is(err, ErrBadReceiveID) || errors.Is(err, ErrMalformed) || errors.Is(err, ErrStale)
}
