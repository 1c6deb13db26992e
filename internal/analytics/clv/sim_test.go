package clv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// simulate draws n customers from a BG/NBD model and, for repeat buyers, a
// mean spend from a Gamma-Gamma model, with the seed fixed. Customer i is
// observed for ages[i%len(ages)] periods after the first purchase. If
// daysPerPeriod > 0, purchase times are floored to whole days and same-day
// purchases merged, as Summarize does with real dates; otherwise times are
// continuous.
func simulate(seed uint64, bg BGNBD, gg GammaGamma, n int, ages []float64, daysPerPeriod float64) []Summary {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	lambda := distuv.Gamma{Alpha: bg.R, Beta: bg.Alpha, Src: rng}
	drop := distuv.Beta{Alpha: bg.A, Beta: bg.B, Src: rng}
	nu := distuv.Gamma{Alpha: gg.Q, Beta: gg.V, Src: rng}
	out := make([]Summary, n)
	for i := range out {
		T := ages[i%len(ages)]
		l, p := lambda.Rand(), drop.Rand()
		var x int
		var t, tx, lastDay float64
		for {
			t += rng.ExpFloat64() / l
			if t > T {
				break
			}
			if daysPerPeriod > 0 {
				day := math.Floor(t * daysPerPeriod)
				if day > lastDay {
					x++
					tx = day / daysPerPeriod
					lastDay = day
				}
			} else {
				x++
				tx = t
			}
			if rng.Float64() < p {
				break
			}
		}
		s := Summary{CustomerID: fmt.Sprint(i), Frequency: x, Recency: tx, T: T}
		if x > 0 {
			// The mean of x Gamma(P, ν) purchase values is Gamma(P·x, ν·x).
			v := nu.Rand()
			s.MonetaryValue = distuv.Gamma{Alpha: gg.P * float64(x), Beta: v * float64(x), Src: rng}.Rand()
		}
		out[i] = s
	}
	return out
}

// cohortAges returns the ages of customers who first bought on each day of
// a cohort window of the given length ending end days before the
// calibration end, in periods.
func cohortAges(firstDays, end int, daysPerPeriod float64) []float64 {
	ages := make([]float64, firstDays)
	for d := range ages {
		ages[d] = float64(end+d) / daysPerPeriod
	}
	return ages
}

// BenchmarkFit1M fits both models to 1,000,000 simulated customers (built
// outside the timer) with CDNOW-like parameters. "days" has recency and T in
// whole days, as Summarize produces from dates, so identical customers
// compress; "continuous" has continuous times, the worst case where no two
// customers are alike.
func BenchmarkFit1M(b *testing.B) {
	bg := BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	gg := GammaGamma{P: 6, Q: 4, V: 1500}
	const n = 1_000_000
	for _, tc := range []struct {
		name string
		days float64
	}{{"days", 7}, {"continuous", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			// First purchases spread over a quarter; calibration ends 39 weeks
			// after the cohort's start.
			s := simulate(1, bg, gg, n, cohortAges(91, 273-91, 7), tc.days)
			var m BGNBD
			var g GammaGamma
			for b.Loop() {
				var err error
				if m, err = FitBGNBD(s, FitOptions{}); err != nil {
					b.Fatal(err)
				}
				if g, err = FitGammaGamma(s, FitOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("BG/NBD r=%.4f alpha=%.4f a=%.4f b=%.4f; Gamma-Gamma p=%.4f q=%.4f v=%.2f (%d repeat buyers)",
				m.R, m.Alpha, m.A, m.B, g.P, g.Q, g.V, g.Customers)
		})
	}
}
