package loadtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mozillazg/go-pinyin"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// CustomerOptions configure the customer-list scenario.
type CustomerOptions struct {
	// DB is a PostgreSQL URL of a scratch database; empty means SQLite in DataDir.
	DB string
	// DataDir keeps the SQLite database between runs (loading a million customers takes minutes);
	// empty means a temporary directory removed at the end.
	DataDir   string
	Customers int
	// Runs is how many times each query is timed (with varying tags and keywords).
	Runs int
	Seed uint64
}

// QueryResult is one query's first-page latency.
type QueryResult struct {
	Query   string         `json:"query"`
	Runs    int            `json:"runs"`
	P50     time.Duration  `json:"p50_ns"`
	P99     time.Duration  `json:"p99_ns"`
	Max     time.Duration  `json:"max_ns"`
	AvgRows float64        `json:"avg_rows"`
	Drivers map[string]int `json:"drivers" doc:"which filter drove the query, per run (\"order\": walked the sort order)"`
}

// CustomerResult is what the scenario measured.
type CustomerResult struct {
	Store     string        `json:"store"`
	Customers int           `json:"customers"`
	LoadTime  time.Duration `json:"load_time_ns"`
	Queries   []QueryResult `json:"queries"`
}

func (r CustomerResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "customer list, %s, %d customers", r.Store, r.Customers)
	if r.LoadTime > 0 {
		fmt.Fprintf(&b, " (loaded in %s)", r.LoadTime.Round(time.Second))
	}
	b.WriteString("\nfirst page (50 rows) latency:\n")
	for _, q := range r.Queries {
		var drivers []string
		for k, v := range q.Drivers {
			drivers = append(drivers, fmt.Sprintf("%s×%d", k, v))
		}
		slices.Sort(drivers)
		fmt.Fprintf(&b, "  %-44s p50 %8s  p99 %8s  max %8s  rows %5.1f  via %s\n", q.Query, ms(q.P50), ms(q.P99), ms(q.Max), q.AvgRows,
			strings.Join(drivers, ", "))
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

const benchSlug = "bench-customers"

// Customers loads opts.Customers synthetic customers (once per store: a later run on the same
// --data or --db reuses them) and times the first page of typical list queries.
func Customers(ctx context.Context, opts CustomerOptions, progress io.Writer) (CustomerResult, error) {
	if opts.Customers <= 0 {
		opts.Customers = 1_000_000
	}
	if opts.Runs <= 0 {
		opts.Runs = 30
	}
	dir := opts.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "siyu-bench-customers-")
		if err != nil {
			return CustomerResult{}, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	cfg := config.Default()
	cfg.DataDir, cfg.DB, cfg.SecretKey = dir, opts.DB, "c2l5dS1iZW5jaC1rZXktc2l5dS1iZW5jaC1rZXkhIUE="
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{})
	if err != nil {
		return CustomerResult{}, err
	}
	defer a.Close()
	res := CustomerResult{Store: string(a.DB.Dialect())}
	w, err := prepareWorld(ctx, a, opts, progress, &res)
	if err != nil {
		return res, err
	}
	res.Customers = w.customers
	owner := org.WithCaller(ctx, org.Caller{TenantID: w.tenantID, TenantSlug: benchSlug, Role: org.Owner})
	manager := org.WithCaller(ctx, org.Caller{TenantID: w.tenantID, TenantSlug: benchSlug, Role: org.Manager, OrgUnitID: w.branch.ID, OrgPath: w.branch.Path})
	r := rand.New(rand.NewPCG(opts.Seed+1, 7))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	tags := func(n, pool int) []int64 {
		perm := r.Perm(min(pool, len(w.tags)))[:n]
		out := make([]int64, n)
		for i, p := range perm {
			out[i] = w.tags[p]
		}
		return out
	}
	common := []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"}
	queries := []struct {
		name string
		ctx  context.Context
		make func() customer.Filter
	}{
		{"3 tags any + keyword (surname)", owner, func() customer.Filter {
			return customer.Filter{TagIDs: tags(3, 30), TagMode: customer.TagAny, Query: pick(common)}
		}},
		{"3 tags any + keyword (full name)", owner, func() customer.Filter {
			return customer.Filter{TagIDs: tags(3, 30), TagMode: customer.TagAny, Query: pick(w.names)}
		}},
		{"3 tags all + keyword (surname)", owner, func() customer.Filter {
			return customer.Filter{TagIDs: tags(3, 8), TagMode: customer.TagAll, Query: pick(common)}
		}},
		{"3 tags all + keyword (full name)", owner, func() customer.Filter {
			return customer.Filter{TagIDs: tags(3, 8), TagMode: customer.TagAll, Query: pick(w.names)}
		}},
		{"3 tags all + keyword (surname), sort by name", owner, func() customer.Filter {
			return customer.Filter{TagIDs: tags(3, 8), TagMode: customer.TagAll, Query: pick(common), Sort: customer.SortName}
		}},
		{"keyword (full name), latest added first", owner, func() customer.Filter {
			return customer.Filter{Query: pick(w.names), Sort: customer.SortAddedDesc}
		}},
		{"3 tags none + keyword (given name)", owner, func() customer.Filter {
			n := []rune(pick(w.names))
			return customer.Filter{TagIDs: tags(3, 30), TagMode: customer.TagNone, Query: string(n[len(n)-1:])}
		}},
		{"phone last 4", owner, func() customer.Filter {
			p := pick(w.phones)
			return customer.Filter{Query: p[len(p)-4:]}
		}},
		{"phone last 6", owner, func() customer.Filter {
			p := pick(w.phones)
			return customer.Filter{Query: p[len(p)-6:]}
		}},
		{"pinyin initials", owner, func() customer.Filter { return customer.Filter{Query: initials(pick(w.names))} }},
		{"full pinyin", owner, func() customer.Filter {
			return customer.Filter{Query: strings.Join(pinyin.LazyPinyin(pick(w.names), pinyin.NewArgs()), "")}
		}},
		{"no filter", owner, func() customer.Filter { return customer.Filter{} }},
		{"no filter, sort by name", owner, func() customer.Filter { return customer.Filter{Sort: customer.SortName} }},
		{"no filter, sort by latest activity", owner, func() customer.Filter { return customer.Filter{Sort: customer.SortActive} }},
		{"channel + status lost + added this year", owner, func() customer.Filter {
			return customer.Filter{State: pick(w.channels), Status: "lost", AddedFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		}},
		{"manager (1 of 5 branches): 3 tags any + keyword", manager, func() customer.Filter {
			return customer.Filter{TagIDs: tags(3, 30), TagMode: customer.TagAny, Query: pick(common)}
		}},
	}
	fmt.Fprintf(progress, "timing %d queries × %d runs…\n", len(queries), opts.Runs)
	for _, q := range queries { // warm the caches once, untimed
		f := q.make()
		f.Page.Limit = 50
		if _, _, err := a.Customers.ListWithPlan(q.ctx, f); err != nil {
			return res, fmt.Errorf("%s: %w", q.name, err)
		}
	}
	for _, q := range queries {
		qr := QueryResult{Query: q.name, Runs: opts.Runs, Drivers: map[string]int{}}
		var times []time.Duration
		rows := 0
		for range opts.Runs {
			f := q.make()
			f.Page = httpx.PageRequest{Limit: 50}
			t0 := time.Now()
			page, driver, err := a.Customers.ListWithPlan(q.ctx, f)
			d := time.Since(t0)
			if err != nil {
				return res, fmt.Errorf("%s: %w", q.name, err)
			}
			times = append(times, d)
			rows += len(page.Items)
			if driver == "" {
				driver = "order"
			} else if k, _, ok := strings.Cut(driver, " "); ok {
				driver = k
			}
			qr.Drivers[driver]++
		}
		slices.Sort(times)
		qr.P50, qr.P99, qr.Max = pct(times, 50), pct(times, 99), times[len(times)-1]
		qr.AvgRows = float64(rows) / float64(opts.Runs)
		res.Queries = append(res.Queries, qr)
	}
	return res, nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))]
}

func initials(name string) string {
	var b strings.Builder
	for _, p := range pinyin.LazyPinyin(name, pinyin.NewArgs()) {
		b.WriteByte(p[0])
	}
	return b.String()
}

type benchWorld struct {
	tenantID  int64
	customers int
	branch    org.Unit
	tags      []int64
	names     []string
	phones    []string
	channels  []string
}

// prepareWorld finds the benchmark tenant from an earlier run or creates it: an org tree of 5
// branches × 4 stores × 3 guides, a library of 30 tags, and the customers.
func prepareWorld(ctx context.Context, a *app.App, opts CustomerOptions, progress io.Writer, res *CustomerResult) (*benchWorld, error) {
	w := &benchWorld{}
	var tenantID int64
	err := a.DB.QueryRowContext(ctx, `SELECT id FROM tenants WHERE slug = ?`, benchSlug).Scan(&tenantID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if tenantID == 0 {
		t, err := a.Org.CreateTenant(ctx, benchSlug, "列表压测")
		if err != nil {
			return nil, err
		}
		tenantID = t.ID
	}
	w.tenantID = tenantID
	owner := org.WithCaller(ctx, org.Caller{TenantID: tenantID, TenantSlug: benchSlug, Role: org.Owner})
	units, err := a.Org.ListUnits(owner)
	if err != nil {
		return nil, err
	}
	if len(units) == 1 {
		fmt.Fprintln(progress, "creating the org tree, staff and tag library…")
		root := units[0]
		for b := range 5 {
			br, err := a.Org.CreateUnit(owner, org.UnitInput{ParentID: root.ID, Name: fmt.Sprintf("分公司%d", b+1), Kind: org.KindBranch})
			if err != nil {
				return nil, err
			}
			for s := range 4 {
				st, err := a.Org.CreateUnit(owner, org.UnitInput{ParentID: br.ID, Name: fmt.Sprintf("门店%d-%d", b+1, s+1), Kind: org.KindStore})
				if err != nil {
					return nil, err
				}
				for g := range 3 {
					if _, err := a.Org.CreateStaff(owner, org.StaffInput{Name: fmt.Sprintf("导购%d-%d-%d", b+1, s+1, g+1),
						WeComUserID: fmt.Sprintf("g%d%d%d", b+1, s+1, g+1), OrgUnitID: st.ID}); err != nil {
						return nil, err
					}
				}
			}
		}
		var groups []wecom.TagGroup
		for g, gname := range []string{"客户等级", "兴趣偏好", "来源渠道"} {
			tg := wecom.TagGroup{GroupID: fmt.Sprintf("bg%d", g), GroupName: gname}
			for t := range 10 {
				tg.Tag = append(tg.Tag, wecom.CorpTag{ID: fmt.Sprintf("bt%d-%d", g, t), Name: fmt.Sprintf("%s%d", gname, t+1)})
			}
			groups = append(groups, tg)
		}
		if _, err := a.Customers.ApplyTags(ctx, tenantID, groups); err != nil {
			return nil, err
		}
		if units, err = a.Org.ListUnits(owner); err != nil {
			return nil, err
		}
	}
	for _, u := range units {
		if u.Kind == org.KindBranch {
			w.branch = u
			break
		}
	}
	staff := map[string]int64{}
	rows, err := a.DB.QueryContext(ctx, `SELECT wecom_userid, id FROM staff WHERE tenant_id = ? AND wecom_userid <> ''`, tenantID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var u string
		var id int64
		if err := rows.Scan(&u, &id); err != nil {
			rows.Close()
			return nil, err
		}
		staff[u] = id
	}
	rows.Close()
	rows, err = a.DB.QueryContext(ctx, `SELECT id FROM tags WHERE tenant_id = ? ORDER BY id`, tenantID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		w.tags = append(w.tags, id)
	}
	rows.Close()
	if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE tenant_id = ?`, tenantID).Scan(&w.customers); err != nil {
		return nil, err
	}
	if w.customers < opts.Customers {
		n := opts.Customers - w.customers
		fmt.Fprintf(progress, "loading %d customers…\n", n)
		t0 := time.Now()
		if _, err := customer.LoadSynthetic(ctx, a.DB, tenantID, customer.SyntheticOptions{Customers: n, Seed: opts.Seed + uint64(w.customers),
			Staff: staff, TagIDs: w.tags}, progress); err != nil {
			return nil, err
		}
		fmt.Fprintln(progress, "updating planner statistics…")
		stmt := `VACUUM ANALYZE` // index-only scans need the visibility map
		if a.DB.Dialect() == store.SQLite {
			stmt = `PRAGMA analysis_limit = 1000; ANALYZE`
		}
		if _, err := a.DB.ExecContext(ctx, stmt); err != nil {
			return nil, err
		}
		res.LoadTime = time.Since(t0)
		w.customers = opts.Customers
	}
	// Names and phones to search for, sampled from what was loaded.
	if err := sample(ctx, a.DB, `SELECT name FROM customers WHERE tenant_id = ? AND id % 997 = 0 ORDER BY id LIMIT 500`, tenantID, &w.names); err != nil {
		return nil, err
	}
	if err := sample(ctx, a.DB, `SELECT value FROM customer_identities WHERE tenant_id = ? AND kind = 'phone' AND customer_id % 997 = 0 ORDER BY customer_id LIMIT 500`, tenantID, &w.phones); err != nil {
		return nil, err
	}
	if err := sample(ctx, a.DB, `SELECT DISTINCT first_state FROM customers WHERE tenant_id = ? AND id % 997 = 0 AND first_state <> '' ORDER BY first_state LIMIT 50`, tenantID, &w.channels); err != nil {
		return nil, err
	}
	if len(w.names) == 0 || len(w.phones) == 0 || len(w.channels) == 0 {
		return nil, fmt.Errorf("loadtest: too few customers to sample names and phones from")
	}
	return w, nil
}

func sample(ctx context.Context, db *store.DB, q string, tenantID int64, out *[]string) error {
	rows, err := db.QueryContext(ctx, q, tenantID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*out = append(*out, s)
	}
	return rows.Err()
}
