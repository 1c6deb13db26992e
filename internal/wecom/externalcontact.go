package wecom

import (
	"context"
	"net/url"
)

// Customer types and genders.
const (
	ExternalTypeWeChat = 1 // a WeChat user
	ExternalTypeWeCom  = 2 // a WeCom user of another corp

	GenderUnknown = 0
	GenderMale    = 1
	GenderFemale  = 2
)

// Add ways (follow_user.add_way): how the member came to have the customer.
const (
	AddWayUnknown       = 0
	AddWayQRCode        = 1 // scanned a QR code (contact ways)
	AddWayMobile        = 2
	AddWayCard          = 3
	AddWayGroupChat     = 4
	AddWayAddressBook   = 5
	AddWayWeChatContact = 6
	AddWayFriendRequest = 7
	AddWayThirdParty    = 8
	AddWayEmail         = 9
	AddWayVideoChannel  = 10
	AddWaySchedule      = 11
	AddWayMeeting       = 12
	AddWayAcquisition   = 16 // customer acquisition link (获客助手)
	AddWayShare         = 201
	AddWayAssigned      = 202 // allocated by an admin (transfers)
)

// ExternalContact is the customer part of externalcontact/get (document 92114).
type ExternalContact struct {
	ExternalUserID string `json:"external_userid"`
	Name           string `json:"name"`
	Position       string `json:"position,omitempty"`
	Avatar         string `json:"avatar,omitempty"`
	CorpName       string `json:"corp_name,omitempty"`
	CorpFullName   string `json:"corp_full_name,omitempty"`
	Type           int    `json:"type"`
	Gender         int    `json:"gender"`
	// UnionID is present only for WeChat users when the corp has bound a WeChat developer
	// account.
	UnionID string `json:"unionid,omitempty"`
}

// FollowUserTag is a tag a member put on the customer.
type FollowUserTag struct {
	GroupName string `json:"group_name,omitempty"`
	TagName   string `json:"tag_name"`
	TagID     string `json:"tag_id,omitempty"` // only for corp tags
	Type      int    `json:"type"`             // 1 corp tag, 2 personal tag, 3 rule-group tag
}

// FollowUser is one member's relation to the customer.
type FollowUser struct {
	UserID         string          `json:"userid"`
	Remark         string          `json:"remark"`
	Description    string          `json:"description"`
	CreateTime     int64           `json:"createtime"`
	Tags           []FollowUserTag `json:"tags"`
	RemarkCorpName string          `json:"remark_corp_name,omitempty"`
	RemarkMobiles  []string        `json:"remark_mobiles"`
	OperUserID     string          `json:"oper_userid,omitempty"`
	AddWay         int             `json:"add_way"`
	State          string          `json:"state,omitempty"`
}

// GetFollowUserList returns the members with customer contact enabled
// (GET externalcontact/get_follow_user_list).
func (c *Client) GetFollowUserList(ctx context.Context) ([]string, error) {
	var resp struct {
		FollowUser []string `json:"follow_user"`
	}
	if err := c.get(ctx, "externalcontact/get_follow_user_list", nil, &resp); err != nil {
		return nil, err
	}
	return resp.FollowUser, nil
}

// ListExternalContacts returns the external userids of one member (GET externalcontact/list).
// WeCom answers 84061 for a member without customers; that comes back as an empty list.
func (c *Client) ListExternalContacts(ctx context.Context, userID string) ([]string, error) {
	var resp struct {
		ExternalUserID []string `json:"external_userid"`
	}
	if err := c.get(ctx, "externalcontact/list", url.Values{"userid": {userID}}, &resp); err != nil {
		if code, ok := ErrorCode(err); ok && code == CodeNoRelation {
			return []string{}, nil
		}
		return nil, err
	}
	return resp.ExternalUserID, nil
}

// GetExternalContactResponse is a customer with (a page of) its follow users. When the customer
// has more than 500 followers, NextCursor pages through them.
type GetExternalContactResponse struct {
	ExternalContact ExternalContact `json:"external_contact"`
	FollowUser      []FollowUser    `json:"follow_user"`
	NextCursor      string          `json:"next_cursor,omitempty"`
}

// GetExternalContact reads a customer (GET externalcontact/get).
func (c *Client) GetExternalContact(ctx context.Context, externalUserID, cursor string) (*GetExternalContactResponse, error) {
	q := url.Values{"external_userid": {externalUserID}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var resp GetExternalContactResponse
	if err := c.get(ctx, "externalcontact/get", q, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// BatchGetByUserRequest pages through the customers of up to 100 members
// (POST externalcontact/batch/get_by_user). Limit is at most 100.
type BatchGetByUserRequest struct {
	UserIDList []string `json:"userid_list"`
	Cursor     string   `json:"cursor,omitempty"`
	Limit      int      `json:"limit,omitempty"`
}

// FollowInfo is one member's relation in batch/get_by_user: like FollowUser, but corp tags come
// as ids only.
type FollowInfo struct {
	UserID         string   `json:"userid"`
	Remark         string   `json:"remark"`
	Description    string   `json:"description"`
	CreateTime     int64    `json:"createtime"`
	TagID          []string `json:"tag_id,omitempty"`
	RemarkCorpName string   `json:"remark_corp_name,omitempty"`
	RemarkMobiles  []string `json:"remark_mobiles,omitempty"`
	OperUserID     string   `json:"oper_userid,omitempty"`
	AddWay         int      `json:"add_way"`
	State          string   `json:"state,omitempty"`
}

// ExternalContactWithFollow is one entry of batch/get_by_user.
type ExternalContactWithFollow struct {
	ExternalContact ExternalContact `json:"external_contact"`
	FollowInfo      FollowInfo      `json:"follow_info"`
}

// BatchGetByUserResponse is a page; NextCursor is empty on the last page.
type BatchGetByUserResponse struct {
	ExternalContactList []ExternalContactWithFollow `json:"external_contact_list"`
	NextCursor          string                      `json:"next_cursor"`
	FailInfo            *struct {
		UnlicensedUserIDList []string `json:"unlicensed_userid_list,omitempty"`
	} `json:"fail_info,omitempty"`
}

// BatchGetByUser returns a page of customers with follow info.
func (c *Client) BatchGetByUser(ctx context.Context, req BatchGetByUserRequest) (*BatchGetByUserResponse, error) {
	var resp BatchGetByUserResponse
	if err := c.postRead(ctx, "externalcontact/batch/get_by_user", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// RemarkRequest sets a member's remark on a customer (POST externalcontact/remark). Remark ≤ 20
// characters, Description ≤ 150; RemarkMobiles replaces the old list ([""] clears it).
type RemarkRequest struct {
	UserID           string   `json:"userid"`
	ExternalUserID   string   `json:"external_userid"`
	Remark           string   `json:"remark,omitempty"`
	Description      string   `json:"description,omitempty"`
	RemarkCompany    string   `json:"remark_company,omitempty"`
	RemarkMobiles    []string `json:"remark_mobiles,omitempty"`
	RemarkPicMediaID string   `json:"remark_pic_mediaid,omitempty"`
}

// Remark updates the remark. Like every API write, it triggers no callback.
func (c *Client) Remark(ctx context.Context, req RemarkRequest) error {
	return c.postWrite(ctx, "externalcontact/remark", req, nil)
}
