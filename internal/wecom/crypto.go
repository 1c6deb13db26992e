package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Callback crypto errors. Each rejection of a callback wraps exactly one of them, so a handler can
// log the reason and answer accordingly (all of them mean "do not process this request").
var (
	ErrBadSignature = errors.New("wecom: callback signature mismatch")
	ErrBadPadding   = errors.New("wecom: callback PKCS#7 padding invalid")
	ErrBadReceiveID = errors.New("wecom: callback receive id mismatch")
	ErrMalformed    = errors.New("wecom: callback payload malformed")
	ErrStale        = errors.New("wecom: callback timestamp outside the accepted window")
)

// DefaultWindow is how far a callback's timestamp may be from our clock before it is rejected as
// stale. WeCom gives up after three deliveries of 5 s each, so a genuine callback is never older
// than a few seconds; five minutes absorbs clock skew while still bounding replays.
const DefaultWindow = 5 * time.Minute

const (
	// padBlock is the PKCS#7 block size WeCom pads to. It is 32 (the key length), not the AES
	// block size of 16: the official samples pad to 32 and reject anything else.
	padBlock = 32
	// randLen and lenLen describe the plaintext frame: 16 random bytes, a 4-byte big-endian
	// message length, the message, then the receive id.
	randLen = 16
	lenLen  = 4
)

// Crypter implements WeCom's callback encryption for one (token, EncodingAESKey, receive id)
// triple. It serves both sides: the receiver (Siyu) verifies and decrypts, the sender (the
// simulator) encrypts and signs. It is safe for concurrent use.
type Crypter struct {
	token     string
	receiveID string
	key       []byte
	block     cipher.Block
	now       func() time.Time
	window    time.Duration
	rand      io.Reader
}

// CrypterOption configures a Crypter.
type CrypterOption func(*Crypter)

// WithClock sets the clock used for the staleness check and for the timestamps of sealed
// messages. The default is time.Now.
func WithClock(now func() time.Time) CrypterOption { return func(c *Crypter) { c.now = now } }

// WithWindow sets the accepted timestamp window (DefaultWindow by default). A window <= 0
// disables the staleness check, which only tests of historical vectors should do.
func WithWindow(d time.Duration) CrypterOption { return func(c *Crypter) { c.window = d } }

// WithRandom sets the source of the 16 random bytes and of nonces (crypto/rand by default).
// Tests use it to reproduce byte-exact vectors.
func WithRandom(r io.Reader) CrypterOption { return func(c *Crypter) { c.rand = r } }

// NewCrypter validates the configuration and returns a Crypter. encodingAESKey must be the
// 43-character key from the WeCom admin console (letters and digits only); receiveID is the corp
// id for self-built apps and customer contact (the suite id for third-party apps; empty for
// personal third-party apps, in which case the frame must carry an empty id).
func NewCrypter(token, encodingAESKey, receiveID string, opts ...CrypterOption) (*Crypter, error) {
	if token == "" {
		return nil, errors.New("wecom: new crypter: empty token")
	}
	key, err := DecodeAESKey(encodingAESKey)
	if err != nil {
		return nil, fmt.Errorf("wecom: new crypter: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("wecom: new crypter: %w", err)
	}
	c := &Crypter{
		token:     token,
		receiveID: receiveID,
		key:       key,
		block:     block,
		now:       time.Now,
		window:    DefaultWindow,
		rand:      rand.Reader,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// DecodeAESKey turns a 43-character EncodingAESKey into the 32-byte AES key
// (base64-decode of key + "="). It rejects keys of the wrong length or alphabet rather than let
// a typo surface later as "signature ok but padding invalid".
func DecodeAESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	for i := 0; i < len(encodingAESKey); i++ {
		ch := encodingAESKey[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9') {
			return nil, fmt.Errorf("EncodingAESKey has invalid character %q at %d (only a-z, A-Z, 0-9)", ch, i)
		}
	}
	// The 43rd character carries 2 bits that do not fit in 32 bytes; WeCom's keys do not zero
	// them, so the lenient (non-Strict) decoder is required.
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		return nil, fmt.Errorf("EncodingAESKey is not base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("EncodingAESKey decodes to %d bytes, want 32", len(key))
	}
	return key, nil
}

// ReceiveID returns the receive id the Crypter expects and writes.
func (c *Crypter) ReceiveID() string { return c.receiveID }

// Signature computes msg_signature: the lowercase hex SHA-1 of token, timestamp, nonce and the
// encrypted text, sorted as byte strings and concatenated.
func (c *Crypter) Signature(timestamp, nonce, encrypt string) string {
	parts := []string{c.token, timestamp, nonce, encrypt}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// VerifySignature checks msgSignature in constant time.
func (c *Crypter) VerifySignature(msgSignature, timestamp, nonce, encrypt string) error {
	want := c.Signature(timestamp, nonce, encrypt)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(msgSignature)), []byte(want)) != 1 {
		return ErrBadSignature
	}
	return nil
}

// CheckTimestamp rejects a callback timestamp (Unix seconds, decimal) outside the window.
func (c *Crypter) CheckTimestamp(timestamp string) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not an integer", ErrMalformed, timestamp)
	}
	if c.window <= 0 {
		return nil
	}
	now := c.now().Unix()
	d := now - ts
	if d < 0 {
		d = -d
	}
	if d > int64(c.window/time.Second) {
		return fmt.Errorf("%w: timestamp %d is %ds from now", ErrStale, ts, d)
	}
	return nil
}

// Encrypt frames msg (16 random bytes, 4-byte big-endian length, msg, receive id), pads it with
// PKCS#7 to a multiple of 32 bytes, encrypts it with AES-256-CBC (IV = key[:16]) and returns the
// base64 text that goes into <Encrypt>.
func (c *Crypter) Encrypt(msg []byte) (string, error) {
	if uint64(len(msg)) > math.MaxUint32 {
		return "", errors.New("wecom: encrypt: message too large")
	}
	frame := make([]byte, 0, randLen+lenLen+len(msg)+len(c.receiveID)+padBlock)
	var rnd [randLen]byte
	if _, err := io.ReadFull(c.rand, rnd[:]); err != nil {
		return "", fmt.Errorf("wecom: encrypt: read random: %w", err)
	}
	frame = append(frame, rnd[:]...)
	frame = binary.BigEndian.AppendUint32(frame, uint32(len(msg)))
	frame = append(frame, msg...)
	frame = append(frame, c.receiveID...)
	frame = pkcs7Pad(frame)

	out := make([]byte, len(frame))
	cipher.NewCBCEncrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(out, frame)
	return base64.StdEncoding.EncodeToString(out), nil
}

// Decrypt reverses Encrypt and returns the message. It does not check the signature; callers
// handling a request use VerifyURL or DecryptMessage, which check it first.
//
// Rejections: ErrMalformed (not base64, not whole AES blocks, frame too short, length field out
// of bounds), ErrBadPadding (not a multiple of 32, or padding not 1..32 equal bytes),
// ErrBadReceiveID (the trailing id differs).
func (c *Crypter) Decrypt(encrypt string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encrypt)
	if err != nil {
		return nil, fmt.Errorf("%w: encrypt is not base64", ErrMalformed)
	}
	if len(raw) == 0 || len(raw)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes is not whole AES blocks", ErrMalformed, len(raw))
	}
	if len(raw)%padBlock != 0 {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes is not padded to 32", ErrBadPadding, len(raw))
	}
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(plain, raw)
	plain, err = pkcs7Unpad(plain)
	if err != nil {
		return nil, err
	}
	if len(plain) < randLen+lenLen {
		return nil, fmt.Errorf("%w: frame of %d bytes is shorter than its header", ErrMalformed, len(plain))
	}
	n := uint64(binary.BigEndian.Uint32(plain[randLen : randLen+lenLen]))
	rest := plain[randLen+lenLen:]
	if n > uint64(len(rest)) {
		return nil, fmt.Errorf("%w: length field %d exceeds the %d bytes that follow", ErrMalformed, n, len(rest))
	}
	msg, rid := rest[:n], rest[n:]
	if subtle.ConstantTimeCompare(rid, []byte(c.receiveID)) != 1 {
		return nil, ErrBadReceiveID
	}
	return msg, nil
}

// VerifyURL handles the GET verification WeCom sends when a callback URL is saved: it checks the
// timestamp window and the signature over echostr, decrypts echostr and returns the plaintext,
// which the handler must write back as the bare response body (no quotes, BOM or newline).
func (c *Crypter) VerifyURL(msgSignature, timestamp, nonce, echostr string) ([]byte, error) {
	if err := c.VerifySignature(msgSignature, timestamp, nonce, echostr); err != nil {
		return nil, err
	}
	if err := c.CheckTimestamp(timestamp); err != nil {
		return nil, err
	}
	return c.Decrypt(echostr)
}

// pkcs7Pad pads b to a multiple of padBlock; a full block of padding is added when b is already
// aligned, so unpadding is unambiguous.
func pkcs7Pad(b []byte) []byte {
	p := padBlock - len(b)%padBlock
	return append(b, bytes.Repeat([]byte{byte(p)}, p)...)
}

// pkcs7Unpad strictly validates and strips the padding: the pad length must be 1..32 and every
// pad byte must equal it. The byte comparison runs over the last 32 bytes whatever the pad
// length, so its timing does not reveal where the padding went wrong.
func pkcs7Unpad(b []byte) ([]byte, error) {
	n := len(b)
	if n == 0 || n%padBlock != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a multiple of 32", ErrBadPadding, n)
	}
	p := int(b[n-1])
	if p < 1 || p > padBlock {
		return nil, fmt.Errorf("%w: pad length %d not in 1..32", ErrBadPadding, p)
	}
	var diff byte
	for i := 0; i < padBlock; i++ {
		inPad := byte(subtle.ConstantTimeLessOrEq(i+1, p)) * 0xff
		diff |= inPad & (b[n-1-i] ^ byte(p))
	}
	if diff != 0 {
		return nil, fmt.Errorf("%w: pad bytes differ", ErrBadPadding)
	}
	return b[:n-p], nil
}

// newNonce returns a decimal nonce like the ones WeCom sends (e.g. "1372623149").
func (c *Crypter) newNonce() (string, error) {
	var b [8]byte
	if _, err := io.ReadFull(c.rand, b[:]); err != nil {
		return "", fmt.Errorf("wecom: nonce: %w", err)
	}
	return strconv.FormatUint(binary.BigEndian.Uint64(b[:])%9_000_000_000+1_000_000_000, 10), nil
}
