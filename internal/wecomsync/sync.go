package wecomsync

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// OrgApplier takes WeCom's departments and members into the organisation.
type OrgApplier interface {
	ApplyDepartments(ctx context.Context, tenantID int64, depts []org.Department) (int, error)
	ApplyMembers(ctx context.Context, tenantID int64, members []org.WeComMember) (int, error)
	RenameWeComUser(ctx context.Context, tenantID int64, oldID, newID string) error
}

// CustomerApplier takes WeCom's customers, tags and groups into the customer domain.
type CustomerApplier interface {
	ApplyTags(ctx context.Context, tenantID int64, groups []wecom.TagGroup) (int, error)
	ApplyContact(ctx context.Context, tenantID int64, c wecom.ExternalContact, follows []customer.Follow) (customer.Applied, error)
	ApplyGroup(ctx context.Context, tenantID int64, g *wecom.GroupChat) error
	// LinkStaff attaches relations recorded before their staff member existed.
	LinkStaff(ctx context.Context, tenantID int64) (int, error)
	RenameWeComUser(ctx context.Context, tenantID int64, oldID, newID string) error
	// EndUnseen ends relations and groups a full sync begun at since did not see.
	EndUnseen(ctx context.Context, tenantID int64, since time.Time) (int, error)
}

// Appliers are where synced data goes.
type Appliers struct {
	Org      OrgApplier
	Customer CustomerApplier
}

// SetAppliers wires the domain packages into full syncs and staff events.
func (s *Service) SetAppliers(a Appliers) { s.appliers = a }

// Sync stages, in order.
const (
	StageDepartments = "departments"
	StageStaff       = "staff"
	StageTags        = "tags"
	StageCustomers   = "customers"
	StageGroups      = "groups"
	StageDone        = "done"
)

var stages = []string{StageDepartments, StageStaff, StageTags, StageCustomers, StageGroups, StageDone}

// SyncCounts are what a run has applied so far.
type SyncCounts struct {
	Departments int `json:"departments"`
	Staff       int `json:"staff"`
	Tags        int `json:"tags"`
	Customers   int `json:"customers"`
	Relations   int `json:"relations"`
	Groups      int `json:"groups"`
}

// SyncRun is one full sync.
type SyncRun struct {
	ID         int64      `json:"id"`
	Status     string     `json:"status" doc:"running, done or failed"`
	Stage      string     `json:"stage"`
	Trigger    string     `json:"trigger" doc:"manual or startup"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Counts     SyncCounts `json:"counts"`
	LastError  string     `json:"last_error"`
}

// SyncRunList is the latest runs, newest first.
type SyncRunList struct {
	Items []SyncRun `json:"items"`
}

// syncLease is renewed with every saved page; a page (up to 200 members, 100 customers or 100
// groups) takes well under it.
const syncLease = 10 * time.Minute

// StartManualSync is a user starting a full sync of their tenant: read-only roles may not, and
// the tenant's WeCom settings must be usable first.
func (s *Service) StartManualSync(ctx context.Context) (SyncRun, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return SyncRun{}, err
	}
	if org.ScopeOf(c).ReadOnly {
		return SyncRun{}, &httpx.Error{Code: httpx.Forbidden}
	}
	if _, err := s.Client(ctx, c.TenantID); err != nil {
		return SyncRun{}, err
	}
	return s.StartSync(ctx, c.TenantID, "manual")
}

// StartSync begins a full sync of a tenant; at most one runs per tenant.
func (s *Service) StartSync(ctx context.Context, tenantID int64, trigger string) (SyncRun, error) {
	now := s.clock()
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO wecom_sync_runs (tenant_id, trigger, status, stage, started_at)
			VALUES (?, ?, 'running', ?, ?) RETURNING id`, tenantID, trigger, StageDepartments, now).Scan(&id)
	})
	if store.IsUniqueViolation(err) {
		return SyncRun{}, &httpx.Error{Code: httpx.Conflict, Key: "sync_running", Message: "a full sync is already running"}
	}
	if err != nil {
		return SyncRun{}, fmt.Errorf("wecomsync: start sync: %w", err)
	}
	select {
	case s.syncWake <- struct{}{}:
	default:
	}
	return s.syncRun(ctx, tenantID, id)
}

func (s *Service) syncRun(ctx context.Context, tenantID, id int64) (SyncRun, error) {
	rows, err := s.db.QueryContext(ctx, syncSelect+` WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return SyncRun{}, err
	}
	runs, err := scanRuns(rows)
	if err != nil || len(runs) == 0 {
		return SyncRun{}, errors.Join(err, httpx.NotFoundf("sync run"))
	}
	return runs[0], nil
}

const syncSelect = `SELECT id, status, stage, trigger, started_at, finished_at, counts, last_error FROM wecom_sync_runs`

func scanRuns(rows *sql.Rows) ([]SyncRun, error) {
	defer rows.Close()
	out := []SyncRun{}
	for rows.Next() {
		var r SyncRun
		var fin sql.NullTime
		var counts string
		if err := rows.Scan(&r.ID, &r.Status, &r.Stage, &r.Trigger, &r.StartedAt, &fin, &counts, &r.LastError); err != nil {
			return nil, err
		}
		if fin.Valid {
			r.FinishedAt = &fin.Time
		}
		_ = json.Unmarshal([]byte(counts), &r.Counts)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SyncRuns lists a tenant's latest runs.
func (s *Service) SyncRuns(ctx context.Context, tenantID int64) (SyncRunList, error) {
	rows, err := s.db.QueryContext(ctx, syncSelect+` WHERE tenant_id = ? ORDER BY id DESC LIMIT 20`, tenantID)
	if err != nil {
		return SyncRunList{}, fmt.Errorf("wecomsync: sync runs: %w", err)
	}
	runs, err := scanRuns(rows)
	return SyncRunList{Items: runs}, err
}

// syncLoop runs claimed syncs; a run whose worker died is taken over when its lease ends, and
// continues from its saved stage and cursor.
func (s *Service) syncLoop(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		for {
			ran, err := s.RunOneSync(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.Error("wecom sync", slog.Any("err", err))
			}
			if !ran {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.syncWake:
		case <-t.C:
		}
	}
}

type syncState struct {
	id, tenantID int64
	stage        string
	cursor       string
	counts       SyncCounts
	attempts     int
	token        string // proves the claim is still ours when progress is written
	startedAt    time.Time
}

// errClaimLost stops a run whose lease another worker has taken over.
var errClaimLost = errors.New("wecomsync: sync claim taken over by another worker")

// syncAttempts is how often a run meets an error before it is marked failed; in between it waits
// (syncRetry × attempt) and resumes from its saved stage and cursor.
const (
	syncAttempts = 3
	syncRetry    = 30 * time.Second
)

// RunOneSync claims one runnable sync and drives it to the end (or failure). It reports whether
// it found one.
func (s *Service) RunOneSync(ctx context.Context) (bool, error) {
	now := s.clock()
	var st syncState
	var counts string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, tenant_id, stage, cursor, counts, attempts, started_at FROM wecom_sync_runs
			WHERE status = 'running' AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY id LIMIT 1`, now).
			Scan(&st.id, &st.tenantID, &st.stage, &st.cursor, &counts, &st.attempts, &st.startedAt)
		if err != nil {
			return err
		}
		st.token = newToken()
		res, err := tx.ExecContext(ctx, `UPDATE wecom_sync_runs SET claimed_until = ?, claim_token = ? WHERE id = ? AND (claimed_until IS NULL OR claimed_until < ?)`,
			now.Add(syncLease), st.token, st.id, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sql.ErrNoRows // another replica claimed it first
		}
		return nil
	})
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("wecomsync: claim sync: %w", err)
	}
	_ = json.Unmarshal([]byte(counts), &st.counts)
	if err := s.drive(ctx, &st); errors.Is(err, errClaimLost) {
		s.log.Warn("wecom full sync handed over", slog.Int64("tenant", st.tenantID), slog.Int64("run", st.id))
		return true, nil
	} else if err != nil {
		msg := err.Error()
		if len(msg) > 1000 {
			msg = msg[:1000]
		}
		st.attempts++
		if st.attempts < syncAttempts {
			// Resume later from the last saved page (what drive saved before the error).
			s.log.Warn("wecom full sync interrupted; will resume", slog.Int64("tenant", st.tenantID), slog.String("stage", st.stage),
				slog.Int("attempt", st.attempts), slog.Any("err", err))
			_, uerr := s.db.ExecContext(ctx, `UPDATE wecom_sync_runs SET attempts = ?, last_error = ?, claimed_until = ?
				WHERE tenant_id = ? AND id = ? AND claim_token = ?`, st.attempts, msg, s.clock().Add(time.Duration(st.attempts)*syncRetry), st.tenantID, st.id, st.token)
			return true, uerr
		}
		s.log.Warn("wecom full sync failed", slog.Int64("tenant", st.tenantID), slog.String("stage", st.stage), slog.Any("err", err))
		_, uerr := s.db.ExecContext(ctx, `UPDATE wecom_sync_runs SET status = 'failed', attempts = ?, last_error = ?, finished_at = ?, claimed_until = NULL
			WHERE tenant_id = ? AND id = ? AND claim_token = ?`, st.attempts, msg, s.clock(), st.tenantID, st.id, st.token)
		return true, uerr
	}
	_, err = s.db.ExecContext(ctx, `UPDATE wecom_sync_runs SET status = 'done', stage = 'done', last_error = '', finished_at = ?, claimed_until = NULL
		WHERE tenant_id = ? AND id = ? AND claim_token = ?`, s.clock(), st.tenantID, st.id, st.token)
	return true, err
}

// save records progress (and renews the lease) after every page, which is what makes a run
// resumable.
func (s *Service) save(ctx context.Context, st *syncState) error {
	counts, _ := json.Marshal(st.counts)
	now := s.clock()
	res, err := s.db.ExecContext(ctx, `UPDATE wecom_sync_runs SET stage = ?, cursor = ?, counts = ?, claimed_until = ?
		WHERE tenant_id = ? AND id = ? AND claim_token = ?`,
		st.stage, st.cursor, string(counts), now.Add(syncLease), st.tenantID, st.id, st.token)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errClaimLost
	}
	return nil
}

func (s *Service) drive(ctx context.Context, st *syncState) error {
	if s.appliers.Org == nil || s.appliers.Customer == nil {
		return errors.New("wecomsync: no appliers wired")
	}
	client, err := s.Client(ctx, st.tenantID)
	if err != nil {
		return err
	}
	for st.stage != StageDone {
		more, err := s.step(ctx, client, st)
		if err != nil {
			return fmt.Errorf("%s: %w", st.stage, err)
		}
		if !more {
			if st.stage == StageGroups {
				// Everything WeCom still has was seen; what was not is gone.
				// A minute of margin: the run's start and the relations' confirmations may come from
				// different replicas' clocks.
				if _, err := s.appliers.Customer.EndUnseen(ctx, st.tenantID, st.startedAt.Add(-time.Minute)); err != nil {
					return fmt.Errorf("end unseen: %w", err)
				}
			}
			for i, name := range stages {
				if name == st.stage {
					st.stage, st.cursor = stages[i+1], ""
					break
				}
			}
		}
		if err := s.save(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

// step applies one page of the current stage and reports whether the stage has more pages.
func (s *Service) step(ctx context.Context, c *wecom.Client, st *syncState) (bool, error) {
	a := s.appliers
	switch st.stage {
	case StageDepartments:
		depts, err := c.ListDepartments(ctx, 0)
		if err != nil {
			return false, err
		}
		in := make([]org.Department, 0, len(depts))
		for _, d := range depts {
			in = append(in, org.Department{WeComID: d.ID, ParentWeComID: d.ParentID, Name: d.Name})
		}
		n, err := a.Org.ApplyDepartments(ctx, st.tenantID, in)
		st.counts.Departments += n
		return false, err
	case StageStaff:
		page, err := c.ListUserIDs(ctx, wecom.ListUserIDsRequest{Cursor: st.cursor, Limit: 200})
		if err != nil {
			return false, err
		}
		members := make([]org.WeComMember, 0, len(page.DeptUser))
		seen := map[string]bool{}
		for _, du := range page.DeptUser {
			if seen[du.UserID] {
				continue
			}
			seen[du.UserID] = true
			u, err := c.GetUser(ctx, du.UserID)
			if err != nil {
				return false, fmt.Errorf("user %s: %w", du.UserID, err)
			}
			members = append(members, memberOf(u))
		}
		n, err := a.Org.ApplyMembers(ctx, st.tenantID, members)
		if err != nil {
			return false, err
		}
		if _, err := a.Customer.LinkStaff(ctx, st.tenantID); err != nil {
			return false, err
		}
		st.counts.Staff += n
		st.cursor = page.NextCursor
		return page.NextCursor != "", nil
	case StageTags:
		groups, err := c.GetCorpTagList(ctx, wecom.GetCorpTagListRequest{})
		if err != nil {
			return false, err
		}
		n, err := a.Customer.ApplyTags(ctx, st.tenantID, groups)
		st.counts.Tags += n
		return false, err
	case StageCustomers:
		return s.customersPage(ctx, c, st)
	case StageGroups:
		page, err := c.ListGroupChats(ctx, wecom.ListGroupChatsRequest{Cursor: st.cursor, Limit: 100})
		if err != nil {
			return false, err
		}
		for _, g := range page.GroupChatList {
			chat, err := c.GetGroupChat(ctx, g.ChatID, true)
			if err != nil {
				return false, fmt.Errorf("group %s: %w", g.ChatID, err)
			}
			if err := a.Customer.ApplyGroup(ctx, st.tenantID, chat); err != nil {
				return false, err
			}
			st.counts.Groups++
		}
		st.cursor = page.NextCursor
		return page.NextCursor != "", nil
	}
	return false, fmt.Errorf("unknown stage %q", st.stage)
}

// customerCursor walks the staff with customer contact in chunks of 100 (batch/get_by_user's
// limit), each chunk page by page. The list of staff is read once at the start of the stage and
// kept in the cursor, so staff joining or leaving meanwhile cannot shift the chunks.
type customerCursor struct {
	Users  []string `json:"users"`
	Chunk  int      `json:"chunk"`
	Cursor string   `json:"cursor"`
}

func (s *Service) customersPage(ctx context.Context, c *wecom.Client, st *syncState) (bool, error) {
	var cur customerCursor
	if st.cursor != "" {
		if err := json.Unmarshal([]byte(st.cursor), &cur); err != nil {
			return false, fmt.Errorf("bad cursor %q: %w", st.cursor, err)
		}
	} else {
		users, err := c.GetFollowUserList(ctx)
		if err != nil {
			return false, err
		}
		cur.Users = users
	}
	from := cur.Chunk * 100
	if from >= len(cur.Users) {
		return false, nil
	}
	chunk := cur.Users[from:min(from+100, len(cur.Users))]
	page, err := c.BatchGetByUser(ctx, wecom.BatchGetByUserRequest{UserIDList: chunk, Cursor: cur.Cursor, Limit: 100})
	if err != nil {
		return false, err
	}
	for _, e := range page.ExternalContactList {
		applied, err := s.appliers.Customer.ApplyContact(ctx, st.tenantID, e.ExternalContact, []customer.Follow{customer.FollowOfInfo(e.FollowInfo)})
		if err != nil {
			return false, err
		}
		if applied.Created {
			st.counts.Customers++
		}
		st.counts.Relations += len(applied.NewRelations)
	}
	if page.NextCursor != "" {
		cur.Cursor = page.NextCursor
	} else {
		cur.Chunk, cur.Cursor = cur.Chunk+1, ""
	}
	b, _ := json.Marshal(cur)
	st.cursor = string(b)
	return cur.Chunk*100 < len(cur.Users), nil
}

func memberOf(u *wecom.User) org.WeComMember {
	// WeCom status: 1 active, 2 disabled, 4 not activated, 5 left.
	return org.WeComMember{UserID: u.UserID, Name: u.Name, Mobile: u.Mobile, DepartmentIDs: u.Department, Resigned: u.Status == 5 || u.Status == 2}
}

// handleContactEvent keeps staff and departments in step between full syncs.
func (s *Service) handleContactEvent(ctx context.Context, tenantID int64, e *wecom.ContactEvent) error {
	if s.appliers.Org == nil {
		return nil
	}
	switch e.ChangeType {
	case wecom.ChangeCreateUser, wecom.ChangeUpdateUser:
		c, err := s.Client(ctx, tenantID)
		if err != nil {
			return err
		}
		userID := e.UserID
		if e.NewUserID != "" && e.NewUserID != e.UserID { // the member's userid changed
			if err := s.appliers.Org.RenameWeComUser(ctx, tenantID, e.UserID, e.NewUserID); err != nil {
				return err
			}
			if s.appliers.Customer != nil {
				if err := s.appliers.Customer.RenameWeComUser(ctx, tenantID, e.UserID, e.NewUserID); err != nil {
					return err
				}
			}
			userID = e.NewUserID
		}
		u, err := c.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if _, err = s.appliers.Org.ApplyMembers(ctx, tenantID, []org.WeComMember{memberOf(u)}); err != nil {
			return err
		}
		if s.appliers.Customer != nil {
			_, err = s.appliers.Customer.LinkStaff(ctx, tenantID)
		}
		return err
	case wecom.ChangeDeleteUser:
		_, err := s.appliers.Org.ApplyMembers(ctx, tenantID, []org.WeComMember{{UserID: e.UserID, Resigned: true}})
		return err
	case wecom.ChangeCreateParty, wecom.ChangeUpdateParty:
		c, err := s.Client(ctx, tenantID)
		if err != nil {
			return err
		}
		depts, err := c.ListDepartments(ctx, 0)
		if err != nil {
			return err
		}
		in := make([]org.Department, 0, len(depts))
		for _, d := range depts {
			in = append(in, org.Department{WeComID: d.ID, ParentWeComID: d.ParentID, Name: d.Name})
		}
		_, err = s.appliers.Org.ApplyDepartments(ctx, tenantID, in)
		return err
	}
	return nil
}
