// Package customer holds Siyu's customers: one profile per person per tenant, the identities that
// point at it (WeCom external_userid, unionid, phone, …), its relations with staff, tags, customer
// groups and the timeline of customer_events. This first slice keeps them in step with WeCom
// (events and full sync); profiles, search, import/export and pages grow here with the customers
// issue.
//
// One person is one customer: Resolve (identity.go) finds or creates the customer of a set of
// identities and merges customers that share one; merges are recorded and can be split again
// (merge.go). A merge moves every row that belongs to the merged customer — the tables of this
// package and those other capabilities register with RegisterMove (orders, points, …: any table
// with a customer_id column should, from an init function) — and keeps the merged customer's row
// with merged_into set, so queries that list customers add "merged_into IS NULL". Notes and
// follow-ups are in notes.go; profile sections other capabilities add (orders, points, tier) are
// wired with AddProfileSection (profile.go).
//
// It must not talk to other packages' tables: staff come from org by WeCom userid, WeCom access
// goes through the WeCom interface.
package customer

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
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
	// ext holds what loss alerts and transfers need (see Wire in loss.go).
	ext extensions
	// adds brings live codes' welcome messages and tags to adds (see addhook.go).
	adds AddHandler
	// sections are other capabilities' parts of a customer's detail (AddProfileSection).
	sections *sections
	// imports are the background imports of this process (see StartImport in importer.go).
	imports *sync.WaitGroup
}

// New returns the customer service.
func New(db *store.DB, wc WeCom, staff Staff, log *slog.Logger) *Service {
	return &Service{db: db, wecom: wc, staff: staff, log: log, now: time.Now, sections: &sections{}, imports: &sync.WaitGroup{}}
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

// appendEvent adds to the timeline once per dedup key.
func appendEvent(ctx context.Context, tx *store.Tx, tenantID, cid int64, kind, userID, detail, key string, at, now time.Time) error {
	if detail == "" {
		detail = "{}"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO customer_events (tenant_id, customer_id, kind, wecom_userid, detail, dedup_key, occurred_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, dedup_key) DO NOTHING`, tenantID, cid, kind, userID, detail, key, at, now)
	if err != nil {
		return err
	}
	return touchActivity(ctx, tx, tenantID, cid, at) // the list's "latest activity" sort
}
