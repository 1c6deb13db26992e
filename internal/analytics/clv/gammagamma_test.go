package clv

import (
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"
)

func TestGammaGammaLogLikelihoodByHand(t *testing.T) {
	// At p=1, q=2, v=1 the density of the mean m of x purchases is
	//   f(m|x) = Γ(x+2)/(Γ(x)Γ(2)) · x^x m^(x-1) / (1+xm)^(x+2).
	g := GammaGamma{P: 1, Q: 2, V: 1}
	tests := []struct {
		x    int
		m    float64
		want float64
	}{
		// x=1, m=1: Γ(3)/(Γ(1)Γ(2)) · 1 · 1 / 2³ = 2/8 = 1/4.
		{1, 1, 1.0 / 4},
		// x=2, m=0.5: Γ(4)/(Γ(2)Γ(2)) · 2² · 0.5 / 2⁴ = 6·4·0.5/16 = 3/4.
		{2, 0.5, 3.0 / 4},
	}
	s := []Summary{{Frequency: 0, T: 10}} // not a repeat buyer: ignored
	var total float64
	for _, tt := range tests {
		if got, want := g.CustomerLogLikelihood(tt.x, tt.m), math.Log(tt.want); math.Abs(got-want) > 1e-14 {
			t.Errorf("CustomerLogLikelihood(%d, %v) = %.15g, want %.15g", tt.x, tt.m, got, want)
		}
		s = append(s, Summary{Frequency: tt.x, MonetaryValue: tt.m})
		total += math.Log(tt.want)
	}
	if got := g.LogLikelihood(s); math.Abs(got-total) > 1e-14 {
		t.Errorf("LogLikelihood = %.15g, want %.15g", got, total)
	}
}

// TestGammaGammaMatchesNumericIntegration checks the closed forms against
// integrating the individual-level model over ν ~ Gamma(q, v): the mean of x
// purchases is Gamma(px, νx), and a purchase is worth p/ν on average.
func TestGammaGammaMatchesNumericIntegration(t *testing.T) {
	g := GammaGamma{P: 6.25, Q: 3.74, V: 15.44}
	prior := distuv.Gamma{Alpha: g.Q, Beta: g.V}
	for _, c := range []struct {
		x int
		m float64
	}{{1, 11.77}, {3, 20}, {7, 73.74}, {30, 5}} {
		fx := float64(c.x)
		lik := func(nu float64) float64 {
			return distuv.Gamma{Alpha: g.P * fx, Beta: nu * fx}.Prob(c.m) * prior.Prob(nu)
		}
		var dens, mean float64
		for _, e := range [][2]float64{{0, 0.1}, {0.1, 1}, {1, 10}} {
			dens += quad.Fixed(lik, e[0], e[1], 2000, quad.Legendre{}, 0)
			mean += quad.Fixed(func(nu float64) float64 { return g.P / nu * lik(nu) }, e[0], e[1], 2000, quad.Legendre{}, 0)
		}
		if got, want := g.CustomerLogLikelihood(c.x, c.m), math.Log(dens); math.Abs(got-want) > 1e-9 {
			t.Errorf("x=%d m=%v: log density %.12g, numeric %.12g", c.x, c.m, got, want)
		}
		if got, want := g.ExpectedAverageValue(c.x, c.m), mean/dens; relErr(got, want) > 1e-9 {
			t.Errorf("x=%d m=%v: expected average value %.12g, numeric %.12g", c.x, c.m, got, want)
		}
	}
}

func TestGammaGammaGradient(t *testing.T) {
	s := simulate(9, BGNBD{R: 1, Alpha: 2, A: 1, B: 3}, GammaGamma{P: 3, Q: 4, V: 50}, 500, []float64{20}, 0)
	f, _ := ggObjective(t, s)
	for _, x := range [][]float64{logs(3, 4, 50), logs(1, 1, 1), logs(10, 2, 500)} {
		checkGradient(t, f, x)
	}
}

func TestFitGammaGammaCDNOW(t *testing.T) {
	s := cdnowCalibration(t)
	got, err := FitGammaGamma(s, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", fit
	// the 946 CDNOW sample customers with a repeat purchase in the 39-week
	// calibration period: p=6.25, q=3.74, γ=15.44 (dollars), the figures
	// lifetimes' and CLVTools' tests check; CLVTools
	// (tests/testthat/test_correctness_gg.R) gives LL=-4055.9177. Our money is
	// in cents here (fen), so V is 100× and the log density of the mean is
	// lower by log(100) per customer.
	if got.Customers != 946 {
		t.Errorf("fitted on %d customers, want 946", got.Customers)
	}
	for _, p := range []struct {
		name      string
		got, want float64
	}{{"p", got.P, 6.25}, {"q", got.Q, 3.74}, {"v", got.V / 100, 15.44}} {
		if math.Abs(p.got-p.want) > 0.006 {
			t.Errorf("%s = %.4f, published %.2f", p.name, p.got, p.want)
		}
	}
	if ll := got.LogLik + float64(got.Customers)*math.Log(100); math.Abs(ll-(-4055.9177)) > 0.001 {
		t.Errorf("log-likelihood in dollars %.4f, published -4055.9177", ll)
	}
	// Conditional expected average spend of the first customers of the
	// lifetimes Quickstart (p=6.25, q=3.74, v=15.45 as printed).
	for _, c := range []struct {
		x         int
		m, wanted float64
	}{{2, 22.35, 24.658619}, {1, 11.77, 18.911489}, {0, 0, 35.170981}, {7, 73.74, 71.462843}} {
		if v := got.ExpectedAverageValue(c.x, c.m*100) / 100; relErr(v, c.wanted) > 1e-3 {
			t.Errorf("E[value | x=%d, m=%v] = %.6f, lifetimes %.6f", c.x, c.m, v, c.wanted)
		}
	}
}

func TestFitGammaGammaRecoversParameters(t *testing.T) {
	truth := GammaGamma{P: 6, Q: 4, V: 1500}
	n := 20000
	if testing.Short() {
		n = 5000
	}
	s := simulate(11, BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}, truth, n, cohortAges(274, 273, 7), 0)
	got, err := FitGammaGamma(s, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, nn := ggObjective(t, s)
	se := stdErrors(t, f, logs(got.P, got.Q, got.V), nn)
	for i, p := range []struct {
		name      string
		got, want float64
	}{{"p", got.P, truth.P}, {"q", got.Q, truth.Q}, {"v", got.V, truth.V}} {
		t.Logf("%s = %.4f ± %.4f (true %.4f) on %d repeat buyers", p.name, p.got, se[i], p.want, got.Customers)
		if math.Abs(p.got-p.want) > 4*se[i] || relErr(p.got, p.want) > 0.3 {
			t.Errorf("%s = %.4f ± %.4f, true %.4f", p.name, p.got, se[i], p.want)
		}
	}
}

func TestFitGammaGammaWithoutFiniteMaximum(t *testing.T) {
	// Every repeat buyer's mean spend is exactly 100 yuan: no Gamma-Gamma
	// model fits better than one whose spend is ever more concentrated, so
	// the parameters run off. The fit fails with an explanation, and a
	// penalty gives a finite fit with about the right mean.
	var s []Summary
	for i := range 300 {
		s = append(s, Summary{Frequency: 1 + i%3, Recency: 1, T: 2, MonetaryValue: 10000})
	}
	_, err := FitGammaGamma(s, FitOptions{})
	if !errors.Is(err, ErrNotConverged) || !strings.Contains(err.Error(), "penalizer") {
		t.Errorf("error %v, want ErrNotConverged with advice on the penalizer", err)
	}
	g, err := FitGammaGamma(s, FitOptions{Penalizer: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	// The penalty shrinks p and q, which biases the estimate a little.
	if v := g.ExpectedAverageValue(2, 10000); relErr(v, 10000) > 0.05 {
		t.Errorf("penalised fit %+v: expected spend %.2f, want 10000", g, v)
	}
}

func TestFitGammaGammaErrors(t *testing.T) {
	tests := []struct {
		name string
		s    []Summary
		want string
	}{
		{"no customers", nil, "no repeat buyers with a positive spend among 0 customers"},
		{"no repeat buyers", []Summary{{Frequency: 0, T: 3}}, "no repeat buyers"},
		{"zero spend only", []Summary{{Frequency: 2, Recency: 1, T: 3}}, "no repeat buyers with a positive spend"},
		{"NaN spend", []Summary{{CustomerID: "z", Frequency: 2, Recency: 1, T: 3, MonetaryValue: math.NaN()}}, `customer "z": monetary value NaN`},
	}
	for _, tt := range tests {
		_, err := FitGammaGamma(tt.s, FitOptions{})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "clv: fit Gamma-Gamma") {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
