package clv

import (
	"math"
	"testing"
)

// TestParallelLogLikelihood checks that splitting the likelihood over
// goroutines gives the serial value and gradient (and, under -race, that the
// workers share nothing they write).
func TestParallelLogLikelihood(t *testing.T) {
	s := simulate(21, BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}, GammaGamma{P: 6, Q: 4, V: 1500}, 5000, cohortAges(91, 182, 7), 7)
	bg, err := newBGData(s)
	if err != nil {
		t.Fatal(err)
	}
	gg, err := newGGData(s)
	if err != nil {
		t.Fatal(err)
	}
	bgTheta := [4]float64{0.3, 5, 0.9, 2}
	ggTheta := [3]float64{5, 3, 1200}
	var serialBG, serialGG [4]float64
	bg.workers, gg.workers = 1, 1
	wantBG := bg.logLik(bgTheta, serialBG[:])
	wantGG := gg.logLik(ggTheta, serialGG[:3])
	for _, w := range []int{2, 3, 7} {
		var gotBG, gotGG [4]float64
		bg.workers, gg.workers = w, w
		if ll := bg.logLik(bgTheta, gotBG[:]); !near(ll, wantBG) || !allClose(gotBG[:], serialBG[:]) {
			t.Errorf("BG/NBD with %d workers: %v %v, serial %v %v", w, ll, gotBG, wantBG, serialBG)
		}
		if ll := gg.logLik(ggTheta, gotGG[:3]); !near(ll, wantGG) || !allClose(gotGG[:], serialGG[:]) {
			t.Errorf("Gamma-Gamma with %d workers: %v %v, serial %v %v", w, ll, gotGG, wantGG, serialGG)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-11*math.Max(1, math.Abs(b)) }

func allClose(a, b []float64) bool {
	for i := range a {
		if !near(a[i], b[i]) {
			return false
		}
	}
	return true
}
