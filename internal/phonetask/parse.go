package phonetask

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"github.com/siyu-scrm/siyu/internal/sheet"
)

// Row is one number of a list as imported.
type Row struct {
	Phone  string `json:"phone" doc:"a mobile number; +86 is assumed without a country code; stored as E.164"`
	Name   string `json:"name,omitempty"`
	Remark string `json:"remark,omitempty"`
}

// RowError is a bad row of an uploaded file: its spreadsheet row number (the header is row 1).
type RowError struct {
	Row   int    `json:"row"`
	Field string `json:"field"`
	Code  string `json:"code" doc:"required, invalid, duplicate or too_long"`
}

// Limits of a list.
const (
	MaxRows      = 10000
	MaxFileSize  = 5 << 20
	maxNameLen   = 50
	maxRemarkLen = 200
)

// NormalizePhone returns a mobile number in E.164 (+8613812345678); numbers without a country
// code are taken as Chinese.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	n, err := phonenumbers.Parse(s, "CN")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	if t := phonenumbers.GetNumberType(n); t != phonenumbers.MOBILE && t != phonenumbers.FIXED_LINE_OR_MOBILE {
		return "", false // WeCom finds people by mobile number only
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// CheckRow normalises a row in place and returns the field codes that are wrong with it.
func CheckRow(r *Row) map[string]string {
	bad := map[string]string{}
	r.Name, r.Remark = strings.TrimSpace(r.Name), strings.TrimSpace(r.Remark)
	if strings.TrimSpace(r.Phone) == "" {
		bad["phone"] = "required"
	} else if p, ok := NormalizePhone(r.Phone); ok {
		r.Phone = p
	} else {
		bad["phone"] = "invalid"
	}
	if utf8.RuneCountInString(r.Name) > maxNameLen {
		bad["name"] = "too_long"
	}
	if utf8.RuneCountInString(r.Remark) > maxRemarkLen {
		bad["remark"] = "too_long"
	}
	return bad
}

// header names a column may go by (lower case).
var headers = map[string]string{
	"phone": "phone", "mobile": "phone", "手机号": "phone", "手机": "phone", "电话": "phone", "手机号码": "phone",
	"name": "name", "姓名": "name", "名称": "name", "称呼": "name",
	"remark": "remark", "note": "remark", "备注": "remark",
}

// ErrNoPhoneColumn is a file whose header (row 1) names no phone column.
var ErrNoPhoneColumn = errors.New("phonetask: no phone column in row 1")

// ParseFile reads a .csv or .xlsx list: row 1 is the header (phone / 手机号, optional name / 姓名
// and remark / 备注). It returns the good rows and the bad ones by spreadsheet row number; a number
// listed twice is reported on its second row.
func ParseFile(name string, content []byte) ([]Row, []RowError, error) {
	var records [][]string
	switch {
	case strings.HasSuffix(strings.ToLower(name), ".xlsx"):
		f, err := sheet.OpenXLSX(content, 64<<20)
		if err != nil {
			return nil, nil, fmt.Errorf("phonetask: read xlsx: %w", err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, nil, ErrNoPhoneColumn
		}
		records, err = f.GetRows(sheets[0])
		if err != nil {
			return nil, nil, fmt.Errorf("phonetask: read xlsx: %w", err)
		}
	case strings.HasSuffix(strings.ToLower(name), ".csv"):
		rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))))
		rd.FieldsPerRecord = -1
		for {
			rec, err := rd.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, nil, fmt.Errorf("phonetask: read csv: %w", err)
			}
			records = append(records, rec)
		}
	default:
		return nil, nil, fmt.Errorf("phonetask: unsupported file %q (use .csv or .xlsx)", name)
	}
	if len(records) == 0 {
		return nil, nil, ErrNoPhoneColumn
	}
	col := map[string]int{}
	for i, h := range records[0] {
		if k, ok := headers[strings.ToLower(strings.TrimSpace(h))]; ok {
			if _, dup := col[k]; !dup {
				col[k] = i
			}
		}
	}
	if _, ok := col["phone"]; !ok {
		return nil, nil, ErrNoPhoneColumn
	}
	cell := func(rec []string, k string) string {
		i, ok := col[k]
		if !ok || i >= len(rec) {
			return ""
		}
		return rec[i]
	}
	rows := []Row{}
	errs := []RowError{}
	seen := map[string]bool{}
	for i, rec := range records[1:] {
		n := i + 2
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // blank line
		}
		r := Row{Phone: cell(rec, "phone"), Name: cell(rec, "name"), Remark: cell(rec, "remark")}
		bad := CheckRow(&r)
		for _, f := range []string{"phone", "name", "remark"} {
			if c, ok := bad[f]; ok {
				errs = append(errs, RowError{Row: n, Field: f, Code: c})
			}
		}
		if len(bad) > 0 {
			continue
		}
		if seen[r.Phone] {
			errs = append(errs, RowError{Row: n, Field: "phone", Code: "duplicate"})
			continue
		}
		seen[r.Phone] = true
		rows = append(rows, r)
	}
	return rows, errs, nil
}
