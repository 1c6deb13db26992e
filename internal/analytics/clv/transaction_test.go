package clv

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{in: "29.33", want: 2933},
		{in: "0.07", want: 7},
		{in: "29.3", want: 2930},
		{in: "29", want: 2900},
		{in: "29.", want: 2900},
		{in: ".5", want: 50},
		{in: " 12.340 ", want: 1234},
		{in: "+1.01", want: 101},
		{in: "-5.25", want: -525},
		{in: "0", want: 0},
		{in: "92233720368547758.07", want: 9223372036854775807},
		// Values that float parsing rounds wrongly: 1.005*100 = 100.49999….
		{in: "1.005", wantErr: "more than two decimal places"},
		{in: "4.35", want: 435},
		{in: "", wantErr: "empty"},
		{in: ".", wantErr: "not a decimal"},
		{in: "-", wantErr: "not a decimal"},
		{in: "1,234.50", wantErr: "not a decimal"},
		{in: "¥12", wantErr: "not a decimal"},
		{in: "1e3", wantErr: "not a decimal"},
		{in: "12.3.4", wantErr: "not a decimal"},
		{in: "92233720368547758.08", wantErr: "too large"},
		{in: "99999999999999999999", wantErr: "too large"},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseAmount(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

func readFile(t *testing.T, path string, opts CSVOptions) []Transaction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	txs, err := ReadTransactions(f, opts)
	if err != nil {
		t.Fatalf("ReadTransactions(%s): %v", path, err)
	}
	return txs
}

func TestReadTransactionsCustomColumns(t *testing.T) {
	txs := readFile(t, "testdata/custom_columns.csv", CSVOptions{
		CustomerColumn: "会员ID",
		DateColumn:     "下单日期",
		AmountColumn:   "实付金额",
		DateLayout:     "2006/01/02",
		Comma:          ';',
	})
	want := []Transaction{
		{CustomerID: "A-001", Date: day("2024-01-01"), Amount: 2933},
		{CustomerID: "A-001", Date: day("2024-01-03"), Amount: 7},
		{CustomerID: "B-002", Date: day("2024-01-02"), Amount: 100000},
	}
	if diff := cmp.Diff(want, txs); diff != "" {
		t.Errorf("transactions (-want +got):\n%s", diff)
	}
}

func TestReadTransactionsSkipsBlankRows(t *testing.T) {
	txs, err := ReadTransactions(strings.NewReader("customer_id,date,amount\nc1,2024-01-01,1.00\n,,\n , ,\n"), CSVOptions{})
	want := []Transaction{{CustomerID: "c1", Date: day("2024-01-01"), Amount: 100}}
	if diff := cmp.Diff(want, txs); err != nil || diff != "" {
		t.Errorf("error %v, transactions (-want +got):\n%s", err, diff)
	}
}

func TestReadTransactionsErrors(t *testing.T) {
	tests := []struct {
		name, in string
		opts     CSVOptions
		wantRow  int
		wantCol  string
		wantErr  string // substring of the message
	}{
		{name: "empty file", in: "", wantErr: "empty file"},
		{name: "missing column", in: "customer_id,day,amount\nc1,2024-01-01,1\n", wantErr: `no column "date"; the columns are "customer_id", "day", "amount"`},
		{name: "bad date", in: "customer_id,date,amount\nc1,2024-01-01,1\nc1,01/02/2024,1\n", wantRow: 3, wantCol: "date", wantErr: `row 3, column "date": value "01/02/2024": not a date in layout "2006-01-02"`},
		{name: "bad amount", in: "customer_id,date,amount\nc1,2024-01-01,1\nc2,2024-01-02,1\nc1,2024-01-03,12,5\n", wantRow: 4, wantErr: `row 4: has 4 fields, the header has 3 (an unquoted ',' inside a value?)`},
		{name: "comma decimal", in: "customer_id;date;amount\nc1;2024-01-01;12,50\n", opts: CSVOptions{Comma: ';'}, wantRow: 2, wantCol: "amount", wantErr: "not a decimal number"},
		{name: "negative amount", in: "customer_id,date,amount\nc1,2024-01-01,-3.00\n", wantRow: 2, wantCol: "amount", wantErr: "refunds are not supported"},
		{name: "empty customer", in: "customer_id,date,amount\n ,2024-01-01,3.00\n", wantRow: 2, wantCol: "customer_id", wantErr: "empty customer id"},
		{name: "short row", in: "customer_id,date,amount\nc1,2024-01-01\n", wantRow: 2, wantErr: `row 2: has 2 fields, the header has 3`},
		{name: "blank line keeps row numbers", in: "customer_id,date,amount\nc1,2024-01-01,1\n\nc1,2024-01-0x,1\n", wantRow: 4, wantCol: "date"},
		{name: "not UTF-8", in: "\xbb\xe1\xd4\xb1ID,date,amount\nc1,2024-01-01,1\n", wantErr: `not UTF-8 text; if Excel saved the file, save it again as "CSV UTF-8"`},
		{name: "bad quote", in: "customer_id,date,amount\nc1,2024-01-01,\"1\n", wantRow: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadTransactions(strings.NewReader(tt.in), tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if tt.wantRow == 0 {
				return
			}
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %q is not a *RowError", err)
			}
			if re.Row != tt.wantRow || re.Column != tt.wantCol {
				t.Errorf("row %d column %q, want row %d column %q (%v)", re.Row, re.Column, tt.wantRow, tt.wantCol, err)
			}
		})
	}
}
