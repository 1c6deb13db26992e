package acquisition

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Welcome is a code's welcome message: text with variables ({name} the customer's WeChat name,
// {staff} the staff member's name) and up to 9 image, link or mini-program attachments. Image
// attachments should use pic_url (permanent); media ids expire after 3 days in WeCom.
type Welcome struct {
	Text        string             `json:"text"`
	Attachments []wecom.Attachment `json:"attachments"`
}

// CodeStaff is one staff member of a live code.
type CodeStaff struct {
	StaffID   int64   `json:"staff_id"`
	StaffName string  `json:"staff_name"`
	Weight    int     `json:"weight" doc:"1-100, for the weighted strategy"`
	DailyCap  int     `json:"daily_cap" doc:"scans a day (Asia/Shanghai); 0 = no cap"`
	Backup    bool    `json:"backup" doc:"takes scans only when no primary member can"`
	Schedule  []Shift `json:"schedule" doc:"working hours; empty = always"`
	// Unavailable is why WeCom refused this member's contact way (they left, or lost customer
	// contact); such members take no scans until the code is saved again.
	Unavailable string `json:"unavailable"`
}

// LiveCode is a channel live code.
type LiveCode struct {
	ID          int64       `json:"id"`
	ChannelID   int64       `json:"channel_id"`
	ChannelName string      `json:"channel_name"`
	Name        string      `json:"name"`
	Slug        string      `json:"slug" doc:"the permanent landing URL is /l/{slug}"`
	LandingPath string      `json:"landing_path"`
	State       string      `json:"state" doc:"WeCom state prefix tying adds to the code"`
	Strategy    string      `json:"strategy" doc:"round_robin, weighted or fewest_adds_today"`
	SkipVerify  bool        `json:"skip_verify"`
	Staff       []CodeStaff `json:"staff"`
	TagIDs      []int64     `json:"tag_ids" doc:"tags put on every customer added through the code"`
	Welcome     Welcome     `json:"welcome" doc:"overrides the tenant's default welcome message"`
	GroupCode   string      `json:"group_code" doc:"a group code to invite the customer into (stored)"`
	ExpiresAt   *time.Time  `json:"expires_at"`
	Disabled    bool        `json:"disabled"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// CodeStaffInput is one staff member of a code as written.
type CodeStaffInput struct {
	StaffID  int64   `json:"staff_id"`
	Weight   int     `json:"weight,omitempty"`
	DailyCap int     `json:"daily_cap,omitempty"`
	Backup   bool    `json:"backup,omitempty"`
	Schedule []Shift `json:"schedule,omitempty"`
}

// LiveCodeInput creates or replaces a live code.
type LiveCodeInput struct {
	ChannelID  int64            `json:"channel_id"`
	Name       string           `json:"name"`
	Strategy   string           `json:"strategy"`
	SkipVerify *bool            `json:"skip_verify,omitempty" doc:"default true"`
	Staff      []CodeStaffInput `json:"staff"`
	TagIDs     []int64          `json:"tag_ids,omitempty"`
	Welcome    Welcome          `json:"welcome"`
	GroupCode  string           `json:"group_code,omitempty"`
	ExpiresAt  *time.Time       `json:"expires_at,omitempty"`
	Disabled   bool             `json:"disabled,omitempty"`
}

// Limits of a code.
const (
	maxCodeStaff   = 100
	maxShifts      = 14
	maxAutoTags    = 20
	maxWeight      = 100
	maxDailyCap    = 100000
	maxWelcomeText = 1500
)

func newSlug() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// checkWelcome validates a welcome message the way WeCom will (document 92137).
func checkWelcome(v *httpx.Validator, w *Welcome) {
	w.Text = strings.TrimSpace(w.Text)
	if utf8.RuneCountInString(w.Text) > maxWelcomeText {
		v.AddLimit("welcome.text", "too_long", maxWelcomeText)
	}
	if len(w.Attachments) > wecom.MaxAttachments {
		v.Add("welcome.attachments", "out_of_range")
		return
	}
	web := func(u string) bool {
		p, err := url.Parse(u)
		return err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Host != ""
	}
	for i, a := range w.Attachments {
		ok := false
		switch a.MsgType {
		case wecom.MsgTypeImage:
			ok = a.Image != nil && (a.Image.MediaID != "" || web(a.Image.PicURL)) && a.Link == nil && a.MiniProgram == nil
		case wecom.MsgTypeLink:
			ok = a.Link != nil && strings.TrimSpace(a.Link.Title) != "" && web(a.Link.URL) && (a.Link.PicURL == "" || web(a.Link.PicURL)) &&
				a.Image == nil && a.MiniProgram == nil
		case wecom.MsgTypeMiniProgram:
			ok = a.MiniProgram != nil && strings.TrimSpace(a.MiniProgram.Title) != "" && a.MiniProgram.AppID != "" &&
				a.MiniProgram.Page != "" && a.MiniProgram.PicMediaID != "" && a.Image == nil && a.Link == nil
		}
		if !ok || a.Video != nil || a.File != nil {
			v.Add(fmt.Sprintf("welcome.attachments[%d]", i), "invalid")
		}
	}
}

// checkCode validates a code's input against the caller's scope; it returns the staff's WeCom
// userids by staff id.
func (s *Service) checkCode(ctx context.Context, c org.Caller, sc org.Scope, in *LiveCodeInput, creating bool) error {
	var v httpx.Validator
	in.Name = v.Text("name", in.Name, true, 50)
	v.OneOf("strategy", in.Strategy, Strategies...)
	in.GroupCode = v.Text("group_code", in.GroupCode, false, 500)
	if in.ChannelID <= 0 {
		v.Add("channel_id", "required")
	} else if _, err := s.channelIn(ctx, s.db, c, in.ChannelID); err != nil {
		if httpx.ErrorCode(err) != httpx.NotFound {
			return err
		}
		v.Add("channel_id", "not_found")
	}
	if in.ExpiresAt != nil && creating && !in.ExpiresAt.After(s.clock()) {
		v.Add("expires_at", "out_of_range")
	}
	checkWelcome(&v, &in.Welcome)
	// Staff: at least one primary member, each once, visible to the caller, active, on WeCom.
	primary := 0
	seen := map[int64]bool{}
	var ids []int64
	for i := range in.Staff {
		m := &in.Staff[i]
		f := fmt.Sprintf("staff[%d]", i)
		if m.Weight == 0 {
			m.Weight = 1
		}
		if m.StaffID <= 0 || seen[m.StaffID] {
			v.Add(f+".staff_id", "invalid")
		} else {
			ids = append(ids, m.StaffID)
		}
		seen[m.StaffID] = true
		if m.Weight < 1 || m.Weight > maxWeight {
			v.Add(f+".weight", "out_of_range")
		}
		if m.DailyCap < 0 || m.DailyCap > maxDailyCap {
			v.Add(f+".daily_cap", "out_of_range")
		}
		if len(m.Schedule) > maxShifts {
			v.Add(f+".schedule", "out_of_range")
		}
		for j, sh := range m.Schedule {
			if what := checkShift(sh); what != "" {
				v.Add(fmt.Sprintf("%s.schedule[%d].%s", f, j, what), "invalid")
			}
		}
		if !m.Backup {
			primary++
		}
	}
	switch {
	case len(in.Staff) > maxCodeStaff:
		v.Add("staff", "out_of_range")
	case primary == 0:
		v.Add("staff", "required")
	}
	if len(ids) > 0 && len(in.Staff) <= maxCodeStaff {
		cond, cargs := sc.StaffFilter("s.id", "u.path")
		args := []any{c.TenantID}
		for _, id := range ids {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT s.id, s.status, s.wecom_userid FROM staff s JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.org_unit_id
			WHERE s.tenant_id = ? AND s.id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) AND `+cond, append(args, cargs...)...)
		if err != nil {
			return fmt.Errorf("acquisition: code staff: %w", err)
		}
		found := map[int64]bool{}
		for rows.Next() {
			var id int64
			var status, userID string
			if err := rows.Scan(&id, &status, &userID); err != nil {
				rows.Close()
				return err
			}
			found[id] = status == org.StaffActive && userID != ""
		}
		rows.Close()
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
	if len(in.TagIDs) > maxAutoTags {
		v.Add("tag_ids", "out_of_range")
	} else if len(in.TagIDs) > 0 {
		in.TagIDs = slices.Compact(slices.Sorted(slices.Values(in.TagIDs)))
		args := []any{c.TenantID}
		for _, id := range in.TagIDs {
			args = append(args, id)
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tags WHERE tenant_id = ? AND deleted = FALSE AND id IN (?`+
			strings.Repeat(", ?", len(in.TagIDs)-1)+`)`, args...).Scan(&n); err != nil {
			return fmt.Errorf("acquisition: code tags: %w", err)
		}
		v.Check(n == len(in.TagIDs), "tag_ids", "not_found")
	}
	return v.Err()
}

// CreateCode creates a live code with a new permanent slug.
func (s *Service) CreateCode(ctx context.Context, in LiveCodeInput) (LiveCode, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return LiveCode{}, err
	}
	if err := s.checkCode(ctx, c, sc, &in, true); err != nil {
		return LiveCode{}, err
	}
	var id int64
	now := s.clock()
	slug := newSlug()
	state := "lc" + slug
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		tags, _ := json.Marshal(nonNilIDs(in.TagIDs))
		welcome, _ := json.Marshal(in.Welcome)
		if err := tx.QueryRowContext(ctx, `INSERT INTO acq_live_codes (tenant_id, channel_id, name, slug, state, strategy, skip_verify, tag_ids, welcome,
			group_code, expires_at, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.TenantID, in.ChannelID, in.Name, slug, state, in.Strategy, in.SkipVerify == nil || *in.SkipVerify, string(tags), string(welcome),
			in.GroupCode, in.ExpiresAt, in.Disabled, now, now).Scan(&id); err != nil {
			return err
		}
		return putCodeStaff(ctx, tx, c.TenantID, id, state, in.Staff, nil)
	})
	if err != nil {
		return LiveCode{}, fmt.Errorf("acquisition: create code: %w", err)
	}
	return s.Code(ctx, id)
}

// putCodeStaff writes a code's staff rows; kept carries the contact ways of members who stay.
func putCodeStaff(ctx context.Context, tx *store.Tx, tenantID, codeID int64, state string, staff []CodeStaffInput, kept map[int64][2]string) error {
	for i, m := range staff {
		sched, _ := json.Marshal(nonNilShifts(m.Schedule))
		way := kept[m.StaffID]
		if _, err := tx.ExecContext(ctx, `INSERT INTO acq_live_code_staff (tenant_id, code_id, staff_id, position, weight, daily_cap, backup, schedule, state, config_id, qr_code)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tenantID, codeID, m.StaffID, i, m.Weight, m.DailyCap, m.Backup, string(sched),
			stateFor(state, m.StaffID), way[0], way[1]); err != nil {
			return err
		}
	}
	return nil
}

func nonNilIDs(v []int64) []int64 {
	if v == nil {
		return []int64{}
	}
	return v
}

func nonNilShifts(v []Shift) []Shift {
	if v == nil {
		return []Shift{}
	}
	return v
}

// UpdateCode replaces a code's settings and staff; the slug, state and printed QR stay. Members
// who stay keep their contact ways; the ways of members removed are deleted in WeCom.
func (s *Service) UpdateCode(ctx context.Context, id int64, in LiveCodeInput) (LiveCode, error) {
	c, sc, err := writer(ctx)
	if err != nil {
		return LiveCode{}, err
	}
	old, err := s.Code(ctx, id)
	if err != nil {
		return LiveCode{}, err
	}
	if err := s.checkCode(ctx, c, sc, &in, false); err != nil {
		return LiveCode{}, err
	}
	skip := in.SkipVerify == nil || *in.SkipVerify
	var dropped, kept []string
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		ways, err := codeWays(ctx, tx, c.TenantID, id)
		if err != nil {
			return err
		}
		keep := map[int64][2]string{}
		for _, m := range in.Staff {
			if w, ok := ways[m.StaffID]; ok {
				keep[m.StaffID] = w
				if w[0] != "" {
					kept = append(kept, w[0])
				}
			}
		}
		for sid, w := range ways {
			if _, ok := keep[sid]; !ok && w[0] != "" {
				dropped = append(dropped, w[0])
			}
		}
		tags, _ := json.Marshal(nonNilIDs(in.TagIDs))
		welcome, _ := json.Marshal(in.Welcome)
		if _, err := tx.ExecContext(ctx, `UPDATE acq_live_codes SET channel_id = ?, name = ?, strategy = ?, skip_verify = ?, tag_ids = ?, welcome = ?,
			group_code = ?, expires_at = ?, disabled = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			in.ChannelID, in.Name, in.Strategy, skip, string(tags), string(welcome), in.GroupCode, in.ExpiresAt, in.Disabled, s.clock(), c.TenantID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM acq_live_code_staff WHERE tenant_id = ? AND code_id = ?`, c.TenantID, id); err != nil {
			return err
		}
		return putCodeStaff(ctx, tx, c.TenantID, id, old.State, in.Staff, keep)
	})
	if err != nil {
		return LiveCode{}, fmt.Errorf("acquisition: update code %d: %w", id, err)
	}
	s.invalidate(old.Slug)
	s.tidyWays(ctx, c.TenantID, dropped, kept, skip != old.SkipVerify, skip)
	return s.Code(ctx, id)
}

// codeWays returns the contact ways (config id, QR URL) of a code's members.
func codeWays(ctx context.Context, q store.Querier, tenantID, codeID int64) (map[int64][2]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT staff_id, config_id, qr_code FROM acq_live_code_staff WHERE tenant_id = ? AND code_id = ?`, tenantID, codeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][2]string{}
	for rows.Next() {
		var sid int64
		var w [2]string
		if err := rows.Scan(&sid, &w[0], &w[1]); err != nil {
			return nil, err
		}
		out[sid] = w
	}
	return out, rows.Err()
}

// tidyWays deletes the WeCom contact ways of removed members and brings the others' skip_verify
// in line. WeCom being unreachable must not block the edit: a way left behind routes nobody
// (Siyu no longer hands out its QR) and is logged.
func (s *Service) tidyWays(ctx context.Context, tenantID int64, dropped, kept []string, skipChanged, skip bool) {
	if len(dropped) == 0 && (!skipChanged || len(kept) == 0) {
		return
	}
	client, err := s.wecom.Client(ctx, tenantID)
	if err != nil {
		s.log.WarnContext(ctx, "contact ways not tidied", "tenant", tenantID, "err", err)
		return
	}
	for _, id := range dropped {
		if err := client.DelContactWay(ctx, id); err != nil {
			s.log.WarnContext(ctx, "contact way not deleted", "tenant", tenantID, "config_id", id, "err", err)
		}
	}
	if skipChanged {
		for _, id := range kept {
			if err := client.UpdateContactWay(ctx, wecom.UpdateContactWayRequest{ConfigID: id, SkipVerify: &skip}); err != nil {
				s.log.WarnContext(ctx, "contact way not updated", "tenant", tenantID, "config_id", id, "err", err)
			}
		}
	}
}

// DeleteCode deletes a code that was never scanned (a used code keeps its history: disable it).
func (s *Service) DeleteCode(ctx context.Context, id int64) error {
	c, _, err := writer(ctx)
	if err != nil {
		return err
	}
	code, err := s.Code(ctx, id)
	if err != nil {
		return err
	}
	if err := s.Flush(ctx); err != nil { // scans routed but not written yet count as use
		return err
	}
	var ways []string
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var used int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM acq_code_daily WHERE tenant_id = ? AND code_id = ?`, c.TenantID, id).Scan(&used); err != nil {
			return err
		}
		if used > 0 {
			return &httpx.Error{Code: httpx.Conflict, Key: "code_in_use", Message: "the code has been scanned; disable it instead"}
		}
		w, err := codeWays(ctx, tx, c.TenantID, id)
		if err != nil {
			return err
		}
		for _, x := range w {
			if x[0] != "" {
				ways = append(ways, x[0])
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM acq_live_code_staff WHERE tenant_id = ? AND code_id = ?`, c.TenantID, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM acq_live_codes WHERE tenant_id = ? AND id = ?`, c.TenantID, id)
		if store.IsForeignKeyViolation(err) {
			// A store code, a package-card batch or a short link still points at it.
			return &httpx.Error{Code: httpx.Conflict, Key: "code_referenced", Message: "a store code, package-card batch or short link uses this code; remove it first or disable the code"}
		}
		return err
	})
	if err != nil {
		return err
	}
	s.invalidate(code.Slug)
	s.tidyWays(ctx, c.TenantID, ways, nil, false, false)
	return nil
}

const codeSelect = `SELECT lc.id, lc.channel_id, ch.name, lc.name, lc.slug, lc.state, lc.strategy, lc.skip_verify, lc.tag_ids, lc.welcome,
	lc.group_code, lc.expires_at, lc.disabled, lc.created_at, lc.updated_at
	FROM acq_live_codes lc JOIN acq_channels ch ON ch.tenant_id = lc.tenant_id AND ch.id = lc.channel_id
	JOIN org_units u ON u.tenant_id = ch.tenant_id AND u.id = ch.org_unit_id`

func scanCode(row interface{ Scan(...any) error }) (LiveCode, error) {
	var m LiveCode
	var tags, welcome string
	var exp sql.NullTime
	if err := row.Scan(&m.ID, &m.ChannelID, &m.ChannelName, &m.Name, &m.Slug, &m.State, &m.Strategy, &m.SkipVerify, &tags, &welcome,
		&m.GroupCode, &exp, &m.Disabled, &m.CreatedAt, &m.UpdatedAt); err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(tags), &m.TagIDs); err != nil {
		return m, fmt.Errorf("tag_ids: %w", err)
	}
	if err := json.Unmarshal([]byte(welcome), &m.Welcome); err != nil {
		return m, fmt.Errorf("welcome: %w", err)
	}
	if m.Welcome.Attachments == nil {
		m.Welcome.Attachments = []wecom.Attachment{}
	}
	if exp.Valid {
		t := exp.Time.UTC()
		m.ExpiresAt = &t
	}
	m.LandingPath = "/l/" + m.Slug
	m.Staff = []CodeStaff{}
	return m, nil
}

// Codes lists the live codes of the caller's scope, optionally of one channel.
func (s *Service) Codes(ctx context.Context, channelID int64) ([]LiveCode, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	q := codeSelect + ` WHERE lc.tenant_id = ? AND ` + cond
	args = append([]any{c.TenantID}, args...)
	if channelID > 0 {
		q += ` AND lc.channel_id = ?`
		args = append(args, channelID)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY lc.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("acquisition: codes: %w", err)
	}
	out := []LiveCode{}
	idx := map[int64]int{}
	for rows.Next() {
		m, err := scanCode(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		idx[m.ID] = len(out)
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

type codeStaffRow struct {
	codeID int64
	CodeStaff
}

// codeStaff lists the staff of one code (or of every code of the tenant with codeID 0).
func (s *Service) codeStaff(ctx context.Context, tenantID, codeID int64) ([]codeStaffRow, error) {
	q := `SELECT cs.code_id, cs.staff_id, COALESCE(st.name, ''), cs.weight, cs.daily_cap, cs.backup, cs.schedule, cs.unavailable
		FROM acq_live_code_staff cs LEFT JOIN staff st ON st.tenant_id = cs.tenant_id AND st.id = cs.staff_id WHERE cs.tenant_id = ?`
	args := []any{tenantID}
	if codeID > 0 {
		q += ` AND cs.code_id = ?`
		args = append(args, codeID)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY cs.code_id, cs.position`, args...)
	if err != nil {
		return nil, fmt.Errorf("acquisition: code staff: %w", err)
	}
	defer rows.Close()
	var out []codeStaffRow
	for rows.Next() {
		var r codeStaffRow
		var sched string
		if err := rows.Scan(&r.codeID, &r.StaffID, &r.StaffName, &r.Weight, &r.DailyCap, &r.Backup, &sched, &r.Unavailable); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(sched), &r.Schedule); err != nil {
			return nil, fmt.Errorf("acquisition: schedule of code %d: %w", r.codeID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Code returns one live code of the caller's scope.
func (s *Service) Code(ctx context.Context, id int64) (LiveCode, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return LiveCode{}, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	m, err := scanCode(s.db.QueryRowContext(ctx, codeSelect+` WHERE lc.tenant_id = ? AND lc.id = ? AND `+cond, append([]any{c.TenantID, id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return LiveCode{}, httpx.NotFoundf("live code")
	}
	if err != nil {
		return LiveCode{}, fmt.Errorf("acquisition: code %d: %w", id, err)
	}
	staff, err := s.codeStaff(ctx, c.TenantID, id)
	if err != nil {
		return LiveCode{}, err
	}
	for _, st := range staff {
		m.Staff = append(m.Staff, st.CodeStaff)
	}
	return m, nil
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"code_in_use": {Zh: "该活码已有扫码记录，不能删除，可停用", En: "This code has been scanned and cannot be deleted; disable it instead"},
		"code_referenced": {Zh: "门店活码、包裹卡批次或短链仍在使用该活码，请先删除它们或停用活码",
			En: "A store code, package-card batch or short link uses this code; remove it first or disable the code"},
	})
}
