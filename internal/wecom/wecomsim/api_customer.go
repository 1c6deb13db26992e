package wecomsim

import (
	"slices"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

func (s *Sim) apiFollowUserList(c *apiCall) (any, error) {
	out := []string{}
	for _, id := range s.st.userOrder {
		u := s.st.users[id]
		if u.Status == StaffActive && u.CustomerContact && visibleTo(c.app, id) {
			out = append(out, id)
		}
	}
	return map[string]any{"follow_user": out}, nil
}

// requireUser checks a member id given to an API: present (41009), existing (60111), visible
// to the app (60011).
func (s *Sim) requireUser(c *apiCall, id string) (*Staff, error) {
	if id == "" {
		return nil, s.apiError(wecom.CodeMissingUserID, "userid missing")
	}
	u := s.st.activeUser(id)
	if u == nil {
		return nil, s.apiError(wecom.CodeUserIDNotFound, "userid not found: "+id)
	}
	if !visibleTo(c.app, id) {
		return nil, s.apiError(wecom.CodeNoPrivilege, "no privilege to access/modify contact/party/agent")
	}
	return u, nil
}

// requireRelation checks a (member, customer) pair given to an API.
func (s *Sim) requireRelation(c *apiCall, userID, externalUserID string) (*Relation, error) {
	if _, err := s.requireUser(c, userID); err != nil {
		return nil, err
	}
	if externalUserID == "" {
		return nil, s.apiError(wecom.CodeMissingExternalUserID, "external_userid missing")
	}
	if s.st.customers[externalUserID] == nil {
		return nil, s.apiError(wecom.CodeInvalidExternalUserID, "invalid external userid")
	}
	r := s.st.rel(userID, externalUserID)
	if r == nil || !r.visible() {
		return nil, s.apiError(wecom.CodeNoRelation, "not external contact")
	}
	return r, nil
}

func (s *Sim) apiExternalList(c *apiCall) (any, error) {
	id := c.q.Get("userid")
	if _, err := s.requireUser(c, id); err != nil {
		return nil, err
	}
	out := []string{}
	for _, k := range s.st.relOrder {
		if r := s.st.rels[k]; k.userID == id && r.visible() {
			out = append(out, k.externalUserID)
		}
	}
	if len(out) == 0 {
		// WeCom answers 84061 for a member without customers.
		return nil, s.apiError(wecom.CodeNoRelation, "not external contact")
	}
	return map[string]any{"external_userid": out}, nil
}

func (s *Sim) wireCustomer(cu *Customer) wecom.ExternalContact {
	return wecom.ExternalContact{
		ExternalUserID: cu.ExternalUserID, Name: cu.Name, Type: cu.Type, Gender: cu.Gender, UnionID: cu.UnionID,
		Avatar: cu.Avatar, CorpName: cu.CorpName, Position: cu.Position,
	}
}

func (s *Sim) wireFollowUser(r *Relation) wecom.FollowUser {
	fu := wecom.FollowUser{
		UserID: r.UserID, Remark: r.Remark, Description: r.Description, CreateTime: r.CreateTime,
		RemarkCorpName: r.RemarkCorpName, OperUserID: r.OperUserID,
		AddWay: r.AddWay, State: r.State, Tags: []wecom.FollowUserTag{}, RemarkMobiles: nonNil(r.RemarkMobiles),
	}
	for _, id := range r.TagIDs {
		if t := s.st.tags[id]; t != nil {
			fu.Tags = append(fu.Tags, wecom.FollowUserTag{GroupName: s.st.tagGroups[t.GroupID].GroupName, TagName: t.Name, TagID: t.ID, Type: 1})
		}
	}
	return fu
}

func (s *Sim) apiExternalGet(c *apiCall) (any, error) {
	id := c.q.Get("external_userid")
	if id == "" {
		return nil, s.apiError(wecom.CodeMissingExternalUserID, "external_userid missing")
	}
	cu := s.st.customers[id]
	if cu == nil {
		return nil, s.apiError(wecom.CodeInvalidExternalUserID, "invalid external userid")
	}
	var follow []wecom.FollowUser
	for _, k := range s.st.relsByCustomer[id] {
		r := s.st.rels[k]
		if r.visible() && s.st.activeUser(k.userID) != nil && visibleTo(c.app, k.userID) {
			follow = append(follow, s.wireFollowUser(r))
		}
	}
	if len(follow) == 0 {
		return nil, s.apiError(wecom.CodeNoRelation, "not external contact")
	}
	// Followers page at 500, as on the real server.
	start, end, next, err := s.page(c.q.Get("cursor"), 500, 500, 500, len(follow))
	if err != nil {
		return nil, err
	}
	return wecom.GetExternalContactResponse{ExternalContact: s.wireCustomer(cu), FollowUser: follow[start:end], NextCursor: next}, nil
}

func (s *Sim) apiBatchGetByUser(c *apiCall) (any, error) {
	var req wecom.BatchGetByUserRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if len(req.UserIDList) == 0 || len(req.UserIDList) > 100 {
		return nil, s.apiError(wecom.CodeInvalidParameter, "userid_list must hold 1..100 userids")
	}
	for _, id := range req.UserIDList {
		if _, err := s.requireUser(c, id); err != nil {
			return nil, err
		}
	}
	var all []wecom.ExternalContactWithFollow
	for _, k := range s.st.relOrder {
		r := s.st.rels[k]
		if !r.visible() || !slices.Contains(req.UserIDList, k.userID) {
			continue
		}
		fu := s.wireFollowUser(r)
		fi := wecom.FollowInfo{
			UserID: fu.UserID, Remark: fu.Remark, Description: fu.Description, CreateTime: fu.CreateTime,
			TagID: nonNil(slices.Clone(r.TagIDs)), RemarkCorpName: fu.RemarkCorpName, RemarkMobiles: fu.RemarkMobiles,
			OperUserID: fu.OperUserID, AddWay: fu.AddWay, State: fu.State,
		}
		all = append(all, wecom.ExternalContactWithFollow{ExternalContact: s.wireCustomer(s.st.customers[k.externalUserID]), FollowInfo: fi})
	}
	start, end, next, err := s.page(req.Cursor, req.Limit, 50, 100, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"external_contact_list": nonNil(all[start:end]), "next_cursor": next}, nil
}

func (s *Sim) apiRemark(c *apiCall) (any, error) {
	var req wecom.RemarkRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	r, err := s.requireRelation(c, req.UserID, req.ExternalUserID)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(req.Remark) > 20 || utf8.RuneCountInString(req.Description) > 150 || utf8.RuneCountInString(req.RemarkCompany) > 20 {
		return nil, s.apiError(wecom.CodeInvalidParameter, "remark ≤ 20, description ≤ 150, remark_company ≤ 20 characters")
	}
	if req.Remark == "" && req.Description == "" && req.RemarkCompany == "" && req.RemarkMobiles == nil && req.RemarkPicMediaID == "" {
		return nil, s.apiError(wecom.CodeInvalidParameter, "remark, description, remark_company, remark_mobiles and remark_pic_mediaid cannot all be empty")
	}
	if req.Remark != "" {
		r.Remark = req.Remark
	}
	if req.Description != "" {
		r.Description = req.Description
	}
	if req.RemarkCompany != "" {
		r.RemarkCorpName = req.RemarkCompany
	}
	if req.RemarkMobiles != nil {
		r.RemarkMobiles = slices.DeleteFunc(slices.Clone(req.RemarkMobiles), func(m string) bool { return m == "" })
	}
	return nil, nil
}

// --- corp tags ---

// maxCorpTags is the corp-wide tag cap (40126).
const maxCorpTags = 3000

func (s *Sim) wireTagGroup(g *TagGroup, only map[string]bool) wecom.TagGroup {
	out := wecom.TagGroup{GroupID: g.GroupID, GroupName: g.GroupName, CreateTime: g.CreateTime, Order: g.Order, Tag: []wecom.CorpTag{}}
	for _, id := range g.TagIDs {
		if only != nil && !only[id] {
			continue
		}
		t := s.st.tags[id]
		out.Tag = append(out.Tag, wecom.CorpTag{ID: t.ID, Name: t.Name, CreateTime: t.CreateTime, Order: t.Order})
	}
	return out
}

func (s *Sim) apiGetCorpTagList(c *apiCall) (any, error) {
	var req wecom.GetCorpTagListRequest
	if len(c.body) > 0 {
		if err := s.decode(c, &req); err != nil {
			return nil, err
		}
	}
	out := []wecom.TagGroup{}
	switch {
	case len(req.TagID) > 0:
		only := map[string]bool{}
		for _, id := range req.TagID {
			only[id] = true
		}
		for _, gid := range s.st.groupOrder {
			if g := s.wireTagGroup(s.st.tagGroups[gid], only); len(g.Tag) > 0 {
				out = append(out, g)
			}
		}
	case len(req.GroupID) > 0:
		for _, gid := range s.st.groupOrder {
			if slices.Contains(req.GroupID, gid) {
				out = append(out, s.wireTagGroup(s.st.tagGroups[gid], nil))
			}
		}
	default:
		for _, gid := range s.st.groupOrder {
			out = append(out, s.wireTagGroup(s.st.tagGroups[gid], nil))
		}
	}
	return map[string]any{"tag_group": out}, nil
}

// addTags creates tags in a group (creating the group when groupID is empty); it is shared by
// the API and by the admin console of the control API. s.mu is held.
func (s *Sim) addTags(groupID, groupName string, order uint32, tags []wecom.NewTag) (*TagGroup, []string, bool, error) {
	var g *TagGroup
	newGroup := false
	switch {
	case groupID != "":
		if g = s.st.tagGroups[groupID]; g == nil {
			return nil, nil, false, s.apiError(wecom.CodeInvalidTagID, "invalid tag group id")
		}
	case groupName != "":
		for _, id := range s.st.groupOrder {
			if s.st.tagGroups[id].GroupName == groupName {
				g = s.st.tagGroups[id]
			}
		}
		if utf8.RuneCountInString(groupName) > 30 {
			return nil, nil, false, s.apiError(wecom.CodeInvalidTagNameLen, "group_name longer than 30 characters")
		}
	default:
		return nil, nil, false, s.apiError(wecom.CodeInvalidParameter, "group_id or group_name required")
	}
	if len(tags) == 0 {
		return nil, nil, false, s.apiError(wecom.CodeInvalidParameter, "tag list empty")
	}
	if len(s.st.tags)+len(tags) > maxCorpTags {
		return nil, nil, false, s.apiError(wecom.CodeCorpTagLimit, "corp tag count exceeds 3000")
	}
	seen := map[string]bool{}
	if g != nil {
		for _, id := range g.TagIDs {
			seen[s.st.tags[id].Name] = true
		}
	}
	for _, t := range tags {
		n := utf8.RuneCountInString(t.Name)
		if n == 0 || n > 30 {
			return nil, nil, false, s.apiError(wecom.CodeInvalidTagNameLen, "tag name must be 1..30 characters")
		}
		if seen[t.Name] {
			return nil, nil, false, s.apiError(wecom.CodeTagNameExists, "tag name exists: "+t.Name)
		}
		seen[t.Name] = true
	}
	now := s.now().Unix()
	if g == nil {
		g = &TagGroup{GroupID: s.newID("et", 28, alnum), GroupName: groupName, CreateTime: now, Order: order}
		s.st.tagGroups[g.GroupID] = g
		s.st.groupOrder = append(s.st.groupOrder, g.GroupID)
		newGroup = true
	}
	var ids []string
	for _, t := range tags {
		tag := &Tag{ID: s.newID("et", 28, alnum), Name: t.Name, GroupID: g.GroupID, CreateTime: now, Order: t.Order}
		s.st.tags[tag.ID] = tag
		g.TagIDs = append(g.TagIDs, tag.ID)
		ids = append(ids, tag.ID)
	}
	return g, ids, newGroup, nil
}

func (s *Sim) apiAddCorpTag(c *apiCall) (any, error) {
	var req wecom.AddCorpTagRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	g, ids, _, err := s.addTags(req.GroupID, req.GroupName, req.Order, req.Tag)
	if err != nil {
		return nil, err
	}
	only := map[string]bool{}
	for _, id := range ids {
		only[id] = true
	}
	return map[string]any{"tag_group": s.wireTagGroup(g, only)}, nil
}

func (s *Sim) apiEditCorpTag(c *apiCall) (any, error) {
	var req wecom.EditCorpTagRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(req.Name) > 30 {
		return nil, s.apiError(wecom.CodeInvalidTagNameLen, "name longer than 30 characters")
	}
	if t := s.st.tags[req.ID]; t != nil {
		if req.Name != "" {
			t.Name = req.Name
		}
		if req.Order != nil {
			t.Order = *req.Order
		}
		return nil, nil
	}
	if g := s.st.tagGroups[req.ID]; g != nil {
		if req.Name != "" {
			g.GroupName = req.Name
		}
		if req.Order != nil {
			g.Order = *req.Order
		}
		return nil, nil
	}
	return nil, s.apiError(wecom.CodeInvalidTagID, "invalid tag id")
}

// deleteTag removes a tag everywhere; a group left empty goes too. s.mu is held.
func (s *Sim) deleteTag(id string) {
	t := s.st.tags[id]
	if t == nil {
		return
	}
	g := s.st.tagGroups[t.GroupID]
	g.TagIDs = slices.DeleteFunc(g.TagIDs, func(x string) bool { return x == id })
	s.dropTag(id)
	if len(g.TagIDs) == 0 {
		s.deleteTagGroup(g.GroupID)
	}
}

// deleteTagGroup removes a group and its tags. s.mu is held.
func (s *Sim) deleteTagGroup(id string) {
	g := s.st.tagGroups[id]
	if g == nil {
		return
	}
	delete(s.st.tagGroups, id)
	s.st.groupOrder = slices.DeleteFunc(s.st.groupOrder, func(x string) bool { return x == id })
	for _, tid := range g.TagIDs {
		s.dropTag(tid)
	}
}

// dropTag forgets a tag and takes it off every relation.
func (s *Sim) dropTag(id string) {
	delete(s.st.tags, id)
	for _, r := range s.st.rels {
		r.TagIDs = slices.DeleteFunc(r.TagIDs, func(x string) bool { return x == id })
	}
}

func (s *Sim) apiDelCorpTag(c *apiCall) (any, error) {
	var req wecom.DelCorpTagRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if len(req.TagID) == 0 && len(req.GroupID) == 0 {
		return nil, s.apiError(wecom.CodeInvalidParameter, "tag_id and group_id cannot both be empty")
	}
	for _, id := range req.TagID {
		if s.st.tags[id] == nil {
			return nil, s.apiError(wecom.CodeInvalidTagID, "invalid tag id "+id)
		}
	}
	for _, id := range req.GroupID {
		if s.st.tagGroups[id] == nil {
			return nil, s.apiError(wecom.CodeInvalidTagID, "invalid tag group id "+id)
		}
	}
	for _, id := range req.TagID {
		s.deleteTag(id)
	}
	for _, id := range req.GroupID {
		s.deleteTagGroup(id)
	}
	return nil, nil
}

// markTags applies tag changes to a relation; s.mu is held.
func (s *Sim) markTags(r *Relation, add, remove []string) error {
	for _, id := range append(slices.Clone(add), remove...) {
		if s.st.tags[id] == nil {
			return s.apiError(wecom.CodeInvalidTagID, "invalid tag id "+id)
		}
	}
	for _, id := range add {
		if !slices.Contains(r.TagIDs, id) {
			r.TagIDs = append(r.TagIDs, id)
		}
	}
	r.TagIDs = slices.DeleteFunc(r.TagIDs, func(x string) bool { return slices.Contains(remove, x) })
	return nil
}

func (s *Sim) apiMarkTag(c *apiCall) (any, error) {
	var req wecom.MarkTagRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	r, err := s.requireRelation(c, req.UserID, req.ExternalUserID)
	if err != nil {
		return nil, err
	}
	if len(req.AddTag) == 0 && len(req.RemoveTag) == 0 {
		return nil, s.apiError(wecom.CodeInvalidParameter, "add_tag and remove_tag cannot both be empty")
	}
	return nil, s.markTags(r, req.AddTag, req.RemoveTag)
}
