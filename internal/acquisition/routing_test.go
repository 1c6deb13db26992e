package acquisition

import (
	"testing"
	"time"
)

func TestPickStrategies(t *testing.T) {
	three := func() []candidate {
		return []candidate{
			{StaffID: 1, Weight: 5, Available: true, OnDuty: true},
			{StaffID: 2, Weight: 3, Available: true, OnDuty: true},
			{StaffID: 3, Weight: 2, Available: true, OnDuty: true},
		}
	}
	run := func(strategy string, cands []candidate, n int) []int {
		got := make([]int, len(cands))
		for range n {
			i := pick(strategy, cands)
			if i < 0 {
				t.Fatalf("%s: nobody picked", strategy)
			}
			cands[i].Scans++
			got[i]++
		}
		return got
	}
	tests := []struct {
		name     string
		strategy string
		cands    func() []candidate
		n        int
		want     []int
	}{
		{"round robin evens out", RoundRobin, three, 9, []int{3, 3, 3}},
		{"weighted in exact proportion", Weighted, three, 100, []int{50, 30, 20}},
		{"weighted with the first capped", Weighted, func() []candidate {
			c := three()
			c[0].Cap = 10
			return c
		}, 110, []int{10, 60, 40}},
		{"capped and off duty go to the backup", RoundRobin, func() []candidate {
			return []candidate{
				{StaffID: 1, Available: true, OnDuty: false},
				{StaffID: 2, Available: true, OnDuty: true, Cap: 2},
				{StaffID: 3, Available: false, OnDuty: true},
				{StaffID: 4, Available: true, OnDuty: false, Backup: true, Cap: 1}, // backups ignore hours and caps
			}
		}, 5, []int{0, 2, 0, 3}},
		{"fewest adds today first", FewestAddsToday, func() []candidate {
			return []candidate{
				{StaffID: 1, Available: true, OnDuty: true, Adds: 4},
				{StaffID: 2, Available: true, OnDuty: true, Adds: 1},
				{StaffID: 3, Available: true, OnDuty: true, Adds: 1, Scans: 5},
			}
		}, 3, []int{0, 3, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := run(tc.strategy, tc.cands(), tc.n)
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("distribution %v, want %v", got, tc.want)
				}
			}
		})
	}
	if i := pick(RoundRobin, []candidate{{StaffID: 1, Backup: true, Available: false}, {StaffID: 2, Cap: 1, Scans: 1, Available: true, OnDuty: true}}); i != -1 {
		t.Errorf("everyone capped or unavailable: picked %d, want -1", i)
	}
}

func TestOnDuty(t *testing.T) {
	// 2026-11-23 is a Monday; 09:30 in Shanghai is 01:30 UTC.
	mon0930 := time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC)
	shifts := []Shift{{Weekdays: []int{1, 2, 3, 4, 5}, Start: "09:00", End: "12:00"}, {Weekdays: []int{7}, Start: "00:00", End: "24:00"}}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{mon0930, true},
		{mon0930.Add(3 * time.Hour), false},                     // 12:30
		{mon0930.Add(-31 * time.Minute), false},                 // 08:59
		{mon0930.Add(-24 * time.Hour), true},                    // Sunday, all day
		{mon0930.Add(-2 * 24 * time.Hour), false},               // Saturday
		{time.Date(2026, 11, 22, 15, 59, 0, 0, time.UTC), true}, // Sunday 23:59 Shanghai
	}
	for _, tc := range tests {
		if got := OnDuty(shifts, tc.at); got != tc.want {
			t.Errorf("OnDuty(%v) = %v, want %v", tc.at.In(Zone), got, tc.want)
		}
	}
	if !OnDuty(nil, mon0930) {
		t.Error("no schedule must mean always on duty")
	}
}

func TestCheckShift(t *testing.T) {
	tests := []struct {
		sh   Shift
		want string
	}{
		{Shift{Weekdays: []int{1}, Start: "09:00", End: "18:00"}, ""},
		{Shift{Weekdays: []int{7}, Start: "00:00", End: "24:00"}, ""},
		{Shift{Weekdays: nil, Start: "09:00", End: "18:00"}, "weekdays"},
		{Shift{Weekdays: []int{0}, Start: "09:00", End: "18:00"}, "weekdays"},
		{Shift{Weekdays: []int{1, 1}, Start: "09:00", End: "18:00"}, "weekdays"},
		{Shift{Weekdays: []int{1}, Start: "18:00", End: "09:00"}, "hours"},
		{Shift{Weekdays: []int{1}, Start: "9:00", End: "18:00"}, "hours"},
		{Shift{Weekdays: []int{1}, Start: "09:00", End: "24:30"}, "hours"},
	}
	for _, tc := range tests {
		if got := checkShift(tc.sh); got != tc.want {
			t.Errorf("checkShift(%+v) = %q, want %q", tc.sh, got, tc.want)
		}
	}
}

func TestStateFitsWeCom(t *testing.T) {
	s := stateFor("lc"+newSlug(), 1<<62)
	if len(s) > 30 {
		t.Errorf("state %q is %d characters, WeCom allows 30", s, len(s))
	}
}
