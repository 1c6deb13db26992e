package acquisition

import (
	"slices"
	"testing"
)

func TestCurrentGroupAndWindow(t *testing.T) {
	g := func(id string, n int, status string) GroupCodeGroup {
		return GroupCodeGroup{ChatID: id, MemberCount: n, Status: status, Full: n >= 200}
	}
	for _, tc := range []struct {
		name    string
		groups  []GroupCodeGroup
		auto    bool
		current int
		window  []string
	}{
		{"first has room", []GroupCodeGroup{g("a", 10, "active"), g("b", 0, "active")}, false, 0, []string{"a", "b"}},
		{"full rolls over", []GroupCodeGroup{g("a", 200, "active"), g("b", 199, "active")}, false, 1, []string{"b"}},
		{"dismissed skipped", []GroupCodeGroup{g("a", 3, "dismissed"), g("b", 200, "active"), g("c", 1, "active")}, false, 2, []string{"c"}},
		{"unknown counts as room", []GroupCodeGroup{g("a", 200, "active"), g("n", 0, "unknown")}, false, 1, []string{"n"}},
		{"window capped at 5", []GroupCodeGroup{g("a", 1, "active"), g("b", 1, "active"), g("c", 200, "active"), g("d", 1, "active"),
			g("e", 1, "active"), g("f", 1, "active"), g("g", 1, "active")}, false, 0, []string{"a", "b", "d", "e", "f"}},
		{"all full", []GroupCodeGroup{g("a", 200, "active"), g("b", 200, "active")}, false, -1, nil},
		{"all full, auto-create from the last live", []GroupCodeGroup{g("a", 200, "active"), g("b", 200, "active"), g("c", 5, "dismissed")}, true, -1, []string{"b"}},
		{"none", nil, true, -1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CurrentGroup(tc.groups); got != tc.current {
				t.Errorf("current = %d, want %d", got, tc.current)
			}
			if got := wayWindow(tc.groups, tc.auto); !slices.Equal(got, tc.window) {
				t.Errorf("window = %v, want %v", got, tc.window)
			}
		})
	}
}

func TestFinderCity(t *testing.T) {
	for _, tc := range []struct {
		cities []string
		asked  string
		want   string
	}{
		{[]string{"上海", "北京"}, "北京", "北京"},
		{[]string{"上海", "北京"}, " 上海 ", "上海"},
		{[]string{"上海", "北京"}, "广州", ""},
		{[]string{"上海", "北京"}, "", ""},
		{[]string{"上海"}, "", "上海"},
		{[]string{"上海"}, "广州", "上海"},
		{nil, "上海", ""},
	} {
		if got := FinderCity(tc.cities, tc.asked); got != tc.want {
			t.Errorf("FinderCity(%v, %q) = %q, want %q", tc.cities, tc.asked, got, tc.want)
		}
	}
}
