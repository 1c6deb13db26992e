package customer

import (
	"context"
	"fmt"
	"net/http"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// CustomerGroup is a WeCom customer group (external group chat) as Siyu knows it: what the
// console needs to name and pick groups, e.g. in auto-tag rule conditions.
type CustomerGroup struct {
	ID          int64  `json:"id"`
	ChatID      string `json:"chat_id" doc:"the WeCom chat id (group live codes list groups by it)"`
	Name        string `json:"name"`
	MemberCount int    `json:"member_count"`
	Status      string `json:"status" doc:"active or dismissed"`
}

// GroupRoutes lists the read-only customer group API. Groups are tenant-wide objects (one
// group holds customers of many staff), so anyone who reads customers may list them.
func (s *Service) GroupRoutes() []httpx.Route {
	type list struct {
		Items []CustomerGroup `json:"items"`
	}
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/customer-groups", Perm: org.PermCustomerRead, Tag: "customers",
			Summary:  "Customer groups (WeCom group chats): active ones first, then by name",
			Response: list{}, Handler: func(w http.ResponseWriter, req *http.Request) error {
				items, err := s.CustomerGroups(req.Context())
				return httpx.Reply(w, http.StatusOK, list{Items: items}, err)
			}},
	}
}

// CustomerGroups returns the caller's tenant's customer groups, active ones first.
func (s *Service) CustomerGroups(ctx context.Context) ([]CustomerGroup, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, chat_id, name, member_count, status FROM customer_groups
		WHERE tenant_id = ? ORDER BY CASE WHEN status = 'active' THEN 0 ELSE 1 END, name, id`, c.TenantID)
	if err != nil {
		return nil, fmt.Errorf("customer: list groups: %w", err)
	}
	defer rows.Close()
	out := []CustomerGroup{}
	for rows.Next() {
		var g CustomerGroup
		if err := rows.Scan(&g.ID, &g.ChatID, &g.Name, &g.MemberCount, &g.Status); err != nil {
			return nil, fmt.Errorf("customer: list groups: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customer: list groups: %w", err)
	}
	return out, nil
}
