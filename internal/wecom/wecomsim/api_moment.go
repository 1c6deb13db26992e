package wecomsim

import (
	"fmt"
	"slices"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// checkMomentAttachments: up to 9 images, or one video, or one link (客户朋友圈 企业发表内容到客户的朋友圈).
func (s *Sim) checkMomentAttachments(atts []wecom.Attachment) error {
	images, others := 0, 0
	for _, a := range atts {
		switch {
		case a.MsgType == wecom.MsgTypeImage && a.Image != nil && a.Image.MediaID != "":
			images++
		case a.MsgType == wecom.MsgTypeVideo && a.Video != nil && a.Video.MediaID != "":
			others++
		case a.MsgType == wecom.MsgTypeLink && a.Link != nil && a.Link.URL != "" && a.Link.MediaID != "":
			others++
		default:
			return s.apiError(wecom.CodeInvalidAttachmentType, "moments take image, video or link (with media_id) attachments")
		}
	}
	switch {
	case images > wecom.MaxAttachments:
		return s.apiError(wecom.CodeTooManyAttachments, "at most 9 images")
	case others > 1 || (others == 1 && images > 0):
		return s.apiError(wecom.CodeInvalidAttachmentType, "a moment has images, or one video, or one link")
	}
	return s.checkMedia(atts)
}

// apiAddMomentTask creates the moment at once; its job result is ready on the first poll.
// Senders outside the directory and unknown tags are reported as invalid in the result, as on
// the real server.
func (s *Sim) apiAddMomentTask(c *apiCall) (any, error) {
	var req wecom.AddMomentTaskRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if (req.Text == nil || req.Text.Content == "") && len(req.Attachments) == 0 {
		return nil, s.apiError(wecom.CodeEmptyMoment, "text and attachments cannot both be empty")
	}
	if err := s.checkMomentAttachments(req.Attachments); err != nil {
		return nil, err
	}
	m := &Moment{MomentID: s.newID("mom", 29, alnum), JobID: s.newID("job", 29, alnum), CreateTime: s.now().Unix(),
		VisibleType: 1, Text: req.Text, Attachments: req.Attachments}
	var senders []string
	if vr := req.VisibleRange; vr != nil && vr.SenderList != nil {
		for _, id := range vr.SenderList.UserList {
			if u := s.st.activeUser(id); u != nil && u.CustomerContact {
				senders = append(senders, id)
			} else {
				m.InvalidUser = append(m.InvalidUser, id)
			}
		}
		senders = append(senders, s.st.deptMembers(vr.SenderList.DepartmentList)...)
	}
	if vr := req.VisibleRange; vr != nil && vr.ExternalContactList != nil {
		for _, id := range vr.ExternalContactList.TagList {
			if s.st.tags[id] != nil {
				m.TagList = append(m.TagList, id)
			} else {
				m.InvalidTags = append(m.InvalidTags, id)
			}
		}
		if len(vr.ExternalContactList.TagList) > 0 {
			m.VisibleType = 0
		}
	}
	if req.VisibleRange == nil || req.VisibleRange.SenderList == nil {
		senders = s.members(nil, []int64{1})
	}
	for _, id := range uniq(senders) {
		if u := s.st.activeUser(id); u != nil && u.CustomerContact {
			m.Tasks = append(m.Tasks, &MomentTask{UserID: id})
		}
	}
	s.st.moments[m.MomentID] = m
	s.st.momentOrder = append(s.st.momentOrder, m.MomentID)
	s.st.momentJobs[m.JobID] = m
	return map[string]any{"jobid": m.JobID}, nil
}

func (s *Sim) apiMomentTaskResult(c *apiCall) (any, error) {
	id := c.q.Get("jobid")
	m := s.st.momentJobs[id]
	if m == nil {
		return nil, s.apiError(wecom.CodeJobIDNotFound, "jobid not found")
	}
	var res wecom.MomentTaskResult
	res.Status, res.Type = wecom.MomentTaskDone, "add_moment_task"
	res.Result.ErrMsg, res.Result.MomentID = "ok", m.MomentID
	if len(m.InvalidUser) > 0 {
		res.Result.InvalidSenderList = &struct {
			UserList       []string `json:"user_list,omitempty"`
			DepartmentList []int64  `json:"department_list,omitempty"`
		}{UserList: m.InvalidUser}
	}
	if len(m.InvalidTags) > 0 {
		res.Result.InvalidExternalContactList = &struct {
			TagList []string `json:"tag_list,omitempty"`
		}{TagList: m.InvalidTags}
	}
	return res, nil
}

func (s *Sim) apiMomentList(c *apiCall) (any, error) {
	var req wecom.GetMomentListRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if req.StartTime == 0 || req.EndTime < req.StartTime || req.EndTime-req.StartTime > 31*86400 {
		return nil, s.apiError(wecom.CodeInvalidParameter, "start_time and end_time must span at most one month")
	}
	var all []wecom.Moment
	for _, id := range s.st.momentOrder {
		m := s.st.moments[id]
		// Corp moments (create_type 0) have no creator; personal moments are not simulated.
		if m.CreateTime < req.StartTime || m.CreateTime > req.EndTime || req.FilterType == 1 || req.Creator != "" {
			continue
		}
		w := wecom.Moment{MomentID: m.MomentID, CreateTime: wecom.FlexInt64(m.CreateTime), CreateType: 0, VisibleType: m.VisibleType, Text: m.Text}
		for _, a := range m.Attachments {
			switch {
			case a.Image != nil:
				w.Image = append(w.Image, wecom.Image{MediaID: a.Image.MediaID})
			case a.Video != nil:
				w.Video = &wecom.Video{MediaID: a.Video.MediaID, ThumbMediaID: a.Video.ThumbMediaID}
			case a.Link != nil:
				w.Link = &wecom.Link{Title: a.Link.Title, URL: a.Link.URL}
			}
		}
		all = append(all, w)
	}
	start, end, next, err := s.page(req.Cursor, req.Limit, 20, 20, len(all))
	if err != nil {
		return nil, err
	}
	return wecom.GetMomentListResponse{NextCursor: next, MomentList: nonNil(all[start:end])}, nil
}

func (s *Sim) apiMomentTask(c *apiCall) (any, error) {
	var req wecom.GetMomentTaskRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if req.MomentID == "" {
		return nil, s.apiError(wecom.CodeMissingMomentID, "moment_id missing")
	}
	m := s.st.moments[req.MomentID]
	if m == nil {
		return nil, s.apiError(wecom.CodeInvalidMomentID, "invalid moment_id")
	}
	start, end, next, err := s.page(req.Cursor, req.Limit, 500, 1000, len(m.Tasks))
	if err != nil {
		return nil, err
	}
	type task struct {
		UserID        string `json:"userid"`
		PublishStatus int    `json:"publish_status"`
	}
	out := []task{}
	for _, t := range m.Tasks[start:end] {
		out = append(out, task{t.UserID, t.PublishStatus})
	}
	return map[string]any{"next_cursor": next, "task_list": out}, nil
}

// PublishMoment is a member publishing a corp moment from the client.
func (s *Sim) PublishMoment(momentID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.moments[momentID]
	if m == nil {
		return fmt.Errorf("%w: moment %q", ErrNotFound, momentID)
	}
	i := slices.IndexFunc(m.Tasks, func(t *MomentTask) bool { return t.UserID == userID })
	if i < 0 {
		return fmt.Errorf("%w: %q has no task for moment %q", ErrNotFound, userID, momentID)
	}
	if m.Tasks[i].PublishStatus == wecom.MomentPublished {
		return fmt.Errorf("%w: %q already published %q", ErrConflict, userID, momentID)
	}
	m.Tasks[i].PublishStatus = wecom.MomentPublished
	return nil
}
