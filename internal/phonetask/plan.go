package phonetask

import (
	"time"
)

// Member is a staff member taking a share of a list, by weight (1-100; an even split when all
// weights are equal).
type Member struct {
	StaffID int64 `json:"staff_id"`
	Weight  int   `json:"weight,omitempty" doc:"1-100, default 1"`
}

// Slot is where one number goes: a staff member and the day it is theirs to do.
type Slot struct {
	StaffID int64
	Day     string
}

// Load tells how many tasks a staff member already has on a day (YYYY-MM-DD).
type Load func(staffID int64, day string) int

// shares splits n among the members by weight with the largest-remainder method, so the shares
// add up to n and each is within one of its exact weighted part.
func shares(n int, members []Member) []int {
	total := 0
	for _, m := range members {
		total += m.Weight
	}
	out := make([]int, len(members))
	rem := make([]int, len(members))
	given := 0
	for i, m := range members {
		out[i] = n * m.Weight / total
		rem[i] = n * m.Weight % total
		given += out[i]
	}
	for given < n {
		best := 0
		for i := range members {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
		given++
	}
	return out
}

// Plan assigns n numbers to members: each member's weighted share is laid out over the days from
// start on, at most dailyCap tasks a day counting the tasks the member already has (load). Rows
// are dealt out in a smooth weighted rotation, so the first rows of a list do not all go to one
// member. The result has one slot per row, in row order.
func Plan(n int, members []Member, dailyCap int, start string, load Load) []Slot {
	if n == 0 || len(members) == 0 || dailyCap <= 0 {
		return nil
	}
	share := shares(n, members)
	// Days of each member's share, in order.
	days := make([][]string, len(members))
	for i, m := range members {
		day := start
		left := share[i]
		for left > 0 {
			free := dailyCap - load(m.StaffID, day)
			for j := 0; j < free && left > 0; j++ {
				days[i] = append(days[i], day)
				left--
			}
			day = nextDay(day)
		}
	}
	// Smooth weighted round-robin over members that still have slots.
	out := make([]Slot, 0, n)
	cur := make([]int, len(members))
	used := make([]int, len(members))
	for len(out) < n {
		total, best := 0, -1
		for i, m := range members {
			if used[i] >= share[i] {
				continue
			}
			cur[i] += m.Weight
			total += m.Weight
			if best < 0 || cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		out = append(out, Slot{StaffID: members[best].StaffID, Day: days[best][used[best]]})
		used[best]++
	}
	return out
}

// nextDay is the calendar day after day (YYYY-MM-DD).
func nextDay(day string) string { return addDays(day, 1) }

func addDays(day string, n int) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic("phonetask: bad day " + day)
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}
