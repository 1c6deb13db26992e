package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Custom fields, imports and exports in the whole-program tables (through moreCases, moreObjects,
// moreInvalid and moreSnapshot), and their HTTP flow end to end.

const importCSV = "姓名,手机号\n顾客乙,13700000001\n"

func newField(t *testing.T, a *app.App, ctx context.Context) int64 {
	t.Helper()
	f, err := a.Customers.CreateField(ctx, customer.FieldInput{Key: uniq("f"), Label: uniq("字段"), Type: customer.FieldText})
	if err != nil {
		t.Fatal(err)
	}
	return f.ID
}

func newImport(t *testing.T, a *app.App, ctx context.Context) int64 {
	t.Helper()
	j, err := a.Customers.CreateImport(ctx, "c.csv", []byte(importCSV))
	if err != nil {
		t.Fatal(err)
	}
	return j.ID
}

func init() {
	for k, v := range map[string][6]int{
		"GET /api/v1/customer-fields":         {200, 200, 200, 200, 200, 200},
		"POST /api/v1/customer-fields":        {201, 201, 403, 403, 403, 403},
		"PATCH /api/v1/customer-fields/{id}":  {200, 200, 403, 403, 403, 403},
		"DELETE /api/v1/customer-fields/{id}": {204, 204, 403, 403, 403, 403},
		// The other branch's customer: 404 for the manager and the guide.
		"GET /api/v1/customers/{id}/fields": {200, 200, 404, 404, 200, 200},
		"PUT /api/v1/customers/{id}/fields": {200, 200, 404, 404, 403, 200},
		// The table sends JSON; the upload wants multipart (415) once the caller may import.
		"POST /api/v1/customer-imports":          {415, 415, 403, 403, 403, 403},
		"GET /api/v1/customer-imports/{id}":      {200, 200, 403, 403, 403, 403},
		"POST /api/v1/customer-imports/{id}/run": {202, 202, 403, 403, 403, 403},
		"GET /api/v1/customers/export":           {200, 200, 200, 403, 200, 403},
	} {
		statuses[k] = v
	}
	moreCases = append(moreCases, func(t *testing.T, a *app.App, w *world) map[string]func(org.Role) call {
		job := newImport(t, a, w.ownerCtx)
		return map[string]func(org.Role) call{
			"GET /api/v1/customer-fields": func(org.Role) call { return call{"/api/v1/customer-fields", nil} },
			"POST /api/v1/customer-fields": func(org.Role) call {
				return call{"/api/v1/customer-fields", map[string]any{"key": uniq("k"), "label": uniq("等级"), "type": "select", "options": []string{"金卡"}}}
			},
			"PATCH /api/v1/customer-fields/{id}": func(org.Role) call {
				return call{fmt.Sprintf("/api/v1/customer-fields/%d", newField(t, a, w.ownerCtx)), map[string]any{"label": uniq("改名")}}
			},
			"DELETE /api/v1/customer-fields/{id}": func(org.Role) call {
				return call{fmt.Sprintf("/api/v1/customer-fields/%d", newField(t, a, w.ownerCtx)), nil}
			},
			"GET /api/v1/customers/{id}/fields": func(org.Role) call {
				return call{fmt.Sprintf("/api/v1/customers/%d/fields", w.southCustomer), nil}
			},
			"PUT /api/v1/customers/{id}/fields": func(org.Role) call {
				return call{fmt.Sprintf("/api/v1/customers/%d/fields", w.southCustomer), map[string]any{"remark": uniq("备注")}}
			},
			"POST /api/v1/customer-imports": func(org.Role) call { return call{"/api/v1/customer-imports", map[string]any{}} },
			"GET /api/v1/customer-imports/{id}": func(org.Role) call {
				return call{fmt.Sprintf("/api/v1/customer-imports/%d", job), nil}
			},
			"POST /api/v1/customer-imports/{id}/run": func(org.Role) call {
				return call{fmt.Sprintf("/api/v1/customer-imports/%d/run", newImport(t, a, w.ownerCtx)),
					map[string]any{"mapping": []string{"name", "phone"}, "mode": "skip_bad", "dry_run": true}}
			},
			"GET /api/v1/customers/export": func(org.Role) call { return call{"/api/v1/customers/export?format=csv", nil} },
		}
	})
	moreObjects = append(moreObjects, func(t *testing.T, a *app.App, w *world) map[string]int64 {
		bOwner := org.WithCaller(context.Background(), org.Caller{TenantID: w.b.ID, TenantSlug: w.b.Slug, Role: org.Owner})
		return map[string]int64{"/api/v1/customer-fields/": newField(t, a, bOwner), "/api/v1/customer-imports/": newImport(t, a, bOwner)}
	})
	moreInvalid = append(moreInvalid, func(t *testing.T, a *app.App, w *world) map[string]badCase {
		field, job := newField(t, a, w.ownerCtx), newImport(t, a, w.ownerCtx)
		return map[string]badCase{
			"POST /api/v1/customer-fields": {"/api/v1/customer-fields", map[string]any{"key": "Bad Key", "label": "", "type": "colour"},
				[]string{"key", "label", "type"}},
			"PATCH /api/v1/customer-fields/{id}": {fmt.Sprintf("/api/v1/customer-fields/%d", field), map[string]any{"label": " ", "sort": -1},
				[]string{"label", "sort"}},
			"PUT /api/v1/customers/{id}/fields": {fmt.Sprintf("/api/v1/customers/%d/fields", w.guideCustomer),
				map[string]any{"birthday": "1990-02-30", "remark": strings.Repeat("长", 501), "fields": map[string]any{"nope": 1}},
				[]string{"birthday", "remark", "fields.nope"}},
			"POST /api/v1/customer-imports/{id}/run": {fmt.Sprintf("/api/v1/customer-imports/%d/run", job),
				map[string]any{"mapping": []string{"name"}, "mode": "maybe"}, []string{"mapping", "mode"}},
		}
	})
	moreSnapshot = append(moreSnapshot,
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM customer_fields",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM customer_field_values",
		"SELECT COUNT(*), COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM import_jobs",
		"SELECT COUNT(*), COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM audit_log")
}

// upload posts a file as multipart/form-data.
func (c *client) uploadField(path, field, name string, content []byte) response {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if field != "" {
		fw, _ := mw.CreateFormFile(field, name)
		fw.Write(content)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b}
}

// TestCustomerImportExportAPI: upload, mapping, dry run, background import polled to the end,
// the profile shows the values; bad uploads change nothing; exports are masked for analysts,
// downloadable, and audit-logged.
func TestCustomerImportExportAPI(t *testing.T) {
	engines(t, func(t *testing.T, a *app.App, srv *httptest.Server) {
		w := build(t, a, srv)
		owner := w.users[org.Owner]
		if r := owner.do("POST", "/api/v1/customer-fields", map[string]any{"key": "level", "label": "会员等级", "type": "select", "options": []string{"金卡", "银卡"}}); r.Status != 201 {
			t.Fatalf("field: %d %s", r.Status, r.Body)
		}
		before := snapshot(t, a)
		for _, bad := range []struct {
			name, field, file string
			body              []byte
			status            int
		}{
			{"no file", "", "", nil, 400},
			{"wrong field", "upload", "a.csv", []byte(importCSV), 400},
			{"not a spreadsheet", "file", "a.txt", []byte("x"), 400},
			{"broken xlsx", "file", "a.xlsx", []byte("PK nope"), 400},
		} {
			if r := owner.uploadField("/api/v1/customer-imports", bad.field, bad.file, bad.body); r.Status != bad.status || !strings.Contains(string(r.Body), `"file"`) {
				t.Errorf("%s: %d %s", bad.name, r.Status, r.Body)
			}
		}
		if after := snapshot(t, a); after != before {
			t.Errorf("bad uploads wrote:\n%s\n%s", before, after)
		}
		file := "name,mobile,会员等级,备注\n顾客丁,13700000011,金卡,喜欢喝茶\n顾客戊,137000000xx,银卡,\n"
		r := owner.uploadField("/api/v1/customer-imports", "file", "new.csv", []byte(file))
		var job customer.ImportJob
		if r.Status != 201 || json.Unmarshal(r.Body, &job) != nil {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		if fmt.Sprint(job.Mapping) != "[name phone field:level remark]" || len(job.Sample) != 2 {
			t.Errorf("proposed mapping %v sample %v", job.Mapping, job.Sample)
		}
		poll := func() customer.ImportJob {
			t.Helper()
			deadline := time.Now().Add(20 * time.Second)
			for {
				var j customer.ImportJob
				r := owner.do("GET", fmt.Sprintf("/api/v1/customer-imports/%d", job.ID), nil)
				if r.Status != 200 || json.Unmarshal(r.Body, &j) != nil {
					t.Fatalf("poll: %d %s", r.Status, r.Body)
				}
				if j.Status == customer.ImportDone || j.Status == customer.ImportRejected || j.Status == customer.ImportFailed {
					return j
				}
				if time.Now().After(deadline) {
					t.Fatalf("import still %s", j.Status)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		run := func(mode string, dry bool) int {
			return owner.do("POST", fmt.Sprintf("/api/v1/customer-imports/%d/run", job.ID),
				map[string]any{"mapping": job.Mapping, "mode": mode, "dry_run": dry}).Status
		}
		if s := run("all_or_nothing", true); s != 202 {
			t.Fatalf("dry run: %d", s)
		}
		if j := poll(); j.Status != customer.ImportRejected || j.Failed != 1 || j.Errors[0].Row != 3 || j.Errors[0].Field != "phone" {
			t.Errorf("dry run result: %+v", j)
		}
		if s := run("skip_bad", false); s != 202 {
			t.Fatalf("import: %d", s)
		}
		j := poll()
		if j.Status != customer.ImportDone || j.Created != 1 || j.Failed != 1 {
			t.Fatalf("import result: %+v", j)
		}
		if s := run("skip_bad", false); s != 409 {
			t.Errorf("running an imported job again: %d", s)
		}
		// The imported customer, by its phone.
		p, err := a.Customers.ByIdentity(context.Background(), w.a.ID, customer.IdentityPhone, "+8613700000011")
		if err != nil {
			t.Fatal(err)
		}
		r = owner.do("GET", fmt.Sprintf("/api/v1/customers/%d", p.ID), nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"fields":{"level":"金卡"}`) || !strings.Contains(string(r.Body), `"remark":"喜欢喝茶"`) {
			t.Errorf("detail: %d %s", r.Status, r.Body)
		}
		// Exports: the owner sees the phone, the analyst a masked one; both are audit-logged.
		r = owner.do("GET", "/api/v1/customers/export?format=csv&lang=en", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), "+8613700000011") || !strings.Contains(string(r.Body), "Phone") {
			t.Errorf("owner export: %d %s", r.Status, r.Body)
		}
		r = w.users[org.Analyst].do("GET", "/api/v1/customers/export?format=csv", nil)
		if r.Status != 200 || strings.Contains(string(r.Body), "13700000011") || !strings.Contains(string(r.Body), "137****0011") || strings.Contains(string(r.Body), "顾客丁") {
			t.Errorf("analyst export: %d %s", r.Status, r.Body)
		}
		if r := w.users[org.Analyst].do("GET", "/api/v1/customers/export?q=%E9%A1%BE", nil); r.Status != 400 {
			t.Errorf("analyst searching names in an export: %d", r.Status)
		}
		if r := owner.do("GET", "/api/v1/customers/export?format=pdf", nil); r.Status != 400 || !strings.Contains(string(r.Body), `"format"`) {
			t.Errorf("bad format: %d %s", r.Status, r.Body)
		}
		var n int
		if err := a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE tenant_id = ? AND action = 'customer.export'`, w.a.ID).Scan(&n); err != nil || n != 2 {
			t.Errorf("audit rows %d %v, want 2", n, err)
		}
	})
}
