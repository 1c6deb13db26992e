// Package customer holds Siyu's customers: one profile per person per tenant, the identities that
// point at it (WeCom external_userid, unionid, phone, …), its relations with staff, tags, customer
// groups and the timeline of customer_events. This first slice keeps them in step with WeCom
// (events and full sync); profiles, search, import/export and pages grow here with the customers
// issue.
//
// It must not talk to other packages' tables: staff come from org by WeCom userid, WeCom access
// goes through the WeCom interface.
package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Identity kinds.
const (
	IdentityExternalUserID = "wecom_external_userid"
	IdentityUnionID        = "unionid"
	IdentityPhone          = "phone"
)

// Relation statuses.
const (
	RelationActive  = "active"
	RelationLost    = "lost"    // the customer deleted the staff member (流失)
	RelationRemoved = "removed" // the staff member deleted the customer
)

// Event kinds on the timeline.
const (
	EventAddedStaff     = "added_staff"
	EventWelcomeSent    = "welcome_sent"
	EventWelcomeFailed  = "welcome_failed"
	EventRelationEdited = "relation_edited"
	EventLost           = "lost"
	EventRemovedByStaff = "removed_by_staff"
	EventTransferFailed = "transfer_failed"
	EventJoinedGroup    = "joined_group"
	EventLeftGroup      = "left_group"
)

// WeCom gives the package a tenant's API client and settings.
type WeCom interface {
	Client(ctx context.Context, tenantID int64) (*wecom.Client, error)
	Settings(ctx context.Context, tenantID int64) (org.WeComSecrets, error)
}

// Staff resolves WeCom userids to staff ids.
type Staff interface {
	StaffIDsByWeCom(ctx context.Context, tenantID int64, userIDs []string) (map[string]int64, error)
}

// Service holds the customer rules.
type Service struct {
	db    *store.DB
	wecom WeCom
	staff Staff
	log   *slog.Logger
	now   func() time.Time
}

// New returns the customer service.
func New(db *store.DB, wc WeCom, staff Staff, log *slog.Logger) *Service {
	return &Service{db: db, wecom: wc, staff: staff, log: log, now: time.Now}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Profile is what one customer looks like (the slice this package has so far).
type Profile struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Gender       int        `json:"gender"`
	FirstAddedAt *time.Time `json:"first_added_at"`
	FirstState   string     `json:"first_state"`
	Identities   []Identity `json:"identities"`
	Relations    []Relation `json:"relations"`
}

// Identity is one way to recognise a customer.
type Identity struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Relation is a customer's relation with a staff member.
type Relation struct {
	WeComUserID string    `json:"wecom_userid"`
	StaffID     *int64    `json:"staff_id"`
	Remark      string    `json:"remark"`
	State       string    `json:"state"`
	AddedAt     time.Time `json:"added_at"`
	Status      string    `json:"status"`
}

// ByIdentity loads a customer's profile through one of their identities.
func (s *Service) ByIdentity(ctx context.Context, tenantID int64, kind, value string) (Profile, error) {
	var p Profile
	var first sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT c.id, c.name, c.gender, c.first_added_at, c.first_state FROM customer_identities i
		JOIN customers c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
		WHERE i.tenant_id = ? AND i.kind = ? AND i.value = ?`, tenantID, kind, value).Scan(&p.ID, &p.Name, &p.Gender, &first, &p.FirstState)
	if err != nil {
		return Profile{}, fmt.Errorf("customer: by %s: %w", kind, err)
	}
	if first.Valid {
		p.FirstAddedAt = &first.Time
	}
	rows, err := s.db.QueryContext(ctx, `SELECT kind, value FROM customer_identities WHERE tenant_id = ? AND customer_id = ? ORDER BY kind, value`, tenantID, p.ID)
	if err != nil {
		return Profile{}, err
	}
	for rows.Next() {
		var id Identity
		if err := rows.Scan(&id.Kind, &id.Value); err != nil {
			rows.Close()
			return Profile{}, err
		}
		p.Identities = append(p.Identities, id)
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, `SELECT wecom_userid, staff_id, remark, state, added_at, status FROM customer_staff
		WHERE tenant_id = ? AND customer_id = ? ORDER BY added_at, wecom_userid`, tenantID, p.ID)
	if err != nil {
		return Profile{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var r Relation
		var staff sql.NullInt64
		if err := rows.Scan(&r.WeComUserID, &staff, &r.Remark, &r.State, &r.AddedAt, &r.Status); err != nil {
			return Profile{}, err
		}
		if staff.Valid {
			r.StaffID = &staff.Int64
		}
		p.Relations = append(p.Relations, r)
	}
	return p, rows.Err()
}

// resolve returns the customer an identity belongs to, creating the customer (and the identity)
// when it is new. Other identities given are attached to the same customer; when one of them
// already belongs to another customer, that other customer is the one returned (the person is
// already known — merging two existing profiles is a deliberate act for the customers issue).
func resolve(ctx context.Context, tx *store.Tx, tenantID int64, now time.Time, ids []Identity, fill func(id int64) error) (int64, bool, error) {
	for _, id := range ids {
		var cid int64
		err := tx.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value = ?`,
			tenantID, id.Kind, id.Value).Scan(&cid)
		if err == nil {
			return cid, false, attach(ctx, tx, tenantID, cid, now, ids)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, false, err
		}
	}
	var cid int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO customers (tenant_id, created_at, updated_at) VALUES (?, ?, ?) RETURNING id`,
		tenantID, now, now).Scan(&cid); err != nil {
		return 0, false, err
	}
	// Claim the first identity. Two transactions can get here for the same new person at once
	// (an event and a full sync, or two replicas); the identity's key decides who made the
	// customer, and the loser drops its row and joins the winner's.
	if _, err := tx.ExecContext(ctx, `INSERT INTO customer_identities (tenant_id, kind, value, customer_id, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, kind, value) DO NOTHING`, tenantID, ids[0].Kind, ids[0].Value, cid, now); err != nil {
		return 0, false, err
	}
	var owner int64
	if err := tx.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value = ?`,
		tenantID, ids[0].Kind, ids[0].Value).Scan(&owner); err != nil {
		return 0, false, err
	}
	if owner != cid {
		if _, err := tx.ExecContext(ctx, `DELETE FROM customers WHERE tenant_id = ? AND id = ?`, tenantID, cid); err != nil {
			return 0, false, err
		}
		return owner, false, attach(ctx, tx, tenantID, owner, now, ids)
	}
	if err := fill(cid); err != nil {
		return 0, false, err
	}
	return cid, true, attach(ctx, tx, tenantID, cid, now, ids)
}

func attach(ctx context.Context, tx *store.Tx, tenantID, cid int64, now time.Time, ids []Identity) error {
	for _, id := range ids {
		if id.Value == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO customer_identities (tenant_id, kind, value, customer_id, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, kind, value) DO NOTHING`, tenantID, id.Kind, id.Value, cid, now); err != nil {
			return err
		}
	}
	return nil
}

// appendEvent adds to the timeline once per dedup key.
func appendEvent(ctx context.Context, tx *store.Tx, tenantID, cid int64, kind, userID, detail, key string, at, now time.Time) error {
	if detail == "" {
		detail = "{}"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO customer_events (tenant_id, customer_id, kind, wecom_userid, detail, dedup_key, occurred_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, dedup_key) DO NOTHING`, tenantID, cid, kind, userID, detail, key, at, now)
	return err
}
