package acquisition

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// codeConfig is what routing needs of a code, cached in memory by slug.
type codeConfig struct {
	tenantID, id int64
	name, slug   string
	strategy     string
	skipVerify   bool
	expiresAt    *time.Time
	disabled     bool
	staff        []routeStaff
}

type routeStaff struct {
	staffID   int64
	userID    string
	name      string
	weight    int
	cap       int
	backup    bool
	schedule  []Shift
	available bool
	state     string
	configID  string
	qrCode    string
}

type cachedCode struct {
	cfg    *codeConfig // nil: no such code
	loaded time.Time
}

var slugRE = regexp.MustCompile(`^[a-z0-9]{6,32}$`)

// config returns a code's routing configuration, from memory when it is fresh.
func (s *Service) config(ctx context.Context, slug string) (*codeConfig, error) {
	now := time.Now()
	if v, ok := s.cache.Load(slug); ok {
		if c := v.(*cachedCode); now.Sub(c.loaded) < s.ttl {
			return c.cfg, nil
		}
	}
	cfg, err := s.loadConfig(ctx, slug)
	if err != nil {
		return nil, err
	}
	s.cache.Store(slug, &cachedCode{cfg: cfg, loaded: now})
	return cfg, nil
}

// invalidate drops a code from the cache after a write through this process.
func (s *Service) invalidate(slug string) { s.cache.Delete(slug) }

func (s *Service) loadConfig(ctx context.Context, slug string) (*codeConfig, error) {
	cfg := &codeConfig{slug: slug}
	var exp sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT tenant_id, id, name, strategy, skip_verify, expires_at, disabled FROM acq_live_codes WHERE slug = ?`, slug).
		Scan(&cfg.tenantID, &cfg.id, &cfg.name, &cfg.strategy, &cfg.skipVerify, &exp, &cfg.disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("acquisition: load code %s: %w", slug, err)
	}
	if exp.Valid {
		cfg.expiresAt = &exp.Time
	}
	rows, err := s.db.QueryContext(ctx, `SELECT cs.staff_id, st.wecom_userid, st.name, st.status, cs.weight, cs.daily_cap, cs.backup, cs.schedule,
		cs.state, cs.config_id, cs.qr_code, cs.unavailable
		FROM acq_live_code_staff cs JOIN staff st ON st.tenant_id = cs.tenant_id AND st.id = cs.staff_id
		WHERE cs.tenant_id = ? AND cs.code_id = ? ORDER BY cs.position`, cfg.tenantID, cfg.id)
	if err != nil {
		return nil, fmt.Errorf("acquisition: load staff of code %s: %w", slug, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m routeStaff
		var status, sched, unavailable string
		if err := rows.Scan(&m.staffID, &m.userID, &m.name, &status, &m.weight, &m.cap, &m.backup, &sched, &m.state, &m.configID, &m.qrCode, &unavailable); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(sched), &m.schedule); err != nil {
			return nil, fmt.Errorf("acquisition: schedule of code %s: %w", slug, err)
		}
		m.available = status == org.StaffActive && m.userID != "" && unavailable == ""
		cfg.staff = append(cfg.staff, m)
	}
	return cfg, rows.Err()
}

var errClosed = errors.New("acquisition: shutting down")

// Landing is where a scan of a live code leads: the staff member picked and their contact-way QR.
type Landing struct {
	CodeName  string `json:"code_name"`
	StaffName string `json:"staff_name"`
	UserID    string `json:"userid"`
	ConfigID  string `json:"config_id"`
	QRCode    string `json:"qr_code"`
}

// Landing errors.
var (
	ErrNoCode      = errors.New("acquisition: no such code")
	ErrCodeClosed  = errors.New("acquisition: code disabled or expired")
	ErrNoneOnDuty  = errors.New("acquisition: nobody can take the scan")
	errUnavailable = errors.New("acquisition: member unavailable in WeCom")
)

// Scan routes one scan of the code with the given slug and returns where it leads. The staff
// member's contact way is created in WeCom on their first scan through the code; when WeCom
// refuses it (the member left or lost customer contact) the member is marked unavailable, the
// scan is uncounted for them and routed again.
func (s *Service) Scan(ctx context.Context, slug string) (Landing, error) {
	if !slugRE.MatchString(slug) {
		return Landing{}, ErrNoCode
	}
	for attempt := 0; ; attempt++ {
		cfg, err := s.config(ctx, slug)
		if err != nil {
			return Landing{}, err
		}
		if cfg == nil {
			return Landing{}, ErrNoCode
		}
		now := s.clock()
		if cfg.disabled || (cfg.expiresAt != nil && !now.Before(*cfg.expiresAt)) {
			return Landing{}, ErrCodeClosed
		}
		i, err := s.scans.route(ctx, cfg, now)
		if err != nil {
			return Landing{}, err
		}
		if i < 0 {
			return Landing{}, ErrNoneOnDuty
		}
		m := cfg.staff[i]
		out := Landing{CodeName: cfg.name, StaffName: m.name, UserID: m.userID, ConfigID: m.configID, QRCode: m.qrCode}
		if out.ConfigID != "" {
			return out, nil
		}
		out.ConfigID, out.QRCode, err = s.ensureWay(ctx, cfg, m)
		if err != nil {
			s.scans.unroute(cfg, i) // the customer got no QR: the scan is not the member's
		}
		if errors.Is(err, errUnavailable) && attempt < 3 {
			continue
		}
		if err != nil {
			return Landing{}, err
		}
		return out, nil
	}
}

// ensureWay creates a member's contact way for a code once (per process under a lock, across
// replicas by a conditional update), with state = the code's state plus the member.
func (s *Service) ensureWay(ctx context.Context, cfg *codeConfig, m routeStaff) (string, string, error) {
	key := [2]int64{cfg.id, m.staffID}
	s.wayMu.Lock()
	mu := s.wayBsy[key]
	if mu == nil {
		mu = &sync.Mutex{}
		s.wayBsy[key] = mu
	}
	s.wayMu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	var configID, qr, unavailable string
	err := s.db.QueryRowContext(ctx, `SELECT config_id, qr_code, unavailable FROM acq_live_code_staff WHERE tenant_id = ? AND code_id = ? AND staff_id = ?`,
		cfg.tenantID, cfg.id, m.staffID).Scan(&configID, &qr, &unavailable)
	if errors.Is(err, sql.ErrNoRows) {
		s.invalidate(cfg.slug) // removed from the code meanwhile
		return "", "", errUnavailable
	}
	if err != nil {
		return "", "", fmt.Errorf("acquisition: contact way of %d/%d: %w", cfg.id, m.staffID, err)
	}
	if unavailable != "" {
		s.invalidate(cfg.slug)
		return "", "", errUnavailable
	}
	if configID != "" {
		s.invalidate(cfg.slug)
		return configID, qr, nil
	}
	client, err := s.wecom.Client(ctx, cfg.tenantID)
	if err != nil {
		return "", "", err
	}
	remark := cfg.name
	if utf8.RuneCountInString(remark) > 30 {
		remark = string([]rune(remark)[:30])
	}
	way, err := client.AddContactWay(ctx, wecom.AddContactWayRequest{Type: wecom.ContactWaySingle, Scene: wecom.SceneQRCode,
		Remark: remark, SkipVerify: cfg.skipVerify, State: m.state, User: []string{m.userID}})
	var apiErr *wecom.APIError
	if errors.As(err, &apiErr) {
		s.log.WarnContext(ctx, "live code member unavailable in WeCom", "tenant", cfg.tenantID, "code", cfg.id, "userid", m.userID, "errcode", apiErr.Code)
		if _, uerr := s.db.ExecContext(ctx, `UPDATE acq_live_code_staff SET unavailable = ? WHERE tenant_id = ? AND code_id = ? AND staff_id = ?`,
			fmt.Sprintf("wecom %d: %s", apiErr.Code, apiErr.Msg), cfg.tenantID, cfg.id, m.staffID); uerr != nil {
			return "", "", uerr
		}
		s.invalidate(cfg.slug)
		return "", "", errUnavailable
	}
	if err != nil {
		return "", "", fmt.Errorf("acquisition: create contact way for %s: %w", m.userID, err)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE acq_live_code_staff SET config_id = ?, qr_code = ? WHERE tenant_id = ? AND code_id = ? AND staff_id = ? AND config_id = ''`,
		way.ConfigID, way.QRCode, cfg.tenantID, cfg.id, m.staffID)
	if err != nil {
		return "", "", fmt.Errorf("acquisition: store contact way: %w", err)
	}
	s.invalidate(cfg.slug)
	if n, _ := res.RowsAffected(); n == 0 {
		// Another replica stored its way first: use that one and drop ours.
		_ = client.DelContactWay(ctx, way.ConfigID)
		if err := s.db.QueryRowContext(ctx, `SELECT config_id, qr_code FROM acq_live_code_staff WHERE tenant_id = ? AND code_id = ? AND staff_id = ?`,
			cfg.tenantID, cfg.id, m.staffID).Scan(&configID, &qr); err != nil {
			return "", "", err
		}
		return configID, qr, nil
	}
	return way.ConfigID, way.QRCode, nil
}

// landingHead and landingTail frame the H5 page; it is written with string escaping rather than
// html/template, whose reflection was a tenth of a scan's CPU.
const landingHead = `<!doctype html>
<html lang="%s"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>%s</title>
<style>body{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;padding:32px 16px;text-align:center;color:#222;background:#f6f7f9}
.card{max-width:360px;margin:0 auto;background:#fff;border-radius:12px;padding:24px;box-shadow:0 2px 12px rgba(0,0,0,.06)}
img{width:240px;height:240px}h1{font-size:18px;margin:0 0 8px}p{color:#666;font-size:14px}</style></head>
<body><div class="card"><h1>%s</h1>`

// writeLanding writes the page: the QR (when there is one) and a hint.
func writeLanding(w io.Writer, lang, title, qr, hint string) {
	t := html.EscapeString(title)
	var b strings.Builder
	b.Grow(1024)
	fmt.Fprintf(&b, landingHead, lang, t, t)
	if qr != "" && (strings.HasPrefix(qr, "https://") || strings.HasPrefix(qr, "http://")) {
		b.WriteString(`<img src="`)
		b.WriteString(html.EscapeString(qr))
		b.WriteString(`" alt="QR">`)
	}
	b.WriteString(`<p>`)
	b.WriteString(html.EscapeString(hint))
	b.WriteString(`</p></div></body></html>`)
	_, _ = io.WriteString(w, b.String())
}

// LandingHandler serves GET /l/{slug}: the permanent, anonymous landing URL printed in a live
// code's QR. It answers with an H5 page showing the picked staff member's contact-way QR, or JSON
// with ?format=json (or Accept: application/json).
func (s *Service) LandingHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeLanding(w, r, r.PathValue("slug"))
	})
}

// ServeLanding answers a scan of the code with the given slug as GET /l/{slug} does (the short
// links /s/{token} reuse it) and returns where the scan led, or the scan's error.
func (s *Service) ServeLanding(w http.ResponseWriter, r *http.Request, slug string) (Landing, error) {
	en := httpx.LangOf(r) == httpx.En
	asJSON := r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json")
	out, err := s.Scan(r.Context(), slug)
	status, key := http.StatusOK, ""
	switch {
	case err == nil:
	case errors.Is(err, ErrNoCode):
		status, key = http.StatusNotFound, "not_found"
	case errors.Is(err, ErrCodeClosed):
		status, key = http.StatusGone, "code_unavailable"
	case errors.Is(err, ErrNoneOnDuty), errors.Is(err, errUnavailable):
		status, key = http.StatusServiceUnavailable, "no_staff_available"
	default:
		s.log.ErrorContext(r.Context(), "live code scan failed", "slug", slug, "err", err)
		status, key = http.StatusServiceUnavailable, "no_staff_available"
	}
	w.Header().Set("Cache-Control", "no-store")
	if asJSON {
		if key != "" {
			httpx.JSON(w, status, map[string]any{"error": map[string]string{"code": key, "message": httpx.Text(httpx.LangOf(r), key)}})
			return out, err
		}
		httpx.JSON(w, http.StatusOK, out)
		return out, nil
	}
	lang, title, qr, hint := "zh-CN", out.StaffName, out.QRCode, "长按识别二维码，添加"+out.StaffName+"为好友"
	if en {
		lang, hint = "en", "Press and hold the QR code to add "+out.StaffName
	}
	if key != "" {
		l := httpx.ZhCN
		if en {
			l = httpx.En
		}
		title, qr, hint = out.CodeName, "", httpx.Text(l, key)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	writeLanding(w, lang, title, qr, hint)
	return out, err
}
