package wecom

import "context"

// App message (应用消息) limits and errcodes of message/send (document 90236).
const (
	// MaxMessageRecipients caps the userids in touser ("a|b|c").
	MaxMessageRecipients = 1000
	// MaxTextMessageBytes caps a text message's content (2048 bytes, UTF-8).
	MaxTextMessageBytes = 2048

	CodeInvalidAgentID       = 40056
	CodeMissingAgentID       = 41011
	CodeAllRecipientsInvalid = 81013
)

// SendMessageRequest sends an app message to members (POST message/send). ToUser joins userids
// with "|" ("@all" for everyone in the app's visible range); AgentID is the app whose token the
// client holds. Only text messages are modelled.
type SendMessageRequest struct {
	ToUser  string `json:"touser,omitempty"`
	ToParty string `json:"toparty,omitempty"`
	ToTag   string `json:"totag,omitempty"`
	MsgType string `json:"msgtype"`
	AgentID int64  `json:"agentid"`
	Text    *Text  `json:"text,omitempty"`
	// EnableDuplicateCheck makes WeCom drop a repeat of the same content within
	// DuplicateCheckInterval seconds (default 1800).
	EnableDuplicateCheck   int `json:"enable_duplicate_check,omitempty"`
	DuplicateCheckInterval int `json:"duplicate_check_interval,omitempty"`
}

// SendMessageResponse names the recipients WeCom could not reach ("a|b") and the message id.
// A message is accepted (errcode 0) when at least one recipient is valid; WeCom answers 81013
// when none is.
type SendMessageResponse struct {
	InvalidUser  string `json:"invaliduser,omitempty"`
	InvalidParty string `json:"invalidparty,omitempty"`
	InvalidTag   string `json:"invalidtag,omitempty"`
	MsgID        string `json:"msgid"`
}

// SendMessage is POST message/send. It needs the token of a self-built app (its secret, not the
// customer-contact secret). It is never retried on transport errors: a message must not arrive
// twice.
func (c *Client) SendMessage(ctx context.Context, req SendMessageRequest) (*SendMessageResponse, error) {
	var resp SendMessageResponse
	if err := c.postWrite(ctx, "message/send", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}
