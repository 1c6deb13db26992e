// Package order holds orders from every sales channel (Tmall, Taobao, JD, Youzan, Douyin, POS,
// the brand's own mall) and what they say about customers: ingestion (API, webhook, seller-export
// files), binding orders to customers through identities (phone, platform nick), attribution (the
// guide who owns the relation, the channel of the first add, the campaign), and customer value —
// per-customer metrics (单客价, 客单价, refunds, repurchase interval), RFM scores and segments,
// lifecycle stages with their history, and a value class.
//
// It never creates or changes customers: an order whose buyer is unknown stays unbound
// (customer_id NULL) until an identity appears, then BindPending attaches it. It reads the
// customer identity and relation tables (customers.go) but writes only its own tables.
package order

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Sources of orders.
const (
	SourceTmall  = "tmall"
	SourceTaobao = "taobao"
	SourceJD     = "jd"
	SourceYouzan = "youzan"
	SourceDouyin = "douyin"
	SourcePOS    = "pos"
	SourceMall   = "mall"
	SourceOther  = "other"
)

// Sources lists every source.
var Sources = []string{SourceTmall, SourceTaobao, SourceJD, SourceYouzan, SourceDouyin, SourcePOS, SourceMall, SourceOther}

// Order statuses. Only paid orders are stored; refunds turn them partially or fully refunded.
const (
	StatusPaid              = "paid"
	StatusPartiallyRefunded = "partially_refunded"
	StatusRefunded          = "refunded"
)

// nickKinds names the customer identity kind (as internal/customer defines them) of a buyer nick
// on each platform: a nick is only unique inside its platform. Sources without a platform identity
// kind (Douyin, POS, mall, other) bind by phone.
var nickKinds = map[string]string{
	SourceTmall:  "taobao_nick", // Tmall and Taobao share the Taobao member name (买家会员名)
	SourceTaobao: "taobao_nick",
	SourceJD:     "jd_id",
	SourceYouzan: "youzan_id",
}

// NickKind returns the identity kind of a buyer nick of source ("" when the source has none).
func NickKind(source string) string { return nickKinds[source] }

// Limits.
const (
	maxBatch = 1000
	maxItems = 200
)

// Service holds the order rules.
type Service struct {
	db  *store.DB
	box *seal.Box
	org Tenants
	log *slog.Logger
	now func() time.Time
	wg  sync.WaitGroup
	// changed hears, after commit, which customers' orders changed (auto-tag rules on spend).
	changed func(ctx context.Context, tenantID int64, customerIDs []int64)
}

// OnCustomersChanged registers a function told, after each commit, which customers gained or
// changed orders. Its errors are its own: an order is stored whatever the listener does.
func (s *Service) OnCustomersChanged(f func(ctx context.Context, tenantID int64, customerIDs []int64)) {
	s.changed = f
}

func (s *Service) notifyChanged(ctx context.Context, tenantID int64, ids []int64) {
	if s.changed != nil && len(ids) > 0 {
		s.changed(ctx, tenantID, ids)
	}
}

// Tenants resolves the tenant of a webhook URL.
type Tenants interface {
	TenantBySlug(ctx context.Context, slug string) (org.Tenant, error)
}

// New returns the order service. box seals the per-tenant webhook secrets.
func New(db *store.DB, box *seal.Box, tenants Tenants, log *slog.Logger) *Service {
	return &Service{db: db, box: box, org: tenants, log: log, now: time.Now}
}

// SetClock replaces the clock (tests and the benchmark use a fixed reference date).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Input is one order as a channel reports it. Amounts are fen. Sending the same source and
// external id again updates the order (a refund arriving later) or changes nothing.
type Input struct {
	Source     string `json:"source" doc:"tmall, taobao, jd, youzan, douyin, pos, mall or other"`
	ExternalID string `json:"external_id" doc:"the order number in the source system; unique per source"`
	BuyerPhone string `json:"buyer_phone,omitempty"`
	BuyerNick  string `json:"buyer_nick,omitempty" doc:"the buyer's member name on the platform (买家会员名)"`
	// Status is paid or refunded; empty means paid, or refunded when refund_fen equals paid_fen.
	Status       string      `json:"status,omitempty" doc:"paid or refunded (a refunded order with refund_fen 0 is refunded in full)"`
	TotalFen     int64       `json:"total_fen,omitempty" doc:"list amount before discounts; default paid_fen + discount_fen"`
	DiscountFen  int64       `json:"discount_fen,omitempty"`
	PaidFen      int64       `json:"paid_fen"`
	RefundFen    int64       `json:"refund_fen,omitempty" doc:"refunded so far; refunds only grow"`
	StoreUnitID  int64       `json:"store_unit_id,omitempty" doc:"the org unit (store) that sold it"`
	GuideStaffID int64       `json:"guide_staff_id,omitempty" doc:"the guide credited; default the guide who owns the customer's relation"`
	Campaign     string      `json:"campaign,omitempty"`
	OrderedAt    *time.Time  `json:"ordered_at,omitempty" doc:"default paid_at"`
	PaidAt       time.Time   `json:"paid_at"`
	RefundedAt   *time.Time  `json:"refunded_at,omitempty"`
	Items        []ItemInput `json:"items,omitempty"`
}

// ItemInput is one line of an order.
type ItemInput struct {
	SKU      string `json:"sku,omitempty"`
	Name     string `json:"name"`
	Qty      int64  `json:"qty"`
	PriceFen int64  `json:"price_fen" doc:"unit price"`
}

// Order is a stored order.
type Order struct {
	ID           int64      `json:"id"`
	Source       string     `json:"source"`
	ExternalID   string     `json:"external_id"`
	CustomerID   *int64     `json:"customer_id" doc:"null until one of the buyer's identities belongs to a customer"`
	BuyerPhone   string     `json:"buyer_phone" doc:"masked for roles without personal data"`
	BuyerNick    string     `json:"buyer_nick" doc:"masked for roles without personal data"`
	Status       string     `json:"status" doc:"paid, partially_refunded or refunded"`
	TotalFen     int64      `json:"total_fen"`
	DiscountFen  int64      `json:"discount_fen"`
	PaidFen      int64      `json:"paid_fen"`
	RefundFen    int64      `json:"refund_fen"`
	ItemCount    int64      `json:"item_count"`
	StoreUnitID  *int64     `json:"store_unit_id"`
	GuideStaffID *int64     `json:"guide_staff_id" doc:"the guide the order is attributed to"`
	Channel      string     `json:"channel" doc:"live-code state of the customer's first add"`
	Campaign     string     `json:"campaign"`
	OrderedAt    time.Time  `json:"ordered_at"`
	PaidAt       time.Time  `json:"paid_at"`
	RefundedAt   *time.Time `json:"refunded_at"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	Items        []Item     `json:"items,omitempty"`
}

// Item is a stored order line.
type Item struct {
	Line     int    `json:"line"`
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Qty      int64  `json:"qty"`
	PriceFen int64  `json:"price_fen"`
}

// Outcome says what an ingest did with one order.
type Outcome string

const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
)

// clean is a validated, normalised input.
type clean struct {
	Input
	nickKind string
	status   string
}

// validate checks one input; prefix names the field path ("orders[3].").
func validate(in Input, v *httpx.Validator, prefix string) clean {
	c := clean{Input: in}
	c.Source = strings.ToLower(strings.TrimSpace(in.Source))
	v.OneOf(prefix+"source", c.Source, Sources...)
	c.ExternalID = v.Text(prefix+"external_id", in.ExternalID, true, 64)
	c.BuyerNick = v.Text(prefix+"buyer_nick", in.BuyerNick, false, 64)
	c.Campaign = v.Text(prefix+"campaign", in.Campaign, false, 64)
	if p := strings.TrimSpace(in.BuyerPhone); p != "" {
		n, ok := normalizePhone(p)
		v.Check(ok, prefix+"buyer_phone", "invalid")
		c.BuyerPhone = n
	}
	// A nick means something only inside its platform; on POS or mall orders it is display text.
	c.nickKind = nickKinds[c.Source]
	v.Check(in.PaidFen >= 0 && in.PaidFen <= 1e12, prefix+"paid_fen", "out_of_range")
	v.Check(in.DiscountFen >= 0 && in.DiscountFen <= 1e12, prefix+"discount_fen", "out_of_range")
	v.Check(in.RefundFen >= 0 && in.RefundFen <= in.PaidFen, prefix+"refund_fen", "out_of_range")
	if c.TotalFen == 0 {
		c.TotalFen = in.PaidFen + in.DiscountFen
	}
	v.Check(c.TotalFen >= in.PaidFen && c.TotalFen <= 1e12, prefix+"total_fen", "out_of_range")
	v.Check(in.StoreUnitID >= 0, prefix+"store_unit_id", "invalid")
	v.Check(in.GuideStaffID >= 0, prefix+"guide_staff_id", "invalid")
	if in.PaidAt.IsZero() || in.PaidAt.Year() < 2000 || in.PaidAt.Year() > 2100 {
		v.Add(prefix+"paid_at", "required")
	}
	c.PaidAt = in.PaidAt.UTC().Truncate(time.Microsecond)
	if in.OrderedAt != nil {
		t := in.OrderedAt.UTC().Truncate(time.Microsecond)
		v.Check(!t.After(c.PaidAt), prefix+"ordered_at", "invalid")
		c.OrderedAt = &t
	} else {
		c.OrderedAt = &c.PaidAt
	}
	if in.RefundedAt != nil {
		t := in.RefundedAt.UTC().Truncate(time.Microsecond)
		c.RefundedAt = &t
	}
	switch strings.TrimSpace(in.Status) {
	case "", StatusPaid:
	case StatusRefunded:
		if c.RefundFen == 0 {
			c.RefundFen = c.PaidFen
		}
	default:
		v.Add(prefix+"status", "invalid")
	}
	c.status = statusOf(c.PaidFen, c.RefundFen)
	if c.RefundFen > 0 && c.RefundedAt == nil {
		c.RefundedAt = &c.PaidAt
	}
	if c.RefundFen == 0 {
		c.RefundedAt = nil
	}
	if len(in.Items) > maxItems {
		v.AddLimit(prefix+"items", "too_long", maxItems)
	}
	c.Items = make([]ItemInput, 0, len(in.Items))
	for i, it := range in.Items {
		p := fmt.Sprintf("%sitems[%d].", prefix, i)
		it.SKU = v.Text(p+"sku", it.SKU, false, 64)
		it.Name = v.Text(p+"name", it.Name, true, 200)
		v.Check(it.Qty > 0 && it.Qty <= 1e6, p+"qty", "out_of_range")
		v.Check(it.PriceFen >= 0 && it.PriceFen <= 1e12, p+"price_fen", "out_of_range")
		c.Items = append(c.Items, it)
	}
	return c
}

func statusOf(paid, refund int64) string {
	switch {
	case refund <= 0:
		return StatusPaid
	case refund >= paid:
		return StatusRefunded
	default:
		return StatusPartiallyRefunded
	}
}

// normalizePhone accepts mainland and international numbers; exports that mask the middle digits
// (138****5678) or prefix an apostrophe (Excel text) are handled by the callers.
func normalizePhone(p string) (string, bool) {
	p = strings.TrimPrefix(strings.TrimSpace(p), "'")
	return org.NormalizeMobile(p)
}

// hash is the content of an order that an update can change; equal hashes mean a no-op.
func (c clean) hash() string {
	h := sha256.New()
	w := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
	}
	i := strconv.FormatInt
	w(c.BuyerPhone, c.BuyerNick, c.status, i(c.TotalFen, 10), i(c.DiscountFen, 10), i(c.PaidFen, 10), i(c.RefundFen, 10),
		i(c.StoreUnitID, 10), i(c.GuideStaffID, 10), c.Campaign, c.OrderedAt.Format(time.RFC3339Nano), c.PaidAt.Format(time.RFC3339Nano))
	if c.RefundedAt != nil {
		w(c.RefundedAt.Format(time.RFC3339Nano))
	}
	for _, it := range c.Items {
		w(it.SKU, it.Name, i(it.Qty, 10), i(it.PriceFen, 10))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (c clean) itemCount() int64 {
	var n int64
	for _, it := range c.Items {
		n += it.Qty
	}
	return n
}

// keepRefund applies the stored refund when it is larger: an older snapshot (a re-imported export
// from before the refund) never undoes a refund.
func (c clean) keepRefund(oldRefund int64, oldRefAt sql.NullTime) clean {
	if oldRefund > c.RefundFen && oldRefund <= c.PaidFen {
		c.RefundFen = oldRefund
		c.status = statusOf(c.PaidFen, c.RefundFen)
		if oldRefAt.Valid {
			t := oldRefAt.Time.UTC()
			c.RefundedAt = &t
		}
	}
	return c
}

// preview counts what writing cs would do, without writing.
func (s *Service) preview(ctx context.Context, tenantID int64, cs []clean) (Result, error) {
	var res Result
	for _, c := range cs {
		var h string
		var refund int64
		var refAt sql.NullTime
		err := s.db.QueryRowContext(ctx, `SELECT content_hash, refund_fen, refunded_at FROM orders WHERE tenant_id = ? AND source = ? AND external_id = ?`,
			tenantID, c.Source, c.ExternalID).Scan(&h, &refund, &refAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			res.add(Created)
		case err != nil:
			return Result{}, fmt.Errorf("order: preview %s/%s: %w", c.Source, c.ExternalID, err)
		case c.keepRefund(refund, refAt).hash() == h:
			res.add(Unchanged)
		default:
			res.add(Updated)
		}
	}
	return res, nil
}

// upsert writes one validated order inside tx: insert, update (refunds only grow) or nothing.
// It returns the order id, what happened and the customers whose metrics must be refreshed.
func (s *Service) upsert(ctx context.Context, tx *store.Tx, tenantID int64, c clean, now time.Time) (int64, Outcome, []int64, error) {
	var (
		id         int64
		oldHash    string
		oldRefund  int64
		oldRefAt   sql.NullTime
		oldCust    sql.NullInt64
		guideGiven bool
	)
	err := tx.QueryRowContext(ctx, `SELECT id, content_hash, refund_fen, refunded_at, customer_id, guide_given FROM orders
		WHERE tenant_id = ? AND source = ? AND external_id = ?`, tenantID, c.Source, c.ExternalID).
		Scan(&id, &oldHash, &oldRefund, &oldRefAt, &oldCust, &guideGiven)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil, fmt.Errorf("order: load %s/%s: %w", c.Source, c.ExternalID, err)
	}
	exists := err == nil
	if exists {
		c = c.keepRefund(oldRefund, oldRefAt)
	}
	h := c.hash()
	if exists && h == oldHash {
		return id, Unchanged, nil, nil
	}
	unit, guide := nullID(c.StoreUnitID), nullID(c.GuideStaffID)
	if exists {
		_, err = tx.ExecContext(ctx, `UPDATE orders SET buyer_phone = ?, buyer_nick = ?, status = ?, total_fen = ?, discount_fen = ?,
			paid_fen = ?, refund_fen = ?, item_count = ?, store_unit_id = ?, guide_staff_id = CASE WHEN ? THEN ? ELSE guide_staff_id END,
			guide_given = (guide_given OR ?), campaign = ?, ordered_at = ?, paid_at = ?, refunded_at = ?, content_hash = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`,
			c.BuyerPhone, c.BuyerNick, c.status, c.TotalFen, c.DiscountFen, c.PaidFen, c.RefundFen, c.itemCount(), unit,
			c.GuideStaffID > 0, guide, c.GuideStaffID > 0, c.Campaign, *c.OrderedAt, c.PaidAt, nullTime(c.RefundedAt), h, now, tenantID, id)
		if err != nil {
			return 0, "", nil, fmt.Errorf("order: update %s/%s: %w", c.Source, c.ExternalID, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM order_items WHERE tenant_id = ? AND order_id = ?`, tenantID, id); err != nil {
			return 0, "", nil, err
		}
	} else {
		err = tx.QueryRowContext(ctx, `INSERT INTO orders (tenant_id, source, external_id, buyer_phone, buyer_nick, status, total_fen,
			discount_fen, paid_fen, refund_fen, item_count, store_unit_id, guide_staff_id, guide_given, campaign, ordered_at, paid_at,
			refunded_at, content_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			tenantID, c.Source, c.ExternalID, c.BuyerPhone, c.BuyerNick, c.status, c.TotalFen, c.DiscountFen, c.PaidFen, c.RefundFen,
			c.itemCount(), unit, guide, c.GuideStaffID > 0, c.Campaign, *c.OrderedAt, c.PaidAt, nullTime(c.RefundedAt), h, now, now).Scan(&id)
		if err != nil {
			if store.IsUniqueViolation(err) {
				return 0, "", nil, &httpx.Error{Code: httpx.Conflict, Key: "order_concurrent", Message: "the same order is being written concurrently; retry", Err: err}
			}
			return 0, "", nil, fmt.Errorf("order: insert %s/%s: %w", c.Source, c.ExternalID, err)
		}
	}
	for i, it := range c.Items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_items (tenant_id, order_id, line, sku, name, qty, price_fen) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tenantID, id, i+1, it.SKU, it.Name, it.Qty, it.PriceFen); err != nil {
			return 0, "", nil, fmt.Errorf("order: items of %s/%s: %w", c.Source, c.ExternalID, err)
		}
	}
	affected := []int64{}
	if oldCust.Valid {
		affected = append(affected, oldCust.Int64)
	}
	cid, err := bindOne(ctx, tx, tenantID, id, c, oldCust)
	if err != nil {
		return 0, "", nil, err
	}
	if cid > 0 && (!oldCust.Valid || cid != oldCust.Int64) {
		affected = append(affected, cid)
	}
	out := Created
	if exists {
		out = Updated
	}
	return id, out, affected, nil
}

func nullID(id int64) any {
	if id <= 0 {
		return nil
	}
	return id
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// Result sums up an ingest.
type Result struct {
	Created   int     `json:"created"`
	Updated   int     `json:"updated"`
	Unchanged int     `json:"unchanged"`
	IDs       []int64 `json:"ids" doc:"order ids in input order"`
}

func (r *Result) add(o Outcome) {
	switch o {
	case Created:
		r.Created++
	case Updated:
		r.Updated++
	default:
		r.Unchanged++
	}
}

// checkRefs reports store and guide ids that are not in the tenant, as field errors.
func (s *Service) checkRefs(ctx context.Context, tenantID int64, cs []clean, v *httpx.Validator, field func(i int, name string) string) error {
	units, staff := map[int64]bool{}, map[int64]bool{}
	for _, c := range cs {
		if c.StoreUnitID > 0 {
			units[c.StoreUnitID] = false
		}
		if c.GuideStaffID > 0 {
			staff[c.GuideStaffID] = false
		}
	}
	for id := range units {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM org_units WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(&n); err != nil {
			return err
		}
		units[id] = n > 0
	}
	for id := range staff {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(&n); err != nil {
			return err
		}
		staff[id] = n > 0
	}
	for i, c := range cs {
		if c.StoreUnitID > 0 && !units[c.StoreUnitID] {
			v.Add(field(i, "store_unit_id"), "not_found")
		}
		if c.GuideStaffID > 0 && !staff[c.GuideStaffID] {
			v.Add(field(i, "guide_staff_id"), "not_found")
		}
	}
	return nil
}

// ingest validates every input (all or nothing) and writes them in transactions of chunk orders,
// refreshing the metrics of every customer touched. Errors name fields through field.
func (s *Service) ingest(ctx context.Context, tenantID int64, ins []Input, field func(i int) string) (Result, error) {
	var v httpx.Validator
	cs := make([]clean, len(ins))
	seen := map[string]int{}
	for i, in := range ins {
		cs[i] = validate(in, &v, field(i))
		k := cs[i].Source + "\x00" + cs[i].ExternalID
		if _, dup := seen[k]; dup && cs[i].ExternalID != "" {
			v.Add(field(i)+"external_id", "duplicate")
		}
		seen[k] = i
	}
	if err := s.checkRefs(ctx, tenantID, cs, &v, func(i int, name string) string { return field(i) + name }); err != nil {
		return Result{}, err
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	return s.write(ctx, tenantID, cs)
}

const chunk = 500

func (s *Service) write(ctx context.Context, tenantID int64, cs []clean) (Result, error) {
	res := Result{IDs: make([]int64, 0, len(cs))}
	rules, err := s.Rules(ctx, tenantID)
	if err != nil {
		return Result{}, err
	}
	for start := 0; start < len(cs); start += chunk {
		end := min(start+chunk, len(cs))
		var part Result
		var touched map[int64]bool
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			part = Result{}
			now := s.clock()
			touched = map[int64]bool{}
			for _, c := range cs[start:end] {
				id, out, affected, err := s.upsert(ctx, tx, tenantID, c, now)
				if err != nil {
					return err
				}
				part.IDs = append(part.IDs, id)
				part.add(out)
				for _, cid := range affected {
					touched[cid] = true
				}
			}
			return refreshMetrics(ctx, tx, tenantID, keys(touched), rules, now)
		})
		if err != nil {
			return Result{}, err
		}
		s.notifyChanged(ctx, tenantID, keys(touched))
		res.Created += part.Created
		res.Updated += part.Updated
		res.Unchanged += part.Unchanged
		res.IDs = append(res.IDs, part.IDs...)
	}
	return res, nil
}

func keys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// writer checks that the caller may write orders.
func writer(ctx context.Context) (org.Caller, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return c, err
	}
	if org.ScopeOf(c).ReadOnly {
		return c, &httpx.Error{Code: httpx.Forbidden}
	}
	return c, nil
}

// Ingest stores one order (idempotent on source + external id).
func (s *Service) Ingest(ctx context.Context, in Input) (Order, Outcome, error) {
	c, err := writer(ctx)
	if err != nil {
		return Order{}, "", err
	}
	res, err := s.ingest(ctx, c.TenantID, []Input{in}, func(int) string { return "" })
	if err != nil {
		return Order{}, "", err
	}
	o, err := s.load(ctx, c.TenantID, res.IDs[0], org.ScopeOf(c), true)
	if err != nil {
		return Order{}, "", err
	}
	out := Created
	switch {
	case res.Updated > 0:
		out = Updated
	case res.Unchanged > 0:
		out = Unchanged
	}
	return o, out, nil
}

// BatchInput is a batch of orders.
type BatchInput struct {
	Orders []Input `json:"orders" doc:"at most 1000; all are checked before any is written"`
}

// IngestBatch stores up to 1000 orders: all are validated first, and one bad order rejects the
// batch with a field error per problem ("orders[3].paid_fen").
func (s *Service) IngestBatch(ctx context.Context, in BatchInput) (Result, error) {
	c, err := writer(ctx)
	if err != nil {
		return Result{}, err
	}
	if len(in.Orders) == 0 {
		return Result{}, httpx.FieldErr("orders", "required")
	}
	if len(in.Orders) > maxBatch {
		return Result{}, &httpx.Error{Code: httpx.Invalid, Fields: map[string]httpx.FieldError{"orders": {Code: "too_long", Limit: maxBatch}}}
	}
	return s.ingest(ctx, c.TenantID, in.Orders, func(i int) string { return fmt.Sprintf("orders[%d].", i) })
}

// IngestFor stores orders for a tenant without a caller (webhooks, the CLI import).
func (s *Service) IngestFor(ctx context.Context, tenantID int64, ins []Input) (Result, error) {
	return s.ingest(ctx, tenantID, ins, func(i int) string { return fmt.Sprintf("orders[%d].", i) })
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"order_concurrent":     {Zh: "同一订单正在被并发写入，请重试", En: "The same order is being written concurrently; retry"},
		"idempotency_mismatch": {Zh: "Idempotency-Key 已用于另一个请求体", En: "This Idempotency-Key was used with a different request body"},
		"bad_signature":        {Zh: "签名校验失败", En: "The signature does not match"},
		"webhook_not_set":      {Zh: "尚未设置订单 Webhook 密钥", En: "No order webhook secret is set for this tenant"},
		"import_failed":        {Zh: "文件中有错误行，未导入任何数据", En: "The file has bad rows; nothing was imported"},
		"field.duplicate":      {Zh: "重复", En: "is a duplicate"},
		"field.unparseable":    {Zh: "无法识别", En: "cannot be read"},
	})
}
