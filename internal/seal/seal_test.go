package seal

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	box, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal("corp-secret-值", "tenant:1:app_secret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "corp-secret") {
		t.Fatalf("sealed value leaks plaintext: %q", sealed)
	}
	got, err := box.Open(sealed, "tenant:1:app_secret")
	if err != nil || got != "corp-secret-值" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := box.Open(sealed, "tenant:2:app_secret"); err == nil {
		t.Error("Open with another tenant's aad succeeded")
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(sealed, "tenant:1:app_secret"); err == nil {
		t.Error("Open with another key succeeded")
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := box.Open(tampered, "tenant:1:app_secret"); err == nil {
		t.Error("Open of a tampered value succeeded")
	}
	if s, _ := box.Seal("", "x"); s != "" {
		t.Errorf("Seal(\"\") = %q, want empty", s)
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k", "secret.key")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(k1) != 32 {
		t.Fatalf("create: %v %v %d", err, created, len(k1))
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("reload: %v %v equal=%v", err, created, bytes.Equal(k1, k2))
	}
	if _, err := ParseKey("short"); err == nil {
		t.Error("ParseKey accepted a short key")
	}
}
