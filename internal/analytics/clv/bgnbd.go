package clv

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// BGNBD is a fitted BG/NBD model (Fader, Hardie & Lee 2005). While active, a
// customer buys as a Poisson process with rate λ ~ Gamma(R, Alpha); after
// each repeat purchase the customer drops out with probability p ~ Beta(A, B).
// Alpha is in the time unit of the summaries it was fitted on.
type BGNBD struct {
	R, Alpha, A, B float64
	// LogLik is the log-likelihood of the fitted customers at these
	// parameters (without any penalty).
	LogLik float64
	// Customers is how many customers the model was fitted on.
	Customers int
}

// CustomerLogLikelihood is the log-likelihood of one customer with x repeat
// purchases, the last at tx, observed for T periods (FHL 2005, eq. 6):
//
//	L = B(a,b+x)/B(a,b) · Γ(r+x)α^r / (Γ(r)(α+T)^(r+x))
//	  + [x>0] B(a+1,b+x-1)/B(a,b) · Γ(r+x)α^r / (Γ(r)(α+tx)^(r+x))
//
// evaluated as log Γ differences plus a log-sum-exp of the two terms, which
// stays finite for large x where the products overflow.
func (m BGNBD) CustomerLogLikelihood(x int, tx, T float64) float64 {
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	fx := float64(x)
	ll := lgamma(r+fx) - lgamma(r) + r*math.Log(alpha) +
		lgamma(a+b) + lgamma(b+fx) - lgamma(b) - lgamma(a+b+fx)
	u := -(r + fx) * math.Log(alpha+T)
	if x == 0 {
		return ll + u
	}
	v := math.Log(a) - math.Log(b+fx-1) - (r+fx)*math.Log(alpha+tx)
	return ll + logAddExp(u, v)
}

// LogLikelihood is the total log-likelihood of the summaries.
func (m BGNBD) LogLikelihood(summaries []Summary) float64 {
	var ll float64
	for _, s := range summaries {
		ll += m.CustomerLogLikelihood(s.Frequency, s.Recency, s.T)
	}
	return ll
}

// PAlive is the probability that a customer with x repeat purchases, the last
// at tx, is still active at T (FHL 2005 note, "Computing P(alive)"):
//
//	P = 1 / (1 + [x>0] a/(b+x-1) · ((α+T)/(α+tx))^(r+x))
func (m BGNBD) PAlive(x int, tx, T float64) float64 {
	if x == 0 {
		return 1
	}
	return 1 / (1 + math.Exp(m.logDeadOdds(x, tx, T)))
}

// logDeadOdds is log(P(dropped out)/P(active)).
func (m BGNBD) logDeadOdds(x int, tx, T float64) float64 {
	fx := float64(x)
	return math.Log(m.A) - math.Log(m.B+fx-1) + (m.R+fx)*(math.Log(m.Alpha+T)-math.Log(m.Alpha+tx))
}

// ExpectedPurchases is the expected number of purchases in the t periods
// after T of a customer with x repeat purchases, the last at tx (FHL 2005,
// eq. 10):
//
//	E[Y(t)] = (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) ·
//	          ₂F₁(r+x, b+x; a+b+x-1; t/(α+T+t))] · PAlive(x, tx, T)
//
// See expectedAlive for how it is evaluated. With x = tx = T = 0 it is the
// expected number of repeat purchases of a new customer in t periods after
// the first purchase (FHL 2005, eq. 9).
func (m BGNBD) ExpectedPurchases(t float64, x int, tx, T float64) float64 {
	if t <= 0 {
		return 0
	}
	return m.expectedAlive(t, x, T) * m.PAlive(x, tx, T)
}

// expectedAlive is the bracketed factor of ExpectedPurchases: the expected
// purchases in (T, T+t] of a customer known to be active at T. By Euler's
// transformation ₂F₁(α,β;γ;z) = (1-z)^(γ-α-β) ₂F₁(γ-α,γ-β;γ;z) with
// γ = a+b+x-1 it equals
//
//	γ · [ (1-(1-z)^(a-1))/(a-1) - (1-z)^(a-1) · S ],
//	S = Σ_{n≥1} (a+b-1-r)_n (a)_(n-1) zⁿ / ((γ)_n n!)
//
// which removes the apparent pole at a = 1, keeps the first two arguments of
// the series independent of x (so it converges faster, not slower, for heavy
// buyers), and needs no cancellation between large numbers.
func (m BGNBD) expectedAlive(t float64, x int, T float64) float64 {
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	z := t / (alpha + T + t)
	c := a + b + float64(x) - 1
	l := math.Log1p(-z)     // log(1-z)
	y := (a - 1) * l        // log((1-z)^(a-1))
	first := -l * expm1x(y) // (1-(1-z)^(a-1))/(a-1)
	s, ok := eulerSeries(a+b-1-r, a, c, z)
	if !ok {
		return math.NaN()
	}
	return c * (first - math.Exp(y)*s)
}

// expm1x is (e^y - 1)/y, 1 at y = 0.
func expm1x(y float64) float64 {
	if math.Abs(y) < 1e-8 {
		return 1 + y/2
	}
	return math.Expm1(y) / y
}

// eulerSeries sums S = Σ_{n≥1} (p)_n (q)_(n-1) zⁿ / ((c)_n n!) for 0 ≤ z < 1.
// The ratio of successive terms tends to z, so once it is below 1 the rest of
// the series is at most about term·ρ/(1-ρ) with ρ = max(ratio, z); it stops
// when that bound is below double precision of the sum. ok is false if that
// does not happen within a generous number of terms (z extremely close to 1).
func eulerSeries(p, q, c, z float64) (sum float64, ok bool) {
	if z == 0 || p == 0 {
		return 0, true
	}
	term := p * z / c
	sum = term
	const maxTerms = 1_000_000
	for n := 1.0; n < maxTerms; n++ {
		ratio := (p + n) * (q + n - 1) * z / ((c + n) * (n + 1))
		term *= ratio
		sum += term
		if term == 0 {
			return sum, true
		}
		if rho := max(math.Abs(ratio), z); rho < 1 && math.Abs(term)*rho/(1-rho) <= 1e-16*math.Abs(sum) {
			return sum, true
		}
	}
	return sum, false
}

// FitBGNBD estimates BG/NBD parameters by maximum likelihood.
//
// Customers with the same (frequency, recency, T) are fitted as one weighted
// row; since recency and T are whole days, real data compresses well. The
// likelihood and its analytic gradient are maximised over log-parameters
// with BFGS (gonum/optimize), on a time axis rescaled so the oldest customer
// is 10 periods old, and the result is reported in the summaries' unit.
func FitBGNBD(summaries []Summary, opts FitOptions) (BGNBD, error) {
	d, err := newBGData(summaries)
	if err != nil {
		return BGNBD{}, fmt.Errorf("clv: fit BG/NBD: %w", err)
	}
	d.workers = opts.workers(len(d.tx) + len(d.t0))
	scale := 10 / d.maxT
	d.rescale(scale)

	pen := opts.Penalizer
	f := func(lp, grad []float64) float64 {
		th := [4]float64{math.Exp(lp[0]), math.Exp(lp[1]), math.Exp(lp[2]), math.Exp(lp[3])}
		if !allFinitePositive(th[:]) {
			return math.Inf(1)
		}
		var g [4]float64
		ll := d.logLik(th, g[:])
		// Minimise the mean negative log-likelihood (plus penalty) over
		// log-parameters: d/dlogθ = θ·d/dθ.
		for i := range grad {
			grad[i] = -g[i]/d.n*th[i] + 2*pen*th[i]*th[i]
		}
		return -ll/d.n + pen*(th[0]*th[0]+th[1]*th[1]+th[2]*th[2]+th[3]*th[3])
	}
	lp, err := minimise(f, []float64{0, 0, 0, 0}, opts.maxIterations())
	if err != nil {
		return BGNBD{}, fmt.Errorf("clv: fit BG/NBD on %d customers: %w%s", len(summaries), err, divergence([]string{"r", "alpha", "a", "b"}, lp))
	}
	m := BGNBD{
		R:         math.Exp(lp[0]),
		Alpha:     math.Exp(lp[1]) / scale,
		A:         math.Exp(lp[2]),
		B:         math.Exp(lp[3]),
		Customers: len(summaries),
	}
	d.rescale(1 / scale)
	m.LogLik = d.logLik([4]float64{m.R, m.Alpha, m.A, m.B}, nil)
	return m, nil
}

func allFinitePositive(v []float64) bool {
	for _, x := range v {
		if !(x > 0) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// bgData is the compressed data of a BG/NBD fit.
type bgData struct {
	// Repeat buyers, one row per distinct (x, tx, T): xi indexes xs.
	xi       []int32
	tx, t, w []float64
	// Customers without repeat purchases, one row per distinct T.
	t0, w0 []float64
	// Distinct frequencies > 0 and the total weight of each.
	xs, wx  []float64
	n       float64 // number of customers
	maxT    float64
	workers int
}

func newBGData(summaries []Summary) (*bgData, error) {
	if len(summaries) == 0 {
		return nil, errors.New("no customers")
	}
	type key struct {
		x     int
		tx, t float64
	}
	rows := make(map[key]int, 1024)
	xIndex := make(map[int]int32)
	d := &bgData{n: float64(len(summaries))}
	repeat := 0
	for _, s := range summaries {
		if err := checkSummary(s); err != nil {
			return nil, err
		}
		d.maxT = max(d.maxT, s.T)
		if s.Frequency == 0 {
			k := key{0, 0, s.T}
			if i, ok := rows[k]; ok {
				d.w0[i]++
				continue
			}
			rows[k] = len(d.t0)
			d.t0 = append(d.t0, s.T)
			d.w0 = append(d.w0, 1)
			continue
		}
		repeat++
		xi, ok := xIndex[s.Frequency]
		if !ok {
			xi = int32(len(d.xs))
			xIndex[s.Frequency] = xi
			d.xs = append(d.xs, float64(s.Frequency))
			d.wx = append(d.wx, 0)
		}
		d.wx[xi]++
		k := key{s.Frequency, s.Recency, s.T}
		if i, ok := rows[k]; ok {
			d.w[i]++
			continue
		}
		rows[k] = len(d.tx)
		d.xi = append(d.xi, xi)
		d.tx = append(d.tx, s.Recency)
		d.t = append(d.t, s.T)
		d.w = append(d.w, 1)
	}
	if repeat == 0 {
		return nil, fmt.Errorf("no repeat buyers among %d customers: the model needs customers with at least two purchase days", len(summaries))
	}
	if !(d.maxT > 0) {
		return nil, errors.New("every customer has T = 0: set the calibration end after the first purchases")
	}
	return d, nil
}

func checkSummary(s Summary) error {
	switch {
	case s.Frequency < 0:
		return fmt.Errorf("customer %q: negative frequency %d", s.CustomerID, s.Frequency)
	case !(s.Recency >= 0) || math.IsInf(s.Recency, 0):
		return fmt.Errorf("customer %q: recency %v is not a finite non-negative number", s.CustomerID, s.Recency)
	case !(s.T >= s.Recency) || math.IsInf(s.T, 0):
		return fmt.Errorf("customer %q: T %v is less than recency %v", s.CustomerID, s.T, s.Recency)
	case s.Frequency == 0 && s.Recency != 0:
		return fmt.Errorf("customer %q: recency %v with no repeat purchase", s.CustomerID, s.Recency)
	}
	return nil
}

// rescale multiplies every time by k.
func (d *bgData) rescale(k float64) {
	for _, v := range [][]float64{d.tx, d.t, d.t0} {
		for i := range v {
			v[i] *= k
		}
	}
	d.maxT *= k
}

// logLik returns the total log-likelihood at θ = (r, α, a, b) and, if grad
// is not nil, stores its gradient with respect to θ there.
//
// The log-gamma terms depend on the customer only through x, so they are
// computed once per distinct frequency; each row then costs two logarithms
// and one exponential.
func (d *bgData) logLik(th [4]float64, grad []float64) float64 {
	r, alpha, a, b := th[0], th[1], th[2], th[3]
	withGrad := grad != nil
	logAlpha := math.Log(alpha)
	ll := d.n * r * logAlpha
	var gr, galpha, ga, gb float64
	if withGrad {
		gr = d.n * logAlpha
		galpha = d.n * r / alpha
	}

	// Per distinct frequency: Γ(r+x)/Γ(r) · B(a,b+x)/B(a,b), and log(b+x-1)
	// for the rows.
	logB1 := make([]float64, len(d.xs))
	lgR, lgB, lgAB := lgamma(r), lgamma(b), lgamma(a+b)
	var psiR, psiB, psiAB float64
	if withGrad {
		psiR, psiB, psiAB = mathext.Digamma(r), mathext.Digamma(b), mathext.Digamma(a+b)
	}
	for k, x := range d.xs {
		w := d.wx[k]
		ll += w * (lgamma(r+x) - lgR + lgAB + lgamma(b+x) - lgB - lgamma(a+b+x))
		logB1[k] = math.Log(b + x - 1)
		if withGrad {
			psiABX := mathext.Digamma(a + b + x)
			gr += w * (mathext.Digamma(r+x) - psiR)
			ga += w * (psiAB - psiABX)
			gb += w * (psiAB + mathext.Digamma(b+x) - psiB - psiABX)
		}
	}

	logA := math.Log(a)
	nRep, nZero := len(d.tx), len(d.t0)
	sums := parallelSum(nRep+nZero, d.workers, 5, func(lo, hi int, acc []float64) {
		var sll, sr, salpha, sa, sb float64
		// Rows lo..hi index the repeat rows first, then the zero rows.
		for i := lo; i < min(hi, nRep); i++ {
			x := d.xs[d.xi[i]]
			w := d.w[i]
			lT := math.Log(alpha + d.t[i])
			lTx := math.Log(alpha + d.tx[i])
			u := -(r + x) * lT
			v := logA - logB1[d.xi[i]] - (r+x)*lTx
			// log(e^u + e^v) and the weights e^u/(e^u+e^v), e^v/(e^u+e^v).
			var lse, pu, pv float64
			if u >= v {
				e := math.Exp(v - u)
				lse = u + math.Log1p(e)
				pv = e / (1 + e)
				pu = 1 - pv
			} else {
				e := math.Exp(u - v)
				lse = v + math.Log1p(e)
				pu = e / (1 + e)
				pv = 1 - pu
			}
			sll += w * lse
			if withGrad {
				sr -= w * (pu*lT + pv*lTx)
				salpha -= w * (r + x) * (pu/(alpha+d.t[i]) + pv/(alpha+d.tx[i]))
				sa += w * pv / a
				sb -= w * pv / (b + x - 1)
			}
		}
		for i := max(lo, nRep); i < hi; i++ {
			j := i - nRep
			w := d.w0[j]
			lT := math.Log(alpha + d.t0[j])
			sll -= w * r * lT
			if withGrad {
				sr -= w * lT
				salpha -= w * r / (alpha + d.t0[j])
			}
		}
		acc[0] += sll
		acc[1] += sr
		acc[2] += salpha
		acc[3] += sa
		acc[4] += sb
	})
	ll += sums[0]
	if withGrad {
		grad[0] = gr + sums[1]
		grad[1] = galpha + sums[2]
		grad[2] = ga + sums[3]
		grad[3] = gb + sums[4]
	}
	return ll
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// logAddExp is log(e^u + e^v) without overflow.
func logAddExp(u, v float64) float64 {
	if u < v {
		u, v = v, u
	}
	if math.IsInf(u, -1) {
		return u
	}
	return u + math.Log1p(math.Exp(v-u))
}
