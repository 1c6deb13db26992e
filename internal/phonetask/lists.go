package phonetask

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// ListInput imports a list of numbers and hands them out.
type ListInput struct {
	Name       string   `json:"name"`
	Staff      []Member `json:"staff" doc:"who takes the numbers; split by weight (equal weights: evenly)"`
	DailyCap   int      `json:"daily_cap,omitempty" doc:"numbers per member a day, counting their tasks of other lists (default 20, at most 200)"`
	ExpireDays int      `json:"expire_days,omitempty" doc:"an open task expires this many days after its day (default 7, 1-90)"`
	StartDay   string   `json:"start_day,omitempty" doc:"first task day YYYY-MM-DD (default today, Asia/Shanghai)"`
	Rows       []Row    `json:"rows"`
}

// Counts are tasks by status.
type Counts struct {
	Pending   int `json:"pending"`
	Requested int `json:"requested"`
	Added     int `json:"added"`
	Failed    int `json:"failed"`
	Expired   int `json:"expired"`
	Total     int `json:"total"`
}

func (c *Counts) add(status string, n int) {
	switch status {
	case Pending:
		c.Pending += n
	case Requested:
		c.Requested += n
	case Added:
		c.Added += n
	case Failed:
		c.Failed += n
	case Expired:
		c.Expired += n
	}
	c.Total += n
}

// List is an imported list of numbers with its tasks counted (those of the caller's scope).
type List struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	DailyCap   int       `json:"daily_cap"`
	ExpireDays int       `json:"expire_days"`
	FirstDay   string    `json:"first_day"`
	LastDay    string    `json:"last_day"`
	Counts     Counts    `json:"counts"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// writer returns the caller and scope after checking they may write at all.
func writer(ctx context.Context) (org.Caller, org.Scope, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return c, org.Scope{}, err
	}
	sc := org.ScopeOf(c)
	if sc.ReadOnly {
		return c, sc, &httpx.Error{Code: httpx.Forbidden}
	}
	return c, sc, nil
}

func validDay(s string) bool {
	t, err := time.Parse(time.DateOnly, s)
	return err == nil && t.Format(time.DateOnly) == s
}

// check validates a list's input (rows normalised in place) against the caller's scope.
func (s *Service) check(ctx context.Context, c org.Caller, sc org.Scope, in *ListInput) error {
	var v httpx.Validator
	in.Name = v.Text("name", in.Name, true, 50)
	if in.DailyCap == 0 {
		in.DailyCap = DefaultDailyCap
	}
	if in.DailyCap < 1 || in.DailyCap > MaxDailyCap {
		v.Add("daily_cap", "out_of_range")
	}
	if in.ExpireDays == 0 {
		in.ExpireDays = DefaultExpireDay
	}
	if in.ExpireDays < 1 || in.ExpireDays > MaxExpireDays {
		v.Add("expire_days", "out_of_range")
	}
	today := Day(s.clock())
	if in.StartDay == "" {
		in.StartDay = today
	} else if !validDay(in.StartDay) || in.StartDay < today {
		v.Add("start_day", "invalid")
	}
	switch {
	case len(in.Rows) == 0:
		v.Add("rows", "required")
	case len(in.Rows) > MaxRows:
		v.Add("rows", "out_of_range")
	default:
		seen := map[string]bool{}
		for i := range in.Rows {
			for f, code := range CheckRow(&in.Rows[i]) {
				v.Add(fmt.Sprintf("rows[%d].%s", i, f), code)
			}
			if p := in.Rows[i].Phone; !v.Has(fmt.Sprintf("rows[%d].phone", i)) {
				if seen[p] {
					v.Add(fmt.Sprintf("rows[%d].phone", i), "duplicate")
				}
				seen[p] = true
			}
		}
	}
	seen := map[int64]bool{}
	var ids []int64
	for i := range in.Staff {
		m := &in.Staff[i]
		if m.Weight == 0 {
			m.Weight = 1
		}
		if m.StaffID <= 0 || seen[m.StaffID] {
			v.Add(fmt.Sprintf("staff[%d].staff_id", i), "invalid")
		} else {
			ids = append(ids, m.StaffID)
		}
		seen[m.StaffID] = true
		if m.Weight < 1 || m.Weight > 100 {
			v.Add(fmt.Sprintf("staff[%d].weight", i), "out_of_range")
		}
	}
	switch {
	case len(in.Staff) == 0:
		v.Add("staff", "required")
	case len(in.Staff) > maxMembers:
		v.Add("staff", "out_of_range")
	case len(ids) > 0:
		found, err := s.staffIn(ctx, c, sc, ids)
		if err != nil {
			return err
		}
		for i, m := range in.Staff {
			if ok, known := found[m.StaffID]; m.StaffID > 0 && (!known || !ok) {
				code := "not_found"
				if known {
					code = "not_allowed" // resigned, or not on WeCom
				}
				v.Add(fmt.Sprintf("staff[%d].staff_id", i), code)
			}
		}
	}
	return v.Err()
}

// staffIn tells, for the ids visible in the scope, whether each member can take tasks (active and
// on WeCom).
func (s *Service) staffIn(ctx context.Context, c org.Caller, sc org.Scope, ids []int64) (map[int64]bool, error) {
	cond, cargs := sc.StaffFilter("s.id", "u.path")
	args := []any{c.TenantID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT s.id, s.status, s.wecom_userid FROM staff s JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.org_unit_id
		WHERE s.tenant_id = ? AND s.id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) AND `+cond, append(args, cargs...)...)
	if err != nil {
		return nil, fmt.Errorf("phonetask: staff: %w", err)
	}
	defer rows.Close()
	found := map[int64]bool{}
	for rows.Next() {
		var id int64
		var status, userID string
		if err := rows.Scan(&id, &status, &userID); err != nil {
			return nil, err
		}
		found[id] = status == org.StaffActive && userID != ""
	}
	return found, rows.Err()
}

// CreateList imports a list and assigns its numbers as daily tasks: each member's weighted share
// fills their days from the start day on, at most the daily cap a day counting the open tasks
// they already have. The caps hold across concurrent imports: the members' staff rows are locked
// for the transaction on PostgreSQL, and SQLite has one writer.
func (s *Service) CreateList(ctx context.Context, in ListInput) (List, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return List{}, err
	}
	if err := s.check(ctx, c, sc, &in); err != nil {
		return List{}, err
	}
	now := s.clock()
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		ids := make([]int64, 0, len(in.Staff))
		for _, m := range in.Staff {
			ids = append(ids, m.StaffID)
		}
		slices.Sort(ids)
		args := []any{c.TenantID}
		for _, id := range ids {
			args = append(args, id)
		}
		inIDs := `IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
		if tx.Dialect() == store.Postgres {
			rows, err := tx.QueryContext(ctx, `SELECT id FROM staff WHERE tenant_id = ? AND id `+inIDs+` ORDER BY id FOR UPDATE`, args...)
			if err != nil {
				return err
			}
			rows.Close()
		}
		// Expired tasks free their day's slot; the others (done or not) used it.
		load := map[Slot]int{}
		rows, err := tx.QueryContext(ctx, `SELECT staff_id, due_day, COUNT(*) FROM acq_phone_tasks
			WHERE tenant_id = ? AND staff_id `+inIDs+` AND due_day >= ? AND status <> 'expired' GROUP BY staff_id, due_day`,
			append(args, in.StartDay)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sl Slot
			var n int
			if err := rows.Scan(&sl.StaffID, &sl.Day, &n); err != nil {
				rows.Close()
				return err
			}
			load[sl] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		plan := Plan(len(in.Rows), in.Staff, in.DailyCap, in.StartDay, func(staffID int64, day string) int { return load[Slot{staffID, day}] })
		if err := tx.QueryRowContext(ctx, `INSERT INTO acq_phone_lists (tenant_id, name, daily_cap, expire_days, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, c.TenantID, in.Name, in.DailyCap, in.ExpireDays, c.Username, now).Scan(&id); err != nil {
			if store.IsUniqueViolation(err) {
				return httpx.FieldErr("name", "taken")
			}
			return err
		}
		for i, r := range in.Rows {
			sl := plan[i]
			if _, err := tx.ExecContext(ctx, `INSERT INTO acq_phone_tasks (tenant_id, list_id, phone, name, remark, staff_id, due_day, expires_on, status, assigned_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.TenantID, id, r.Phone, r.Name, r.Remark, sl.StaffID, sl.Day, addDays(sl.Day, in.ExpireDays),
				Pending, now, now); err != nil {
				return fmt.Errorf("row %d: %w", i, err)
			}
		}
		return nil
	})
	var he *httpx.Error
	if errors.As(err, &he) {
		return List{}, he
	}
	if err != nil {
		return List{}, fmt.Errorf("phonetask: create list: %w", err)
	}
	// Numbers already added to their member before the import count at once.
	if _, err := s.Detect(ctx, c.TenantID); err != nil {
		s.log.Warn("phone tasks: detect after import", "err", err)
	}
	return s.List(ctx, id)
}

// listSelect counts a list's tasks of the scope; cond is the scope's staff condition.
const listSelect = `SELECT l.id, l.name, l.daily_cap, l.expire_days, l.created_by, l.created_at, t.status, COUNT(*), MIN(t.due_day), MAX(t.due_day)
	FROM acq_phone_lists l JOIN acq_phone_tasks t ON t.tenant_id = l.tenant_id AND t.list_id = l.id
	JOIN staff st ON st.tenant_id = t.tenant_id AND st.id = t.staff_id JOIN org_units u ON u.tenant_id = st.tenant_id AND u.id = st.org_unit_id`

func (s *Service) lists(ctx context.Context, id int64) ([]List, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	cond, cargs := org.ScopeOf(c).StaffFilter("st.id", "u.path")
	q := listSelect + ` WHERE l.tenant_id = ? AND ` + cond
	args := append([]any{c.TenantID}, cargs...)
	if id > 0 {
		q += ` AND l.id = ?`
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, q+` GROUP BY l.id, l.name, l.daily_cap, l.expire_days, l.created_by, l.created_at, t.status ORDER BY l.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("phonetask: lists: %w", err)
	}
	defer rows.Close()
	out := []List{}
	for rows.Next() {
		var m List
		var status, first, last string
		var n int
		if err := rows.Scan(&m.ID, &m.Name, &m.DailyCap, &m.ExpireDays, &m.CreatedBy, &m.CreatedAt, &status, &n, &first, &last); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != m.ID {
			m.FirstDay, m.LastDay = first, last
			out = append(out, m)
		}
		l := &out[len(out)-1]
		l.Counts.add(status, n)
		if first < l.FirstDay {
			l.FirstDay = first
		}
		if last > l.LastDay {
			l.LastDay = last
		}
	}
	return out, rows.Err()
}

// Lists returns the lists with tasks in the caller's scope, newest first, counting those tasks.
func (s *Service) Lists(ctx context.Context) ([]List, error) { return s.lists(ctx, 0) }

// List returns one list of the caller's scope.
func (s *Service) List(ctx context.Context, id int64) (List, error) {
	out, err := s.lists(ctx, id)
	if err != nil {
		return List{}, err
	}
	if len(out) == 0 {
		return List{}, httpx.NotFoundf("phone list")
	}
	return out[0], nil
}
