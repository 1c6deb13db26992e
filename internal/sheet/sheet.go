// Package sheet reads and writes tables as the files operations teams use: CSV (UTF-8 with a byte-order
// mark, so Excel on Windows shows Chinese correctly) and XLSX (streamed, so large exports do not
// build the whole workbook in memory). It knows nothing of what the rows mean.
package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Format is a file format.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// FormatOf returns the format named by a file name's extension or a format parameter
// ("export.xlsx", "xlsx", ".csv").
func FormatOf(name string) (Format, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext("x."+strings.TrimPrefix(name, ".")), "."))
	switch Format(ext) {
	case CSV:
		return CSV, nil
	case XLSX:
		return XLSX, nil
	}
	return "", fmt.Errorf("sheet: unsupported format %q (use .csv or .xlsx)", name)
}

// ContentType is the MIME type of the format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Writer writes rows; Close finishes the file. Cells are strings, integers or floats; in XLSX
// numbers stay numbers (so totals can be summed) and strings stay text (so phone numbers and
// ids keep their digits).
type Writer interface {
	Write(cells ...any) error
	Close() error
}

// NewWriter returns a writer of the format to w.
func NewWriter(w io.Writer, f Format) (Writer, error) {
	switch f {
	case CSV:
		bw := bufio.NewWriter(w)
		if _, err := bw.WriteString("\xef\xbb\xbf"); err != nil {
			return nil, err
		}
		return &csvWriter{w: csv.NewWriter(bw), bw: bw}, nil
	case XLSX:
		x := excelize.NewFile()
		sw, err := x.NewStreamWriter("Sheet1")
		if err != nil {
			x.Close()
			return nil, fmt.Errorf("sheet: %w", err)
		}
		return &xlsxWriter{f: x, sw: sw, out: w}, nil
	}
	return nil, fmt.Errorf("sheet: unsupported format %q", f)
}

type csvWriter struct {
	w   *csv.Writer
	bw  *bufio.Writer
	rec []string
}

func (c *csvWriter) Write(cells ...any) error {
	c.rec = c.rec[:0]
	for _, v := range cells {
		t := text(v)
		if _, isText := v.(string); isText {
			t = defuse(t)
		}
		c.rec = append(c.rec, t)
	}
	return c.w.Write(c.rec)
}

// defuse keeps a spreadsheet from reading a text cell as a formula (CSV injection): a customer
// can name themselves "=HYPERLINK(…)" in WeChat. Cells that start like a formula get a leading
// apostrophe; a plain number with a sign ("+8613800001234", "-5") is left alone.
func defuse(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if strings.TrimLeft(s[1:], "0123456789. ") != "" {
			return "'" + s
		}
	}
	return s
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

type xlsxWriter struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	row int
	out io.Writer
}

func (x *xlsxWriter) Write(cells ...any) error {
	x.row++
	vals := make([]any, len(cells))
	for i, v := range cells {
		switch v.(type) {
		case int, int64, float64:
			vals[i] = v
		default:
			vals[i] = text(v)
		}
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, vals)
}

func (x *xlsxWriter) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	return x.f.Write(x.out)
}

// text renders a cell: nil pointers (a ratio that does not exist) are empty.
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case int:
		return strconv.Itoa(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case *float64:
		if t == nil {
			return ""
		}
		return strconv.FormatFloat(*t, 'f', 4, 64)
	case *int64:
		if t == nil {
			return ""
		}
		return strconv.FormatInt(*t, 10)
	case fmt.Stringer:
		return t.String()
	}
	return fmt.Sprint(v)
}

// OpenXLSX opens an uploaded workbook with its unzipped size bounded: the upload limits count
// compressed bytes, and a few megabytes of zip can expand to gigabytes of XML. maxUnzipped is
// the most the whole workbook may expand to.
func OpenXLSX(content []byte, maxUnzipped int64) (*excelize.File, error) {
	return excelize.OpenReader(bytes.NewReader(content), excelize.Options{
		UnzipSizeLimit:    maxUnzipped,
		UnzipXMLSizeLimit: min(maxUnzipped, 64<<20), // larger sheets spill to temporary files
	})
}
