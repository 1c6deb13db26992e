package demo

import (
	"fmt"
	"slices"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// The crowd in customer groups: joining by a store's group code or a guide's invitation, guides
// opening another group when a store's are full (200 members), leaving.

// joinGroup: a customer joins a group of a store they know a guide of: by the group code at
// the counter (the first group of the code with room) or invited by the guide.
func (p *Planner) joinGroup() (Action, bool) {
	c, ok := p.pickActive()
	if !ok || len(c.groups) >= 2 {
		return Action{}, false
	}
	act := c.active()
	staff := act[p.r.IntN(len(act))].staff
	st := p.w.storeOf[staff]
	a := Action{Kind: KindJoinGroup, ExternalUserID: c.id, UserID: staff}
	if jw := p.joinWayOf(st); jw != nil && p.r.IntN(100) < 60 {
		for _, g := range jw.groups {
			if p.groups[g].members < wecom.MaxGroupMembers {
				if slices.Contains(c.groups, g) {
					break // the code would show a group they are in; the guide invites instead
				}
				a.State, a.UserID, a.Group = jw.state, "", g
				p.join(c, g)
				return a, true
			}
		}
	}
	// Invited into the store's newest group with room; when all are full the guide opens one.
	g := -1
	for i := len(p.groups) - 1; i >= 0; i-- {
		if p.groups[i].store == st && p.groups[i].members < wecom.MaxGroupMembers {
			g = i
			break
		}
	}
	if g >= 0 && slices.Contains(c.groups, g) {
		return Action{}, false
	}
	if g < 0 {
		create := p.openGroup(st)
		g = create.Group
		a.Group = g
		p.join(c, g)
		p.queue = append(p.queue, a)
		return create, true
	}
	a.Group = g
	p.join(c, g)
	return a, true
}

func (p *Planner) joinWayOf(st int) *pjoinWay {
	for _, j := range p.joinWays {
		if j.store == st {
			return j
		}
	}
	return nil
}

// openGroup plans a store's next group, owned by its guides in turn, with the colleagues in it;
// the store's group code lists it (at most 5 groups, the oldest full ones drop off).
func (p *Planner) openGroup(st int) Action {
	s := p.w.stores[st]
	n := 0
	for _, g := range p.groups {
		if g.store == st {
			n++
		}
	}
	owner := s.staff[n%len(s.staff)]
	var colleagues []string
	for _, id := range s.staff {
		if id != owner {
			colleagues = append(colleagues, id)
		}
	}
	name := groupName(s, n+1)
	if s.key == "hq" {
		name = fmt.Sprintf("思语生活新品体验官%d群", n+1)
	}
	p.groups = append(p.groups, &pgroup{store: st, members: 1 + len(colleagues)})
	a := Action{Kind: KindCreateGroup, UserID: owner, Group: len(p.groups) - 1, GroupName: name, Members: colleagues}
	if jw := p.joinWayOf(st); jw != nil {
		jw.groups = append(jw.groups, a.Group)
		if len(jw.groups) > wecom.MaxJoinWayChats {
			jw.groups = jw.groups[len(jw.groups)-wecom.MaxJoinWayChats:]
		}
		a.JoinWayState, a.JoinWayGroups = jw.state, slices.Clone(jw.groups)
	}
	return a
}

func (p *Planner) join(c *pcust, g int) {
	c.groups = append(c.groups, g)
	p.groups[g].members++
	p.groups[g].customers = append(p.groups[g].customers, c.id)
}

func (p *Planner) leave(c *pcust, g int) {
	c.groups = slices.DeleteFunc(c.groups, func(x int) bool { return x == g })
	grp := p.groups[g]
	grp.members--
	grp.customers = slices.DeleteFunc(grp.customers, func(x string) bool { return x == c.id })
}

// leaveGroup: a customer leaves a group (one in ten is removed by the owner).
func (p *Planner) leaveGroup() (Action, bool) {
	for range 5 {
		g := p.r.IntN(len(p.groups))
		grp := p.groups[g]
		if len(grp.customers) == 0 {
			continue
		}
		c := p.customer(grp.customers[p.r.IntN(len(grp.customers))])
		removed := p.r.IntN(10) == 0
		p.leave(c, g)
		return Action{Kind: KindLeaveGroup, ExternalUserID: c.id, Group: g, Removed: removed}, true
	}
	return Action{}, false
}
