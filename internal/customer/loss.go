package customer

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/notify"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Notifier records console notifications and queues WeCom app messages inside the caller's
// transaction (notify.Service).
type Notifier interface {
	Add(ctx context.Context, tx *store.Tx, n notify.Note) error
	Enqueue(ctx context.Context, tx *store.Tx, m notify.Message) error
}

// Directory answers the org questions loss alerts and transfers ask (org.Service).
type Directory interface {
	AlertRecipientsFor(ctx context.Context, tenantID int64, wecomUserID string) (org.AlertRecipients, bool, error)
	// GetStaff returns a staff member in the caller's scope (not found outside it).
	GetStaff(ctx context.Context, id int64) (org.Staff, error)
}

type extensions struct {
	notifier  Notifier
	directory Directory
	transfers TransferOptions
	wake      chan struct{}
	workers   *sync.WaitGroup
}

// Wire gives the service what loss alerts and customer transfers need. Without it losses are
// recorded without alerts, and transfers cannot be created.
func (s *Service) Wire(n Notifier, d Directory, opts TransferOptions) {
	s.ext = extensions{notifier: n, directory: d, transfers: opts.withDefaults(), wake: make(chan struct{}, 1),
		workers: &sync.WaitGroup{}}
}

// KindCustomerLost is the notification and message kind of a loss alert.
const KindCustomerLost = "customer_lost"

// alertTZ is the zone of times written into WeCom messages (the brands are in China).
var alertTZ = time.FixedZone("CST", 8*3600)

// alertLoss tells the staff member a customer deleted, and the managers above them, in the
// transaction that recorded the loss: a console notification each and one WeCom app message.
// Both carry the event's dedup key, so a loss event processed twice alerts once.
func (s *Service) alertLoss(ctx context.Context, tx *store.Tx, tenantID, cid int64, ev *wecom.ExternalContactEvent, at time.Time) error {
	if s.ext.notifier == nil {
		return nil
	}
	rec, ok, err := s.ext.directory.AlertRecipientsFor(ctx, tenantID, ev.UserID)
	if err != nil || !ok {
		return err // a member Siyu does not know has nobody to tell
	}
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM customers WHERE tenant_id = ? AND id = ?`, tenantID, cid).Scan(&name); err != nil {
		return fmt.Errorf("customer: loss alert for %d: %w", cid, err)
	}
	key := "loss:" + ev.DedupKey()
	if err := s.ext.notifier.Add(ctx, tx, notify.Note{TenantID: tenantID, UserIDs: rec.UserIDs, Kind: KindCustomerLost,
		Title: fmt.Sprintf("客户流失：%s", name),
		Body:  fmt.Sprintf("客户「%s」删除了员工 %s（%s）", name, rec.StaffName, rec.UnitName),
		Link:  fmt.Sprintf("/customers/%d", cid),
		Data: map[string]any{"customer_id": cid, "customer_name": name, "staff_id": rec.StaffID, "staff_name": rec.StaffName,
			"unit_name": rec.UnitName, "lost_at": at},
		DedupKey: key}); err != nil {
		return err
	}
	return s.ext.notifier.Enqueue(ctx, tx, notify.Message{TenantID: tenantID, Kind: KindCustomerLost, ToUser: rec.WeComUserIDs,
		Content: fmt.Sprintf("【客户流失提醒】客户「%s」于 %s 删除了员工 %s（%s），请及时跟进。",
			name, at.In(alertTZ).Format("2006-01-02 15:04"), rec.StaffName, rec.UnitName),
		DedupKey: key})
}

// Loss is a relation a customer ended by deleting the staff member (流失).
type Loss struct {
	CustomerID   int64     `json:"customer_id"`
	CustomerName string    `json:"customer_name" doc:"masked for roles without personal-data access"`
	WeComUserID  string    `json:"wecom_userid"`
	StaffID      *int64    `json:"staff_id"`
	StaffName    string    `json:"staff_name"`
	UnitName     string    `json:"unit_name"`
	LostAt       time.Time `json:"lost_at"`
}

// Losses is the recent losses in the caller's scope, newest first.
type Losses struct {
	Items []Loss `json:"items"`
}

// RecentLosses lists relations lost in the last days days (1–365) whose staff member is in the
// caller's scope, newest first, at most limit.
func (s *Service) RecentLosses(ctx context.Context, days, limit int) (Losses, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Losses{}, err
	}
	sc := org.ScopeOf(c)
	cond, args := sc.StaffFilter("cs.staff_id", "ou.path")
	since := s.clock().Add(-time.Duration(days) * 24 * time.Hour)
	rows, err := s.db.QueryContext(ctx, `SELECT cs.customer_id, c.name, cs.wecom_userid, cs.staff_id, COALESCE(st.name, ''), COALESCE(ou.name, ''), cs.status_at
		FROM customer_staff cs
		JOIN customers c ON c.tenant_id = cs.tenant_id AND c.id = cs.customer_id
		LEFT JOIN staff st ON st.tenant_id = cs.tenant_id AND st.id = cs.staff_id
		LEFT JOIN org_units ou ON ou.tenant_id = st.tenant_id AND ou.id = st.org_unit_id
		WHERE cs.tenant_id = ? AND cs.status = ? AND cs.status_at >= ? AND `+cond+`
		ORDER BY cs.status_at DESC, cs.customer_id DESC LIMIT ?`,
		append(append([]any{c.TenantID, RelationLost, since}, args...), limit)...)
	if err != nil {
		return Losses{}, fmt.Errorf("customer: recent losses: %w", err)
	}
	defer rows.Close()
	out := Losses{Items: []Loss{}}
	for rows.Next() {
		var l Loss
		var staff sql.NullInt64
		if err := rows.Scan(&l.CustomerID, &l.CustomerName, &l.WeComUserID, &staff, &l.StaffName, &l.UnitName, &l.LostAt); err != nil {
			return Losses{}, err
		}
		if staff.Valid {
			l.StaffID = &staff.Int64
		}
		if !sc.PersonalData {
			l.CustomerName = org.MaskName(l.CustomerName)
		}
		out.Items = append(out.Items, l)
	}
	return out, rows.Err()
}

// LossRoutes lists the loss API.
func (s *Service) LossRoutes() []httpx.Route {
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/customer-losses", Perm: org.PermCustomerRead, Tag: "customers",
			Summary: "Customers who deleted a staff member of my scope recently (流失), newest first",
			Query: []httpx.Param{{Name: "days", Type: "integer", Description: "how far back, 1-365 (default 30)"},
				{Name: "limit", Type: "integer", Description: "1-500 (default 100)"}},
			Response: Losses{}, Handler: s.handleLosses},
	}
}

func (s *Service) handleLosses(w http.ResponseWriter, r *http.Request) error {
	days, limit := 30, 100
	var v httpx.Validator
	if q := r.URL.Query().Get("days"); q != "" {
		n, err := strconv.Atoi(q)
		v.Check(err == nil && n >= 1 && n <= 365, "days", "out_of_range")
		days = n
	}
	if q := r.URL.Query().Get("limit"); q != "" {
		n, err := strconv.Atoi(q)
		v.Check(err == nil && n >= 1 && n <= httpx.MaxLimit, "limit", "out_of_range")
		limit = n
	}
	if err := v.Err(); err != nil {
		return err
	}
	out, err := s.RecentLosses(r.Context(), days, limit)
	return httpx.Reply(w, http.StatusOK, out, err)
}
