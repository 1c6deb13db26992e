package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Customer transfers (客户继承) hand a staff member's customers to another member through
// WeCom: externalcontact/transfer_customer for members still employed (在职继承) and
// resigned/transfer_customer for members who left (离职继承). WeCom accepts at most 100
// customers per call and answers per customer; an accepted customer has 24 hours to refuse,
// after which the takeover completes (transfer_result status 1 done, 2 waiting, 3 refused,
// 4 takeover member over the customer limit). An on-job member's customer may be transferred
// twice in 90 days (40128 beyond).
//
// A transfer is a job with one item per customer. The worker submits pending items in batches
// of 100, polls transfer_result for waiting ones until each is final, and re-submits failures
// that may pass (busy, rate limit, transport errors). When transfer_result
// reports a customer taken over, Siyu moves the relation itself — the handover's relation ends
// ("removed"), the takeover's becomes active with the handover's remark and state — so the
// outcome does not depend on callbacks. WeCom's own events about the same change
// (add_external_contact for the takeover, del_external_contact with DELETE_BY_TRANSFER for an
// on-job handover) apply to the same rows as idempotent upserts: whichever comes first wins and
// the second changes nothing.

// Transfer kinds and item statuses.
const (
	TransferOnJob    = "on_job"
	TransferResigned = "resigned"

	ItemPending   = "pending"   // to be submitted (again)
	ItemWaiting   = "waiting"   // accepted by WeCom; the customer may still refuse
	ItemSucceeded = "succeeded" // taken over
	ItemFailed    = "failed"    // WeCom refused the submission, or the takeover member is over the limit
	ItemRejected  = "rejected"  // the customer refused

	// EventTransferred is the timeline entry of a completed transfer.
	EventTransferred = "transferred"

	// maxTransferCustomers caps one transfer job.
	maxTransferCustomers = 10000
	// noRecordAfter is when a submitted customer transfer_result still does not know is given up.
	noRecordAfter = 48 * time.Hour
)

// TransferOptions tune the transfer worker; zero values take the defaults.
type TransferOptions struct {
	// PollEvery is how often the worker looks for due transfers (default 5 s).
	PollEvery time.Duration
	// CheckEvery is the wait between transfer_result checks of a waiting customer (default
	// 10 min; a customer has 24 h to refuse).
	CheckEvery time.Duration
	// RetryBase is the delay before a retryable failure is submitted again: attempt² × base
	// (default 1 min).
	RetryBase time.Duration
	// MaxAttempts is how often a customer is submitted before it fails for good (default 5).
	MaxAttempts int
}

func (o TransferOptions) withDefaults() TransferOptions {
	if o.PollEvery <= 0 {
		o.PollEvery = 5 * time.Second
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = 10 * time.Minute
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	return o
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"transfer_no_customers":     {Zh: "该员工没有可继承的客户", En: "This staff member has no customers to transfer"},
		"transfer_customer_busy":    {Zh: "部分客户正在其他继承任务中，请等待其完成", En: "Some of these customers are already in another transfer; wait for it to finish"},
		"transfer_nothing_to_retry": {Zh: "没有失败的客户可以重试", En: "There are no failed customers to retry"},
		"transfer_not_wired":        {Zh: "客户继承不可用", En: "Customer transfers are not available"},
	})
}

// TransferInput creates a transfer. Either CustomerIDs or All.
type TransferInput struct {
	FromStaffID int64   `json:"from_staff_id"`
	ToStaffID   int64   `json:"to_staff_id"`
	CustomerIDs []int64 `json:"customer_ids,omitempty" doc:"customers of the from-staff to transfer (at most 10000)"`
	All         bool    `json:"all,omitempty" doc:"every customer of the from-staff: their active relations in Siyu, or for a resigned member WeCom's get_unassigned_list"`
	Message     string  `json:"message,omitempty" doc:"what the customer is told (transfer_success_msg, on-job transfers only, ≤ 200 characters)"`
}

// TransferCounts counts a transfer's customers by status.
type TransferCounts struct {
	Total     int `json:"total"`
	Pending   int `json:"pending"`
	Waiting   int `json:"waiting"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Rejected  int `json:"rejected"`
}

func (c *TransferCounts) add(status string, n int) {
	c.Total += n
	switch status {
	case ItemPending:
		c.Pending += n
	case ItemWaiting:
		c.Waiting += n
	case ItemSucceeded:
		c.Succeeded += n
	case ItemFailed:
		c.Failed += n
	case ItemRejected:
		c.Rejected += n
	}
}

// Transfer is a transfer job.
type Transfer struct {
	ID            int64          `json:"id"`
	Kind          string         `json:"kind" doc:"on_job (在职继承) or resigned (离职继承)"`
	FromStaffID   int64          `json:"from_staff_id"`
	FromStaffName string         `json:"from_staff_name"`
	ToStaffID     int64          `json:"to_staff_id"`
	ToStaffName   string         `json:"to_staff_name"`
	Message       string         `json:"message"`
	CreatedBy     *int64         `json:"created_by" doc:"console user; null for API tokens"`
	Status        string         `json:"status" doc:"running until every customer is final, then done"`
	Counts        TransferCounts `json:"counts"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	FinishedAt    *time.Time     `json:"finished_at"`
}

// TransferItem is one customer of a transfer.
type TransferItem struct {
	CustomerID   int64      `json:"customer_id"`
	CustomerName string     `json:"customer_name"`
	Status       string     `json:"status" doc:"pending, waiting, succeeded, failed or rejected"`
	ErrCode      int        `json:"errcode" doc:"WeCom errcode of the last failed submission"`
	Error        string     `json:"error" doc:"why it failed: WeCom's meaning of errcode, customer_limit_exceed, no_record"`
	Attempts     int        `json:"attempts"`
	NextCheckAt  *time.Time `json:"next_check_at"`
	SubmittedAt  *time.Time `json:"submitted_at"`
	TakeoverAt   *time.Time `json:"takeover_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// TransferDetail is a transfer with its customers.
type TransferDetail struct {
	Transfer
	Items []TransferItem `json:"items"`
}

// CreateTransfer starts transferring customers from one staff member to another. Both must be
// in the caller's scope; the kind follows the from-staff's status (resigned → 离职继承). Every
// customer must have an active relation with the from-staff and must not be in another
// unfinished transfer.
func (s *Service) CreateTransfer(ctx context.Context, in TransferInput) (TransferDetail, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return TransferDetail{}, err
	}
	if s.ext.directory == nil {
		return TransferDetail{}, &httpx.Error{Code: httpx.Internal, Key: "transfer_not_wired", Message: "customer transfers are not wired"}
	}
	var v httpx.Validator
	v.Check(in.FromStaffID > 0, "from_staff_id", "required")
	v.Check(in.ToStaffID > 0, "to_staff_id", "required")
	if in.FromStaffID > 0 && in.FromStaffID == in.ToStaffID {
		v.Add("to_staff_id", "invalid")
	}
	switch {
	case in.All && len(in.CustomerIDs) > 0:
		v.Add("customer_ids", "not_allowed")
	case !in.All && len(in.CustomerIDs) == 0:
		v.Add("customer_ids", "required")
	case len(in.CustomerIDs) > maxTransferCustomers:
		v.Add("customer_ids", "out_of_range")
	}
	for i, id := range in.CustomerIDs {
		if id <= 0 || slices.Index(in.CustomerIDs, id) < i {
			v.Add(fmt.Sprintf("customer_ids[%d]", i), "invalid")
		}
	}
	in.Message = strings.TrimSpace(in.Message)
	if utf8.RuneCountInString(in.Message) > 200 {
		v.AddLimit("message", "too_long", 200)
	}
	if err := v.Err(); err != nil {
		return TransferDetail{}, err
	}
	from, err := s.ext.directory.GetStaff(ctx, in.FromStaffID)
	if httpx.ErrorCode(err) == httpx.NotFound {
		v.Add("from_staff_id", "not_found")
	} else if err != nil {
		return TransferDetail{}, err
	}
	to, err := s.ext.directory.GetStaff(ctx, in.ToStaffID)
	if httpx.ErrorCode(err) == httpx.NotFound {
		v.Add("to_staff_id", "not_found")
	} else if err != nil {
		return TransferDetail{}, err
	}
	if err := v.Err(); err != nil {
		return TransferDetail{}, err
	}
	v.Check(from.WeComUserID != "", "from_staff_id", "invalid")
	v.Check(to.WeComUserID != "", "to_staff_id", "invalid")
	v.Check(to.Status == org.StaffActive, "to_staff_id", "not_allowed")
	if err := v.Err(); err != nil {
		return TransferDetail{}, err
	}
	kind := TransferOnJob
	if from.Status == org.StaffResigned {
		kind = TransferResigned
		in.Message = "" // WeCom tells resigned-transfer customers nothing
	}

	var targets []transferTarget
	if in.All {
		if targets, err = s.allCustomersOf(ctx, c.TenantID, kind, from.WeComUserID); err != nil {
			return TransferDetail{}, err
		}
		if len(targets) == 0 {
			return TransferDetail{}, &httpx.Error{Code: httpx.Invalid, Key: "transfer_no_customers", Message: "the staff member has no customers to transfer",
				Fields: map[string]httpx.FieldError{"all": {Code: "not_found"}}}
		}
		if len(targets) > maxTransferCustomers {
			targets = targets[:maxTransferCustomers]
		}
	} else {
		for i, cid := range in.CustomerIDs {
			var ext sql.NullString
			err := s.db.QueryRowContext(ctx, `SELECT (SELECT MIN(i.value) FROM customer_identities i WHERE i.tenant_id = cs.tenant_id
					AND i.customer_id = cs.customer_id AND i.kind = ?)
				FROM customer_staff cs WHERE cs.tenant_id = ? AND cs.customer_id = ? AND cs.wecom_userid = ? AND cs.status = ?`,
				IdentityExternalUserID, c.TenantID, cid, from.WeComUserID, RelationActive).Scan(&ext)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !ext.Valid) {
				v.Add(fmt.Sprintf("customer_ids[%d]", i), "not_found")
				continue
			}
			if err != nil {
				return TransferDetail{}, fmt.Errorf("customer: transfer: customer %d: %w", cid, err)
			}
			targets = append(targets, transferTarget{cid, ext.String})
		}
		if err := v.Err(); err != nil {
			return TransferDetail{}, err
		}
	}

	now := s.clock()
	var createdBy *int64
	if c.UserID != 0 {
		createdBy = &c.UserID
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO customer_transfers (tenant_id, kind, from_staff_id, to_staff_id, handover_userid, takeover_userid,
			message, created_by, status, next_run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?) RETURNING id`,
			c.TenantID, kind, from.ID, to.ID, from.WeComUserID, to.WeComUserID, in.Message, createdBy, now, now, now).Scan(&id); err != nil {
			return err
		}
		for _, t := range targets {
			if _, err := tx.ExecContext(ctx, `INSERT INTO customer_transfer_items (tenant_id, transfer_id, customer_id, external_userid, status, next_check_at, updated_at)
				VALUES (?, ?, ?, ?, 'pending', ?, ?)`, c.TenantID, id, t.cid, t.ext, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if store.IsUniqueViolation(err) {
		return TransferDetail{}, &httpx.Error{Code: httpx.Conflict, Key: "transfer_customer_busy", Message: "a customer is already in another unfinished transfer"}
	}
	if err != nil {
		return TransferDetail{}, fmt.Errorf("customer: create transfer: %w", err)
	}
	s.wakeTransfers()
	return s.GetTransfer(ctx, id)
}

// transferTarget is a customer to transfer and the external_userid WeCom knows them by.
type transferTarget struct {
	cid int64
	ext string
}

// allCustomersOf lists (customer id, external_userid) pairs of a member: their active relations
// in Siyu for an on-job member; for a resigned one, WeCom's list of customers waiting for a new
// member (get_unassigned_list), which is what resigned/transfer_customer accepts. Customers Siyu
// has not recorded yet are left out (a full sync brings them).
func (s *Service) allCustomersOf(ctx context.Context, tenantID int64, kind, userID string) ([]transferTarget, error) {
	var out []transferTarget
	if kind == TransferOnJob {
		rows, err := s.db.QueryContext(ctx, `SELECT cs.customer_id, (SELECT MIN(i.value) FROM customer_identities i WHERE i.tenant_id = cs.tenant_id
				AND i.customer_id = cs.customer_id AND i.kind = ?)
			FROM customer_staff cs WHERE cs.tenant_id = ? AND cs.wecom_userid = ? AND cs.status = ? ORDER BY cs.customer_id`,
			IdentityExternalUserID, tenantID, userID, RelationActive)
		if err != nil {
			return nil, fmt.Errorf("customer: customers of %s: %w", userID, err)
		}
		defer rows.Close()
		for rows.Next() {
			var cid int64
			var ext sql.NullString
			if err := rows.Scan(&cid, &ext); err != nil {
				return nil, err
			}
			if ext.Valid {
				out = append(out, transferTarget{cid, ext.String})
			}
		}
		return out, rows.Err()
	}
	client, err := s.wecom.Client(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var exts []string
	for cursor := ""; ; {
		page, err := client.GetUnassignedList(ctx, wecom.GetUnassignedListRequest{PageSize: 1000, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("customer: unassigned customers of %s: %w", userID, err)
		}
		for _, u := range page.Info {
			if u.HandoverUserID == userID && !slices.Contains(exts, u.ExternalUserID) {
				exts = append(exts, u.ExternalUserID)
			}
		}
		if page.IsLast || page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	for _, ext := range exts {
		var cid int64
		err := s.db.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value = ?`,
			tenantID, IdentityExternalUserID, ext).Scan(&cid)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, transferTarget{cid, ext})
	}
	return out, nil
}

const transferSelect = `SELECT t.id, t.kind, t.from_staff_id, fs.name, t.to_staff_id, ts.name, t.message, t.created_by, t.status,
	t.created_at, t.updated_at, t.finished_at
	FROM customer_transfers t
	JOIN staff fs ON fs.tenant_id = t.tenant_id AND fs.id = t.from_staff_id
	JOIN org_units fu ON fu.tenant_id = fs.tenant_id AND fu.id = fs.org_unit_id
	JOIN staff ts ON ts.tenant_id = t.tenant_id AND ts.id = t.to_staff_id`

func scanTransfer(row interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	var by sql.NullInt64
	var fin sql.NullTime
	err := row.Scan(&t.ID, &t.Kind, &t.FromStaffID, &t.FromStaffName, &t.ToStaffID, &t.ToStaffName, &t.Message, &by, &t.Status,
		&t.CreatedAt, &t.UpdatedAt, &fin)
	if by.Valid {
		t.CreatedBy = &by.Int64
	}
	if fin.Valid {
		t.FinishedAt = &fin.Time
	}
	return t, err
}

// ListTransfers lists the transfers whose from-staff is in the caller's scope, newest first.
func (s *Service) ListTransfers(ctx context.Context, page httpx.PageRequest) (httpx.Page[Transfer], error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return httpx.Page[Transfer]{}, err
	}
	cond, args := org.ScopeOf(c).StaffFilter("t.from_staff_id", "fu.path")
	q := transferSelect + ` WHERE t.tenant_id = ? AND ` + cond
	args = append([]any{c.TenantID}, args...)
	if page.After > 0 {
		q += ` AND t.id < ?`
		args = append(args, page.After)
	}
	q += ` ORDER BY t.id DESC LIMIT ?`
	args = append(args, page.Limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return httpx.Page[Transfer]{}, fmt.Errorf("customer: list transfers: %w", err)
	}
	var items []Transfer
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			rows.Close()
			return httpx.Page[Transfer]{}, err
		}
		items = append(items, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return httpx.Page[Transfer]{}, err
	}
	out := httpx.MakePage(items, page.Limit, func(t Transfer) int64 { return t.ID })
	if err := s.fillCounts(ctx, c.TenantID, out.Items); err != nil {
		return httpx.Page[Transfer]{}, err
	}
	return out, nil
}

func (s *Service) fillCounts(ctx context.Context, tenantID int64, ts []Transfer) error {
	if len(ts) == 0 {
		return nil
	}
	idx := map[int64]*Transfer{}
	args := []any{tenantID}
	for i := range ts {
		idx[ts[i].ID] = &ts[i]
		args = append(args, ts[i].ID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT transfer_id, status, COUNT(*) FROM customer_transfer_items WHERE tenant_id = ? AND transfer_id IN (?`+
		strings.Repeat(", ?", len(ts)-1)+`) GROUP BY transfer_id, status`, args...)
	if err != nil {
		return fmt.Errorf("customer: transfer counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var status string
		var n int
		if err := rows.Scan(&id, &status, &n); err != nil {
			return err
		}
		idx[id].Counts.add(status, n)
	}
	return rows.Err()
}

// GetTransfer returns a transfer with its customers; outside the caller's scope it is not found.
func (s *Service) GetTransfer(ctx context.Context, id int64) (TransferDetail, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return TransferDetail{}, err
	}
	cond, args := org.ScopeOf(c).StaffFilter("t.from_staff_id", "fu.path")
	t, err := scanTransfer(s.db.QueryRowContext(ctx, transferSelect+` WHERE t.tenant_id = ? AND t.id = ? AND `+cond,
		append([]any{c.TenantID, id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return TransferDetail{}, httpx.NotFoundf("transfer")
	}
	if err != nil {
		return TransferDetail{}, fmt.Errorf("customer: transfer %d: %w", id, err)
	}
	// The counts come from the items read here, so the two always agree.
	out := TransferDetail{Transfer: t, Items: []TransferItem{}}
	rows, err := s.db.QueryContext(ctx, `SELECT i.customer_id, c.name, i.status, i.errcode, i.error, i.attempts, i.next_check_at, i.submitted_at,
		i.takeover_at, i.updated_at FROM customer_transfer_items i JOIN customers c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
		WHERE i.tenant_id = ? AND i.transfer_id = ? ORDER BY i.customer_id`, c.TenantID, id)
	if err != nil {
		return TransferDetail{}, fmt.Errorf("customer: transfer %d items: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var it TransferItem
		var next, sub, took sql.NullTime
		if err := rows.Scan(&it.CustomerID, &it.CustomerName, &it.Status, &it.ErrCode, &it.Error, &it.Attempts, &next, &sub, &took, &it.UpdatedAt); err != nil {
			return TransferDetail{}, err
		}
		if it.Status == ItemPending || it.Status == ItemWaiting {
			it.NextCheckAt = &next.Time
		}
		if sub.Valid {
			it.SubmittedAt = &sub.Time
		}
		if took.Valid {
			it.TakeoverAt = &took.Time
		}
		out.Items = append(out.Items, it)
		out.Counts.add(it.Status, 1)
	}
	return out, rows.Err()
}

// RetryTransfer submits a transfer's failed customers again.
func (s *Service) RetryTransfer(ctx context.Context, id int64) (TransferDetail, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return TransferDetail{}, err
	}
	if _, err := s.GetTransfer(ctx, id); err != nil {
		return TransferDetail{}, err
	}
	now := s.clock()
	var n int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE customer_transfer_items SET status = 'pending', attempts = 0, errcode = 0, error = '',
			next_check_at = ?, updated_at = ? WHERE tenant_id = ? AND transfer_id = ? AND status = 'failed'`, now, now, c.TenantID, id)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE customer_transfers SET status = 'running', next_run_at = ?, finished_at = NULL, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, now, now, c.TenantID, id)
		return err
	})
	if store.IsUniqueViolation(err) {
		return TransferDetail{}, &httpx.Error{Code: httpx.Conflict, Key: "transfer_customer_busy", Message: "a customer is already in another unfinished transfer"}
	}
	if err != nil {
		return TransferDetail{}, fmt.Errorf("customer: retry transfer %d: %w", id, err)
	}
	if n == 0 {
		return TransferDetail{}, &httpx.Error{Code: httpx.Conflict, Key: "transfer_nothing_to_retry", Message: "no failed customers to retry"}
	}
	s.wakeTransfers()
	return s.GetTransfer(ctx, id)
}
