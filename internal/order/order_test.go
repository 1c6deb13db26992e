package order

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var seq atomic.Int64

// fixture is a tenant with a store, a guide, and a clock the test moves.
type fixture struct {
	t       *testing.T
	db      *store.DB
	svc     *Service
	orgs    *org.Service
	tenant  org.Tenant
	ctx     context.Context // as the owner
	storeID int64
	guideID int64
	now     time.Time
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	box, _ := seal.New(bytes.Repeat([]byte{3}, 32))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	orgs := org.NewService(db, box, log, org.Options{})
	tn, err := orgs.CreateTenant(ctx, fmt.Sprintf("or%d-%d", time.Now().UnixNano()%1e6, seq.Add(1)), "订单测试")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, orgs: orgs, tenant: tn, now: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)}
	f.ctx = org.WithCaller(ctx, org.Caller{TenantID: tn.ID, TenantSlug: tn.Slug, Role: org.Owner})
	units, err := orgs.ListUnits(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	shop, err := orgs.CreateUnit(f.ctx, org.UnitInput{ParentID: units[0].ID, Name: "西湖店", Kind: org.KindStore})
	if err != nil {
		t.Fatal(err)
	}
	f.storeID = shop.ID
	g, err := orgs.CreateStaff(f.ctx, org.StaffInput{Name: "导购甲", WeComUserID: "g1", OrgUnitID: shop.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.guideID = g.ID
	f.svc = New(db, box, orgs, log)
	f.svc.SetClock(func() time.Time { return f.now })
	return f
}

// customer makes a customer with identities and, when guide is set, an active relation through
// the live-code state "poster".
func (f *fixture) customer(guide bool, ids ...[2]string) int64 {
	f.t.Helper()
	ctx := context.Background()
	var cid int64
	if err := f.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO customers (tenant_id, name, first_state, created_at, updated_at) VALUES (?, '顾客', 'poster', ?, ?) RETURNING id`,
			f.tenant.ID, f.now, f.now).Scan(&cid); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO customer_identities (tenant_id, kind, value, customer_id, created_at) VALUES (?, ?, ?, ?, ?)`,
				f.tenant.ID, id[0], id[1], cid, f.now); err != nil {
				return err
			}
		}
		if guide {
			_, err := tx.ExecContext(ctx, `INSERT INTO customer_staff (tenant_id, customer_id, wecom_userid, staff_id, state, added_at, status, status_at)
				VALUES (?, ?, 'g1', ?, 'poster', ?, 'active', ?)`, f.tenant.ID, cid, f.guideID, f.now, f.now)
			return err
		}
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	return cid
}

func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRowContext(context.Background(), q, append([]any{f.tenant.ID}, args...)...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptime(t time.Time) *time.Time { return &t }

func TestParseTaobao(t *testing.T) {
	table, err := readTable(readFile(t, "taobao_gbk.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, skipped, errs := parseFile(table, ImportOptions{Layout: LayoutTaobao, Source: SourceTaobao})
	if len(errs) > 0 || skipped != 1 {
		t.Fatalf("errors %v, skipped %d (want the unpaid order skipped)", errs, skipped)
	}
	cst := func(s string) time.Time {
		tm, _ := time.ParseInLocation("2006-01-02 15:04:05", s, shanghai)
		return tm.UTC()
	}
	want := []parsedRow{
		{row: 2, input: Input{Source: "taobao", ExternalID: "2087000000000001", BuyerNick: "小芳爱购物", BuyerPhone: "+8613812345678",
			TotalFen: 19900, DiscountFen: 4000, PaidFen: 15900, OrderedAt: ptime(cst("2024-03-01 10:00:00")), PaidAt: cst("2024-03-01 10:01:30"),
			Items: []ItemInput{{Name: "夏季连衣裙 雪纺", Qty: 1, PriceFen: 19900}}}},
		{row: 3, input: Input{Source: "taobao", ExternalID: "2087000000000002", BuyerNick: "tb_zhang", // masked phone dropped
			PaidFen: 31000, OrderedAt: ptime(cst("2024-03-02 11:00:00")), PaidAt: cst("2024-03-02 11:05:00"),
			Items: []ItemInput{{Name: "羊毛衫", Qty: 2, PriceFen: 15500}}}},
		{row: 4, input: Input{Source: "taobao", ExternalID: "2087000000000003", BuyerNick: "李四", BuyerPhone: "+8613900001111", Status: StatusRefunded,
			PaidFen: 8800, OrderedAt: ptime(cst("2024-03-03 09:00:00")), PaidAt: cst("2024-03-03 09:00:10"),
			Items: []ItemInput{{Name: "袜子 三双装", Qty: 3, PriceFen: 2933}}}},
		{row: 6, input: Input{Source: "taobao", ExternalID: "2087000000000005", BuyerNick: "小芳爱购物", BuyerPhone: "+8613812345678",
			PaidFen: 12000, RefundFen: 4000, OrderedAt: ptime(cst("2024-04-01 12:00:00")), PaidAt: cst("2024-04-01 12:00:30"),
			Items: []ItemInput{{Name: "丝巾", Qty: 1, PriceFen: 12000}}}},
	}
	if d := cmp.Diff(want, rows, cmp.AllowUnexported(parsedRow{})); d != "" {
		t.Errorf("parsed rows (-want +got):\n%s", d)
	}
}

// TestParseTaobaoVariants: newer exports name some columns differently, and a Tmall export is
// the same layout with another source.
func TestParseTaobaoVariants(t *testing.T) {
	csv := "主订单编号,买家昵称,买家实付金额,订单状态,创建时间,付款时间,收货人手机号,退款金额\n" +
		"T-1,tm_buyer,88.80,等待买家确认收货,2024/6/1 9:00,2024/6/1 9:01,138 0000 1234,0\n" +
		"T-2,tm_buyer,10,交易关闭,2024/6/2 9:00,2024/6/2 9:01,,4.5\n"
	table, err := readTable([]byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	rows, skipped, errs := parseFile(table, ImportOptions{Layout: LayoutTaobao, Source: SourceTmall})
	if len(errs) > 0 || skipped != 0 || len(rows) != 2 {
		t.Fatalf("rows %+v skipped %d errors %v", rows, skipped, errs)
	}
	cst := func(s string) time.Time {
		tm, _ := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
		return tm.UTC()
	}
	want := []parsedRow{
		{row: 2, input: Input{Source: "tmall", ExternalID: "T-1", BuyerNick: "tm_buyer", BuyerPhone: "+8613800001234", PaidFen: 8880,
			OrderedAt: ptime(cst("2024-06-01 09:00")), PaidAt: cst("2024-06-01 09:01")}},
		{row: 3, input: Input{Source: "tmall", ExternalID: "T-2", BuyerNick: "tm_buyer", PaidFen: 1000, RefundFen: 450,
			OrderedAt: ptime(cst("2024-06-02 09:00")), PaidAt: cst("2024-06-02 09:01")}},
	}
	if d := cmp.Diff(want, rows, cmp.AllowUnexported(parsedRow{})); d != "" {
		t.Errorf("parsed rows (-want +got):\n%s", d)
	}
}

func TestParseGeneric(t *testing.T) {
	table, err := readTable(readFile(t, "generic.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, skipped, errs := parseFile(table, ImportOptions{Layout: LayoutGeneric})
	if len(errs) > 0 || skipped != 0 {
		t.Fatalf("errors %v skipped %d", errs, skipped)
	}
	cst := func(s string) time.Time {
		tm, _ := time.ParseInLocation("2006-01-02 15:04:05", s, shanghai)
		return tm.UTC()
	}
	want := []parsedRow{
		{row: 2, input: Input{Source: "pos", ExternalID: "POS-1", BuyerPhone: "+8613700000001", PaidFen: 10000, PaidAt: cst("2024-05-01 10:00:00"),
			Items: []ItemInput{{Name: "T恤", Qty: 2, PriceFen: 5000}}}},
		{row: 3, input: Input{Source: "pos", ExternalID: "POS-2", BuyerPhone: "+8613700000002", PaidFen: 8050, TotalFen: 10000, DiscountFen: 1950,
			Campaign: "五一大促", PaidAt: cst("2024-05-02 10:00:00"), Items: []ItemInput{{SKU: "POS-SKU9", Name: "袜子", Qty: 1, PriceFen: 8050}}}},
		{row: 4, input: Input{Source: "mall", ExternalID: "MALL-1", BuyerPhone: "+8613700000001", PaidFen: 4500, RefundFen: 500,
			PaidAt: cst("2024-06-01 00:00:00"), Items: []ItemInput{{Name: "帽子", Qty: 1}}}},
		{row: 5, input: Input{Source: "jd", ExternalID: "JD-1", BuyerNick: "jd_user_1", PaidFen: 30000, RefundFen: 30000,
			PaidAt: cst("2024-06-02 08:30:00")}},
	}
	if d := cmp.Diff(want, rows, cmp.AllowUnexported(parsedRow{})); d != "" {
		t.Errorf("parsed rows (-want +got):\n%s", d)
	}
}

func TestParseHelpers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fen  int64
		good bool
	}{{"12.34", 1234, true}, {"¥1,234.5", 123450, true}, {"0", 0, true}, {"", 0, true}, {"1.234", 0, false}, {"-1", 0, false}, {"abc", 0, false}} {
		fen, ok := parseFen(tc.in)
		if fen != tc.fen || ok != tc.good {
			t.Errorf("parseFen(%q) = %d %v, want %d %v", tc.in, fen, ok, tc.fen, tc.good)
		}
	}
	for _, tc := range []struct {
		in   string
		want []ItemInput
		ok   bool
	}{
		{"A*2@1.5;B", []ItemInput{{Name: "A", Qty: 2, PriceFen: 150}, {Name: "B", Qty: 1}}, true},
		{"S1|连衣裙×3；袜子", []ItemInput{{SKU: "S1", Name: "连衣裙", Qty: 3}, {Name: "袜子", Qty: 1}}, true},
		{"A*x", nil, false},
		{"*2", nil, false},
	} {
		got, ok := parseItems(tc.in)
		if ok != tc.ok || (ok && !cmp.Equal(got, tc.want)) {
			t.Errorf("parseItems(%q) = %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if c := cell(`="2087"`); c != "2087" {
		t.Errorf("cell = %q", c)
	}
}

func TestImportBadRows(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		rep, err := f.svc.ImportFile(context.Background(), f.tenant.ID, readFile(t, "taobao_bad.csv"), ImportOptions{Layout: LayoutTaobao})
		if httpx.ErrorCode(err) != httpx.Invalid {
			t.Fatalf("err = %v, want invalid", err)
		}
		got := map[string]bool{}
		for _, e := range rep.Errors {
			got[fmt.Sprintf("%d %s %s", e.Row, e.Column, e.Code)] = true
		}
		want := map[string]bool{"3 买家实际支付金额 invalid": true, "4 订单付款时间 invalid": true, "5 订单状态 invalid": true,
			"5 联系手机 invalid": true, "5 退款金额 out_of_range": true}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("row errors (-want +got):\n%s", d)
		}
		if n := f.count(`SELECT COUNT(*) FROM orders WHERE tenant_id = ?`); n != 0 {
			t.Errorf("a file with bad rows wrote %d orders", n)
		}
		// A missing required column is reported on the header row.
		_, err = f.svc.ImportFile(context.Background(), f.tenant.ID, []byte("order_id,amount\nX,1\n"), ImportOptions{Layout: LayoutGeneric})
		if e := httpx.AsError(err); e.Code != httpx.Invalid || e.Fields["row 1: paid_at"].Code != "required" {
			t.Errorf("missing column: %v", err)
		}
	})
}

func TestImportIdempotentAndBinding(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		fang := f.customer(true, [2]string{"taobao_nick", "小芳爱购物"})
		data := readFile(t, "taobao_gbk.csv")
		rep, err := f.svc.ImportFile(ctx, f.tenant.ID, data, ImportOptions{Layout: LayoutTaobao, DryRun: true})
		if err != nil || rep.Rows != 5 || rep.Skipped != 1 || rep.Created != 4 || !rep.DryRun {
			t.Fatalf("dry run: %+v %v", rep, err)
		}
		if n := f.count(`SELECT COUNT(*) FROM orders WHERE tenant_id = ?`); n != 0 {
			t.Fatalf("dry run wrote %d orders", n)
		}
		rep, err = f.svc.ImportFile(ctx, f.tenant.ID, data, ImportOptions{Layout: LayoutTaobao})
		if err != nil || rep.Created != 4 || rep.Skipped != 1 {
			t.Fatalf("import: %+v %v", rep, err)
		}
		snap := func() string {
			var b strings.Builder
			rows, err := db.QueryContext(ctx, `SELECT id, customer_id, status, refund_fen, content_hash, updated_at FROM orders WHERE tenant_id = ? ORDER BY id`, f.tenant.ID)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var cust *int64
				var st, h string
				var refund int64
				var up time.Time
				if err := rows.Scan(&id, &cust, &st, &refund, &h, &up); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&b, "%d/%v/%s/%d/%s/%s;", id, cust != nil, st, refund, h, up)
			}
			fmt.Fprintf(&b, "items=%d metrics=%d history=%d", f.count(`SELECT COUNT(*) FROM order_items WHERE tenant_id = ?`),
				f.count(`SELECT COUNT(*) FROM customer_metrics WHERE tenant_id = ?`), f.count(`SELECT COUNT(*) FROM customer_lifecycle_history WHERE tenant_id = ?`))
			return b.String()
		}
		before := snap()
		f.now = f.now.Add(time.Hour)
		rep, err = f.svc.ImportFile(ctx, f.tenant.ID, data, ImportOptions{Layout: LayoutTaobao})
		if err != nil || rep.Unchanged != 4 || rep.Created+rep.Updated != 0 {
			t.Fatalf("re-import: %+v %v", rep, err)
		}
		if rep, err := f.svc.ImportFile(ctx, f.tenant.ID, data, ImportOptions{Layout: LayoutTaobao, DryRun: true}); err != nil || rep.Unchanged != 4 || rep.Created+rep.Updated != 0 {
			t.Errorf("dry run of an imported file: %+v %v", rep, err)
		}
		if after := snap(); after != before {
			t.Errorf("re-importing the same file changed the database:\n%s\n%s", before, after)
		}
		// The two orders of 小芳 bound through her Taobao nick and are attributed to her guide and
		// channel; the others stay unbound but listed.
		page, err := f.svc.List(f.ctx, Filter{Bound: "bound", Page: httpx.PageRequest{Limit: 50}})
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("bound orders: %+v %v", page, err)
		}
		for _, o := range page.Items {
			if *o.CustomerID != fang || o.GuideStaffID == nil || *o.GuideStaffID != f.guideID || o.Channel != "poster" {
				t.Errorf("bound order %+v", o)
			}
		}
		unbound, err := f.svc.List(f.ctx, Filter{Bound: "unbound", Page: httpx.PageRequest{Limit: 50}})
		if err != nil || len(unbound.Items) != 2 {
			t.Fatalf("unbound orders: %+v %v", unbound, err)
		}
		v, err := f.svc.CustomerValue(f.ctx, fang)
		if err != nil || v.Metrics == nil {
			t.Fatalf("value: %+v %v", v, err)
		}
		m := v.Metrics
		// 159.00 paid + 120.00 paid − 40.00 refunded; two orders 31 days and 1h59m apart; on
		// 2024-07-01, 91 days after the last order, beyond 2 × 31.08 days: declining.
		if m.Orders != 2 || m.PaidFen != 27900 || m.RefundFen != 4000 || m.SpendFen != 23900 || m.AOVFen != 11950 || m.Refunds != 1 ||
			m.IntervalDays == nil || *m.IntervalDays != 31.08 || m.Stage != StageDecline {
			t.Errorf("metrics %+v interval %v", m, m.IntervalDays)
		}
		// Binding later: 李四's phone appears on a new customer.
		li := f.customer(false, [2]string{"phone", "+8613900001111"})
		n, err := f.svc.BindPending(ctx, f.tenant.ID)
		if err != nil || n != 1 {
			t.Fatalf("bind pending: %d %v", n, err)
		}
		if n, _ := f.svc.BindPending(ctx, f.tenant.ID); n != 0 {
			t.Errorf("second bind pass bound %d", n)
		}
		v, err = f.svc.CustomerValue(f.ctx, li)
		if err != nil || v.Metrics == nil || v.Metrics.Orders != 0 || v.Metrics.RefundFen != 8800 || v.Metrics.Stage != StageLost {
			t.Errorf("李四 (one order refunded in full): %+v %v", v.Metrics, err)
		}
	})
}

func TestImportXLSX(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		x := excelize.NewFile()
		rows := [][]any{{"order_id", "source", "phone", "paid_at", "amount", "store"},
			{"X1", "pos", "13700000009", "2024-05-01 10:00:00", "12.5", "西湖店"},
			{"X2", "pos", "13700000009", "2024-05-03 10:00:00", "7", "no such store"}}
		for i, r := range rows {
			if err := x.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := x.Write(&buf); err != nil {
			t.Fatal(err)
		}
		rep, err := f.svc.ImportFile(context.Background(), f.tenant.ID, buf.Bytes(), ImportOptions{Layout: LayoutGeneric})
		if err == nil || len(rep.Errors) != 1 || rep.Errors[0] != (RowError{Row: 3, Column: "store", Code: "not_found"}) {
			t.Fatalf("unknown store: %+v %v", rep, err)
		}
		x.SetCellValue("Sheet1", "F3", fmt.Sprint(f.storeID))
		buf.Reset()
		x.Write(&buf)
		rep, err = f.svc.ImportFile(context.Background(), f.tenant.ID, buf.Bytes(), ImportOptions{Layout: LayoutGeneric})
		if err != nil || rep.Created != 2 {
			t.Fatalf("xlsx import: %+v %v", rep, err)
		}
		if n := f.count(`SELECT COUNT(*) FROM orders WHERE tenant_id = ? AND store_unit_id = ? AND paid_fen IN (1250, 700)`, f.storeID); n != 2 {
			t.Errorf("orders with the store: %d", n)
		}
	})
}

func TestIngestRefundsAndIdempotency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		cid := f.customer(true, [2]string{"phone", "+8613811112222"})
		in := Input{Source: "mall", ExternalID: "M-1", BuyerPhone: "138 1111 2222", PaidFen: 10000, DiscountFen: 5000, PaidAt: day("2024-06-01"),
			Items: []ItemInput{{SKU: "S", Name: "外套", Qty: 1, PriceFen: 15000}}}
		o, out, err := f.svc.Ingest(f.ctx, in)
		if err != nil || out != Created || o.CustomerID == nil || *o.CustomerID != cid || o.TotalFen != 15000 || len(o.Items) != 1 {
			t.Fatalf("ingest: %+v %s %v", o, out, err)
		}
		if _, out, _ := f.svc.Ingest(f.ctx, in); out != Unchanged {
			t.Errorf("same order again: %s", out)
		}
		// A partial refund arrives later.
		in.RefundFen = 3000
		o, out, err = f.svc.Ingest(f.ctx, in)
		if err != nil || out != Updated || o.Status != StatusPartiallyRefunded || o.RefundFen != 3000 {
			t.Fatalf("partial refund: %+v %s %v", o, out, err)
		}
		// An older snapshot does not undo the refund.
		in.RefundFen = 0
		if o, out, _ = f.svc.Ingest(f.ctx, in); out != Unchanged || o.RefundFen != 3000 {
			t.Errorf("older snapshot: %s %+v", out, o)
		}
		// The rest is refunded.
		in.Status = StatusRefunded
		if o, _, _ = f.svc.Ingest(f.ctx, in); o.Status != StatusRefunded || o.RefundFen != 10000 {
			t.Errorf("full refund: %+v", o)
		}
		v, _ := f.svc.ValueFor(context.Background(), f.tenant.ID, cid)
		if v.Metrics == nil || v.Metrics.Orders != 0 || v.Metrics.SpendFen != 0 || v.Metrics.ValueClass != ValueHeavyRefunder {
			t.Errorf("metrics after full refund: %+v", v.Metrics)
		}
		if n := f.count(`SELECT COUNT(*) FROM orders WHERE tenant_id = ?`); n != 1 {
			t.Errorf("%d orders, want 1", n)
		}
		// Idempotency-Key: the same key and body answers the first reply; another body conflicts.
		in2 := Input{Source: "pos", ExternalID: "P-9", PaidFen: 500, PaidAt: day("2024-06-02")}
		r1, err := f.svc.IngestOnce(f.ctx, "k-1", in2)
		if err != nil || r1.Outcome != Created {
			t.Fatalf("first keyed ingest: %+v %v", r1, err)
		}
		r2, err := f.svc.IngestOnce(f.ctx, "k-1", in2)
		if err != nil || r2.Outcome != Created || r2.Order.ID != r1.Order.ID {
			t.Errorf("repeat keyed ingest: %+v %v", r2, err)
		}
		in2.PaidFen = 600
		if _, err := f.svc.IngestOnce(f.ctx, "k-1", in2); httpx.ErrorCode(err) != httpx.Conflict {
			t.Errorf("key reused with another body: %v", err)
		}
		// Batch: one bad order rejects the batch, naming it.
		_, err = f.svc.IngestBatch(f.ctx, BatchInput{Orders: []Input{{Source: "pos", ExternalID: "B1", PaidFen: 1, PaidAt: day("2024-06-03")},
			{Source: "mars", ExternalID: "B2", PaidFen: -1, StoreUnitID: 999999}}})
		e := httpx.AsError(err)
		if e.Code != httpx.Invalid || e.Fields["orders[1].source"].Code != "invalid" || e.Fields["orders[1].paid_fen"].Code != "out_of_range" ||
			e.Fields["orders[1].paid_at"].Code != "required" || e.Fields["orders[1].store_unit_id"].Code != "not_found" {
			t.Errorf("bad batch: %v", err)
		}
		if n := f.count(`SELECT COUNT(*) FROM orders WHERE tenant_id = ? AND external_id = 'B1'`); n != 0 {
			t.Errorf("a rejected batch wrote its good order")
		}
	})
}

func TestWebhook(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		body := []byte(`{"orders":[{"source":"youzan","external_id":"YZ1","buyer_nick":"yz_01","paid_fen":990,"paid_at":"2024-06-01T02:00:00Z"}]}`)
		if _, err := f.svc.Webhook(ctx, f.tenant.Slug, body, Sign("x", body)); httpx.ErrorCode(err) != httpx.Unauthorized {
			t.Errorf("no secret yet: %v", err)
		}
		sec, err := f.svc.RotateSecret(f.ctx)
		if err != nil || len(sec.Secret) != 48 {
			t.Fatalf("rotate: %+v %v", sec, err)
		}
		for name, sig := range map[string]string{"wrong secret": Sign("x", body), "empty": "", "other body": Sign(sec.Secret, []byte("{}"))} {
			if _, err := f.svc.Webhook(ctx, f.tenant.Slug, body, sig); httpx.ErrorCode(err) != httpx.Unauthorized {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := f.svc.Webhook(ctx, "no-such-tenant", body, Sign(sec.Secret, body)); httpx.ErrorCode(err) != httpx.Unauthorized {
			t.Errorf("unknown tenant: %v", err)
		}
		res, err := f.svc.Webhook(ctx, f.tenant.Slug, body, Sign(sec.Secret, body))
		if err != nil || res.Created != 1 {
			t.Fatalf("signed webhook: %+v %v", res, err)
		}
		one := []byte(`{"source":"youzan","external_id":"YZ1","buyer_nick":"yz_01","paid_fen":990,"paid_at":"2024-06-01T02:00:00Z"}`)
		if res, err := f.svc.Webhook(ctx, f.tenant.Slug, one, Sign(sec.Secret, one)); err != nil || res.Unchanged != 1 {
			t.Errorf("single order webhook, repeated: %+v %v", res, err)
		}
		bad := []byte(`{"source":"youzan","external_id":"","paid_fen":1}`)
		if _, err := f.svc.Webhook(ctx, f.tenant.Slug, bad, Sign(sec.Secret, bad)); httpx.ErrorCode(err) != httpx.Invalid {
			t.Errorf("bad order: %v", err)
		}
	})
}

func TestScoreRFM(t *testing.T) {
	// Ten customers; R from the last order (higher = more recent), F orders, M spend.
	in := []rfmInput{
		{cid: 1, last: 100, orders: 1, spend: 100}, {cid: 2, last: 200, orders: 1, spend: 200},
		{cid: 3, last: 300, orders: 2, spend: 300}, {cid: 4, last: 400, orders: 2, spend: 400},
		{cid: 5, last: 500, orders: 3, spend: 500}, {cid: 6, last: 600, orders: 3, spend: 600},
		{cid: 7, last: 700, orders: 4, spend: 700}, {cid: 8, last: 800, orders: 4, spend: 800},
		{cid: 9, last: 900, orders: 10, spend: 50}, {cid: 10, last: 50, orders: 10, spend: 5000},
	}
	got := scoreRFM(in, RFMRules{Bins: 5, Split: "mean"})
	// R: 50 <100 <…<900: ranks 0..9 → 1 + 5·less/10. cid 10 has the oldest order.
	// F: values 1,1,2,2,3,3,4,4,10,10 → less 0,0,2,2,4,4,6,6,8,8 → 1,1,2,2,3,3,4,4,5,5.
	// M: 50 (cid 9) < 100 < … < 800 < 5000 (cid 10).
	want := []Scored{
		{1, 1, 1, 1, ""}, {2, 2, 1, 2, ""}, {3, 2, 2, 2, ""}, {4, 3, 2, 3, ""}, {5, 3, 3, 3, ""},
		{6, 4, 3, 4, ""}, {7, 4, 4, 4, ""}, {8, 5, 4, 5, ""}, {9, 5, 5, 1, ""}, {10, 1, 5, 5, ""},
	}
	// Means are 3.0 each; high is strictly above.
	segs := []string{"general_retain", "general_retain", "general_retain", "general_retain", "general_retain",
		"important_develop", "important_value", "important_value", "general_value", "important_keep"}
	for i := range want {
		want[i].Segment = segs[i]
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("scores (-want +got):\n%s", d)
	}
	// Median split and three bins.
	got = scoreRFM(in[:4], RFMRules{Bins: 3, Split: "median"})
	// R 100,200,300,400 → 1,1,2,3 (median 1.5); F 1,1,2,2 → 1,1,2,2 (1.5); M → 1,1,2,3 (1.5)
	want = []Scored{{1, 1, 1, 1, "general_retain"}, {2, 1, 1, 1, "general_retain"}, {3, 2, 2, 2, "important_value"}, {4, 3, 2, 3, "important_value"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("median/3 bins (-want +got):\n%s", d)
	}
	if len(scoreRFM(nil, RFMRules{Bins: 5})) != 0 {
		t.Error("no customers")
	}
}

func TestStageAndValueClass(t *testing.T) {
	r := DefaultRules()
	at := day("2024-07-01")
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		name     string
		orders   int64
		last     string
		interval *float64
		want     string
	}{
		{"one order, recent", 1, "2024-06-01", nil, StageInitial},
		{"one order, beyond initial", 1, "2024-03-01", nil, StageDecline},
		{"repeat, inside 2× rhythm", 3, "2024-05-01", f(40), StageTrust},
		{"repeat, beyond 2× rhythm", 3, "2024-04-01", f(40), StageDecline},
		{"repeat, short rhythm floored at 30 days", 3, "2024-06-05", f(2), StageTrust},
		{"beyond lost days", 5, "2023-06-01", f(10), StageLost},
		{"everything refunded", 0, "2024-06-30", nil, StageLost},
	} {
		if got := Stage(r.Lifecycle, tc.orders, day(tc.last), tc.interval, at); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		m    Metrics
		all  int64
		want string
	}{
		{"heavy refunder", Metrics{PaidFen: 1000, RefundFen: 500, SpendFen: 500, Orders: 2}, 2, ValueHeavyRefunder},
		{"coupon only", Metrics{PaidFen: 1000, SpendFen: 1000, Orders: 9, CouponOrders: 9}, 9, ValueCouponOnly},
		{"high by spend", Metrics{PaidFen: 300000, SpendFen: 300000, Orders: 1, CouponOrders: 0}, 1, ValueHigh},
		{"high by orders", Metrics{PaidFen: 4000, SpendFen: 4000, Orders: 4, CouponOrders: 3}, 4, ValueHigh},
		{"regular", Metrics{PaidFen: 4000, RefundFen: 100, SpendFen: 3900, Orders: 2}, 2, ValueRegular},
	} {
		if got := ValueClass(r.Value, tc.m, tc.all); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestLifecycleAndRecompute follows one customer through the stages as time passes and checks
// the RFM run over a small population against hand-computed scores.
func TestLifecycleAndRecompute(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		a := f.customer(true, [2]string{"phone", "+8613800000001"})
		b := f.customer(false, [2]string{"phone", "+8613800000002"})
		c := f.customer(false, [2]string{"phone", "+8613800000003"})
		ing := func(id, phone string, fen int64, at string) {
			t.Helper()
			f.now = day(at).Add(time.Hour)
			if _, _, err := f.svc.Ingest(f.ctx, Input{Source: "pos", ExternalID: id, BuyerPhone: phone, PaidFen: fen, PaidAt: day(at)}); err != nil {
				t.Fatal(err)
			}
		}
		ing("a1", "13800000001", 10000, "2024-01-01")
		ing("a2", "13800000001", 10000, "2024-01-21") // interval 20 → trust while ≤ 40 days (floor 30)
		ing("b1", "13800000002", 50000, "2024-01-25")
		ing("c1", "13800000003", 2000, "2024-01-10")
		ing("c2", "13800000003", 2000, "2024-01-20")
		ing("c3", "13800000003", 2000, "2024-01-30")
		stage := func(cid int64) string {
			v, err := f.svc.ValueFor(ctx, f.tenant.ID, cid)
			if err != nil || v.Metrics == nil {
				t.Fatalf("value of %d: %+v %v", cid, v, err)
			}
			return v.Metrics.Stage
		}
		if s := stage(a); s != StageTrust {
			t.Fatalf("a after two orders: %s", s)
		}
		for _, step := range []struct {
			at   string
			want string
		}{{"2024-02-20", StageTrust}, {"2024-03-15", StageDecline}, {"2025-02-01", StageLost}} {
			f.now = day(step.at)
			if _, err := f.svc.Recompute(ctx, f.tenant.ID); err != nil {
				t.Fatal(err)
			}
			if s := stage(a); s != step.want {
				t.Errorf("a on %s: %s, want %s", step.at, s, step.want)
			}
		}
		v, _ := f.svc.ValueFor(ctx, f.tenant.ID, a)
		var hist []string
		for _, h := range v.History {
			hist = append(hist, h.From+"→"+h.To)
		}
		if d := cmp.Diff([]string{"→initial", "initial→trust", "trust→decline", "decline→lost"}, hist); d != "" {
			t.Errorf("history (-want +got):\n%s", d)
		}
		// RFM as of 2024-02-01 over all history: R last orders a 01-21, b 01-25, c 01-30 → 1,2,3
		// (3 customers, 3 bins); F a 2, b 1, c 3 → 2,1,3; M a 20000, b 50000, c 6000 → 2,3,1.
		// Means are 2: high means 3.
		if err := f.svc.SetRulesFor(ctx, f.tenant.ID, Rules{RFM: RFMRules{Bins: 3, Split: "mean", ReferenceDate: "2024-02-01"},
			Lifecycle: DefaultRules().Lifecycle, Value: DefaultRules().Value}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Recompute(ctx, f.tenant.ID); err != nil {
			t.Fatal(err)
		}
		got := map[int64]string{}
		for _, cid := range []int64{a, b, c} {
			v, _ := f.svc.ValueFor(ctx, f.tenant.ID, cid)
			got[cid] = fmt.Sprintf("%d%d%d %s", v.Metrics.RScore, v.Metrics.FScore, v.Metrics.MScore, v.Metrics.Segment)
		}
		want := map[int64]string{a: "122 general_retain", b: "213 important_retain", c: "331 general_value"}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("RFM (-want +got):\n%s", d)
		}
		// The lean RFM pass (the benchmark's) scores the same as the full recompute.
		rules, _ := f.svc.Rules(ctx, f.tenant.ID)
		lean, err := f.svc.RFM(ctx, f.tenant.ID, rules, f.now)
		if err != nil {
			t.Fatal(err)
		}
		gotLean := map[int64]string{}
		for _, sc := range lean {
			gotLean[sc.CustomerID] = fmt.Sprintf("%d%d%d %s", sc.R, sc.F, sc.M, sc.Segment)
		}
		if d := cmp.Diff(want, gotLean); d != "" {
			t.Errorf("lean RFM (-want +got):\n%s", d)
		}
		sum, err := f.svc.ValueSummary(f.ctx)
		if err != nil || sum.Customers != 3 || sum.Segments["important_retain"] != 1 || sum.Segments["general_value"] != 1 {
			t.Errorf("summary %+v %v", sum, err)
		}
		keys := make([]string, 0, len(sum.Stages))
		for k := range sum.Stages {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if fmt.Sprint(keys) != "[decline initial lost trust]" {
			t.Errorf("stage keys %v", keys)
		}
	})
}

func TestScopes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		mine := f.customer(true, [2]string{"phone", "+8613800000011"})
		f.customer(false, [2]string{"phone", "+8613800000012"})
		for i, p := range []string{"13800000011", "13800000012", "13800000013"} {
			if _, _, err := f.svc.Ingest(f.ctx, Input{Source: "pos", ExternalID: fmt.Sprint("S", i), BuyerPhone: p, BuyerNick: "张小芳",
				PaidFen: 100, PaidAt: day("2024-06-01")}); err != nil {
				t.Fatal(err)
			}
		}
		as := func(role org.Role) context.Context {
			return org.WithCaller(context.Background(), org.Caller{TenantID: f.tenant.ID, TenantSlug: f.tenant.Slug, Role: role, StaffID: f.guideID})
		}
		guide, err := f.svc.List(as(org.Guide), Filter{Page: httpx.PageRequest{Limit: 50}})
		if err != nil || len(guide.Items) != 1 || *guide.Items[0].CustomerID != mine {
			t.Errorf("guide sees %+v %v", guide.Items, err)
		}
		an, err := f.svc.List(as(org.Analyst), Filter{Page: httpx.PageRequest{Limit: 50}})
		if err != nil || len(an.Items) != 3 {
			t.Fatalf("analyst: %+v %v", an, err)
		}
		for _, o := range an.Items {
			if !strings.Contains(o.BuyerPhone, "****") || o.BuyerNick != "张**" {
				t.Errorf("analyst sees %q %q", o.BuyerPhone, o.BuyerNick)
			}
		}
		if _, _, err := f.svc.Ingest(as(org.Analyst), Input{}); httpx.ErrorCode(err) != httpx.Forbidden {
			t.Errorf("analyst ingest: %v", err)
		}
		for _, o := range an.Items {
			_, err := f.svc.Get(as(org.Guide), o.ID)
			if mineToo := o.CustomerID != nil && *o.CustomerID == mine; (err == nil) != mineToo {
				t.Errorf("guide reads order %d: %v", o.ID, err)
			}
		}
	})
}

func TestRulesValidate(t *testing.T) {
	if err := DefaultRules().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := DefaultRules()
	bad.RFM.Bins, bad.RFM.Split, bad.RFM.ReferenceDate = 1, "mode", "2024-13-01"
	bad.Lifecycle.LostDays = 10
	bad.Value.RefundSharePct = 0
	e := httpx.AsError(bad.Validate())
	var got []string
	for k := range e.Fields {
		got = append(got, k)
	}
	sort.Strings(got)
	want := []string{"lifecycle.lost_days", "rfm.bins", "rfm.reference_date", "rfm.split", "value.refund_share_pct"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
}

// TestRFMWindow: F and M count only orders inside the window; a customer without one there has
// no scores, in the lean pass and in the recompute alike.
func TestRFMWindow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		old := f.customer(false, [2]string{"phone", "+8613800000021"})
		recent := f.customer(false, [2]string{"phone", "+8613800000022"})
		both := f.customer(false, [2]string{"phone", "+8613800000023"})
		for _, o := range []struct {
			id, phone, at string
			fen           int64
		}{{"w1", "13800000021", "2023-01-10", 90000}, {"w2", "13800000022", "2024-05-01", 1000},
			{"w3", "13800000023", "2023-02-01", 50000}, {"w4", "13800000023", "2024-06-01", 2000}} {
			if _, _, err := f.svc.Ingest(f.ctx, Input{Source: "pos", ExternalID: o.id, BuyerPhone: o.phone, PaidFen: o.fen, PaidAt: day(o.at)}); err != nil {
				t.Fatal(err)
			}
		}
		r := DefaultRules()
		r.RFM.Bins, r.RFM.WindowDays = 2, 180 // 2024-01-03 .. 2024-07-01
		if err := f.svc.SetRulesFor(ctx, f.tenant.ID, r); err != nil {
			t.Fatal(err)
		}
		lean, err := f.svc.RFM(ctx, f.tenant.ID, r, f.now)
		if err != nil {
			t.Fatal(err)
		}
		// recent: last 05-01, 1 order, 1000; both: last 06-01, 1 order in the window, 2000.
		want := []Scored{{recent, 1, 1, 1, "general_retain"}, {both, 2, 1, 2, "important_develop"}}
		sort.Slice(lean, func(i, j int) bool { return lean[i].CustomerID < lean[j].CustomerID })
		if d := cmp.Diff(want, lean); d != "" {
			t.Errorf("lean RFM (-want +got):\n%s", d)
		}
		if _, err := f.svc.Recompute(ctx, f.tenant.ID); err != nil {
			t.Fatal(err)
		}
		for cid, w := range map[int64]string{old: "000 ", recent: "111 general_retain", both: "212 important_develop"} {
			v, _ := f.svc.ValueFor(ctx, f.tenant.ID, cid)
			if got := fmt.Sprintf("%d%d%d %s", v.Metrics.RScore, v.Metrics.FScore, v.Metrics.MScore, v.Metrics.Segment); got != w {
				t.Errorf("customer %d: %q, want %q", cid, got, w)
			}
		}
	})
}

// TestSyntheticRFM loads synthetic orders (both engines' generators) and checks that the parallel
// range scans of RFM and ComputeRFM agree with one sequential aggregate binned the same way.
func TestSyntheticRFM(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		if err := LoadSynthetic(ctx, db, f.tenant.ID, 3000, 300, io.Discard); err != nil {
			t.Fatal(err)
		}
		var n, customers int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT customer_id) FROM orders WHERE tenant_id = ?`, f.tenant.ID).Scan(&n, &customers); err != nil {
			t.Fatal(err)
		}
		if n != 3000 || customers != 300 {
			t.Fatalf("%d orders of %d customers, want 3000 of 300", n, customers)
		}
		r := DefaultRules()
		r.RFM.WindowDays = 0
		now := SyntheticEnd
		rows, err := db.QueryContext(ctx, `SELECT o.customer_id, MAX(o.paid_at), COUNT(*), SUM(o.paid_fen - o.refund_fen) FROM orders o
			WHERE o.tenant_id = ? AND o.customer_id IS NOT NULL AND `+counted+` GROUP BY o.customer_id ORDER BY o.customer_id`, f.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		var in []rfmInput
		for rows.Next() {
			var x rfmInput
			var last store.Time
			if err := rows.Scan(&x.cid, &last, &x.orders, &x.spend); err != nil {
				t.Fatal(err)
			}
			x.last = last.Time.Unix()
			in = append(in, x)
		}
		rows.Close()
		want := map[int64]Scored{}
		for _, sc := range scoreRFM(in, r.RFM) {
			want[sc.CustomerID] = sc
		}
		lean, err := f.svc.RFM(ctx, f.tenant.ID, r, now)
		if err != nil {
			t.Fatal(err)
		}
		_, full, err := f.svc.ComputeRFM(ctx, f.tenant.ID, r, now)
		if err != nil {
			t.Fatal(err)
		}
		for name, got := range map[string][]Scored{"RFM": lean, "ComputeRFM": full} {
			m := map[int64]Scored{}
			for _, sc := range got {
				m[sc.CustomerID] = sc
			}
			if d := cmp.Diff(want, m); d != "" {
				t.Errorf("%s (-sequential +parallel):\n%s", name, d)
			}
		}
		segs := map[string]bool{}
		for _, sc := range want {
			segs[sc.Segment] = true
		}
		if len(segs) < 4 {
			t.Errorf("synthetic data fills only segments %v", segs)
		}
	})
}

// TestAttribution: an order is credited to the customer's guide at the order's store when they
// have one there, else to the guide of the earliest active relation; a guide named on the order
// wins; the channel is the customer's first add.
func TestAttribution(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		units, _ := f.orgs.ListUnits(f.ctx)
		other, err := f.orgs.CreateUnit(f.ctx, org.UnitInput{ParentID: units[0].ID, Name: "滨江店", Kind: org.KindStore})
		if err != nil {
			t.Fatal(err)
		}
		g2, err := f.orgs.CreateStaff(f.ctx, org.StaffInput{Name: "导购乙", WeComUserID: "g2", OrgUnitID: other.ID})
		if err != nil {
			t.Fatal(err)
		}
		cid := f.customer(true, [2]string{"phone", "+8613800000031"}) // related to g1 first
		if _, err := db.ExecContext(ctx, `INSERT INTO customer_staff (tenant_id, customer_id, wecom_userid, staff_id, state, added_at, status, status_at)
			VALUES (?, ?, 'g2', ?, 'store', ?, 'active', ?)`, f.tenant.ID, cid, g2.ID, f.now.Add(time.Hour), f.now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name         string
			store, guide int64
			want         int64
		}{
			{"no store: earliest relation", 0, 0, f.guideID},
			{"the other store: its guide", other.ID, 0, g2.ID},
			{"the first store: its guide", f.storeID, 0, f.guideID},
			{"a guide named on the order", other.ID, f.guideID, f.guideID},
		} {
			o, _, err := f.svc.Ingest(f.ctx, Input{Source: "pos", ExternalID: uniqID(), BuyerPhone: "13800000031", PaidFen: 100,
				PaidAt: day("2024-06-01"), StoreUnitID: tc.store, GuideStaffID: tc.guide})
			if err != nil {
				t.Fatal(err)
			}
			if o.GuideStaffID == nil || *o.GuideStaffID != tc.want || o.Channel != "poster" || o.CustomerID == nil || *o.CustomerID != cid {
				t.Errorf("%s: guide %v channel %q customer %v, want guide %d", tc.name, o.GuideStaffID, o.Channel, o.CustomerID, tc.want)
			}
		}
		// Bound later through BindPending: the same rule.
		o, _, err := f.svc.Ingest(f.ctx, Input{Source: "pos", ExternalID: "late", BuyerPhone: "13800000032", PaidFen: 100, PaidAt: day("2024-06-01"), StoreUnitID: other.ID})
		if err != nil || o.CustomerID != nil {
			t.Fatalf("unknown buyer: %+v %v", o, err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO customer_identities (tenant_id, kind, value, customer_id, created_at) VALUES (?, 'phone', '+8613800000032', ?, ?)`,
			f.tenant.ID, cid, f.now); err != nil {
			t.Fatal(err)
		}
		if n, err := f.svc.BindPending(ctx, f.tenant.ID); err != nil || n != 1 {
			t.Fatalf("bind: %d %v", n, err)
		}
		if o, _ = f.svc.Get(f.ctx, o.ID); o.GuideStaffID == nil || *o.GuideStaffID != g2.ID {
			t.Errorf("bound later: guide %v, want %d", o.GuideStaffID, g2.ID)
		}
	})
}

func uniqID() string { return fmt.Sprintf("u%d", seq.Add(1)) }

// TestBackgroundPasses: the loop binds an order once its buyer's identity appears and scores RFM.
func TestBackgroundPasses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		o, _, err := f.svc.Ingest(f.ctx, Input{Source: "pos", ExternalID: "bg-1", BuyerPhone: "13800000041", PaidFen: 100, PaidAt: day("2024-06-01")})
		if err != nil || o.CustomerID != nil {
			t.Fatalf("ingest: %+v %v", o, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		f.svc.Start(ctx, 20*time.Millisecond, 50*time.Millisecond)
		defer func() { cancel(); f.svc.Wait() }()
		cid := f.customer(false, [2]string{"phone", "+8613800000041"})
		deadline := time.Now().Add(20 * time.Second)
		for {
			v, err := f.svc.ValueFor(context.Background(), f.tenant.ID, cid)
			if err != nil {
				t.Fatal(err)
			}
			if v.Metrics != nil && v.Metrics.ScoredAt != nil && v.Metrics.RScore > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the background passes did not bind and score the order: %+v", v.Metrics)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
