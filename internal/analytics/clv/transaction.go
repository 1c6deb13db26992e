package clv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Transaction is one purchase by one customer.
type Transaction struct {
	CustomerID string
	// Date is the day of the purchase; the time of day is ignored.
	Date time.Time
	// Amount is the value of the purchase in fen (1/100 of a yuan).
	Amount int64
}

// CSVOptions says how to read a transaction CSV. Zero fields take the
// defaults of DefaultCSVOptions.
type CSVOptions struct {
	CustomerColumn string // default "customer_id"
	DateColumn     string // default "date"
	AmountColumn   string // default "amount"
	// DateLayout is a Go time layout; default "2006-01-02".
	DateLayout string
	// Comma is the field separator; default ','.
	Comma rune
}

// DefaultCSVOptions returns the options for Siyu's own export format: a
// header customer_id,date,amount with dates as YYYY-MM-DD and amounts as
// decimal yuan ("29.33").
func DefaultCSVOptions() CSVOptions {
	return CSVOptions{
		CustomerColumn: "customer_id",
		DateColumn:     "date",
		AmountColumn:   "amount",
		DateLayout:     "2006-01-02",
		Comma:          ',',
	}
}

func (o CSVOptions) withDefaults() CSVOptions {
	d := DefaultCSVOptions()
	if o.CustomerColumn == "" {
		o.CustomerColumn = d.CustomerColumn
	}
	if o.DateColumn == "" {
		o.DateColumn = d.DateColumn
	}
	if o.AmountColumn == "" {
		o.AmountColumn = d.AmountColumn
	}
	if o.DateLayout == "" {
		o.DateLayout = d.DateLayout
	}
	if o.Comma == 0 {
		o.Comma = d.Comma
	}
	return o
}

// RowError reports a bad value in a transaction file. Row is numbered as a
// spreadsheet shows it: the header is row 1, the first transaction row 2.
type RowError struct {
	Row    int
	Column string
	Value  string
	Err    error
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %v", e.Row, e.Err)
	}
	return fmt.Sprintf("row %d, column %q: value %q: %v", e.Row, e.Column, e.Value, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// ErrNegativeAmount is returned (inside a RowError) for a negative amount:
// the Gamma-Gamma model needs positive spend, so refunds must be netted into
// the purchases they refund before the export.
var ErrNegativeAmount = errors.New("negative amount: refunds are not supported, net them into the purchase they refund")

// ReadTransactions reads a CSV with a header row naming at least the customer,
// date and amount columns (other columns are ignored). Amounts are decimal
// numbers in yuan with at most two decimal places and are converted to fen
// exactly. Rows whose fields are all empty are skipped. The first error stops
// the read and names the row and column.
func ReadTransactions(r io.Reader, opts CSVOptions) ([]Transaction, error) {
	opts = opts.withDefaults()
	cr := csv.NewReader(r)
	cr.Comma = opts.Comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty file: want a header row naming the customer, date and amount columns")
	}
	if err != nil {
		return nil, fmt.Errorf("header (row 1): %w", err)
	}
	if !utf8.ValidString(strings.Join(header, "")) {
		return nil, errors.New(`header (row 1) is not UTF-8 text; if Excel saved the file, save it again as "CSV UTF-8"`)
	}
	cols := make([]string, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // byte-order mark written by Excel
		}
		cols[i] = h
	}
	find := func(name string) (int, error) {
		for i, c := range cols {
			if c == name {
				return i, nil
			}
		}
		return 0, fmt.Errorf("header (row 1): no column %q; the columns are %s", name, strings.Join(quoteAll(cols), ", "))
	}
	ci, err := find(opts.CustomerColumn)
	if err != nil {
		return nil, err
	}
	di, err := find(opts.DateColumn)
	if err != nil {
		return nil, err
	}
	ai, err := find(opts.AmountColumn)
	if err != nil {
		return nil, err
	}

	// Customer IDs repeat on many rows; keep one copy of each.
	ids := make(map[string]string)
	var txs []Transaction
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &RowError{Row: pe.StartLine, Err: pe.Err}
			}
			return nil, err
		}
		row, _ := cr.FieldPos(0)
		if blank(rec) { // e.g. the ",,," rows spreadsheets leave at the end
			continue
		}
		if len(rec) != len(cols) {
			// More fields than the header usually means an unquoted comma
			// inside a value, e.g. a decimal comma ("12,50"): reading on
			// would take the wrong field as the amount.
			return nil, &RowError{Row: row, Err: fmt.Errorf("has %d fields, the header has %d (an unquoted %q inside a value?)", len(rec), len(cols), opts.Comma)}
		}
		rawID := strings.TrimSpace(rec[ci])
		if rawID == "" {
			return nil, &RowError{Row: row, Column: opts.CustomerColumn, Value: rec[ci], Err: errors.New("empty customer id")}
		}
		id, ok := ids[rawID]
		if !ok {
			id = strings.Clone(rawID)
			ids[id] = id
		}
		rawDate := strings.TrimSpace(rec[di])
		date, err := time.Parse(opts.DateLayout, rawDate)
		if err != nil {
			return nil, &RowError{Row: row, Column: opts.DateColumn, Value: rec[di], Err: fmt.Errorf("not a date in layout %q", opts.DateLayout)}
		}
		amount, err := ParseAmount(rec[ai])
		if err == nil && amount < 0 {
			err = ErrNegativeAmount
		}
		if err != nil {
			return nil, &RowError{Row: row, Column: opts.AmountColumn, Value: rec[ai], Err: err}
		}
		txs = append(txs, Transaction{CustomerID: id, Date: date, Amount: amount})
	}
	return txs, nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// ParseAmount converts a decimal amount in yuan such as "29.33", "-5", "+0.5"
// or "12.340" to fen exactly, without going through floating point. More than
// two decimal places are accepted only when the extra digits are zeros.
// Thousands separators, currency signs and exponents are rejected.
func ParseAmount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty amount")
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && (!hasDot || frac == "") {
		return 0, errors.New("not a decimal number")
	}
	var fen int64
	for _, c := range intPart {
		if c < '0' || c > '9' {
			return 0, errors.New("not a decimal number (want digits with an optional '.', e.g. 29.33)")
		}
		if fen > (math.MaxInt64-9)/10 {
			return 0, errors.New("amount too large")
		}
		fen = fen*10 + int64(c-'0')
	}
	if fen > math.MaxInt64/100 {
		return 0, errors.New("amount too large")
	}
	fen *= 100
	for i, c := range frac {
		if c < '0' || c > '9' {
			return 0, errors.New("not a decimal number (want digits with an optional '.', e.g. 29.33)")
		}
		d := int64(c - '0')
		switch i {
		case 0:
			d *= 10
		case 1:
		default:
			if d != 0 {
				return 0, errors.New("more than two decimal places (amounts are in yuan with fen precision)")
			}
			d = 0
		}
		if fen > math.MaxInt64-d {
			return 0, errors.New("amount too large")
		}
		fen += d
	}
	if neg {
		fen = -fen
	}
	return fen, nil
}
