package phonetask

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Parsed is an uploaded list file read into rows, with its bad rows by spreadsheet row number.
type Parsed struct {
	Rows   []Row      `json:"rows"`
	Errors []RowError `json:"errors"`
}

// Routes lists the batch-add-by-phone API.
func (s *Service) Routes() []httpx.Route {
	read, write, work := org.PermAcquisitionRead, org.PermAcquisitionWrite, org.PermPhoneTasksWork
	id := func(name, what string) httpx.Param {
		return httpx.Param{Name: name, Type: "integer", Description: what}
	}
	return []httpx.Route{
		{Method: "POST", Path: "/api/v1/phone-lists/parse", Perm: write, Tag: "phone-tasks",
			Summary: "Read a .csv or .xlsx list of numbers (multipart, field file; row 1 is the header: phone/手机号, name/姓名, remark/备注) into rows and bad rows; nothing is stored",
			Form: struct {
				File []byte `form:"file" doc:"the .csv or .xlsx file, at most 5 MB and 10,000 rows"`
			}{}, Response: Parsed{}, Handler: s.handleParse},
		{Method: "GET", Path: "/api/v1/phone-lists", Perm: read, Tag: "phone-tasks", Summary: "Phone lists with tasks in my scope, newest first, with their tasks counted by status",
			Response: struct {
				Items []List `json:"items"`
			}{}, Handler: s.handleLists},
		{Method: "POST", Path: "/api/v1/phone-lists", Perm: write, Tag: "phone-tasks",
			Summary: "Import numbers and hand them to staff as daily tasks within the daily cap (any bad row rejects the whole list)",
			Request: ListInput{}, Response: List{}, Status: http.StatusCreated, Handler: httpx.Create(s.CreateList)},
		{Method: "GET", Path: "/api/v1/phone-lists/{id}", Perm: read, Tag: "phone-tasks", Summary: "A phone list with its tasks counted by status",
			Response: List{}, Handler: httpx.Read(s.List)},
		{Method: "GET", Path: "/api/v1/phone-tasks", Perm: work, Tag: "phone-tasks", Summary: "Phone tasks of my scope (a guide's own), by id",
			Query: []httpx.Param{id("list_id", "only this list"), id("staff_id", "only this staff member"),
				{Name: "day", Type: "string", Description: "only this day YYYY-MM-DD"}, {Name: "status", Type: "string", Description: "pending, requested, added, failed or expired"},
				{Name: "limit", Type: "integer", Description: "page size (default 50, at most 500)"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
			Response: httpx.Page[Task]{}, Handler: s.handleTasks},
		{Method: "PATCH", Path: "/api/v1/phone-tasks/{id}", Perm: work, Tag: "phone-tasks", Summary: "Mark a task requested, failed (with a reason) or pending again",
			Request: TaskInput{}, Response: Task{}, Handler: httpx.Replace(s.Task, s.UpdateTask)},
		{Method: "POST", Path: "/api/v1/phone-tasks/detect", Perm: write, Tag: "phone-tasks", Summary: "Look for adds now (the background pass does every minute)",
			Response: struct {
				Added int `json:"added"`
			}{}, Handler: s.handleDetect},
		{Method: "GET", Path: "/api/v1/phone-tasks/stats", Perm: read, Tag: "phone-tasks", Summary: "Tasks of my scope by status, per staff member and per day",
			Query: []httpx.Param{id("list_id", "only this list")}, Response: Stats{}, Handler: s.handleStats},
	}
}

func optionalID(r *http.Request, v *httpx.Validator, name string) int64 {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return 0
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	v.Check(err == nil && n > 0, name, "invalid")
	return n
}

func (s *Service) handleParse(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := writer(r.Context()); err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return &httpx.Error{Code: httpx.UnsupportedMediaType, Key: "phone_list_file", Message: "upload the file as multipart/form-data in the field file"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFileSize+1<<20)
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
			return httpx.FieldErr("file", "invalid")
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		content, err := io.ReadAll(io.LimitReader(part, MaxFileSize+1))
		part.Close()
		if err != nil {
			return httpx.FieldErr("file", "invalid")
		}
		if len(content) > MaxFileSize {
			return httpx.FieldErr("file", "out_of_range")
		}
		rows, bad, err := ParseFile(part.FileName(), content)
		if err != nil {
			return &httpx.Error{Code: httpx.Invalid, Key: "phone_list_file", Message: "the file is not a .csv or .xlsx list with a phone column",
				Fields: map[string]httpx.FieldError{"file": {Code: "invalid"}}, Err: err}
		}
		if len(rows) > MaxRows {
			return httpx.FieldErr("file", "out_of_range")
		}
		return httpx.Reply(w, http.StatusOK, Parsed{Rows: rows, Errors: bad}, nil)
	}
}

func (s *Service) handleLists(w http.ResponseWriter, r *http.Request) error {
	items, err := s.Lists(r.Context())
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

func (s *Service) handleTasks(w http.ResponseWriter, r *http.Request) error {
	page, err := httpx.PageParams(r)
	if err != nil {
		return err
	}
	var v httpx.Validator
	f := TaskFilter{Page: page, Day: r.URL.Query().Get("day"), Status: r.URL.Query().Get("status")}
	f.ListID = optionalID(r, &v, "list_id")
	f.StaffID = optionalID(r, &v, "staff_id")
	if err := v.Err(); err != nil {
		return err
	}
	out, err := s.Tasks(r.Context(), f)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleDetect(w http.ResponseWriter, r *http.Request) error {
	n, err := s.DetectNow(r.Context())
	return httpx.Reply(w, http.StatusOK, map[string]int{"added": n}, err)
}

func (s *Service) handleStats(w http.ResponseWriter, r *http.Request) error {
	var v httpx.Validator
	list := optionalID(r, &v, "list_id")
	if err := v.Err(); err != nil {
		return err
	}
	out, err := s.Stats(r.Context(), list)
	return httpx.Reply(w, http.StatusOK, out, err)
}
