package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// ProfileRoutes lists the customer-profile API: identities, merges and splits, notes and
// follow-ups, and the lookup the WeCom sidebar uses.
func (s *Service) ProfileRoutes() []httpx.Route {
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/customers/lookup", Perm: org.PermCustomerRead, Tag: "customers",
			Summary: "Find a customer in my scope by an identity (the sidebar: the WeCom contact being chatted with)",
			Query: []httpx.Param{{Name: "kind", Type: "string", Description: "identity kind; default wecom_external_userid"},
				{Name: "value", Type: "string", Description: "identity value (an external_userid, a phone, …)"}},
			Response: Detail{}, Handler: s.handleLookup},
		{Method: "GET", Path: "/api/v1/sidebar/agent-config", Perm: org.PermCustomerRead, Tag: "customers",
			Summary:  "Sign wx.agentConfig for the WeCom sidebar page (with the self-built app's jsapi ticket)",
			Query:    []httpx.Param{{Name: "url", Type: "string", Description: "the sidebar page's URL as the browser has it"}},
			Response: AgentConfig{}, Handler: s.handleAgentConfig},
		{Method: "GET", Path: "/api/v1/customers/{id}/identities", Perm: org.PermCustomerRead, Tag: "customers", Summary: "A customer's identities (masked for roles without personal data)",
			Response: struct {
				Items []Identity `json:"items"`
			}{}, Handler: s.handleIdentities},
		{Method: "POST", Path: "/api/v1/customers/{id}/identities", Perm: org.PermCustomerWrite, Tag: "customers",
			Summary: "Link an identity to a customer; when it belongs to another customer I can see, that customer is merged into this one",
			Request: IdentityInput{}, Response: Identities{}, Handler: s.handleAddIdentity},
		{Method: "DELETE", Path: "/api/v1/customers/{id}/identities", Perm: org.PermCustomerWrite, Tag: "customers", Summary: "Unlink an identity (not WeCom's external_userid)",
			Query:  []httpx.Param{{Name: "kind", Type: "string", Description: "identity kind"}, {Name: "value", Type: "string", Description: "identity value"}},
			Status: http.StatusNoContent, Handler: s.handleRemoveIdentity},
		{Method: "GET", Path: "/api/v1/customers/{id}/merges", Perm: org.PermCustomerRead, Tag: "customers", Summary: "Merges into a customer, newest first",
			Response: struct {
				Items []Merge `json:"items"`
			}{}, Handler: s.handleMerges},
		{Method: "POST", Path: "/api/v1/customers/{id}/merge", Perm: org.PermCustomerWrite, Tag: "customers",
			Summary: "Merge another customer (the same person) into this one; I must see both",
			Request: MergeInput{}, Response: Merge{}, Handler: s.handleMerge},
		{Method: "POST", Path: "/api/v1/customers/{id}/split", Perm: org.PermCustomerWrite, Tag: "customers",
			Summary: "Undo a merge into this customer: restore the merged customer with what came from it",
			Request: SplitInput{}, Response: Merge{}, Handler: s.handleSplit},
		{Method: "GET", Path: "/api/v1/customers/{id}/notes", Perm: org.PermCustomerRead, Tag: "customers", Summary: "A customer's notes and follow-up records, newest first",
			Query:    []httpx.Param{{Name: "limit", Type: "integer", Description: "1-500"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
			Response: httpx.Page[Note]{}, Handler: s.handleNotes},
		{Method: "POST", Path: "/api/v1/customers/{id}/notes", Perm: org.PermCustomerNote, Tag: "customers", Summary: "Write a note or follow-up record (also put on the timeline)",
			Request: NoteInput{}, Response: Note{}, Status: http.StatusCreated, Handler: s.handleAddNote},
		{Method: "DELETE", Path: "/api/v1/customer-notes/{id}", Perm: org.PermCustomerNote, Tag: "customers", Summary: "Delete my note (owners and admins: any note)",
			Status: http.StatusNoContent, Handler: s.handleDeleteNote},
	}
}

// GroupMembership is a customer group the customer is in.
type GroupMembership struct {
	ID       int64     `json:"id"`
	ChatID   string    `json:"chat_id"`
	Name     string    `json:"name"`
	Status   string    `json:"status" doc:"active or dismissed"`
	JoinedAt time.Time `json:"joined_at"`
}

// SectionFunc returns one part of a customer's profile that another capability owns — orders and
// spend, points, tier. It gets the request's context (with the caller, whose scope the customer is
// in) and returns a JSON-encodable value, or nil to leave the section out.
type SectionFunc func(ctx context.Context, tenantID, customerID int64) (any, error)

// sections are the profile sections other capabilities added, in the order they were added.
type sections struct {
	mu    sync.RWMutex
	names []string
	fns   map[string]SectionFunc
}

// AddProfileSection adds a section to every customer detail (GET /api/v1/customers/{id} and the
// sidebar lookup) under sections.<name>: the extension point for capabilities that know more about
// a customer than this package (orders: {"orders": n, "spend_fen": …}; loyalty: points and tier).
// internal/app wires them. A section's error fails the request.
func (s *Service) AddProfileSection(name string, fn SectionFunc) {
	s.sections.mu.Lock()
	defer s.sections.mu.Unlock()
	if s.sections.fns == nil {
		s.sections.fns = map[string]SectionFunc{}
	}
	if _, ok := s.sections.fns[name]; !ok {
		s.sections.names = append(s.sections.names, name)
	}
	s.sections.fns[name] = fn
}

// profileExtras completes a detail: merged_into, groups and the sections of other capabilities.
func (s *Service) profileExtras(ctx context.Context, tenantID int64, d *Detail) error {
	var merged sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT merged_into FROM customers WHERE tenant_id = ? AND id = ?`, tenantID, d.ID).Scan(&merged); err != nil {
		return fmt.Errorf("customer: merged_into of %d: %w", d.ID, err)
	}
	if merged.Valid {
		d.MergedInto = &merged.Int64
	}
	rows, err := s.db.QueryContext(ctx, `SELECT g.id, g.chat_id, g.name, g.status, m.join_time FROM customer_group_members m
		JOIN customer_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
		WHERE m.tenant_id = ? AND m.customer_id = ? ORDER BY m.join_time, g.id`, tenantID, d.ID)
	if err != nil {
		return fmt.Errorf("customer: groups of %d: %w", d.ID, err)
	}
	d.Groups = []GroupMembership{}
	for rows.Next() {
		var g GroupMembership
		if err := rows.Scan(&g.ID, &g.ChatID, &g.Name, &g.Status, &g.JoinedAt); err != nil {
			rows.Close()
			return err
		}
		d.Groups = append(d.Groups, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	d.Sections = map[string]any{}
	s.sections.mu.RLock()
	names := append([]string(nil), s.sections.names...)
	fns := s.sections.fns
	s.sections.mu.RUnlock()
	for _, name := range names {
		v, err := fns[name](ctx, tenantID, d.ID)
		if err != nil {
			return fmt.Errorf("customer: profile section %s of %d: %w", name, d.ID, err)
		}
		if v != nil {
			d.Sections[name] = v
		}
	}
	return nil
}

// Lookup returns the detail of the customer an identity belongs to, if the caller may see them —
// the WeCom sidebar asks with the external_userid of the contact the guide is chatting with.
// Roles without personal-data access may not look people up by identity.
func (s *Service) Lookup(ctx context.Context, kind, value string) (Detail, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Detail{}, err
	}
	if kind == "" {
		kind = IdentityExternalUserID
	}
	var v httpx.Validator
	id, field, ok := NormalizeIdentity(kind, value)
	switch {
	case !ok && field == "kind":
		v.Add("kind", "invalid")
	case value == "":
		v.Add("value", "required")
	case !ok:
		v.Add("value", "invalid")
	case !org.ScopeOf(c).PersonalData:
		v.Add("value", "not_allowed")
	}
	if err := v.Err(); err != nil {
		return Detail{}, err
	}
	var cid int64
	err = s.db.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value = ?`,
		c.TenantID, id.Kind, id.Value).Scan(&cid)
	if errors.Is(err, sql.ErrNoRows) {
		return Detail{}, httpx.NotFoundf("customer")
	}
	if err != nil {
		return Detail{}, fmt.Errorf("customer: lookup %s: %w", kind, err)
	}
	return s.Get(ctx, cid)
}

func (s *Service) handleLookup(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	out, err := s.Lookup(r.Context(), q.Get("kind"), q.Get("value"))
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleIdentities(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	items, err := s.ListIdentities(r.Context(), id)
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

func (s *Service) handleAddIdentity(w http.ResponseWriter, r *http.Request) error {
	id, in, err := httpx.IDAndBody[IdentityInput](r)
	if err != nil {
		return err
	}
	out, err := s.AddIdentity(r.Context(), id, in)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleRemoveIdentity(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := s.RemoveIdentity(r.Context(), id, q.Get("kind"), q.Get("value")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
