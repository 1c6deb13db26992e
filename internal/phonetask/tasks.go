package phonetask

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/notify"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Task is one number for one staff member on one day.
type Task struct {
	ID         int64      `json:"id"`
	ListID     int64      `json:"list_id"`
	ListName   string     `json:"list_name"`
	Phone      string     `json:"phone" doc:"E.164"`
	Name       string     `json:"name"`
	Remark     string     `json:"remark"`
	StaffID    int64      `json:"staff_id"`
	StaffName  string     `json:"staff_name"`
	Day        string     `json:"day" doc:"the day it is the member's to do (Asia/Shanghai)"`
	ExpiresOn  string     `json:"expires_on" doc:"still open after this day, it expires"`
	Status     string     `json:"status" doc:"pending, requested, added, failed or expired"`
	Reason     string     `json:"reason" doc:"why it failed"`
	CustomerID *int64     `json:"customer_id" doc:"the customer added"`
	AssignedAt time.Time  `json:"assigned_at"`
	DoneAt     *time.Time `json:"done_at" doc:"when it was added, marked failed, or expired"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// TaskFilter narrows the task list; zero values do not filter.
type TaskFilter struct {
	ListID  int64
	StaffID int64
	Day     string
	Status  string
	Page    httpx.PageRequest
}

// TaskInput is what a staff member reports about a task: they sent the request (requested), it
// cannot be done (failed, with a reason), or back to pending.
type TaskInput struct {
	Status string `json:"status" doc:"pending, requested or failed (added and expired are detected)"`
	Reason string `json:"reason,omitempty" doc:"required for failed, e.g. the number has no WeChat"`
}

const taskSelect = `SELECT t.id, t.list_id, l.name, t.phone, t.name, t.remark, t.staff_id, st.name, t.due_day, t.expires_on, t.status, t.reason,
	t.customer_id, t.assigned_at, t.done_at, t.updated_at
	FROM acq_phone_tasks t JOIN acq_phone_lists l ON l.tenant_id = t.tenant_id AND l.id = t.list_id
	JOIN staff st ON st.tenant_id = t.tenant_id AND st.id = t.staff_id JOIN org_units u ON u.tenant_id = st.tenant_id AND u.id = st.org_unit_id`

func scanTask(row interface{ Scan(...any) error }, sc org.Scope) (Task, error) {
	var m Task
	var cust sql.NullInt64
	var done store.Time
	if err := row.Scan(&m.ID, &m.ListID, &m.ListName, &m.Phone, &m.Name, &m.Remark, &m.StaffID, &m.StaffName, &m.Day, &m.ExpiresOn, &m.Status, &m.Reason,
		&cust, &m.AssignedAt, &done, &m.UpdatedAt); err != nil {
		return m, err
	}
	if cust.Valid {
		m.CustomerID = &cust.Int64
	}
	if done.Valid {
		m.DoneAt = &done.Time
	}
	m.AssignedAt, m.UpdatedAt = m.AssignedAt.UTC(), m.UpdatedAt.UTC()
	if !sc.PersonalData {
		m.Phone, m.Name = org.MaskMobile(m.Phone), org.MaskName(m.Name)
	}
	return m, nil
}

// CheckTaskFilter validates a filter.
func CheckTaskFilter(f TaskFilter) error {
	var v httpx.Validator
	if f.Day != "" && !validDay(f.Day) {
		v.Add("day", "invalid")
	}
	if f.Status != "" {
		v.OneOf("status", f.Status, Statuses...)
	}
	return v.Err()
}

// Tasks lists the tasks of the caller's scope (a guide's own), by day then id.
func (s *Service) Tasks(ctx context.Context, f TaskFilter) (httpx.Page[Task], error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return httpx.Page[Task]{}, err
	}
	if err := CheckTaskFilter(f); err != nil {
		return httpx.Page[Task]{}, err
	}
	sc := org.ScopeOf(c)
	cond, cargs := sc.StaffFilter("st.id", "u.path")
	q := taskSelect + ` WHERE t.tenant_id = ? AND t.id > ? AND ` + cond
	args := append([]any{c.TenantID, f.Page.After}, cargs...)
	for _, p := range []struct {
		on  bool
		sql string
		arg any
	}{{f.ListID > 0, ` AND t.list_id = ?`, f.ListID}, {f.StaffID > 0, ` AND t.staff_id = ?`, f.StaffID},
		{f.Day != "", ` AND t.due_day = ?`, f.Day}, {f.Status != "", ` AND t.status = ?`, f.Status}} {
		if p.on {
			q += p.sql
			args = append(args, p.arg)
		}
	}
	if f.Page.Limit <= 0 {
		f.Page.Limit = httpx.DefaultLimit
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY t.id LIMIT `+strconv.Itoa(f.Page.Limit+1), args...)
	if err != nil {
		return httpx.Page[Task]{}, fmt.Errorf("phonetask: tasks: %w", err)
	}
	defer rows.Close()
	var items []Task
	for rows.Next() {
		m, err := scanTask(rows, sc)
		if err != nil {
			return httpx.Page[Task]{}, err
		}
		items = append(items, m)
	}
	if err := rows.Err(); err != nil {
		return httpx.Page[Task]{}, err
	}
	return httpx.MakePage(items, f.Page.Limit, func(m Task) int64 { return m.ID }), nil
}

// Task returns one task of the caller's scope.
func (s *Service) Task(ctx context.Context, id int64) (Task, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Task{}, err
	}
	sc := org.ScopeOf(c)
	cond, cargs := sc.StaffFilter("st.id", "u.path")
	m, err := scanTask(s.db.QueryRowContext(ctx, taskSelect+` WHERE t.tenant_id = ? AND t.id = ? AND `+cond, append([]any{c.TenantID, id}, cargs...)...), sc)
	if errors.Is(err, sql.ErrNoRows) {
		return Task{}, httpx.NotFoundf("phone task")
	}
	if err != nil {
		return Task{}, fmt.Errorf("phonetask: task %d: %w", id, err)
	}
	return m, nil
}

// UpdateTask records what the staff member did: requested, failed (with a reason) or back to
// pending. Added and expired tasks are closed.
func (s *Service) UpdateTask(ctx context.Context, id int64, in TaskInput) (Task, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return Task{}, err
	}
	old, err := s.Task(ctx, id)
	if err != nil {
		return Task{}, err
	}
	var v httpx.Validator
	v.OneOf("status", in.Status, Pending, Requested, Failed)
	in.Reason = v.Text("reason", in.Reason, in.Status == Failed, 200)
	if err := v.Err(); err != nil {
		return Task{}, err
	}
	if in.Status != Failed {
		in.Reason = ""
	}
	now := s.clock()
	var done *time.Time
	if in.Status == Failed {
		done = &now
	}
	res, err := s.db.ExecContext(ctx, `UPDATE acq_phone_tasks SET status = ?, reason = ?, done_at = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ? AND status IN ('pending', 'requested', 'failed')`, in.Status, in.Reason, done, now, c.TenantID, old.ID)
	if err != nil {
		return Task{}, fmt.Errorf("phonetask: update task %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Task{}, &httpx.Error{Code: httpx.Conflict, Key: "phone_task_closed", Message: "the task is already added or expired"}
	}
	return s.Task(ctx, id)
}

// DetectWindow is how many days after its expiry a task is still watched for an add.
const DetectWindow = 30

// Detect marks added the tasks not added yet (pending, requested, failed, or expired within
// DetectWindow days: an add is a fact) whose own staff member has a relation, begun after the
// task was assigned, with a customer holding the task's phone identity; tenantID 0 checks every
// tenant. It returns how many tasks it marked. The matches are found with one join (which the
// planners run as hash joins over the watched tasks; the unary + keeps SQLite, which has no
// statistics, on the relation's primary key rather than the staff index) and written in one
// transaction.
func (s *Service) Detect(ctx context.Context, tenantID int64) (int, error) {
	now := s.clock()
	q := `SELECT t.id, MIN(ci.customer_id), MIN(cs.added_at) FROM acq_phone_tasks t
		JOIN customer_identities ci ON ci.tenant_id = t.tenant_id AND ci.kind = 'phone' AND ci.value = t.phone
		JOIN customer_staff cs ON cs.tenant_id = ci.tenant_id AND cs.customer_id = ci.customer_id AND +cs.staff_id = t.staff_id AND cs.added_at >= t.assigned_at
		WHERE t.status IN ('pending', 'requested', 'failed', 'expired') AND t.expires_on >= ?`
	args := []any{addDays(Day(now), -DetectWindow)}
	if tenantID > 0 {
		q += ` AND t.tenant_id = ?`
		args = append(args, tenantID)
	}
	rows, err := s.db.QueryContext(ctx, q+` GROUP BY t.id ORDER BY t.id`, args...)
	if err != nil {
		return 0, fmt.Errorf("phonetask: detect adds: %w", err)
	}
	type match struct {
		id, customerID int64
		at             store.Time
	}
	var found []match
	for rows.Next() {
		var m match
		if err := rows.Scan(&m.id, &m.customerID, &m.at); err != nil {
			rows.Close()
			return 0, err
		}
		found = append(found, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(found) == 0 {
		return 0, err
	}
	n := 0
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		n = 0
		for _, m := range found {
			res, err := tx.ExecContext(ctx, `UPDATE acq_phone_tasks SET status = 'added', reason = '', customer_id = ?, done_at = ?, updated_at = ?
				WHERE id = ? AND status <> 'added'`, m.customerID, m.at.Time, now, m.id)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("phonetask: mark added: %w", err)
	}
	return n, nil
}

// DetectNow runs the detection for the caller's tenant (on demand).
func (s *Service) DetectNow(ctx context.Context) (int, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return 0, err
	}
	return s.Detect(ctx, c.TenantID)
}

// expire closes the tasks still open after their expiry day.
func (s *Service) expire(ctx context.Context) (int, error) {
	now := s.clock()
	res, err := s.db.ExecContext(ctx, `UPDATE acq_phone_tasks SET status = 'expired', done_at = ?, updated_at = ?
		WHERE status IN ('pending', 'requested') AND expires_on < ?`, now, now, Day(now))
	if err != nil {
		return 0, fmt.Errorf("phonetask: expire: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// remind tells each staff member's linked console users how many tasks are pending for them
// today, once a day per member (the notification's dedup key), from RemindHour on.
func (s *Service) remind(ctx context.Context) (int, error) {
	now := s.clock()
	if now.In(Zone).Hour() < RemindHour {
		return 0, nil
	}
	day := Day(now)
	rows, err := s.db.QueryContext(ctx, `SELECT t.tenant_id, t.staff_id, COUNT(*), u.id FROM acq_phone_tasks t
		JOIN users u ON u.tenant_id = t.tenant_id AND u.staff_id = t.staff_id AND NOT u.disabled
		WHERE t.status = 'pending' AND t.due_day = ? GROUP BY t.tenant_id, t.staff_id, u.id ORDER BY t.tenant_id, t.staff_id, u.id`, day)
	if err != nil {
		return 0, fmt.Errorf("phonetask: reminders: %w", err)
	}
	type due struct {
		tenantID, staffID int64
		count             int
		users             []int64
	}
	var dues []due
	for rows.Next() {
		var d due
		var uid int64
		if err := rows.Scan(&d.tenantID, &d.staffID, &d.count, &uid); err != nil {
			rows.Close()
			return 0, err
		}
		if n := len(dues); n > 0 && dues[n-1].tenantID == d.tenantID && dues[n-1].staffID == d.staffID {
			dues[n-1].users = append(dues[n-1].users, uid)
			continue
		}
		d.users = []int64{uid}
		dues = append(dues, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, d := range dues {
		note := notify.Note{TenantID: d.tenantID, UserIDs: d.users, Kind: "phone_tasks_due",
			Title: "今日手机号加好友任务", Body: fmt.Sprintf("今天有 %d 个手机号待添加好友", d.count),
			Link: "/acquisition/phone-tasks", Data: map[string]any{"count": d.count, "day": day},
			DedupKey: "phone_tasks:" + strconv.FormatInt(d.staffID, 10) + ":" + day}
		if err := s.db.InTx(ctx, func(tx *store.Tx) error { return s.notify.Add(ctx, tx, note) }); err != nil {
			return 0, err
		}
	}
	return len(dues), nil
}

// PassResult is what one background pass did.
type PassResult struct {
	Added, Expired, Reminded int
}

// Pass detects adds (first, so a number added on its last day is not expired), expires, and
// reminds.
func (s *Service) Pass(ctx context.Context) (PassResult, error) {
	var r PassResult
	var err error
	if r.Added, err = s.Detect(ctx, 0); err != nil {
		return r, err
	}
	if r.Expired, err = s.expire(ctx); err != nil {
		return r, err
	}
	r.Reminded, err = s.remind(ctx)
	return r, err
}

// StatsRow is one staff member's (or day's) tasks by status.
type StatsRow struct {
	Key       string   `json:"key" doc:"the staff id or the day"`
	Label     string   `json:"label" doc:"the staff member's name or the day"`
	Counts    Counts   `json:"counts"`
	AddedRate *float64 `json:"added_rate" doc:"added / (all but pending and requested); null when none is closed"`
}

// Stats are a list's (or all lists') tasks in the caller's scope by staff member and by day.
type Stats struct {
	Total   Counts     `json:"total"`
	ByStaff []StatsRow `json:"by_staff"`
	ByDay   []StatsRow `json:"by_day"`
}

// Stats counts the tasks of the caller's scope, of one list when listID > 0.
func (s *Service) Stats(ctx context.Context, listID int64) (Stats, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Stats{}, err
	}
	if listID > 0 {
		if _, err := s.List(ctx, listID); err != nil {
			return Stats{}, err
		}
	}
	cond, cargs := org.ScopeOf(c).StaffFilter("st.id", "u.path")
	q := `SELECT t.staff_id, st.name, t.due_day, t.status, COUNT(*) FROM acq_phone_tasks t
		JOIN staff st ON st.tenant_id = t.tenant_id AND st.id = t.staff_id JOIN org_units u ON u.tenant_id = st.tenant_id AND u.id = st.org_unit_id
		WHERE t.tenant_id = ? AND ` + cond
	args := append([]any{c.TenantID}, cargs...)
	if listID > 0 {
		q += ` AND t.list_id = ?`
		args = append(args, listID)
	}
	rows, err := s.db.QueryContext(ctx, q+` GROUP BY t.staff_id, st.name, t.due_day, t.status ORDER BY t.staff_id, t.due_day`, args...)
	if err != nil {
		return Stats{}, fmt.Errorf("phonetask: stats: %w", err)
	}
	defer rows.Close()
	out := Stats{ByStaff: []StatsRow{}, ByDay: []StatsRow{}}
	staff, days := map[string]int{}, map[string]int{}
	for rows.Next() {
		var id int64
		var name, day, status string
		var n int
		if err := rows.Scan(&id, &name, &day, &status, &n); err != nil {
			return Stats{}, err
		}
		out.Total.add(status, n)
		key := strconv.FormatInt(id, 10)
		if _, ok := staff[key]; !ok {
			staff[key] = len(out.ByStaff)
			out.ByStaff = append(out.ByStaff, StatsRow{Key: key, Label: name})
		}
		out.ByStaff[staff[key]].Counts.add(status, n)
		if _, ok := days[day]; !ok {
			days[day] = len(out.ByDay)
			out.ByDay = append(out.ByDay, StatsRow{Key: day, Label: day})
		}
		out.ByDay[days[day]].Counts.add(status, n)
	}
	if err := rows.Err(); err != nil {
		return Stats{}, err
	}
	sortRows(out.ByDay)
	for _, rs := range [][]StatsRow{out.ByStaff, out.ByDay} {
		for i := range rs {
			rs[i].AddedRate = rate(rs[i].Counts)
		}
	}
	return out, nil
}

func sortRows(rs []StatsRow) {
	slices.SortFunc(rs, func(a, b StatsRow) int { return strings.Compare(a.Key, b.Key) })
}

func rate(c Counts) *float64 {
	closed := c.Added + c.Failed + c.Expired
	if closed == 0 {
		return nil
	}
	r := float64(c.Added) / float64(closed)
	return &r
}
