package acquisition

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
)

// BenchmarkShortLinkClick is one visit of a recipient's short link /s/{token}: the click is
// counted (a write) and the code's landing answers (a routed scan), through the handler, from
// parallel clients over 1,000 recipients.
func BenchmarkShortLinkClick(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var db *store.DB
			if engine == "sqlite" {
				db = storetest.SQLite(b)
			} else if db = storetest.Postgres(b); db == nil {
				return
			}
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			o := org.NewService(db, nil, log, org.Options{})
			tn, err := o.CreateTenant(ctx, fmt.Sprintf("bench%d", seq.Add(1)), "短链")
			if err != nil {
				b.Fatal(err)
			}
			owner := org.WithCaller(ctx, org.Caller{TenantID: tn.ID, TenantSlug: tn.Slug, Role: org.Owner})
			units, _ := o.ListUnits(owner)
			st, err := o.CreateStaff(owner, org.StaffInput{Name: "导购", WeComUserID: "g0", OrgUnitID: units[0].ID})
			if err != nil {
				b.Fatal(err)
			}
			svc := New(db, noWeCom{}, log, Options{})
			defer svc.Close()
			ch, err := svc.CreateChannel(owner, ChannelInput{Name: "短信", Kind: "sms", Tier: "waist", OrgUnitID: units[0].ID})
			if err != nil {
				b.Fatal(err)
			}
			code, err := svc.CreateCode(owner, LiveCodeInput{ChannelID: ch.ID, Name: "短信码", Strategy: RoundRobin, Staff: []CodeStaffInput{{StaffID: st.ID}}})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `UPDATE acq_live_code_staff SET config_id = 'cfg', qr_code = 'https://qr/x' WHERE code_id = ?`, code.ID); err != nil {
				b.Fatal(err)
			}
			box, _ := seal.New(bytes.Repeat([]byte{7}, 32))
			out := NewOutreach(svc, box, log, OutreachOptions{})
			var rs []RecipientInput
			for i := range 1000 {
				rs = append(rs, RecipientInput{Phone: fmt.Sprintf("+86139%08d", i)})
			}
			link, err := out.CreateLink(owner, ShortLinkInput{Name: "压测", CodeID: code.ID, Recipients: rs})
			if err != nil {
				b.Fatal(err)
			}
			page, err := out.Recipients(owner, link.ID, httpx.PageRequest{Limit: 1000}, "")
			if err != nil {
				b.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle("GET /s/{token}", out.ShortLinkHandler())
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := int(seq.Add(1))
				for pb.Next() {
					i++
					rec := httptest.NewRecorder()
					mux.ServeHTTP(rec, httptest.NewRequest("GET", "/s/"+page.Items[i%len(page.Items)].Token, nil))
					if rec.Code != 200 {
						b.Errorf("status %d: %s", rec.Code, rec.Body)
						return
					}
				}
			})
		})
	}
}
