package customer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Routes lists the customer API: list, profile with timeline, and tags (the corp tag library and
// the tags on a customer, both written to WeCom first).
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/customers", Perm: org.PermCustomerRead, Tag: "customers",
			Summary: "List and search customers in my scope: tags (any/all/none), staff, org unit, channel, date, status, custom fields, keyword; sortable",
			Query:   listQueryParams, Response: httpx.Page[ListItem]{}, Handler: s.handleList},
		{Method: "GET", Path: "/api/v1/customers/{id}", Perm: org.PermCustomerRead, Tag: "customers", Summary: "A customer's profile, relations and timeline",
			Response: Detail{}, Handler: httpx.Read(s.Get)},
		{Method: "POST", Path: "/api/v1/customers/{id}/tags", Perm: org.PermCustomerTag, Tag: "tags", Summary: "Add and remove a customer's tags (in WeCom, then in Siyu)",
			Request: MarkInput{}, Response: CustomerTags{}, Handler: s.handleMarkTags},
		{Method: "GET", Path: "/api/v1/tag-groups", Perm: org.PermCustomerRead, Tag: "tags", Summary: "The corp tag library: groups with their tags",
			Response: struct {
				Items []TagGroup `json:"items"`
			}{}, Handler: s.handleTagGroups},
		{Method: "POST", Path: "/api/v1/tag-groups", Perm: org.PermTagsWrite, Tag: "tags", Summary: "Create a tag group with its first tags (in WeCom, then in Siyu)",
			Request: TagGroupInput{}, Response: TagGroup{}, Status: http.StatusCreated, Handler: httpx.Create(s.CreateTagGroup)},
		{Method: "POST", Path: "/api/v1/tag-groups/{id}/tags", Perm: org.PermTagsWrite, Tag: "tags", Summary: "Add a tag to a group",
			Request: TagInput{}, Response: Tag{}, Status: http.StatusCreated, Handler: s.handleAddTag},
		{Method: "PATCH", Path: "/api/v1/tags/{id}", Perm: org.PermTagsWrite, Tag: "tags", Summary: "Rename a tag",
			Request: TagInput{}, Response: Tag{}, Handler: s.handleRenameTag},
		{Method: "DELETE", Path: "/api/v1/tags/{id}", Perm: org.PermTagsWrite, Tag: "tags", Summary: "Delete a tag (and take it off every customer)",
			Status: http.StatusNoContent, Handler: httpx.Remove(s.DeleteTag)},
	}
}

// Summary is a customer in a list.
type Summary struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Gender       int        `json:"gender" doc:"0 unknown, 1 male, 2 female"`
	Avatar       string     `json:"avatar"`
	FirstAddedAt *time.Time `json:"first_added_at"`
	FirstState   string     `json:"first_state" doc:"live-code state of the first add (the acquisition channel)"`
	Staff        []string   `json:"staff" doc:"names of staff with an active relation"`
	Lost         bool       `json:"lost" doc:"no active relation left"`
	CreatedAt    time.Time  `json:"created_at"`
}

// Detail is a customer's profile with relations and the latest timeline events.
type Detail struct {
	Summary
	Identities []Identity        `json:"identities"`
	Relations  []RelationDetail  `json:"relations"`
	Tags       []CustomerTag     `json:"tags" doc:"each tag once, manual when put on in Siyu"`
	Timeline   []Event           `json:"timeline"`
	Birthday   *string           `json:"birthday" doc:"YYYY-MM-DD; hidden from roles without personal-data access"`
	Remark     string            `json:"remark" doc:"the customer-level remark; hidden from roles without personal-data access"`
	Fields     map[string]any    `json:"fields" doc:"custom field values by field key (see /api/v1/customer-fields)"`
	Groups     []GroupMembership `json:"groups" doc:"customer groups the customer is in"`
	MergedInto *int64            `json:"merged_into" doc:"set when this customer was merged into another (the same person)"`
	Sections   map[string]any    `json:"sections" doc:"parts other capabilities add (orders and spend, points, tier), by name"`
}

// RelationDetail is a relation with the staff member's name.
type RelationDetail struct {
	Relation
	StaffName string `json:"staff_name"`
}

// Event is one timeline entry.
type Event struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	WeComUserID string    `json:"wecom_userid"`
	Detail      string    `json:"detail" doc:"JSON object"`
	OccurredAt  time.Time `json:"occurred_at"`
}

// Get returns a customer in the caller's scope with relations and the latest 200 events.
func (s *Service) Get(ctx context.Context, id int64) (Detail, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Detail{}, err
	}
	sc := org.ScopeOf(c)
	cond, args := sc.CustomerFilter("c.id")
	var d Detail
	var first sql.NullTime
	err = s.db.QueryRowContext(ctx, `SELECT c.id, c.name, c.gender, c.avatar, c.first_added_at, c.first_state, c.created_at
		FROM customers c WHERE c.tenant_id = ? AND c.id = ? AND `+cond, append([]any{c.TenantID, id}, args...)...).
		Scan(&d.ID, &d.Name, &d.Gender, &d.Avatar, &first, &d.FirstState, &d.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Detail{}, httpx.NotFoundf("customer")
	}
	if err != nil {
		return Detail{}, fmt.Errorf("customer: get %d: %w", id, err)
	}
	if first.Valid {
		d.FirstAddedAt = &first.Time
	}
	d.Identities, d.Relations, d.Timeline, d.Staff = []Identity{}, []RelationDetail{}, []Event{}, []string{}
	rows, err := s.db.QueryContext(ctx, `SELECT kind, value FROM customer_identities WHERE tenant_id = ? AND customer_id = ? ORDER BY kind, value`, c.TenantID, id)
	if err != nil {
		return Detail{}, err
	}
	for rows.Next() {
		var i Identity
		if err := rows.Scan(&i.Kind, &i.Value); err != nil {
			rows.Close()
			return Detail{}, err
		}
		// Identities are personal data (they identify the person elsewhere).
		if sc.PersonalData {
			d.Identities = append(d.Identities, i)
		}
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, `SELECT cs.wecom_userid, cs.staff_id, cs.remark, cs.state, cs.added_at, cs.status, COALESCE(st.name, '')
		FROM customer_staff cs LEFT JOIN staff st ON st.tenant_id = cs.tenant_id AND st.id = cs.staff_id
		WHERE cs.tenant_id = ? AND cs.customer_id = ? ORDER BY cs.added_at`, c.TenantID, id)
	if err != nil {
		return Detail{}, err
	}
	for rows.Next() {
		var r RelationDetail
		var staff sql.NullInt64
		if err := rows.Scan(&r.WeComUserID, &staff, &r.Remark, &r.State, &r.AddedAt, &r.Status, &r.StaffName); err != nil {
			rows.Close()
			return Detail{}, err
		}
		if staff.Valid {
			r.StaffID = &staff.Int64
		}
		if r.Status == RelationActive {
			name := r.StaffName
			if name == "" {
				name = r.WeComUserID // as in the list: a member not (yet) synced into staff
			}
			d.Staff = append(d.Staff, name)
		}
		d.Relations = append(d.Relations, r)
	}
	rows.Close()
	d.Lost = len(d.Staff) == 0
	if d.Tags, err = s.customerTags(ctx, c.TenantID, id); err != nil {
		return Detail{}, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT id, kind, wecom_userid, detail, occurred_at FROM customer_events
		WHERE tenant_id = ? AND customer_id = ? ORDER BY occurred_at DESC, id DESC LIMIT 200`, c.TenantID, id)
	if err != nil {
		return Detail{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.Kind, &e.WeComUserID, &e.Detail, &e.OccurredAt); err != nil {
			return Detail{}, err
		}
		d.Timeline = append(d.Timeline, e)
	}
	if d.Birthday, d.Remark, d.Fields, err = s.profileFields(ctx, sc, id); err != nil {
		return Detail{}, err
	}
	if err := s.profileExtras(ctx, c.TenantID, &d); err != nil {
		return Detail{}, err
	}
	if !sc.PersonalData {
		d.Name, d.Avatar = org.MaskName(d.Name), ""
		for i := range d.Timeline {
			d.Timeline[i].Detail = maskDetail(d.Timeline[i].Detail)
		}
		for i := range d.Relations {
			d.Relations[i].Remark = ""
		}
	}
	return d, rows.Err()
}

func (s *Service) handleTagGroups(w http.ResponseWriter, r *http.Request) error {
	items, err := s.TagGroups(r.Context())
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

func (s *Service) handleAddTag(w http.ResponseWriter, r *http.Request) error {
	id, in, err := httpx.IDAndBody[TagInput](r)
	if err != nil {
		return err
	}
	out, err := s.AddTag(r.Context(), id, in)
	return httpx.Reply(w, http.StatusCreated, out, err)
}

func (s *Service) handleRenameTag(w http.ResponseWriter, r *http.Request) error {
	id, in, err := httpx.IDAndBody[TagInput](r)
	if err != nil {
		return err
	}
	out, err := s.RenameTag(r.Context(), id, in)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleMarkTags(w http.ResponseWriter, r *http.Request) error {
	id, in, err := httpx.IDAndBody[MarkInput](r)
	if err != nil {
		return err
	}
	out, err := s.MarkTags(r.Context(), id, in)
	return httpx.Reply(w, http.StatusOK, out, err)
}

// Timeline details carry what the rest of a profile masks (a relation's remark, the other
// customer's name in a merge, a note's text, an identity's value). For callers without personal
// data they are masked key by key; details that are not JSON objects are dropped.
var personalDetail = map[string]func(string) string{
	"remark": erase, "description": erase, "content": erase, "text": erase,
	"name": org.MaskName, "other_name": org.MaskName, "customer_name": org.MaskName,
	"phone": org.MaskMobile, "mobile": org.MaskMobile, "value": org.MaskMobile, "nick": org.MaskName,
}

func erase(string) string { return "" }

func maskDetail(detail string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(detail), &m); err != nil {
		return "{}"
	}
	for k, v := range m {
		if mask, ok := personalDetail[k]; ok {
			if str, isStr := v.(string); isStr {
				m[k] = mask(str)
			} else {
				delete(m, k)
			}
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}
