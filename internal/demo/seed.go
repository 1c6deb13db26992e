// Package demo builds the demo brand that `siyu demo` and `make run` start with: a tenant, an
// organisation tree of a Chinese retail chain, its staff and a login (seed.go); the same corp in
// an in-process WeCom simulator that the tenant is connected to (simulator.go); and a seeded,
// reproducible crowd of customers who use it (planner.go decides, traffic.go acts), so every page
// has live data. It goes through the same services and the same WeCom flows as production (no
// direct SQL, no shortcuts around callbacks), so the demo exercises the product rather than
// bypassing it. Seeding is idempotent: an existing demo tenant is left as it is.
package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Login is the demo's console login, printed at start.
const (
	Tenant   = "demo"
	Username = "admin"
	Password = "siyu-demo-2026"
)

type unitSeed struct {
	name, kind string
	// key names a store in contact-way and join-way states ("store-nanjinglu"); short is its
	// name in group names ("南京路店").
	key, short string
	children   []unitSeed
	staff      []staffSeed
}

type staffSeed struct {
	name, mobile string
	gender       string // WeCom's "1" male, "2" female
	position     string
}

var tree = []unitSeed{
	{name: "华东分公司", kind: org.KindBranch, children: []unitSeed{
		{name: "上海南京路店", kind: org.KindStore, key: "nanjinglu", short: "南京路店", staff: []staffSeed{
			{"王芳", "13800138001", "2", "店长"}, {"李娜", "13800138002", "2", "导购"}, {"张伟", "13800138003", "1", "导购"}}},
		{name: "杭州湖滨店", kind: org.KindStore, key: "hubin", short: "湖滨店", staff: []staffSeed{
			{"刘洋", "13800138004", "1", "店长"}, {"陈静", "13800138005", "2", "导购"}}},
	}},
	{name: "华南分公司", kind: org.KindBranch, children: []unitSeed{
		{name: "广州天河店", kind: org.KindStore, key: "tianhe", short: "天河店", staff: []staffSeed{
			{"杨敏", "13800138006", "2", "店长"}, {"黄磊", "13800138007", "1", "导购"}}},
		{name: "深圳万象城店", kind: org.KindStore, key: "wanxiangcheng", short: "万象城店", staff: []staffSeed{
			{"赵丽", "13800138008", "2", "店长"}}},
	}},
	{name: "总部运营部", kind: org.KindDepartment, staff: []staffSeed{{"周婷", "13800138009", "2", "私域运营"}}},
}

// flatUnit is one unit of the tree in pre-order (parents first), with its staff numbered in that
// order: the first staff member of the tree is guide01.
type flatUnit struct {
	unitSeed
	parent int // index in the flat list, -1 for a child of the root
	staff  []flatStaff
}

type flatStaff struct {
	staffSeed
	userID string
}

func flatten() []flatUnit {
	var out []flatUnit
	n := 0
	var walk func(parent int, seeds []unitSeed)
	walk = func(parent int, seeds []unitSeed) {
		for _, s := range seeds {
			u := flatUnit{unitSeed: s, parent: parent}
			for _, st := range s.staff {
				n++
				u.staff = append(u.staff, flatStaff{staffSeed: st, userID: fmt.Sprintf("guide%02d", n)})
			}
			out = append(out, u)
			walk(len(out)-1, s.children)
		}
	}
	walk(-1, tree)
	return out
}

// Seed creates the demo tenant unless it exists. created reports whether it did. The login is
// created first, so a seed interrupted half-way still leaves a demo one can sign in to.
func Seed(ctx context.Context, svc *org.Service) (created bool, err error) {
	t, err := svc.TenantBySlug(ctx, Tenant)
	switch {
	case err == nil:
		_, err := svc.CreateUserInTenant(ctx, Tenant, org.UserInput{Username: Username, DisplayName: "演示管理员", Password: Password, Role: org.Owner})
		if err != nil && !isTaken(err) {
			return false, fmt.Errorf("demo: admin user: %w", err)
		}
		return false, nil
	case httpx.ErrorCode(err) != httpx.NotFound:
		return false, err
	}
	t, err = svc.CreateTenant(ctx, Tenant, "思语生活（演示品牌）")
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	if _, err := svc.CreateUserInTenant(ctx, Tenant, org.UserInput{Username: Username, DisplayName: "演示管理员", Password: Password, Role: org.Owner}); err != nil {
		return false, fmt.Errorf("demo: admin user: %w", err)
	}
	// Act as the owner through the normal service methods.
	ctx = org.WithCaller(ctx, org.Caller{TenantID: t.ID, TenantSlug: t.Slug, TenantName: t.Name, Username: Username, Role: org.Owner})
	units, err := svc.ListUnits(ctx)
	if err != nil || len(units) == 0 {
		return false, errors.Join(errors.New("demo: no root unit"), err)
	}
	flat := flatten()
	ids := make([]int64, len(flat))
	for i, fu := range flat {
		parent := units[0].ID
		if fu.parent >= 0 {
			parent = ids[fu.parent]
		}
		u, err := svc.CreateUnit(ctx, org.UnitInput{ParentID: parent, Name: fu.name, Kind: fu.kind})
		if err != nil {
			return false, fmt.Errorf("demo: unit %s: %w", fu.name, err)
		}
		ids[i] = u.ID
		for _, st := range fu.staff {
			if _, err := svc.CreateStaff(ctx, org.StaffInput{Name: st.name, Mobile: st.mobile, OrgUnitID: u.ID,
				WeComUserID: st.userID}); err != nil {
				return false, fmt.Errorf("demo: staff %s: %w", st.name, err)
			}
		}
	}
	return true, nil
}

func isTaken(err error) bool {
	f, ok := httpx.AsError(err).Fields["username"]
	return ok && f.Code == "taken"
}
