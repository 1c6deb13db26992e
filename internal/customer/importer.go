package customer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Customer import from CSV or XLSX. A file is uploaded first (CreateImport): Siyu reads its
// header, proposes which column feeds which field, and keeps the file. Running it (RunImport,
// or StartImport in the background) reads every row twice: first to check them all — nothing is
// written yet — then, unless it is a dry run or an all-or-nothing import found bad rows, to write
// the good rows in transactions of importBatch rows.
//
// Matching: a row whose phone number already belongs to a customer updates that customer (one
// customer per person); otherwise it creates one with that phone identity. Empty cells change
// nothing, tags are only added (never removed), so importing the same file again changes
// nothing. Tags must exist in the tag library. They are recorded on the customer in Siyu with
// source "import" and are not written to WeCom — neither for customers without a WeCom relation
// (WeCom has nowhere to put them) nor for those with one: a bulk import would spend the tenant's
// WeCom API quota on thousands of calls, and the tag would land on whichever staff relation was
// picked. Siyu shows and segments them like other tags; a guide can put one on in WeCom by
// tagging in the console (MarkTags).

// Import targets: what a column feeds.
const (
	ColName     = "name"
	ColPhone    = "phone"
	ColGender   = "gender"
	ColBirthday = "birthday"
	ColTags     = "tags"
	ColRemark   = "remark"
)

// Import modes.
const (
	ModeAllOrNothing = "all_or_nothing" // any bad row: nothing is written
	ModeSkipBad      = "skip_bad"       // good rows are written, bad rows reported
)

// Import job statuses.
const (
	ImportUploaded   = "uploaded"   // file stored, not run yet
	ImportQueued     = "queued"     // run requested
	ImportValidating = "validating" // reading and checking every row
	ImportWriting    = "writing"    // writing the good rows
	ImportDone       = "done"       // finished (a dry run finishes here too)
	ImportRejected   = "rejected"   // all-or-nothing found bad rows; nothing was written
	ImportFailed     = "failed"     // stopped by an error that is not about a row
)

const (
	// MaxImportSize bounds an uploaded file.
	MaxImportSize = 50 << 20
	// importBatch rows are written per transaction.
	importBatch = 1000
	// maxRowErrors bounds the row errors kept on a job (the count is exact).
	maxRowErrors = 1000
	// importStale is how long a running job may go without progress before it is reported as
	// interrupted (its process died).
	importStale = 2 * time.Minute
)

// EventImported is the timeline kind for a customer created or changed by an import; detail
// {"job":id,"row":n,"created":bool}.
const EventImported = "imported"

// TagSourceImport marks tags put on by an import.
const TagSourceImport = "import"

// ImportJob is an uploaded file and its latest run.
type ImportJob struct {
	ID         int64      `json:"id"`
	FileName   string     `json:"file_name"`
	Format     string     `json:"format" doc:"csv or xlsx"`
	Mode       string     `json:"mode" doc:"all_or_nothing or skip_bad"`
	DryRun     bool       `json:"dry_run"`
	Status     string     `json:"status" doc:"uploaded, queued, validating, writing, done, rejected (all-or-nothing found bad rows; nothing written) or failed"`
	Headers    []string   `json:"headers" doc:"the file's header row (row 1)"`
	Mapping    []string   `json:"mapping" doc:"per column, its target: name, phone, gender, birthday, tags, remark, field:KEY, or empty (ignored); proposed on upload"`
	Sample     [][]string `json:"sample" doc:"the first data rows, for the mapping preview (only right after upload)"`
	Total      int        `json:"total" doc:"data rows in the file (blank rows not counted); known once validation ends"`
	Processed  int        `json:"processed" doc:"rows checked (while validating) or written (while writing)"`
	OK         int        `json:"ok" doc:"good rows (written, or that would be in a dry run)"`
	Failed     int        `json:"failed" doc:"bad rows"`
	Created    int        `json:"created" doc:"customers created (dry run: that would be)"`
	Updated    int        `json:"updated" doc:"existing customers changed (dry run: existing customers matched)"`
	Unchanged  int        `json:"unchanged" doc:"existing customers the row did not change"`
	Errors     []RowError `json:"errors" doc:"row errors, the first 1000"`
	Message    string     `json:"message" doc:"why a failed job failed"`
	Actor      string     `json:"actor"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// RowError is what is wrong with one row: the row number as the spreadsheet shows it (header =
// 1), the column, the target field, a code and an English message.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column" doc:"the column's header"`
	Field   string `json:"field" doc:"the target field, e.g. phone or field:level"`
	Code    string `json:"code" doc:"required, invalid, too_long, not_found, ambiguous, not_option, duplicate, out_of_range"`
	Value   string `json:"value" doc:"the cell, shortened"`
	Message string `json:"message"`
}

func (e RowError) String() string {
	return fmt.Sprintf("row %d, %s (%s): %s", e.Row, e.Column, e.Field, e.Message)
}

// ImportRun says how to run an uploaded file.
type ImportRun struct {
	Mapping []string `json:"mapping" doc:"per column of the file: name, phone, gender, birthday, tags, remark, field:KEY or empty; phone is required"`
	Mode    string   `json:"mode" doc:"all_or_nothing or skip_bad"`
	DryRun  bool     `json:"dry_run" doc:"check every row and count what would happen, write nothing"`
}

// headerAliases maps normalised header texts to targets.
var headerAliases = map[string]string{
	"姓名": ColName, "名字": ColName, "客户姓名": ColName, "客户名称": ColName, "昵称": ColName, "name": ColName, "customername": ColName, "fullname": ColName,
	"手机号": ColPhone, "手机": ColPhone, "手机号码": ColPhone, "电话": ColPhone, "电话号码": ColPhone, "联系电话": ColPhone, "phone": ColPhone, "mobile": ColPhone, "phonenumber": ColPhone, "tel": ColPhone,
	"性别": ColGender, "gender": ColGender, "sex": ColGender,
	"生日": ColBirthday, "出生日期": ColBirthday, "birthday": ColBirthday, "birthdate": ColBirthday, "dateofbirth": ColBirthday,
	"标签": ColTags, "客户标签": ColTags, "tags": ColTags, "tag": ColTags,
	"备注": ColRemark, "客户备注": ColRemark, "remark": ColRemark, "remarks": ColRemark, "note": ColRemark, "notes": ColRemark,
}

// normHeader lowercases a header and drops spaces, underscores, required-marks (*) and a
// trailing explanation in brackets: "手机号*（必填）" → "手机号".
func normHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	for _, br := range []string{"(", "（", "["} {
		if i := strings.Index(h, br); i > 0 {
			h = h[:i]
		}
	}
	return strings.NewReplacer(" ", "", "_", "", "*", "", "\u3000", "", "-", "").Replace(h)
}

// builtinHeader returns the built-in target a header names, or "".
func builtinHeader(h string) string { return headerAliases[normHeader(h)] }

// AutoMapping proposes a target per header: built-in columns by their Chinese or English names,
// custom fields (not archived) by label or key. A target is proposed once, for its first column.
func AutoMapping(headers []string, fields []Field) []string {
	out := make([]string, len(headers))
	used := map[string]bool{}
	for i, h := range headers {
		t := builtinHeader(h)
		if t == "" {
			n := normHeader(h)
			for _, f := range fields {
				if !f.Archived && (normHeader(f.Label) == n || f.Key == strings.TrimSpace(h)) {
					t = fieldKeyPrefix + f.Key
					break
				}
			}
		}
		if t != "" && !used[t] {
			out[i] = t
			used[t] = true
		}
	}
	return out
}

// CreateImport stores an uploaded file as an import job and proposes a mapping of its columns.
func (s *Service) CreateImport(ctx context.Context, fileName string, content []byte) (ImportJob, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return ImportJob{}, err
	}
	format := FormatOf(fileName)
	switch {
	case format == "":
		return ImportJob{}, &httpx.Error{Code: httpx.Invalid, Key: "import_format", Message: "the file must be .csv or .xlsx",
			Fields: map[string]httpx.FieldError{"file": {Code: "invalid"}}}
	case len(content) == 0:
		return ImportJob{}, httpx.FieldErr("file", "required")
	case len(content) > MaxImportSize:
		return ImportJob{}, &httpx.Error{Code: httpx.Invalid, Key: "import_too_large", Message: "the file is larger than 50 MB",
			Fields: map[string]httpx.FieldError{"file": {Code: "out_of_range"}}}
	}
	name := []rune(strings.TrimSpace(fileName))
	if len(name) > 200 {
		name = name[len(name)-200:]
	}
	headers, sample, err := readHead(format, content)
	if err != nil {
		return ImportJob{}, &httpx.Error{Code: httpx.Invalid, Key: "import_unreadable", Message: "the file cannot be read",
			Detail: err.Error(), Fields: map[string]httpx.FieldError{"file": {Code: "invalid"}}}
	}
	defs, err := s.fieldDefs(ctx, s.db, c.TenantID)
	if err != nil {
		return ImportJob{}, err
	}
	mapping := AutoMapping(headers, defs)
	hJSON, _ := json.Marshal(headers)
	mJSON, _ := json.Marshal(mapping)
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.clock()
		if err := tx.QueryRowContext(ctx, `INSERT INTO import_jobs (tenant_id, user_id, actor, kind, file_name, format, status, headers, mapping, created_at, updated_at)
			VALUES (?, ?, ?, 'customers', ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.TenantID, nullID(c.UserID), actorOf(c), string(name), format,
			ImportUploaded, string(hJSON), string(mJSON), now, now).Scan(&id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO import_files (tenant_id, job_id, content) VALUES (?, ?, ?)`, c.TenantID, id, content)
		return err
	})
	if err != nil {
		return ImportJob{}, fmt.Errorf("customer: store import %s: %w", fileName, err)
	}
	job, err := s.loadImport(ctx, c.TenantID, id)
	job.Sample = sample
	return job, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// readHead reads the header row and up to five data rows.
func readHead(format string, content []byte) ([]string, [][]string, error) {
	src, err := openRows(format, content)
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	var headers []string
	sample := [][]string{}
	for len(sample) < 5 {
		row, cells, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if row == 1 {
			for _, h := range cells {
				headers = append(headers, strings.TrimSpace(h))
			}
			for len(headers) > 0 && headers[len(headers)-1] == "" {
				headers = headers[:len(headers)-1]
			}
			continue
		}
		if blank(cells) {
			continue
		}
		line := make([]string, len(headers))
		for i := range line {
			if i < len(cells) {
				line[i] = cells[i]
			}
		}
		sample = append(sample, line)
	}
	if len(headers) == 0 {
		return nil, nil, errors.New("row 1 must be the header row, and it is empty")
	}
	if len(headers) > 200 {
		return nil, nil, errors.New("more than 200 columns")
	}
	return headers, sample, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

const importCols = `id, file_name, format, mode, dry_run, status, headers, mapping, total, processed, ok, failed, created, updated, unchanged,
	errors, message, actor, created_at, updated_at, started_at, finished_at`

func (s *Service) loadImport(ctx context.Context, tenantID, id int64) (ImportJob, error) {
	var j ImportJob
	var headers, mapping, errs string
	var started, finished sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT `+importCols+` FROM import_jobs WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(
		&j.ID, &j.FileName, &j.Format, &j.Mode, &j.DryRun, &j.Status, &headers, &mapping, &j.Total, &j.Processed, &j.OK, &j.Failed,
		&j.Created, &j.Updated, &j.Unchanged, &errs, &j.Message, &j.Actor, &j.CreatedAt, &j.UpdatedAt, &started, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return ImportJob{}, httpx.NotFoundf("import")
	}
	if err != nil {
		return ImportJob{}, fmt.Errorf("customer: import %d: %w", id, err)
	}
	if started.Valid {
		j.StartedAt = &started.Time
	}
	if finished.Valid {
		j.FinishedAt = &finished.Time
	}
	_ = json.Unmarshal([]byte(headers), &j.Headers)
	_ = json.Unmarshal([]byte(mapping), &j.Mapping)
	_ = json.Unmarshal([]byte(errs), &j.Errors)
	if j.Errors == nil {
		j.Errors = []RowError{}
	}
	if j.Sample == nil {
		j.Sample = [][]string{}
	}
	// A job whose process died mid-run stops making progress; say so rather than spin forever.
	if running(j.Status) && s.clock().Sub(j.UpdatedAt) > importStale {
		j.Status, j.Message = ImportFailed, "interrupted: the server running the import stopped; run it again (imports are idempotent)"
	}
	return j, nil
}

func running(status string) bool {
	return status == ImportQueued || status == ImportValidating || status == ImportWriting
}

// GetImport returns an import job of the caller's tenant.
func (s *Service) GetImport(ctx context.Context, id int64) (ImportJob, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return ImportJob{}, err
	}
	return s.loadImport(ctx, c.TenantID, id)
}

// checkRun validates a run against the job's headers and the tenant's fields.
func checkRun(run ImportRun, headers []string, defs []Field) error {
	var v httpx.Validator
	v.OneOf("mode", run.Mode, ModeAllOrNothing, ModeSkipBad)
	if len(run.Mapping) != len(headers) {
		v.Add("mapping", "invalid")
		return v.Err()
	}
	seen := map[string]bool{}
	for _, t := range run.Mapping {
		if t == "" {
			continue
		}
		ok := reservedKey(t)
		if key, isField := strings.CutPrefix(t, fieldKeyPrefix); isField {
			ok = slices.ContainsFunc(defs, func(f Field) bool { return f.Key == key && !f.Archived })
		}
		if !ok || seen[t] {
			v.Add("mapping", "invalid")
		}
		seen[t] = true
	}
	if !v.Has("mapping") && !seen[ColPhone] {
		v.Add("mapping", "phone_required")
	}
	return v.Err()
}

// claimRun moves a job to queued for run, unless it is running or was already imported.
func (s *Service) claimRun(ctx context.Context, c org.Caller, id int64, run ImportRun) (ImportJob, error) {
	job, err := s.loadImport(ctx, c.TenantID, id)
	if err != nil {
		return ImportJob{}, err
	}
	defs, err := s.fieldDefs(ctx, s.db, c.TenantID)
	if err != nil {
		return ImportJob{}, err
	}
	if err := checkRun(run, job.Headers, defs); err != nil {
		return ImportJob{}, err
	}
	mJSON, _ := json.Marshal(run.Mapping)
	now := s.clock()
	// A job may run again after a dry run, a rejection or an interruption; once imported for real
	// its file is gone.
	res, err := s.db.ExecContext(ctx, `UPDATE import_jobs SET status = ?, mode = ?, dry_run = ?, mapping = ?, total = 0, processed = 0,
		ok = 0, failed = 0, created = 0, updated = 0, unchanged = 0, errors = '[]', message = '', started_at = ?, finished_at = NULL, updated_at = ?
		WHERE tenant_id = ? AND id = ? AND EXISTS (SELECT 1 FROM import_files f WHERE f.tenant_id = import_jobs.tenant_id AND f.job_id = import_jobs.id)
		AND (status IN (?, ?, ?, ?) OR (status IN (?, ?, ?) AND updated_at < ?))`,
		ImportQueued, run.Mode, run.DryRun, string(mJSON), now, now, c.TenantID, id,
		ImportUploaded, ImportDone, ImportRejected, ImportFailed, ImportQueued, ImportValidating, ImportWriting, now.Add(-importStale))
	if err != nil {
		return ImportJob{}, fmt.Errorf("customer: claim import %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ImportJob{}, httpx.Errorf(httpx.Conflict, "import_not_runnable", "the import is running or was already imported")
	}
	return s.loadImport(ctx, c.TenantID, id)
}

// RunImport runs an uploaded import to the end and returns the finished job; progress (if not
// nil) is called with the job as it advances. The CLI runs imports this way.
func (s *Service) RunImport(ctx context.Context, id int64, run ImportRun, progress func(ImportJob)) (ImportJob, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return ImportJob{}, err
	}
	job, err := s.claimRun(ctx, c, id, run)
	if err != nil {
		return ImportJob{}, err
	}
	return s.execute(ctx, c.TenantID, job, progress)
}

// StartImport starts an uploaded import in the background and returns the queued job; poll
// GetImport for progress.
func (s *Service) StartImport(ctx context.Context, id int64, run ImportRun) (ImportJob, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return ImportJob{}, err
	}
	job, err := s.claimRun(ctx, c, id, run)
	if err != nil {
		return ImportJob{}, err
	}
	s.imports.Add(1)
	go func() {
		defer s.imports.Done()
		bg := context.WithoutCancel(ctx)
		if _, err := s.execute(bg, c.TenantID, job, nil); err != nil {
			s.log.Error("customer import failed", "tenant", c.TenantID, "job", job.ID, "err", err)
		}
	}()
	return job, nil
}

// WaitImports waits for background imports to finish (before the database closes).
func (s *Service) WaitImports() { s.imports.Wait() }

// importTracker keeps a job's counters and writes them.
type importTracker struct {
	s        *Service
	tenantID int64
	job      ImportJob
	progress func(ImportJob)
	errs     []RowError
	mu       sync.Mutex
}

func (t *importTracker) addError(e RowError) {
	if len(t.errs) < maxRowErrors {
		t.errs = append(t.errs, e)
	}
}

// save writes the counters (on q, so writes can share the batch's transaction).
func (t *importTracker) save(ctx context.Context, q store.Querier, finished bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.s.clock()
	t.job.UpdatedAt = now
	var fin any
	if finished {
		t.job.FinishedAt = &now
		fin = now
	}
	t.job.Errors = t.errs
	if t.job.Errors == nil {
		t.job.Errors = []RowError{}
	}
	errs, _ := json.Marshal(t.job.Errors)
	_, err := q.ExecContext(ctx, `UPDATE import_jobs SET status = ?, total = ?, processed = ?, ok = ?, failed = ?, created = ?, updated = ?,
		unchanged = ?, errors = ?, message = ?, updated_at = ?, finished_at = ? WHERE tenant_id = ? AND id = ?`,
		t.job.Status, t.job.Total, t.job.Processed, t.job.OK, t.job.Failed, t.job.Created, t.job.Updated, t.job.Unchanged,
		string(errs), t.job.Message, now, fin, t.tenantID, t.job.ID)
	if err != nil {
		return fmt.Errorf("customer: import %d progress: %w", t.job.ID, err)
	}
	if t.progress != nil {
		t.progress(t.job)
	}
	return nil
}

// execute runs a claimed job; errors that are not about rows end it as failed.
func (s *Service) execute(ctx context.Context, tenantID int64, job ImportJob, progress func(ImportJob)) (ImportJob, error) {
	t := &importTracker{s: s, tenantID: tenantID, job: job, progress: progress}
	err := s.process(ctx, t)
	if err != nil {
		t.job.Status = ImportFailed
		t.job.Message = "the import stopped: " + err.Error()
		var he *httpx.Error
		if !errors.As(err, &he) {
			s.log.Error("customer import", "tenant", tenantID, "job", job.ID, "err", err)
		}
		if serr := t.save(context.WithoutCancel(ctx), s.db, true); serr != nil {
			return t.job, errors.Join(err, serr)
		}
		return t.job, err
	}
	return t.job, nil
}

// importRow is one checked row.
type importRow struct {
	row      int
	phone    string
	name     *string
	gender   *int
	birthday *string
	remark   *string
	tags     []int64
	fields   map[int64]string
}

// rowChecker turns cells into importRows.
type rowChecker struct {
	headers []string
	mapping []string
	fields  map[string]Field   // by key
	tags    map[string][]int64 // tag library by name
	phones  map[string]int     // phone → first row
}

func (s *Service) newChecker(ctx context.Context, tenantID int64, job ImportJob) (*rowChecker, error) {
	defs, err := s.fieldDefs(ctx, s.db, tenantID)
	if err != nil {
		return nil, err
	}
	rc := &rowChecker{headers: job.Headers, mapping: job.Mapping, fields: map[string]Field{}, tags: map[string][]int64{}, phones: map[string]int{}}
	for _, f := range defs {
		rc.fields[f.Key] = f
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name FROM tags WHERE tenant_id = ? AND deleted = FALSE`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("customer: tag library: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		rc.tags[name] = append(rc.tags[name], id)
	}
	return rc, rows.Err()
}

var rowMessages = map[string]string{
	"required":     "is required",
	"invalid":      "is not valid",
	"too_long":     "is too long",
	"not_found":    "is not in the tag library",
	"ambiguous":    "names more than one tag; rename one of them",
	"not_option":   "is not one of the field's options",
	"duplicate":    "repeats the phone number of an earlier row",
	"out_of_range": "is out of range",
}

// check reads one row. It returns the row, or its errors.
func (rc *rowChecker) check(row int, cells []string) (importRow, []RowError) {
	r := importRow{row: row}
	var errs []RowError
	bad := func(col int, field, code, value, extra string) {
		v := []rune(value)
		if len(v) > 50 {
			v = append(v[:50], '…')
		}
		msg := field + " " + rowMessages[code]
		if extra != "" {
			msg += " (" + extra + ")"
		}
		errs = append(errs, RowError{Row: row, Column: rc.headers[col], Field: field, Code: code, Value: string(v), Message: msg})
	}
	for col, target := range rc.mapping {
		if target == "" {
			continue
		}
		cell := ""
		if col < len(cells) {
			cell = strings.TrimSpace(cells[col])
		}
		switch target {
		case ColPhone:
			if cell == "" {
				bad(col, target, "required", cell, "")
				continue
			}
			p, ok := org.NormalizeMobile(cellText(cell))
			if !ok {
				bad(col, target, "invalid", cell, "")
				continue
			}
			if first, dup := rc.phones[p]; dup {
				bad(col, target, "duplicate", cell, "row "+strconv.Itoa(first))
				continue
			}
			rc.phones[p] = row
			r.phone = p
		case ColName:
			if cell == "" {
				continue
			}
			switch {
			case utf8Len(cell) > maxNameLen:
				bad(col, target, "too_long", cell, "at most "+strconv.Itoa(maxNameLen)+" characters")
			case strings.ContainsAny(cell, "\x00\r\n\t"):
				bad(col, target, "invalid", cell, "")
			default:
				r.name = &cell
			}
		case ColGender:
			if cell == "" {
				continue
			}
			g, ok := parseGender(cell)
			if !ok {
				bad(col, target, "invalid", cell, "男/女/未知 or male/female/unknown")
				continue
			}
			r.gender = &g
		case ColBirthday:
			if cell == "" {
				continue
			}
			d, ok := cellDate(cell)
			if !ok {
				bad(col, target, "invalid", cell, "a date such as 1990-05-20")
				continue
			}
			r.birthday = &d
		case ColRemark:
			if cell == "" {
				continue
			}
			if utf8Len(cell) > maxRemark {
				bad(col, target, "too_long", cell, "at most "+strconv.Itoa(maxRemark)+" characters")
				continue
			}
			r.remark = &cell
		case ColTags:
			for _, name := range splitList(cell) {
				ids := rc.tags[name]
				switch {
				case len(ids) == 0:
					bad(col, target, "not_found", name, "tag "+name)
				case len(ids) > 1:
					bad(col, target, "ambiguous", name, "tag "+name)
				case !slices.Contains(r.tags, ids[0]):
					r.tags = append(r.tags, ids[0])
				}
			}
		default:
			f := rc.fields[strings.TrimPrefix(target, fieldKeyPrefix)]
			var val, code string
			if f.Type == FieldDate && cell != "" {
				d, ok := cellDate(cell)
				val, code = jsonString(d), ""
				if !ok {
					val, code = "", "invalid"
				}
			} else {
				val, code = fieldCell(f, cell)
			}
			if code != "" {
				bad(col, target, code, cell, "")
				continue
			}
			if val != "" {
				if r.fields == nil {
					r.fields = map[int64]string{}
				}
				r.fields[f.ID] = val
			}
		}
	}
	if len(errs) > 0 {
		return importRow{}, errs
	}
	return r, nil
}

func parseGender(s string) (int, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "男", "男性", "先生", "male", "m", "1":
		return 1, true
	case "女", "女性", "女士", "female", "f", "2":
		return 2, true
	case "未知", "保密", "unknown", "u", "0":
		return 0, true
	}
	return 0, false
}

// process validates every row, then writes the good ones unless this is a dry run or an
// all-or-nothing import with bad rows.
func (s *Service) process(ctx context.Context, t *importTracker) error {
	var content []byte
	if err := s.db.QueryRowContext(ctx, `SELECT content FROM import_files WHERE tenant_id = ? AND job_id = ?`, t.tenantID, t.job.ID).
		Scan(&content); err != nil {
		return fmt.Errorf("read the uploaded file: %w", err)
	}
	rc, err := s.newChecker(ctx, t.tenantID, t.job)
	if err != nil {
		return err
	}
	src, err := openRows(t.job.Format, content)
	if err != nil {
		return err
	}
	defer src.Close()
	t.job.Status = ImportValidating
	if err := t.save(ctx, s.db, false); err != nil {
		return err
	}
	var good []importRow
	for {
		row, cells, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if row == 1 || blank(cells) {
			continue
		}
		t.job.Total++
		t.job.Processed++
		r, errs := rc.check(row, cells)
		if len(errs) > 0 {
			t.job.Failed++
			for _, e := range errs {
				t.addError(e)
			}
		} else {
			good = append(good, r)
		}
		if t.job.Processed%5000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := t.save(ctx, s.db, false); err != nil {
				return err
			}
		}
	}
	content = nil
	t.job.OK = len(good)
	if t.job.Mode == ModeAllOrNothing && t.job.Failed > 0 {
		t.job.Status, t.job.OK = ImportRejected, 0
		return t.save(ctx, s.db, true)
	}
	if t.job.DryRun {
		if err := s.analyze(ctx); err != nil {
			return err
		}
		if err := s.countMatches(ctx, t, good); err != nil {
			return err
		}
		t.job.Status = ImportDone
		return t.save(ctx, s.db, true)
	}
	t.job.Status, t.job.Processed = ImportWriting, 0
	if err := t.save(ctx, s.db, false); err != nil {
		return err
	}
	if err := s.analyze(ctx); err != nil {
		return err
	}
	for start := 0; start < len(good); start += importBatch {
		batch := good[start:min(start+importBatch, len(good))]
		if n := start / importBatch; n == 1 || n%20 == 0 {
			if err := s.analyze(ctx); err != nil {
				return err
			}
		}
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			created, updated, unchanged, err := s.writeBatch(ctx, tx, t.tenantID, t.job.ID, batch)
			if err != nil {
				return err
			}
			t.job.Created += created
			t.job.Updated += updated
			t.job.Unchanged += unchanged
			t.job.Processed += len(batch)
			last := start+importBatch >= len(good)
			if last {
				t.job.Status = ImportDone
				// The file has served its purpose; personal data should not linger.
				if _, err := tx.ExecContext(ctx, `DELETE FROM import_files WHERE tenant_id = ? AND job_id = ?`, t.tenantID, t.job.ID); err != nil {
					return err
				}
			}
			return t.save(ctx, tx, last)
		})
		if err != nil {
			t.job.Status = ImportWriting
			return fmt.Errorf("write rows %d-%d: %w", batch[0].row, batch[len(batch)-1].row, err)
		}
	}
	if len(good) == 0 {
		t.job.Status = ImportDone
		if _, err := s.db.ExecContext(ctx, `DELETE FROM import_files WHERE tenant_id = ? AND job_id = ?`, t.tenantID, t.job.ID); err != nil {
			return err
		}
		return t.save(ctx, s.db, true)
	}
	return nil
}

// analyze refreshes PostgreSQL's statistics of the tables an import reads while it writes them.
// A big import into a young tenant grows them faster than autovacuum notices, and with the
// statistics of an empty table the planner looks phones up by scanning every identity of the
// tenant — each batch slower than the last. SQLite's planner needs no statistics for these
// primary-key lookups.
func (s *Service) analyze(ctx context.Context) error {
	if s.db.Dialect() != store.Postgres {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, `ANALYZE customers, customer_identities, customer_tags, customer_field_values`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// countMatches fills a dry run's created/updated: rows whose phone is new, and rows matching an
// existing customer.
func (s *Service) countMatches(ctx context.Context, t *importTracker, good []importRow) error {
	for start := 0; start < len(good); start += importBatch {
		batch := good[start:min(start+importBatch, len(good))]
		args := []any{t.tenantID, IdentityPhone}
		for _, r := range batch {
			args = append(args, r.phone)
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value IN (?`+
			strings.Repeat(", ?", len(batch)-1)+`)`, args...).Scan(&n); err != nil {
			return fmt.Errorf("match phones: %w", err)
		}
		t.job.Updated += n
		t.job.Created += len(batch) - n
	}
	return nil
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"import_format":        {Zh: "文件必须是 .csv 或 .xlsx 格式", En: "The file must be .csv or .xlsx"},
		"import_too_large":     {Zh: "文件不能超过 50 MB", En: "The file is larger than 50 MB"},
		"import_unreadable":    {Zh: "无法读取文件", En: "The file cannot be read"},
		"import_not_runnable":  {Zh: "该导入正在进行或已经导入完成", En: "The import is running or was already imported"},
		"field.phone_required": {Zh: "必须有一列对应手机号", En: "must map one column to the phone number"},
	})
}
