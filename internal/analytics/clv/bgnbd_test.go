package clv

import (
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
)

// naiveBGNBDLik is FHL 2005 eq. 6 written with the Beta and Gamma functions
// directly (no logarithms), as an independent check of the log-space code.
func naiveBGNBDLik(m BGNBD, x int, tx, T float64) float64 {
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	fx := float64(x)
	nbd := math.Gamma(r+fx) * math.Pow(alpha, r) / math.Gamma(r)
	l := mathext.Beta(a, b+fx) / mathext.Beta(a, b) * nbd / math.Pow(alpha+T, r+fx)
	if x > 0 {
		l += mathext.Beta(a+1, b+fx-1) / mathext.Beta(a, b) * nbd / math.Pow(alpha+tx, r+fx)
	}
	return l
}

func TestBGNBDLogLikelihoodByHand(t *testing.T) {
	// At r = α = a = b = 1, B(1,1) = 1 and Γ(1) = 1, so eq. 6 is
	//   L = B(1,1+x) · x!/(1+T)^(1+x) + [x>0] B(2,x) · x!/(1+tx)^(1+x)
	// with B(1,1+x) = 1/(1+x) and B(2,x) = 1/(x(x+1)).
	m := BGNBD{R: 1, Alpha: 1, A: 1, B: 1}
	tests := []struct {
		x     int
		tx, T float64
		want  float64 // the likelihood, worked out below
	}{
		// x=0, T=2: 1 · 1/3 = 1/3.
		{0, 0, 2, 1.0 / 3},
		// x=1, tx=1, T=3: B(1,2)·1/4² + B(2,1)·1/2² = 1/2·1/16 + 1/2·1/4 = 5/32.
		{1, 1, 3, 5.0 / 32},
		// x=2, tx=3, T=5: B(1,3)·2/6³ + B(2,2)·2/4³ = 1/3·2/216 + 1/6·2/64
		//   = 1/324 + 1/192 = 43/5184.
		{2, 3, 5, 43.0 / 5184},
	}
	var s []Summary
	var total float64
	for _, tt := range tests {
		got := m.CustomerLogLikelihood(tt.x, tt.tx, tt.T)
		if want := math.Log(tt.want); math.Abs(got-want) > 1e-13 {
			t.Errorf("CustomerLogLikelihood(%d, %v, %v) = %.15g, want log(%.10g) = %.15g", tt.x, tt.tx, tt.T, got, tt.want, want)
		}
		s = append(s, Summary{Frequency: tt.x, Recency: tt.tx, T: tt.T})
		total += math.Log(tt.want)
	}
	if got := m.LogLikelihood(s); math.Abs(got-total) > 1e-12 {
		t.Errorf("LogLikelihood = %.15g, want %.15g", got, total)
	}
}

func TestBGNBDLogLikelihoodMatchesNaive(t *testing.T) {
	params := []BGNBD{
		{R: 0.2426, Alpha: 4.414, A: 0.793, B: 2.426},
		{R: 2, Alpha: 0.5, A: 3, B: 0.7},
		{R: 0.5, Alpha: 30, A: 1, B: 1.5},
	}
	customers := []Summary{
		{Frequency: 0, T: 38.86},
		{Frequency: 1, Recency: 1.71, T: 38.86},
		{Frequency: 2, Recency: 30.43, T: 38.86},
		{Frequency: 7, Recency: 29.43, T: 38.86},
		{Frequency: 15, Recency: 5, T: 20},
		{Frequency: 3, Recency: 10, T: 10},
	}
	for _, m := range params {
		d, err := newBGData(customers)
		if err != nil {
			t.Fatal(err)
		}
		var want float64
		for _, c := range customers {
			naive := math.Log(naiveBGNBDLik(m, c.Frequency, c.Recency, c.T))
			if got := m.CustomerLogLikelihood(c.Frequency, c.Recency, c.T); math.Abs(got-naive) > 1e-10*math.Abs(naive) {
				t.Errorf("%+v, %+v: log-likelihood %.15g, naive %.15g", m, c, got, naive)
			}
			want += naive
		}
		// The compressed, per-frequency evaluation used by the fit agrees too.
		if got := d.logLik([4]float64{m.R, m.Alpha, m.A, m.B}, nil); math.Abs(got-want) > 1e-10*math.Abs(want) {
			t.Errorf("%+v: fit log-likelihood %.15g, naive %.15g", m, got, want)
		}
	}
}

func TestBGNBDLargeFrequencyStaysFinite(t *testing.T) {
	// Γ(r+x) overflows float64 beyond x ≈ 170; the log-space form does not.
	m := BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	for _, x := range []int{200, 1000, 100000} {
		ll := m.CustomerLogLikelihood(x, 700, 730)
		p := m.PAlive(x, 700, 730)
		e := m.ExpectedPurchases(52, x, 700, 730)
		if !isFinite(ll) || !(p >= 0 && p <= 1) || !isFinite(e) || e < 0 {
			t.Errorf("x=%d: loglik %v, P(alive) %v, expected purchases %v", x, ll, p, e)
		}
	}
}

func TestBGNBDGradient(t *testing.T) {
	s := simulate(7, BGNBD{R: 0.4, Alpha: 3, A: 1.2, B: 2}, GammaGamma{P: 2, Q: 3, V: 100}, 500, []float64{10, 20, 30}, 0)
	f, _ := bgObjective(t, s)
	for _, x := range [][]float64{logs(0.4, 3, 1.2, 2), logs(1, 1, 1, 1), logs(0.1, 20, 0.3, 8)} {
		checkGradient(t, f, x)
	}
}

// checkGradient compares f's analytic gradient with central differences.
func checkGradient(t *testing.T, f objective, x []float64) {
	t.Helper()
	g := make([]float64, len(x))
	f(x, g)
	for i := range x {
		const h = 1e-6
		xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
		xp[i] += h
		xm[i] -= h
		num := (f(xp, make([]float64, len(x))) - f(xm, make([]float64, len(x)))) / (2 * h)
		if math.Abs(num-g[i]) > 1e-6*max(1, math.Abs(num)) {
			t.Errorf("at %v: ∂/∂x%d = %.10g, finite difference %.10g", x, i, g[i], num)
		}
	}
}

// cdnowPublished is the BG/NBD fit to the CDNOW sample's 39-week calibration
// period. Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way",
// Marketing Science 24(2), report r=0.243, α=4.414, a=0.793, b=2.426,
// LL=-9582.4; CLVTools' test suite (tests/testthat/test_correctness_bgnbd.R)
// and the lifetimes Quickstart give the same fit to more digits.
var cdnowPublished = BGNBD{R: 0.2425945, Alpha: 4.4136019, A: 0.7929199, B: 2.4258881, LogLik: -9582.429}

func TestFitBGNBDCDNOW(t *testing.T) {
	s := cdnowCalibration(t)
	if len(s) != 2357 {
		t.Fatalf("%d customers, want 2357", len(s))
	}
	got, err := FitBGNBD(s, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := cdnowPublished
	for _, p := range []struct {
		name      string
		got, want float64
		paper     float64 // as printed in FHL 2005
	}{
		{"r", got.R, want.R, 0.243},
		{"alpha", got.Alpha, want.Alpha, 4.414},
		{"a", got.A, want.A, 0.793},
		{"b", got.B, want.B, 2.426},
	} {
		if relErr(p.got, p.want) > 1e-3 || math.Abs(p.got-p.paper) > 0.0006 {
			t.Errorf("%s = %.6f, published %.7f (paper %.3f)", p.name, p.got, p.want, p.paper)
		}
	}
	if math.Abs(got.LogLik-want.LogLik) > 0.01 {
		t.Errorf("log-likelihood %.4f, published %.3f", got.LogLik, want.LogLik)
	}
	if got.Customers != 2357 {
		t.Errorf("Customers = %d, want 2357", got.Customers)
	}

	// Standard errors from the observed information match the lifetimes
	// Quickstart's summary table (se(coef): 0.012557, 0.378221, 0.185719,
	// 0.705345).
	f, n := bgObjective(t, s)
	se := stdErrors(t, f, logs(got.R, got.Alpha, got.A, got.B), n)
	for i, want := range []float64{0.012557, 0.378221, 0.185719, 0.705345} {
		if relErr(se[i], want) > 0.01 {
			t.Errorf("standard error %d = %.6f, lifetimes %.6f", i, se[i], want)
		}
	}

	// Parallel and serial evaluation give the same fit.
	serial, err := FitBGNBD(s, FitOptions{Workers: 1})
	if err != nil || math.Abs(serial.LogLik-got.LogLik) > 1e-9 {
		t.Errorf("serial fit %+v, %v; parallel %+v", serial, err, got)
	}
}

func TestFitBGNBDPenalizerShrinks(t *testing.T) {
	s := cdnowCalibration(t)
	plain, err := FitBGNBD(s, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pen, err := FitBGNBD(s, FitOptions{Penalizer: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if !(pen.A < plain.A && pen.B < plain.B && pen.LogLik < plain.LogLik) {
		t.Errorf("penalised fit %+v does not shrink a, b from %+v", pen, plain)
	}
}

// TestFitBGNBDRecoversParameters simulates customers from known parameters
// and checks the fit lands within four standard errors of the truth.
func TestFitBGNBDRecoversParameters(t *testing.T) {
	truth := BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	n := 20000
	if testing.Short() {
		n = 5000
	}
	// Customers aged 39 to 78 weeks.
	s := simulate(42, truth, GammaGamma{P: 6, Q: 4, V: 1500}, n, cohortAges(274, 273, 7), 0)
	got, err := FitBGNBD(s, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, nn := bgObjective(t, s)
	se := stdErrors(t, f, logs(got.R, got.Alpha, got.A, got.B), nn)
	for i, p := range []struct {
		name      string
		got, want float64
	}{{"r", got.R, truth.R}, {"alpha", got.Alpha, truth.Alpha}, {"a", got.A, truth.A}, {"b", got.B, truth.B}} {
		t.Logf("%s = %.4f ± %.4f (true %.4f)", p.name, p.got, se[i], p.want)
		if math.Abs(p.got-p.want) > 4*se[i] || relErr(p.got, p.want) > 0.3 {
			t.Errorf("%s = %.4f ± %.4f, true %.4f", p.name, p.got, se[i], p.want)
		}
	}
	// Day-granular data, as Summarize produces from dates, fits as well.
	days := simulate(43, truth, GammaGamma{P: 6, Q: 4, V: 1500}, n, cohortAges(274, 273, 7), 7)
	gotDays, err := FitBGNBD(days, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if relErr(gotDays.R, truth.R) > 0.15 || relErr(gotDays.Alpha, truth.Alpha) > 0.15 || relErr(gotDays.A, truth.A) > 0.3 || relErr(gotDays.B, truth.B) > 0.3 {
		t.Errorf("day-granular fit %+v, true %+v", gotDays, truth)
	}
}

func TestFitBGNBDErrors(t *testing.T) {
	tests := []struct {
		name string
		s    []Summary
		want string
	}{
		{"no customers", nil, "no customers"},
		{"no repeat buyers", []Summary{{CustomerID: "a", T: 3}, {CustomerID: "b", T: 5}}, "no repeat buyers among 2 customers"},
		{"recency after T", []Summary{{CustomerID: "a", Frequency: 1, Recency: 6, T: 5}}, `customer "a": T 5 is less than recency 6`},
		{"negative frequency", []Summary{{CustomerID: "a", Frequency: -1, T: 5}}, `customer "a": negative frequency`},
		{"NaN recency", []Summary{{CustomerID: "a", Frequency: 1, Recency: math.NaN(), T: 5}}, "not a finite"},
	}
	for _, tt := range tests {
		_, err := FitBGNBD(tt.s, FitOptions{})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "clv: fit BG/NBD") {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	// An iteration budget too small to converge says so.
	s := simulate(3, BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}, GammaGamma{P: 1, Q: 2, V: 1}, 2000, []float64{39}, 0)
	if _, err := FitBGNBD(s, FitOptions{MaxIterations: 1}); !errors.Is(err, ErrNotConverged) {
		t.Errorf("MaxIterations 1: error %v, want ErrNotConverged", err)
	}
}

// posterior integrates the individual-level BG/NBD model over the posterior
// of (λ, p) numerically, with no hypergeometric function: λ is integrated
// out in closed form (a Gamma integral), p by Gauss-Legendre quadrature after
// substituting p = u^(1/a) to remove the p^(a-1) singularity. It returns
// P(alive at T) and E[purchases in (T, T+t]].
func posterior(m BGNBD, t float64, x int, tx, T float64) (pAlive, expected float64) {
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	fx := float64(x)
	// Common factors Γ(r+x)α^r/Γ(r) and 1/B(a,b) cancel in the ratios.
	aliveLam := math.Pow(alpha+T, -(r + fx))
	deadLam := math.Pow(alpha+tx, -(r + fx))
	integrate := func(g func(p float64) float64) float64 {
		f := func(u float64) float64 {
			p := math.Pow(u, 1/a)
			return math.Pow(1-p, b-1) * g(p) / a
		}
		// Heavy buyers' integrands peak sharply near p = 0: use panels that
		// shrink towards it.
		var sum float64
		for _, e := range [][2]float64{{0, 1e-6}, {1e-6, 1e-4}, {1e-4, 1e-2}, {1e-2, 0.1}, {0.1, 1}} {
			sum += quad.Fixed(f, math.Pow(e[0], a), math.Pow(e[1], a), 1000, quad.Legendre{}, 0)
		}
		return sum
	}
	alive := integrate(func(p float64) float64 { return math.Pow(1-p, fx) * aliveLam })
	dead := 0.0
	if x > 0 {
		dead = integrate(func(p float64) float64 { return p * math.Pow(1-p, fx-1) * deadLam })
	}
	// Active at T with (λ, p): E[purchases in t] = (1 - e^(-λpt))/p, and
	// ∫Gamma(λ) λ^x e^(-λT)(1-e^(-λpt)) dλ ∝ (α+T)^-(r+x) - (α+T+pt)^-(r+x).
	future := integrate(func(p float64) float64 {
		diff := -aliveLam * math.Expm1(-(r+fx)*math.Log1p(p*t/(alpha+T)))
		return math.Pow(1-p, fx) * diff / p
	})
	return alive / (alive + dead), future / (alive + dead)
}

func TestBGNBDPredictionsMatchNumericIntegration(t *testing.T) {
	models := []BGNBD{
		cdnowPublished,
		{R: 2, Alpha: 10, A: 3, B: 4},
		{R: 0.5, Alpha: 30, A: 1, B: 1.5}, // a = 1: the closed form's 1/(a-1) pole
		{R: 0.5, Alpha: 30, A: 1 + 1e-9, B: 1.5},
	}
	customers := []struct {
		x        int
		tx, T, t float64
	}{
		{0, 0, 38.86, 39},
		{2, 30.43, 38.86, 39},
		{7, 29.43, 38.86, 39},
		{1, 1.71, 38.86, 5},
		{25, 30.86, 31, 52},
		{3, 2, 70, 104},
	}
	for _, m := range models {
		for _, c := range customers {
			wantP, wantE := posterior(m, c.t, c.x, c.tx, c.T)
			gotP, gotE := m.PAlive(c.x, c.tx, c.T), m.ExpectedPurchases(c.t, c.x, c.tx, c.T)
			if relErr(gotP, wantP) > 1e-8 {
				t.Errorf("%+v x=%d tx=%v T=%v: P(alive) %.10f, numeric %.10f", m, c.x, c.tx, c.T, gotP, wantP)
			}
			if relErr(gotE, wantE) > 1e-8 {
				t.Errorf("%+v x=%d tx=%v T=%v t=%v: expected purchases %.10f, numeric %.10f", m, c.x, c.tx, c.T, c.t, gotE, wantE)
			}
		}
	}
}

func TestBGNBDPredictionsMatchHardie(t *testing.T) {
	// Values from Bruce Hardie's BG/NBD spreadsheet for the CDNOW fit, as
	// checked by lifetimes' tests (tests/test_estimation.py).
	m := cdnowPublished
	if got := m.ExpectedPurchases(39, 2, 30.43, 38.86); math.Abs(got-1.226) > 0.001 {
		t.Errorf("E[Y(39) | x=2, tx=30.43, T=38.86] = %.4f, Hardie 1.226", got)
	}
	// Unconditional E[X(t)] of a new customer (FHL 2005 eq. 9).
	for _, tt := range []struct{ t, want float64 }{
		{0.1429, 0.0078}, {1, 0.0532}, {3, 0.1506}, {31.8571, 1.0405}, {32, 1.0437}, {78, 1.8576},
	} {
		if got := m.ExpectedPurchases(tt.t, 0, 0, 0); math.Abs(got-tt.want) > 0.0006 {
			t.Errorf("E[X(%v)] = %.4f, Hardie %.4f", tt.t, got, tt.want)
		}
	}
	if got := m.PAlive(0, 0, 38.86); got != 1 {
		t.Errorf("P(alive) with no repeat purchase = %v, want 1", got)
	}
}

func TestBGNBDExpectedPurchasesMatchesHypergeo(t *testing.T) {
	// The Euler-transformed series against the textbook form of FHL eq. 10
	// with gonum's (Cephes) ₂F₁, where Cephes is reliable.
	m := BGNBD{R: 0.7, Alpha: 5, A: 1.6, B: 2.2}
	for _, x := range []int{0, 1, 3, 10} {
		for _, T := range []float64{0, 5, 40} {
			for _, t0 := range []float64{0.5, 10, 39, 200} {
				fx := float64(x)
				z := t0 / (m.Alpha + T + t0)
				f := mathext.Hypergeo(m.R+fx, m.B+fx, m.A+m.B+fx-1, z)
				want := (m.A + m.B + fx - 1) / (m.A - 1) * (1 - math.Pow((m.Alpha+T)/(m.Alpha+T+t0), m.R+fx)*f)
				if got := m.expectedAlive(t0, x, T); relErr(got, want) > 1e-9 {
					t.Errorf("x=%d T=%v t=%v: %.12g, Hypergeo form %.12g", x, T, t0, got, want)
				}
			}
		}
	}
}

func TestBGNBDExpectedPurchasesProperties(t *testing.T) {
	m := cdnowPublished
	prev := 0.0
	for _, t0 := range []float64{0.1, 1, 10, 100, 1000, 1e5} {
		e := m.ExpectedPurchases(t0, 3, 20, 38)
		if !(e > prev) || !isFinite(e) {
			t.Errorf("E[Y(%v)] = %v, not increasing from %v", t0, e, prev)
		}
		prev = e
	}
	if got := m.ExpectedPurchases(0, 3, 20, 38); got != 0 {
		t.Errorf("E[Y(0)] = %v, want 0", got)
	}
}
