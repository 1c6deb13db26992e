package acquisition

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Store codes (门店活码). A store code IS a channel live code — same landing URL /l/{slug},
// routing, caps, welcome and stats — whose staff are the store's guides: the active staff with a
// WeCom account in the store's org unit and its sub-units (at most 100, by id). The staff list is
// taken when the store code is created and refreshed every time it is saved (PUT); between saves,
// guides who resign drop out of routing by themselves (routing skips inactive staff). Each store
// code carries the city the public store finder (/l/stores/{tenant slug}) lists it under.

// StoreCode is a store's live code.
type StoreCode struct {
	ID          int64       `json:"id"`
	OrgUnitID   int64       `json:"org_unit_id"`
	StoreName   string      `json:"store_name"`
	City        string      `json:"city"`
	CodeID      int64       `json:"code_id" doc:"the live code behind the store code"`
	ChannelID   int64       `json:"channel_id"`
	ChannelName string      `json:"channel_name"`
	Slug        string      `json:"slug"`
	LandingPath string      `json:"landing_path"`
	Strategy    string      `json:"strategy"`
	Staff       []CodeStaff `json:"staff"`
	Disabled    bool        `json:"disabled"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// StoreCodeInput creates or saves (and so refreshes) a store code.
type StoreCodeInput struct {
	OrgUnitID int64  `json:"org_unit_id" doc:"an org unit of kind store; cannot change"`
	ChannelID int64  `json:"channel_id"`
	City      string `json:"city"`
	Strategy  string `json:"strategy" doc:"round_robin (default), weighted or fewest_adds_today"`
	Disabled  bool   `json:"disabled,omitempty"`
}

const maxCityLen = 30

// storeGuides returns the store's guides (active, on WeCom, in the unit's subtree) and the
// store's name; a unit that is not a store of the caller's scope is NotFound/not_allowed.
func (s *Service) storeGuides(ctx context.Context, q store.Querier, tenantID int64, sc org.Scope, unitID int64) (name, kind string, ids []int64, err error) {
	var path string
	err = q.QueryRowContext(ctx, `SELECT name, kind, path FROM org_units WHERE tenant_id = ? AND id = ?`, tenantID, unitID).Scan(&name, &kind, &path)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sc.CoversUnit(path)) {
		return "", "", nil, httpx.NotFoundf("org unit")
	}
	if err != nil {
		return "", "", nil, fmt.Errorf("acquisition: store %d: %w", unitID, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT s.id FROM staff s JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.org_unit_id
		WHERE s.tenant_id = ? AND u.path LIKE ? AND s.status = ? AND s.wecom_userid <> '' ORDER BY s.id`, tenantID, path+"%", org.StaffActive)
	if err != nil {
		return "", "", nil, fmt.Errorf("acquisition: guides of store %d: %w", unitID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", "", nil, err
		}
		if len(ids) < maxCodeStaff {
			ids = append(ids, id)
		}
	}
	return name, kind, ids, rows.Err()
}

// checkStoreCode validates a store code's input; it returns the store's name and guides.
func (s *Service) checkStoreCode(ctx context.Context, c org.Caller, sc org.Scope, in *StoreCodeInput, existing *StoreCode) (string, []int64, error) {
	var v httpx.Validator
	in.City = v.Text("city", in.City, true, maxCityLen)
	if in.Strategy == "" {
		in.Strategy = RoundRobin
	}
	v.OneOf("strategy", in.Strategy, Strategies...)
	if in.ChannelID <= 0 {
		v.Add("channel_id", "required")
	} else if _, err := s.channelIn(ctx, s.db, c, in.ChannelID); err != nil {
		if httpx.ErrorCode(err) != httpx.NotFound {
			return "", nil, err
		}
		v.Add("channel_id", "not_found")
	}
	var name string
	var guides []int64
	switch {
	case in.OrgUnitID <= 0:
		v.Add("org_unit_id", "required")
	case existing != nil && in.OrgUnitID != existing.OrgUnitID:
		v.Add("org_unit_id", "not_allowed") // a store code stays its store's
	default:
		var kind string
		var err error
		name, kind, guides, err = s.storeGuides(ctx, s.db, c.TenantID, sc, in.OrgUnitID)
		switch {
		case httpx.ErrorCode(err) == httpx.NotFound:
			v.Add("org_unit_id", "not_found")
		case err != nil:
			return "", nil, err
		case kind != org.KindStore:
			v.Add("org_unit_id", "not_allowed")
		case len(guides) == 0:
			v.Add("org_unit_id", "no_guides")
		case existing == nil:
			var n int
			if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM acq_store_codes WHERE tenant_id = ? AND org_unit_id = ?`, c.TenantID, in.OrgUnitID).Scan(&n); err != nil {
				return "", nil, err
			}
			v.Check(n == 0, "org_unit_id", "taken")
		}
	}
	return name, guides, v.Err()
}

// guideStaff is the staff list of a store code: the store's guides, keeping the weight, cap,
// backup flag and working hours of those already on the code (set through the live-code page)
// and defaults for new ones.
func guideStaff(ids []int64, current []CodeStaff) []CodeStaffInput {
	out := make([]CodeStaffInput, len(ids))
	for i, id := range ids {
		out[i] = CodeStaffInput{StaffID: id, Weight: 1}
		for _, m := range current {
			if m.StaffID == id {
				out[i] = CodeStaffInput{StaffID: id, Weight: m.Weight, DailyCap: m.DailyCap, Backup: m.Backup, Schedule: m.Schedule}
			}
		}
	}
	return out
}

func storeCodeName(store string) string {
	if utf8.RuneCountInString(store) > 50 {
		return string([]rune(store)[:50])
	}
	return store
}

// CreateStoreCode creates a store's code: a live code over the store's guides, and its city.
func (s *Service) CreateStoreCode(ctx context.Context, in StoreCodeInput) (StoreCode, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return StoreCode{}, err
	}
	name, guides, err := s.checkStoreCode(ctx, c, sc, &in, nil)
	if err != nil {
		return StoreCode{}, err
	}
	code, err := s.CreateCode(ctx, LiveCodeInput{ChannelID: in.ChannelID, Name: storeCodeName(name), Strategy: in.Strategy, Staff: guideStaff(guides, nil), Disabled: in.Disabled})
	if err != nil {
		return StoreCode{}, err
	}
	now := s.clock()
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO acq_store_codes (tenant_id, org_unit_id, code_id, city, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			c.TenantID, in.OrgUnitID, code.ID, in.City, now, now).Scan(&id)
	})
	if err != nil {
		// A concurrent create for the same store won: take our live code back.
		if derr := s.DeleteCode(ctx, code.ID); derr != nil {
			s.log.WarnContext(ctx, "live code of a failed store code left behind", "code", code.ID, "err", derr)
		}
		if store.IsUniqueViolation(err) {
			return StoreCode{}, httpx.FieldErr("org_unit_id", "taken")
		}
		return StoreCode{}, fmt.Errorf("acquisition: create store code: %w", err)
	}
	return s.StoreCode(ctx, id)
}

// UpdateStoreCode saves a store code: its channel, city, strategy and state, and refreshes its
// staff to the store's current guides (welcome, auto tags and other live-code settings stay).
func (s *Service) UpdateStoreCode(ctx context.Context, id int64, in StoreCodeInput) (StoreCode, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return StoreCode{}, err
	}
	old, err := s.StoreCode(ctx, id)
	if err != nil {
		return StoreCode{}, err
	}
	_, guides, err := s.checkStoreCode(ctx, c, sc, &in, &old)
	if err != nil {
		return StoreCode{}, err
	}
	lc, err := s.Code(ctx, old.CodeID)
	if err != nil {
		return StoreCode{}, err
	}
	skip := lc.SkipVerify
	if _, err := s.UpdateCode(ctx, lc.ID, LiveCodeInput{ChannelID: in.ChannelID, Name: lc.Name, Strategy: in.Strategy, SkipVerify: &skip,
		Staff: guideStaff(guides, lc.Staff), TagIDs: lc.TagIDs, Welcome: lc.Welcome, GroupCode: lc.GroupCode, ExpiresAt: lc.ExpiresAt, Disabled: in.Disabled}); err != nil {
		return StoreCode{}, err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE acq_store_codes SET city = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`, in.City, s.clock(), c.TenantID, id); err != nil {
		return StoreCode{}, fmt.Errorf("acquisition: update store code %d: %w", id, err)
	}
	return s.StoreCode(ctx, id)
}

// DeleteStoreCode deletes a store code whose live code was never scanned (disable a used one).
func (s *Service) DeleteStoreCode(ctx context.Context, id int64) error {
	c, _, err := writer(ctx)
	if err != nil {
		return err
	}
	sc, err := s.StoreCode(ctx, id)
	if err != nil {
		return err
	}
	if err := s.Flush(ctx); err != nil {
		return err
	}
	var used int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM acq_code_daily WHERE tenant_id = ? AND code_id = ?`, c.TenantID, sc.CodeID).Scan(&used); err != nil {
		return err
	}
	if used > 0 {
		return &httpx.Error{Code: httpx.Conflict, Key: "code_in_use", Message: "the code has been scanned; disable it instead"}
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM acq_store_codes WHERE tenant_id = ? AND id = ?`, c.TenantID, id); err != nil {
		return fmt.Errorf("acquisition: delete store code %d: %w", id, err)
	}
	return s.DeleteCode(ctx, sc.CodeID)
}

const storeCodeSelect = `SELECT sc.id, sc.org_unit_id, u.name, sc.city, sc.code_id, lc.channel_id, ch.name, lc.slug, lc.strategy, lc.disabled,
	sc.created_at, sc.updated_at
	FROM acq_store_codes sc JOIN org_units u ON u.tenant_id = sc.tenant_id AND u.id = sc.org_unit_id
	JOIN acq_live_codes lc ON lc.tenant_id = sc.tenant_id AND lc.id = sc.code_id
	JOIN acq_channels ch ON ch.tenant_id = lc.tenant_id AND ch.id = lc.channel_id`

func scanStoreCode(row interface{ Scan(...any) error }) (StoreCode, error) {
	var m StoreCode
	err := row.Scan(&m.ID, &m.OrgUnitID, &m.StoreName, &m.City, &m.CodeID, &m.ChannelID, &m.ChannelName, &m.Slug, &m.Strategy, &m.Disabled,
		&m.CreatedAt, &m.UpdatedAt)
	m.LandingPath = "/l/" + m.Slug
	m.Staff = []CodeStaff{}
	return m, err
}

// StoreCodes lists the store codes of the caller's scope (stores in it), optionally of one city.
func (s *Service) StoreCodes(ctx context.Context, city string) ([]StoreCode, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	q := storeCodeSelect + ` WHERE sc.tenant_id = ? AND ` + cond
	args = append([]any{c.TenantID}, args...)
	if city != "" {
		q += ` AND sc.city = ?`
		args = append(args, city)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY sc.city, u.name, sc.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("acquisition: store codes: %w", err)
	}
	out := []StoreCode{}
	idx := map[int64]int{}
	for rows.Next() {
		m, err := scanStoreCode(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		idx[m.CodeID] = len(out)
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	staff, err := s.codeStaff(ctx, c.TenantID, 0)
	if err != nil {
		return nil, err
	}
	for _, st := range staff {
		if i, ok := idx[st.codeID]; ok {
			out[i].Staff = append(out[i].Staff, st.CodeStaff)
		}
	}
	return out, nil
}

// StoreCode returns one store code of the caller's scope with its staff.
func (s *Service) StoreCode(ctx context.Context, id int64) (StoreCode, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return StoreCode{}, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	m, err := scanStoreCode(s.db.QueryRowContext(ctx, storeCodeSelect+` WHERE sc.tenant_id = ? AND sc.id = ? AND `+cond, append([]any{c.TenantID, id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return StoreCode{}, httpx.NotFoundf("store code")
	}
	if err != nil {
		return StoreCode{}, fmt.Errorf("acquisition: store code %d: %w", id, err)
	}
	staff, err := s.codeStaff(ctx, c.TenantID, m.CodeID)
	if err != nil {
		return StoreCode{}, err
	}
	for _, st := range staff {
		m.Staff = append(m.Staff, st.CodeStaff)
	}
	return m, nil
}

// FinderStore is a store as the public store finder shows it.
type FinderStore struct {
	Name        string `json:"name"`
	City        string `json:"city"`
	LandingPath string `json:"landing_path"`
}

// Finder is the public store finder of a tenant: its cities and, for the chosen city, its stores.
type Finder struct {
	Brand  string        `json:"brand"`
	Cities []string      `json:"cities"`
	City   string        `json:"city"`
	Stores []FinderStore `json:"stores"`
}

// StoreFinder answers the anonymous store finder: the cities with an open store code, and the
// stores of the city FinderCity picks from the one asked for. Only codes neither disabled nor expired
// are listed. An unknown tenant is ErrNoCode.
func (s *Service) StoreFinder(ctx context.Context, tenantSlug, city string) (Finder, error) {
	var tenantID int64
	var out Finder
	err := s.db.QueryRowContext(ctx, `SELECT id, name FROM tenants WHERE slug = ?`, tenantSlug).Scan(&tenantID, &out.Brand)
	if errors.Is(err, sql.ErrNoRows) {
		return out, ErrNoCode
	}
	if err != nil {
		return out, fmt.Errorf("acquisition: store finder tenant: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT sc.city, u.name, lc.slug FROM acq_store_codes sc
		JOIN org_units u ON u.tenant_id = sc.tenant_id AND u.id = sc.org_unit_id
		JOIN acq_live_codes lc ON lc.tenant_id = sc.tenant_id AND lc.id = sc.code_id
		WHERE sc.tenant_id = ? AND lc.disabled = FALSE AND (lc.expires_at IS NULL OR lc.expires_at > ?)
		ORDER BY sc.city, u.name`, tenantID, s.clock())
	if err != nil {
		return out, fmt.Errorf("acquisition: store finder: %w", err)
	}
	defer rows.Close()
	out.Cities, out.Stores = []string{}, []FinderStore{}
	var all []FinderStore
	for rows.Next() {
		var st FinderStore
		var slug string
		if err := rows.Scan(&st.City, &st.Name, &slug); err != nil {
			return out, err
		}
		st.LandingPath = "/l/" + slug
		if n := len(out.Cities); n == 0 || out.Cities[n-1] != st.City {
			out.Cities = append(out.Cities, st.City)
		}
		all = append(all, st)
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	out.City = FinderCity(out.Cities, city)
	for _, st := range all {
		if out.City != "" && st.City == out.City {
			out.Stores = append(out.Stores, st)
		}
	}
	return out, nil
}

// FinderCity picks the city to show: the one asked for when the tenant has stores there, else
// the only city when there is just one, else none (the customer chooses).
func FinderCity(cities []string, asked string) string {
	asked = strings.TrimSpace(asked)
	for _, c := range cities {
		if c == asked {
			return c
		}
	}
	if len(cities) == 1 {
		return cities[0]
	}
	return ""
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"field.no_guides": {Zh: "该门店没有可接待的在职导购（需已绑定企业微信）", En: "has no active guide on WeCom"},
		"store_finder":    {Zh: "选择附近的门店", En: "Find a store near you"},
		"store_city":      {Zh: "选择城市", En: "Choose your city"},
		"store_none":      {Zh: "该城市暂无门店", En: "No store in this city yet"},
	})
}
