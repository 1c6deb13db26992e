package customer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// TestListInChunks: a driver that is too common to drive at once (tags that must all be there,
// a channel) drives the recent sort a chunk at a time. Many small chunks, pages that end inside a
// chunk or need several, cursors, and chunks where nothing matches must give exactly the pages
// of the other paths; every sort still lists the same customers.
func TestListInChunks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := buildListWorld(t, db)
		ctx := context.Background()
		// Twenty more customers: all carry T1 and T2 (half of them on two relations, so a tag
		// appears twice), every third T3; surnames alternate 杨/周; every fourth came through
		// the "fair" channel.
		var yang, yangT3, fair []string
		for i := range 20 {
			key := fmt.Sprintf("c%02d", i)
			name := "周"
			if i%2 == 0 {
				name = "杨"
			}
			name += fmt.Sprintf("客%c", rune('甲'+i))
			tags := []string{"T1", "T2"}
			if i%3 == 0 {
				tags = append(tags, "T3")
			}
			state := ""
			if i%4 == 0 {
				state = "fair"
				fair = append(fair, key)
			}
			at := day("2026-04-01").Add(time.Duration(i) * time.Hour)
			follows := []Follow{{UserID: "g1", State: state, TagIDs: tags, CreateTime: at.Unix()}}
			if i%2 == 1 {
				follows = append(follows, Follow{UserID: "g2", TagIDs: []string{"T1"}, CreateTime: at.Unix()})
			}
			a, err := w.svc.ApplyContact(ctx, w.tenant.ID, wecom.ExternalContact{ExternalUserID: "wmc" + key, Name: name}, follows)
			if err != nil {
				t.Fatal(err)
			}
			w.ids[key], w.names[a.CustomerID] = a.CustomerID, name
			w.added[a.CustomerID] = at
			if i%2 == 0 {
				yang = append(yang, key)
				if i%3 == 0 {
					yangT3 = append(yangT3, key)
				}
			}
		}
		tagged := append([]string{"zsf"}, func() []string {
			var out []string
			for i := range 20 {
				out = append(out, fmt.Sprintf("c%02d", i))
			}
			return out
		}()...)
		cases := []struct {
			name   string
			f      Filter
			want   []string
			driver string // on the chunked path, recent sort
		}{
			{"two tags all", Filter{TagIDs: []int64{w.t1, w.t2}, TagMode: TagAll}, tagged, "tags intersected in chunks"},
			{"two tags all + keyword", Filter{TagIDs: []int64{w.t1, w.t2}, TagMode: TagAll, Query: "杨"}, yang, "tags intersected in chunks"},
			{"three tags all + keyword", Filter{TagIDs: []int64{w.t2, w.t1, w.t3}, TagMode: TagAll, Query: "yang"}, yangT3, "tags intersected in chunks"},
			{"tags all + keyword nobody has", Filter{TagIDs: []int64{w.t1, w.t2}, TagMode: TagAll, Query: "欧阳"}, nil, "tags intersected in chunks"},
			{"channel + keyword", Filter{State: "fair", Query: "杨"}, fair, "channel in chunks"},
		}
		defer func(v int, st bool) { driveLimit, streamDrivers = v, st }(driveLimit, streamDrivers)
		for _, path := range []struct {
			name   string
			limit  int
			stream bool
		}{{"driven", 1 << 30, true}, {"sort order", 0, false}, {"chunks of 1", 1, true}, {"chunks of 2", 2, true}, {"chunks of 3", 3, true}} {
			driveLimit, streamDrivers = path.limit, path.stream
			for _, tc := range cases {
				for _, s := range Sorts {
					f := tc.f
					f.Sort = s
					got, err := collect(t, w.svc, w.owner, f)
					if err != nil {
						t.Fatalf("%s / %s / %s: %v", path.name, tc.name, s, err)
					}
					if want := w.expectedOrder(s, w.keys(tc.want...)); fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%s / %s / sort %s: got %v, want %v", path.name, tc.name, s, got, want)
					}
				}
				// One page of 7: it ends inside a chunk or spans several.
				page, driver, err := w.svc.ListWithPlan(w.owner, Filter{TagIDs: tc.f.TagIDs, TagMode: tc.f.TagMode, State: tc.f.State, Query: tc.f.Query,
					Page: httpx.PageRequest{Limit: 7}})
				if err != nil {
					t.Fatal(err)
				}
				want := w.expectedOrder(SortRecent, w.keys(tc.want...))
				if len(want) > 7 {
					want = want[:7]
				}
				var ids []int64
				for _, m := range page.Items {
					ids = append(ids, m.ID)
				}
				if fmt.Sprint(ids) != fmt.Sprint(want) || (len(page.Items) == 7) != (page.NextCursor != "") {
					t.Errorf("%s / %s: page of 7 %v (next %q), want %v", path.name, tc.name, ids, page.NextCursor, want)
				}
				if path.limit == 1 && driver != tc.driver {
					t.Errorf("%s / %s: driven by %q, want %q", path.name, tc.name, driver, tc.driver)
				}
			}
		}
	})
}
