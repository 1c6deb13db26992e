package customer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
)

// simWeCom hands out a client of the simulator.
type simWeCom struct{ client *wecom.Client }

func (w simWeCom) Client(context.Context, int64) (*wecom.Client, error) { return w.client, nil }
func (w simWeCom) Settings(context.Context, int64) (org.WeComSecrets, error) {
	return org.WeComSecrets{}, nil
}

// tagRig is a tenant whose WeCom is the simulator, with one customer related to two staff.
type tagRig struct {
	svc              *customer.Service
	sim              *wecomsim.Sim
	db               *store.DB
	tenantID         int64
	staff1, staff2   int64
	customerID       int64
	external         string
	owner, asStaff2  context.Context
	managerElsewhere context.Context
}

func newTagRig(t *testing.T, db *store.DB) *tagRig {
	t.Helper()
	ctx := context.Background()
	sim, handler, err := wecomsim.NewServer(wecomsim.Config{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	client, err := wecom.NewClient(wecom.Config{CorpID: sim.CorpID(), Secret: wecomsim.DefaultApp.Secret, BaseURL: srv.URL + "/cgi-bin/", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	box, _ := seal.New(bytes.Repeat([]byte{2}, 32))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	orgs := org.NewService(db, box, log, org.Options{})
	tn, err := orgs.CreateTenant(ctx, fmt.Sprintf("tg%d-%d", time.Now().UnixNano()%1e6, seq.Add(1)), "标签测试")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orgs.ApplyMembers(ctx, tn.ID, []org.WeComMember{{UserID: "guide01", Name: "王芳"}, {UserID: "guide02", Name: "李娜"}}); err != nil {
		t.Fatal(err)
	}
	ids, err := orgs.StaffIDsByWeCom(ctx, tn.ID, []string{"guide01", "guide02"})
	if err != nil {
		t.Fatal(err)
	}
	r := &tagRig{svc: customer.New(db, simWeCom{client}, orgs, log), sim: sim, db: db, tenantID: tn.ID,
		staff1: ids["guide01"], staff2: ids["guide02"]}
	// In WeCom: the customer added both members.
	cu, err := sim.AddCustomer(wecomsim.CustomerInput{Name: "周女士", Gender: 2})
	if err != nil {
		t.Fatal(err)
	}
	r.external = cu.ExternalUserID
	var follows []customer.Follow
	for i, u := range []string{"guide01", "guide02"} {
		if _, err := sim.AddStaff(wecomsim.StaffInput{UserID: u, Name: u, Department: []int64{1}}); err != nil {
			t.Fatal(err)
		}
		way, err := client.AddContactWay(ctx, wecom.AddContactWayRequest{Type: 1, Scene: 2, SkipVerify: true, User: []string{u}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sim.Scan(cu.ExternalUserID, way.ConfigID); err != nil {
			t.Fatal(err)
		}
		follows = append(follows, customer.Follow{UserID: u, CreateTime: time.Now().Unix() + int64(i)})
	}
	applied, err := r.svc.ApplyContact(ctx, tn.ID, wecom.ExternalContact{ExternalUserID: cu.ExternalUserID, Name: "周女士"}, follows)
	if err != nil {
		t.Fatal(err)
	}
	r.customerID = applied.CustomerID
	r.owner = org.WithCaller(ctx, org.Caller{TenantID: tn.ID, Role: org.Owner})
	r.asStaff2 = org.WithCaller(ctx, org.Caller{TenantID: tn.ID, Role: org.Admin, StaffID: r.staff2})
	r.managerElsewhere = org.WithCaller(ctx, org.Caller{TenantID: tn.ID, Role: org.Manager, OrgPath: "/999999/"})
	return r
}

// simTags returns the simulator's tag names on each member's relation with the customer.
func (r *tagRig) simTags(t *testing.T) map[string][]string {
	t.Helper()
	st, err := r.sim.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, tg := range st.Tags {
		names[tg.ID] = tg.Name
	}
	out := map[string][]string{}
	for _, rel := range st.Relations {
		if rel.ExternalUserID != r.external {
			continue
		}
		var ns []string
		for _, id := range rel.TagIDs {
			ns = append(ns, names[id])
		}
		sort.Strings(ns)
		out[rel.UserID] = ns
	}
	return out
}

// TestTagLibrary: groups and tags created, renamed and deleted in Siyu land in WeCom with the
// ids Siyu stores.
func TestTagLibrary(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newTagRig(t, db)
		g, err := r.svc.CreateTagGroup(r.owner, customer.TagGroupInput{Name: "客户等级", Tags: []string{"VIP", "新客"}})
		if err != nil {
			t.Fatal(err)
		}
		if g.Name != "客户等级" || len(g.Tags) != 2 {
			t.Fatalf("group = %+v", g)
		}
		added, err := r.svc.AddTag(r.owner, g.ID, customer.TagInput{Name: "老客"})
		if err != nil || added.Name != "老客" {
			t.Fatalf("add tag: %+v %v", added, err)
		}
		if _, err := r.svc.AddTag(r.owner, g.ID, customer.TagInput{Name: "老客"}); httpx.ErrorCode(err) != httpx.Invalid {
			t.Errorf("duplicate tag name: %v, want invalid", err)
		}
		st, err := r.sim.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		sim := map[string]string{} // WeCom tag id → group name / tag name
		for _, sg := range st.TagGroups {
			for _, tg := range st.Tags {
				if tg.GroupID == sg.GroupID {
					sim[tg.ID] = sg.GroupName + "/" + tg.Name
				}
			}
		}
		rows, err := db.QueryContext(context.Background(), `SELECT g.name, t.name, t.wecom_tag_id FROM tags t JOIN tag_groups g ON g.id = t.group_id
			WHERE t.tenant_id = ? AND t.deleted = FALSE`, r.tenantID)
		if err != nil {
			t.Fatal(err)
		}
		local := map[string]string{}
		for rows.Next() {
			var gn, tn, id string
			if err := rows.Scan(&gn, &tn, &id); err != nil {
				t.Fatal(err)
			}
			local[id] = gn + "/" + tn
		}
		rows.Close()
		if fmt.Sprint(local) != fmt.Sprint(sim) || len(local) != 3 {
			t.Errorf("Siyu's tags %v, WeCom's %v", local, sim)
		}

		if _, err := r.svc.RenameTag(r.owner, added.ID, customer.TagInput{Name: "回头客"}); err != nil {
			t.Fatal(err)
		}
		if err := r.svc.DeleteTag(r.owner, g.Tags[1].ID); err != nil {
			t.Fatal(err)
		}
		groups, err := r.svc.TagGroups(r.owner)
		if err != nil {
			t.Fatal(err)
		}
		st, _ = r.sim.Snapshot()
		var simNames []string
		for _, tg := range st.Tags {
			simNames = append(simNames, tg.Name)
		}
		sort.Strings(simNames)
		var names []string
		for _, tg := range groups[0].Tags {
			names = append(names, tg.Name)
		}
		sort.Strings(names)
		if len(groups) != 1 || fmt.Sprint(names) != fmt.Sprint(simNames) || fmt.Sprint(names) != "[VIP 回头客]" {
			t.Errorf("after rename and delete: Siyu %v, WeCom %v", names, simNames)
		}
		if err := r.svc.DeleteTag(r.owner, g.Tags[1].ID); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("deleting a deleted tag: %v, want not found", err)
		}
	})
}

// TestMarkTags: tags put on and taken off a customer reach WeCom's relations, the profile and the
// timeline; bad input, a customer outside the scope and a WeCom refusal change nothing.
func TestMarkTags(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newTagRig(t, db)
		g, err := r.svc.CreateTagGroup(r.owner, customer.TagGroupInput{Name: "客户等级", Tags: []string{"VIP", "新客", "老客"}})
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]int64{}
		for _, tg := range g.Tags {
			byName[tg.Name] = tg.ID
		}
		vip, newc, old := byName["VIP"], byName["新客"], byName["老客"]

		steps := []struct {
			name      string
			ctx       context.Context
			in        customer.MarkInput
			fault     int // WeCom errcode for the mark_tag call
			wantErr   httpx.Code
			wantField string
			wantSim   map[string][]string
			wantTags  []string // profile, as name:source
			wantEvent string   // detail of the newest tagged event
		}{
			{name: "owner adds: first active relation", ctx: r.owner, in: customer.MarkInput{Add: []int64{vip, newc}},
				wantSim:  map[string][]string{"guide01": {"VIP", "新客"}, "guide02": nil},
				wantTags: []string{"VIP:manual", "新客:manual"}, wantEvent: `{"added":["VIP","新客"],"removed":[]}`},
			{name: "staff member's own relation", ctx: r.asStaff2, in: customer.MarkInput{Add: []int64{old, newc}},
				wantSim:  map[string][]string{"guide01": {"VIP", "新客"}, "guide02": {"新客", "老客"}},
				wantTags: []string{"VIP:manual", "新客:manual", "老客:manual"}, wantEvent: `{"added":["老客","新客"],"removed":[]}`},
			{name: "remove takes it off every relation", ctx: r.owner, in: customer.MarkInput{Remove: []int64{newc}},
				wantSim:  map[string][]string{"guide01": {"VIP"}, "guide02": {"老客"}},
				wantTags: []string{"VIP:manual", "老客:manual"}, wantEvent: `{"added":[],"removed":["新客"]}`},
			{name: "nothing to do", ctx: r.owner, in: customer.MarkInput{}, wantErr: httpx.Invalid, wantField: "add"},
			{name: "unknown tag", ctx: r.owner, in: customer.MarkInput{Add: []int64{vip + 1000}}, wantErr: httpx.Invalid, wantField: "add"},
			{name: "unknown tag to remove", ctx: r.owner, in: customer.MarkInput{Remove: []int64{-1}}, wantErr: httpx.Invalid, wantField: "remove"},
			{name: "add and remove the same", ctx: r.owner, in: customer.MarkInput{Add: []int64{vip}, Remove: []int64{vip}}, wantErr: httpx.Invalid, wantField: "remove"},
			{name: "outside the manager's subtree", ctx: r.managerElsewhere, in: customer.MarkInput{Add: []int64{newc}}, wantErr: httpx.NotFound},
			{name: "WeCom refuses", ctx: r.owner, in: customer.MarkInput{Add: []int64{newc}}, fault: wecom.CodeInvalidTagID, wantErr: httpx.Conflict},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				beforeSim := fmt.Sprint(r.simTags(t))
				beforeEvents := countEvents(t, db, r.tenantID, customer.EventTagged)
				before, err := r.svc.Get(r.owner, r.customerID)
				if err != nil {
					t.Fatal(err)
				}
				if st.fault != 0 {
					r.sim.InjectFault("externalcontact/mark_tag", st.fault, 1)
				}
				out, err := r.svc.MarkTags(st.ctx, r.customerID, st.in)
				if st.wantErr != "" {
					e := httpx.AsError(err)
					if err == nil || e.Code != st.wantErr {
						t.Fatalf("err = %v, want %s", err, st.wantErr)
					}
					if st.wantField != "" && e.Fields[st.wantField].Code == "" {
						t.Errorf("fields = %v, want %s", e.Fields, st.wantField)
					}
					after, _ := r.svc.Get(r.owner, r.customerID)
					if got := fmt.Sprint(r.simTags(t)); got != beforeSim {
						t.Errorf("WeCom changed: %s → %s", beforeSim, got)
					}
					if fmt.Sprint(after.Tags) != fmt.Sprint(before.Tags) || countEvents(t, db, r.tenantID, customer.EventTagged) != beforeEvents {
						t.Errorf("Siyu changed: %v → %v", before.Tags, after.Tags)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := r.simTags(t); fmt.Sprint(got) != fmt.Sprint(st.wantSim) {
					t.Errorf("WeCom relations' tags = %v, want %v", got, st.wantSim)
				}
				d, err := r.svc.Get(r.owner, r.customerID)
				if err != nil {
					t.Fatal(err)
				}
				var tags []string
				for _, tg := range d.Tags {
					tags = append(tags, tg.Name+":"+tg.Source)
					if tg.GroupName != "客户等级" {
						t.Errorf("tag %+v has no group name", tg)
					}
				}
				sort.Strings(tags)
				if fmt.Sprint(tags) != fmt.Sprint(st.wantTags) || len(out.Tags) != len(d.Tags) {
					t.Errorf("profile tags = %v (returned %v), want %v", tags, out.Tags, st.wantTags)
				}
				i := slices.IndexFunc(d.Timeline, func(e customer.Event) bool { return e.Kind == customer.EventTagged })
				if i < 0 {
					t.Fatal("no tagged event on the timeline")
				}
				var got, want any
				_ = json.Unmarshal([]byte(d.Timeline[i].Detail), &got)
				_ = json.Unmarshal([]byte(st.wantEvent), &want)
				if fmt.Sprint(sortedDetail(got)) != fmt.Sprint(sortedDetail(want)) {
					t.Errorf("tagged event = %s, want %s", d.Timeline[i].Detail, st.wantEvent)
				}
			})
		}

		// A WeCom edit of the relation (the staff member removed VIP in the app) wins over Siyu's
		// manual mark; tags still there keep their source.
		if _, err := r.svc.ApplyContact(context.Background(), r.tenantID, wecom.ExternalContact{ExternalUserID: r.external, Name: "周女士"},
			[]customer.Follow{{UserID: "guide01", CreateTime: 1}}); err != nil {
			t.Fatal(err)
		}
		d, _ := r.svc.Get(r.owner, r.customerID)
		if len(d.Tags) != 1 || d.Tags[0].Name != "老客" || d.Tags[0].Source != customer.TagSourceManual {
			t.Errorf("after WeCom dropped guide01's tags: %+v", d.Tags)
		}
	})
}

// sortedDetail sorts the name lists of a tagged event's detail (order is not part of it).
func sortedDetail(v any) any {
	m, _ := v.(map[string]any)
	for k, l := range m {
		list, _ := l.([]any)
		s := make([]string, 0, len(list))
		for _, x := range list {
			s = append(s, fmt.Sprint(x))
		}
		sort.Strings(s)
		m[k] = s
	}
	return m
}
