package org

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Session and lockout policy.
const (
	SessionCookie   = "siyu_session"
	CSRFHeader      = "X-CSRF-Token"
	SessionLifetime = 7 * 24 * time.Hour
	MaxFailedLogins = 5
	LockoutDuration = 15 * time.Minute
	tokenPrefix     = "siyu_"
)

// LoginInput is a password login.
type LoginInput struct {
	Tenant   string `json:"tenant"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// Me describes the caller to the console.
type Me struct {
	User struct {
		ID          int64  `json:"id"`
		Username    string `json:"username"`
		DisplayName string `json:"display_name"`
		Role        Role   `json:"role"`
		StaffID     int64  `json:"staff_id"`
		OrgUnitID   int64  `json:"org_unit_id"`
	} `json:"user"`
	Tenant      Tenant   `json:"tenant"`
	Permissions []string `json:"permissions"`
	CSRFToken   string   `json:"csrf_token,omitempty"`
}

// Session is a created console session; ID goes into the cookie and is never stored.
type Session struct {
	ID        string
	ExpiresAt time.Time
	Me        Me
}

// dummyHash makes a failed lookup cost as much as a wrong password, so response times do not
// reveal which usernames exist.
var dummyHash, _ = HashPassword(DefaultPasswordParams, "siyu-timing-equaliser")

// Login checks a password and opens a session. Failures are counted per tenant and username as
// typed — for names that exist and names that do not alike — and MaxFailedLogins of them within
// LockoutDuration lock that name for LockoutDuration, so neither the error nor the lockout says
// whether an account exists.
func (s *Service) Login(ctx context.Context, in LoginInput) (Session, error) {
	var v httpx.Validator
	in.Tenant, in.Username = strings.TrimSpace(in.Tenant), strings.TrimSpace(in.Username)
	v.Check(in.Tenant != "", "tenant", "required")
	v.Check(in.Username != "", "username", "required")
	v.Check(len(in.Tenant) <= 64, "tenant", "too_long")
	v.Check(len(in.Username) <= 64, "username", "too_long")
	v.Check(in.Password != "", "password", "required")
	v.Check(len(in.Password) <= 4*maxPassword, "password", "too_long")
	if err := v.Err(); err != nil {
		return Session{}, err
	}
	now := s.clock()
	var locked sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT locked_until FROM login_attempts WHERE tenant_slug = ? AND username = ?`,
		in.Tenant, in.Username).Scan(&locked)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("org: login attempts: %w", err)
	}
	if locked.Valid && locked.Time.After(now) {
		return Session{}, &httpx.Error{Code: httpx.Locked, Key: "account_locked", RetryAfter: locked.Time.Sub(now)}
	}
	bad := &httpx.Error{Code: httpx.Unauthorized, Key: "bad_credentials", Message: "wrong tenant, username or password"}
	var (
		userID, tenantID int64
		hash             string
		disabled         bool
		staffStatus      string
	)
	err = s.db.QueryRowContext(ctx, `SELECT u.id, u.tenant_id, u.password_hash, u.disabled, COALESCE(st.status, '')
		FROM users u JOIN tenants t ON t.id = u.tenant_id
		LEFT JOIN staff st ON st.tenant_id = u.tenant_id AND st.id = u.staff_id
		WHERE t.slug = ? AND u.username = ?`, in.Tenant, in.Username).Scan(&userID, &tenantID, &hash, &disabled, &staffStatus)
	ok := false
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, _ = CheckPassword(dummyHash, in.Password)
	case err != nil:
		return Session{}, fmt.Errorf("org: login lookup: %w", err)
	default:
		if ok, err = CheckPassword(hash, in.Password); err != nil {
			return Session{}, fmt.Errorf("org: login: %w", err)
		}
	}
	if !ok {
		if err := s.countFailure(ctx, in.Tenant, in.Username, now); err != nil {
			return Session{}, err
		}
		s.log.WarnContext(ctx, "failed login", "tenant", in.Tenant, "username", in.Username)
		return Session{}, bad
	}
	if disabled || staffStatus == StaffResigned {
		return Session{}, &httpx.Error{Code: httpx.Unauthorized, Key: "account_disabled"}
	}
	id, idHash := newSecret()
	csrf, _ := newSecret()
	sess := Session{ID: id, ExpiresAt: now.Add(SessionLifetime)}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE tenant_slug = ? AND username = ?`, in.Tenant, in.Username); err != nil {
			return err
		}
		// Expired sessions of this user are swept here rather than by a timer.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND user_id = ? AND expires_at < ?`, tenantID, userID, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, tenant_id, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			idHash, tenantID, userID, csrf, now, sess.ExpiresAt)
		return err
	})
	if err != nil {
		return Session{}, fmt.Errorf("org: open session: %w", err)
	}
	c, err := s.sessionCaller(ctx, idHash)
	if err != nil {
		return Session{}, err
	}
	sess.Me, err = s.me(ctx, c)
	return sess, err
}

// countFailure records a failed login. The increment is one statement, so concurrent failures
// all count; a count whose lock has run out, or whose last failure is older than
// LockoutDuration, starts again.
func (s *Service) countFailure(ctx context.Context, tenant, username string, now time.Time) error {
	stale := now.Add(-LockoutDuration)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO login_attempts (tenant_slug, username, failures, locked_until, last_failure_at)
			VALUES (?, ?, 1, NULL, ?)
			ON CONFLICT (tenant_slug, username) DO UPDATE SET
			failures = CASE WHEN login_attempts.last_failure_at < ? OR login_attempts.locked_until <= ? THEN 1
				ELSE login_attempts.failures + 1 END,
			locked_until = CASE WHEN login_attempts.last_failure_at < ? OR login_attempts.locked_until <= ? THEN NULL
				ELSE login_attempts.locked_until END,
			last_failure_at = excluded.last_failure_at`, tenant, username, now, stale, now, stale, now)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE login_attempts SET locked_until = ?
			WHERE tenant_slug = ? AND username = ? AND failures >= ? AND locked_until IS NULL`,
			now.Add(LockoutDuration), tenant, username, MaxFailedLogins)
		return err
	})
	if err != nil {
		return fmt.Errorf("org: count failed login: %w", err)
	}
	return nil
}

// newSecret returns a random URL-safe secret and its SHA-256 hex hash (what is stored).
func newSecret() (secret, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, hashSecret(secret)
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context) error {
	c, err := RequireCaller(ctx)
	if err != nil {
		return err
	}
	if c.sessionHash == "" {
		return nil
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND id_hash = ?`, c.TenantID, c.sessionHash)
	if err != nil {
		return fmt.Errorf("org: logout: %w", err)
	}
	return nil
}

// PasswordChange is a user's own password change.
type PasswordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ChangePassword replaces the caller's password and ends their other sessions.
func (s *Service) ChangePassword(ctx context.Context, in PasswordChange) error {
	c, err := RequireCaller(ctx)
	if err != nil {
		return err
	}
	if c.UserID == 0 {
		return &httpx.Error{Code: httpx.Forbidden, Message: "API tokens have no password"}
	}
	var v httpx.Validator
	v.Check(in.CurrentPassword != "", "current_password", "required")
	checkNewPassword(&v, "new_password", in.NewPassword)
	if err := v.Err(); err != nil {
		return err
	}
	var hash string
	if err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE tenant_id = ? AND id = ?`, c.TenantID, c.UserID).Scan(&hash); err != nil {
		return fmt.Errorf("org: change password: %w", err)
	}
	if ok, err := CheckPassword(hash, in.CurrentPassword); err != nil || !ok {
		return &httpx.Error{Code: httpx.Invalid, Key: "wrong_password", Fields: map[string]httpx.FieldError{"current_password": {Code: "wrong"}}}
	}
	newHash, err := HashPassword(s.hash, in.NewPassword)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			newHash, s.clock(), c.TenantID, c.UserID); err != nil {
			return fmt.Errorf("org: change password: %w", err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND user_id = ? AND id_hash <> ?`, c.TenantID, c.UserID, c.sessionHash)
		return err
	})
}

// Me describes the caller.
func (s *Service) Me(ctx context.Context) (Me, error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return Me{}, err
	}
	return s.me(ctx, c)
}

func (s *Service) me(ctx context.Context, c Caller) (Me, error) {
	var m Me
	m.User.ID, m.User.Username, m.User.DisplayName, m.User.Role = c.UserID, c.Username, c.Display, c.Role
	m.User.StaffID, m.User.OrgUnitID = c.StaffID, c.OrgUnitID
	m.Tenant = Tenant{ID: c.TenantID, Slug: c.TenantSlug, Name: c.TenantName}
	if err := s.db.QueryRowContext(ctx, `SELECT created_at FROM tenants WHERE id = ?`, c.TenantID).Scan(&m.Tenant.CreatedAt); err != nil {
		return Me{}, fmt.Errorf("org: me: %w", err)
	}
	m.Permissions = c.Role.Permissions()
	if ScopeOf(c).ReadOnly {
		m.Permissions = readOnly(m.Permissions)
	}
	m.CSRFToken = c.csrf
	return m, nil
}

func readOnly(perms []string) []string {
	out := perms[:0]
	for _, p := range perms {
		if strings.HasSuffix(p, ".read") {
			out = append(out, p)
		}
	}
	return out
}

// Authenticate resolves the caller from a bearer token or the session cookie. Cookie requests
// that change state must carry the session's CSRF token.
func (s *Service) Authenticate(r *http.Request) (*http.Request, error) {
	ctx := r.Context()
	var c Caller
	var err error
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !strings.HasPrefix(tok, tokenPrefix) {
			return r, &httpx.Error{Code: httpx.Unauthorized, Key: "bad_token"}
		}
		c, err = s.tokenCaller(ctx, tok)
	} else {
		cookie, cerr := r.Cookie(SessionCookie)
		if cerr != nil || cookie.Value == "" {
			return r, &httpx.Error{Code: httpx.Unauthorized}
		}
		c, err = s.sessionCaller(ctx, hashSecret(cookie.Value))
		if err == nil && !safeMethod(r.Method) {
			got := r.Header.Get(CSRFHeader)
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.csrf)) != 1 {
				return r, &httpx.Error{Code: httpx.Forbidden, Key: "csrf", Message: "missing or wrong " + CSRFHeader}
			}
		}
	}
	if err != nil {
		return r, err
	}
	return r.WithContext(WithCaller(ctx, c)), nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// Authorize checks a route permission; read-only roles never pass a write permission.
func (s *Service) Authorize(r *http.Request, perm string) error {
	c, ok := CallerFrom(r.Context())
	if !ok {
		return &httpx.Error{Code: httpx.Unauthorized}
	}
	if !c.Role.Can(perm) || (ScopeOf(c).ReadOnly && !strings.HasSuffix(perm, ".read")) {
		return &httpx.Error{Code: httpx.Forbidden}
	}
	return nil
}

const callerSelect = `SELECT t.id, t.slug, t.name, u.id, u.username, u.display_name, u.role,
	COALESCE(u.staff_id, 0), COALESCE(u.org_unit_id, 0)`

func (s *Service) sessionCaller(ctx context.Context, idHash string) (Caller, error) {
	var c Caller
	var expires time.Time
	var disabled bool
	var staffStatus string
	err := s.db.QueryRowContext(ctx, callerSelect+`, se.csrf_token, se.expires_at, u.disabled, COALESCE(st.status, '')
		FROM sessions se JOIN users u ON u.tenant_id = se.tenant_id AND u.id = se.user_id
		JOIN tenants t ON t.id = se.tenant_id
		LEFT JOIN staff st ON st.tenant_id = u.tenant_id AND st.id = u.staff_id
		WHERE se.id_hash = ?`, idHash).
		Scan(&c.TenantID, &c.TenantSlug, &c.TenantName, &c.UserID, &c.Username, &c.Display, &c.Role, &c.StaffID, &c.OrgUnitID,
			&c.csrf, &expires, &disabled, &staffStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return Caller{}, &httpx.Error{Code: httpx.Unauthorized, Key: "session_expired"}
	}
	if err != nil {
		return Caller{}, fmt.Errorf("org: session: %w", err)
	}
	if disabled || staffStatus == StaffResigned || !expires.After(s.clock()) {
		return Caller{}, &httpx.Error{Code: httpx.Unauthorized, Key: "session_expired"}
	}
	c.sessionHash = idHash
	return c, s.resolveScope(ctx, &c)
}

// resolveScope fills the org path a manager's or guide's scope is built from.
func (s *Service) resolveScope(ctx context.Context, c *Caller) error {
	var q string
	var arg int64
	switch {
	case c.Role == Manager && c.OrgUnitID > 0:
		q, arg = `SELECT path FROM org_units WHERE tenant_id = ? AND id = ?`, c.OrgUnitID
	case c.StaffID > 0:
		q, arg = `SELECT u.path FROM staff s JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.org_unit_id WHERE s.tenant_id = ? AND s.id = ?`, c.StaffID
	default:
		return nil
	}
	err := s.db.QueryRowContext(ctx, q, c.TenantID, arg).Scan(&c.OrgPath)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("org: resolve scope: %w", err)
	}
	if c.Role == Manager && c.OrgPath == "" {
		c.OrgPath = "/nothing/"
	}
	return nil
}
