package wecom

import (
	"context"
	"net/url"
	"strconv"
)

// User is a member of the corp directory (user/get, document 90196). Apps created after
// 2022-06-20 no longer receive mobile, gender, email and avatar; those fields are then empty.
type User struct {
	UserID         string   `json:"userid"`
	Name           string   `json:"name"`
	Department     []int64  `json:"department"`
	Order          []int64  `json:"order,omitempty"`
	Position       string   `json:"position,omitempty"`
	Mobile         string   `json:"mobile,omitempty"`
	Gender         string   `json:"gender,omitempty"` // "0" unknown, "1" male, "2" female
	Email          string   `json:"email,omitempty"`
	BizMail        string   `json:"biz_mail,omitempty"`
	IsLeaderInDept []int    `json:"is_leader_in_dept,omitempty"`
	DirectLeader   []string `json:"direct_leader,omitempty"`
	Avatar         string   `json:"avatar,omitempty"`
	ThumbAvatar    string   `json:"thumb_avatar,omitempty"`
	Telephone      string   `json:"telephone,omitempty"`
	Alias          string   `json:"alias,omitempty"`
	Address        string   `json:"address,omitempty"`
	OpenUserID     string   `json:"open_userid,omitempty"`
	MainDepartment int64    `json:"main_department,omitempty"`
	Status         int      `json:"status"` // 1 active, 2 disabled, 4 not activated, 5 left
	QRCode         string   `json:"qr_code,omitempty"`
	// ExternalPosition is the title shown to customers.
	ExternalPosition string `json:"external_position,omitempty"`
}

// GetUser reads one member (GET user/get).
func (c *Client) GetUser(ctx context.Context, userID string) (*User, error) {
	var u User
	if err := c.get(ctx, "user/get", url.Values{"userid": {userID}}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// ListUserIDsRequest pages through member ids (POST user/list_id). Limit is 1..10000.
type ListUserIDsRequest struct {
	Cursor string `json:"cursor,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// DeptUser is one member id with its department.
type DeptUser struct {
	UserID     string `json:"userid"`
	OpenUserID string `json:"open_userid,omitempty"`
	Department int64  `json:"department"`
}

// ListUserIDsResponse is a page of member ids; NextCursor is empty on the last page.
type ListUserIDsResponse struct {
	NextCursor string     `json:"next_cursor"`
	DeptUser   []DeptUser `json:"dept_user"`
}

// ListUserIDs returns a page of member ids.
func (c *Client) ListUserIDs(ctx context.Context, req ListUserIDsRequest) (*ListUserIDsResponse, error) {
	var resp ListUserIDsResponse
	if err := c.postRead(ctx, "user/list_id", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Department is a node of the org tree (department/list, document 90208).
type Department struct {
	ID               int64    `json:"id"`
	Name             string   `json:"name,omitempty"`
	NameEn           string   `json:"name_en,omitempty"`
	DepartmentLeader []string `json:"department_leader,omitempty"`
	ParentID         int64    `json:"parentid"`
	Order            int64    `json:"order"`
}

// ListDepartments returns department id and its descendants, or the whole tree visible to the
// app when id is 0 (GET department/list).
func (c *Client) ListDepartments(ctx context.Context, id int64) ([]Department, error) {
	var resp struct {
		Department []Department `json:"department"`
	}
	if err := c.get(ctx, "department/list", deptQuery(id), &resp); err != nil {
		return nil, err
	}
	return resp.Department, nil
}

// DepartmentID is an entry of department/simplelist: ids only, which apps without directory
// read permission can still get.
type DepartmentID struct {
	ID       int64 `json:"id"`
	ParentID int64 `json:"parentid"`
	Order    int64 `json:"order"`
}

// ListDepartmentIDs is GET department/simplelist.
func (c *Client) ListDepartmentIDs(ctx context.Context, id int64) ([]DepartmentID, error) {
	var resp struct {
		DepartmentID []DepartmentID `json:"department_id"`
	}
	if err := c.get(ctx, "department/simplelist", deptQuery(id), &resp); err != nil {
		return nil, err
	}
	return resp.DepartmentID, nil
}

func deptQuery(id int64) url.Values {
	if id == 0 {
		return url.Values{}
	}
	return url.Values{"id": {strconv.FormatInt(id, 10)}}
}
