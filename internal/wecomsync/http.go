package wecomsync

import (
	"net/http"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Routes lists the WeCom sync API.
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/wecom/status", Perm: org.PermSettingsRead, Tag: "wecom",
			Summary: "Callback and event-processing status with the latest errors", Response: Status{}, Handler: s.handleStatus},
		{Method: "GET", Path: "/api/v1/wecom/sync-runs", Perm: org.PermSettingsRead, Tag: "wecom",
			Summary: "The latest full syncs, newest first", Response: SyncRunList{}, Handler: s.handleSyncRuns},
		{Method: "POST", Path: "/api/v1/wecom/sync-runs", Perm: org.PermSettingsWrite, Tag: "wecom",
			Summary: "Start a full sync of staff, departments, tags, customers and groups (409 while one runs)",
			Request: StartSyncInput{}, Response: SyncRun{}, Status: 201, Handler: s.handleStartSync},
	}
}

// StartSyncInput starts a sync; it has no options yet.
type StartSyncInput struct{}

func (s *Service) handleSyncRuns(w http.ResponseWriter, r *http.Request) error {
	c, err := org.RequireCaller(r.Context())
	if err != nil {
		return err
	}
	v, err := s.SyncRuns(r.Context(), c.TenantID)
	return httpx.Reply(w, http.StatusOK, v, err)
}

func (s *Service) handleStartSync(w http.ResponseWriter, r *http.Request) error {
	var in StartSyncInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	v, err := s.StartManualSync(r.Context())
	return httpx.Reply(w, http.StatusCreated, v, err)
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"sync_running":         {Zh: "已有全量同步在进行中", En: "A full sync is already running"},
		"wecom_not_configured": {Zh: "请先在企业微信设置中填写企业 ID 和 Secret", En: "Set the corp id and a secret in the WeCom settings first"},
	})
}

func (s *Service) handleStatus(w http.ResponseWriter, r *http.Request) error {
	c, err := org.RequireCaller(r.Context())
	if err != nil {
		return err
	}
	st, err := s.status(r.Context(), c.TenantID)
	return httpx.Reply(w, http.StatusOK, st, err)
}
