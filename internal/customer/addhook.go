package customer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// TagSourceCode marks tags a live code put on a customer when they added staff through it.
const TagSourceCode = "code"

// AddPlan is what an add through a known state brings: a welcome message that replaces the
// tenant's default (Text may hold {name}, the customer's WeChat name) and tags to put on.
type AddPlan struct {
	WelcomeText string
	Attachments []wecom.Attachment
	TagIDs      []int64
}

// AddedContact is an add the handler may attribute (the relation is recorded).
type AddedContact struct {
	CustomerID     int64
	UserID         string
	ExternalUserID string
	State          string
	AddedAt        time.Time
}

// AddHandler is told about adds by their state: live codes (the acquisition package) use it to
// bring their own welcome message and tags and to count adds. Both calls may repeat for one add
// (a retried event) and must be idempotent.
type AddHandler interface {
	// PlanAdd returns the plan for an add through state to the member userID, or nil.
	PlanAdd(ctx context.Context, tenantID int64, state, userID string) (*AddPlan, error)
	// Added records an add after the relation was stored.
	Added(ctx context.Context, tenantID int64, a AddedContact) error
}

// SetAddHandler installs the add handler (internal/app wires acquisition here).
func (s *Service) SetAddHandler(h AddHandler) { s.adds = h }

// planAdd asks the handler about a new add; edits and adds without a state have no plan.
func (s *Service) planAdd(ctx context.Context, tenantID int64, e *wecom.ExternalContactEvent) (*AddPlan, error) {
	if s.adds == nil || e.State == "" || e.ChangeType == wecom.ChangeEditExternalContact {
		return nil, nil
	}
	p, err := s.adds.PlanAdd(ctx, tenantID, e.State, e.UserID)
	if err != nil {
		return nil, fmt.Errorf("customer: plan add through %q: %w", e.State, err)
	}
	return p, nil
}

// attributeAdd puts the plan's tags on the new relation (in WeCom, then in Siyu with source
// code) and tells the handler. A tag WeCom refuses is logged, not retried: the add stands.
func (s *Service) attributeAdd(ctx context.Context, tenantID int64, client *wecom.Client, e *wecom.ExternalContactEvent, cid int64, follows []Follow, plan *AddPlan) error {
	if plan == nil {
		return nil
	}
	added := time.Unix(e.CreateTime, 0).UTC()
	for _, f := range follows {
		if f.UserID == e.UserID && f.CreateTime != 0 {
			added = time.Unix(f.CreateTime, 0).UTC()
		}
	}
	if len(plan.TagIDs) > 0 {
		lib, err := s.libraryTags(ctx, tenantID, plan.TagIDs)
		if err != nil {
			return err
		}
		var ids []int64
		var wecomIDs []string
		for _, id := range plan.TagIDs {
			if t, ok := lib[id]; ok {
				ids = append(ids, id)
				wecomIDs = append(wecomIDs, t.wecomID)
			}
		}
		if len(ids) > 0 {
			err := client.MarkTag(ctx, wecom.MarkTagRequest{UserID: e.UserID, ExternalUserID: e.ExternalUserID, AddTag: wecomIDs})
			if err != nil {
				s.log.WarnContext(ctx, "live-code tags not put on", "tenant", tenantID, "external_userid", e.ExternalUserID, "err", err)
			} else if err := s.db.InTx(ctx, func(tx *store.Tx) error {
				now := s.clock()
				for _, id := range ids {
					if _, err := tx.ExecContext(ctx, `INSERT INTO customer_tags (tenant_id, customer_id, tag_id, wecom_userid, source, created_at)
						VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, customer_id, tag_id, wecom_userid) DO NOTHING`,
						tenantID, cid, id, e.UserID, TagSourceCode, now); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return fmt.Errorf("customer: store live-code tags of %d: %w", cid, err)
			}
		}
	}
	return s.adds.Added(ctx, tenantID, AddedContact{CustomerID: cid, UserID: e.UserID, ExternalUserID: e.ExternalUserID, State: e.State, AddedAt: added})
}

// welcomeOf is the welcome message for an add: the plan's when it has one, else the tenant's.
func welcomeOf(plan *AddPlan, tenantText, name string) (*wecom.Text, []wecom.Attachment) {
	text, atts := tenantText, []wecom.Attachment(nil)
	if plan != nil && (plan.WelcomeText != "" || len(plan.Attachments) > 0) {
		text, atts = plan.WelcomeText, plan.Attachments
	}
	if text == "" {
		return nil, atts
	}
	return &wecom.Text{Content: strings.ReplaceAll(text, "{name}", name)}, atts
}
