package demo

import (
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

func plan(seed uint64, burst, n int) []Action {
	p := NewPlanner(seed, burst)
	out := make([]Action, n)
	for i := range out {
		out[i] = p.Next()
	}
	return out
}

// TestPlannerDeterministic: the same seed plans the same crowd, action for action; another seed
// plans another one.
func TestPlannerDeterministic(t *testing.T) {
	const n = 5000
	a, b := plan(1, DefaultBurst, n), plan(1, DefaultBurst, n)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("seed 1 planned two different crowds (-first +second):\n%s", diff)
	}
	c := plan(2, DefaultBurst, n)
	if cmp.Equal(a[:50], c[:50]) {
		t.Errorf("seeds 1 and 2 planned the same first 50 actions")
	}
}

// TestPlannerCrowd checks the shape of a long plan: the burst comes first, every kind of action
// happens in sensible proportions, and WeCom's limits are kept.
func TestPlannerCrowd(t *testing.T) {
	const n = 20000
	p := NewPlanner(7, DefaultBurst)
	w := newWorld()
	kinds := map[Kind]int{}
	states := map[string]int{}
	burstEnd, names, unionIDs := -1, map[string]bool{}, 0
	for i := range n {
		a := p.Next()
		if burstEnd < 0 {
			if a.Kind != KindAccept && a.NewCustomer == nil {
				t.Fatalf("action %d (%v) in the burst is not a new customer or an accept", i, a)
			}
			if p.NewCustomers() == DefaultBurst {
				burstEnd = i
			}
		}
		kinds[a.Kind]++
		if a.Kind == KindScan {
			states[a.State]++
			if utf8.RuneCountInString(a.State) > wecom.MaxStateLen {
				t.Fatalf("state %q is longer than WeCom allows", a.State)
			}
			if ch := w.channel(a.State); ch == nil || !slices.Contains(ch.staff, a.UserID) || ch.skipVerify == a.Pending {
				t.Fatalf("action %d: scan %+v does not match its channel %+v", i, a, ch)
			}
		}
		if nc := a.NewCustomer; nc != nil {
			if nc.Name == "" || nc.Gender < 0 || nc.Gender > 2 || len(nc.ExternalUserID) != 32 {
				t.Fatalf("customer %+v", nc)
			}
			names[nc.Name] = true
			if nc.UnionID != "" {
				unionIDs++
			}
		}
		for g, grp := range p.groups {
			if grp.members > wecom.MaxGroupMembers {
				t.Fatalf("action %d: group %d has %d members", i, g, grp.members)
			}
		}
	}
	for _, k := range []Kind{KindScan, KindAccept, KindCreateGroup, KindJoinGroup, KindLeaveGroup, KindEdit,
		KindCustomerDeletesStaff, KindStaffDeletesCustomer, KindCreateTag} {
		if kinds[k] == 0 {
			t.Errorf("no %s in %d actions: %v", k, n, kinds)
		}
	}
	// The burst: new customers, with the accepts of their friend requests in between.
	if burstEnd < 0 || burstEnd > DefaultBurst*3/2 {
		t.Errorf("the burst of %d new customers took %d actions", DefaultBurst, burstEnd+1)
	}
	if states["store-nanjinglu"] < states["package-card-618"] || states["package-card-618"] < states["kol-xiaohongshu"] {
		t.Errorf("channel weights not respected: %v", states)
	}
	if len(names) < 500 {
		t.Errorf("only %d distinct names", len(names))
	}
	if c := p.Customers(); unionIDs < c/3 || unionIDs > c*3/4 {
		t.Errorf("%d of %d customers have a unionid", unionIDs, c)
	}
	if lost := kinds[KindCustomerDeletesStaff]; lost < n/100 || lost > n/20 {
		t.Errorf("%d losses in %d actions", lost, n)
	}
	t.Logf("%d actions: %v; customers %d; channels %v", n, kinds, p.Customers(), states)
}

// TestRunSeed: fresh data keeps the seed (reproducible); a restart on existing data gets a new
// crowd each time.
func TestRunSeed(t *testing.T) {
	now := time.Now()
	if got := RunSeed(1, true, now); got != 1 {
		t.Errorf("fresh data: run seed %d, want 1", got)
	}
	a, b := RunSeed(1, false, now), RunSeed(1, false, now.Add(time.Second))
	if a == 1 || a == b {
		t.Errorf("restarts: run seeds %d and %d", a, b)
	}
}
