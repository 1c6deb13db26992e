package customer_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

// BenchmarkResolve measures Resolve as the order binding uses it, on both engines: a buyer whose
// phone is known (the common case), a new buyer (a customer is created), and a buyer whose phone
// and unionid belong to two customers (one automatic merge, moving a relation and its events).
// Run: go test ./internal/customer -run '^$' -bench Resolve -benchtime 2000x
func BenchmarkResolve(b *testing.B) {
	engines := []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}}
	for _, eng := range engines {
		b.Run(eng.name, func(b *testing.B) {
			db := eng.open(b)
			if db == nil {
				return
			}
			w := setupProfile(b, db)
			ctx := context.Background()
			phone := func(i int) customer.Identity {
				return customer.Identity{Kind: customer.IdentityPhone, Value: fmt.Sprintf("+86135%08d", i)}
			}
			if _, err := w.svc.Resolve(ctx, w.tenantID, []customer.Identity{phone(0)}); err != nil {
				b.Fatal(err)
			}
			b.Run("known", func(b *testing.B) {
				for b.Loop() {
					if _, err := w.svc.Resolve(ctx, w.tenantID, []customer.Identity{phone(0)}); err != nil {
						b.Fatal(err)
					}
				}
			})
			n := 1
			b.Run("new", func(b *testing.B) {
				for b.Loop() {
					n++
					if r, err := w.svc.Resolve(ctx, w.tenantID, []customer.Identity{phone(n)}); err != nil || !r.Created {
						b.Fatal(r, err)
					}
				}
			})
			b.Run("merge", func(b *testing.B) {
				m := 0
				for b.Loop() {
					b.StopTimer()
					m++
					union := customer.Identity{Kind: customer.IdentityUnionID, Value: fmt.Sprintf("oUnionBench%06d", m)}
					p := customer.Identity{Kind: customer.IdentityPhone, Value: fmt.Sprintf("+86136%08d", m)}
					if _, err := w.svc.Resolve(ctx, w.tenantID, []customer.Identity{p}); err != nil {
						b.Fatal(err)
					}
					if _, err := w.svc.Resolve(ctx, w.tenantID, []customer.Identity{union}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if r, err := w.svc.Resolve(ctx, w.tenantID, []customer.Identity{p, union}); err != nil || len(r.Merged) != 1 {
						b.Fatal(r, err)
					}
				}
			})
		})
	}
}
