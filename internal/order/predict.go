package order

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/siyu-scrm/siyu/internal/analytics/clv"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Predictions are made in weeks (the unit of the CLV literature, and what keeps the BG/NBD time
// axis well scaled for retail) over the next year.
const (
	predictUnit        = clv.Week
	predictHorizonDays = 365
	// minFitCustomers and minFitRepeaters keep a tenant with a handful of orders from getting
	// numbers that mean nothing.
	minFitCustomers = 30
	minFitRepeaters = 10
	// fitPenalizer keeps estimates finite on the small or lumpy order books of young tenants
	// (lifetimes' penalizer_coef; see clv.FitOptions).
	fitPenalizer = 0.001
)

// Prediction is what the models say of one customer.
type Prediction struct {
	// PAlive is the probability the customer is still buying (BG/NBD).
	PAlive float64 `json:"p_alive"`
	// ExpectedPurchases are the purchase days expected over the next HorizonDays.
	ExpectedPurchases float64 `json:"expected_purchases"`
	// PredictedValueFen is expected purchases × the expected value of a purchase (Gamma-Gamma).
	PredictedValueFen int64     `json:"predicted_value_fen"`
	HorizonDays       int       `json:"horizon_days"`
	PredictedAt       time.Time `json:"predicted_at"`
}

// ModelFit is the tenant's last fit.
type ModelFit struct {
	Unit        string      `json:"unit" doc:"time unit of alpha: week"`
	HorizonDays int         `json:"horizon_days"`
	Customers   int         `json:"customers" doc:"customers with at least one purchase, fitted by BG/NBD"`
	Repeaters   int         `json:"repeaters" doc:"customers with repeat purchases, fitted by Gamma-Gamma"`
	BGNBD       BGNBDParams `json:"bgnbd"`
	GammaGamma  GGParams    `json:"gammagamma"`
	FittedAt    time.Time   `json:"fitted_at"`
}

// BGNBDParams are the fitted BG/NBD parameters (alpha per week) and the log-likelihood.
type BGNBDParams struct {
	R      float64 `json:"r"`
	Alpha  float64 `json:"alpha"`
	A      float64 `json:"a"`
	B      float64 `json:"b"`
	LogLik float64 `json:"loglik"`
}

// GGParams are the fitted Gamma-Gamma parameters (spend in fen) and the log-likelihood.
type GGParams struct {
	P      float64 `json:"p"`
	Q      float64 `json:"q"`
	V      float64 `json:"v"`
	LogLik float64 `json:"loglik"`
}

func (p BGNBDParams) model() clv.BGNBD { return clv.BGNBD{R: p.R, Alpha: p.Alpha, A: p.A, B: p.B} }
func (p GGParams) model() clv.GammaGamma {
	return clv.GammaGamma{P: p.P, Q: p.Q, V: p.V}
}

type fitParams struct {
	BGNBD      BGNBDParams `json:"bgnbd"`
	GammaGamma GGParams    `json:"gammagamma"`
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"clv_too_few_buyers": {Zh: "购买客户太少，暂时无法预测客户价值（至少 30 位购买客户、10 位复购客户）",
			En: "Too few buyers to predict customer value yet (at least 30 buyers and 10 repeat buyers)"},
	})
}

// errTooFewBuyers is the answer for a tenant whose order book cannot support a fit yet.
var errTooFewBuyers = errors.New("too few buyers")

// Predict fits BG/NBD and Gamma-Gamma on the tenant's bound orders (purchase days in Beijing
// time, fully refunded orders left out, refunds netted) up to now, and replaces every
// customer's prediction. A tenant with too few buyers gets a Conflict and keeps its previous
// fit, if any.
func (s *Service) Predict(ctx context.Context, tenantID int64) (ModelFit, error) {
	now := s.clock()
	rows, err := s.db.QueryContext(ctx, `SELECT customer_id, paid_at, paid_fen - refund_fen FROM orders
		WHERE tenant_id = ? AND customer_id IS NOT NULL AND paid_fen > refund_fen AND paid_at <= ? ORDER BY customer_id, paid_at`, tenantID, now)
	if err != nil {
		return ModelFit{}, fmt.Errorf("order: transactions for prediction: %w", err)
	}
	var txs []clv.Transaction
	for rows.Next() {
		var cid, fen int64
		var at store.Time
		if err := rows.Scan(&cid, &at, &fen); err != nil {
			rows.Close()
			return ModelFit{}, fmt.Errorf("order: transactions for prediction: %w", err)
		}
		txs = append(txs, clv.Transaction{CustomerID: strconv.FormatInt(cid, 10), Date: at.Time.In(shanghai), Amount: fen})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ModelFit{}, fmt.Errorf("order: transactions for prediction: %w", err)
	}
	sums := clv.Summarize(txs, now.In(shanghai), predictUnit)
	fit, err := fitModels(sums)
	if errors.Is(err, errTooFewBuyers) {
		return ModelFit{}, httpx.Errorf(httpx.Conflict, "clv_too_few_buyers",
			"order: %d buyers and %d repeat buyers; predictions need at least %d and %d", fit.Customers, fit.Repeaters, minFitCustomers, minFitRepeaters)
	}
	if err != nil {
		return ModelFit{}, fmt.Errorf("order: fit CLV models for tenant %d: %w", tenantID, err)
	}
	fit.FittedAt, fit.HorizonDays, fit.Unit = now, predictHorizonDays, predictUnit.String()
	periods := float64(predictHorizonDays) / predictUnit.Days()
	bg, gg := fit.BGNBD.model(), fit.GammaGamma.model()

	params, _ := json.Marshal(fitParams{BGNBD: fit.BGNBD, GammaGamma: fit.GammaGamma})
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_predictions WHERE tenant_id = ?`, tenantID); err != nil {
			return err
		}
		const per = 200 // rows per INSERT: 6 values each, well inside both engines' limits
		for lo := 0; lo < len(sums); lo += per {
			part := sums[lo:min(lo+per, len(sums))]
			q := `INSERT INTO customer_predictions (tenant_id, customer_id, p_alive, expected_purchases, predicted_value_fen, predicted_at) VALUES `
			args := make([]any, 0, 6*len(part))
			for i, sm := range part {
				if i > 0 {
					q += ", "
				}
				q += "(?, ?, ?, ?, ?, ?)"
				cid, _ := strconv.ParseInt(sm.CustomerID, 10, 64)
				pAlive := bg.PAlive(sm.Frequency, sm.Recency, sm.T)
				exp := bg.ExpectedPurchases(periods, sm.Frequency, sm.Recency, sm.T)
				value := clv.PredictedValue(bg, gg, sm, periods, 0)
				args = append(args, tenantID, cid, finite(pAlive), finite(exp), int64(math.Round(finite(value))), now)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO clv_fits (tenant_id, unit, horizon_days, customers, repeaters, params, fitted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET unit = excluded.unit, horizon_days = excluded.horizon_days,
			customers = excluded.customers, repeaters = excluded.repeaters, params = excluded.params, fitted_at = excluded.fitted_at`,
			tenantID, fit.Unit, fit.HorizonDays, fit.Customers, fit.Repeaters, string(params), now)
		return err
	})
	if err != nil {
		return ModelFit{}, fmt.Errorf("order: store predictions for tenant %d: %w", tenantID, err)
	}
	return fit, nil
}

// fitModels fits BG/NBD on every buyer and Gamma-Gamma on the repeat buyers.
func fitModels(sums []clv.Summary) (ModelFit, error) {
	fit := ModelFit{Customers: len(sums)}
	var repeat []clv.Summary
	for _, sm := range sums {
		if sm.Frequency > 0 {
			repeat = append(repeat, sm)
		}
	}
	fit.Repeaters = len(repeat)
	if fit.Customers < minFitCustomers || fit.Repeaters < minFitRepeaters {
		return fit, errTooFewBuyers
	}
	opts := clv.FitOptions{Penalizer: fitPenalizer}
	bg, err := clv.FitBGNBD(sums, opts)
	if err != nil {
		return fit, err
	}
	gg, err := clv.FitGammaGamma(repeat, opts)
	if err != nil {
		return fit, err
	}
	fit.BGNBD = BGNBDParams{R: bg.R, Alpha: bg.Alpha, A: bg.A, B: bg.B, LogLik: bg.LogLik}
	fit.GammaGamma = GGParams{P: gg.P, Q: gg.Q, V: gg.V, LogLik: gg.LogLik}
	return fit, nil
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// Model returns the tenant's last fit, or NotFound before the first.
func (s *Service) Model(ctx context.Context, tenantID int64) (ModelFit, error) {
	var fit ModelFit
	var params string
	err := s.db.QueryRowContext(ctx, `SELECT unit, horizon_days, customers, repeaters, params, fitted_at FROM clv_fits WHERE tenant_id = ?`,
		tenantID).Scan(&fit.Unit, &fit.HorizonDays, &fit.Customers, &fit.Repeaters, &params, &fit.FittedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return fit, httpx.NotFoundf("clv_fit")
	}
	if err != nil {
		return fit, fmt.Errorf("order: CLV fit of tenant %d: %w", tenantID, err)
	}
	var p fitParams
	if err := json.Unmarshal([]byte(params), &p); err != nil {
		return fit, fmt.Errorf("order: CLV fit of tenant %d: %w", tenantID, err)
	}
	fit.BGNBD, fit.GammaGamma = p.BGNBD, p.GammaGamma
	fit.FittedAt = fit.FittedAt.UTC()
	return fit, nil
}

// predictionOf returns a customer's prediction, nil before the first fit or for a customer
// without purchases.
func (s *Service) predictionOf(ctx context.Context, q store.Querier, tenantID, customerID int64) (*Prediction, error) {
	p := Prediction{HorizonDays: predictHorizonDays}
	err := q.QueryRowContext(ctx, `SELECT p_alive, expected_purchases, predicted_value_fen, predicted_at FROM customer_predictions
		WHERE tenant_id = ? AND customer_id = ?`, tenantID, customerID).Scan(&p.PAlive, &p.ExpectedPurchases, &p.PredictedValueFen, &p.PredictedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("order: prediction of %d: %w", customerID, err)
	}
	p.PredictedAt = p.PredictedAt.UTC()
	return &p, nil
}
