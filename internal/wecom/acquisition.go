package wecom

import "context"

// AcquisitionRange is who answers an acquisition link: members and/or departments.
type AcquisitionRange struct {
	UserList       []string `json:"user_list,omitempty"`
	DepartmentList []int64  `json:"department_list,omitempty"`
}

// AcquisitionPriority prefers some members when assigning a customer (priority_type 1: the
// members who already had this customer; 2: the listed members).
type AcquisitionPriority struct {
	PriorityType       int      `json:"priority_type,omitempty"`
	PriorityUserIDList []string `json:"priority_userid_list,omitempty"`
}

// AcquisitionLink is a customer acquisition link (获客助手): a URL that opens a
// chat with a member from outside WeChat. Appending customer_channel=… to the URL makes that
// value arrive as State in the add event.
type AcquisitionLink struct {
	LinkID     string `json:"link_id,omitempty"`
	LinkName   string `json:"link_name"`
	URL        string `json:"url,omitempty"`
	CreateTime int64  `json:"create_time,omitempty"`
	SkipVerify bool   `json:"skip_verify"`
	MarkSource bool   `json:"mark_source,omitempty"`
}

// CreateAcquisitionLinkRequest is POST externalcontact/customer_acquisition/create_link.
type CreateAcquisitionLinkRequest struct {
	LinkName       string               `json:"link_name"`
	Range          AcquisitionRange     `json:"range"`
	SkipVerify     bool                 `json:"skip_verify"`
	PriorityOption *AcquisitionPriority `json:"priority_option,omitempty"`
	MarkSource     bool                 `json:"mark_source,omitempty"`
}

// CreateAcquisitionLink creates a link and returns it.
func (c *Client) CreateAcquisitionLink(ctx context.Context, req CreateAcquisitionLinkRequest) (*AcquisitionLink, error) {
	var resp struct {
		Link AcquisitionLink `json:"link"`
	}
	if err := c.postWrite(ctx, "externalcontact/customer_acquisition/create_link", req, &resp); err != nil {
		return nil, err
	}
	return &resp.Link, nil
}

// ListAcquisitionLinksResponse is a page of link ids (limit ≤ 100).
type ListAcquisitionLinksResponse struct {
	LinkIDList []string `json:"link_id_list"`
	NextCursor string   `json:"next_cursor"`
}

// ListAcquisitionLinks is POST externalcontact/customer_acquisition/list_link.
func (c *Client) ListAcquisitionLinks(ctx context.Context, limit int, cursor string) (*ListAcquisitionLinksResponse, error) {
	req := struct {
		Limit  int    `json:"limit,omitempty"`
		Cursor string `json:"cursor,omitempty"`
	}{limit, cursor}
	var resp ListAcquisitionLinksResponse
	if err := c.postRead(ctx, "externalcontact/customer_acquisition/list_link", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// AcquisitionLinkDetail is what customer_acquisition/get returns.
type AcquisitionLinkDetail struct {
	Link           AcquisitionLink      `json:"link"`
	Range          AcquisitionRange     `json:"range"`
	PriorityOption *AcquisitionPriority `json:"priority_option,omitempty"`
}

// GetAcquisitionLink is POST externalcontact/customer_acquisition/get.
func (c *Client) GetAcquisitionLink(ctx context.Context, linkID string) (*AcquisitionLinkDetail, error) {
	var resp AcquisitionLinkDetail
	if err := c.postRead(ctx, "externalcontact/customer_acquisition/get", map[string]string{"link_id": linkID}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// UpdateAcquisitionLinkRequest changes a link; a nil Range or SkipVerify leaves it unchanged.
type UpdateAcquisitionLinkRequest struct {
	LinkID         string               `json:"link_id"`
	LinkName       string               `json:"link_name,omitempty"`
	Range          *AcquisitionRange    `json:"range,omitempty"`
	SkipVerify     *bool                `json:"skip_verify,omitempty"`
	PriorityOption *AcquisitionPriority `json:"priority_option,omitempty"`
	MarkSource     *bool                `json:"mark_source,omitempty"`
}

// UpdateAcquisitionLink is POST externalcontact/customer_acquisition/update_link.
func (c *Client) UpdateAcquisitionLink(ctx context.Context, req UpdateAcquisitionLinkRequest) error {
	return c.postWrite(ctx, "externalcontact/customer_acquisition/update_link", req, nil)
}

// DeleteAcquisitionLink is POST externalcontact/customer_acquisition/delete_link.
func (c *Client) DeleteAcquisitionLink(ctx context.Context, linkID string) error {
	return c.postWrite(ctx, "externalcontact/customer_acquisition/delete_link", map[string]string{"link_id": linkID}, nil)
}
