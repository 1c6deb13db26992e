package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// Attachment message types and the attachment cap shared by welcome messages, mass messages
// and moments.
const (
	MsgTypeImage       = "image"
	MsgTypeLink        = "link"
	MsgTypeMiniProgram = "miniprogram"
	MsgTypeVideo       = "video"
	MsgTypeFile        = "file"

	// MaxAttachments is the attachment cap of send_welcome_msg and add_msg_template (41064).
	MaxAttachments = 9
	// MaxMsgTemplateRecipients caps external_userid in add_msg_template.
	MaxMsgTemplateRecipients = 10000
	// WelcomeCodeTTL is how long a welcome code from an add event stays usable (41050 after).
	WelcomeCodeTTL = 20 // seconds
)

// Text is a text body.
type Text struct {
	Content string `json:"content"`
}

// Image is an image attachment: a media_id from media/upload, or a pic_url from media/uploadimg.
type Image struct {
	MediaID string `json:"media_id,omitempty"`
	PicURL  string `json:"pic_url,omitempty"`
}

// Link is a link card. Moments use MediaID for the cover instead of PicURL.
type Link struct {
	Title   string `json:"title"`
	PicURL  string `json:"picurl,omitempty"`
	Desc    string `json:"desc,omitempty"`
	URL     string `json:"url"`
	MediaID string `json:"media_id,omitempty"`
}

// MiniProgram is a mini-program card.
type MiniProgram struct {
	Title      string `json:"title"`
	PicMediaID string `json:"pic_media_id"`
	AppID      string `json:"appid"`
	Page       string `json:"page"`
}

// Video is a video attachment.
type Video struct {
	MediaID      string `json:"media_id"`
	ThumbMediaID string `json:"thumb_media_id,omitempty"`
}

// File is a file attachment.
type File struct {
	MediaID string `json:"media_id"`
}

// Attachment is one attachment; MsgType names which pointer is set.
type Attachment struct {
	MsgType     string       `json:"msgtype"`
	Image       *Image       `json:"image,omitempty"`
	Link        *Link        `json:"link,omitempty"`
	MiniProgram *MiniProgram `json:"miniprogram,omitempty"`
	Video       *Video       `json:"video,omitempty"`
	File        *File        `json:"file,omitempty"`
}

// MediaIDs returns the media ids the attachment refers to.
func (a Attachment) MediaIDs() []string {
	var ids []string
	add := func(s string) {
		if s != "" {
			ids = append(ids, s)
		}
	}
	switch {
	case a.Image != nil:
		add(a.Image.MediaID)
	case a.Link != nil:
		add(a.Link.MediaID)
	case a.MiniProgram != nil:
		add(a.MiniProgram.PicMediaID)
	case a.Video != nil:
		add(a.Video.MediaID)
		add(a.Video.ThumbMediaID)
	case a.File != nil:
		add(a.File.MediaID)
	}
	return ids
}

// FlexInt64 decodes a JSON number or a numeric string; WeCom is not consistent about which it
// sends for timestamps. It encodes as a number.
type FlexInt64 int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexInt64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*f = 0
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("wecom: %q is not an integer", s)
		}
		*f = FlexInt64(n)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = FlexInt64(n)
	return nil
}

// SendWelcomeMsgRequest sends the welcome message for a new customer
// (POST externalcontact/send_welcome_msg, document 92137). The welcome code comes from the add
// event, is valid for 20 seconds and can be used once; Text and Attachments cannot both be
// empty; at most MaxAttachments attachments.
type SendWelcomeMsgRequest struct {
	WelcomeCode string       `json:"welcome_code"`
	Text        *Text        `json:"text,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// SendWelcomeMsg is POST externalcontact/send_welcome_msg. It is never retried on transport
// errors: a welcome message must not be sent twice, and the code would be spent anyway.
func (c *Client) SendWelcomeMsg(ctx context.Context, req SendWelcomeMsgRequest) error {
	return c.postWrite(ctx, "externalcontact/send_welcome_msg", req, nil)
}

// Mass-message chat types, creators and statuses.
const (
	ChatTypeSingle = "single" // to customers
	ChatTypeGroup  = "group"  // to customer groups

	CreateTypeCorp     = 0 // created by the corp (API or admin)
	CreateTypePersonal = 1 // created by the member

	// Per-member task status (get_groupmsg_task).
	TaskStatusPending = 0
	TaskStatusSent    = 2

	// Per-recipient status (get_groupmsg_send_result).
	SendStatusPending   = 0
	SendStatusSent      = 1
	SendStatusNotFriend = 2 // the customer is no longer a friend
	SendStatusLimitRecv = 3 // the customer already received a mass message in the period

	// get_groupmsg_list_v2 filter_type.
	FilterTypeCorp     = 0
	FilterTypePersonal = 1
	FilterTypeAll      = 2
)

// TagFilter selects customers by corp tags in add_msg_template: groups are ANDed, tags within a
// group ORed.
type TagFilter struct {
	GroupList []struct {
		TagList []string `json:"tag_list"`
	} `json:"group_list"`
}

// AddMsgTemplateRequest creates a corp mass message (POST externalcontact/add_msg_template,
// document 92135). Nothing is sent until each member confirms in the WeCom client. Limits:
// external_userid ≤ 10000, chat_id_list ≤ 2000, attachments ≤ 9; for chat_type group Sender is
// required. How many mass messages a customer may receive per day/week/month is a corp setting
// (the current default is as many per month as the month has days); customers over it get send
// status 3.
type AddMsgTemplateRequest struct {
	ChatType       string       `json:"chat_type,omitempty"`
	ExternalUserID []string     `json:"external_userid,omitempty"`
	ChatIDList     []string     `json:"chat_id_list,omitempty"`
	TagFilter      *TagFilter   `json:"tag_filter,omitempty"`
	Sender         string       `json:"sender,omitempty"`
	AllowSelect    bool         `json:"allow_select,omitempty"`
	Text           *Text        `json:"text,omitempty"`
	Attachments    []Attachment `json:"attachments,omitempty"`
}

// AddMsgTemplateResponse names the message and the customers it cannot reach.
type AddMsgTemplateResponse struct {
	FailList []string `json:"fail_list,omitempty"`
	MsgID    string   `json:"msgid"`
}

// AddMsgTemplate is POST externalcontact/add_msg_template. Never retried on transport errors.
func (c *Client) AddMsgTemplate(ctx context.Context, req AddMsgTemplateRequest) (*AddMsgTemplateResponse, error) {
	var resp AddMsgTemplateResponse
	if err := c.postWrite(ctx, "externalcontact/add_msg_template", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetGroupMsgListV2Request lists mass messages in a time range of at most one month.
type GetGroupMsgListV2Request struct {
	ChatType   string `json:"chat_type"`
	StartTime  int64  `json:"start_time"`
	EndTime    int64  `json:"end_time"`
	Creator    string `json:"creator,omitempty"`
	FilterType int    `json:"filter_type,omitempty"`
	Limit      int    `json:"limit,omitempty"` // ≤ 100
	Cursor     string `json:"cursor,omitempty"`
}

// GroupMsg is one mass message.
type GroupMsg struct {
	MsgID       string       `json:"msgid"`
	Creator     string       `json:"creator,omitempty"`
	CreateTime  FlexInt64    `json:"create_time"`
	CreateType  int          `json:"create_type"`
	Text        *Text        `json:"text,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// GetGroupMsgListV2Response is a page of mass messages.
type GetGroupMsgListV2Response struct {
	NextCursor   string     `json:"next_cursor"`
	GroupMsgList []GroupMsg `json:"group_msg_list"`
}

// GetGroupMsgListV2 is POST externalcontact/get_groupmsg_list_v2.
func (c *Client) GetGroupMsgListV2(ctx context.Context, req GetGroupMsgListV2Request) (*GetGroupMsgListV2Response, error) {
	var resp GetGroupMsgListV2Response
	if err := c.postRead(ctx, "externalcontact/get_groupmsg_list_v2", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetGroupMsgTaskRequest pages the per-member tasks of a mass message (limit ≤ 1000).
type GetGroupMsgTaskRequest struct {
	MsgID  string `json:"msgid"`
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// GroupMsgTask is one member's task.
type GroupMsgTask struct {
	UserID   string    `json:"userid"`
	Status   int       `json:"status"`
	SendTime FlexInt64 `json:"send_time,omitempty"`
}

// GetGroupMsgTaskResponse is a page of tasks.
type GetGroupMsgTaskResponse struct {
	NextCursor string         `json:"next_cursor"`
	TaskList   []GroupMsgTask `json:"task_list"`
}

// GetGroupMsgTask is POST externalcontact/get_groupmsg_task.
func (c *Client) GetGroupMsgTask(ctx context.Context, req GetGroupMsgTaskRequest) (*GetGroupMsgTaskResponse, error) {
	var resp GetGroupMsgTaskResponse
	if err := c.postRead(ctx, "externalcontact/get_groupmsg_task", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetGroupMsgSendResultRequest pages one member's per-recipient results (limit ≤ 1000).
type GetGroupMsgSendResultRequest struct {
	MsgID  string `json:"msgid"`
	UserID string `json:"userid"`
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// GroupMsgSendResult is one recipient (a customer, or a group for chat_type group).
type GroupMsgSendResult struct {
	ExternalUserID string    `json:"external_userid,omitempty"`
	ChatID         string    `json:"chat_id,omitempty"`
	UserID         string    `json:"userid"`
	Status         int       `json:"status"`
	SendTime       FlexInt64 `json:"send_time,omitempty"`
}

// GetGroupMsgSendResultResponse is a page of results.
type GetGroupMsgSendResultResponse struct {
	NextCursor string               `json:"next_cursor"`
	SendList   []GroupMsgSendResult `json:"send_list"`
}

// GetGroupMsgSendResult is POST externalcontact/get_groupmsg_send_result.
func (c *Client) GetGroupMsgSendResult(ctx context.Context, req GetGroupMsgSendResultRequest) (*GetGroupMsgSendResultResponse, error) {
	var resp GetGroupMsgSendResultResponse
	if err := c.postRead(ctx, "externalcontact/get_groupmsg_send_result", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// RemindGroupMsgSend re-notifies the members who have not sent yet (at most 3 times per 24 h,
// 41094 beyond).
func (c *Client) RemindGroupMsgSend(ctx context.Context, msgID string) error {
	return c.postWrite(ctx, "externalcontact/remind_groupmsg_send", map[string]string{"msgid": msgID}, nil)
}

// CancelGroupMsgSend stops a mass message for the members who have not sent yet.
func (c *Client) CancelGroupMsgSend(ctx context.Context, msgID string) error {
	return c.postWrite(ctx, "externalcontact/cancel_groupmsg_send", map[string]string{"msgid": msgID}, nil)
}
