package acquisition

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// maxPhoneList is the largest phone-list upload.
const maxPhoneList = 5 << 20

// Routes lists the short-link, SMS campaign, opt-out and SMS settings API. The short link
// itself, GET /s/{token}, is anonymous and mounted with ShortLinkHandler.
func (o *Outreach) Routes() []httpx.Route {
	read, write := org.PermAcquisitionRead, org.PermAcquisitionWrite
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/short-links", Perm: read, Tag: "sms", Summary: "List the short links of my scope with click and conversion counts",
			Response: struct {
				Items []ShortLink `json:"items"`
			}{}, Handler: o.handleLinks},
		{Method: "POST", Path: "/api/v1/short-links", Perm: write, Tag: "sms", Summary: "Create a short link to a live code with per-recipient tokens (/s/{token})",
			Request: ShortLinkInput{}, Response: ShortLink{}, Status: http.StatusCreated, Handler: httpx.Create(o.CreateLink)},
		{Method: "GET", Path: "/api/v1/short-links/{id}", Perm: read, Tag: "sms", Summary: "A short link with its stats",
			Response: ShortLink{}, Handler: httpx.Read(o.Link)},
		{Method: "GET", Path: "/api/v1/short-links/{id}/recipients", Perm: read, Tag: "sms", Summary: "A link's recipients: tokens, clicks, conversion and send status",
			Query:    []httpx.Param{{Name: "status", Type: "string", Description: "only this send status"}, {Name: "limit", Type: "integer"}, {Name: "cursor", Type: "string"}},
			Response: httpx.Page[Recipient]{}, Handler: o.handleRecipients},
		{Method: "POST", Path: "/api/v1/short-links/{id}/recipients", Perm: write, Tag: "sms", Summary: "Add recipients to a link (not a campaign's); known phones are skipped",
			Request: RecipientsInput{}, Response: AddedRecipients{}, Handler: httpx.Replace(o.Link, o.AddRecipients)},
		{Method: "POST", Path: "/api/v1/sms/phone-lists", Perm: write, Tag: "sms", Summary: "Read an uploaded CSV or XLSX phone list (multipart, field file, at most 5 MB) into recipients and bad rows; stores nothing",
			Form: struct {
				File []byte `form:"file"`
			}{}, Response: PhoneList{}, Handler: o.handlePhoneList},
		{Method: "GET", Path: "/api/v1/sms/campaigns", Perm: read, Tag: "sms", Summary: "List the SMS campaigns of my scope with their progress",
			Response: struct {
				Items []Campaign `json:"items"`
			}{}, Handler: o.handleCampaigns},
		{Method: "POST", Path: "/api/v1/sms/campaigns/preview", Perm: write, Tag: "sms", Summary: "Validate a campaign and render its first messages; stores nothing",
			Request: CampaignInput{}, Response: CampaignPreview{}, Handler: o.handlePreview},
		{Method: "POST", Path: "/api/v1/sms/campaigns", Perm: write, Tag: "sms", Summary: "Create an SMS campaign; the worker sends it at the tenant's rate",
			Request: CampaignInput{}, Response: Campaign{}, Status: http.StatusCreated, Handler: o.handleCreateCampaign},
		{Method: "GET", Path: "/api/v1/sms/campaigns/{id}", Perm: read, Tag: "sms", Summary: "A campaign's progress and clicks",
			Response: Campaign{}, Handler: httpx.Read(o.Campaign)},
		{Method: "POST", Path: "/api/v1/sms/campaigns/{id}/cancel", Perm: write, Tag: "sms", Summary: "Stop a campaign: recipients not sent yet are cancelled",
			Response: Campaign{}, Handler: httpx.Read(o.CancelCampaign)},
		{Method: "GET", Path: "/api/v1/sms/opt-outs", Perm: read, Tag: "sms", Summary: "The tenant's opt-out list (回T退订), newest first",
			Response: struct {
				Items []OptOut `json:"items"`
			}{}, Handler: o.handleOptOuts},
		{Method: "POST", Path: "/api/v1/sms/opt-outs", Perm: write, Tag: "sms", Summary: "Put a phone on the opt-out list by hand",
			Request: OptOutInput{}, Response: OptOut{}, Status: http.StatusCreated, Handler: httpx.Create(o.AddOptOut)},
		{Method: "POST", Path: "/api/v1/sms/replies", Perm: write, Tag: "sms", Summary: "Record an inbound SMS a provider pushed; T, TD or 退订 opts the phone out",
			Request: ReplyInput{}, Response: ReplyResult{}, Handler: o.handleReply},
		{Method: "GET", Path: "/api/v1/settings/sms", Perm: org.PermSettingsRead, Tag: "settings", Summary: "The tenant's SMS provider settings (the secret only as set/unset)",
			Response: SMSSettings{}, Handler: o.handleSettings},
		{Method: "PUT", Path: "/api/v1/settings/sms", Perm: org.PermSettingsWrite, Tag: "settings", Summary: "Replace the tenant's SMS provider settings; an empty secret keeps the stored one",
			Request: SMSSettingsInput{}, Response: SMSSettings{}, Handler: o.handleSetSettings},
	}
}

func (o *Outreach) handleLinks(w http.ResponseWriter, r *http.Request) error {
	items, err := o.Links(r.Context())
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

var recipientStatuses = []string{"", "pending", "sending", "sent", "failed", "opted_out", "cancelled"}

func (o *Outreach) handleRecipients(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	page, err := httpx.PageParams(r)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	var v httpx.Validator
	v.OneOf("status", status, recipientStatuses...)
	if err := v.Err(); err != nil {
		return err
	}
	out, err := o.Recipients(r.Context(), id, page, status)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (o *Outreach) handlePhoneList(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return &httpx.Error{Code: httpx.UnsupportedMediaType, Key: "import_multipart", Message: "upload the file as multipart/form-data in the field file"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPhoneList+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return httpx.FieldErr("file", "required")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return httpx.FieldErr("file", "required")
		}
		if err != nil {
			return httpx.FieldErr("file", "invalid")
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, maxPhoneList+1))
		part.Close()
		if err != nil {
			return httpx.FieldErr("file", "invalid")
		}
		if len(data) > maxPhoneList {
			return httpx.FieldErr("file", "out_of_range")
		}
		out, err := ParsePhoneList(data, httpx.LangOf(r))
		return httpx.Reply(w, http.StatusOK, out, err)
	}
}

func (o *Outreach) handleCampaigns(w http.ResponseWriter, r *http.Request) error {
	items, err := o.Campaigns(r.Context())
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

func (o *Outreach) handlePreview(w http.ResponseWriter, r *http.Request) error {
	var in CampaignInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	out, err := o.Preview(r.Context(), in, BaseURL(r))
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (o *Outreach) handleCreateCampaign(w http.ResponseWriter, r *http.Request) error {
	var in CampaignInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	in.IdempotencyKey = r.Header.Get("Idempotency-Key")
	out, err := o.CreateCampaign(r.Context(), in, BaseURL(r))
	return httpx.Reply(w, http.StatusCreated, out, err)
}

func (o *Outreach) handleOptOuts(w http.ResponseWriter, r *http.Request) error {
	items, err := o.OptOuts(r.Context())
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

func (o *Outreach) handleReply(w http.ResponseWriter, r *http.Request) error {
	var in ReplyInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	out, err := o.Reply(r.Context(), in)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (o *Outreach) handleSettings(w http.ResponseWriter, r *http.Request) error {
	out, err := o.Settings(r.Context())
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (o *Outreach) handleSetSettings(w http.ResponseWriter, r *http.Request) error {
	var in SMSSettingsInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	out, err := o.SetSettings(r.Context(), in)
	return httpx.Reply(w, http.StatusOK, out, err)
}
