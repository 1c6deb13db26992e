package phonetask

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestShares(t *testing.T) {
	for _, tc := range []struct {
		n       int
		weights []int
		want    []int
	}{
		{10, []int{1, 1}, []int{5, 5}},
		{10, []int{1, 1, 1}, []int{4, 3, 3}},
		{10, []int{3, 1}, []int{8, 2}}, // 7.5 / 2.5: the first largest remainder wins
		{1, []int{1, 5}, []int{0, 1}},
		{0, []int{1}, []int{0}},
	} {
		var ms []Member
		for i, w := range tc.weights {
			ms = append(ms, Member{StaffID: int64(i + 1), Weight: w})
		}
		if got := shares(tc.n, ms); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("shares(%d, %v) = %v, want %v", tc.n, tc.weights, got, tc.want)
		}
	}
}

// TestPlanCapsOverDays: every member gets their weighted share, no day holds more than the cap
// with what the member already had, days are filled in order, and rows alternate between members.
func TestPlanCapsOverDays(t *testing.T) {
	members := []Member{{StaffID: 1, Weight: 1}, {StaffID: 2, Weight: 1}, {StaffID: 3, Weight: 2}}
	existing := map[Slot]int{{1, "2026-11-23"}: 2, {3, "2026-11-24"}: 5}
	load := func(id int64, day string) int { return existing[Slot{id, day}] }
	plan := Plan(23, members, 3, "2026-11-23", load)
	if len(plan) != 23 {
		t.Fatalf("%d slots, want 23", len(plan))
	}
	per := map[Slot]int{}
	count := map[int64]int{}
	for _, sl := range plan {
		per[sl]++
		count[sl.StaffID]++
	}
	if want := map[int64]int{1: 6, 2: 6, 3: 11}; !reflect.DeepEqual(count, want) {
		t.Errorf("shares %v, want %v", count, want)
	}
	for sl, n := range per {
		if n+existing[sl] > 3 {
			t.Errorf("%v holds %d new + %d old > cap 3", sl, n, existing[sl])
		}
	}
	want := map[Slot]int{
		{1, "2026-11-23"}: 1, {1, "2026-11-24"}: 3, {1, "2026-11-25"}: 2,
		{2, "2026-11-23"}: 3, {2, "2026-11-24"}: 3,
		{3, "2026-11-23"}: 3, {3, "2026-11-25"}: 3, {3, "2026-11-26"}: 3, {3, "2026-11-27"}: 2, // the 24th was full already
	}
	if !reflect.DeepEqual(per, want) {
		t.Errorf("plan %v\nwant %v", per, want)
	}
	// Smooth rotation: the member of weight 2 gets every other row at the start.
	var first []int64
	for _, sl := range plan[:4] {
		first = append(first, sl.StaffID)
	}
	if !reflect.DeepEqual(first, []int64{3, 1, 2, 3}) {
		t.Errorf("first rows go to %v, want [3 1 2 3]", first)
	}
	if Plan(5, nil, 3, "2026-11-23", load) != nil || Plan(5, members, 0, "2026-11-23", load) != nil {
		t.Error("a plan without members or cap is not empty")
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{"13812345678": "+8613812345678", " +86 138-1234-5678 ": "+8613812345678",
		"8613812345678": "+8613812345678", "12345": "", "": "", "010-12345678": "", "+1 415 555 2671": "+14155552671", "abc": ""} {
		got, ok := NormalizePhone(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizePhone(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

// TestParseFile: bad rows are reported by spreadsheet row number (header = row 1) in CSV and XLSX.
func TestParseFile(t *testing.T) {
	csvFile := "\xef\xbb\xbf姓名,手机号,备注\n张三,13812345678,老客\n李四,12345,\n,,\n王五,138 1234 5678,重复\n赵六,13912345678," +
		string(bytes.Repeat([]byte("长"), 201)) + "\n钱七,+8613700000001,\n"
	rows, bad, err := ParseFile("list.csv", []byte(csvFile))
	if err != nil {
		t.Fatal(err)
	}
	wantRows := []Row{{Phone: "+8613812345678", Name: "张三", Remark: "老客"}, {Phone: "+8613700000001", Name: "钱七"}}
	wantBad := []RowError{{3, "phone", "invalid"}, {5, "phone", "duplicate"}, {6, "remark", "too_long"}}
	if !reflect.DeepEqual(rows, wantRows) || !reflect.DeepEqual(bad, wantBad) {
		t.Errorf("csv: rows %v bad %v\nwant %v %v", rows, bad, wantRows, wantBad)
	}

	x := excelize.NewFile()
	for i, rec := range [][]any{{"Phone", "Name"}, {"13812345678", "Ann"}, {"", "Bob"}, {"13912345678"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &rec); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	rows, bad, err = ParseFile("LIST.XLSX", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rows) != "[{+8613812345678 Ann } {+8613912345678  }]" || !reflect.DeepEqual(bad, []RowError{{3, "phone", "required"}}) {
		t.Errorf("xlsx: rows %v bad %v", rows, bad)
	}

	for name, content := range map[string]string{"a.csv": "name,remark\nx,y\n", "a.txt": "phone\n13812345678\n", "a.xlsx": "not a zip", "b.csv": ""} {
		if _, _, err := ParseFile(name, []byte(content)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
