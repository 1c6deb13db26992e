package app_test

import (
	"testing"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/org"
)

// The read-only customer group list in the whole-program tables: groups are tenant-wide
// objects, readable by every role that reads customers. It has no object paths (nothing to
// isolate by id) and no writes (nothing to feed bad input); the customer package's
// TestCustomerGroups checks that a tenant sees only its own groups.
func init() {
	statuses["GET /api/v1/customer-groups"] = [6]int{200, 200, 200, 200, 200, 200}

	moreCases = append(moreCases, func(*testing.T, *app.App, *world) map[string]func(org.Role) call {
		return map[string]func(org.Role) call{
			"GET /api/v1/customer-groups": func(org.Role) call { return call{"/api/v1/customer-groups", nil} },
		}
	})
}
