package clv

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSummarize(t *testing.T) {
	txs := readFile(t, "testdata/small_tx.csv", CSVOptions{})
	// Worked out by hand in testdata/README.md.
	tests := []struct {
		unit Unit
		want []Summary
	}{
		{Week, []Summary{
			{CustomerID: "c1", Frequency: 2, Recency: 3, T: 30.0 / 7, MonetaryValue: 2500.5},
			{CustomerID: "c2", Frequency: 0, Recency: 0, T: 16.0 / 7},
			{CustomerID: "c3", Frequency: 1, Recency: 3, T: 3, MonetaryValue: 200},
		}},
		{Day, []Summary{
			{CustomerID: "c1", Frequency: 2, Recency: 21, T: 30, MonetaryValue: 2500.5},
			{CustomerID: "c2", Frequency: 0, Recency: 0, T: 16},
			{CustomerID: "c3", Frequency: 1, Recency: 21, T: 21, MonetaryValue: 200},
		}},
	}
	for _, tt := range tests {
		got := Summarize(txs, day("2024-01-31"), tt.unit)
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
			t.Errorf("Summarize(%v) (-want +got):\n%s", tt.unit, diff)
		}
	}

	holdout := SummarizeHoldout(txs, day("2024-01-31"), day("2024-02-29"))
	wantHoldout := map[string]Holdout{"c1": {Purchases: 1, Value: 10000}, "c4": {Purchases: 1, Value: 700}}
	if diff := cmp.Diff(wantHoldout, holdout); diff != "" {
		t.Errorf("SummarizeHoldout (-want +got):\n%s", diff)
	}
	if got := LastDate(txs); !got.Equal(day("2024-03-05")) {
		t.Errorf("LastDate = %v, want 2024-03-05", got)
	}
}

func TestSummarizeIgnoresTimeOfDayAndZone(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	txs := []Transaction{
		{CustomerID: "a", Date: time.Date(2024, 3, 1, 23, 59, 0, 0, shanghai), Amount: 100},
		{CustomerID: "a", Date: time.Date(2024, 3, 1, 0, 1, 0, 0, shanghai), Amount: 100},
		{CustomerID: "a", Date: time.Date(2024, 3, 8, 9, 0, 0, 0, shanghai), Amount: 300},
	}
	got := Summarize(txs, time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC), Week)
	want := []Summary{{CustomerID: "a", Frequency: 1, Recency: 1, T: 2, MonetaryValue: 300}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
