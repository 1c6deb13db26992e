package sheet_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/siyu-scrm/siyu/internal/sheet"
)

func TestFormatOf(t *testing.T) {
	for in, want := range map[string]sheet.Format{"a.csv": sheet.CSV, "B.XLSX": sheet.XLSX, "xlsx": sheet.XLSX, ".csv": sheet.CSV} {
		if got, err := sheet.FormatOf(in); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"a.xls", "", "pdf", "a.csv.gz"} {
		if _, err := sheet.FormatOf(in); err == nil {
			t.Errorf("FormatOf(%q) accepted", in)
		}
	}
}

func TestWriters(t *testing.T) {
	half := 0.5
	var none *float64
	rows := [][]any{{"渠道", "加粉", "ROI"}, {"门店", int64(12), &half}, {"+8613800001234", 3, none}}

	var buf bytes.Buffer
	w, err := sheet.NewWriter(&buf, sheet.CSV)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "\ufeff渠道,加粉,ROI\n门店,12,0.5000\n+8613800001234,3,\n"
	if buf.String() != want {
		t.Errorf("csv = %q, want %q", buf.String(), want)
	}

	buf.Reset()
	if w, err = sheet.NewWriter(&buf, sheet.XLSX); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got[1], "|") != "门店|12|0.5000" || got[2][0] != "+8613800001234" {
		t.Errorf("xlsx rows = %q", got)
	}
	if typ, _ := f.GetCellType("Sheet1", "B2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("B2 is text (%v), want a number", typ)
	}
}

// A text cell that starts like a formula is written so that spreadsheets show it as text; signed
// numbers and phone numbers stay as they are.
func TestCSVDefusesFormulas(t *testing.T) {
	var buf bytes.Buffer
	w, err := sheet.NewWriter(&buf, sheet.CSV)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write("=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(A1)", "+8613800001234", "-5", int64(-7), "张三"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "\ufeff\"'=HYPERLINK(\"\"http://x\"\")\",'+cmd|' /C calc'!A0,'@SUM(A1),+8613800001234,-5,-7,张三\n"
	if buf.String() != want {
		t.Errorf("csv = %q, want %q", buf.String(), want)
	}
}
