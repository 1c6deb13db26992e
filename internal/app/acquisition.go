package app

import (
	"context"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/customer"
)

// addHandler lets live codes take part in adds (welcome message, auto tags, counting) without
// either package importing the other.
type addHandler struct{ acq *acquisition.Service }

func (h addHandler) PlanAdd(ctx context.Context, tenantID int64, state, userID string) (*customer.AddPlan, error) {
	p, err := h.acq.PlanAdd(ctx, tenantID, state, userID)
	if p == nil || err != nil {
		return nil, err
	}
	return &customer.AddPlan{WelcomeText: p.WelcomeText, Attachments: p.Attachments, TagIDs: p.TagIDs}, nil
}

func (h addHandler) Added(ctx context.Context, tenantID int64, a customer.AddedContact) error {
	return h.acq.Added(ctx, tenantID, acquisition.Add{CustomerID: a.CustomerID, UserID: a.UserID, State: a.State, AddedAt: a.AddedAt})
}
