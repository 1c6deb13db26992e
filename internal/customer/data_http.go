package customer

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// DataRoutes lists custom fields, profile field values, imports and exports.
func (s *Service) DataRoutes() []httpx.Route {
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/customer-fields", Perm: org.PermCustomerRead, Tag: "customer fields", Summary: "The tenant's custom profile fields, archived ones included",
			Response: struct {
				Items []Field `json:"items"`
			}{}, Handler: s.handleFields},
		{Method: "POST", Path: "/api/v1/customer-fields", Perm: org.PermSettingsWrite, Tag: "customer fields", Summary: "Define a custom field",
			Request: FieldInput{}, Response: Field{}, Status: http.StatusCreated, Handler: httpx.Create(s.CreateField)},
		{Method: "PATCH", Path: "/api/v1/customer-fields/{id}", Perm: org.PermSettingsWrite, Tag: "customer fields", Summary: "Change a custom field's label, options, order or archived flag",
			Request: FieldPatch{}, Response: Field{}, Handler: s.handleUpdateField},
		{Method: "DELETE", Path: "/api/v1/customer-fields/{id}", Perm: org.PermSettingsWrite, Tag: "customer fields", Summary: "Delete a custom field and every value of it",
			Status: http.StatusNoContent, Handler: httpx.Remove(s.DeleteField)},
		{Method: "GET", Path: "/api/v1/customers/{id}/fields", Perm: org.PermCustomerRead, Tag: "customer fields", Summary: "A customer's birthday, remark and custom field values",
			Response: ProfileValues{}, Handler: httpx.Read(s.ProfileOf)},
		{Method: "PUT", Path: "/api/v1/customers/{id}/fields", Perm: org.PermCustomerWrite, Tag: "customer fields", Summary: "Set a customer's birthday, remark and custom field values (members not given are kept; null removes a value)",
			Request: ProfileInput{}, Response: ProfileValues{}, Handler: s.handleSetProfile},
		{Method: "POST", Path: "/api/v1/customer-imports", Perm: org.PermCustomerImport, Tag: "imports", Summary: "Upload a CSV or XLSX file of customers (multipart, field file, at most 50 MB); answers the proposed column mapping",
			Form: struct {
				File []byte `form:"file" doc:"the .csv or .xlsx file; row 1 is the header"`
			}{}, Response: ImportJob{}, Status: http.StatusCreated, Handler: s.handleCreateImport},
		{Method: "GET", Path: "/api/v1/customer-imports/{id}", Perm: org.PermCustomerImport, Tag: "imports", Summary: "An import's status, progress and row errors (poll while it runs)",
			Response: ImportJob{}, Handler: httpx.Read(s.GetImport)},
		{Method: "POST", Path: "/api/v1/customer-imports/{id}/run", Perm: org.PermCustomerImport, Tag: "imports", Summary: "Run an uploaded import in the background (or a dry run) with a column mapping and a mode",
			Request: ImportRun{}, Response: ImportJob{}, Status: http.StatusAccepted, Handler: s.handleRunImport},
		{Method: "GET", Path: "/api/v1/customers/export", Perm: org.PermCustomerExport, Tag: "customers", Summary: "Download the customers of a list filter in my scope as CSV or XLSX (masked for roles without personal-data access; audit-logged)",
			Query: []httpx.Param{{Name: "format", Type: "string", Description: "xlsx (default) or csv"},
				{Name: "lang", Type: "string", Description: "zh-CN or en column headers (default: Accept-Language)"},
				{Name: "q", Type: "string", Description: "the customer list's filters: q, staff_id, status, state, …"}},
			Handler: s.handleExport},
	}
}

func (s *Service) handleFields(w http.ResponseWriter, r *http.Request) error {
	items, err := s.Fields(r.Context())
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

func (s *Service) handleUpdateField(w http.ResponseWriter, r *http.Request) error {
	id, in, err := httpx.IDAndBody[FieldPatch](r)
	if err != nil {
		return err
	}
	out, err := s.UpdateField(r.Context(), id, in)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleSetProfile(w http.ResponseWriter, r *http.Request) error {
	id, in, err := httpx.IDAndBody[ProfileInput](r)
	if err != nil {
		return err
	}
	out, err := s.SetProfile(r.Context(), id, in)
	return httpx.Reply(w, http.StatusOK, out, err)
}

// handleCreateImport reads the multipart upload (the one non-JSON write of the API).
func (s *Service) handleCreateImport(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return &httpx.Error{Code: httpx.UnsupportedMediaType, Key: "import_multipart", Message: "upload the file as multipart/form-data in the field file"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxImportSize+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return httpx.FieldErr("file", "required")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return httpx.FieldErr("file", "required")
		}
		if err != nil {
			return uploadErr(err)
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		content, err := io.ReadAll(io.LimitReader(part, MaxImportSize+1))
		part.Close()
		if err != nil {
			return uploadErr(err)
		}
		job, err := s.CreateImport(r.Context(), part.FileName(), content)
		return httpx.Reply(w, http.StatusCreated, job, err)
	}
}

func uploadErr(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &httpx.Error{Code: httpx.Invalid, Key: "import_too_large", Message: "the file is larger than 50 MB",
			Fields: map[string]httpx.FieldError{"file": {Code: "out_of_range"}}}
	}
	return &httpx.Error{Code: httpx.Invalid, Key: "bad_upload", Message: "the upload could not be read", Err: err,
		Fields: map[string]httpx.FieldError{"file": {Code: "invalid"}}}
}

func (s *Service) handleRunImport(w http.ResponseWriter, r *http.Request) error {
	id, in, err := httpx.IDAndBody[ImportRun](r)
	if err != nil {
		return err
	}
	out, err := s.StartImport(r.Context(), id, in)
	return httpx.Reply(w, http.StatusAccepted, out, err)
}

// lazyDownload sets the download headers on the first write, so an error found before any
// output is still answered as JSON.
type lazyDownload struct {
	w       http.ResponseWriter
	ctype   string
	name    string
	started bool
}

func (d *lazyDownload) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		h := d.w.Header()
		h.Set("Content-Type", d.ctype)
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, d.name, url.PathEscape(d.name)))
		h.Set("Cache-Control", "no-store")
		d.w.WriteHeader(http.StatusOK)
	}
	return d.w.Write(p)
}

func (s *Service) handleExport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := parseFilter(q)
	var v httpx.Validator
	format := q.Get("format")
	if format == "" {
		format = FormatXLSX
	}
	v.OneOf("format", format, FormatCSV, FormatXLSX)
	lang := httpx.LangOf(r)
	switch q.Get("lang") {
	case "":
	case "en":
		lang = httpx.En
	case "zh-CN", "zh":
		lang = httpx.ZhCN
	default:
		v.Add("lang", "invalid")
	}
	if err != nil {
		return err
	}
	if err := v.Err(); err != nil {
		return err
	}
	ctype := "text/csv; charset=utf-8"
	if format == FormatXLSX {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	d := &lazyDownload{w: w, ctype: ctype, name: "customers-" + time.Now().UTC().Format("20060102-150405") + "." + format}
	_, err = s.Export(r.Context(), ExportRequest{Filter: f, Format: format, Lang: lang, Via: "api"}, d)
	if err != nil && d.started {
		// Too late for an error body; the download ends short and the log says why.
		s.log.Error("customer export failed mid-file", "err", err)
		return nil
	}
	return err
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"import_multipart": {Zh: "请以 multipart/form-data 上传文件（字段名 file）", En: "Upload the file as multipart/form-data in the field file"},
		"bad_upload":       {Zh: "无法读取上传的文件", En: "The upload could not be read"},
	})
}
