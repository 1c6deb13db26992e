package org

import (
	"net/http"
	"strconv"

	"github.com/siyu-scrm/siyu/internal/httpx"
)

// Routes lists the organisation API and the permission each route needs.
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{
		{Method: "POST", Path: "/api/v1/auth/login", Public: true, Tag: "auth", Summary: "Log in with a password; sets the session cookie",
			Request: LoginInput{}, Response: Me{}, Handler: s.handleLogin},
		{Method: "POST", Path: "/api/v1/auth/logout", Tag: "auth", Summary: "End the session", Status: 204, Handler: s.handleLogout},
		{Method: "GET", Path: "/api/v1/auth/me", Tag: "auth", Summary: "Who am I, with permissions and the CSRF token", Response: Me{}, Handler: s.handleMe},
		{Method: "POST", Path: "/api/v1/auth/password", Tag: "auth", Summary: "Change my password", Request: PasswordChange{}, Status: 204, Handler: s.handlePassword},
		{Method: "GET", Path: "/api/v1/tenant", Tag: "org", Summary: "My tenant", Response: Tenant{}, Handler: s.handleTenant},

		{Method: "GET", Path: "/api/v1/org-units", Perm: PermOrgRead, Tag: "org", Summary: "The visible organisation tree as a flat list",
			Response: UnitList{}, Handler: s.handleListUnits},
		{Method: "POST", Path: "/api/v1/org-units", Perm: PermOrgWrite, Tag: "org", Summary: "Create an org unit", Request: UnitInput{}, Response: Unit{}, Status: 201, Handler: s.handleCreateUnit},
		{Method: "GET", Path: "/api/v1/org-units/{id}", Perm: PermOrgRead, Tag: "org", Summary: "Get an org unit", Response: Unit{}, Handler: s.handleGetUnit},
		{Method: "PATCH", Path: "/api/v1/org-units/{id}", Perm: PermOrgWrite, Tag: "org", Summary: "Rename, re-kind or move an org unit", Request: UnitPatch{}, Response: Unit{}, Handler: s.handleUpdateUnit},
		{Method: "DELETE", Path: "/api/v1/org-units/{id}", Perm: PermOrgWrite, Tag: "org", Summary: "Delete an empty org unit", Status: 204, Handler: httpx.Remove(s.DeleteUnit)},

		{Method: "GET", Path: "/api/v1/staff", Perm: PermStaffRead, Tag: "staff", Summary: "List staff",
			Query: []httpx.Param{{Name: "org_unit_id", Type: "integer", Description: "unit, including its subtree"}, {Name: "status", Type: "string", Description: "active or resigned"},
				{Name: "q", Type: "string", Description: "name, WeCom userid or mobile digits"}, {Name: "limit", Type: "integer", Description: "1-500"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
			Response: httpx.Page[Staff]{}, Handler: s.handleListStaff},
		{Method: "POST", Path: "/api/v1/staff", Perm: PermStaffWrite, Tag: "staff", Summary: "Add a staff member", Request: StaffInput{}, Response: Staff{}, Status: 201, Handler: s.handleCreateStaff},
		{Method: "GET", Path: "/api/v1/staff/{id}", Perm: PermStaffRead, Tag: "staff", Summary: "Get a staff member", Response: Staff{}, Handler: s.handleGetStaff},
		{Method: "PATCH", Path: "/api/v1/staff/{id}", Perm: PermStaffWrite, Tag: "staff", Summary: "Change a staff member (including resigning them)", Request: StaffPatch{}, Response: Staff{}, Handler: s.handleUpdateStaff},

		{Method: "GET", Path: "/api/v1/users", Perm: PermUsersManage, Tag: "users", Summary: "List console users", Query: pageParams, Response: httpx.Page[User]{}, Handler: s.handleListUsers},
		{Method: "POST", Path: "/api/v1/users", Perm: PermUsersManage, Tag: "users", Summary: "Create a console user", Request: UserInput{}, Response: User{}, Status: 201, Handler: s.handleCreateUser},

		{Method: "PATCH", Path: "/api/v1/users/{id}", Perm: PermUsersManage, Tag: "users", Summary: "Change a console user: role, scope, disable, reset password",
			Request: UserPatch{}, Response: User{}, Handler: s.handleUpdateUser},

		{Method: "GET", Path: "/api/v1/tokens", Perm: PermTokensManage, Tag: "tokens", Summary: "List API tokens", Query: pageParams, Response: httpx.Page[APIToken]{}, Handler: s.handleListTokens},
		{Method: "POST", Path: "/api/v1/tokens", Perm: PermTokensManage, Tag: "tokens", Summary: "Create an API token (the secret is shown once)", Request: TokenInput{}, Response: NewToken{}, Status: 201, Handler: s.handleCreateToken},
		{Method: "DELETE", Path: "/api/v1/tokens/{id}", Perm: PermTokensManage, Tag: "tokens", Summary: "Revoke an API token", Status: 204, Handler: httpx.Remove(s.RevokeToken)},

		{Method: "GET", Path: "/api/v1/settings/wecom", Perm: PermSettingsRead, Tag: "settings", Summary: "The tenant's WeCom settings (secrets only as set/unset)", Response: WeComSettings{}, Handler: s.handleGetWeCom},
		{Method: "PUT", Path: "/api/v1/settings/wecom", Perm: PermSettingsWrite, Tag: "settings", Summary: "Replace the tenant's WeCom settings; empty secrets keep the stored ones", Request: WeComSettingsInput{}, Response: WeComSettings{}, Handler: s.handleSetWeCom},
	}
}

var pageParams = []httpx.Param{{Name: "limit", Type: "integer", Description: "1-500"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var in LoginInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	sess, err := s.Login(r.Context(), in)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: sess.ID, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)})
	httpx.JSON(w, http.StatusOK, sess.Me)
	return nil
}

// isHTTPS decides the cookie's Secure flag; behind a TLS-terminating proxy it trusts
// X-Forwarded-Proto, which that proxy sets.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Logout(r.Context()); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) handleMe(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Me(r.Context())
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handlePassword(w http.ResponseWriter, r *http.Request) error {
	var in PasswordChange
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	if err := s.ChangePassword(r.Context(), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) handleTenant(w http.ResponseWriter, r *http.Request) error {
	v, err := s.CurrentTenant(r.Context())
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handleListUnits(w http.ResponseWriter, r *http.Request) error {
	units, err := s.ListUnits(r.Context())
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, UnitList{Items: units})
	return nil
}

func (s *Service) handleCreateUnit(w http.ResponseWriter, r *http.Request) error {
	var in UnitInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	v, err := s.CreateUnit(r.Context(), in)
	return httpx.Reply(w, http.StatusCreated, v, err)
}

func (s *Service) handleGetUnit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.GetUnit(r.Context(), id)
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handleUpdateUnit(w http.ResponseWriter, r *http.Request) error {
	id, p, err := httpx.IDAndBody[UnitPatch](r)
	if err != nil {
		return err
	}
	v, err := s.UpdateUnit(r.Context(), id, p)
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handleListStaff(w http.ResponseWriter, r *http.Request) error {
	page, err := httpx.PageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := StaffFilter{Status: q.Get("status"), Query: q.Get("q"), Page: page}
	var check httpx.Validator
	if u := q.Get("org_unit_id"); u != "" {
		id, err := strconv.ParseInt(u, 10, 64)
		check.Check(err == nil && id > 0, "org_unit_id", "invalid")
		f.OrgUnitID = id
	}
	if f.Status != "" {
		check.OneOf("status", f.Status, StaffActive, StaffResigned)
	}
	if err := check.Err(); err != nil {
		return err
	}
	v, err := s.ListStaff(r.Context(), f)
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handleCreateStaff(w http.ResponseWriter, r *http.Request) error {
	var in StaffInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	v, err := s.CreateStaff(r.Context(), in)
	return httpx.Reply(w, http.StatusCreated, v, err)
}

func (s *Service) handleGetStaff(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.GetStaff(r.Context(), id)
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handleUpdateStaff(w http.ResponseWriter, r *http.Request) error {
	id, p, err := httpx.IDAndBody[StaffPatch](r)
	if err != nil {
		return err
	}
	v, err := s.UpdateStaff(r.Context(), id, p)
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handleListUsers(w http.ResponseWriter, r *http.Request) error {
	page, err := httpx.PageParams(r)
	if err != nil {
		return err
	}
	v, err := s.ListUsers(r.Context(), page)
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handleCreateUser(w http.ResponseWriter, r *http.Request) error {
	var in UserInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	v, err := s.CreateUser(r.Context(), in)
	return httpx.Reply(w, http.StatusCreated, v, err)
}

func (s *Service) handleUpdateUser(w http.ResponseWriter, r *http.Request) error {
	id, p, err := httpx.IDAndBody[UserPatch](r)
	if err != nil {
		return err
	}
	v, err := s.UpdateUser(r.Context(), id, p)
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handleListTokens(w http.ResponseWriter, r *http.Request) error {
	page, err := httpx.PageParams(r)
	if err != nil {
		return err
	}
	v, err := s.ListTokens(r.Context(), page)
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handleCreateToken(w http.ResponseWriter, r *http.Request) error {
	var in TokenInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	v, err := s.CreateToken(r.Context(), in)
	return httpx.Reply(w, http.StatusCreated, v, err)
}

func (s *Service) handleGetWeCom(w http.ResponseWriter, r *http.Request) error {
	v, err := s.GetWeComSettings(r.Context())
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handleSetWeCom(w http.ResponseWriter, r *http.Request) error {
	var in WeComSettingsInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	v, err := s.SetWeComSettings(r.Context(), in)
	return httpx.Reply(w, http.StatusOK, v, err)
}
