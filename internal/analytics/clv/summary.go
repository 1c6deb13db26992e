package clv

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Unit is the length of one time period in summaries and predictions.
type Unit int

const (
	// Week is seven days, the unit of the BG/NBD literature (CDNOW).
	Week Unit = iota
	// Day is one calendar day.
	Day
)

// ParseUnit parses "week" or "day".
func ParseUnit(s string) (Unit, error) {
	switch s {
	case "week":
		return Week, nil
	case "day":
		return Day, nil
	}
	return 0, fmt.Errorf("unknown time unit %q: want day or week", s)
}

func (u Unit) String() string {
	if u == Day {
		return "day"
	}
	return "week"
}

// Days is the number of days in one period.
func (u Unit) Days() float64 {
	if u == Day {
		return 1
	}
	return 7
}

// Summary is what the models know of one customer at the end of the
// calibration period, as lifetimes' summary_data_from_transaction_data
// computes it.
type Summary struct {
	CustomerID string
	// Frequency (x) is the number of repeat purchases: distinct purchase
	// days after the first one.
	Frequency int
	// Recency (t_x) is the time from the first to the last purchase, in
	// periods; 0 when Frequency is 0.
	Recency float64
	// T is the time from the first purchase to the end of calibration, in
	// periods.
	T float64
	// MonetaryValue is the mean value of the repeat purchases in fen (a
	// purchase is one day's spend); 0 when Frequency is 0. The first
	// purchase is left out, as the Gamma-Gamma model requires.
	MonetaryValue float64
}

// dayNumber is the calendar date of t (in t's own location) as days since
// 1970-01-01, so that daylight-saving shifts and times of day do not matter.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// LastDate returns the latest purchase date, the usual end of calibration
// when all of the history is used to fit; the zero time if txs is empty.
func LastDate(txs []Transaction) time.Time {
	var last time.Time
	for i, tx := range txs {
		if i == 0 || tx.Date.After(last) {
			last = tx.Date
		}
	}
	return last
}

// minDay is before any date Summarize can meet.
const minDay = -1 << 40

type dayTx struct {
	cust   int32
	day    int32
	amount int64
}

// groupDays returns, for the transactions with from < day <= to, each
// customer's purchase days in order with the same-day amounts added, in the
// order customers first appear in txs: customer c's days are
// days[start[c]:start[c+1]].
func groupDays(txs []Transaction, from, to int64) (custIDs []string, start []int, days []dayTx) {
	index := make(map[string]int32)
	recs := make([]dayTx, 0, len(txs))
	var counts []int
	for _, tx := range txs {
		d := dayNumber(tx.Date)
		if d <= from || d > to {
			continue
		}
		c, ok := index[tx.CustomerID]
		if !ok {
			c = int32(len(custIDs))
			index[tx.CustomerID] = c
			custIDs = append(custIDs, tx.CustomerID)
			counts = append(counts, 0)
		}
		counts[c]++
		recs = append(recs, dayTx{cust: c, day: int32(d), amount: tx.Amount})
	}
	// Bucket by customer (counting sort), then order each customer's days.
	start = make([]int, len(custIDs)+1)
	for c, n := range counts {
		start[c+1] = start[c] + n
	}
	next := slices.Clone(start[:len(custIDs)])
	sorted := make([]dayTx, len(recs))
	for _, r := range recs {
		sorted[next[r.cust]] = r
		next[r.cust]++
	}
	// Merge same-day purchases in place, compacting each customer's bucket.
	out := sorted[:0]
	newStart := make([]int, len(custIDs)+1)
	for c := range custIDs {
		b := sorted[start[c]:start[c+1]]
		slices.SortFunc(b, func(x, y dayTx) int { return cmp.Compare(x.day, y.day) })
		newStart[c] = len(out)
		for _, r := range b {
			if n := len(out); n > newStart[c] && out[n-1].day == r.day {
				out[n-1].amount += r.amount
				continue
			}
			out = append(out, r)
		}
	}
	newStart[len(custIDs)] = len(out)
	return custIDs, newStart, out
}

// Summarize turns transactions into one Summary per customer who bought on or
// before calibrationEnd, in the order customers first appear in txs.
// Purchases after calibrationEnd are ignored (see SummarizeHoldout). Several
// purchases on one day count as one purchase worth their sum.
func Summarize(txs []Transaction, calibrationEnd time.Time, unit Unit) []Summary {
	end := dayNumber(calibrationEnd)
	ids, start, days := groupDays(txs, minDay, end)
	per := unit.Days()
	out := make([]Summary, len(ids))
	for c, id := range ids {
		b := days[start[c]:start[c+1]]
		first, last := b[0], b[len(b)-1]
		s := Summary{
			CustomerID: id,
			Frequency:  len(b) - 1,
			Recency:    float64(last.day-first.day) / per,
			T:          float64(end-int64(first.day)) / per,
		}
		if s.Frequency > 0 {
			var sum int64
			for _, r := range b[1:] {
				sum += r.amount
			}
			s.MonetaryValue = float64(sum) / float64(s.Frequency)
		}
		out[c] = s
	}
	return out
}

// Holdout is what a customer did after the calibration period.
type Holdout struct {
	// Purchases counts distinct purchase days.
	Purchases int
	// Value is the total spend in fen.
	Value int64
}

// SummarizeHoldout counts each customer's purchases (distinct days) and spend
// after calibrationEnd up to and including holdoutEnd, to compare with the
// models' predictions over the same span. Customers with no purchase in the
// holdout are absent from the map.
func SummarizeHoldout(txs []Transaction, calibrationEnd, holdoutEnd time.Time) map[string]Holdout {
	ids, start, days := groupDays(txs, dayNumber(calibrationEnd), dayNumber(holdoutEnd))
	out := make(map[string]Holdout, len(ids))
	for c, id := range ids {
		b := days[start[c]:start[c+1]]
		h := Holdout{Purchases: len(b)}
		for _, r := range b {
			h.Value += r.amount
		}
		out[id] = h
	}
	return out
}
