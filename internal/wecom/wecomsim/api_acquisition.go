package wecomsim

import (
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// checkLinkRange validates who answers a link; s.mu is held.
func (s *Sim) checkLinkRange(c *apiCall, rg wecom.AcquisitionRange) error {
	if len(rg.UserList) == 0 && len(rg.DepartmentList) == 0 {
		return s.apiError(wecom.CodeInvalidParameter, "range needs user_list or department_list")
	}
	for _, id := range rg.UserList {
		if _, err := s.requireUser(c, id); err != nil {
			return err
		}
	}
	for _, id := range rg.DepartmentList {
		if s.st.depts[id] == nil {
			return s.apiError(wecom.CodeInvalidDepartmentList, "invalid department")
		}
	}
	return nil
}

func (s *Sim) apiCreateLink(c *apiCall) (any, error) {
	var req wecom.CreateAcquisitionLinkRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(req.LinkName); n == 0 || n > 30 {
		return nil, s.apiError(wecom.CodeInvalidParameter, "link_name must be 1..30 characters")
	}
	if err := s.checkLinkRange(c, req.Range); err != nil {
		return nil, err
	}
	if len(s.st.links) >= s.cfg.MaxAcquisitionLinks {
		return nil, s.apiError(wecom.CodeAcquisitionLinkLimit, "acquisition link count exceeds limit")
	}
	id := s.newID("cawcde", 10, hexset)
	l := &AcquisitionLink{AcquisitionLinkDetail: wecom.AcquisitionLinkDetail{
		Link: wecom.AcquisitionLink{LinkID: id, LinkName: req.LinkName, URL: s.cfg.BaseURL + "/sim/ca/" + id,
			CreateTime: s.now().Unix(), SkipVerify: req.SkipVerify, MarkSource: req.MarkSource},
		Range: req.Range, PriorityOption: req.PriorityOption,
	}}
	s.st.links[id] = l
	s.st.linkOrder = append(s.st.linkOrder, id)
	return map[string]any{"link": l.Link}, nil
}

func (s *Sim) apiListLinks(c *apiCall) (any, error) {
	var req struct {
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
	}
	if len(c.body) > 0 {
		if err := s.decode(c, &req); err != nil {
			return nil, err
		}
	}
	start, end, next, err := s.page(req.Cursor, req.Limit, 100, 100, len(s.st.linkOrder))
	if err != nil {
		return nil, err
	}
	return map[string]any{"link_id_list": nonNil(slices.Clone(s.st.linkOrder[start:end])), "next_cursor": next}, nil
}

type linkIDReq struct {
	LinkID string `json:"link_id"`
}

// link looks up a link for the API; the docs name no errcode for an unknown link id, the
// simulator answers 40058.
func (s *Sim) link(id string) (*AcquisitionLink, error) {
	l := s.st.links[id]
	if l == nil {
		return nil, s.apiError(wecom.CodeInvalidParameter, "invalid link_id")
	}
	return l, nil
}

func (s *Sim) apiGetLink(c *apiCall) (any, error) {
	var req linkIDReq
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	l, err := s.link(req.LinkID)
	if err != nil {
		return nil, err
	}
	return l.AcquisitionLinkDetail, nil
}

func (s *Sim) apiUpdateLink(c *apiCall) (any, error) {
	var req wecom.UpdateAcquisitionLinkRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	l, err := s.link(req.LinkID)
	if err != nil {
		return nil, err
	}
	if req.LinkName != "" {
		if utf8.RuneCountInString(req.LinkName) > 30 {
			return nil, s.apiError(wecom.CodeInvalidParameter, "link_name exceeds 30 characters")
		}
		l.Link.LinkName = req.LinkName
	}
	if req.Range != nil {
		if err := s.checkLinkRange(c, *req.Range); err != nil {
			return nil, err
		}
		l.Range = *req.Range
	}
	if req.SkipVerify != nil {
		l.Link.SkipVerify = *req.SkipVerify
	}
	if req.MarkSource != nil {
		l.Link.MarkSource = *req.MarkSource
	}
	if req.PriorityOption != nil {
		l.PriorityOption = req.PriorityOption
	}
	return nil, nil
}

func (s *Sim) apiDeleteLink(c *apiCall) (any, error) {
	var req linkIDReq
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if _, err := s.link(req.LinkID); err != nil {
		return nil, err
	}
	delete(s.st.links, req.LinkID)
	s.st.linkOrder = slices.DeleteFunc(s.st.linkOrder, func(x string) bool { return x == req.LinkID })
	return nil, nil
}

// ClickAcquisitionLink is a customer opening an acquisition link (optionally with
// ?customer_channel=…, which becomes the State of the add event) and adding the member it
// assigns: priority members first (priority_type 2), otherwise in turn.
func (s *Sim) ClickAcquisitionLink(linkID, externalUserID, customerChannel string) (*AddResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.st.links[linkID]
	if l == nil {
		return nil, fmt.Errorf("%w: acquisition link %q", ErrNotFound, linkID)
	}
	if s.st.customers[externalUserID] == nil {
		return nil, fmt.Errorf("%w: customer %q", ErrNotFound, externalUserID)
	}
	if utf8.RuneCountInString(customerChannel) > 64 {
		return nil, fmt.Errorf("%w: customer_channel exceeds 64 characters", ErrInvalid)
	}
	staff := s.members(l.Range.UserList, l.Range.DepartmentList)
	if len(staff) == 0 {
		return nil, fmt.Errorf("%w: link %q has no active member", ErrConflict, linkID)
	}
	pick := ""
	if p := l.PriorityOption; p != nil {
		switch p.PriorityType {
		case 1: // prefer a member who already has the customer
			for _, id := range staff {
				if r := s.st.rel(id, externalUserID); r != nil && r.visible() {
					pick = id
					break
				}
			}
		case 2:
			for _, id := range p.PriorityUserIDList {
				if slices.Contains(staff, id) {
					pick = id
					break
				}
			}
		}
	}
	if pick == "" {
		pick = staff[s.st.rr["link:"+linkID]%len(staff)]
		s.st.rr["link:"+linkID]++
	}
	l.Clicks++
	return s.customerAdds(pick, externalUserID, customerChannel, wecom.AddWayAcquisition, l.Link.SkipVerify)
}
