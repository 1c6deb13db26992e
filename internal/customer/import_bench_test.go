package customer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/seal"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// importBenchRows is the size of the benchmark file; SIYU_BENCH_IMPORT_ROWS overrides it.
func importBenchRows() int {
	if n, err := strconv.Atoi(os.Getenv("SIYU_BENCH_IMPORT_ROWS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// benchXLSX writes n customers as an XLSX the way a brand exports them: Chinese headers, name,
// phone, gender, birthday, two tags, a remark and a select custom field.
func benchXLSX(tb testing.TB, n int) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	_ = sw.SetRow("A1", []any{"姓名", "手机号", "性别", "生日", "标签", "备注", "会员等级"})
	surnames := []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"}
	given := []string{"芳", "伟", "娜", "敏", "静", "磊", "洋", "艳", "勇", "杰", "小红", "建国"}
	tags := []string{"VIP", "新客", "复购", "VIP,复购", "新客，VIP"}
	levels := []string{"普通", "银卡", "金卡"}
	for i := 0; i < n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		gender := "男"
		if i%2 == 1 {
			gender = "女"
		}
		row := []any{surnames[i%len(surnames)] + given[(i/10)%len(given)], fmt.Sprintf("139%08d", i), gender,
			fmt.Sprintf("19%02d-%02d-%02d", 60+i%40, 1+i%12, 1+i%28), tags[i%len(tags)], fmt.Sprintf("第%d位会员", i), levels[i%3]}
		if err := sw.SetRow(cell, row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkImport100k imports a 100,000-row XLSX into an empty tenant (all rows new) and then
// the same file again (all rows unchanged). Run it with -benchtime=1x:
//
//	go test ./internal/customer -run '^$' -bench BenchmarkImport100k -benchtime=1x
func BenchmarkImport100k(b *testing.B) {
	n := importBenchRows()
	file := benchXLSX(b, n)
	b.Logf("%d rows, %.1f MB XLSX", n, float64(len(file))/(1<<20))
	engines := map[string]func(testing.TB) *store.DB{"sqlite": storetest.SQLite, "postgres": storetest.Postgres}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := engines[name](b)
				if db == nil {
					return
				}
				svc, owner := benchTenant(b, db)
				b.StartTimer()
				for pass, want := range []string{"created", "unchanged"} {
					start := time.Now()
					job, err := svc.CreateImport(owner, "bench.xlsx", file)
					if err != nil {
						b.Fatal(err)
					}
					done, err := svc.RunImport(owner, job.ID, customer.ImportRun{Mapping: job.Mapping, Mode: customer.ModeAllOrNothing}, nil)
					if err != nil || done.Status != customer.ImportDone || done.Failed != 0 {
						b.Fatalf("import: %+v %v", done, err)
					}
					got := map[string]int{"created": done.Created, "unchanged": done.Unchanged}[want]
					if got != n {
						b.Fatalf("pass %d: %s %d, want %d (%+v)", pass+1, want, got, n, done)
					}
					d := time.Since(start)
					b.ReportMetric(d.Seconds(), fmt.Sprintf("s/%s-pass", want))
					b.ReportMetric(float64(n)/d.Seconds(), fmt.Sprintf("rows/s-%s", want))
				}
			}
		})
	}
}

func benchTenant(tb testing.TB, db *store.DB) (*customer.Service, context.Context) {
	tb.Helper()
	ctx := context.Background()
	box, _ := seal.New(bytes.Repeat([]byte{3}, 32))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	orgs := org.NewService(db, box, log, org.Options{})
	tn, err := orgs.CreateTenant(ctx, fmt.Sprintf("bench%d", seq.Add(1)+time.Now().UnixNano()%1e6), "导入基准")
	if err != nil {
		tb.Fatal(err)
	}
	svc := customer.New(db, noWeCom{}, orgs, log)
	if _, err := svc.ApplyTags(ctx, tn.ID, []wecom.TagGroup{{GroupID: "g1", GroupName: "等级",
		Tag: []wecom.CorpTag{{ID: "t1", Name: "VIP"}, {ID: "t2", Name: "新客"}, {ID: "t3", Name: "复购"}}}}); err != nil {
		tb.Fatal(err)
	}
	owner := org.WithCaller(ctx, org.Caller{TenantID: tn.ID, Role: org.Owner, Username: "bench"})
	if _, err := svc.CreateField(owner, customer.FieldInput{Key: "level", Label: "会员等级", Type: customer.FieldSelect, Options: []string{"普通", "银卡", "金卡"}}); err != nil {
		tb.Fatal(err)
	}
	return svc, owner
}
