package clv

import "math"

// PredictedValue is a customer's expected spend in fen over the next periods
// periods: expected purchases (BG/NBD) times the expected value of a purchase
// (Gamma-Gamma), assuming, as the Gamma-Gamma model does, that spend per
// purchase is independent of how often the customer buys.
//
// With discountRate > 0 the purchases expected in period k (k = 1, 2, …,
// the last one possibly partial) are discounted by (1+discountRate)^k, as in
// lifetimes' customer_lifetime_value; discountRate is per period (e.g.
// 0.0019 per week ≈ 10% a year).
func PredictedValue(bg BGNBD, gg GammaGamma, s Summary, periods, discountRate float64) float64 {
	if periods <= 0 {
		return 0
	}
	value := gg.ExpectedAverageValue(s.Frequency, s.MonetaryValue)
	if discountRate == 0 {
		return bg.ExpectedPurchases(periods, s.Frequency, s.Recency, s.T) * value
	}
	var total, prev float64
	for k := 1; float64(k-1) < periods; k++ {
		e := bg.ExpectedPurchases(min(float64(k), periods), s.Frequency, s.Recency, s.T)
		total += (e - prev) / math.Pow(1+discountRate, float64(k))
		prev = e
	}
	return total * value
}
