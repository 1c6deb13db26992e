package packcard

import (
	"net/http"
	"strconv"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Routes lists the package-card API.
func (s *Service) Routes() []httpx.Route {
	read, write := org.PermAcquisitionRead, org.PermAcquisitionWrite
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/card-batches", Perm: read, Tag: "package-cards", Summary: "Package-card batches of the live codes in my scope, newest first",
			Query: []httpx.Param{{Name: "code_id", Type: "integer", Description: "only this live code's"}},
			Response: struct {
				Items []Batch `json:"items"`
			}{}, Handler: s.handleBatches},
		{Method: "POST", Path: "/api/v1/card-batches", Perm: write, Tag: "package-cards", Summary: "Create a package-card batch of a live code",
			Request: BatchInput{}, Response: Batch{}, Status: http.StatusCreated, Handler: httpx.Create(s.CreateBatch)},
		{Method: "GET", Path: "/api/v1/card-batches/{id}", Perm: read, Tag: "package-cards", Summary: "A package-card batch",
			Response: Batch{}, Handler: httpx.Read(s.Batch)},
		{Method: "PUT", Path: "/api/v1/card-batches/{id}", Perm: write, Tag: "package-cards", Summary: "Replace a package-card batch",
			Request: BatchInput{}, Response: Batch{}, Handler: httpx.Replace(s.Batch, s.UpdateBatch)},
		{Method: "DELETE", Path: "/api/v1/card-batches/{id}", Perm: write, Tag: "package-cards", Summary: "Delete a package-card batch (printed cards keep working)",
			Status: http.StatusNoContent, Handler: httpx.Remove(s.DeleteBatch)},
		{Method: "GET", Path: "/api/v1/card-batches/{id}/card.png", Perm: read, Tag: "package-cards",
			Summary: "One card as a 300 dpi PNG: the QR of the landing URL with ?b=batch, the headline and the batch number", Handler: s.handlePNG},
		{Method: "GET", Path: "/api/v1/card-batches/{id}/sheet.pdf", Perm: read, Tag: "package-cards",
			Summary: "The batch as A4 PDF sheets with crop marks (X-Siyu-CJK-Font: no when no CJK TrueType font was found: Chinese is left out)", Handler: s.handlePDF},
	}
}

func (s *Service) handleBatches(w http.ResponseWriter, r *http.Request) error {
	var code int64
	if raw := r.URL.Query().Get("code_id"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			return httpx.FieldErr("code_id", "invalid")
		}
		code = n
	}
	items, err := s.Batches(r.Context(), code)
	return httpx.Reply(w, http.StatusOK, map[string]any{"items": items}, err)
}

func (s *Service) card(r *http.Request) (Batch, Card, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return Batch{}, Card{}, err
	}
	b, err := s.Batch(r.Context(), id)
	if err != nil {
		return Batch{}, Card{}, err
	}
	return b, CardOf(b, acquisition.LandingURL(r, b.Slug)), nil
}

func (s *Service) handlePNG(w http.ResponseWriter, r *http.Request) error {
	b, c, err := s.card(r)
	if err != nil {
		return err
	}
	out, err := PNG(c, s.fonts)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", `inline; filename="package-card-`+b.BatchNo+`.png"`)
	_, err = w.Write(out)
	return err
}

func (s *Service) handlePDF(w http.ResponseWriter, r *http.Request) error {
	b, c, err := s.card(r)
	if err != nil {
		return err
	}
	out, err := PDF(c, s.fonts)
	if err != nil {
		return err
	}
	cjk := "yes"
	if ok, _ := s.fonts.CJK(); !ok {
		cjk = "no"
	}
	w.Header().Set("X-Siyu-CJK-Font", cjk)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="package-cards-`+b.BatchNo+`.pdf"`)
	_, err = w.Write(out)
	return err
}
