package order

import "github.com/siyu-scrm/siyu/internal/customer"

// Orders follow their customer through a merge (and back on a split). Metrics are not moved: the
// next Recompute rebuilds the surviving customer's row from the moved orders and drops the
// merged-away customer's.
func init() {
	customer.RegisterMove(customer.Move{Table: "orders", Column: "customer_id", Key: []string{"id"}})
}
