package wecomsim

import (
	"fmt"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// A transferred customer has 24 hours to refuse; then the takeover completes by itself
// (客户继承; the 24-hour window is from the transfer documentation).
const transferWindow = 24 * time.Hour

func (s *Sim) apiTransferCustomer(c *apiCall) (any, error) { return s.transferCustomers(c, false) }
func (s *Sim) apiResignedTransferCustomer(c *apiCall) (any, error) {
	return s.transferCustomers(c, true)
}

func (s *Sim) transferCustomers(c *apiCall, resigned bool) (any, error) {
	var req wecom.TransferCustomerRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	s.settleTransfers()
	if req.HandoverUserID == "" || req.TakeoverUserID == "" {
		return nil, s.apiError(wecom.CodeMissingUserID, "handover_userid and takeover_userid are required")
	}
	if resigned {
		u := s.st.users[req.HandoverUserID]
		switch {
		case u == nil:
			return nil, s.apiError(wecom.CodeUserIDNotFound, "handover_userid not found")
		case u.Status == StaffActive:
			return nil, s.apiError(wecom.CodeNotResigned, "handover member has not left")
		}
	} else if _, err := s.requireUser(c, req.HandoverUserID); err != nil {
		return nil, err
	}
	if _, err := s.requireUser(c, req.TakeoverUserID); err != nil {
		return nil, err
	}
	if req.HandoverUserID == req.TakeoverUserID {
		return nil, s.apiError(wecom.CodeSameHandoverTakeover, "handover and takeover are the same")
	}
	switch {
	case len(req.ExternalUserID) == 0:
		return nil, s.apiError(wecom.CodeMissingExternalUserID, "external_userid missing")
	case len(req.ExternalUserID) > wecom.MaxTransferCustomers:
		return nil, s.apiError(wecom.CodeInvalidParameter, "external_userid holds at most 100 customers")
	case len([]rune(req.TransferSuccessMsg)) > 200:
		return nil, s.apiError(wecom.CodeInvalidParameter, "transfer_success_msg exceeds 200 characters")
	}
	type result struct {
		ExternalUserID string `json:"external_userid"`
		ErrCode        int    `json:"errcode"`
	}
	now := s.now()
	out := []result{}
	for _, ext := range req.ExternalUserID {
		code := s.transferCheck(req.HandoverUserID, ext, resigned, now)
		if code == 0 {
			s.st.transfers = append(s.st.transfers, &Transfer{Resigned: resigned, HandoverUserID: req.HandoverUserID,
				TakeoverUserID: req.TakeoverUserID, ExternalUserID: ext, Status: wecom.TransferWaiting, StartedAt: now.Unix(),
				Message: req.TransferSuccessMsg})
		}
		out = append(out, result{ext, code})
	}
	return map[string]any{"customer": out}, nil
}

// transferCheck returns the per-customer errcode of a transfer (0 = accepted).
func (s *Sim) transferCheck(handover, ext string, resigned bool, now time.Time) int {
	if s.st.customers[ext] == nil {
		return wecom.CodeInvalidExternalUserID
	}
	if r := s.st.rel(handover, ext); r == nil || !r.visible() {
		return wecom.CodeHandoverNotFollower
	}
	recent := 0
	for _, t := range s.st.transfers {
		if t.ExternalUserID != ext {
			continue
		}
		if t.Status == wecom.TransferWaiting {
			return wecom.CodeCustomerInTransfer
		}
		if !t.Resigned && t.Status == wecom.TransferDone && now.Unix()-t.StartedAt < 90*86400 {
			recent++
		}
	}
	// An on-job member's customer may be transferred twice in 90 days.
	if !resigned && recent >= 2 {
		return wecom.CodeTransferTooFrequent
	}
	return 0
}

// settleTransfers completes the waiting transfers whose refusal window has passed; s.mu is
// held. It runs lazily, whenever transfers are read or time moves.
func (s *Sim) settleTransfers() {
	now := s.now()
	for _, t := range s.st.transfers {
		if t.Status == wecom.TransferWaiting && now.Sub(time.Unix(t.StartedAt, 0)) >= transferWindow {
			s.completeTransfer(t)
		}
	}
}

// completeTransfer moves the customer to the takeover member: the handover's relation ends
// (del_external_contact with Source DELETE_BY_TRANSFER, for on-job transfers) and the takeover
// gets it (add_external_contact without welcome code). Over MaxCustomersPerStaff the transfer
// fails with customer_limit_exceed. s.mu is held.
func (s *Sim) completeTransfer(t *Transfer) {
	now := s.now().Unix()
	if max := s.cfg.MaxCustomersPerStaff; max > 0 {
		n := 0
		for k, r := range s.st.rels {
			if k.userID == t.TakeoverUserID && r.Status == RelActive {
				n++
			}
		}
		if n >= max {
			t.Status = wecom.TransferLimitExceeded
			s.emit(wecom.EventChangeExternalContact, wecom.ChangeTransferFail, f("FailReason", wecom.FailReasonCustomerLimitExceed),
				f("UserID", t.TakeoverUserID), f("ExternalUserID", t.ExternalUserID))
			return
		}
	}
	old := s.st.rel(t.HandoverUserID, t.ExternalUserID)
	if old != nil && old.visible() {
		old.Status = RelDeletedByStaff
		if !t.Resigned {
			s.emitContact(wecom.ChangeDelExternalContact, old, f("Source", wecom.SourceDeleteByTransfer))
		}
	}
	r := s.st.rel(t.TakeoverUserID, t.ExternalUserID)
	if r == nil || !r.visible() {
		r = &Relation{UserID: t.TakeoverUserID, ExternalUserID: t.ExternalUserID}
		if old != nil {
			r.Remark, r.Description, r.TagIDs, r.State = old.Remark, old.Description, old.TagIDs, old.State
		}
		s.st.putRel(r)
	}
	r.Status, r.AddWay, r.OperUserID, r.CreateTime, r.WelcomeCodeUsed = RelActive, wecom.AddWayAssigned, t.HandoverUserID, now, true
	s.emitContact(wecom.ChangeAddExternalContact, r, f("State", r.State))
	t.Status, t.TakeoverTime = wecom.TransferDone, now
}

// RespondTransfer is the customer answering a transfer within its 24 hours: accept completes
// it now, refuse fails it (status 3) and emits transfer_fail with customer_refused.
func (s *Sim) RespondTransfer(externalUserID, takeoverUserID string, accept bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleTransfers()
	for _, t := range s.st.transfers {
		if t.ExternalUserID != externalUserID || t.Status != wecom.TransferWaiting ||
			(takeoverUserID != "" && t.TakeoverUserID != takeoverUserID) {
			continue
		}
		if accept {
			s.completeTransfer(t)
			return nil
		}
		t.Status = wecom.TransferRefused
		s.emit(wecom.EventChangeExternalContact, wecom.ChangeTransferFail, f("FailReason", wecom.FailReasonCustomerRefused),
			f("UserID", t.TakeoverUserID), f("ExternalUserID", t.ExternalUserID))
		return nil
	}
	return fmt.Errorf("%w: no waiting transfer of %q", ErrNotFound, externalUserID)
}

func (s *Sim) apiTransferResult(c *apiCall) (any, error)         { return s.transferResult(c, false) }
func (s *Sim) apiResignedTransferResult(c *apiCall) (any, error) { return s.transferResult(c, true) }

func (s *Sim) transferResult(c *apiCall, resigned bool) (any, error) {
	var req wecom.TransferResultRequest
	if err := s.decode(c, &req); err != nil {
		return nil, err
	}
	if req.HandoverUserID == "" || req.TakeoverUserID == "" {
		return nil, s.apiError(wecom.CodeMissingUserID, "handover_userid and takeover_userid are required")
	}
	s.settleTransfers()
	type item struct {
		ExternalUserID string `json:"external_userid"`
		Status         int    `json:"status"`
		TakeoverTime   int64  `json:"takeover_time"`
	}
	var all []item
	for _, t := range s.st.transfers {
		if t.Resigned == resigned && t.HandoverUserID == req.HandoverUserID && t.TakeoverUserID == req.TakeoverUserID {
			all = append(all, item{t.ExternalUserID, t.Status, t.TakeoverTime})
		}
	}
	start, end, next, err := s.page(req.Cursor, 1000, 1000, 1000, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"customer": nonNil(all[start:end]), "next_cursor": next}, nil
}

func (s *Sim) apiUnassignedList(c *apiCall) (any, error) {
	var req wecom.GetUnassignedListRequest
	if len(c.body) > 0 {
		if err := s.decode(c, &req); err != nil {
			return nil, err
		}
	}
	s.settleTransfers()
	var all []wecom.UnassignedCustomer
	for _, k := range s.st.relOrder {
		u, r := s.st.users[k.userID], s.st.rels[k]
		if u == nil || u.Status != StaffResigned || !r.visible() || s.transferring(k.userID, k.externalUserID) {
			continue
		}
		all = append(all, wecom.UnassignedCustomer{HandoverUserID: k.userID, ExternalUserID: k.externalUserID, DimissionTime: u.ResignedAt})
	}
	start, end, next, err := s.page(req.Cursor, req.PageSize, 1000, 1000, len(all))
	if err != nil {
		return nil, err
	}
	return wecom.GetUnassignedListResponse{Info: nonNil(all[start:end]), IsLast: next == "", NextCursor: next}, nil
}

// transferring reports whether the pair's customer is waiting in a transfer from that member.
func (s *Sim) transferring(handover, ext string) bool {
	for _, t := range s.st.transfers {
		if t.HandoverUserID == handover && t.ExternalUserID == ext && t.Status == wecom.TransferWaiting {
			return true
		}
	}
	return false
}
