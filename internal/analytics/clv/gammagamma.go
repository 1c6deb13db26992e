package clv

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// GammaGamma is a fitted Gamma-Gamma model of spend per purchase (Fader,
// Hardie & Lee 2005; Fader & Hardie 2013). A customer's purchases are worth
// z ~ Gamma(shape P, rate ν), and ν varies across customers as
// Gamma(shape Q, rate V). V is in fen, like the monetary values it was fitted
// on; P and Q have no unit. The model assumes spend per purchase does not
// depend on how often a customer buys.
type GammaGamma struct {
	P, Q, V float64
	// LogLik is the log-likelihood of the fitted customers' mean spend
	// (measured in fen) at these parameters, without any penalty. Measured
	// in yuan it would be LogLik + Customers·log(100).
	LogLik float64
	// Customers is how many repeat buyers the model was fitted on.
	Customers int
}

// CustomerLogLikelihood is the log density of a mean spend m over x repeat
// purchases (Fader & Hardie 2013, eq. 3):
//
//	f(m | x) = Γ(px+q)/(Γ(px)Γ(q)) · v^q x^(px) m^(px-1) / (v+xm)^(px+q)
func (g GammaGamma) CustomerLogLikelihood(x int, m float64) float64 {
	p, q, v := g.P, g.Q, g.V
	px := p * float64(x)
	return lgamma(px+q) - lgamma(px) - lgamma(q) + q*math.Log(v) +
		px*math.Log(float64(x)) + (px-1)*math.Log(m) - (px+q)*math.Log(v+float64(x)*m)
}

// LogLikelihood is the total log-likelihood of the customers the model can be
// fitted on: those with Frequency > 0 and MonetaryValue > 0.
func (g GammaGamma) LogLikelihood(summaries []Summary) float64 {
	var ll float64
	for _, s := range summaries {
		if s.Frequency > 0 && s.MonetaryValue > 0 {
			ll += g.CustomerLogLikelihood(s.Frequency, s.MonetaryValue)
		}
	}
	return ll
}

// ExpectedAverageValue is the expected value in fen of a future purchase by a
// customer whose x repeat purchases were worth m on average (Fader & Hardie
// 2013, eq. 5):
//
//	E[Z | x, m] = p(v + xm) / (px + q - 1)
//
// a weighted mean of the population mean pv/(q-1) and the customer's own mean
// m. For x = 0 it is the population mean, which is finite only when q > 1.
func (g GammaGamma) ExpectedAverageValue(x int, m float64) float64 {
	fx := float64(x)
	if x == 0 {
		m = 0
	}
	den := g.P*fx + g.Q - 1
	if den <= 0 {
		return math.Inf(1)
	}
	return g.P * (g.V + fx*m) / den
}

// FitGammaGamma estimates Gamma-Gamma parameters by maximum likelihood on the
// customers with at least one repeat purchase and a positive mean spend;
// others carry no information on spend per repeat purchase and are skipped.
// Customers with the same (frequency, monetary value) are fitted as one
// weighted row.
func FitGammaGamma(summaries []Summary, opts FitOptions) (GammaGamma, error) {
	d, err := newGGData(summaries)
	if err != nil {
		return GammaGamma{}, fmt.Errorf("clv: fit Gamma-Gamma: %w", err)
	}
	d.workers = opts.workers(len(d.m))
	// Fit on money rescaled to a mean of 1 so the start and the penalty do
	// not depend on the currency unit.
	scale := d.n / d.sumWM
	d.rescale(scale)
	pen := opts.Penalizer
	f := func(lp, grad []float64) float64 {
		th := [3]float64{math.Exp(lp[0]), math.Exp(lp[1]), math.Exp(lp[2])}
		if !allFinitePositive(th[:]) {
			return math.Inf(1)
		}
		var g [3]float64
		ll := d.logLik(th, g[:])
		for i := range grad {
			grad[i] = -g[i]/d.n*th[i] + 2*pen*th[i]*th[i]
		}
		return -ll/d.n + pen*(th[0]*th[0]+th[1]*th[1]+th[2]*th[2])
	}
	// Start at p=1, q=2, v=1: the population mean pv/(q-1) equals the
	// rescaled sample mean.
	lp, err := minimise(f, []float64{0, math.Log(2), 0}, opts.maxIterations())
	if err != nil {
		return GammaGamma{}, fmt.Errorf("clv: fit Gamma-Gamma on %d repeat buyers: %w%s", int(d.n), err, divergence([]string{"p", "q", "v"}, lp))
	}
	g := GammaGamma{P: math.Exp(lp[0]), Q: math.Exp(lp[1]), V: math.Exp(lp[2]) / scale, Customers: int(d.n)}
	d.rescale(1 / scale)
	g.LogLik = d.logLik([3]float64{g.P, g.Q, g.V}, nil)
	return g, nil
}

// ggData is the compressed data of a Gamma-Gamma fit.
type ggData struct {
	// One row per distinct (x, m); xi indexes xs.
	xi   []int32
	m, w []float64
	// Distinct frequencies and the total weight of each.
	xs, wx []float64
	n      float64
	sumWM  float64 // Σ m over customers
	// Σ x·log m and Σ log m over customers, for the (px-1)·log m term.
	sumXLogM, sumLogM float64
	workers           int
}

func newGGData(summaries []Summary) (*ggData, error) {
	type key struct {
		x int
		m float64
	}
	rows := make(map[key]int)
	xIndex := make(map[int]int32)
	d := &ggData{}
	for _, s := range summaries {
		if s.Frequency <= 0 {
			continue
		}
		if !(s.MonetaryValue >= 0) || math.IsInf(s.MonetaryValue, 0) {
			return nil, fmt.Errorf("customer %q: monetary value %v is not a finite non-negative number", s.CustomerID, s.MonetaryValue)
		}
		if s.MonetaryValue == 0 {
			continue
		}
		d.n++
		d.sumWM += s.MonetaryValue
		xi, ok := xIndex[s.Frequency]
		if !ok {
			xi = int32(len(d.xs))
			xIndex[s.Frequency] = xi
			d.xs = append(d.xs, float64(s.Frequency))
			d.wx = append(d.wx, 0)
		}
		d.wx[xi]++
		k := key{s.Frequency, s.MonetaryValue}
		if i, ok := rows[k]; ok {
			d.w[i]++
			continue
		}
		rows[k] = len(d.m)
		d.xi = append(d.xi, xi)
		d.m = append(d.m, s.MonetaryValue)
		d.w = append(d.w, 1)
	}
	if d.n == 0 {
		return nil, fmt.Errorf("no repeat buyers with a positive spend among %d customers", len(summaries))
	}
	d.rescale(1)
	return d, nil
}

// rescale multiplies every monetary value by k and refreshes the sums.
func (d *ggData) rescale(k float64) {
	d.sumWM, d.sumXLogM, d.sumLogM = 0, 0, 0
	for i := range d.m {
		d.m[i] *= k
		w, lm := d.w[i], math.Log(d.m[i])
		d.sumWM += w * d.m[i]
		d.sumXLogM += w * d.xs[d.xi[i]] * lm
		d.sumLogM += w * lm
	}
}

// logLik returns the total log-likelihood at θ = (p, q, v) and, if grad is
// not nil, its gradient with respect to θ. Only log(v + x·m) needs a pass
// over the rows; the rest is per distinct frequency or precomputed.
func (d *ggData) logLik(th [3]float64, grad []float64) float64 {
	p, q, v := th[0], th[1], th[2]
	withGrad := grad != nil
	logV := math.Log(v)
	lgQ := lgamma(q)
	ll := d.n*(q*logV-lgQ) + p*d.sumXLogM - d.sumLogM
	var gp, gq, gv float64
	var psiQ float64
	if withGrad {
		psiQ = mathext.Digamma(q)
		gp = d.sumXLogM
		gq = d.n * (logV - psiQ)
		gv = d.n * q / v
	}
	for k, x := range d.xs {
		w, px := d.wx[k], p*x
		lx := math.Log(x)
		ll += w * (lgamma(px+q) - lgamma(px) + px*lx)
		if withGrad {
			psiPXQ := mathext.Digamma(px + q)
			gp += w * x * (psiPXQ - mathext.Digamma(px) + lx)
			gq += w * psiPXQ
		}
	}
	sums := parallelSum(len(d.m), d.workers, 4, func(lo, hi int, acc []float64) {
		var sll, sp, sq, sv float64
		for i := lo; i < hi; i++ {
			x := d.xs[d.xi[i]]
			w := d.w[i]
			vxm := v + x*d.m[i]
			l := math.Log(vxm)
			sll -= w * (p*x + q) * l
			if withGrad {
				sp -= w * x * l
				sq -= w * l
				sv -= w * (p*x + q) / vxm
			}
		}
		acc[0] += sll
		acc[1] += sp
		acc[2] += sq
		acc[3] += sv
	})
	ll += sums[0]
	if withGrad {
		grad[0] = gp + sums[1]
		grad[1] = gq + sums[2]
		grad[2] = gv + sums[3]
	}
	return ll
}
