package customer

import (
	"net/http"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// TransferRoutes lists the customer-transfer API (客户继承): admins and managers move customers
// between staff of their scope.
func (s *Service) TransferRoutes() []httpx.Route {
	return []httpx.Route{
		{Method: "POST", Path: "/api/v1/customer-transfers", Perm: org.PermCustomerTransfer, Tag: "transfers",
			Summary: "Transfer customers from one staff member to another through WeCom (在职继承 / 离职继承 by the from-staff's status)",
			Request: TransferInput{}, Response: TransferDetail{}, Status: http.StatusCreated, Handler: httpx.Create(s.CreateTransfer)},
		{Method: "GET", Path: "/api/v1/customer-transfers", Perm: org.PermCustomerTransfer, Tag: "transfers",
			Summary:  "Transfers from staff of my scope, newest first, with progress counts",
			Query:    []httpx.Param{{Name: "limit", Type: "integer", Description: "1-500"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
			Response: httpx.Page[Transfer]{}, Handler: s.handleListTransfers},
		{Method: "GET", Path: "/api/v1/customer-transfers/{id}", Perm: org.PermCustomerTransfer, Tag: "transfers",
			Summary: "A transfer with the result for each customer", Response: TransferDetail{}, Handler: httpx.Read(s.GetTransfer)},
		{Method: "POST", Path: "/api/v1/customer-transfers/{id}/retry", Perm: org.PermCustomerTransfer, Tag: "transfers",
			Summary: "Submit a transfer's failed customers again", Response: TransferDetail{}, Handler: httpx.Read(s.RetryTransfer)},
	}
}

func (s *Service) handleListTransfers(w http.ResponseWriter, r *http.Request) error {
	page, err := httpx.PageParams(r)
	if err != nil {
		return err
	}
	out, err := s.ListTransfers(r.Context(), page)
	return httpx.Reply(w, http.StatusOK, out, err)
}
