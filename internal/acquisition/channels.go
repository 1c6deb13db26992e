package acquisition

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Channel kinds.
var ChannelKinds = []string{"offline_store", "package_card", "sms", "poster", "kol_koc", "paid_ads", "search", "content", "event", "other"}

// Public-domain tiers: the traffic pyramid by spread speed and duration.
var Tiers = []string{"top", "waist", "bottom"}

// Channel is a source of customers.
type Channel struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Kind        string    `json:"kind" doc:"offline_store, package_card, sms, poster, kol_koc, paid_ads, search, content, event, other"`
	Tier        string    `json:"tier" doc:"public-domain tier: top, waist or bottom"`
	OrgUnitID   int64     `json:"org_unit_id"`
	OrgUnitName string    `json:"org_unit_name"`
	Note        string    `json:"note"`
	SpendFen    int64     `json:"spend_fen" doc:"all spend entries, in fen"`
	Codes       int       `json:"codes" doc:"live codes of the channel"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ChannelInput creates or replaces a channel.
type ChannelInput struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Tier      string `json:"tier"`
	OrgUnitID int64  `json:"org_unit_id"`
	Note      string `json:"note,omitempty"`
}

// Spend is one spend entry of a channel.
type Spend struct {
	ID        int64     `json:"id"`
	ChannelID int64     `json:"channel_id"`
	Date      string    `json:"date" doc:"YYYY-MM-DD (Asia/Shanghai)"`
	AmountFen int64     `json:"amount_fen"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

// SpendInput adds a spend entry.
type SpendInput struct {
	Date      string `json:"date"`
	AmountFen int64  `json:"amount_fen"`
	Note      string `json:"note,omitempty"`
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func validDate(s string) bool {
	if !dateRE.MatchString(s) {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
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

const channelSelect = `SELECT ch.id, ch.name, ch.kind, ch.tier, ch.org_unit_id, u.name, ch.note, ch.created_at, ch.updated_at,
	COALESCE((SELECT SUM(sp.amount_fen) FROM acq_channel_spend sp WHERE sp.tenant_id = ch.tenant_id AND sp.channel_id = ch.id), 0),
	(SELECT COUNT(*) FROM acq_live_codes lc WHERE lc.tenant_id = ch.tenant_id AND lc.channel_id = ch.id)
	FROM acq_channels ch JOIN org_units u ON u.tenant_id = ch.tenant_id AND u.id = ch.org_unit_id`

func scanChannel(row interface{ Scan(...any) error }) (Channel, error) {
	var m Channel
	err := row.Scan(&m.ID, &m.Name, &m.Kind, &m.Tier, &m.OrgUnitID, &m.OrgUnitName, &m.Note, &m.CreatedAt, &m.UpdatedAt, &m.SpendFen, &m.Codes)
	return m, err
}

// Channels lists the channels of the caller's scope (a manager's: those owned by their subtree).
func (s *Service) Channels(ctx context.Context) ([]Channel, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	rows, err := s.db.QueryContext(ctx, channelSelect+` WHERE ch.tenant_id = ? AND `+cond+` ORDER BY ch.id`, append([]any{c.TenantID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("acquisition: channels: %w", err)
	}
	defer rows.Close()
	out := []Channel{}
	for rows.Next() {
		m, err := scanChannel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Channel returns one channel of the caller's scope.
func (s *Service) Channel(ctx context.Context, id int64) (Channel, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Channel{}, err
	}
	return s.channelIn(ctx, s.db, c, id)
}

func (s *Service) channelIn(ctx context.Context, q store.Querier, c org.Caller, id int64) (Channel, error) {
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	m, err := scanChannel(q.QueryRowContext(ctx, channelSelect+` WHERE ch.tenant_id = ? AND ch.id = ? AND `+cond, append([]any{c.TenantID, id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return Channel{}, httpx.NotFoundf("channel")
	}
	if err != nil {
		return Channel{}, fmt.Errorf("acquisition: channel %d: %w", id, err)
	}
	return m, nil
}

// checkChannel validates input and that its org unit is in the caller's scope.
func (s *Service) checkChannel(ctx context.Context, c org.Caller, sc org.Scope, in *ChannelInput) error {
	var v httpx.Validator
	in.Name = v.Text("name", in.Name, true, 50)
	v.OneOf("kind", in.Kind, ChannelKinds...)
	v.OneOf("tier", in.Tier, Tiers...)
	in.Note = v.Text("note", in.Note, false, 500)
	if in.OrgUnitID <= 0 {
		v.Add("org_unit_id", "required")
	} else {
		var path string
		err := s.db.QueryRowContext(ctx, `SELECT path FROM org_units WHERE tenant_id = ? AND id = ?`, c.TenantID, in.OrgUnitID).Scan(&path)
		switch {
		case errors.Is(err, sql.ErrNoRows) || (err == nil && !sc.CoversUnit(path)):
			v.Add("org_unit_id", "not_found")
		case err != nil:
			return fmt.Errorf("acquisition: channel unit: %w", err)
		}
	}
	return v.Err()
}

// CreateChannel creates a channel owned by a unit of the caller's scope.
func (s *Service) CreateChannel(ctx context.Context, in ChannelInput) (Channel, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return Channel{}, err
	}
	if err := s.checkChannel(ctx, c, sc, &in); err != nil {
		return Channel{}, err
	}
	var id int64
	now := s.clock()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO acq_channels (tenant_id, name, kind, tier, org_unit_id, note, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.TenantID, in.Name, in.Kind, in.Tier, in.OrgUnitID, in.Note, now, now).Scan(&id)
	})
	if store.IsUniqueViolation(err) {
		return Channel{}, httpx.FieldErr("name", "taken")
	}
	if err != nil {
		return Channel{}, fmt.Errorf("acquisition: create channel: %w", err)
	}
	return s.Channel(ctx, id)
}

// UpdateChannel replaces a channel's fields.
func (s *Service) UpdateChannel(ctx context.Context, id int64, in ChannelInput) (Channel, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return Channel{}, err
	}
	if _, err := s.channelIn(ctx, s.db, c, id); err != nil {
		return Channel{}, err
	}
	if err := s.checkChannel(ctx, c, sc, &in); err != nil {
		return Channel{}, err
	}
	_, err = s.db.ExecContext(ctx, `UPDATE acq_channels SET name = ?, kind = ?, tier = ?, org_unit_id = ?, note = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`, in.Name, in.Kind, in.Tier, in.OrgUnitID, in.Note, s.clock(), c.TenantID, id)
	if store.IsUniqueViolation(err) {
		return Channel{}, httpx.FieldErr("name", "taken")
	}
	if err != nil {
		return Channel{}, fmt.Errorf("acquisition: update channel %d: %w", id, err)
	}
	return s.Channel(ctx, id)
}

// DeleteChannel deletes a channel without live codes, with its spend entries.
func (s *Service) DeleteChannel(ctx context.Context, id int64) error {
	c, _, err := writer(ctx)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		ch, err := s.channelIn(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if ch.Codes > 0 {
			return &httpx.Error{Code: httpx.Conflict, Key: "channel_has_codes", Message: "the channel has live codes"}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM acq_channel_spend WHERE tenant_id = ? AND channel_id = ?`, c.TenantID, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM acq_channels WHERE tenant_id = ? AND id = ?`, c.TenantID, id)
		return err
	})
}

// SpendOf lists a channel's spend entries, newest day first.
func (s *Service) SpendOf(ctx context.Context, channelID int64) ([]Spend, error) {
	if _, err := s.Channel(ctx, channelID); err != nil {
		return nil, err
	}
	c, _ := org.CallerFrom(ctx)
	rows, err := s.db.QueryContext(ctx, `SELECT id, channel_id, spent_on, amount_fen, note, created_at FROM acq_channel_spend
		WHERE tenant_id = ? AND channel_id = ? ORDER BY spent_on DESC, id DESC`, c.TenantID, channelID)
	if err != nil {
		return nil, fmt.Errorf("acquisition: spend of %d: %w", channelID, err)
	}
	defer rows.Close()
	out := []Spend{}
	for rows.Next() {
		var m Spend
		if err := rows.Scan(&m.ID, &m.ChannelID, &m.Date, &m.AmountFen, &m.Note, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// maxSpendFen bounds one entry (¥1 billion), which catches a yuan/fen slip by a factor of 100
// only for absurd sums but keeps sums far from overflow.
const maxSpendFen = 100_000_000_000

// AddSpend records money spent on a channel on a day.
func (s *Service) AddSpend(ctx context.Context, channelID int64, in SpendInput) (Spend, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return Spend{}, err
	}
	if _, err := s.Channel(ctx, channelID); err != nil {
		return Spend{}, err
	}
	var v httpx.Validator
	v.Check(validDate(in.Date), "date", "invalid")
	v.Check(in.AmountFen > 0 && in.AmountFen <= maxSpendFen, "amount_fen", "out_of_range")
	in.Note = v.Text("note", in.Note, false, 200)
	if err := v.Err(); err != nil {
		return Spend{}, err
	}
	m := Spend{ChannelID: channelID, Date: in.Date, AmountFen: in.AmountFen, Note: in.Note, CreatedAt: s.clock()}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO acq_channel_spend (tenant_id, channel_id, spent_on, amount_fen, note, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, c.TenantID, channelID, in.Date, in.AmountFen, in.Note, m.CreatedAt).Scan(&m.ID)
	})
	if err != nil {
		return Spend{}, fmt.Errorf("acquisition: add spend to %d: %w", channelID, err)
	}
	return m, nil
}

// DeleteSpend removes a spend entry of a channel in scope.
func (s *Service) DeleteSpend(ctx context.Context, spendID int64) error {
	c, _, err := writer(ctx)
	if err != nil {
		return err
	}
	var channelID int64
	err = s.db.QueryRowContext(ctx, `SELECT channel_id FROM acq_channel_spend WHERE tenant_id = ? AND id = ?`, c.TenantID, spendID).Scan(&channelID)
	if errors.Is(err, sql.ErrNoRows) {
		return httpx.NotFoundf("spend entry")
	}
	if err != nil {
		return fmt.Errorf("acquisition: spend %d: %w", spendID, err)
	}
	if _, err := s.Channel(ctx, channelID); err != nil {
		return httpx.NotFoundf("spend entry")
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM acq_channel_spend WHERE tenant_id = ? AND id = ?`, c.TenantID, spendID); err != nil {
		return fmt.Errorf("acquisition: delete spend %d: %w", spendID, err)
	}
	return nil
}
