package demo

import "fmt"

// The demo corp in WeCom: the same departments and staff as the seeded organisation, the brand's
// acquisition channels (contact ways), customer groups and corp tags. The simulator setup
// creates it and the planner reasons about it, so both read it from here.

// store is a store (or, for the HQ operations team, the pseudo-store "hq") as the traffic sees it.
type store struct {
	key, short string
	staff      []string // WeCom userids, the first is the store manager
}

// world is the static part of the demo corp.
type world struct {
	units    []flatUnit
	stores   []store
	storeOf  map[string]int // userid → index in stores
	channels []channel
	groups   []groupSeed // the groups created at setup; traffic adds more
	joinWays []joinWaySeed
	tags     []tagSeed // corp tags that exist before Siyu is connected
	campaign []tagSeed // tags the admin adds while the demo runs, in this order
}

// channel is a contact way (渠道活码) with the state Siyu attributes customers by.
type channel struct {
	state      string // ≤ 30 characters
	remark     string // ≤ 30 characters
	staff      []string
	skipVerify bool
	// weight is the channel's share of new customers.
	weight int
}

type groupSeed struct {
	store int
	owner string
	name  string
	staff []string // colleagues invited at creation
}

type joinWaySeed struct {
	store  int
	state  string
	groups []int // indices in world.groups
}

type tagSeed struct{ group, name string }

// deptID is the simulator department id of flat unit i (1 is WeCom's root department).
func deptID(i int) int64 { return int64(i) + 2 }

func newWorld() *world {
	w := &world{units: flatten(), storeOf: map[string]int{}}
	for _, u := range w.units {
		key, short := u.key, u.short
		if len(u.staff) == 0 {
			continue
		}
		if key == "" {
			key, short = "hq", "总部"
		}
		s := store{key: key, short: short}
		for _, st := range u.staff {
			s.staff = append(s.staff, st.userID)
			w.storeOf[st.userID] = len(w.stores)
		}
		w.stores = append(w.stores, s)
	}
	// Store codes bring most customers, then parcel inserts, the Douyin live room, SMS coupons
	// and a Xiaohongshu creator. Verified ways make the guide accept the friend request.
	w.channels = []channel{
		{state: "store-nanjinglu", remark: "上海南京路店门店码", staff: []string{"guide01", "guide02", "guide03"}, skipVerify: true, weight: 20},
		{state: "store-hubin", remark: "杭州湖滨店门店码", staff: []string{"guide04", "guide05"}, skipVerify: true, weight: 12},
		{state: "store-tianhe", remark: "广州天河店门店码", staff: []string{"guide06", "guide07"}, weight: 12},
		{state: "store-wanxiangcheng", remark: "深圳万象城店门店码", staff: []string{"guide08"}, skipVerify: true, weight: 9},
		{state: "package-card-618", remark: "618包裹卡", staff: []string{"guide09", "guide02", "guide05"}, skipVerify: true, weight: 18},
		{state: "douyin-live", remark: "抖音直播间", staff: []string{"guide09"}, weight: 12},
		{state: "sms-coupon", remark: "短信领券", staff: []string{"guide01", "guide04", "guide06", "guide08"}, skipVerify: true, weight: 10},
		{state: "kol-xiaohongshu", remark: "小红书达人合作", staff: []string{"guide03"}, weight: 7},
	}
	// Each store has a members' group (two for the flagship) with a group code at the counter;
	// HQ runs a product-testers group that guides invite into.
	for i, s := range w.stores {
		n := 1
		if s.key == "nanjinglu" {
			n = 2
		}
		var jw joinWaySeed
		for k := 0; k < n; k++ {
			owner := s.staff[k%len(s.staff)]
			var colleagues []string
			for _, id := range s.staff {
				if id != owner {
					colleagues = append(colleagues, id)
				}
			}
			g := groupSeed{store: i, owner: owner, name: groupName(s, k+1), staff: colleagues}
			if s.key == "hq" {
				g.name = "思语生活新品体验官群"
			}
			w.groups = append(w.groups, g)
			jw.groups = append(jw.groups, len(w.groups)-1)
		}
		if s.key != "hq" {
			jw.store, jw.state = i, "group-"+s.key
			w.joinWays = append(w.joinWays, jw)
		}
	}
	for _, t := range [][2]string{
		{"客户等级", "新客"}, {"客户等级", "老客"}, {"客户等级", "VIP"}, {"客户等级", "沉睡客户"},
		{"兴趣偏好", "护肤"}, {"兴趣偏好", "彩妆"}, {"兴趣偏好", "香氛"}, {"兴趣偏好", "家居生活"}, {"兴趣偏好", "母婴"},
		{"购买意向", "高意向"}, {"购买意向", "一般"}, {"购买意向", "暂无需求"},
	} {
		w.tags = append(w.tags, tagSeed{t[0], t[1]})
	}
	for _, name := range []string{"618大促", "会员日", "七夕礼盒", "中秋礼盒", "双11预售", "年货节"} {
		w.campaign = append(w.campaign, tagSeed{"营销活动", name})
	}
	return w
}

// groupName is the name of a store's k-th members' group.
func groupName(s store, k int) string { return fmt.Sprintf("%s会员福利群%d", s.short, k) }

func (w *world) channel(state string) *channel {
	for i := range w.channels {
		if w.channels[i].state == state {
			return &w.channels[i]
		}
	}
	return nil
}

// channelNamed finds a channel by its remark (the name of its live code).
func (w *world) channelNamed(remark string) *channel {
	for i := range w.channels {
		if w.channels[i].remark == remark {
			return &w.channels[i]
		}
	}
	return nil
}
