package customer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/siyu-scrm/siyu/internal/audit"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

func as(tenantID int64, role org.Role) context.Context {
	return org.WithCaller(context.Background(), org.Caller{TenantID: tenantID, Role: role, Username: string(role)})
}

// dataWorld is a tenant with a tag library and custom fields.
func dataWorld(t *testing.T, db *store.DB) (*customer.Service, int64, int64) {
	t.Helper()
	svc, tenantID, staff := setup(t, db)
	if _, err := svc.ApplyTags(context.Background(), tenantID, []wecom.TagGroup{{GroupID: "g1", GroupName: "等级",
		Tag: []wecom.CorpTag{{ID: "t1", Name: "VIP"}, {ID: "t2", Name: "新客"}, {ID: "t3", Name: "复购"}}}}); err != nil {
		t.Fatal(err)
	}
	owner := as(tenantID, org.Owner)
	for _, in := range []customer.FieldInput{
		{Key: "level", Label: "会员等级", Type: customer.FieldSelect, Options: []string{"普通", "银卡", "金卡"}, Sort: 1},
		{Key: "hobbies", Label: "爱好", Type: customer.FieldMultiSelect, Options: []string{"跑步", "瑜伽", "阅读"}, Sort: 2},
		{Key: "spend", Label: "年消费", Type: customer.FieldNumber, Sort: 3},
		{Key: "anniversary", Label: "纪念日", Type: customer.FieldDate, Sort: 4},
		{Key: "company", Label: "公司", Type: customer.FieldText, Sort: 5},
	} {
		if _, err := svc.CreateField(owner, in); err != nil {
			t.Fatalf("create field %s: %v", in.Key, err)
		}
	}
	return svc, tenantID, staff
}

func fieldCodes(err error) map[string]string {
	e, ok := err.(*httpx.Error)
	if !ok {
		return map[string]string{"error": fmt.Sprint(err)}
	}
	out := map[string]string{}
	for k, f := range e.Fields {
		out[k] = f.Code
	}
	return out
}

func TestCustomFieldDefinitions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := dataWorld(t, db)
		owner := as(tenantID, org.Owner)
		bad := []struct {
			in   customer.FieldInput
			want map[string]string
		}{
			{customer.FieldInput{Key: "Level", Label: "x", Type: "text"}, map[string]string{"key": "invalid"}},
			{customer.FieldInput{Key: "phone", Label: "x", Type: "text"}, map[string]string{"key": "invalid"}},
			{customer.FieldInput{Key: "a", Label: "", Type: "colour"}, map[string]string{"label": "required", "type": "invalid"}},
			{customer.FieldInput{Key: "b", Label: "b", Type: "select"}, map[string]string{"options": "required"}},
			{customer.FieldInput{Key: "c", Label: "c", Type: "text", Options: []string{"x"}}, map[string]string{"options": "not_allowed"}},
			{customer.FieldInput{Key: "d", Label: "d", Type: "select", Options: []string{"x", "x"}}, map[string]string{"options": "invalid"}},
			{customer.FieldInput{Key: "level", Label: "另一个", Type: "text"}, map[string]string{"key": "taken"}},
			{customer.FieldInput{Key: "e", Label: "会员等级", Type: "text"}, map[string]string{"label": "taken"}},
			{customer.FieldInput{Key: "f", Label: "手机号", Type: "text"}, map[string]string{"label": "taken"}},
		}
		for _, tc := range bad {
			_, err := svc.CreateField(owner, tc.in)
			if diff := cmp.Diff(tc.want, fieldCodes(err)); diff != "" {
				t.Errorf("create %+v (-want +got):\n%s", tc.in, diff)
			}
		}
		fields, err := svc.Fields(owner)
		if err != nil || len(fields) != 5 || fields[0].Key != "level" {
			t.Fatalf("fields: %+v %v", fields, err)
		}
		level := fields[0]
		archived := true
		f, err := svc.UpdateField(owner, level.ID, customer.FieldPatch{Label: sptr("等级"), Options: &[]string{"普通", "金卡"}, Archived: &archived})
		if err != nil || f.Label != "等级" || len(f.Options) != 2 || !f.Archived {
			t.Fatalf("update: %+v %v", f, err)
		}
		if _, err := svc.UpdateField(owner, level.ID, customer.FieldPatch{Options: &[]string{}}); fieldCodes(err)["options"] != "required" {
			t.Errorf("select without options: %v", err)
		}
		if _, err := svc.UpdateField(as(tenantID+1000, org.Owner), level.ID, customer.FieldPatch{Label: sptr("x")}); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("another tenant's field: %v", err)
		}
	})
}

func sptr[T any](v T) *T { return &v }

func TestProfileValues(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := dataWorld(t, db)
		ctx := context.Background()
		owner := as(tenantID, org.Owner)
		a, err := svc.ApplyContact(ctx, tenantID, wecom.ExternalContact{ExternalUserID: "wmP", Name: "周芷若"}, []customer.Follow{{UserID: "guide01"}})
		if err != nil {
			t.Fatal(err)
		}
		raw := func(s string) json.RawMessage { return json.RawMessage(s) }
		_, err = svc.SetProfile(owner, a.CustomerID, customer.ProfileInput{Birthday: sptr("1990-02-30"), Remark: sptr(strings.Repeat("长", 501)),
			Fields: map[string]json.RawMessage{"level": raw(`"钻石"`), "spend": raw(`"12"`), "hobbies": raw(`["跑步","游泳"]`), "nope": raw(`1`),
				"anniversary": raw(`"2020/13/01"`)}})
		want := map[string]string{"birthday": "invalid", "remark": "too_long", "fields.level": "not_option", "fields.spend": "invalid",
			"fields.hobbies": "not_option", "fields.nope": "not_found", "fields.anniversary": "invalid"}
		if diff := cmp.Diff(want, fieldCodes(err)); diff != "" {
			t.Errorf("bad values (-want +got):\n%s", diff)
		}
		before := countEvents(t, db, tenantID, customer.EventProfileEdited)
		got, err := svc.SetProfile(owner, a.CustomerID, customer.ProfileInput{Birthday: sptr("1990-02-28"), Remark: sptr("喜欢安静"),
			Fields: map[string]json.RawMessage{"level": raw(`"金卡"`), "spend": raw(`12800.5`), "hobbies": raw(`["阅读","跑步"]`),
				"anniversary": raw(`"2020-05-20"`), "company": raw(`"峨眉"`)}})
		if err != nil {
			t.Fatal(err)
		}
		wantFields := map[string]any{"level": "金卡", "spend": 12800.5, "hobbies": []any{"跑步", "阅读"}, "anniversary": "2020-05-20", "company": "峨眉"}
		if diff := cmp.Diff(wantFields, got.Fields); diff != "" || *got.Birthday != "1990-02-28" || got.Remark != "喜欢安静" {
			t.Errorf("values (-want +got):\n%s %+v", diff, got)
		}
		// The same again changes nothing and adds no timeline entry.
		if _, err := svc.SetProfile(owner, a.CustomerID, customer.ProfileInput{Remark: sptr("喜欢安静"),
			Fields: map[string]json.RawMessage{"level": raw(`"金卡"`)}}); err != nil {
			t.Fatal(err)
		}
		if n := countEvents(t, db, tenantID, customer.EventProfileEdited); n != before+1 {
			t.Errorf("profile events %d, want %d", n, before+1)
		}
		// Detail shows them; analysts see no birthday, remark, text or date values.
		d, err := svc.Get(owner, a.CustomerID)
		if err != nil || d.Remark != "喜欢安静" || d.Fields["level"] != "金卡" {
			t.Fatalf("detail: %+v %v", d, err)
		}
		an, err := svc.Get(as(tenantID, org.Analyst), a.CustomerID)
		if err != nil || an.Birthday != nil || an.Remark != "" || an.Fields["company"] != nil || an.Fields["anniversary"] != nil || an.Fields["level"] != "金卡" {
			t.Errorf("analyst detail: %+v %v", an, err)
		}
		if _, err := svc.SetProfile(as(tenantID, org.Analyst), a.CustomerID, customer.ProfileInput{Remark: sptr("x")}); httpx.ErrorCode(err) != httpx.Forbidden {
			t.Errorf("analyst writing: %v", err)
		}
		// null removes; deleting a field removes its values.
		got, err = svc.SetProfile(owner, a.CustomerID, customer.ProfileInput{Fields: map[string]json.RawMessage{"company": raw(`null`)}})
		if err != nil || got.Fields["company"] != nil {
			t.Errorf("remove: %+v %v", got, err)
		}
		fields, _ := svc.Fields(owner)
		if err := svc.DeleteField(owner, fields[0].ID); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_field_values WHERE tenant_id = ? AND field_id = ?`, tenantID, fields[0].ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("values of a deleted field: %d %v", n, err)
		}
	})
}

func TestAutoMapping(t *testing.T) {
	fields := []customer.Field{{Key: "level", Label: "会员等级"}, {Key: "old", Label: "旧字段", Archived: true}}
	got := customer.AutoMapping([]string{"姓名", "手机号码*", "Gender", "生日（YYYY-MM-DD）", "客户标签", "Remark", "会员等级", "旧字段", "电话", "level", "其他"}, fields)
	want := []string{"name", "phone", "gender", "birthday", "tags", "remark", "field:level", "", "", "", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}
}

// xlsxFile builds an XLSX whose rows are placed at the given row numbers (gaps stay blank).
func xlsxFile(t testing.TB, rows map[int][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for n, cells := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func csvFile(rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(rows)
	return buf.Bytes()
}

// counts summarises the tables an import writes.
func counts(t *testing.T, db *store.DB, tenantID int64) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"customers", "customer_identities", "customer_tags", "customer_field_values", "customer_events"} {
		var n int
		var last string
		col := "created_at"
		if table == "customers" || table == "customer_field_values" {
			col = "updated_at"
		}
		if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*), COALESCE(CAST(MAX(`+col+`) AS TEXT), '') FROM `+table+` WHERE tenant_id = ?`, tenantID).
			Scan(&n, &last); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d/%s ", table, n, last)
	}
	return b.String()
}

func runImport(t *testing.T, svc *customer.Service, ctx context.Context, name string, content []byte, mode string, dry bool) customer.ImportJob {
	t.Helper()
	job, err := svc.CreateImport(ctx, name, content)
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	done, err := svc.RunImport(ctx, job.ID, customer.ImportRun{Mapping: job.Mapping, Mode: mode, DryRun: dry}, nil)
	if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return done
}

// TestImportCSV: Chinese headers detected, a dry run writes nothing, the import creates customers
// with phone identities, tags (source import) and custom fields, and importing the same file again
// changes nothing.
func TestImportCSV(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := dataWorld(t, db)
		ctx := context.Background()
		owner := as(tenantID, org.Owner)
		file := csvFile([][]string{
			{"姓名", "手机号", "性别", "生日", "标签", "备注", "会员等级", "爱好", "年消费", "纪念日"},
			{"张三", "13800000001", "男", "1990-05-20", "VIP，新客", "老客户", "金卡", "跑步,阅读", "1,200.50", "2020/1/2"},
			{"李四", "+86 138 0000 0002", "女", "1991/6/1", "", "", "", "", "", ""},
			{"", "", "", "", "", "", "", "", "", ""},
			{"王五", "138-0000-0003", "未知", "", "复购", "", "普通", "", "", ""},
		})
		job, err := svc.CreateImport(owner, "客户.csv", file)
		if err != nil {
			t.Fatal(err)
		}
		wantMap := []string{"name", "phone", "gender", "birthday", "tags", "remark", "field:level", "field:hobbies", "field:spend", "field:anniversary"}
		if diff := cmp.Diff(wantMap, job.Mapping); diff != "" || job.Status != customer.ImportUploaded || len(job.Sample) != 3 {
			t.Fatalf("upload: %s %+v", diff, job)
		}
		before := counts(t, db, tenantID)
		dry, err := svc.RunImport(owner, job.ID, customer.ImportRun{Mapping: job.Mapping, Mode: customer.ModeAllOrNothing, DryRun: true}, nil)
		if err != nil || dry.Status != customer.ImportDone || dry.Total != 3 || dry.OK != 3 || dry.Created != 3 || dry.Failed != 0 {
			t.Fatalf("dry run: %+v %v", dry, err)
		}
		if after := counts(t, db, tenantID); after != before {
			t.Errorf("dry run wrote:\n%s\n%s", before, after)
		}
		var progress []string
		done, err := svc.RunImport(owner, job.ID, customer.ImportRun{Mapping: job.Mapping, Mode: customer.ModeAllOrNothing},
			func(j customer.ImportJob) { progress = append(progress, j.Status) })
		if err != nil || done.Status != customer.ImportDone || done.Created != 3 || done.OK != 3 || done.FinishedAt == nil {
			t.Fatalf("import: %+v %v", done, err)
		}
		if !slices.Contains(progress, customer.ImportValidating) || !slices.Contains(progress, customer.ImportWriting) {
			t.Errorf("progress %v", progress)
		}
		if _, err := svc.RunImport(owner, job.ID, customer.ImportRun{Mapping: job.Mapping, Mode: customer.ModeAllOrNothing}, nil); httpx.ErrorCode(err) != httpx.Conflict {
			t.Errorf("running an imported job again: %v", err)
		}
		p, err := svc.ByIdentity(ctx, tenantID, customer.IdentityPhone, "+8613800000001")
		if err != nil || p.Name != "张三" || p.Gender != 1 {
			t.Fatalf("imported customer: %+v %v", p, err)
		}
		d, err := svc.Get(owner, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var tags []string
		for _, tg := range d.Tags {
			tags = append(tags, tg.Name+"/"+tg.Source)
		}
		slices.Sort(tags)
		wantFields := map[string]any{"level": "金卡", "hobbies": []any{"跑步", "阅读"}, "spend": 1200.5, "anniversary": "2020-01-02"}
		if d.Birthday == nil || *d.Birthday != "1990-05-20" || d.Remark != "老客户" || fmt.Sprint(tags) != "[VIP/import 新客/import]" ||
			!cmp.Equal(wantFields, d.Fields) {
			t.Errorf("profile: birthday %v remark %q tags %v fields %v", d.Birthday, d.Remark, tags, d.Fields)
		}
		if p2, err := svc.ByIdentity(ctx, tenantID, customer.IdentityPhone, "+8613800000002"); err != nil || p2.Gender != 2 {
			t.Errorf("second row: %+v %v", p2, err)
		}
		// The search rows the import wrote are what RefreshSearch writes, and the list finds
		// imported customers by name, pinyin and phone ending.
		index := func() string {
			var b strings.Builder
			rows, err := db.QueryContext(ctx, `SELECT s.customer_id, s.doc, s.name_key, (SELECT COUNT(*) FROM customer_search_terms t
				WHERE t.tenant_id = s.tenant_id AND t.customer_id = s.customer_id) FROM customer_search s WHERE s.tenant_id = ? ORDER BY s.customer_id`, tenantID)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id, n int64
				var doc, key string
				_ = rows.Scan(&id, &doc, &key, &n)
				fmt.Fprintf(&b, "%d|%s|%s|%d\n", id, doc, key, n)
			}
			return b.String()
		}
		imported := index()
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var ids []int64
			rows, err := tx.QueryContext(ctx, `SELECT id FROM customers WHERE tenant_id = ?`, tenantID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				_ = rows.Scan(&id)
				ids = append(ids, id)
			}
			rows.Close()
			return customer.RefreshSearch(ctx, tx, tenantID, ids...)
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(imported, index()); diff != "" || imported == "" {
			t.Errorf("search rows of imported customers differ from RefreshSearch's (-import +refresh):\n%s", diff)
		}
		for _, q := range []string{"张三", "zhangsan", "0001"} {
			page, err := svc.List(owner, customer.Filter{Query: q, Page: httpx.PageRequest{Limit: 10}})
			if err != nil || len(page.Items) != 1 || page.Items[0].ID != p.ID {
				t.Errorf("list q=%s: %+v %v", q, page.Items, err)
			}
		}
		// The same file again: nothing changes.
		mid := counts(t, db, tenantID)
		again := runImport(t, svc, owner, "客户.csv", file, customer.ModeAllOrNothing, false)
		if again.Created != 0 || again.Updated != 0 || again.Unchanged != 3 {
			t.Errorf("second import: %+v", again)
		}
		if after := counts(t, db, tenantID); after != mid {
			t.Errorf("second import changed data:\n%s\n%s", mid, after)
		}
		// English headers, another order: updates the existing customer, empty cells keep values.
		upd := csvFile([][]string{{"Phone", "Name", "Remark"}, {"13800000001", "张三丰", ""}})
		u := runImport(t, svc, owner, "update.csv", upd, customer.ModeAllOrNothing, false)
		if u.Updated != 1 || u.Created != 0 {
			t.Errorf("update: %+v", u)
		}
		d, _ = svc.Get(owner, p.ID)
		if d.Name != "张三丰" || d.Remark != "老客户" {
			t.Errorf("after update: %q %q", d.Name, d.Remark)
		}
		var n int
		_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE tenant_id = ?`, tenantID).Scan(&n)
		if n != 3 {
			t.Errorf("%d customers, want 3 (one per person)", n)
		}
		// A GB18030 CSV as Excel on Chinese Windows writes it.
		gbk := []byte{0xd0, 0xd5, 0xc3, 0xfb, ',', 0xca, 0xd6, 0xbb, 0xfa, 0xba, 0xc5, '\n', 0xd5, 0xd4, 0xc1, 0xf9, ',', '1', '3', '8', '0', '0', '0', '0', '0', '0', '0', '9', '\n'}
		g := runImport(t, svc, owner, "gbk.csv", gbk, customer.ModeAllOrNothing, false)
		if g.Created != 1 {
			t.Fatalf("gbk import: %+v", g)
		}
		if p, err := svc.ByIdentity(ctx, tenantID, customer.IdentityPhone, "+8613800000009"); err != nil || p.Name != "赵六" {
			t.Errorf("gbk customer: %+v %v", p, err)
		}
	})
}

// TestImportFiveBadRows: an XLSX with exactly five bad rows reports exactly those rows with the
// numbers the spreadsheet shows (a blank row in between keeps its number); all-or-nothing writes
// nothing, skip-bad writes the good rows.
func TestImportFiveBadRows(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := dataWorld(t, db)
		owner := as(tenantID, org.Owner)
		rows := map[int][]any{1: {"name", "mobile", "gender", "birthday", "tags", "会员等级"}}
		n := 2
		for i := 0; i < 20; i++ {
			if n == 7 {
				n++ // row 7 stays blank
			}
			rows[n] = []any{fmt.Sprintf("客户%d", i), fmt.Sprintf("1390000%04d", i), "女", "1995-01-01", "VIP", "银卡"}
			n++
		}
		// Rows 22 and 23 hold the last two customers. Break five rows, each in its own way.
		rows[3][1] = "12345"        // not a phone number
		rows[9][4] = "VIP,不存在"      // unknown tag
		rows[12][2] = "男的"          // gender
		rows[15][1] = "13900000000" // repeats row 2
		rows[21][5] = "钻石"          // not an option
		rows[18][0] = 20260101      // a number as a name is fine
		rows[18][3] = 32874         // birthday as an Excel date serial (1990-01-01)
		file := xlsxFile(t, rows)
		before := counts(t, db, tenantID)
		rej := runImport(t, svc, owner, "bad.xlsx", file, customer.ModeAllOrNothing, false)
		type bad struct {
			Row   int
			Field string
			Code  string
		}
		var got []bad
		for _, e := range rej.Errors {
			got = append(got, bad{e.Row, e.Field, e.Code})
		}
		want := []bad{{3, "phone", "invalid"}, {9, "tags", "not_found"}, {12, "gender", "invalid"}, {15, "phone", "duplicate"}, {21, "field:level", "not_option"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("row errors (-want +got):\n%s", diff)
		}
		if rej.Status != customer.ImportRejected || rej.Total != 20 || rej.Failed != 5 || rej.OK != 0 || rej.Created != 0 {
			t.Errorf("all-or-nothing: %+v", rej)
		}
		if !strings.Contains(rej.Errors[3].Message, "row 2") || rej.Errors[0].Column != "mobile" {
			t.Errorf("error detail: %+v", rej.Errors)
		}
		if after := counts(t, db, tenantID); after != before {
			t.Errorf("all-or-nothing with bad rows wrote:\n%s\n%s", before, after)
		}
		// The rejected upload can run again, skipping the bad rows.
		skip, err := svc.RunImport(owner, rej.ID, customer.ImportRun{Mapping: rej.Mapping, Mode: customer.ModeSkipBad}, nil)
		if err != nil || skip.Status != customer.ImportDone || skip.Created != 15 || skip.Failed != 5 || len(skip.Errors) != 5 {
			t.Fatalf("skip-bad: %+v %v", skip, err)
		}
		p, err := svc.ByIdentity(context.Background(), tenantID, customer.IdentityPhone, "+8613900000015")
		if err != nil {
			t.Fatal(err)
		}
		d, _ := svc.Get(owner, p.ID)
		if d.Name != "20260101" || d.Birthday == nil || *d.Birthday != "1990-01-01" {
			t.Errorf("row 18: %q %v", d.Name, d.Birthday)
		}
	})
}

func TestImportRejectsBadUploads(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, _ := dataWorld(t, db)
		owner := as(tenantID, org.Owner)
		for name, content := range map[string][]byte{"a.txt": []byte("x"), "a.csv": nil, "a.xlsx": []byte("not a zip"), "empty.csv": []byte("\n\n")} {
			if _, err := svc.CreateImport(owner, name, content); fieldCodes(err)["file"] == "" {
				t.Errorf("%s: %v", name, err)
			}
		}
		job, err := svc.CreateImport(owner, "x.csv", csvFile([][]string{{"姓名", "备注"}, {"a", "b"}}))
		if err != nil {
			t.Fatal(err)
		}
		for _, run := range []customer.ImportRun{
			{Mapping: job.Mapping, Mode: customer.ModeSkipBad},                     // no phone column
			{Mapping: []string{"name"}, Mode: customer.ModeSkipBad},                // wrong length
			{Mapping: []string{"phone", "field:nope"}, Mode: customer.ModeSkipBad}, // unknown field
			{Mapping: []string{"phone", "phone"}, Mode: customer.ModeSkipBad},      // twice
			{Mapping: []string{"phone", ""}, Mode: "maybe"},
		} {
			if _, err := svc.StartImport(owner, job.ID, run); httpx.ErrorCode(err) != httpx.Invalid {
				t.Errorf("run %+v: %v", run, err)
			}
		}
		if _, err := svc.GetImport(as(tenantID+1000, org.Owner), job.ID); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("another tenant's import: %v", err)
		}
	})
}

// TestExport: exports follow the caller's scope and filters, mask personal data for analysts,
// write an audit record each, and import back unchanged.
func TestExport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, tenantID, staff := dataWorld(t, db)
		ctx := context.Background()
		owner := as(tenantID, org.Owner)
		if _, err := svc.ApplyContact(ctx, tenantID, wecom.ExternalContact{ExternalUserID: "wmE", Name: "企微客户"}, []customer.Follow{{UserID: "guide01"}}); err != nil {
			t.Fatal(err)
		}
		file := csvFile([][]string{{"姓名", "手机号", "标签", "会员等级", "公司"}, {"张三", "13800000001", "VIP", "金卡", "峨眉"}, {"李四", "13800000002", "", "", ""}})
		runImport(t, svc, owner, "in.csv", file, customer.ModeAllOrNothing, false)

		export := func(ctx context.Context, f customer.Filter, format string) [][]string {
			t.Helper()
			var buf bytes.Buffer
			if _, err := svc.Export(ctx, customer.ExportRequest{Filter: f, Format: format, Lang: httpx.ZhCN}, &buf); err != nil {
				t.Fatalf("export: %v", err)
			}
			if format == customer.FormatCSV {
				recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\xef\xbb\xbf")))).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				return recs
			}
			x, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			recs, err := x.GetRows("Sheet1")
			if err != nil {
				t.Fatal(err)
			}
			return recs
		}
		all := export(owner, customer.Filter{}, customer.FormatCSV)
		if len(all) != 4 || all[0][1] != "姓名" || all[0][2] != "手机号" || !slices.Contains(all[0], "会员等级") {
			t.Fatalf("owner export: %v", all)
		}
		byName := map[string][]string{}
		for _, r := range all[1:] {
			byName[r[1]] = r
		}
		zs := byName["张三"]
		if zs == nil || zs[2] != "+8613800000001" || zs[5] != "VIP" || zs[len(zs)-1] != "峨眉" {
			t.Errorf("张三: %v", zs)
		}
		// Analysts: masked names and phones, no text fields.
		an := export(as(tenantID, org.Analyst), customer.Filter{}, customer.FormatXLSX)
		for _, r := range an[1:] {
			if strings.Contains(r[1], "三") || strings.Contains(r[2], "00000001") || (len(r) > 15 && r[15] != "") {
				t.Errorf("analyst row leaks: %v", r)
			}
		}
		if len(an) != 4 {
			t.Errorf("analyst rows: %d", len(an))
		}
		// A guide's scope: only their own customer; and the list filter applies.
		guide := org.WithCaller(ctx, org.Caller{TenantID: tenantID, Role: org.Guide, StaffID: staff, Username: "g"})
		if g := export(guide, customer.Filter{}, customer.FormatCSV); len(g) != 2 || g[1][1] != "企微客户" {
			t.Errorf("guide export: %v", g)
		}
		if lost := export(owner, customer.Filter{Status: "lost"}, customer.FormatCSV); len(lost) != 3 {
			t.Errorf("lost filter: %d rows", len(lost)-1)
		}
		entries, err := audit.List(ctx, db, tenantID, customer.ActionCustomerExport, 10)
		if err != nil || len(entries) != 4 {
			t.Fatalf("audit: %+v %v", entries, err)
		}
		var detail map[string]any
		_ = json.Unmarshal(entries[0].Detail.(json.RawMessage), &detail)
		if detail["rows"] != float64(2) || detail["filter"].(map[string]any)["status"] != "lost" || entries[1].Actor != "g" {
			t.Errorf("audit detail: %v %+v", detail, entries[1])
		}
		// The owner's export imports back without changing anything.
		var buf bytes.Buffer
		if _, err := svc.Export(owner, customer.ExportRequest{Format: customer.FormatXLSX, Lang: httpx.ZhCN}, &buf); err != nil {
			t.Fatal(err)
		}
		before := counts(t, db, tenantID)
		back := runImport(t, svc, owner, "back.xlsx", buf.Bytes(), customer.ModeSkipBad, false)
		if back.Created != 0 || back.Updated != 0 || back.Unchanged != 2 || back.Failed != 1 { // the WeCom customer has no phone
			t.Errorf("re-import: %+v", back)
		}
		if after := counts(t, db, tenantID); after != before {
			t.Errorf("re-import changed data:\n%s\n%s", before, after)
		}
	})
}
