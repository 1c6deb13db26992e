package customer

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/sheet"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Spreadsheet reading for imports: CSV (UTF-8, or GB18030 as Excel on Chinese Windows saves it)
// and XLSX (the first sheet, streamed row by row). Rows are numbered as the spreadsheet shows
// them: the header is row 1, blank rows keep their number.

// Import file formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// FormatOf picks the format from a file name's extension; "" when it is neither.
func FormatOf(name string) string {
	lower := strings.ToLower(strings.TrimSpace(name))
	switch {
	case strings.HasSuffix(lower, ".csv"):
		return FormatCSV
	case strings.HasSuffix(lower, ".xlsx"):
		return FormatXLSX
	}
	return ""
}

// rowSource yields a sheet's rows in order; Next returns io.EOF after the last.
type rowSource interface {
	Next() (row int, cells []string, err error)
	Close() error
}

func openRows(format string, content []byte) (rowSource, error) {
	switch format {
	case FormatCSV:
		return newCSVRows(content), nil
	case FormatXLSX:
		return newXLSXRows(content)
	}
	return nil, fmt.Errorf("customer: unknown import format %q", format)
}

type csvRows struct {
	r   *csv.Reader
	row int
}

func newCSVRows(content []byte) *csvRows {
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	var rd io.Reader = bytes.NewReader(content)
	if !utf8.Valid(content) {
		rd = transform.NewReader(rd, simplifiedchinese.GB18030.NewDecoder())
	}
	r := csv.NewReader(rd)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	return &csvRows{r: r}
}

func (c *csvRows) Next() (int, []string, error) {
	rec, err := c.r.Read()
	if err != nil {
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		return 0, nil, fmt.Errorf("CSV row %d: %w", c.row+1, err)
	}
	c.row++
	return c.row, rec, nil
}

func (c *csvRows) Close() error { return nil }

type xlsxRows struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

func newXLSXRows(content []byte) (*xlsxRows, error) {
	f, err := sheet.OpenXLSX(content, 2<<30) // rows are streamed
	if err != nil {
		return nil, fmt.Errorf("not a readable XLSX file: %w", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, fmt.Errorf("the XLSX file has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read sheet %s: %w", sheets[0], err)
	}
	return &xlsxRows{f: f, rows: rows}, nil
}

func (x *xlsxRows) Next() (int, []string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return 0, nil, err
		}
		return 0, nil, io.EOF
	}
	x.row++
	// Raw values: phone numbers stay digits (not 1.38E+10) and dates stay serial numbers, which
	// the date columns convert.
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return 0, nil, fmt.Errorf("XLSX row %d: %w", x.row, err)
	}
	return x.row, cells, nil
}

func (x *xlsxRows) Close() error {
	err := x.rows.Close()
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// cellDate reads a date cell: text dates (see parseDate) or an Excel date serial number.
func cellDate(cell string) (string, bool) {
	if d, ok := parseDate(cell); ok {
		return d, true
	}
	if n, err := strconv.ParseFloat(strings.TrimSpace(cell), 64); err == nil && n >= 1 && n < 100000 {
		t, err := excelize.ExcelDateToTime(n, false)
		if err == nil {
			return parseDate(t.Format("2006-01-02"))
		}
	}
	return "", false
}

// cellText normalises a text cell: trimmed, and a number Excel stored as float (13812345678.0)
// back to its digits.
func cellText(cell string) string {
	cell = strings.TrimSpace(cell)
	if strings.HasSuffix(cell, ".0") && isDigits(strings.TrimSuffix(cell, ".0")) {
		return strings.TrimSuffix(cell, ".0")
	}
	if strings.ContainsAny(cell, "eE") {
		if n, err := strconv.ParseFloat(cell, 64); err == nil && n >= 1e6 && n < 1e16 && n == float64(int64(n)) {
			return strconv.FormatInt(int64(n), 10)
		}
	}
	return cell
}
