package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/order"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// Clock is the demo's clock for the services that count by day (live-code scans, customer value):
// the simulator's once it is set, so a fast-forwarded fortnight lands on its own days.
type Clock struct{ sim atomic.Pointer[wecomsim.Sim] }

// Now is the simulator's time, or the real time before Use.
func (c *Clock) Now() time.Time {
	if s := c.sim.Load(); s != nil {
		return s.Now()
	}
	return time.Now()
}

// Use makes the clock follow the simulator.
func (c *Clock) Use(s *Simulator) { c.sim.Store(s.Sim) }

// product is a line of the brand's catalogue.
type product struct {
	sku, name string
	fen       int64
}

var catalogue = []product{
	{"HC-001", "玫瑰护手霜", 5900}, {"BL-002", "白茶身体乳", 8900}, {"CD-003", "雪松香氛蜡烛", 12900},
	{"SH-004", "氨基酸洗护套装", 16900}, {"FC-005", "修护面霜", 29900}, {"SE-006", "烟酰胺精华液", 39900},
	{"PF-007", "木质调淡香水", 59900}, {"GB-008", "节日限定礼盒", 89900},
}

// maxOrderFen bounds one order (the brand's price band tops out at the gift box).
const maxOrderFen = 89900

type buyer struct {
	ext, userID, state string
	phone              string
	customerID         int64
	orders             int
}

type purchase struct {
	due    time.Time
	seq    int
	b      *buyer
	refund *order.Input // set: the refund of this earlier order
}

// shop is the crowd buying: about a third of the customers who add a guide place an order
// within days, some come back for more, a few ask for refunds. It draws from its own seeded
// random source (apart from the planner), and orders go through order.Service's ingest with the
// buyer's phone, which customer.Service.Resolve put on the WeCom customer first so they bind.
type shop struct {
	v       *Value
	r       *rand.Rand
	prefix  string
	seen    map[string]*buyer // external userid → buyer, or nil when they decided not to buy
	queue   []purchase
	seq     int
	phones  map[string]bool
	day     string
	log     *slog.Logger
	orders  int
	refunds int
	failed  int
}

func newShop(v *Value, seed uint64, log *slog.Logger) *shop {
	return &shop{v: v, r: rand.New(rand.NewPCG(seed, 0x73686f70)), prefix: fmt.Sprintf("D%06X", seed&0xffffff),
		seen: map[string]*buyer{}, phones: map[string]bool{}, log: log}
}

// added hears that a customer became a guide's friend at the simulated time at; the first time,
// they decide whether (and when) to buy.
func (s *shop) added(ext, userID, state string, at time.Time) {
	if _, ok := s.seen[ext]; ok {
		return
	}
	if s.r.IntN(100) >= 36 {
		s.seen[ext] = nil
		return
	}
	b := &buyer{ext: ext, userID: userID, state: state}
	s.seen[ext] = b
	// Store visitors often pay at the till right away; others think it over for a day or two.
	delay := 30*time.Minute + time.Duration(min(s.r.ExpFloat64()*30, 240)*float64(time.Hour))
	if strings.HasPrefix(state, "store-") && s.r.IntN(2) == 0 {
		delay = time.Duration(5+s.r.IntN(40)) * time.Minute
	}
	s.schedule(purchase{due: at.Add(delay), b: b})
}

func (s *shop) schedule(p purchase) {
	s.seq++
	p.seq = s.seq
	s.queue = append(s.queue, p)
}

// due carries out the purchases due by now, earliest first.
func (s *shop) due(ctx context.Context, now time.Time) {
	slices.SortFunc(s.queue, func(a, b purchase) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	n := 0
	var later []purchase
	for n < len(s.queue) && !s.queue[n].due.After(now) && ctx.Err() == nil {
		if p := s.queue[n]; p.b.phone == "" && !s.known(ctx, p.b) {
			// Siyu has not recorded the add yet (its events are processed in the background):
			// the buyer comes back later, so the order is attributed to the add's channel.
			p.due = p.due.Add(30 * time.Minute)
			later = append(later, p)
			n++
			continue
		}
		if err := s.buy(ctx, s.queue[n]); err != nil {
			s.failed++
			s.log.Warn("demo shop: order failed", "customer", s.queue[n].b.ext, "err", err)
		}
		n++
	}
	s.queue = append(slices.Delete(s.queue, 0, n), later...)
}

// known waits briefly until Siyu has recorded the buyer's add (the customer with the channel of
// their first add).
func (s *shop) known(ctx context.Context, b *buyer) bool {
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, err := s.v.svc.Customers.ByIdentity(ctx, s.v.tenantID, customer.IdentityExternalUserID, b.ext)
		if err == nil && p.FirstState != "" {
			return true
		}
		if !time.Now().Before(deadline) || ctx.Err() != nil {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// mobilePrefixes are Chinese mobile prefixes (the staff's 138 left out).
var mobilePrefixes = []string{"135", "136", "137", "139", "150", "151", "152", "158", "159", "177", "182", "186", "187", "188", "189", "199"}

func (s *shop) phone() string {
	for {
		p := fmt.Sprintf("%s%08d", mobilePrefixes[s.r.IntN(len(mobilePrefixes))], s.r.IntN(100_000_000))
		if _, ok := org.NormalizeMobile(p); ok && !s.phones[p] {
			s.phones[p] = true
			return p
		}
	}
}

func (s *shop) source(b *buyer) string {
	x := s.r.IntN(100)
	switch {
	case strings.HasPrefix(b.state, "store-") && x < 60:
		return order.SourcePOS
	case x < 55:
		return order.SourceTmall
	default:
		return order.SourceMall
	}
}

// identify gives the WeCom customer the phone the buyer orders with (they leave it at the till
// or in the mall's checkout) and fills in their profile the way a guide would.
func (s *shop) identify(ctx context.Context, b *buyer, at time.Time) error {
	b.phone = s.phone()
	res, err := s.v.svc.Customers.Resolve(ctx, s.v.tenantID, []customer.Identity{
		{Kind: customer.IdentityExternalUserID, Value: b.ext}, {Kind: customer.IdentityPhone, Value: b.phone}})
	if err != nil {
		return fmt.Errorf("attach the phone: %w", err)
	}
	b.customerID = res.CustomerID
	// A sixth have their birthday this month (so 本月生日 has customers whenever one looks).
	month := at.In(chinaTime).Month()
	if s.r.IntN(6) != 0 {
		month = time.Month(1 + s.r.IntN(12))
	}
	birthday := fmt.Sprintf("%04d-%02d-%02d", 1972+s.r.IntN(32), int(month), 1+s.r.IntN(28))
	level := fieldSeeds[0].Options[min(s.r.IntN(10)/3, 3)]
	skin := fieldSeeds[1].Options[s.r.IntN(len(fieldSeeds[1].Options))]
	fields := map[string]json.RawMessage{"member_level": jsonText(level)}
	if s.r.IntN(3) != 0 {
		fields["skin_type"] = jsonText(skin)
	}
	if _, err := s.v.svc.Customers.SetProfile(s.v.ownerCtx(ctx), b.customerID, customer.ProfileInput{Birthday: &birthday, Fields: fields}); err != nil {
		return fmt.Errorf("profile of customer %d: %w", b.customerID, err)
	}
	return nil
}

func jsonText(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func (s *shop) buy(ctx context.Context, p purchase) error {
	b := p.b
	if p.refund != nil {
		in := *p.refund
		in.Status = order.StatusRefunded
		in.RefundFen = in.PaidFen
		if s.r.IntN(3) == 0 {
			in.Status, in.RefundFen = "", in.PaidFen/2 // one item of two back
		}
		in.RefundedAt = &p.due
		if _, err := s.v.svc.Orders.IngestFor(ctx, s.v.tenantID, []order.Input{in}); err != nil {
			return fmt.Errorf("refund %s: %w", in.ExternalID, err)
		}
		s.refunds++
		return nil
	}
	if b.phone == "" {
		if err := s.identify(ctx, b, p.due); err != nil {
			return err
		}
	}
	in := order.Input{Source: s.source(b), BuyerPhone: b.phone, PaidAt: p.due,
		ExternalID: fmt.Sprintf("%s-%06d", s.prefix, s.orders+s.failed+1), Campaign: campaignOf(b.state)}
	first := catalogue[s.r.IntN(len(catalogue))]
	in.Items = []order.ItemInput{{SKU: first.sku, Name: first.name, Qty: 1, PriceFen: first.fen}}
	in.PaidFen = first.fen
	if second := catalogue[s.r.IntN(len(catalogue))]; s.r.IntN(4) == 0 && second != first && in.PaidFen+second.fen <= maxOrderFen {
		in.Items = append(in.Items, order.ItemInput{SKU: second.sku, Name: second.name, Qty: 1, PriceFen: second.fen})
		in.PaidFen += second.fen
	}
	if in.PaidFen >= 20000 && s.r.IntN(3) == 0 {
		in.DiscountFen = 2000 // 满200减20
		in.TotalFen = in.PaidFen
		in.PaidFen -= in.DiscountFen
	}
	if in.Source == order.SourcePOS {
		in.StoreUnitID = s.v.unitOf[b.userID]
		in.GuideStaffID = s.v.staffID[b.userID]
	}
	if _, err := s.v.svc.Orders.IngestFor(ctx, s.v.tenantID, []order.Input{in}); err != nil {
		return fmt.Errorf("order %s: %w", in.ExternalID, err)
	}
	s.orders++
	b.orders++
	if s.r.IntN(100) < 9 {
		in := in
		s.schedule(purchase{due: p.due.Add(time.Duration(2+s.r.IntN(70)) * time.Hour), b: b, refund: &in})
	}
	// Repurchase: likelier after a good first experience, less with every order.
	if s.r.IntN(100) < 45-8*b.orders {
		s.schedule(purchase{due: p.due.Add(time.Duration(36+s.r.IntN(24*10)) * time.Hour), b: b})
	}
	return nil
}

// campaignOf names the campaign an order is credited to by the buyer's channel.
func campaignOf(state string) string {
	switch state {
	case "package-card-618":
		return "618大促"
	case "douyin-live":
		return "直播间专享"
	}
	return ""
}
