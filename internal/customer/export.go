package customer

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/audit"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/sheet"
)

// Customer export to CSV or XLSX: the customers a list filter shows in the caller's scope, with
// their phone numbers, tags, profile and custom fields. Personal data is masked for roles without
// access to it, exactly as on screen. Every export is written to the audit log (who, the filter,
// how many rows). The columns carry the import's header names, so an exported file imports back.

// ActionCustomerExport is the audit action of an export.
const ActionCustomerExport = "customer.export"

// ExportRequest says what to export.
type ExportRequest struct {
	Filter Filter
	Format string // csv or xlsx
	Lang   httpx.Lang
	// Via says where the export came from for the audit log: api or cli.
	Via string
}

// exportHeaders are the built-in columns in both languages.
var exportHeaders = map[httpx.Lang][]string{
	httpx.ZhCN: {"客户ID", "姓名", "手机号", "性别", "生日", "标签", "备注", "跟进员工", "首次添加时间", "来源渠道", "状态"},
	httpx.En:   {"Customer ID", "Name", "Phone", "Gender", "Birthday", "Tags", "Remark", "Staff", "First added", "Channel", "Status"},
}

var genderText = map[httpx.Lang][3]string{httpx.ZhCN: {"未知", "男", "女"}, httpx.En: {"unknown", "male", "female"}}
var statusText = map[httpx.Lang][2]string{httpx.ZhCN: {"跟进中", "已流失"}, httpx.En: {"active", "lost"}}

// writeRow writes text cells (phone numbers and ids keep their digits in XLSX; CSV cells that
// look like formulas are defused by the sheet package).
func writeRow(out sheet.Writer, cells []string) error {
	vals := make([]any, len(cells))
	for i, c := range cells {
		vals[i] = c
	}
	return out.Write(vals...)
}

// Export writes the customers of f in the caller's scope to w and records the export in the
// audit log. It returns the number of customers written.
func (s *Service) Export(ctx context.Context, req ExportRequest, w io.Writer) (int, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return 0, err
	}
	sc := org.ScopeOf(c)
	where, args, err := s.filterSQL(ctx, c, req.Filter)
	if err != nil {
		return 0, err
	}
	if req.Lang != httpx.En {
		req.Lang = httpx.ZhCN
	}
	var out sheet.Writer
	switch req.Format {
	case FormatCSV:
		out, err = sheet.NewWriter(w, sheet.CSV)
	case FormatXLSX:
		out, err = sheet.NewWriter(w, sheet.XLSX)
	default:
		return 0, httpx.FieldErr("format", "invalid")
	}
	if err != nil {
		return 0, fmt.Errorf("customer: export: %w", err)
	}
	defs, err := s.fieldDefs(ctx, s.db, c.TenantID)
	if err != nil {
		return 0, err
	}
	var fields []Field
	for _, f := range defs {
		if !f.Archived {
			fields = append(fields, f)
		}
	}
	header := append([]string(nil), exportHeaders[req.Lang]...)
	for _, f := range fields {
		header = append(header, f.Label)
	}
	if err := writeRow(out, header); err != nil {
		return 0, fmt.Errorf("customer: export: %w", err)
	}
	n, err := s.exportRows(ctx, c.TenantID, sc, where, args, fields, req.Lang, out)
	if err == nil {
		err = out.Close()
	}
	if err != nil {
		return n, fmt.Errorf("customer: export: %w", err)
	}
	via := req.Via
	if via == "" {
		via = "api"
	}
	entry := audit.Entry{TenantID: c.TenantID, UserID: c.UserID, Actor: actorOf(c), Action: ActionCustomerExport,
		Detail: map[string]any{"filter": filterDetail(req.Filter), "format": req.Format, "rows": n, "via": via, "masked": !sc.PersonalData}}
	if err := audit.Record(ctx, s.db, entry); err != nil {
		return n, err
	}
	return n, nil
}

// filterDetail is the filter of an export as the audit log records it.
func filterDetail(f Filter) map[string]any {
	d := map[string]any{}
	add := func(k string, v any, set bool) {
		if set {
			d[k] = v
		}
	}
	add("q", f.Query, f.Query != "")
	add("staff_id", f.StaffID, f.StaffID != 0)
	add("org_unit_id", f.OrgUnitID, f.OrgUnitID != 0)
	add("status", f.Status, f.Status != "")
	add("state", f.State, f.State != "")
	add("owner_id", f.OwnerID, f.OwnerID != 0)
	add("tag_ids", f.TagIDs, len(f.TagIDs) > 0)
	add("tag_mode", f.TagMode, len(f.TagIDs) > 0)
	add("added_from", f.AddedFrom, !f.AddedFrom.IsZero())
	add("added_to", f.AddedTo, !f.AddedTo.IsZero())
	add("fields", f.Fields, len(f.Fields) > 0)
	return d
}

// exportRows writes the customers in pages of 1000 ids.
func (s *Service) exportRows(ctx context.Context, tenantID int64, sc org.Scope, where string, args []any, fields []Field,
	lang httpx.Lang, out sheet.Writer) (int, error) {
	type row struct {
		id       int64
		name     string
		gender   int
		birthday sql.NullString
		remark   string
		first    sql.NullTime
		state    string
		lost     bool
	}
	total := 0
	var after int64
	for {
		q := `SELECT c.id, c.name, c.gender, c.birthday, c.remark, c.first_added_at, c.first_state,
			NOT EXISTS (SELECT 1 FROM customer_staff a WHERE a.tenant_id = c.tenant_id AND a.customer_id = c.id AND a.status = 'active')
			FROM customers c WHERE ` + where + ` AND c.id > ? ORDER BY c.id LIMIT 1000`
		rs, err := s.db.QueryContext(ctx, q, append(append([]any(nil), args...), after)...)
		if err != nil {
			return total, err
		}
		var page []row
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.id, &r.name, &r.gender, &r.birthday, &r.remark, &r.first, &r.state, &r.lost); err != nil {
				rs.Close()
				return total, err
			}
			page = append(page, r)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return total, err
		}
		if len(page) == 0 {
			return total, nil
		}
		ids := make([]int64, len(page))
		for i, r := range page {
			ids[i] = r.id
		}
		extra, err := s.exportExtras(ctx, tenantID, ids)
		if err != nil {
			return total, err
		}
		for _, r := range page {
			x := extra[r.id]
			name, phones, birthday, remark := r.name, x.phones, r.birthday.String, r.remark
			if !sc.PersonalData {
				name, birthday, remark = org.MaskName(name), "", ""
				for i := range phones {
					phones[i] = org.MaskMobile(phones[i])
				}
			}
			first := ""
			if r.first.Valid {
				first = r.first.Time.UTC().Format(time.RFC3339)
			}
			status := statusText[lang][0]
			if r.lost {
				status = statusText[lang][1]
			}
			gender := ""
			if r.gender >= 0 && r.gender <= 2 {
				gender = genderText[lang][r.gender]
			}
			cells := []string{fmt.Sprint(r.id), name, strings.Join(phones, ";"), gender, birthday, strings.Join(x.tags, ","), remark,
				strings.Join(x.staff, ","), first, r.state, status}
			for _, f := range fields {
				v, ok := x.fields[f.ID]
				if !ok || (!sc.PersonalData && (f.Type == FieldText || f.Type == FieldDate)) {
					cells = append(cells, "")
					continue
				}
				cells = append(cells, valueText(v))
			}
			if err := writeRow(out, cells); err != nil {
				return total, err
			}
			total++
		}
		after = page[len(page)-1].id
	}
}

// valueText writes a stored value as a cell: multiselect options joined by commas.
func valueText(stored string) string {
	switch v := decodeValue(stored).(type) {
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, p := range v {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ",")
	case float64:
		return stored
	default:
		return fmt.Sprint(v)
	}
}

type exportExtra struct {
	phones []string
	tags   []string
	staff  []string
	fields map[int64]string
}

// exportExtras loads phones, tag names, active staff names and field values of a page.
func (s *Service) exportExtras(ctx context.Context, tenantID int64, ids []int64) (map[int64]*exportExtra, error) {
	out := make(map[int64]*exportExtra, len(ids))
	args := []any{tenantID}
	for _, id := range ids {
		out[id] = &exportExtra{fields: map[int64]string{}}
		args = append(args, id)
	}
	in := `(?` + strings.Repeat(", ?", len(ids)-1) + `)`
	queries := []struct {
		q   string
		add func(x *exportExtra, v string, fid int64)
	}{
		{`SELECT customer_id, value, 0 FROM customer_identities WHERE tenant_id = ? AND kind = 'phone' AND customer_id IN ` + in + ` ORDER BY created_at, value`,
			func(x *exportExtra, v string, _ int64) { x.phones = append(x.phones, v) }},
		{`SELECT DISTINCT ct.customer_id, t.name, t.id FROM customer_tags ct JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id
			WHERE ct.tenant_id = ? AND t.deleted = FALSE AND ct.customer_id IN ` + in + ` ORDER BY t.id`,
			func(x *exportExtra, v string, _ int64) { x.tags = append(x.tags, v) }},
		{`SELECT cs.customer_id, COALESCE(st.name, cs.wecom_userid), 0 FROM customer_staff cs
			LEFT JOIN staff st ON st.tenant_id = cs.tenant_id AND st.id = cs.staff_id
			WHERE cs.tenant_id = ? AND cs.status = 'active' AND cs.customer_id IN ` + in + ` ORDER BY cs.added_at`,
			func(x *exportExtra, v string, _ int64) { x.staff = append(x.staff, v) }},
		{`SELECT customer_id, value, field_id FROM customer_field_values WHERE tenant_id = ? AND customer_id IN ` + in,
			func(x *exportExtra, v string, fid int64) { x.fields[fid] = v }},
	}
	for _, q := range queries {
		rows, err := s.db.QueryContext(ctx, q.q, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, n int64
			var v string
			if err := rows.Scan(&id, &v, &n); err != nil {
				rows.Close()
				return nil, err
			}
			q.add(out[id], v, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
