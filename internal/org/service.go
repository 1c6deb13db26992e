package org

import (
	"context"
	"log/slog"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Service holds the organisation rules: tenants, units, staff, users, tokens, sessions and
// tenant WeCom settings.
type Service struct {
	db   *store.DB
	box  *seal.Box
	log  *slog.Logger
	now  func() time.Time
	hash PasswordParams
}

// Options tune a Service; the zero value is production.
type Options struct {
	// Now replaces the clock in tests.
	Now func() time.Time
	// Password overrides the argon2id cost (tests use a cheap one).
	Password *PasswordParams
}

// NewService returns the organisation service.
func NewService(db *store.DB, box *seal.Box, log *slog.Logger, opts Options) *Service {
	s := &Service{db: db, box: box, log: log, now: opts.Now, hash: DefaultPasswordParams}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.Password != nil {
		s.hash = *opts.Password
	}
	return s
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// RequireCaller returns the caller in ctx or an Unauthorized error. Every service (in any
// package) calls it first, so a missing caller can never mean "no filter".
func RequireCaller(ctx context.Context) (Caller, error) {
	c, ok := CallerFrom(ctx)
	if !ok {
		return Caller{}, &httpx.Error{Code: httpx.Unauthorized}
	}
	return c, nil
}

// writer returns the caller's scope after checking that they may write at all.
func writer(ctx context.Context) (Caller, Scope, error) {
	c, err := RequireCaller(ctx)
	if err != nil {
		return c, Scope{}, err
	}
	sc := ScopeOf(c)
	if sc.ReadOnly {
		return c, sc, &httpx.Error{Code: httpx.Forbidden}
	}
	return c, sc, nil
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"bad_credentials":    {Zh: "企业标识、用户名或密码错误", En: "Wrong tenant, username or password"},
		"account_locked":     {Zh: "登录失败次数过多，账号已临时锁定，请稍后再试", En: "Too many failed sign-ins; the account is locked for a while"},
		"account_disabled":   {Zh: "账号已停用", En: "This account is disabled"},
		"session_expired":    {Zh: "登录已过期，请重新登录", En: "Your session has expired; please sign in again"},
		"bad_token":          {Zh: "API 令牌无效或已撤销", En: "The API token is invalid or revoked"},
		"wrong_password":     {Zh: "当前密码不正确", En: "The current password is wrong"},
		"unit_not_empty":     {Zh: "该组织下还有下级组织或员工，不能删除", En: "This unit still has sub-units or staff and cannot be deleted"},
		"unit_is_root":       {Zh: "总部（根组织）不能删除或移动", En: "The root unit (HQ) cannot be deleted or moved"},
		"unit_cycle":         {Zh: "不能把组织移动到它自己的下级", En: "A unit cannot be moved under itself"},
		"outside_scope":      {Zh: "超出你的管理范围", En: "This is outside your scope"},
		"role_not_grantable": {Zh: "不能授予高于自己的角色", En: "You cannot grant a role above your own"},
		"tenant_taken":       {Zh: "企业标识已存在", En: "That tenant slug is taken"},
	})
}

// hidden decides what a lookup of an object the caller named becomes: a database failure stays
// what it is; a missing object, or one outside the caller's scope (visible false), becomes
// notFound — the same answer for both, so ids cannot be probed across tenants or scopes.
func hidden(err error, visible bool, notFound error) error {
	if err != nil && httpx.ErrorCode(err) != httpx.NotFound {
		return err
	}
	if err != nil || !visible {
		return notFound
	}
	return nil
}
