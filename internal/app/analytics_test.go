package app_test

import (
	"strings"
	"testing"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/org"
)

// The value reports are aggregates: tenant-wide roles, managers (their subtree) and analysts
// read them; guides and customer service do not.
func init() {
	for _, p := range []string{"channel-roi", "funnel", "cohorts", "repurchase"} {
		statuses["GET /api/v1/analytics/"+p] = [6]int{200, 200, 200, 403, 200, 403}
	}
	moreCases = append(moreCases, func(t *testing.T, a *app.App, w *world) map[string]func(org.Role) call {
		m := map[string]func(org.Role) call{}
		for _, p := range []string{"channel-roi?from=2026-01-01&to=2026-03-31", "funnel?steps=scan,added,first_order", "cohorts?months=3", "repurchase"} {
			path := "/api/v1/analytics/" + p
			name, _, _ := strings.Cut(p, "?")
			key := "GET /api/v1/analytics/" + name
			m[key] = func(org.Role) call { return call{path, nil} }
		}
		return m
	})
}
