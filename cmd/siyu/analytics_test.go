package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeShopCSV writes a small shop's history with Chinese headers, ';' as
// separator and dates as 2006/01/02: 120 customers with a deterministic mix
// of one-off, occasional and regular buyers, some buying twice on one day.
// It returns the path, the number of rows and the number of customers with a
// repeat purchase day on or before 2024-06-30.
func writeShopCSV(t *testing.T) (path string, rows, repeat int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("会员ID;下单日期;实付金额;备注\n")
	seed := uint32(12345)
	rnd := func(n int) int { // a fixed LCG keeps the file the same everywhere
		seed = seed*1664525 + 1013904223
		return int(seed>>8) % n
	}
	for c := range 120 {
		day := rnd(60) // first purchase in Jan–Feb 2024
		gap := []int{400, 60, 20, 7}[c%4]
		daysToJune := 0 // distinct purchase days in the calibration period
		for day < 244 { // to the end of August
			for range 1 + rnd(2) { // sometimes two orders on one day
				fmt.Fprintf(&b, "VIP%03d;%s;%d.%02d;\n", c, dayOf(day), 20+rnd(200), rnd(100))
				rows++
			}
			if day < 182 { // up to June 30
				daysToJune++
			}
			day += 1 + rnd(2*gap)
		}
		if daysToJune > 1 {
			repeat++
		}
	}
	path = filepath.Join(t.TempDir(), "shop.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, rows, repeat
}

// dayOf is day d of 2024 (0 = Jan 1) as 2006/01/02.
func dayOf(d int) string {
	months := []int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	m := 0
	for d >= months[m] {
		d -= months[m]
		m++
	}
	return fmt.Sprintf("2024/%02d/%02d", m+1, d+1)
}

func TestAnalyticsCLVSmallFile(t *testing.T) {
	path, rows, repeat := writeShopCSV(t)
	out := filepath.Join(t.TempDir(), "clv.csv")
	code, stdout, stderr := runCLI(t, "", "analytics", "clv", "--input", path,
		"--customer-col", "会员ID", "--date-col", "下单日期", "--amount-col", "实付金额",
		"--date-format", "2006/01/02", "--delimiter", ";", "--unit", "day",
		"--calibration-end", "2024-06-30", "--holdout-end", "2024-08-31", "--predict", "30",
		"--penalizer", "0.001", "--json", "--output", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}

	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &keys); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	for _, k := range []string{"customers", "transactions", "repeat_customers", "unit", "calibration_end", "bgnbd", "gammagamma", "prediction", "holdout"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("JSON has no key %q:\n%s", k, stdout)
		}
	}
	var rep clvReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Customers != 120 || rep.Transactions != rows || rep.Unit != "day" || rep.CalibrationEnd != "2024-06-30" {
		t.Errorf("customers %d, transactions %d, unit %q, calibration end %q; want 120, %d, day, 2024-06-30",
			rep.Customers, rep.Transactions, rep.Unit, rep.CalibrationEnd, rows)
	}
	if rep.RepeatCustomers != repeat || rep.GammaGamma.Customers != repeat || rep.BGNBD.Customers != 120 {
		t.Errorf("repeat customers %d, Gamma-Gamma fitted on %d, BG/NBD on %d; want %d, %d, 120",
			rep.RepeatCustomers, rep.GammaGamma.Customers, rep.BGNBD.Customers, repeat, repeat)
	}
	for name, v := range map[string]float64{
		"r": rep.BGNBD.R, "alpha": rep.BGNBD.Alpha, "a": rep.BGNBD.A, "b": rep.BGNBD.B,
		"p": rep.GammaGamma.P, "q": rep.GammaGamma.Q, "v": rep.GammaGamma.V,
	} {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("%s = %v, want a positive number", name, v)
		}
	}
	// Spend per purchase is 20–220 yuan, so v/(q-1)·p, the mean, is too.
	if mean := rep.GammaGamma.P * rep.GammaGamma.V / (rep.GammaGamma.Q - 1); mean < 20 || mean > 220 {
		t.Errorf("Gamma-Gamma population mean spend %.2f, want it within the data's 20–220", mean)
	}
	if p := rep.Prediction; p == nil || p.Periods != 30 || !(p.ExpectedPurchases > 0) || !(p.PredictedValue > 0) {
		t.Errorf("prediction %+v", p)
	}
	if h := rep.Holdout; h == nil || h.End != "2024-08-31" || h.Periods != 62 || h.ActualPurchases == 0 || !(h.ExpectedPurchases > 0) {
		t.Errorf("holdout %+v", h)
	}

	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"customer_id", "frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases", "predicted_value", "holdout_purchases", "holdout_value"}
	if len(recs) != 121 || !slices.Equal(recs[0], wantHeader) {
		t.Fatalf("per-customer CSV has %d rows, header %v; want 121 rows, header %v", len(recs), recs[0], wantHeader)
	}
	if recs[1][0] != "VIP000" {
		t.Errorf("first customer %q, want VIP000 (input order)", recs[1][0])
	}
}

func TestAnalyticsCLVNoFiniteFit(t *testing.T) {
	// Every customer's spend is drawn from the same 20–220 range, so spend
	// does not vary between customers and the Gamma-Gamma likelihood has no
	// finite maximum (q, v → ∞); the error says so and names the remedy.
	path, _, _ := writeShopCSV(t)
	code, _, stderr := runCLI(t, "", "analytics", "clv", "--input", path,
		"--customer-col", "会员ID", "--date-col", "下单日期", "--amount-col", "实付金额",
		"--date-format", "2006/01/02", "--delimiter", ";", "--calibration-end", "2024-06-30")
	for _, want := range []string{"fit Gamma-Gamma", "did not converge", "q≈", "penalizer"} {
		if code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr %q; want non-zero and %q", code, stderr, want)
		}
	}
}

func TestAnalyticsCLVTable(t *testing.T) {
	path, _, _ := writeShopCSV(t)
	code, stdout, stderr := runCLI(t, "", "analytics", "clv", "--input", path,
		"--customer-col", "会员ID", "--date-col", "下单日期", "--amount-col", "实付金额",
		"--date-format", "2006/01/02", "--delimiter", ";", "--penalizer", "0.001")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"120 customers", "time unit: week", "BG/NBD", "alpha", "Gamma-Gamma", "log-likelihood"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table has no %q:\n%s", want, stdout)
		}
	}
}

func TestAnalyticsCLVBadInput(t *testing.T) {
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := file("good.csv", "customer_id,date,amount\nc1,2024-01-01,1.00\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad amount", []string{"--input", file("a.csv", "customer_id,date,amount\nc1,2024-01-01,1.00\nc2,2024-01-02,abc\n")}, `row 3, column "amount": value "abc"`},
		{"bad date", []string{"--input", file("d.csv", "customer_id,date,amount\nc1,2024-01-01,1.00\nc1,2024-02-30,1.00\n")}, `row 3, column "date"`},
		{"missing column", []string{"--input", good, "--amount-col", "price"}, `no column "price"`},
		{"no repeat buyers", []string{"--input", good}, "no repeat buyers"},
		{"missing file", []string{"--input", filepath.Join(dir, "nope.csv")}, "no such file"},
		{"no input flag", nil, `required flag(s) "input" not set`},
		{"bad unit", []string{"--input", good, "--unit", "month"}, `--unit: unknown time unit "month"`},
		{"holdout without calibration end", []string{"--input", good, "--holdout-end", "2024-02-01"}, "--holdout-end needs --calibration-end"},
		{"holdout before calibration end", []string{"--input", good, "--calibration-end", "2024-02-01", "--holdout-end", "2024-01-01"}, "is not after"},
		{"output without horizon", []string{"--input", good, "--output", filepath.Join(dir, "o.csv")}, "--output needs a prediction horizon"},
		{"bad calibration end", []string{"--input", good, "--calibration-end", "2024/01/01"}, "want a day as YYYY-MM-DD"},
		{"bad delimiter", []string{"--input", good, "--delimiter", ";;"}, "--delimiter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", append([]string{"analytics", "clv"}, tt.args...)...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want non-zero and %q", code, stderr, tt.want)
			}
		})
	}
}

// TestAnalyticsCLVCDNOW runs the command on the CDNOW sample as the
// literature does (39-week calibration to 1997-09-30, 39-week holdout) and
// checks the published fits: BG/NBD r=0.243, α=4.414, a=0.793, b=2.426,
// LL=-9582.4 (Fader, Hardie & Lee 2005); Gamma-Gamma p=6.25, q=3.74,
// v=15.44, LL=-4055.92 on 946 repeat buyers (Fader & Hardie 2013; CLVTools).
func TestAnalyticsCLVCDNOW(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "data", "clv", "cdnow_sample_tx.csv")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data set missing: %v", err)
		}
		t.Skipf("shared data set missing: %v", err)
	}
	code, stdout, stderr := runCLI(t, "", "analytics", "clv", "--input", path,
		"--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep clvReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Customers != 2357 || rep.Transactions != 6919 || rep.RepeatCustomers != 946 || rep.Unit != "week" {
		t.Errorf("customers %d, transactions %d, repeat %d, unit %q; want 2357, 6919, 946, week",
			rep.Customers, rep.Transactions, rep.RepeatCustomers, rep.Unit)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"r", rep.BGNBD.R, 0.243}, {"alpha", rep.BGNBD.Alpha, 4.414}, {"a", rep.BGNBD.A, 0.793}, {"b", rep.BGNBD.B, 2.426},
		{"loglik", rep.BGNBD.LogLik, -9582.4},
		{"p", rep.GammaGamma.P, 6.25}, {"q", rep.GammaGamma.Q, 3.74}, {"v", rep.GammaGamma.V, 15.44},
		{"gammagamma loglik", rep.GammaGamma.LogLik, -4055.92},
	} {
		if math.Abs(c.got-c.want) > 0.01*math.Abs(c.want) {
			t.Errorf("%s = %.4f, published %v", c.name, c.got, c.want)
		}
	}
	// 1,882 purchase days fall in the holdout (counted independently from the
	// file); the model's expectation is in the same range.
	if h := rep.Holdout; h == nil || h.ActualPurchases != 1882 || math.Abs(h.Periods-39) > 1e-9 || math.Abs(h.ExpectedPurchases-1882) > 0.2*1882 {
		t.Errorf("holdout %+v; want 1882 actual purchases over 39 weeks", h)
	}
}
