package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportOrdersCommand(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := runCLI(t, "", "tenant", "create", "shop", "--name", "店", "--data", dir, "--log-level", "warn"); code != 0 {
		t.Fatalf("tenant create: %d %q %q", code, out, errOut)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "order_id,source,phone,paid_at,amount,refund\n"
	bad := write("bad.csv", header+"A1,pos,13700000001,2024-05-01 10:00:00,10,0\nA2,pos,13700000002,someday,x,0\n")
	good := write("good.csv", header+"A1,pos,13700000001,2024-05-01 10:00:00,10,0\nA2,pos,13700000002,2024-05-02 10:00:00,8.5,1\n")
	args := func(file string, extra ...string) []string {
		return append([]string{"import", "orders", file, "--tenant", "shop", "--layout", "generic", "--data", dir, "--log-level", "warn"}, extra...)
	}
	code, _, errOut := runCLI(t, "", args(bad)...)
	if code != 2 || !strings.Contains(errOut, "row 3, amount:") || !strings.Contains(errOut, "row 3, paid_at:") || !strings.Contains(errOut, "nothing was imported") {
		t.Errorf("bad file: exit %d, stderr %q", code, errOut)
	}
	for _, tc := range []struct {
		extra []string
		want  string
	}{
		{[]string{"--dry-run"}, "checked (dry run, nothing written) 2 rows: 2 created"},
		{nil, "imported 2 rows: 2 created, 0 updated, 0 unchanged"},
		{nil, "imported 2 rows: 0 created, 0 updated, 2 unchanged"},
	} {
		code, out, errOut := runCLI(t, "", args(good, tc.extra...)...)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("import %v: exit %d, out %q, err %q; want %q", tc.extra, code, out, errOut, tc.want)
		}
	}
	if code, _, errOut := runCLI(t, "", "import", "orders", good, "--tenant", "nobody", "--data", dir, "--log-level", "warn"); code == 0 {
		t.Errorf("unknown tenant: exit 0, %q", errOut)
	}
}
