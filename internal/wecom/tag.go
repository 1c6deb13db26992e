package wecom

import "context"

// CorpTag is an enterprise customer tag (企业客户标签, document 92117).
type CorpTag struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CreateTime int64  `json:"create_time,omitempty"`
	Order      uint32 `json:"order"` // larger sorts first
	Deleted    bool   `json:"deleted,omitempty"`
}

// TagGroup is a tag group with its tags.
type TagGroup struct {
	GroupID    string    `json:"group_id"`
	GroupName  string    `json:"group_name"`
	CreateTime int64     `json:"create_time,omitempty"`
	Order      uint32    `json:"order"`
	Deleted    bool      `json:"deleted,omitempty"`
	Tag        []CorpTag `json:"tag"`
}

// GetCorpTagListRequest filters get_corp_tag_list; both empty returns every tag. With TagID
// set, GroupID is ignored.
type GetCorpTagListRequest struct {
	TagID   []string `json:"tag_id,omitempty"`
	GroupID []string `json:"group_id,omitempty"`
}

// GetCorpTagList lists tag groups and tags (POST externalcontact/get_corp_tag_list).
func (c *Client) GetCorpTagList(ctx context.Context, req GetCorpTagListRequest) ([]TagGroup, error) {
	var resp struct {
		TagGroup []TagGroup `json:"tag_group"`
	}
	if err := c.postRead(ctx, "externalcontact/get_corp_tag_list", req, &resp); err != nil {
		return nil, err
	}
	return resp.TagGroup, nil
}

// NewTag is a tag to create.
type NewTag struct {
	Name  string `json:"name"`
	Order uint32 `json:"order,omitempty"`
}

// AddCorpTagRequest adds tags to an existing group (GroupID) or creates a group (GroupName).
// Names are at most 30 characters; a corp has at most 3000 tags (40126).
type AddCorpTagRequest struct {
	GroupID   string   `json:"group_id,omitempty"`
	GroupName string   `json:"group_name,omitempty"`
	Order     uint32   `json:"order,omitempty"`
	Tag       []NewTag `json:"tag"`
	AgentID   int64    `json:"agentid,omitempty"`
}

// AddCorpTag creates tags and returns the group as stored (POST externalcontact/add_corp_tag).
func (c *Client) AddCorpTag(ctx context.Context, req AddCorpTagRequest) (*TagGroup, error) {
	var resp struct {
		TagGroup TagGroup `json:"tag_group"`
	}
	if err := c.postWrite(ctx, "externalcontact/add_corp_tag", req, &resp); err != nil {
		return nil, err
	}
	return &resp.TagGroup, nil
}

// EditCorpTagRequest renames or reorders a tag or a group (ID is either).
type EditCorpTagRequest struct {
	ID      string  `json:"id"`
	Name    string  `json:"name,omitempty"`
	Order   *uint32 `json:"order,omitempty"`
	AgentID int64   `json:"agentid,omitempty"`
}

// EditCorpTag is POST externalcontact/edit_corp_tag.
func (c *Client) EditCorpTag(ctx context.Context, req EditCorpTagRequest) error {
	return c.postWrite(ctx, "externalcontact/edit_corp_tag", req, nil)
}

// DelCorpTagRequest deletes tags and/or whole groups. Deleting a group's last tag deletes the
// group.
type DelCorpTagRequest struct {
	TagID   []string `json:"tag_id,omitempty"`
	GroupID []string `json:"group_id,omitempty"`
	AgentID int64    `json:"agentid,omitempty"`
}

// DelCorpTag is POST externalcontact/del_corp_tag.
func (c *Client) DelCorpTag(ctx context.Context, req DelCorpTagRequest) error {
	return c.postWrite(ctx, "externalcontact/del_corp_tag", req, nil)
}

// MarkTagRequest adds and removes corp tags on one member's relation to a customer.
type MarkTagRequest struct {
	UserID         string   `json:"userid"`
	ExternalUserID string   `json:"external_userid"`
	AddTag         []string `json:"add_tag,omitempty"`
	RemoveTag      []string `json:"remove_tag,omitempty"`
}

// MarkTag is POST externalcontact/mark_tag. Like every API write it triggers no callback.
func (c *Client) MarkTag(ctx context.Context, req MarkTagRequest) error {
	return c.postWrite(ctx, "externalcontact/mark_tag", req, nil)
}
