package clv

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// sharedData returns the path of a file in the shared CLV data sets, which CI
// checks out beside the repository. Without it the test is skipped, except
// under CI=true, where a missing data set is a failure.
func sharedData(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join("..", "..", "..", "..", "shared", "data", "clv", name)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data set missing: %v", err)
		}
		t.Skipf("shared data set missing: %v", err)
	}
	return path
}

// cdnowCalibration is the CDNOW 1/10 sample summarised as in the literature:
// 39-week calibration period to 1997-09-30, time in weeks.
func cdnowCalibration(t *testing.T) []Summary {
	t.Helper()
	txs := readFile(t, sharedData(t, "cdnow_sample_tx.csv"), CSVOptions{})
	return Summarize(txs, day("1997-09-30"), Week)
}

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

// stdErrors returns asymptotic standard errors of the parameters θ = exp(x)
// at the optimum x of f (a mean negative log-likelihood over n customers),
// from the inverse of a finite-difference Hessian of the analytic gradient.
func stdErrors(t *testing.T, f objective, x []float64, n float64) []float64 {
	t.Helper()
	k := len(x)
	h := mat.NewSymDense(k, nil)
	gp, gm := make([]float64, k), make([]float64, k)
	const step = 1e-5
	for j := range k {
		xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
		xp[j] += step
		xm[j] -= step
		f(xp, gp)
		f(xm, gm)
		for i := 0; i <= j; i++ {
			h.SetSym(i, j, (gp[i]-gm[i])/(2*step)*n)
		}
	}
	var cov mat.Dense
	if err := cov.Inverse(h); err != nil {
		t.Fatalf("information matrix: %v", err)
	}
	se := make([]float64, k)
	for i := range se {
		// Delta method: var(θ) = θ² var(log θ).
		se[i] = math.Exp(x[i]) * math.Sqrt(cov.At(i, i))
	}
	return se
}

// bgObjective is the unpenalised mean negative log-likelihood of FitBGNBD,
// over log-parameters and in the summaries' own time unit.
func bgObjective(t *testing.T, s []Summary) (objective, float64) {
	t.Helper()
	d, err := newBGData(s)
	if err != nil {
		t.Fatal(err)
	}
	d.workers = 1
	return func(lp, grad []float64) float64 {
		th := [4]float64{math.Exp(lp[0]), math.Exp(lp[1]), math.Exp(lp[2]), math.Exp(lp[3])}
		var g [4]float64
		ll := d.logLik(th, g[:])
		for i := range grad {
			grad[i] = -g[i] / d.n * th[i]
		}
		return -ll / d.n
	}, d.n
}

func ggObjective(t *testing.T, s []Summary) (objective, float64) {
	t.Helper()
	d, err := newGGData(s)
	if err != nil {
		t.Fatal(err)
	}
	d.workers = 1
	return func(lp, grad []float64) float64 {
		th := [3]float64{math.Exp(lp[0]), math.Exp(lp[1]), math.Exp(lp[2])}
		var g [3]float64
		ll := d.logLik(th, g[:])
		for i := range grad {
			grad[i] = -g[i] / d.n * th[i]
		}
		return -ll / d.n
	}, d.n
}

func logs(v ...float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Log(x)
	}
	return out
}
