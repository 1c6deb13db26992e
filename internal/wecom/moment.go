package wecom

import (
	"context"
	"net/url"
)

// Moment task states and publish statuses.
const (
	MomentTaskStarted    = 1
	MomentTaskInProgress = 2
	MomentTaskDone       = 3

	MomentNotPublished = 0
	MomentPublished    = 1
)

// MomentVisibleRange says who publishes a corp moment and which customers see it.
type MomentVisibleRange struct {
	SenderList *struct {
		UserList       []string `json:"user_list,omitempty"`
		DepartmentList []int64  `json:"department_list,omitempty"`
	} `json:"sender_list,omitempty"`
	ExternalContactList *struct {
		TagList []string `json:"tag_list,omitempty"`
	} `json:"external_contact_list,omitempty"`
}

// AddMomentTaskRequest creates a corp moment (POST externalcontact/add_moment_task). Attachments are images (≤ 9), one video or one link; media must come from the
// attachment upload. Members publish it from their client.
type AddMomentTaskRequest struct {
	Text         *Text               `json:"text,omitempty"`
	Attachments  []Attachment        `json:"attachments,omitempty"`
	VisibleRange *MomentVisibleRange `json:"visible_range,omitempty"`
}

// AddMomentTask creates the task and returns its job id (asynchronous: poll
// GetMomentTaskResult).
func (c *Client) AddMomentTask(ctx context.Context, req AddMomentTaskRequest) (string, error) {
	var resp struct {
		JobID string `json:"jobid"`
	}
	if err := c.postWrite(ctx, "externalcontact/add_moment_task", req, &resp); err != nil {
		return "", err
	}
	return resp.JobID, nil
}

// MomentTaskResult is the outcome of an add_moment_task job.
type MomentTaskResult struct {
	Status int    `json:"status"` // 1 started, 2 in progress, 3 done
	Type   string `json:"type"`
	Result struct {
		ErrCode           int    `json:"errcode"`
		ErrMsg            string `json:"errmsg"`
		MomentID          string `json:"moment_id"`
		InvalidSenderList *struct {
			UserList       []string `json:"user_list,omitempty"`
			DepartmentList []int64  `json:"department_list,omitempty"`
		} `json:"invalid_sender_list,omitempty"`
		InvalidExternalContactList *struct {
			TagList []string `json:"tag_list,omitempty"`
		} `json:"invalid_external_contact_list,omitempty"`
	} `json:"result"`
}

// GetMomentTaskResult is GET externalcontact/get_moment_task_result.
func (c *Client) GetMomentTaskResult(ctx context.Context, jobID string) (*MomentTaskResult, error) {
	var resp MomentTaskResult
	if err := c.get(ctx, "externalcontact/get_moment_task_result", url.Values{"jobid": {jobID}}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetMomentListRequest lists moments in a time range of at most one month; Limit ≤ 20.
type GetMomentListRequest struct {
	StartTime  int64  `json:"start_time"`
	EndTime    int64  `json:"end_time"`
	Creator    string `json:"creator,omitempty"`
	FilterType int    `json:"filter_type,omitempty"` // 0 corp, 1 personal, 2 all
	Cursor     string `json:"cursor,omitempty"`
	Limit      int    `json:"limit,omitempty"`
}

// Moment is one moment.
type Moment struct {
	MomentID    string    `json:"moment_id"`
	Creator     string    `json:"creator,omitempty"`
	CreateTime  FlexInt64 `json:"create_time"`
	CreateType  int       `json:"create_type"`  // 0 corp, 1 personal
	VisibleType int       `json:"visible_type"` // 0 some customers, 1 all
	Text        *Text     `json:"text,omitempty"`
	Image       []Image   `json:"image,omitempty"`
	Video       *Video    `json:"video,omitempty"`
	Link        *Link     `json:"link,omitempty"`
	Location    *struct {
		Latitude  string `json:"latitude"`
		Longitude string `json:"longitude"`
		Name      string `json:"name"`
	} `json:"location,omitempty"`
}

// GetMomentListResponse is a page of moments.
type GetMomentListResponse struct {
	NextCursor string   `json:"next_cursor"`
	MomentList []Moment `json:"moment_list"`
}

// GetMomentList is POST externalcontact/get_moment_list.
func (c *Client) GetMomentList(ctx context.Context, req GetMomentListRequest) (*GetMomentListResponse, error) {
	var resp GetMomentListResponse
	if err := c.postRead(ctx, "externalcontact/get_moment_list", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetMomentTaskRequest pages the members asked to publish a moment (limit ≤ 1000).
type GetMomentTaskRequest struct {
	MomentID string `json:"moment_id"`
	Cursor   string `json:"cursor,omitempty"`
	Limit    int    `json:"limit,omitempty"`
}

// GetMomentTaskResponse is a page of publish tasks.
type GetMomentTaskResponse struct {
	NextCursor string `json:"next_cursor"`
	TaskList   []struct {
		UserID        string `json:"userid"`
		PublishStatus int    `json:"publish_status"`
	} `json:"task_list"`
}

// GetMomentTask is POST externalcontact/get_moment_task.
func (c *Client) GetMomentTask(ctx context.Context, req GetMomentTaskRequest) (*GetMomentTaskResponse, error) {
	var resp GetMomentTaskResponse
	if err := c.postRead(ctx, "externalcontact/get_moment_task", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}
