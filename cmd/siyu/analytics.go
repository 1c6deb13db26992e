package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/siyu-scrm/siyu/internal/analytics/clv"
)

func init() {
	extraCommands = append(extraCommands, newAnalyticsCmd)
}

// newAnalyticsCmd returns `siyu analytics`, the offline analytics tools. They
// read exported files and need no server or database.
func newAnalyticsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "analytics",
		Short: "Offline customer analytics on exported files (no server or database needed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newCLVCmd())
	return cmd
}

// clvFlags are the flags of `siyu analytics clv`.
type clvFlags struct {
	input, output                    string
	customerCol, dateCol, amountCol  string
	dateFormat, delimiter            string
	calibrationEnd, holdoutEnd, unit string
	predict, discountRate, penalizer float64
	json                             bool
}

const dayLayout = "2006-01-02"

func newCLVCmd() *cobra.Command {
	var f clvFlags
	cmd := &cobra.Command{
		Use:   "clv --input FILE",
		Short: "Fit BG/NBD and Gamma-Gamma customer-lifetime-value models to a transaction CSV",
		Long: `Fit customer-lifetime-value models to a CSV of transactions, one row per purchase.

BG/NBD (Fader, Hardie & Lee 2005) models how often customers buy and when they
silently stop; Gamma-Gamma (Fader & Hardie 2013) models how much they spend per
purchase. Both are fitted by maximum likelihood on the calibration period (up to
--calibration-end). The command prints the fitted parameters and log-likelihoods;
with --predict N it also predicts purchases and spend over the next N periods,
with --holdout-end it compares predictions with what customers actually did after
the calibration period, and with --output it writes one row per customer.

Input: a header row, then one row per purchase. By default the columns are
customer_id, date (YYYY-MM-DD) and amount (a decimal number such as 29.33, at
most two decimals, no thousands separators); other columns are ignored. Several
purchases by one customer on one day count as one purchase with the amounts
added, as in the literature. A repeat purchase is any purchase day after a
customer's first.

Units: time is in --unit periods (alpha, recency, T, --predict). Money (v,
monetary values, predicted values) is in the unit of the amount column; the
Gamma-Gamma log-likelihood is that of the mean spend measured in that unit.

JSON output (--json) has the keys customers, transactions, repeat_customers,
unit, calibration_end, bgnbd {r, alpha, a, b, loglik, customers}, gammagamma
{p, q, v, loglik, customers}, and with --predict or --holdout-end, prediction
and holdout summaries.

The per-customer CSV (--output) has the columns customer_id, frequency,
recency, T, monetary_value, p_alive, expected_purchases, predicted_value, and
with --holdout-end also holdout_purchases and holdout_value.`,
		Example: `  siyu analytics clv --input orders.csv
  siyu analytics clv --input cdnow.csv --calibration-end 1997-09-30 --holdout-end 1998-06-30 --json
  siyu analytics clv --input orders.csv --customer-col 会员ID --date-col 下单日期 --amount-col 实付金额 \
      --date-format 2006/01/02 --unit day --predict 90 --output clv.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCLV(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.input, "input", "", "transaction CSV to read (required; - for standard input)")
	fl.StringVar(&f.customerCol, "customer-col", "customer_id", "header of the customer ID column")
	fl.StringVar(&f.dateCol, "date-col", "date", "header of the purchase date column")
	fl.StringVar(&f.amountCol, "amount-col", "amount", "header of the amount column (decimal, e.g. 29.33)")
	fl.StringVar(&f.dateFormat, "date-format", dayLayout, "layout of the date column in Go's reference-time notation (2006-01-02, 2006/01/02, 20060102, 2006-01-02 15:04:05, …)")
	fl.StringVar(&f.delimiter, "delimiter", ",", "field separator of the CSV, one character (use '\\t' for tab)")
	fl.StringVar(&f.calibrationEnd, "calibration-end", "", "last day (YYYY-MM-DD) of the period the models are fitted on; default: the last date in the file")
	fl.StringVar(&f.unit, "unit", "week", "time unit: day or week (7 days)")
	fl.Float64Var(&f.predict, "predict", 0, "predict purchases and spend over the next N periods after the calibration end")
	fl.StringVar(&f.holdoutEnd, "holdout-end", "", "compare predictions with actual purchases after the calibration end up to this day (YYYY-MM-DD)")
	fl.Float64Var(&f.discountRate, "discount-rate", 0, "discount rate per period applied to predicted spend (e.g. 0.0019 per week ≈ 10% a year)")
	fl.Float64Var(&f.penalizer, "penalizer", 0, "L2 penalty on the parameters, for small or unusual data (0.001–0.1 are typical)")
	fl.BoolVar(&f.json, "json", false, "print the results as JSON")
	fl.StringVar(&f.output, "output", "", "write per-customer predictions to this CSV file (needs --predict or --holdout-end)")
	_ = cmd.MarkFlagRequired("input")
	return cmd
}

// clvReport is the --json output; money is in the unit of the amount column.
type clvReport struct {
	Input           string            `json:"input"`
	Transactions    int               `json:"transactions"`
	Customers       int               `json:"customers"`
	RepeatCustomers int               `json:"repeat_customers"`
	Unit            string            `json:"unit"`
	CalibrationEnd  string            `json:"calibration_end"`
	BGNBD           bgnbdReport       `json:"bgnbd"`
	GammaGamma      gammaGammaReport  `json:"gammagamma"`
	Prediction      *predictionReport `json:"prediction,omitempty"`
	Holdout         *holdoutReport    `json:"holdout,omitempty"`
	Output          string            `json:"output,omitempty"`
}

type bgnbdReport struct {
	R         float64 `json:"r"`
	Alpha     float64 `json:"alpha"`
	A         float64 `json:"a"`
	B         float64 `json:"b"`
	LogLik    float64 `json:"loglik"`
	Customers int     `json:"customers"`
}

type gammaGammaReport struct {
	P         float64 `json:"p"`
	Q         float64 `json:"q"`
	V         float64 `json:"v"`
	LogLik    float64 `json:"loglik"`
	Customers int     `json:"customers"`
}

type predictionReport struct {
	Periods           float64 `json:"periods"`
	DiscountRate      float64 `json:"discount_rate"`
	ExpectedPurchases float64 `json:"expected_purchases"`
	PredictedValue    float64 `json:"predicted_value"`
	MeanPAlive        float64 `json:"mean_p_alive"`
}

type holdoutReport struct {
	End               string  `json:"end"`
	Periods           float64 `json:"periods"`
	ActualPurchases   int     `json:"actual_purchases"`
	ExpectedPurchases float64 `json:"expected_purchases"`
	ActualValue       float64 `json:"actual_value"`
	PredictedValue    float64 `json:"predicted_value"`
}

// fenPerUnit converts fen, the package's money, back to the amount column's
// unit.
const fenPerUnit = 100

func runCLV(cmd *cobra.Command, f clvFlags) error {
	unit, err := clv.ParseUnit(f.unit)
	if err != nil {
		return fmt.Errorf("--unit: %w", err)
	}
	comma, err := parseDelimiter(f.delimiter)
	if err != nil {
		return err
	}
	if f.predict < 0 || math.IsNaN(f.predict) {
		return fmt.Errorf("--predict %v: want a number of periods ≥ 0", f.predict)
	}
	if f.discountRate < 0 || math.IsNaN(f.discountRate) {
		return fmt.Errorf("--discount-rate %v: want a rate ≥ 0", f.discountRate)
	}
	if f.penalizer < 0 || math.IsNaN(f.penalizer) {
		return fmt.Errorf("--penalizer %v: want a value ≥ 0", f.penalizer)
	}
	var calEnd, holdEnd time.Time
	if f.calibrationEnd != "" {
		if calEnd, err = time.Parse(dayLayout, f.calibrationEnd); err != nil {
			return fmt.Errorf("--calibration-end %q: want a day as YYYY-MM-DD", f.calibrationEnd)
		}
	}
	if f.holdoutEnd != "" {
		if holdEnd, err = time.Parse(dayLayout, f.holdoutEnd); err != nil {
			return fmt.Errorf("--holdout-end %q: want a day as YYYY-MM-DD", f.holdoutEnd)
		}
		if calEnd.IsZero() {
			return errors.New("--holdout-end needs --calibration-end: the holdout is the span between them")
		}
		if !holdEnd.After(calEnd) {
			return fmt.Errorf("--holdout-end %s is not after --calibration-end %s", f.holdoutEnd, f.calibrationEnd)
		}
	}
	if f.output != "" && f.predict == 0 && f.holdoutEnd == "" {
		return errors.New("--output needs a prediction horizon: give --predict N or --holdout-end")
	}

	txs, err := readTransactions(cmd, f, comma)
	if err != nil {
		return err
	}
	if len(txs) == 0 {
		return fmt.Errorf("%s: no transactions after the header", f.input)
	}
	if calEnd.IsZero() {
		calEnd = clv.LastDate(txs)
	}
	summaries := clv.Summarize(txs, calEnd, unit)
	if len(summaries) == 0 {
		return fmt.Errorf("no customer bought on or before the calibration end %s", calEnd.Format(dayLayout))
	}
	opts := clv.FitOptions{Penalizer: f.penalizer}
	bg, err := clv.FitBGNBD(summaries, opts)
	if err != nil {
		return err
	}
	gg, err := clv.FitGammaGamma(summaries, opts)
	if err != nil {
		return err
	}

	rep := clvReport{
		Input:          f.input,
		Transactions:   len(txs),
		Customers:      len(summaries),
		Unit:           unit.String(),
		CalibrationEnd: calEnd.Format(dayLayout),
		BGNBD:          bgnbdReport{R: bg.R, Alpha: bg.Alpha, A: bg.A, B: bg.B, LogLik: bg.LogLik, Customers: bg.Customers},
		GammaGamma: gammaGammaReport{
			P: gg.P, Q: gg.Q, V: gg.V / fenPerUnit,
			// The density of a mean spend measured in the amount column's unit.
			LogLik:    gg.LogLik + float64(gg.Customers)*math.Log(fenPerUnit),
			Customers: gg.Customers,
		},
		Output: f.output,
	}
	for _, s := range summaries {
		if s.Frequency > 0 {
			rep.RepeatCustomers++
		}
	}

	// Per-customer predictions over the horizon: --predict, else the holdout.
	var holdout map[string]clv.Holdout
	var holdPeriods float64
	if !holdEnd.IsZero() {
		holdout = clv.SummarizeHoldout(txs, calEnd, holdEnd)
		holdPeriods = holdEnd.Sub(calEnd).Hours() / 24 / unit.Days()
	}
	horizon := f.predict
	if horizon == 0 {
		horizon = holdPeriods
	}
	var rows []customerRow
	if horizon > 0 && gg.Q <= 1 {
		return fmt.Errorf("the fitted Gamma-Gamma q = %.3g is not above 1, so the spend distribution has no finite mean and customers without a repeat purchase have no predicted value; try --penalizer 0.001", gg.Q)
	}
	if horizon > 0 {
		if rows, err = predictCustomers(bg, gg, summaries, horizon, f.discountRate, holdout, holdPeriods); err != nil {
			return err
		}
	}
	if f.predict > 0 {
		p := &predictionReport{Periods: f.predict, DiscountRate: f.discountRate}
		for _, r := range rows {
			p.ExpectedPurchases += r.expected
			p.PredictedValue += r.value / fenPerUnit
			p.MeanPAlive += r.pAlive
		}
		p.MeanPAlive /= float64(len(rows))
		rep.Prediction = p
	}
	if holdout != nil {
		h := &holdoutReport{End: holdEnd.Format(dayLayout), Periods: holdPeriods}
		for _, r := range rows {
			h.ExpectedPurchases += r.holdExpected
			h.PredictedValue += r.holdValue / fenPerUnit
			h.ActualPurchases += r.holdout.Purchases
			h.ActualValue += float64(r.holdout.Value) / fenPerUnit
		}
		rep.Holdout = h
	}

	if f.output != "" {
		if err := writeCustomerCSV(f.output, rows, holdout != nil); err != nil {
			return err
		}
	}
	out := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printCLVTable(out, rep)
}

func parseDelimiter(s string) (rune, error) {
	if s == `\t` || s == "tab" {
		return '\t', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || size != len(s) || r == '"' || r == '\r' || r == '\n' || r == utf8.RuneError {
		return 0, fmt.Errorf("--delimiter %q: want a single character such as , ; or \\t", s)
	}
	return r, nil
}

func readTransactions(cmd *cobra.Command, f clvFlags, comma rune) ([]clv.Transaction, error) {
	var in io.Reader
	if f.input == "-" {
		in = cmd.InOrStdin()
	} else {
		file, err := os.Open(f.input)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		in = file
	}
	txs, err := clv.ReadTransactions(in, clv.CSVOptions{
		CustomerColumn: f.customerCol,
		DateColumn:     f.dateCol,
		AmountColumn:   f.amountCol,
		DateLayout:     f.dateFormat,
		Comma:          comma,
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.input, err)
	}
	return txs, nil
}

// customerRow is one customer's predictions; money in fen.
type customerRow struct {
	clv.Summary
	pAlive, expected, value float64
	holdout                 clv.Holdout
	holdExpected, holdValue float64
}

func predictCustomers(bg clv.BGNBD, gg clv.GammaGamma, summaries []clv.Summary, horizon, discount float64, holdout map[string]clv.Holdout, holdPeriods float64) ([]customerRow, error) {
	rows := make([]customerRow, len(summaries))
	for i, s := range summaries {
		r := customerRow{
			Summary:  s,
			pAlive:   bg.PAlive(s.Frequency, s.Recency, s.T),
			expected: bg.ExpectedPurchases(horizon, s.Frequency, s.Recency, s.T),
			value:    clv.PredictedValue(bg, gg, s, horizon, discount),
		}
		if holdout != nil {
			r.holdout = holdout[s.CustomerID]
			// Compared with actual spend, so not discounted.
			r.holdExpected = bg.ExpectedPurchases(holdPeriods, s.Frequency, s.Recency, s.T)
			r.holdValue = clv.PredictedValue(bg, gg, s, holdPeriods, 0)
		}
		for _, v := range []float64{r.pAlive, r.expected, r.value, r.holdExpected, r.holdValue} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("customer %q: prediction is not a finite number (frequency %d, recency %g, T %g): is the horizon far longer than the history?", s.CustomerID, s.Frequency, s.Recency, s.T)
			}
		}
		rows[i] = r
	}
	return rows, nil
}

func writeCustomerCSV(path string, rows []customerRow, withHoldout bool) (err error) {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	w := csv.NewWriter(file)
	header := []string{"customer_id", "frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases", "predicted_value"}
	if withHoldout {
		header = append(header, "holdout_purchases", "holdout_value")
	}
	if err := w.Write(header); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	num := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	for _, r := range rows {
		rec := []string{
			r.CustomerID,
			strconv.Itoa(r.Frequency),
			num(r.Recency, 4),
			num(r.T, 4),
			num(r.MonetaryValue/fenPerUnit, 2),
			num(r.pAlive, 6),
			num(r.expected, 6),
			num(r.value/fenPerUnit, 2),
		}
		if withHoldout {
			rec = append(rec, strconv.Itoa(r.holdout.Purchases), formatFen(r.holdout.Value))
		}
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// formatFen writes an integer amount of fen as a decimal with two places,
// exactly.
func formatFen(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", uint64(-fen)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

func printCLVTable(out io.Writer, rep clvReport) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	// Section headings have no tab, so each section aligns on its own.
	p("%s: %d transactions, %d customers (%d with repeat purchases)\n", rep.Input, rep.Transactions, rep.Customers, rep.RepeatCustomers)
	p("Calibration period ends %s; time unit: %s\n", rep.CalibrationEnd, rep.Unit)
	p("\nBG/NBD, purchases (%d customers)\n", rep.BGNBD.Customers)
	p("  r\t%.6g\n  alpha\t%.6g\n  a\t%.6g\n  b\t%.6g\n", rep.BGNBD.R, rep.BGNBD.Alpha, rep.BGNBD.A, rep.BGNBD.B)
	p("  log-likelihood\t%.2f\n", rep.BGNBD.LogLik)
	p("\nGamma-Gamma, spend per purchase (%d repeat customers)\n", rep.GammaGamma.Customers)
	p("  p\t%.6g\n  q\t%.6g\n  v\t%.6g\n", rep.GammaGamma.P, rep.GammaGamma.Q, rep.GammaGamma.V)
	p("  log-likelihood\t%.2f\n", rep.GammaGamma.LogLik)
	if pr := rep.Prediction; pr != nil {
		p("\nNext %g %ss\n", pr.Periods, rep.Unit)
		p("  expected purchases\t%.1f\n", pr.ExpectedPurchases)
		p("  predicted value\t%.2f", pr.PredictedValue)
		if pr.DiscountRate > 0 {
			p(" (discounted at %g per %s)", pr.DiscountRate, rep.Unit)
		}
		p("\n  mean P(alive)\t%.3f\n", pr.MeanPAlive)
	}
	if h := rep.Holdout; h != nil {
		p("\nHoldout to %s (%.2f %ss)\n", h.End, h.Periods, rep.Unit)
		p("  purchases\tactual %d, expected %.1f\n", h.ActualPurchases, h.ExpectedPurchases)
		p("  value\tactual %.2f, predicted %.2f\n", h.ActualValue, h.PredictedValue)
	}
	if rep.Output != "" {
		p("\nPer-customer predictions written to %s\n", rep.Output)
	}
	return tw.Flush()
}
