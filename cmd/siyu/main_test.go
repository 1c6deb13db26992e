package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpOnEveryCommand(t *testing.T) {
	root := newRootCmd(nil, nil, nil)
	for _, c := range root.Commands() {
		paths := [][]string{{c.Name()}}
		for _, sub := range c.Commands() {
			paths = append(paths, []string{c.Name(), sub.Name()})
		}
		for _, p := range paths {
			code, out, errOut := runCLI(t, "", append(p, "--help")...)
			if code != 0 || !strings.Contains(out, "Usage:") {
				t.Errorf("siyu %s --help: exit %d, out %.80q, err %q", strings.Join(p, " "), code, out, errOut)
			}
		}
	}
}

func TestTenantAndUserCommands(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "", "tenant", "create", "acme", "--name", "艾克美", "--data", dir, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "created tenant acme") {
		t.Fatalf("tenant create: %d %q %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "tenant", "create", "acme", "--name", "again", "--data", dir, "--log-level", "warn")
	if code == 0 || !strings.Contains(errOut, "slug") {
		t.Errorf("duplicate tenant: %d %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "tenant", "create", "Bad Slug", "--name", "x", "--data", dir, "--log-level", "warn")
	if code == 0 || !strings.Contains(errOut, "slug") {
		t.Errorf("bad slug: %d %q", code, errOut)
	}
	code, out, errOut = runCLI(t, "a-long-password\n", "user", "create", "--tenant", "acme", "--username", "boss", "--password-stdin", "--data", dir, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "created user boss") {
		t.Fatalf("user create: %d %q %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "short\n", "user", "create", "--tenant", "acme", "--username", "kid", "--password-stdin", "--data", dir, "--log-level", "warn")
	if code == 0 || !strings.Contains(errOut, "password") {
		t.Errorf("short password: %d %q", code, errOut)
	}
	code, out, errOut = runCLI(t, "", "tenant", "set-wecom", "acme", "--corp-id", "ww0123456789abcdef", "--secret", "s3cret",
		"--token", "tok", "--aes-key", strings.Repeat("b", 43), "--data", dir, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "saved") {
		t.Errorf("set-wecom: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "migrate", "--data", dir, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("migrate: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "siyu ") {
		t.Errorf("version: %d %q", code, out)
	}
}
