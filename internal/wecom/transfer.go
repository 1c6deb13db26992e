package wecom

import "context"

// Transfer (客户继承) statuses of transfer_result and limits.
const (
	TransferDone          = 1 // taken over
	TransferWaiting       = 2 // waiting: the customer has 24 h to refuse
	TransferRefused       = 3 // the customer refused
	TransferLimitExceeded = 4 // the takeover member has too many customers
	TransferNoRecord      = 5

	// MaxTransferCustomers caps external_userid per transfer call.
	MaxTransferCustomers = 100
)

// TransferCustomerRequest hands customers of an on-job member to another member (POST
// externalcontact/transfer_customer, document 92125). TransferSuccessMsg (≤ 200 chars) is what
// the customer is told; empty uses WeCom's default.
type TransferCustomerRequest struct {
	HandoverUserID     string   `json:"handover_userid"`
	TakeoverUserID     string   `json:"takeover_userid"`
	ExternalUserID     []string `json:"external_userid"`
	TransferSuccessMsg string   `json:"transfer_success_msg,omitempty"`
}

// TransferCustomerResponse has a per-customer errcode (0 = accepted for transfer).
type TransferCustomerResponse struct {
	Customer []struct {
		ExternalUserID string `json:"external_userid"`
		ErrCode        int    `json:"errcode"`
	} `json:"customer"`
}

// TransferCustomer is POST externalcontact/transfer_customer.
func (c *Client) TransferCustomer(ctx context.Context, req TransferCustomerRequest) (*TransferCustomerResponse, error) {
	var resp TransferCustomerResponse
	if err := c.postWrite(ctx, "externalcontact/transfer_customer", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// ResignedTransferCustomer hands customers of a member who left (POST
// externalcontact/resigned/transfer_customer). TransferSuccessMsg is ignored by WeCom here.
func (c *Client) ResignedTransferCustomer(ctx context.Context, req TransferCustomerRequest) (*TransferCustomerResponse, error) {
	req.TransferSuccessMsg = ""
	var resp TransferCustomerResponse
	if err := c.postWrite(ctx, "externalcontact/resigned/transfer_customer", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// TransferResultRequest pages the outcome of transfers between two members.
type TransferResultRequest struct {
	HandoverUserID string `json:"handover_userid"`
	TakeoverUserID string `json:"takeover_userid"`
	Cursor         string `json:"cursor,omitempty"`
}

// TransferResultResponse is a page of per-customer outcomes.
type TransferResultResponse struct {
	Customer []struct {
		ExternalUserID string `json:"external_userid"`
		Status         int    `json:"status"`
		TakeoverTime   int64  `json:"takeover_time"`
	} `json:"customer"`
	NextCursor string `json:"next_cursor"`
}

// TransferResult is POST externalcontact/transfer_result (on-job transfers).
func (c *Client) TransferResult(ctx context.Context, req TransferResultRequest) (*TransferResultResponse, error) {
	var resp TransferResultResponse
	if err := c.postRead(ctx, "externalcontact/transfer_result", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// ResignedTransferResult is POST externalcontact/resigned/transfer_result.
func (c *Client) ResignedTransferResult(ctx context.Context, req TransferResultRequest) (*TransferResultResponse, error) {
	var resp TransferResultResponse
	if err := c.postRead(ctx, "externalcontact/resigned/transfer_result", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetUnassignedListRequest pages the customers of members who left (page_size ≤ 1000).
type GetUnassignedListRequest struct {
	PageSize int    `json:"page_size,omitempty"`
	Cursor   string `json:"cursor,omitempty"`
}

// UnassignedCustomer is a customer whose member left.
type UnassignedCustomer struct {
	HandoverUserID string `json:"handover_userid"`
	ExternalUserID string `json:"external_userid"`
	DimissionTime  int64  `json:"dimission_time"`
}

// GetUnassignedListResponse is a page.
type GetUnassignedListResponse struct {
	Info       []UnassignedCustomer `json:"info"`
	IsLast     bool                 `json:"is_last"`
	NextCursor string               `json:"next_cursor"`
}

// GetUnassignedList is POST externalcontact/get_unassigned_list.
func (c *Client) GetUnassignedList(ctx context.Context, req GetUnassignedListRequest) (*GetUnassignedListResponse, error) {
	var resp GetUnassignedListResponse
	if err := c.postRead(ctx, "externalcontact/get_unassigned_list", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}
