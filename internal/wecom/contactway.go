package wecom

import "context"

// Contact-way types, scenes and limits (客户联系「联系我」管理, document 92572).
const (
	ContactWaySingle = 1 // one member
	ContactWayMulti  = 2 // several members, one picked per scan

	SceneMiniProgram = 1 // a mini-program button
	SceneQRCode      = 2 // a QR code

	// MaxStateLen is the longest state WeCom accepts for contact ways and join ways; the state
	// comes back in the add event and is how a scan is tied to a channel.
	MaxStateLen = 30
)

// Conclusions is the closing message sent when a temporary session ends (结束语).
type Conclusions struct {
	Text        *Text        `json:"text,omitempty"`
	Image       *Image       `json:"image,omitempty"`
	Link        *Link        `json:"link,omitempty"`
	MiniProgram *MiniProgram `json:"miniprogram,omitempty"`
}

// ContactWay is a "contact me" configuration as get_contact_way returns it.
type ContactWay struct {
	ConfigID      string       `json:"config_id"`
	Type          int          `json:"type"`
	Scene         int          `json:"scene"`
	Style         int          `json:"style,omitempty"`
	Remark        string       `json:"remark,omitempty"`
	SkipVerify    bool         `json:"skip_verify"`
	State         string       `json:"state,omitempty"`
	QRCode        string       `json:"qr_code,omitempty"`
	User          []string     `json:"user,omitempty"`
	Party         []int64      `json:"party,omitempty"`
	IsTemp        bool         `json:"is_temp,omitempty"`
	ExpiresIn     int64        `json:"expires_in,omitempty"`
	ChatExpiresIn int64        `json:"chat_expires_in,omitempty"`
	UnionID       string       `json:"unionid,omitempty"`
	IsExclusive   bool         `json:"is_exclusive,omitempty"`
	Conclusions   *Conclusions `json:"conclusions,omitempty"`
}

// AddContactWayRequest creates a contact way (POST externalcontact/add_contact_way).
// State and Remark are at most 30 characters; User/Party must exist and have customer contact.
// SkipVerify is always sent: WeCom defaults an absent skip_verify to true. Temporary ways
// (IsTemp) are single-person only and reserved to medical-industry corps.
type AddContactWayRequest struct {
	Type          int          `json:"type"`
	Scene         int          `json:"scene"`
	Style         int          `json:"style,omitempty"`
	Remark        string       `json:"remark,omitempty"`
	SkipVerify    bool         `json:"skip_verify"`
	State         string       `json:"state,omitempty"`
	User          []string     `json:"user,omitempty"`
	Party         []int64      `json:"party,omitempty"`
	IsTemp        bool         `json:"is_temp,omitempty"`
	ExpiresIn     int64        `json:"expires_in,omitempty"`
	ChatExpiresIn int64        `json:"chat_expires_in,omitempty"`
	UnionID       string       `json:"unionid,omitempty"`
	IsExclusive   bool         `json:"is_exclusive,omitempty"`
	Conclusions   *Conclusions `json:"conclusions,omitempty"`
}

// AddContactWayResponse carries the new config id and, for QR scenes, the QR image URL.
type AddContactWayResponse struct {
	ConfigID string `json:"config_id"`
	QRCode   string `json:"qr_code,omitempty"`
}

// AddContactWay is POST externalcontact/add_contact_way.
func (c *Client) AddContactWay(ctx context.Context, req AddContactWayRequest) (*AddContactWayResponse, error) {
	var resp AddContactWayResponse
	if err := c.postWrite(ctx, "externalcontact/add_contact_way", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetContactWay is POST externalcontact/get_contact_way.
func (c *Client) GetContactWay(ctx context.Context, configID string) (*ContactWay, error) {
	var resp struct {
		ContactWay ContactWay `json:"contact_way"`
	}
	if err := c.postRead(ctx, "externalcontact/get_contact_way", map[string]string{"config_id": configID}, &resp); err != nil {
		return nil, err
	}
	return &resp.ContactWay, nil
}

// ListContactWayRequest lists API-created contact ways (POST externalcontact/list_contact_way).
// Times are Unix seconds; Limit is at most 1000.
type ListContactWayRequest struct {
	StartTime int64  `json:"start_time,omitempty"`
	EndTime   int64  `json:"end_time,omitempty"`
	Cursor    string `json:"cursor,omitempty"`
	Limit     int    `json:"limit,omitempty"`
}

// ListContactWayResponse is a page of config ids.
type ListContactWayResponse struct {
	ContactWay []struct {
		ConfigID string `json:"config_id"`
	} `json:"contact_way"`
	NextCursor string `json:"next_cursor"`
}

// ListContactWays is POST externalcontact/list_contact_way.
func (c *Client) ListContactWays(ctx context.Context, req ListContactWayRequest) (*ListContactWayResponse, error) {
	var resp ListContactWayResponse
	if err := c.postRead(ctx, "externalcontact/list_contact_way", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// UpdateContactWayRequest changes a contact way; nil / empty fields are left unchanged, which is
// why the fields that may legitimately be cleared are pointers.
type UpdateContactWayRequest struct {
	ConfigID      string       `json:"config_id"`
	Remark        *string      `json:"remark,omitempty"`
	SkipVerify    *bool        `json:"skip_verify,omitempty"`
	Style         int          `json:"style,omitempty"`
	State         *string      `json:"state,omitempty"`
	User          []string     `json:"user,omitempty"`
	Party         []int64      `json:"party,omitempty"`
	ExpiresIn     int64        `json:"expires_in,omitempty"`
	ChatExpiresIn int64        `json:"chat_expires_in,omitempty"`
	UnionID       string       `json:"unionid,omitempty"`
	Conclusions   *Conclusions `json:"conclusions,omitempty"`
}

// UpdateContactWay is POST externalcontact/update_contact_way.
func (c *Client) UpdateContactWay(ctx context.Context, req UpdateContactWayRequest) error {
	return c.postWrite(ctx, "externalcontact/update_contact_way", req, nil)
}

// DelContactWay is POST externalcontact/del_contact_way.
func (c *Client) DelContactWay(ctx context.Context, configID string) error {
	return c.postWrite(ctx, "externalcontact/del_contact_way", map[string]string{"config_id": configID}, nil)
}
