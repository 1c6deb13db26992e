// Package clv estimates customer lifetime value from purchase histories.
//
// It fits two models from the "buy till you die" literature by maximum
// likelihood:
//
//   - BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy
//     Way") for when and how often a customer buys, and whether the customer
//     has silently churned;
//   - Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie
//     2013, "The Gamma-Gamma Model of Monetary Value") for how much a
//     customer spends per purchase.
//
// From the fitted models it gives, per customer, the probability of still
// being active (PAlive), the expected number of purchases in the next N
// periods (ExpectedPurchases), the expected value of a purchase
// (ExpectedAverageValue) and the predicted value of the next N periods
// (PredictedValue).
//
// The flow is ReadTransactions (or any []Transaction the caller builds) →
// Summarize → FitBGNBD and FitGammaGamma → per-customer predictions.
//
// Conventions follow the literature so that results compare with published
// figures: several purchases by one customer on one calendar day count as one
// purchase with the amounts added; frequency counts repeat purchases (the
// first purchase is not counted); time is measured in days or in weeks of
// seven days. Money is integer fen, as everywhere in Siyu: Transaction.Amount
// is fen, and the Gamma-Gamma scale V, monetary values and predicted values
// are fen too.
//
// The package is computation only. It must not open databases, make HTTP
// calls or read files by name: callers (the `siyu analytics clv` command, a
// service) bring the data in and decide where results go.
package clv
