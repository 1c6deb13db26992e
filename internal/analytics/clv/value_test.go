package clv

import (
	"math"
	"testing"
)

func TestPredictedValue(t *testing.T) {
	bg := cdnowPublished
	gg := GammaGamma{P: 6.25, Q: 3.74, V: 1544}
	s := Summary{Frequency: 2, Recency: 30.43, T: 38.86, MonetaryValue: 2235}
	value := gg.ExpectedAverageValue(2, 2235)

	if got, want := PredictedValue(bg, gg, s, 39, 0), bg.ExpectedPurchases(39, 2, 30.43, 38.86)*value; math.Abs(got-want) > 1e-9 {
		t.Errorf("undiscounted = %v, want expected purchases × value = %v", got, want)
	}
	// Discounted: the purchases expected in each of 2.5 periods, discounted
	// by 10% per period, the last (half) period at the third discount.
	e1 := bg.ExpectedPurchases(1, 2, 30.43, 38.86)
	e2 := bg.ExpectedPurchases(2, 2, 30.43, 38.86)
	e25 := bg.ExpectedPurchases(2.5, 2, 30.43, 38.86)
	want := value * (e1/1.1 + (e2-e1)/(1.1*1.1) + (e25-e2)/(1.1*1.1*1.1))
	if got := PredictedValue(bg, gg, s, 2.5, 0.1); math.Abs(got-want) > 1e-9 {
		t.Errorf("discounted = %v, want %v", got, want)
	}
	if d, u := PredictedValue(bg, gg, s, 52, 0.01), PredictedValue(bg, gg, s, 52, 0); !(d < u && d > 0.5*u) {
		t.Errorf("discounted %v, undiscounted %v", d, u)
	}
	if got := PredictedValue(bg, gg, s, 0, 0); got != 0 {
		t.Errorf("over 0 periods = %v, want 0", got)
	}
}
