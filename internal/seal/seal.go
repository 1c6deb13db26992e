// Package seal encrypts small secrets (tenant WeCom secrets, tokens, AES keys) for storage with
// AES-256-GCM under the server's secret key. It must not be used for passwords (those are hashed,
// never decryptable) and it does not manage where the key comes from beyond reading it.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Box seals and opens secrets with one key.
type Box struct {
	aead cipher.AEAD
}

// version prefixes sealed values so the format (and later the key) can rotate.
const version = "v1:"

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("seal: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Box{aead: aead}, nil
}

// ParseKey decodes a base64 (standard or URL, padded or not) 32-byte key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("seal: the secret key must be 32 bytes in base64 (make one with: openssl rand -base64 32)")
}

// LoadOrCreateKeyFile reads the key at path, creating it with a fresh random key (mode 0600)
// when it does not exist. created reports whether a new key was made.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("seal: key file %s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("seal: read key file: %w", err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, false, fmt.Errorf("seal: generate key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, false, fmt.Errorf("seal: create key dir: %w", err)
	}
	// Write a complete temporary file, then link it into place: a crash never leaves an empty
	// key file, and of two processes starting together exactly one key wins.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-key-*")
	if err != nil {
		return nil, false, fmt.Errorf("seal: create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err := errors.Join(werr, tmp.Chmod(0o600), tmp.Sync(), tmp.Close()); err != nil {
		return nil, false, fmt.Errorf("seal: write key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race; use its key
			return LoadOrCreateKeyFile(path)
		}
		return nil, false, fmt.Errorf("seal: install key file: %w", err)
	}
	return key, true, nil
}

// Seal encrypts plaintext; the empty string seals to the empty string so "not set" stays visible.
// aad binds the ciphertext to its owner (e.g. "tenant:7:contact_secret"), so a sealed value
// copied to another row or tenant does not open.
func (b *Box) Seal(plaintext, aad string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
	return version + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with the same aad.
func (b *Box) Open(sealed, aad string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if !strings.HasPrefix(sealed, version) {
		return "", errors.New("seal: unknown format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(version):])
	if err != nil {
		return "", fmt.Errorf("seal: decode: %w", err)
	}
	n := b.aead.NonceSize()
	if len(raw) < n {
		return "", errors.New("seal: value too short")
	}
	pt, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(aad))
	if err != nil {
		return "", errors.New("seal: cannot decrypt (wrong secret key, or the value was moved or altered)")
	}
	return string(pt), nil
}
