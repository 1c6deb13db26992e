package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/audit"
	"github.com/siyu-scrm/siyu/internal/config"
)

// TestImportExportCommands: an all-or-nothing import with a bad row writes nothing and exits 2,
// listing the row; skip-bad imports the rest; a second run changes nothing; exports follow the
// extension and are audit-logged as the CLI.
func TestImportExportCommands(t *testing.T) {
	dir := t.TempDir()
	data := []string{"--data", dir, "--log-level", "warn"}
	if code, _, errOut := runCLI(t, "", append([]string{"tenant", "create", "acme", "--name", "艾克美"}, data...)...); code != 0 {
		t.Fatalf("tenant create: %s", errOut)
	}
	file := filepath.Join(dir, "customers.csv")
	content := "姓名,手机号,性别,生日\n张三,13800000001,男,1990-01-02\n李四,12345,女,\n王五,13800000003,未知,1992-13-01\n赵六,13800000004,女,\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	imp := func(extra ...string) (int, string, string) {
		return runCLI(t, "", append(append([]string{"import", "customers", file, "--tenant", "acme"}, extra...), data...)...)
	}
	code, out, errOut := imp()
	if code != 2 || !strings.Contains(out, "nothing was imported") || !strings.Contains(errOut, "row 3, 手机号 (phone)") ||
		!strings.Contains(errOut, "row 4, 生日 (birthday)") || !strings.Contains(errOut, `column "手机号" → phone`) {
		t.Fatalf("all-or-nothing: %d %q %q", code, out, errOut)
	}
	code, out, errOut = imp("--dry-run", "--mode", "skip-bad")
	if code != 0 || !strings.Contains(out, "would create 2 customers") {
		t.Errorf("dry run: %d %q %q", code, out, errOut)
	}
	code, out, errOut = imp("--mode", "skip-bad")
	if code != 0 || !strings.Contains(out, "2 imported (2 created, 0 updated, 0 unchanged), 2 bad") || !strings.Contains(errOut, "writing: 2/2") {
		t.Fatalf("skip-bad: %d %q %q", code, out, errOut)
	}
	code, out, _ = imp("--mode", "skip-bad")
	if code != 0 || !strings.Contains(out, "(0 created, 0 updated, 2 unchanged)") {
		t.Errorf("again: %d %q", code, out)
	}
	if code, _, errOut := imp("--mode", "maybe"); code == 0 || !strings.Contains(errOut, "--mode") {
		t.Errorf("bad mode: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", append([]string{"import", "customers", file, "--tenant", "nope"}, data...)...); code == 0 || !strings.Contains(errOut, "not found") {
		t.Errorf("unknown tenant: %d %q", code, errOut)
	}

	csvOut := filepath.Join(dir, "out.csv")
	code, out, errOut = runCLI(t, "", append([]string{"export", "customers", "--tenant", "acme", "--output", csvOut, "--lang", "en"}, data...)...)
	if code != 0 || !strings.Contains(out, "exported 2 customers") {
		t.Fatalf("export csv: %d %q %q", code, out, errOut)
	}
	f, err := os.Open(csvOut)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 3 || recs[0][2] != "Phone" || !strings.Contains(recs[1][2]+recs[2][2], "+8613800000001") {
		t.Errorf("csv: %v %v", recs, err)
	}
	xlsxOut := filepath.Join(dir, "out.xlsx")
	if code, out, _ := runCLI(t, "", append([]string{"export", "customers", "--tenant", "acme", "--output", xlsxOut}, data...)...); code != 0 || !strings.Contains(out, "exported 2") {
		t.Errorf("export xlsx: %d %q", code, out)
	}
	if b, err := os.ReadFile(xlsxOut); err != nil || !strings.HasPrefix(string(b), "PK") {
		t.Errorf("xlsx file: %v", err)
	}
	if code, _, errOut := runCLI(t, "", append([]string{"export", "customers", "--tenant", "acme", "--output", filepath.Join(dir, "x.pdf")}, data...)...); code == 0 || !strings.Contains(errOut, ".csv or .xlsx") {
		t.Errorf("bad extension: %d %q", code, errOut)
	}
	cfg := config.Default()
	cfg.DataDir = dir
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	t1, _ := a.Org.TenantBySlug(context.Background(), "acme")
	entries, err := audit.List(context.Background(), a.DB, t1.ID, "customer.export", 10)
	if err != nil || len(entries) != 2 || entries[0].Actor != "cli" || !strings.Contains(string(entries[0].Detail.(json.RawMessage)), `"via":"cli"`) {
		t.Errorf("audit: %+v %v", entries, err)
	}
}
