package order

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/analytics/clv"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

// TestPredict: a tenant's order book is turned into purchase-day summaries, both models are fitted
// and every buyer gets P(alive), expected purchases and a predicted value that agree with the
// models computed independently from the same orders; a customer who bought often and recently
// is worth more than one who bought as often but long ago; a tenant with too few buyers gets a
// clear refusal and no numbers.
func TestPredict(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.now = time.Date(2024, 7, 1, 4, 0, 0, 0, time.UTC)

		// Too few buyers first.
		small := f.customer(false, [2]string{"phone", "+8613800000001"})
		if _, err := f.svc.IngestFor(f.ctx, f.tenant.ID, []Input{{Source: "pos", ExternalID: "s1", BuyerPhone: "+8613800000001", PaidFen: 100, PaidAt: f.now.AddDate(0, -1, 0)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Predict(f.ctx, f.tenant.ID); httpx.ErrorCode(err) != httpx.Conflict {
			t.Fatalf("predict with one buyer: %v, want a conflict", err)
		}
		if n := f.count(`SELECT COUNT(*) FROM customer_predictions WHERE tenant_id = ?`); n != 0 {
			t.Fatalf("%d predictions written for a refused fit", n)
		}
		if _, err := f.svc.Model(f.ctx, f.tenant.ID); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("model before the first fit: %v", err)
		}

		// A year of purchases by 300 customers: each buys at their own rate and may drop out after
		// any purchase (the BG/NBD story), on whole days.
		rng := rand.New(rand.NewPCG(7, 11))
		var ins []Input
		txs := []clv.Transaction{{CustomerID: strconv.FormatInt(small, 10), Date: f.now.AddDate(0, -1, 0).In(shanghai), Amount: 100}}
		for i := range 300 {
			phone := fmt.Sprintf("+86139%08d", i)
			cid := f.customer(false, [2]string{"phone", phone})
			rate := 0.02 + rng.Float64()*0.2 // purchases per day
			drop := rng.Float64() * 0.4
			at := f.now.AddDate(0, 0, -365+rng.IntN(300))
			for n := 0; at.Before(f.now); n++ {
				fen := int64(5000 + rng.IntN(50000))
				ins = append(ins, Input{Source: "mall", ExternalID: fmt.Sprintf("c%d-%d", i, n), BuyerPhone: phone, PaidFen: fen, PaidAt: at})
				txs = append(txs, clv.Transaction{CustomerID: strconv.FormatInt(cid, 10), Date: at.In(shanghai), Amount: fen})
				if rng.Float64() < drop {
					break
				}
				at = at.Add(time.Duration(rng.ExpFloat64() / rate * float64(24*time.Hour)))
			}
		}
		if _, err := f.svc.IngestFor(f.ctx, f.tenant.ID, ins); err != nil {
			t.Fatal(err)
		}
		fit, err := f.svc.Predict(f.ctx, f.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		sums := clv.Summarize(txs, f.now.In(shanghai), clv.Week)
		repeaters := 0
		for _, s := range sums {
			if s.Frequency > 0 {
				repeaters++
			}
		}
		if fit.Customers != len(sums) || fit.Repeaters != repeaters || fit.Unit != "week" || fit.HorizonDays != 365 {
			t.Errorf("fit over %d customers (%d repeat), want %d (%d): %+v", fit.Customers, fit.Repeaters, len(sums), repeaters, fit)
		}
		for _, v := range []float64{fit.BGNBD.R, fit.BGNBD.Alpha, fit.BGNBD.A, fit.BGNBD.B, fit.GammaGamma.P, fit.GammaGamma.Q, fit.GammaGamma.V} {
			if !(v > 0) || math.IsInf(v, 0) {
				t.Fatalf("fitted parameters %+v %+v", fit.BGNBD, fit.GammaGamma)
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM customer_predictions WHERE tenant_id = ?`); n != len(sums) {
			t.Errorf("%d predictions, want one per buyer (%d)", n, len(sums))
		}

		// Every stored figure is what the fitted models say of the customer's own summary.
		bg, gg := fit.BGNBD.model(), fit.GammaGamma.model()
		periods := 365 / 7.0
		best, worst := map[string]float64{}, map[string]float64{}
		for _, s := range sums {
			cid, _ := strconv.ParseInt(s.CustomerID, 10, 64)
			v, err := f.svc.ValueFor(f.ctx, f.tenant.ID, cid)
			if err != nil || v.Prediction == nil {
				t.Fatalf("value of %d: %+v %v", cid, v, err)
			}
			p := v.Prediction
			want := bg.PAlive(s.Frequency, s.Recency, s.T)
			wantExp := bg.ExpectedPurchases(periods, s.Frequency, s.Recency, s.T)
			wantFen := math.Round(clv.PredictedValue(bg, gg, s, periods, 0))
			if math.Abs(p.PAlive-want) > 1e-9 || math.Abs(p.ExpectedPurchases-wantExp) > 1e-9 || math.Abs(float64(p.PredictedValueFen)-wantFen) > 1 {
				t.Fatalf("customer %d %+v: stored %+v, want p_alive %v, purchases %v, value %v", cid, s, p, want, wantExp, wantFen)
			}
			if p.PAlive < 0 || p.PAlive > 1 {
				t.Errorf("p_alive %v out of range", p.PAlive)
			}
			if s.Frequency >= 3 {
				key := "freq"
				if s.T-s.Recency < 2 { // bought in the last two weeks
					if p.PAlive > best[key] {
						best[key] = p.PAlive
					}
				} else if s.T-s.Recency > 20 {
					if worst[key] == 0 || p.PAlive < worst[key] {
						worst[key] = p.PAlive
					}
				}
			}
		}
		if best["freq"] == 0 || worst["freq"] == 0 || !(best["freq"] > worst["freq"]) {
			t.Errorf("frequent recent buyer p_alive %v, frequent buyer gone 20 weeks %v: want the first higher", best["freq"], worst["freq"])
		}
		model, err := f.svc.Model(f.ctx, f.tenant.ID)
		if err != nil || model.BGNBD != fit.BGNBD || model.GammaGamma != fit.GammaGamma || !model.FittedAt.Equal(fit.FittedAt) {
			t.Errorf("stored model %+v, %v; want %+v", model, err, fit)
		}
		// A refit replaces, never duplicates.
		if _, err := f.svc.Predict(f.ctx, f.tenant.ID); err != nil {
			t.Fatal(err)
		}
		if n := f.count(`SELECT COUNT(*) FROM customer_predictions WHERE tenant_id = ?`); n != len(sums) {
			t.Errorf("after a refit: %d predictions, want %d", n, len(sums))
		}
	})
}
