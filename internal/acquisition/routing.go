package acquisition

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Routing strategies of a live code.
const (
	RoundRobin      = "round_robin"       // in turn: whoever took the fewest scans today
	Weighted        = "weighted"          // in proportion to weights (scans today / weight lowest first)
	FewestAddsToday = "fewest_adds_today" // whoever gained the fewest customers through the code today
)

// Strategies lists the routing strategies.
var Strategies = []string{RoundRobin, Weighted, FewestAddsToday}

// Shift is a working-hours window: on the given weekdays (1 = Monday … 7 = Sunday), from Start to
// End ("HH:MM", Asia/Shanghai, End after Start; "24:00" is the end of the day).
type Shift struct {
	Weekdays []int  `json:"weekdays"`
	Start    string `json:"start"`
	End      string `json:"end"`
}

// minutes parses "HH:MM" (00:00–24:00) into minutes after midnight.
func minutes(s string) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return hh*60 + mm, true
}

// checkShift says what is wrong with a shift, or "".
func checkShift(sh Shift) string {
	if len(sh.Weekdays) == 0 {
		return "weekdays"
	}
	seen := map[int]bool{}
	for _, d := range sh.Weekdays {
		if d < 1 || d > 7 || seen[d] {
			return "weekdays"
		}
		seen[d] = true
	}
	a, ok1 := minutes(sh.Start)
	b, ok2 := minutes(sh.End)
	if !ok1 || !ok2 || b <= a {
		return "hours"
	}
	return ""
}

// OnDuty reports whether t falls in one of the shifts; no shifts means always on duty.
func OnDuty(shifts []Shift, t time.Time) bool {
	if len(shifts) == 0 {
		return true
	}
	lt := t.In(Zone)
	wd := int(lt.Weekday())
	if wd == 0 {
		wd = 7
	}
	now := lt.Hour()*60 + lt.Minute()
	for _, sh := range shifts {
		a, _ := minutes(sh.Start)
		b, _ := minutes(sh.End)
		for _, d := range sh.Weekdays {
			if d == wd && now >= a && now < b {
				return true
			}
		}
	}
	return false
}

// candidate is one staff member of a code as the router sees them at a scan.
type candidate struct {
	StaffID   int64
	Weight    int
	Cap       int // scans a day; 0 = no cap
	Backup    bool
	Available bool // active staff, with a WeCom userid WeCom has not refused
	OnDuty    bool
	Scans     int // routed to them through the code today
	Adds      int // added through the code today
}

// pick chooses the staff member for one scan and returns their index, or -1 when nobody can
// take it. Primary staff who are available, on duty and under their cap come first; when there
// is none, backup staff who are available take the scan whatever their hours and caps (they are
// the last resort). Ties go to the earlier position, so results are deterministic.
func pick(strategy string, cands []candidate) int {
	if i := pickAmong(strategy, cands, func(c candidate) bool {
		return !c.Backup && c.Available && c.OnDuty && (c.Cap == 0 || c.Scans < c.Cap)
	}); i >= 0 {
		return i
	}
	return pickAmong(strategy, cands, func(c candidate) bool { return c.Backup && c.Available })
}

func pickAmong(strategy string, cands []candidate, ok func(candidate) bool) int {
	best := -1
	for i, c := range cands {
		if !ok(c) {
			continue
		}
		if best < 0 || better(strategy, c, cands[best]) {
			best = i
		}
	}
	return best
}

// better reports whether a should take the scan rather than b.
func better(strategy string, a, b candidate) bool {
	switch strategy {
	case Weighted:
		// Stride scheduling: the lowest (scans+1)/weight goes next, which hands out scans in
		// exact proportion to the weights of whoever is eligible.
		wa, wb := int64(max(a.Weight, 1)), int64(max(b.Weight, 1))
		return int64(a.Scans+1)*wb < int64(b.Scans+1)*wa
	case FewestAddsToday:
		if a.Adds != b.Adds {
			return a.Adds < b.Adds
		}
		return a.Scans < b.Scans
	default: // round robin
		return a.Scans < b.Scans
	}
}

// stateFor is the WeCom state of a member's contact way for a code: the code's state plus the
// staff id in base 36, within WeCom's 30 characters.
func stateFor(codeState string, staffID int64) string {
	return fmt.Sprintf("%s.%s", codeState, strconv.FormatInt(staffID, 36))
}
