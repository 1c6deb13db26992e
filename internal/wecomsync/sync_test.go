package wecomsync_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
	"github.com/siyu-scrm/siyu/internal/wecom/wecomsim"
	"github.com/siyu-scrm/siyu/internal/wecomsync"
)

// TestSyncResumesFromItsCursor: a full sync that meets an error in the customers stage keeps what
// it has done, waits, and resumes from the saved stage and cursor — counting nothing twice — and
// a second sync of the same data changes nothing.
func TestSyncResumesFromItsCursor(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Real time plus a jump forward when the test needs a retry delay to pass (the customer
		// service runs on real time).
		var offset time.Duration
		clock := func() time.Time { return time.Now().Add(offset) }
		box, _ := seal.New(bytes.Repeat([]byte{3}, 32))
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		orgs := org.NewService(db, box, log, org.Options{})
		svc := wecomsync.New(db, orgs, box, log, wecomsync.Options{Now: clock})
		customers := customer.New(db, svc, orgs, log)
		svc.SetAppliers(wecomsync.Appliers{Org: orgs, Customer: customers})

		sim, handler, err := wecomsim.NewServer(wecomsim.Config{Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sim.Close() })
		// WeCom fails the second page of customers once, as a real server can.
		var batchCalls atomic.Int64
		simSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "externalcontact/batch/get_by_user") && batchCalls.Add(1) == 2 {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"errcode":48002,"errmsg":"api forbidden"}`)
				return
			}
			handler.ServeHTTP(w, r)
		}))
		t.Cleanup(simSrv.Close)
		tn, err := orgs.CreateTenant(ctx, fmt.Sprintf("sync%d-%d", time.Now().UnixNano()%1e6, seq.Add(1)), "同步")
		if err != nil {
			t.Fatal(err)
		}
		if err := orgs.SetWeComSettingsForTenant(ctx, tn.Slug, org.WeComSettingsInput{CorpID: sim.CorpID(),
			ContactSecret: wecomsim.DefaultApp.Secret, APIBaseURL: simSrv.URL + "/cgi-bin/"}); err != nil {
			t.Fatal(err)
		}
		// A corp with 2 guides and 150 customers (two pages of batch/get_by_user for guide01).
		client, _ := wecom.NewClient(wecom.Config{CorpID: sim.CorpID(), Secret: wecomsim.DefaultApp.Secret, BaseURL: simSrv.URL + "/cgi-bin/"})
		var ways []string
		for _, g := range []string{"guide01", "guide02"} {
			if _, err := sim.AddStaff(wecomsim.StaffInput{UserID: g, Name: g, Department: []int64{1}}); err != nil {
				t.Fatal(err)
			}
			way, err := client.AddContactWay(ctx, wecom.AddContactWayRequest{Type: 1, Scene: 2, State: "s-" + g, SkipVerify: true, User: []string{g}})
			if err != nil {
				t.Fatal(err)
			}
			ways = append(ways, way.ConfigID)
		}
		for i := 0; i < 150; i++ {
			cu, err := sim.AddCustomer(wecomsim.CustomerInput{Name: fmt.Sprintf("客户%d", i)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sim.Scan(cu.ExternalUserID, ways[min(i/120, 1)]); err != nil {
				t.Fatal(err)
			}
		}

		if _, err := svc.StartSync(ctx, tn.ID, "manual"); err != nil {
			t.Fatal(err)
		}
		if ran, err := svc.RunOneSync(ctx); !ran || err != nil {
			t.Fatalf("first attempt: %v %v", ran, err)
		}
		runs, _ := svc.SyncRuns(ctx, tn.ID)
		first := runs.Items[0]
		if first.Status != "running" || first.Stage != wecomsync.StageCustomers || first.Counts.Relations != 100 || first.LastError == "" {
			t.Fatalf("after the error: %+v", first)
		}
		// Not before its retry time…
		if ran, _ := svc.RunOneSync(ctx); ran {
			t.Fatal("resumed before the retry delay")
		}
		// …then from the saved cursor.
		offset += time.Minute
		if ran, err := svc.RunOneSync(ctx); !ran || err != nil {
			t.Fatalf("resume: %v %v", ran, err)
		}
		runs, _ = svc.SyncRuns(ctx, tn.ID)
		done := runs.Items[0]
		if done.Status != "done" || done.Counts.Customers != 150 || done.Counts.Relations != 150 || done.Counts.Staff != 2 || batchCalls.Load() != 3 {
			t.Errorf("after resuming: %+v (batch calls %d, want 3: page 1, the failed page 2, page 2)", done, batchCalls.Load())
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_staff WHERE tenant_id = ?`, tn.ID).Scan(&n); err != nil || n != 150 {
			t.Errorf("relations stored: %d (%v)", n, err)
		}
		// A second full sync adds nothing, and ends the one relation WeCom no longer has (deleted
		// while no callback reached Siyu).
		var lostOne string
		if err := db.QueryRowContext(ctx, `SELECT i.value FROM customer_identities i WHERE i.tenant_id = ? AND i.kind = ? ORDER BY i.value LIMIT 1`,
			tn.ID, customer.IdentityExternalUserID).Scan(&lostOne); err != nil {
			t.Fatal(err)
		}
		p, _ := customers.ByIdentity(ctx, tn.ID, customer.IdentityExternalUserID, lostOne)
		// (A customer deleting the member would not do: WeCom keeps listing such a relation.)
		if err := sim.StaffDeletesCustomer(p.Relations[0].WeComUserID, lostOne); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.StartSync(ctx, tn.ID, "manual"); err != nil {
			t.Fatal(err)
		}
		if ran, err := svc.RunOneSync(ctx); !ran || err != nil {
			t.Fatalf("second sync: %v %v", ran, err)
		}
		runs, _ = svc.SyncRuns(ctx, tn.ID)
		if again := runs.Items[0]; again.Status != "done" || again.Counts.Customers != 0 {
			t.Errorf("second sync: %+v", again)
		}
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_events WHERE tenant_id = ? AND kind = 'added_staff'`, tn.ID).Scan(&n); err != nil || n != 150 {
			t.Errorf("added_staff events after two syncs: %d (%v)", n, err)
		}
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_staff WHERE tenant_id = ? AND status = 'active'`, tn.ID).Scan(&n); err != nil || n != 149 {
			t.Errorf("active relations after the second sync: %d (%v), want 149", n, err)
		}
		if p, _ := customers.ByIdentity(ctx, tn.ID, customer.IdentityExternalUserID, lostOne); p.Relations[0].Status != customer.RelationRemoved {
			t.Errorf("the relation WeCom lost: %+v", p.Relations[0])
		}
	})
}
