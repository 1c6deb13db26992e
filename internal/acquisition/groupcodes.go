package acquisition

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Group live codes (群活码). A group code is printed once as the landing URL /l/g/{slug}; behind
// it stands one WeCom group join way (scene 2, QR) whose state is the code's state, so every join
// through it carries the code (groupchat/get member_list[].state, kept in
// customer_group_members.join_state). Siyu keeps the join way's chat_id_list pointed at the
// current group — the first of the code's ordered groups that is active and not full (fewer than
// 200 members in customer_groups.member_count, which sync and events maintain) — and the next
// ones, at most 5. WeCom itself moves a scanner past a group that filled up since, and with
// auto_create creates "room_base_name + room_base_id" when every listed group is full; Siyu reads
// those new groups back from get_join_way and appends them to the code's list.

// GroupCodeGroup is one group of a group code.
type GroupCodeGroup struct {
	ChatID      string `json:"chat_id"`
	Name        string `json:"name"`
	MemberCount int    `json:"member_count"`
	Status      string `json:"status" doc:"active, dismissed, or unknown (not synced yet)"`
	Full        bool   `json:"full"`
	Current     bool   `json:"current" doc:"the group the landing sends scanners to now"`
}

// GroupCode is a group live code.
type GroupCode struct {
	ID           int64            `json:"id"`
	OrgUnitID    int64            `json:"org_unit_id"`
	OrgUnitName  string           `json:"org_unit_name"`
	Name         string           `json:"name"`
	Slug         string           `json:"slug"`
	LandingPath  string           `json:"landing_path" doc:"the permanent landing URL, /l/g/{slug}"`
	State        string           `json:"state" doc:"the join way's state tying joins to the code"`
	AutoCreate   bool             `json:"auto_create"`
	RoomBaseName string           `json:"room_base_name"`
	RoomBaseID   int              `json:"room_base_id" doc:"the number of the next auto-created group"`
	ConfigID     string           `json:"config_id" doc:"the WeCom join way, created on the first scan"`
	Groups       []GroupCodeGroup `json:"groups"`
	Disabled     bool             `json:"disabled"`
	CreatedAt    time.Time        `json:"created_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
}

// GroupCodeInput creates or replaces a group code.
type GroupCodeInput struct {
	OrgUnitID    int64    `json:"org_unit_id"`
	Name         string   `json:"name"`
	ChatIDs      []string `json:"chat_ids" doc:"the customer groups in order, 1-100"`
	AutoCreate   bool     `json:"auto_create,omitempty"`
	RoomBaseName string   `json:"room_base_name,omitempty" doc:"required with auto_create, at most 40 characters"`
	RoomBaseID   int      `json:"room_base_id,omitempty" doc:"first number of auto-created groups (default 1)"`
	Disabled     bool     `json:"disabled,omitempty"`
}

const maxGroupCodeChats = 100

// CurrentGroup picks the group a scan goes to: the index of the first group that is active and
// not full, or -1. Groups not synced yet (status unknown: WeCom just created them) count as
// having room.
func CurrentGroup(groups []GroupCodeGroup) int {
	for i, g := range groups {
		if g.Status != "dismissed" && !g.Full {
			return i
		}
	}
	return -1
}

// wayWindow is the chat_id_list the join way should carry: the current group and the next ones
// with room, at most 5; with every group full and autoCreate, the last live group (WeCom creates
// the next group from it). Empty means nobody can join.
func wayWindow(groups []GroupCodeGroup, autoCreate bool) []string {
	var out []string
	for i := max(CurrentGroup(groups), 0); i < len(groups) && len(out) < wecom.MaxJoinWayChats; i++ {
		if g := groups[i]; g.Status != "dismissed" && !g.Full {
			out = append(out, g.ChatID)
		}
	}
	if len(out) == 0 && autoCreate {
		for i := len(groups) - 1; i >= 0; i-- {
			if groups[i].Status != "dismissed" {
				return []string{groups[i].ChatID}
			}
		}
	}
	return out
}

func (s *Service) checkGroupCode(ctx context.Context, c org.Caller, sc org.Scope, in *GroupCodeInput) error {
	var v httpx.Validator
	in.Name = v.Text("name", in.Name, true, 50)
	in.RoomBaseName = v.Text("room_base_name", in.RoomBaseName, in.AutoCreate, 40)
	if in.RoomBaseID == 0 {
		in.RoomBaseID = 1
	}
	v.Check(in.RoomBaseID >= 1 && in.RoomBaseID <= 1000000, "room_base_id", "out_of_range")
	if in.OrgUnitID <= 0 {
		v.Add("org_unit_id", "required")
	} else {
		var path string
		err := s.db.QueryRowContext(ctx, `SELECT path FROM org_units WHERE tenant_id = ? AND id = ?`, c.TenantID, in.OrgUnitID).Scan(&path)
		switch {
		case errors.Is(err, sql.ErrNoRows) || (err == nil && !sc.CoversUnit(path)):
			v.Add("org_unit_id", "not_found")
		case err != nil:
			return fmt.Errorf("acquisition: group code unit: %w", err)
		}
	}
	switch {
	case len(in.ChatIDs) == 0:
		v.Add("chat_ids", "required")
	case len(in.ChatIDs) > maxGroupCodeChats:
		v.Add("chat_ids", "out_of_range")
	default:
		seen := map[string]bool{}
		for i, id := range in.ChatIDs {
			f := fmt.Sprintf("chat_ids[%d]", i)
			if id == "" || seen[id] || utf8.RuneCountInString(id) > 64 {
				v.Add(f, "invalid")
				continue
			}
			seen[id] = true
			var status string
			err := s.db.QueryRowContext(ctx, `SELECT status FROM customer_groups WHERE tenant_id = ? AND chat_id = ?`, c.TenantID, id).Scan(&status)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				v.Add(f, "not_found")
			case err != nil:
				return fmt.Errorf("acquisition: group code group: %w", err)
			case status != "active":
				v.Add(f, "not_allowed") // dismissed
			}
		}
	}
	return v.Err()
}

func putGroupChats(ctx context.Context, tx *store.Tx, tenantID, codeID int64, chats []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM acq_group_code_chats WHERE tenant_id = ? AND code_id = ?`, tenantID, codeID); err != nil {
		return err
	}
	for i, id := range chats {
		if _, err := tx.ExecContext(ctx, `INSERT INTO acq_group_code_chats (tenant_id, code_id, chat_id, position) VALUES (?, ?, ?, ?)`,
			tenantID, codeID, id, i); err != nil {
			return err
		}
	}
	return nil
}

// CreateGroupCode creates a group code with a new permanent slug; its WeCom join way is created
// on the first scan.
func (s *Service) CreateGroupCode(ctx context.Context, in GroupCodeInput) (GroupCode, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return GroupCode{}, err
	}
	if err := s.checkGroupCode(ctx, c, sc, &in); err != nil {
		return GroupCode{}, err
	}
	slug := newSlug()
	now := s.clock()
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO acq_group_codes (tenant_id, org_unit_id, name, slug, state, auto_create, room_base_name, room_base_id,
			disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.TenantID, in.OrgUnitID, in.Name, slug, "gc"+slug, in.AutoCreate, in.RoomBaseName, in.RoomBaseID, in.Disabled, now, now).Scan(&id); err != nil {
			return err
		}
		return putGroupChats(ctx, tx, c.TenantID, id, in.ChatIDs)
	})
	if err != nil {
		return GroupCode{}, fmt.Errorf("acquisition: create group code: %w", err)
	}
	return s.GroupCode(ctx, id)
}

// UpdateGroupCode replaces a group code's settings and groups; the slug, state and join way (its
// QR) stay, and the join way is brought in line on the next scan.
func (s *Service) UpdateGroupCode(ctx context.Context, id int64, in GroupCodeInput) (GroupCode, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return GroupCode{}, err
	}
	if _, err := s.GroupCode(ctx, id); err != nil {
		return GroupCode{}, err
	}
	if err := s.checkGroupCode(ctx, c, sc, &in); err != nil {
		return GroupCode{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE acq_group_codes SET org_unit_id = ?, name = ?, auto_create = ?, room_base_name = ?, room_base_id = ?,
			disabled = ?, way_chats = '', updated_at = ? WHERE tenant_id = ? AND id = ?`,
			in.OrgUnitID, in.Name, in.AutoCreate, in.RoomBaseName, in.RoomBaseID, in.Disabled, s.clock(), c.TenantID, id); err != nil {
			return err
		}
		return putGroupChats(ctx, tx, c.TenantID, id, in.ChatIDs)
	})
	if err != nil {
		return GroupCode{}, fmt.Errorf("acquisition: update group code %d: %w", id, err)
	}
	return s.GroupCode(ctx, id)
}

// DeleteGroupCode deletes a group code and its WeCom join way (WeCom being unreachable does not
// block it; the way left behind is logged). Joins already made stay in the groups.
func (s *Service) DeleteGroupCode(ctx context.Context, id int64) error {
	c, _, err := writer(ctx)
	if err != nil {
		return err
	}
	code, err := s.GroupCode(ctx, id)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM acq_group_code_chats WHERE tenant_id = ? AND code_id = ?`, c.TenantID, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM acq_group_codes WHERE tenant_id = ? AND id = ?`, c.TenantID, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("acquisition: delete group code %d: %w", id, err)
	}
	if code.ConfigID != "" {
		client, err := s.wecom.Client(ctx, c.TenantID)
		if err == nil {
			err = client.DelJoinWay(ctx, code.ConfigID)
		}
		if err != nil {
			s.log.WarnContext(ctx, "join way not deleted", "tenant", c.TenantID, "config_id", code.ConfigID, "err", err)
		}
	}
	return nil
}

const groupCodeSelect = `SELECT gc.id, gc.org_unit_id, u.name, gc.name, gc.slug, gc.state, gc.auto_create, gc.room_base_name, gc.room_base_id,
	gc.config_id, gc.disabled, gc.created_at, gc.updated_at
	FROM acq_group_codes gc JOIN org_units u ON u.tenant_id = gc.tenant_id AND u.id = gc.org_unit_id`

func scanGroupCode(row interface{ Scan(...any) error }) (GroupCode, error) {
	var m GroupCode
	err := row.Scan(&m.ID, &m.OrgUnitID, &m.OrgUnitName, &m.Name, &m.Slug, &m.State, &m.AutoCreate, &m.RoomBaseName, &m.RoomBaseID,
		&m.ConfigID, &m.Disabled, &m.CreatedAt, &m.UpdatedAt)
	m.LandingPath = "/l/g/" + m.Slug
	m.Groups = []GroupCodeGroup{}
	return m, err
}

// groupsOf reads the ordered groups of codes (all of the tenant's with codeID 0) with their
// member counts, marking each code's current group.
func groupsOf(ctx context.Context, q store.Querier, tenantID, codeID int64) (map[int64][]GroupCodeGroup, error) {
	query := `SELECT c.code_id, c.chat_id, COALESCE(g.name, ''), COALESCE(g.member_count, 0), COALESCE(g.status, 'unknown')
		FROM acq_group_code_chats c LEFT JOIN customer_groups g ON g.tenant_id = c.tenant_id AND g.chat_id = c.chat_id
		WHERE c.tenant_id = ?`
	args := []any{tenantID}
	if codeID > 0 {
		query += ` AND c.code_id = ?`
		args = append(args, codeID)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY c.code_id, c.position`, args...)
	if err != nil {
		return nil, fmt.Errorf("acquisition: group code groups: %w", err)
	}
	defer rows.Close()
	out := map[int64][]GroupCodeGroup{}
	for rows.Next() {
		var id int64
		var g GroupCodeGroup
		if err := rows.Scan(&id, &g.ChatID, &g.Name, &g.MemberCount, &g.Status); err != nil {
			return nil, err
		}
		g.Full = g.MemberCount >= wecom.MaxGroupMembers
		out[id] = append(out[id], g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for id, gs := range out {
		if i := CurrentGroup(gs); i >= 0 {
			gs[i].Current = true
		}
		out[id] = gs
	}
	return out, nil
}

// GroupCodes lists the group codes of the caller's scope.
func (s *Service) GroupCodes(ctx context.Context) ([]GroupCode, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	rows, err := s.db.QueryContext(ctx, groupCodeSelect+` WHERE gc.tenant_id = ? AND `+cond+` ORDER BY gc.id DESC`, append([]any{c.TenantID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("acquisition: group codes: %w", err)
	}
	out := []GroupCode{}
	for rows.Next() {
		m, err := scanGroupCode(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	groups, err := groupsOf(ctx, s.db, c.TenantID, 0)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if g := groups[out[i].ID]; g != nil {
			out[i].Groups = g
		}
	}
	return out, nil
}

// GroupCode returns one group code of the caller's scope with its groups.
func (s *Service) GroupCode(ctx context.Context, id int64) (GroupCode, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return GroupCode{}, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	m, err := scanGroupCode(s.db.QueryRowContext(ctx, groupCodeSelect+` WHERE gc.tenant_id = ? AND gc.id = ? AND `+cond, append([]any{c.TenantID, id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return GroupCode{}, httpx.NotFoundf("group code")
	}
	if err != nil {
		return GroupCode{}, fmt.Errorf("acquisition: group code %d: %w", id, err)
	}
	groups, err := groupsOf(ctx, s.db, c.TenantID, id)
	if err != nil {
		return GroupCode{}, err
	}
	if g := groups[id]; g != nil {
		m.Groups = g
	}
	return m, nil
}

// GroupLanding is where a scan of a group code leads: the current group and the join way's QR.
type GroupLanding struct {
	CodeName    string `json:"code_name"`
	ChatID      string `json:"chat_id"`
	GroupName   string `json:"group_name"`
	MemberCount int    `json:"member_count"`
	ConfigID    string `json:"config_id"`
	QRCode      string `json:"qr_code"`
}

// ErrGroupsFull is a scan of a group code whose groups are all full (or dismissed) without
// auto_create.
var ErrGroupsFull = errors.New("acquisition: every group of the code is full")

// groupWayLocks serialises the join-way work of one code in this process.
var groupWayLocks sync.Map // code id -> *sync.Mutex

// ScanGroup answers one scan of the group code with the given slug: the current group and the QR
// of the code's join way, created in WeCom on the first scan and re-pointed at the current group
// when it moved. With every group full and auto_create on, the join way is read back first so
// groups WeCom created meanwhile join the code's list.
func (s *Service) ScanGroup(ctx context.Context, slug string) (GroupLanding, error) {
	if !slugRE.MatchString(slug) {
		return GroupLanding{}, ErrNoCode
	}
	var tenantID, id int64
	var disabled bool
	err := s.db.QueryRowContext(ctx, `SELECT tenant_id, id, disabled FROM acq_group_codes WHERE slug = ?`, slug).Scan(&tenantID, &id, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return GroupLanding{}, ErrNoCode
	}
	if err != nil {
		return GroupLanding{}, fmt.Errorf("acquisition: group code %s: %w", slug, err)
	}
	if disabled {
		return GroupLanding{}, ErrCodeClosed
	}
	mu, _ := groupWayLocks.LoadOrStore(id, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	type codeRow struct {
		name, state, baseName, configID, qr, wayChats string
		auto                                          bool
		baseID                                        int
	}
	load := func() (codeRow, []GroupCodeGroup, error) {
		var r codeRow
		if err := s.db.QueryRowContext(ctx, `SELECT name, state, auto_create, room_base_name, room_base_id, config_id, qr_code, way_chats
			FROM acq_group_codes WHERE tenant_id = ? AND id = ?`, tenantID, id).
			Scan(&r.name, &r.state, &r.auto, &r.baseName, &r.baseID, &r.configID, &r.qr, &r.wayChats); err != nil {
			return r, nil, fmt.Errorf("acquisition: group code %d: %w", id, err)
		}
		gs, err := groupsOf(ctx, s.db, tenantID, id)
		return r, gs[id], err
	}
	r, groups, err := load()
	if err != nil {
		return GroupLanding{}, err
	}
	window := wayWindow(groups, r.auto)
	if r.configID != "" && r.auto && CurrentGroup(groups) < 0 {
		// Every known group is full: learn the groups WeCom auto-created.
		client, err := s.wecom.Client(ctx, tenantID)
		if err != nil {
			return GroupLanding{}, err
		}
		way, err := client.GetJoinWay(ctx, r.configID)
		if err != nil {
			return GroupLanding{}, fmt.Errorf("acquisition: read join way of group code %d: %w", id, err)
		}
		if err := s.learnGroups(ctx, tenantID, id, groups, way); err != nil {
			return GroupLanding{}, err
		}
		if r, groups, err = load(); err != nil {
			return GroupLanding{}, err
		}
		window = wayWindow(groups, r.auto)
	}
	if len(window) == 0 {
		return GroupLanding{CodeName: r.name}, ErrGroupsFull
	}
	if r.configID == "" || strings.Join(window, ",") != r.wayChats {
		if r.configID, r.qr, err = s.pointWay(ctx, tenantID, id, r.name, r.state, r.configID, r.qr, r.auto, r.baseName, r.baseID, groups, window); err != nil {
			return GroupLanding{}, err
		}
	}
	out := GroupLanding{CodeName: r.name, ConfigID: r.configID, QRCode: r.qr, ChatID: window[0]}
	for _, g := range groups {
		if g.ChatID == window[0] {
			out.GroupName, out.MemberCount = g.Name, g.MemberCount
		}
	}
	return out, nil
}

// learnGroups appends the groups a join way lists that the code does not know (WeCom created
// them) and takes over the way's next room number.
func (s *Service) learnGroups(ctx context.Context, tenantID, id int64, known []GroupCodeGroup, way *wecom.JoinWay) error {
	have := map[string]bool{}
	for _, g := range known {
		have[g.ChatID] = true
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		pos := len(known)
		for _, chat := range way.ChatIDList {
			if have[chat] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO acq_group_code_chats (tenant_id, code_id, chat_id, position) VALUES (?, ?, ?, ?)
				ON CONFLICT (tenant_id, code_id, chat_id) DO NOTHING`, tenantID, id, chat, pos); err != nil {
				return err
			}
			pos++
		}
		if way.AutoCreateRoom == 1 && way.RoomBaseID > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE acq_group_codes SET room_base_id = ? WHERE tenant_id = ? AND id = ?`, way.RoomBaseID, tenantID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// pointWay creates the code's join way or re-points it at window, and stores what it wrote.
func (s *Service) pointWay(ctx context.Context, tenantID, id int64, name, state, configID, qr string, auto bool, baseName string, baseID int,
	groups []GroupCodeGroup, window []string) (string, string, error) {
	client, err := s.wecom.Client(ctx, tenantID)
	if err != nil {
		return "", "", err
	}
	remark := name
	if utf8.RuneCountInString(remark) > 30 {
		remark = string([]rune(remark)[:30])
	}
	way := wecom.JoinWay{Scene: wecom.SceneQRCode, Remark: remark, ChatIDList: window, State: state}
	if auto {
		way.AutoCreateRoom, way.RoomBaseName, way.RoomBaseID = 1, baseName, baseID
	}
	if configID == "" {
		if configID, err = client.AddJoinWay(ctx, way); err != nil {
			return "", "", fmt.Errorf("acquisition: create join way of group code %d: %w", id, err)
		}
		got, err := client.GetJoinWay(ctx, configID)
		if err != nil {
			return "", "", fmt.Errorf("acquisition: read join way of group code %d: %w", id, err)
		}
		res, err := s.db.ExecContext(ctx, `UPDATE acq_group_codes SET config_id = ?, qr_code = ?, way_chats = ? WHERE tenant_id = ? AND id = ? AND config_id = ''`,
			configID, got.QRCode, strings.Join(window, ","), tenantID, id)
		if err != nil {
			return "", "", fmt.Errorf("acquisition: store join way: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// Another replica stored its join way first: use that one and drop ours.
			_ = client.DelJoinWay(ctx, configID)
			if err := s.db.QueryRowContext(ctx, `SELECT config_id, qr_code FROM acq_group_codes WHERE tenant_id = ? AND id = ?`, tenantID, id).
				Scan(&configID, &qr); err != nil {
				return "", "", err
			}
			return configID, qr, nil
		}
		return configID, got.QRCode, nil
	}
	if auto {
		// WeCom numbers auto-created groups on from its own room_base_id: read it back, never
		// write an older number over it.
		cur, err := client.GetJoinWay(ctx, configID)
		if err != nil {
			return "", "", fmt.Errorf("acquisition: read join way of group code %d: %w", id, err)
		}
		if err := s.learnGroups(ctx, tenantID, id, groups, cur); err != nil {
			return "", "", err
		}
		way.RoomBaseID = max(way.RoomBaseID, cur.RoomBaseID)
	}
	way.ConfigID = configID
	if err := client.UpdateJoinWay(ctx, way); err != nil {
		return "", "", fmt.Errorf("acquisition: update join way of group code %d: %w", id, err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE acq_group_codes SET way_chats = ?, room_base_id = ? WHERE tenant_id = ? AND id = ?`,
		strings.Join(window, ","), max(baseID, way.RoomBaseID), tenantID, id); err != nil {
		return "", "", fmt.Errorf("acquisition: store join way: %w", err)
	}
	return configID, qr, nil
}

// GroupJoins is a group code's joins: per group and day, and the groups with their counts now.
type GroupJoins struct {
	From   string           `json:"from"`
	To     string           `json:"to"`
	Groups []GroupCodeGroup `json:"groups"`
	Rows   []GroupJoinRow   `json:"rows"`
	Total  int              `json:"total"`
}

// GroupJoinRow is the joins through a code into one group on one day (Asia/Shanghai).
type GroupJoinRow struct {
	Day    string `json:"day"`
	ChatID string `json:"chat_id"`
	Joins  int    `json:"joins"`
}

// GroupCodeStats counts joins through a group code per group and day between from and to
// (YYYY-MM-DD, Asia/Shanghai; default the last 30 days). Joins are the groups' current members
// whose join way state is the code's (members who left since are not counted).
func (s *Service) GroupCodeStats(ctx context.Context, id int64, from, to string) (GroupJoins, error) {
	code, err := s.GroupCode(ctx, id)
	if err != nil {
		return GroupJoins{}, err
	}
	q := StatsQuery{From: from, To: to}
	if err := s.CheckStatsQuery(&q); err != nil {
		return GroupJoins{}, err
	}
	out := GroupJoins{From: q.From, To: q.To, Groups: code.Groups, Rows: []GroupJoinRow{}}
	c, _ := org.RequireCaller(ctx)
	start, _ := time.ParseInLocation(time.DateOnly, q.From, Zone)
	end, _ := time.ParseInLocation(time.DateOnly, q.To, Zone)
	rows, err := s.db.QueryContext(ctx, `SELECT g.chat_id, m.join_time FROM customer_group_members m
		JOIN customer_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
		WHERE m.tenant_id = ? AND m.join_state = ? AND m.join_time >= ? AND m.join_time < ?`,
		c.TenantID, code.State, start.UTC(), end.AddDate(0, 0, 1).UTC())
	if err != nil {
		return GroupJoins{}, fmt.Errorf("acquisition: group code joins: %w", err)
	}
	defer rows.Close()
	count := map[[2]string]int{}
	for rows.Next() {
		var chat string
		var at time.Time
		if err := rows.Scan(&chat, &at); err != nil {
			return GroupJoins{}, err
		}
		count[[2]string{Day(at), chat}]++
		out.Total++
	}
	if err := rows.Err(); err != nil {
		return GroupJoins{}, err
	}
	for k, n := range count {
		out.Rows = append(out.Rows, GroupJoinRow{Day: k[0], ChatID: k[1], Joins: n})
	}
	slices.SortFunc(out.Rows, func(a, b GroupJoinRow) int {
		if a.Day != b.Day {
			return strings.Compare(a.Day, b.Day)
		}
		return strings.Compare(a.ChatID, b.ChatID)
	})
	return out, nil
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"groups_full": {Zh: "群已满，请联系工作人员", En: "Every group is full; please contact the staff"},
	})
}
