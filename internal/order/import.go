package order

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/sheet"
)

// Import layouts.
const (
	LayoutTaobao  = "taobao"
	LayoutGeneric = "generic"
)

// column is one input field and the headers that may carry it, first match wins.
type column struct {
	field   string // the Input field it fills (and the JSON name in error reports)
	headers []string
}

// layouts maps each file layout's headers to order fields — the one table to edit when a
// platform renames a column. Taobao/Tmall headers are those of the seller center's order report
// (卖家中心 → 已卖出的宝贝 → 批量导出 → 订单报表); Tmall exports use the same layout.
var layouts = map[string][]column{
	LayoutTaobao: {
		{"external_id", []string{"订单编号", "主订单编号"}},
		{"buyer_nick", []string{"买家会员名", "买家昵称"}},
		{"total", []string{"总金额", "买家应付货款"}},
		{"goods", []string{"买家应付货款"}},
		{"paid", []string{"买家实际支付金额", "买家实付金额", "实付金额"}},
		{"status", []string{"订单状态"}},
		{"ordered_at", []string{"订单创建时间", "创建时间"}},
		{"paid_at", []string{"订单付款时间", "付款时间"}},
		{"buyer_phone", []string{"联系手机", "收货人手机", "收货人手机号"}},
		{"item_name", []string{"宝贝标题"}},
		{"item_qty", []string{"宝贝总数量"}},
		{"refund", []string{"退款金额"}},
	},
	LayoutGeneric: {
		{"external_id", []string{"order_id"}},
		{"source", []string{"source"}},
		{"buyer_phone", []string{"phone"}},
		{"buyer_nick", []string{"nick"}},
		{"paid_at", []string{"paid_at"}},
		{"ordered_at", []string{"ordered_at"}},
		{"paid", []string{"amount"}},
		{"total", []string{"total"}},
		{"discount", []string{"discount"}},
		{"refund", []string{"refund"}},
		{"store", []string{"store"}},
		{"campaign", []string{"campaign"}},
		{"items", []string{"items"}},
	},
}

// required fields per layout.
var required = map[string][]string{
	LayoutTaobao:  {"external_id", "paid", "status", "paid_at"},
	LayoutGeneric: {"external_id", "paid_at", "paid"},
}

// ImportOptions say how to read a file.
type ImportOptions struct {
	Layout string // taobao or generic
	// Source is the source of every row of a Taobao-layout file (taobao or tmall; default taobao);
	// generic files carry a source column (default other).
	Source string
	DryRun bool
}

// RowError is one problem in a file: the row (the header is row 1), the column and why.
type RowError struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Code   string `json:"code"`
}

// ImportReport is what an import did (or, on a dry run or with errors, would do).
type ImportReport struct {
	Rows      int        `json:"rows" doc:"data rows read"`
	Skipped   int        `json:"skipped" doc:"unpaid orders (等待买家付款, closed before payment): nothing to record"`
	Created   int        `json:"created"`
	Updated   int        `json:"updated"`
	Unchanged int        `json:"unchanged"`
	DryRun    bool       `json:"dry_run"`
	Errors    []RowError `json:"errors"`
}

// readTable reads a CSV (UTF-8, with or without BOM, or GBK/GB18030 as Taobao exports are) or an
// XLSX file (first sheet) into rows of cells.
func readTable(data []byte) ([][]string, error) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		f, err := sheet.OpenXLSX(data, 512<<20)
		if err != nil {
			return nil, fmt.Errorf("read xlsx: %w", err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, errors.New("read xlsx: no sheet")
		}
		return f.GetRows(sheets[0])
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("decode GBK: %w", err)
		}
		data = dec
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read csv: %w", err)
		}
		rows = append(rows, rec)
	}
}

// cell cleans a value as exports write it: ="123" (text forced for Excel), a leading apostrophe
// or tab, surrounding spaces.
func cell(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) && len(s) >= 3 {
		s = s[2 : len(s)-1]
	}
	return strings.TrimSpace(strings.TrimLeft(s, "'\t"))
}

// parsedRow is one row turned into an Input, with the row number and the header of each field.
type parsedRow struct {
	row   int
	input Input
	store string
}

// shanghai is where Chinese exports' wall-clock times are.
var shanghai = time.FixedZone("CST", 8*3600)

// parseTime reads the time formats exports use, in China time.
func parseTime(s string) (time.Time, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "/", "-")
	for _, l := range []string{"2006-01-02 15:04:05", "2006-1-2 15:04:05", "2006-01-02 15:04", "2006-1-2 15:04", "2006-01-02T15:04:05Z07:00", "2006-01-02", "2006-1-2"} {
		loc := shanghai
		if strings.Contains(l, "Z07") {
			loc = time.UTC
		}
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseFen reads yuan ("1,234.50", "¥12") exactly into fen.
func parseFen(s string) (int64, bool) {
	s = strings.NewReplacer(",", "", "¥", "", "￥", "", "元", "", " ", "").Replace(s)
	if s == "" {
		return 0, true
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 {
		return 0, false
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// Taobao order statuses.
const (
	tbUnpaid = "等待买家付款"
	tbClosed = "交易关闭"
)

var tbStatuses = map[string]bool{"交易成功": true, "交易完成": true, "买家已付款，等待卖家发货": true, "买家已付款,等待卖家发货": true,
	"卖家已发货，等待买家确认": true, "卖家已发货,等待买家确认": true, "买家已付款": true, "卖家已发货": true, "等待卖家发货": true,
	"等待买家确认收货": true, "部分发货": true, "卖家部分发货": true, tbUnpaid: true, tbClosed: true}

// parseFile turns a table into inputs, collecting every row error. Unpaid orders are skipped.
func parseFile(rows [][]string, opts ImportOptions) ([]parsedRow, int, []RowError) {
	var errs []RowError
	if len(rows) == 0 {
		return nil, 0, []RowError{{Row: 1, Column: "", Code: "required"}}
	}
	cols := layouts[opts.Layout]
	header := map[string]int{}
	for i, h := range rows[0] {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := header[h]; !dup {
			header[h] = i
		}
	}
	idx := map[string]int{}
	name := map[string]string{} // field -> header used
	for _, c := range cols {
		for _, h := range c.headers {
			if i, ok := header[strings.TrimSpace(h)]; ok {
				idx[c.field], name[c.field] = i, strings.TrimSpace(h)
				break
			}
		}
	}
	for _, f := range required[opts.Layout] {
		if _, ok := idx[f]; !ok {
			var hs []string
			for _, c := range cols {
				if c.field == f {
					hs = c.headers
				}
			}
			errs = append(errs, RowError{Row: 1, Column: hs[0], Code: "required"})
		}
	}
	if len(errs) > 0 {
		return nil, 0, errs
	}
	var out []parsedRow
	skipped := 0
	for n, rec := range rows[1:] {
		rowNo := n + 2
		get := func(f string) string {
			i, ok := idx[f]
			if !ok || i >= len(rec) {
				return ""
			}
			return cell(rec[i])
		}
		empty := true
		for _, v := range rec {
			if strings.TrimSpace(v) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		bad := func(f, code string) { errs = append(errs, RowError{Row: rowNo, Column: name[f], Code: code}) }
		money := func(f string) int64 {
			v, ok := parseFen(get(f))
			if !ok {
				bad(f, "invalid")
			}
			return v
		}
		in := Input{ExternalID: get("external_id"), BuyerNick: get("buyer_nick"), Campaign: get("campaign")}
		if in.ExternalID == "" {
			bad("external_id", "required")
		}
		in.PaidFen = money("paid")
		in.RefundFen = money("refund")
		total := money("total")
		closed := false
		switch opts.Layout {
		case LayoutTaobao:
			in.Source = opts.Source
			st := get("status")
			switch {
			case st == tbUnpaid || (st == tbClosed && get("paid_at") == ""):
				skipped++
				continue
			case st == tbClosed:
				closed = true
			case !tbStatuses[st]:
				bad("status", "invalid")
			}
			if goods := money("goods"); total == 0 {
				total = goods
			}
		default:
			in.Source = strings.ToLower(get("source"))
			if in.Source == "" {
				in.Source = SourceOther
			}
			in.DiscountFen = money("discount")
		}
		if total > in.PaidFen {
			in.TotalFen = total
			in.DiscountFen = max(in.DiscountFen, total-in.PaidFen)
		}
		if closed && in.RefundFen == 0 {
			in.Status = StatusRefunded // closed after payment: refunded in full
		}
		if in.RefundFen > in.PaidFen {
			bad("refund", "out_of_range")
		}
		if p := get("buyer_phone"); p != "" && !strings.Contains(p, "*") {
			// masked numbers (138****5678) identify nobody; keep the order without a phone
			if n, ok := normalizePhone(p); ok {
				in.BuyerPhone = n
			} else {
				bad("buyer_phone", "invalid")
			}
		}
		if v := get("paid_at"); v == "" {
			bad("paid_at", "required")
		} else if t, ok := parseTime(v); ok {
			in.PaidAt = t
		} else {
			bad("paid_at", "invalid")
		}
		if v := get("ordered_at"); v != "" {
			if t, ok := parseTime(v); ok && !in.PaidAt.IsZero() && !t.After(in.PaidAt) {
				in.OrderedAt = &t
			} else if !ok {
				bad("ordered_at", "invalid")
			}
		}
		if t := get("item_name"); t != "" {
			qty := int64(1)
			if q := get("item_qty"); q != "" {
				n, err := strconv.ParseInt(q, 10, 64)
				if err != nil || n <= 0 {
					bad("item_qty", "invalid")
				} else {
					qty = n
				}
			}
			price := max(total, in.PaidFen) / qty
			in.Items = []ItemInput{{Name: truncate(t, 200), Qty: qty, PriceFen: price}}
		}
		if v := get("items"); v != "" {
			items, ok := parseItems(v)
			if !ok {
				bad("items", "invalid")
			}
			in.Items = items
		}
		out = append(out, parsedRow{row: rowNo, input: in, store: get("store")})
	}
	return out, skipped, errs
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// parseItems reads the generic items column: lines separated by ";" as NAME*QTY or
// NAME*QTY@PRICE (price in yuan), optionally prefixed by "SKU|".
func parseItems(s string) ([]ItemInput, bool) {
	var out []ItemInput
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '；' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var it ItemInput
		if sku, rest, ok := strings.Cut(part, "|"); ok {
			it.SKU, part = strings.TrimSpace(sku), rest
		}
		it.Qty = 1
		if rest, price, ok := strings.Cut(part, "@"); ok {
			p, okp := parseFen(price)
			if !okp {
				return nil, false
			}
			it.PriceFen, part = p, rest
		}
		if i := strings.LastIndexAny(part, "*×"); i >= 0 {
			q, err := strconv.ParseInt(strings.TrimSpace(strings.TrimLeft(part[i:], "*×")), 10, 64)
			if err != nil || q <= 0 {
				return nil, false
			}
			it.Qty, part = q, part[:i]
		}
		it.Name = strings.TrimSpace(part)
		if it.Name == "" {
			return nil, false
		}
		out = append(out, it)
	}
	return out, true
}

// fieldColumn maps validation field names back to the layout field that fed them.
var fieldColumn = map[string]string{
	"source": "source", "external_id": "external_id", "buyer_phone": "buyer_phone", "buyer_nick": "buyer_nick",
	"paid_fen": "paid", "refund_fen": "refund", "total_fen": "total", "discount_fen": "discount", "paid_at": "paid_at",
	"ordered_at": "ordered_at", "campaign": "campaign", "store_unit_id": "store", "status": "status",
}

// ImportFile imports an order file for a tenant: every row is checked first and a file with any
// bad row imports nothing (the report names each row and column); otherwise the orders are
// upserted, so importing the same file again changes nothing.
func (s *Service) ImportFile(ctx context.Context, tenantID int64, data []byte, opts ImportOptions) (ImportReport, error) {
	if opts.Layout == "" {
		opts.Layout = LayoutTaobao
	}
	if _, ok := layouts[opts.Layout]; !ok {
		return ImportReport{}, httpx.FieldErr("layout", "invalid")
	}
	if opts.Source == "" {
		opts.Source = SourceTaobao
	}
	if opts.Layout == LayoutTaobao && opts.Source != SourceTaobao && opts.Source != SourceTmall {
		return ImportReport{}, httpx.FieldErr("source", "invalid")
	}
	rep := ImportReport{DryRun: opts.DryRun, Errors: []RowError{}}
	table, err := readTable(data)
	if err != nil {
		return rep, &httpx.Error{Code: httpx.Invalid, Key: "import_failed", Message: err.Error(), Fields: map[string]httpx.FieldError{"file": {Code: "unparseable"}}}
	}
	rows, skipped, errs := parseFile(table, opts)
	rep.Rows, rep.Skipped = len(rows)+skipped, skipped
	rep.Errors = append(rep.Errors, errs...)
	// Stores by name or id.
	stores := map[string]int64{}
	for i, r := range rows {
		if r.store == "" {
			continue
		}
		id, ok := stores[r.store]
		if !ok {
			id, err = s.unitByName(ctx, tenantID, r.store)
			if err != nil {
				return rep, err
			}
			stores[r.store] = id
		}
		if id == 0 {
			rep.Errors = append(rep.Errors, RowError{Row: r.row, Column: "store", Code: "not_found"})
		}
		rows[i].input.StoreUnitID = id
	}
	// The same checks as the API, reported per row and column.
	cs := make([]clean, 0, len(rows))
	seen := map[string]int{}
	colName := func(f string) string {
		for _, c := range layouts[opts.Layout] {
			if c.field == f {
				return c.headers[0]
			}
		}
		return f
	}
	for _, r := range rows {
		var rv httpx.Validator
		c := validate(r.input, &rv, "")
		if err := rv.Err(); err != nil && !hasError(rep.Errors, r.row) {
			for f, fe := range err.(*httpx.Error).Fields {
				if strings.HasPrefix(f, "items") {
					f = "items"
					if opts.Layout == LayoutTaobao {
						f = "item_name"
					}
				} else if col, ok := fieldColumn[f]; ok {
					f = col
				}
				rep.Errors = append(rep.Errors, RowError{Row: r.row, Column: colName(f), Code: fe.Code})
			}
		}
		k := c.Source + "\x00" + c.ExternalID
		if first, dup := seen[k]; dup {
			// The same order twice in one file: exports repeat an order per line item; the
			// later line wins only if it is identical, otherwise it is an error.
			if cs[first].hash() != c.hash() {
				rep.Errors = append(rep.Errors, RowError{Row: r.row, Column: colName("external_id"), Code: "duplicate"})
			}
			continue
		}
		seen[k] = len(cs)
		cs = append(cs, c)
	}
	if len(rep.Errors) > 0 {
		sort.SliceStable(rep.Errors, func(i, j int) bool {
			if rep.Errors[i].Row != rep.Errors[j].Row {
				return rep.Errors[i].Row < rep.Errors[j].Row
			}
			return rep.Errors[i].Column < rep.Errors[j].Column
		})
		fields := map[string]httpx.FieldError{}
		for _, e := range rep.Errors {
			fields[fmt.Sprintf("row %d: %s", e.Row, e.Column)] = httpx.FieldError{Code: e.Code}
		}
		return rep, &httpx.Error{Code: httpx.Invalid, Key: "import_failed", Message: "the file has bad rows; nothing was imported", Fields: fields}
	}
	if opts.DryRun {
		res, err := s.preview(ctx, tenantID, cs)
		rep.Created, rep.Updated, rep.Unchanged = res.Created, res.Updated, res.Unchanged
		return rep, err
	}
	res, err := s.write(ctx, tenantID, cs)
	if err != nil {
		return rep, err
	}
	rep.Created, rep.Updated, rep.Unchanged = res.Created, res.Updated, res.Unchanged
	if _, err := s.BindPending(ctx, tenantID); err != nil {
		return rep, err
	}
	return rep, nil
}

func hasError(errs []RowError, row int) bool {
	for _, e := range errs {
		if e.Row == row {
			return true
		}
	}
	return false
}

// unitByName finds an org unit by id or exact name; 0 when none.
func (s *Service) unitByName(ctx context.Context, tenantID int64, ref string) (int64, error) {
	var id int64
	n, _ := strconv.ParseInt(ref, 10, 64)
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM org_units WHERE tenant_id = ? AND (name = ? OR id = ?) ORDER BY id LIMIT 1`, tenantID, ref, n)
	if err != nil {
		return 0, fmt.Errorf("order: store %q: %w", ref, err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
	}
	return id, rows.Err()
}
