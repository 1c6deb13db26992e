// Package org holds tenants (brands), the organisation tree (HQ → branch → store …), staff,
// console users, roles and data scopes, and authentication (password sessions and API tokens).
//
// Scope is the one place that decides what a caller may see: every query in every domain package
// filters by the caller's tenant and by Scope. The package must not know about customers, orders
// or WeCom protocol details; other packages ask it who the caller is and what they may see.
package org

import (
	"context"
	"slices"
	"strings"
)

// Role is what a console user or API token may do.
type Role string

const (
	Owner           Role = "owner"   // the brand's owner: everything
	Admin           Role = "admin"   // the whole tenant, but may not create owners
	Manager         Role = "manager" // their org subtree
	Guide           Role = "guide"   // themselves and their own customers (导购)
	Analyst         Role = "analyst" // read-only, no personal data
	CustomerService Role = "service" // customer service (客服): read and serve customers
)

// Roles lists every role, most powerful first.
var Roles = []Role{Owner, Admin, Manager, Guide, Analyst, CustomerService}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Permissions checked by routes.
const (
	PermOrgRead       = "org.read"
	PermOrgWrite      = "org.write"
	PermStaffRead     = "staff.read"
	PermStaffWrite    = "staff.write"
	PermUsersManage   = "users.manage"
	PermTokensManage  = "tokens.manage"
	PermSettingsRead  = "settings.read"
	PermSettingsWrite = "settings.write"
	PermCustomerRead  = "customer.read"
	// PermTagsWrite edits the corp tag library and the tags on customers (both written to WeCom).
	PermTagsWrite = "tags.write"
	// PermOrdersWrite ingests and imports orders and runs the binding and value jobs.
	PermOrdersWrite = "orders.write"
	// PermCustomerWrite edits a customer's profile in Siyu (custom field values, …) inside the
	// caller's scope.
	PermCustomerWrite = "customer.write"
	// PermCustomerImport imports customers in bulk (the whole tenant) and reads import jobs.
	PermCustomerImport = "customer.import"
	// PermCustomerExport exports the customers of the caller's scope (masked for analysts);
	// every export is audit-logged. An export is a read, hence the .read suffix that read-only
	// roles (analysts) need.
	PermCustomerExport = "customer.export.read"
)

var rolePerms = map[Role][]string{
	Owner:           {PermOrgRead, PermOrgWrite, PermStaffRead, PermStaffWrite, PermUsersManage, PermTokensManage, PermSettingsRead, PermSettingsWrite, PermCustomerRead, PermTagsWrite, PermCustomerWrite, PermCustomerImport, PermCustomerExport, PermOrdersWrite},
	Admin:           {PermOrgRead, PermOrgWrite, PermStaffRead, PermStaffWrite, PermUsersManage, PermTokensManage, PermSettingsRead, PermSettingsWrite, PermCustomerRead, PermTagsWrite, PermCustomerWrite, PermCustomerImport, PermCustomerExport, PermOrdersWrite},
	Manager:         {PermOrgRead, PermOrgWrite, PermStaffRead, PermStaffWrite, PermCustomerRead, PermTagsWrite, PermCustomerWrite, PermCustomerExport},
	Guide:           {PermOrgRead, PermStaffRead, PermCustomerRead, PermCustomerWrite},
	Analyst:         {PermOrgRead, PermStaffRead, PermCustomerRead, PermCustomerExport},
	CustomerService: {PermOrgRead, PermStaffRead, PermCustomerRead, PermCustomerWrite},
}

// Permissions returns the permissions of a role.
func (r Role) Permissions() []string { return slices.Clone(rolePerms[r]) }

// Can reports whether the role has perm.
func (r Role) Can(perm string) bool { return slices.Contains(rolePerms[r], perm) }

// MayGrant reports whether r may grant role other (create users or tokens with it): owners grant
// anything, admins anything but owner, nobody else grants roles.
func (r Role) MayGrant(other Role) bool {
	switch r {
	case Owner:
		return true
	case Admin:
		return other != Owner
	}
	return false
}

// Caller is who is making a request, resolved by authentication and carried in the context.
type Caller struct {
	TenantID   int64
	TenantSlug string
	TenantName string
	UserID     int64 // 0 when the caller is an API token
	TokenID    int64 // 0 when the caller is a console user
	Username   string
	Display    string
	Role       Role
	// StaffID is the staff member a guide acts as (and the staff record of any user linked to one).
	StaffID int64
	// OrgUnitID is the root of a manager's subtree; OrgPath is its materialised path.
	OrgUnitID int64
	OrgPath   string
	// sessionHash and csrf are set for cookie sessions.
	sessionHash string
	csrf        string
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller in ctx.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok && c.TenantID != 0
}

// Scope is what a caller may see. Every domain query applies it.
type Scope struct {
	TenantID int64
	// All is true for roles that see the whole tenant.
	All bool
	// OrgPath limits a manager to units whose path starts with it.
	OrgPath string
	// StaffID limits a guide to their own staff record (and later their own customers).
	StaffID int64
	// UnitPath is the guide's own unit, so they see where they belong.
	UnitPath string
	// PersonalData says whether phone numbers and other personal data are shown unmasked.
	PersonalData bool
	// ReadOnly callers may not change anything, whatever a route's permission says.
	ReadOnly bool
}

// ScopeOf is the one data-scope function: it decides what a caller may see.
func ScopeOf(c Caller) Scope {
	s := Scope{TenantID: c.TenantID, PersonalData: true}
	switch c.Role {
	case Owner, Admin, CustomerService:
		s.All = true
	case Analyst:
		s.All, s.PersonalData, s.ReadOnly = true, false, true
	case Manager:
		s.OrgPath = c.OrgPath
		if s.OrgPath == "" {
			s.OrgPath = "/nothing/" // a manager without a unit sees nothing rather than everything
		}
	case Guide:
		s.StaffID = c.StaffID
		s.UnitPath = c.OrgPath
		if s.StaffID == 0 {
			s.StaffID = -1
		}
	default:
		s.StaffID, s.OrgPath = -1, "/nothing/"
	}
	return s
}

// UnitFilter returns a SQL condition (and its args) that keeps org units visible in the scope;
// pathCol is the qualified path column, e.g. "u.path".
func (s Scope) UnitFilter(pathCol string) (string, []any) {
	switch {
	case s.All:
		return "1=1", nil
	case s.StaffID != 0:
		return pathCol + " = ?", []any{s.UnitPath}
	default:
		return pathCol + " LIKE ?", []any{likePrefix(s.OrgPath)}
	}
}

// StaffFilter returns a SQL condition that keeps staff visible in the scope; idCol is the staff id
// column and pathCol the path of the staff member's unit.
func (s Scope) StaffFilter(idCol, pathCol string) (string, []any) {
	switch {
	case s.All:
		return "1=1", nil
	case s.StaffID != 0:
		return idCol + " = ?", []any{s.StaffID}
	default:
		return pathCol + " LIKE ?", []any{likePrefix(s.OrgPath)}
	}
}

// CoversUnit reports whether a unit with the given path is inside the scope.
func (s Scope) CoversUnit(path string) bool {
	switch {
	case s.All:
		return true
	case s.StaffID != 0:
		return path == s.UnitPath
	default:
		return strings.HasPrefix(path, s.OrgPath)
	}
}

// likePrefix escapes nothing because paths hold only digits and slashes.
func likePrefix(p string) string { return p + "%" }

// MaskMobile hides the middle of a phone number for callers without personal-data access:
// +8613812345678 → 138****5678.
func MaskMobile(m string) string {
	m = strings.TrimPrefix(m, "+86")
	r := []rune(m)
	if len(r) < 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

// CustomerFilter returns a SQL condition that keeps customers visible in the scope: everyone for
// tenant-wide roles; for a manager, customers related to staff of their subtree; for a guide,
// their own customers. idCol is the customer id column, e.g. "c.id".
func (s Scope) CustomerFilter(idCol string) (string, []any) {
	switch {
	case s.All:
		return "1=1", nil
	case s.StaffID != 0:
		return `EXISTS (SELECT 1 FROM customer_staff cs WHERE cs.tenant_id = ? AND cs.customer_id = ` + idCol + ` AND cs.staff_id = ?)`,
			[]any{s.TenantID, s.StaffID}
	default:
		return `EXISTS (SELECT 1 FROM customer_staff cs JOIN staff st ON st.tenant_id = cs.tenant_id AND st.id = cs.staff_id
			JOIN org_units ou ON ou.tenant_id = st.tenant_id AND ou.id = st.org_unit_id
			WHERE cs.tenant_id = ? AND cs.customer_id = ` + idCol + ` AND ou.path LIKE ?)`, []any{s.TenantID, likePrefix(s.OrgPath)}
	}
}

// MaskName hides all but the first character of a person's name for callers without
// personal-data access: 张小芳 → 张**.
func MaskName(n string) string {
	r := []rune(n)
	if len(r) <= 1 {
		return n
	}
	return string(r[:1]) + strings.Repeat("*", len(r)-1)
}
