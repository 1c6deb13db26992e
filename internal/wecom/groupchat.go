package wecom

import "context"

// Customer group limits and member types.
const (
	// MaxGroupMembers is the member cap of a customer group without a special licence.
	MaxGroupMembers = 200
	// MaxJoinWayChats caps chat_id_list of a group join way (41091).
	MaxJoinWayChats = 5

	MemberTypeStaff    = 1
	MemberTypeExternal = 2
)

// ListGroupChatsRequest pages customer groups (POST externalcontact/groupchat/list, document
// 92120). StatusFilter: 0 all, 1 owner resigned, 2 being inherited, 3 inherited. Limit 1..1000.
type ListGroupChatsRequest struct {
	StatusFilter int          `json:"status_filter,omitempty"`
	OwnerFilter  *OwnerFilter `json:"owner_filter,omitempty"`
	Cursor       string       `json:"cursor,omitempty"`
	Limit        int          `json:"limit"`
}

// OwnerFilter restricts groups to these owners.
type OwnerFilter struct {
	UserIDList []string `json:"userid_list"`
}

// ListGroupChatsResponse is a page of group ids.
type ListGroupChatsResponse struct {
	GroupChatList []struct {
		ChatID string `json:"chat_id"`
		Status int    `json:"status"`
	} `json:"group_chat_list"`
	NextCursor string `json:"next_cursor"`
}

// ListGroupChats is POST externalcontact/groupchat/list.
func (c *Client) ListGroupChats(ctx context.Context, req ListGroupChatsRequest) (*ListGroupChatsResponse, error) {
	var resp ListGroupChatsResponse
	if err := c.postRead(ctx, "externalcontact/groupchat/list", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GroupMember is a member of a customer group.
type GroupMember struct {
	UserID    string `json:"userid"`
	Type      int    `json:"type"` // 1 staff, 2 external
	UnionID   string `json:"unionid,omitempty"`
	JoinTime  int64  `json:"join_time"`
	JoinScene int    `json:"join_scene"` // 1 invited, 2 invitation link, 3 QR code
	Invitor   *struct {
		UserID string `json:"userid"`
	} `json:"invitor,omitempty"`
	GroupNickname string `json:"group_nickname,omitempty"`
	Name          string `json:"name,omitempty"`  // only with need_name
	State         string `json:"state,omitempty"` // the join way's state
}

// GroupChat is a customer group (groupchat/get).
type GroupChat struct {
	ChatID     string        `json:"chat_id"`
	Name       string        `json:"name"`
	Owner      string        `json:"owner"`
	CreateTime int64         `json:"create_time"`
	Notice     string        `json:"notice,omitempty"`
	MemberList []GroupMember `json:"member_list"`
	AdminList  []struct {
		UserID string `json:"userid"`
	} `json:"admin_list,omitempty"`
	// MemberVersion changes with every membership change; compare it with the event's
	// CurMemVer to know whether a fetch is needed.
	MemberVersion string `json:"member_version,omitempty"`
}

// GetGroupChat is POST externalcontact/groupchat/get.
func (c *Client) GetGroupChat(ctx context.Context, chatID string, needName bool) (*GroupChat, error) {
	req := struct {
		ChatID   string `json:"chat_id"`
		NeedName int    `json:"need_name"`
	}{ChatID: chatID}
	if needName {
		req.NeedName = 1
	}
	var resp struct {
		GroupChat GroupChat `json:"group_chat"`
	}
	if err := c.postRead(ctx, "externalcontact/groupchat/get", req, &resp); err != nil {
		return nil, err
	}
	return &resp.GroupChat, nil
}

// JoinWay is a group join way (客户群「加入群聊」管理). With AutoCreateRoom = 1,
// WeCom creates "RoomBaseName + RoomBaseID" (then increments the id) when the listed groups
// are full.
type JoinWay struct {
	ConfigID       string   `json:"config_id,omitempty"`
	Scene          int      `json:"scene"`
	Remark         string   `json:"remark,omitempty"`
	AutoCreateRoom int      `json:"auto_create_room,omitempty"`
	RoomBaseName   string   `json:"room_base_name,omitempty"`
	RoomBaseID     int      `json:"room_base_id,omitempty"`
	ChatIDList     []string `json:"chat_id_list"`
	QRCode         string   `json:"qr_code,omitempty"`
	State          string   `json:"state,omitempty"`
}

// AddJoinWay creates a join way and returns its config id (POST
// externalcontact/groupchat/add_join_way). ChatIDList holds 1..5 groups; State ≤ 30 characters.
func (c *Client) AddJoinWay(ctx context.Context, req JoinWay) (string, error) {
	req.ConfigID, req.QRCode = "", ""
	var resp struct {
		ConfigID string `json:"config_id"`
	}
	if err := c.postWrite(ctx, "externalcontact/groupchat/add_join_way", req, &resp); err != nil {
		return "", err
	}
	return resp.ConfigID, nil
}

// GetJoinWay is POST externalcontact/groupchat/get_join_way.
func (c *Client) GetJoinWay(ctx context.Context, configID string) (*JoinWay, error) {
	var resp struct {
		JoinWay JoinWay `json:"join_way"`
	}
	if err := c.postRead(ctx, "externalcontact/groupchat/get_join_way", map[string]string{"config_id": configID}, &resp); err != nil {
		return nil, err
	}
	return &resp.JoinWay, nil
}

// UpdateJoinWay replaces a join way's settings (POST externalcontact/groupchat/update_join_way).
func (c *Client) UpdateJoinWay(ctx context.Context, req JoinWay) error {
	req.QRCode = ""
	return c.postWrite(ctx, "externalcontact/groupchat/update_join_way", req, nil)
}

// DelJoinWay is POST externalcontact/groupchat/del_join_way.
func (c *Client) DelJoinWay(ctx context.Context, configID string) error {
	return c.postWrite(ctx, "externalcontact/groupchat/del_join_way", map[string]string{"config_id": configID}, nil)
}
