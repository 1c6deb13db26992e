// Package packcard prints package cards (包裹卡): print-ready sheets of a channel live code's QR
// per batch. A batch names the live code, a batch number, a headline, how many cards and their
// size and layout; it renders as one card PNG and as A4 PDF sheets with crop marks.
//
// Every batch's QR encodes the code's permanent landing URL with ?b={batch number}: the landing
// page routes the scan as usual and ignores the parameter today (scans are counted per code,
// staff member and day in memory and flushed; recording a batch needs that counter keyed by
// batch too), so the printed cards already carry what per-batch counting will read, and reprints
// are never needed for it. Until then batches are print metadata.
package packcard

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Codes looks up live codes in the caller's scope (the acquisition service).
type Codes interface {
	Code(ctx context.Context, id int64) (acquisition.LiveCode, error)
}

// Service holds the card batches.
type Service struct {
	db    *store.DB
	codes Codes
	fonts *Fonts
	now   func() time.Time
}

// New returns the service; fontPath is the configured CJK font (SIYU_FONT).
func New(db *store.DB, codes Codes, fontPath string) *Service {
	return &Service{db: db, codes: codes, fonts: &Fonts{Configured: fontPath}, now: time.Now}
}

// Fonts is the font resolution the PDFs use.
func (s *Service) Fonts() *Fonts { return s.fonts }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// MaxCount is the most cards of one batch.
const MaxCount = 5000

// Batch is a print batch of a live code's package card.
type Batch struct {
	ID          int64     `json:"id"`
	CodeID      int64     `json:"code_id"`
	CodeName    string    `json:"code_name"`
	ChannelID   int64     `json:"channel_id"`
	ChannelName string    `json:"channel_name"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	BatchNo     string    `json:"batch_no" doc:"printed on each card and added to the QR's URL as ?b="`
	Headline    string    `json:"headline"`
	Count       int       `json:"count" doc:"cards in the batch"`
	CardSize    string    `json:"card_size" doc:"90x54 (business card) or 100x150 (parcel label), mm"`
	PerPage     int       `json:"per_page" doc:"cards per A4 sheet"`
	Pages       int       `json:"pages" doc:"A4 sheets of the PDF"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// BatchInput creates or replaces a batch.
type BatchInput struct {
	CodeID   int64  `json:"code_id"`
	Name     string `json:"name"`
	BatchNo  string `json:"batch_no" doc:"1-20 letters, digits or -, unique in the tenant"`
	Headline string `json:"headline,omitempty" doc:"at most 40 characters"`
	Count    int    `json:"count" doc:"1-5000"`
	CardSize string `json:"card_size"`
	PerPage  int    `json:"per_page,omitempty" doc:"cards per sheet, default (and at most) what fits: 10 for 90x54, 2 for 100x150"`
}

var batchNoRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,20}$`)

func writer(ctx context.Context) (org.Caller, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return c, err
	}
	if org.ScopeOf(c).ReadOnly {
		return c, &httpx.Error{Code: httpx.Forbidden}
	}
	return c, nil
}

func (s *Service) check(ctx context.Context, in *BatchInput) error {
	var v httpx.Validator
	in.Name = v.Text("name", in.Name, true, 50)
	in.Headline = v.Text("headline", in.Headline, false, 40)
	v.Check(batchNoRE.MatchString(in.BatchNo), "batch_no", "invalid")
	v.Check(in.Count >= 1 && in.Count <= MaxCount, "count", "out_of_range")
	size, ok := sizeOf(in.CardSize)
	v.OneOf("card_size", in.CardSize, SizeNames...)
	if ok {
		if in.PerPage == 0 {
			in.PerPage = MaxPerPage(size)
		}
		v.Check(in.PerPage >= 1 && in.PerPage <= MaxPerPage(size), "per_page", "out_of_range")
	}
	if in.CodeID <= 0 {
		v.Add("code_id", "required")
	} else if _, err := s.codes.Code(ctx, in.CodeID); err != nil {
		if httpx.ErrorCode(err) != httpx.NotFound {
			return err
		}
		v.Add("code_id", "not_found")
	}
	return v.Err()
}

const batchSelect = `SELECT b.id, b.code_id, lc.name, ch.id, ch.name, lc.slug, b.name, b.batch_no, b.headline, b.card_count, b.card_size, b.per_page,
	b.created_at, b.updated_at
	FROM acq_card_batches b JOIN acq_live_codes lc ON lc.tenant_id = b.tenant_id AND lc.id = b.code_id
	JOIN acq_channels ch ON ch.tenant_id = lc.tenant_id AND ch.id = lc.channel_id
	JOIN org_units u ON u.tenant_id = ch.tenant_id AND u.id = ch.org_unit_id`

func scanBatch(row interface{ Scan(...any) error }) (Batch, error) {
	var m Batch
	err := row.Scan(&m.ID, &m.CodeID, &m.CodeName, &m.ChannelID, &m.ChannelName, &m.Slug, &m.Name, &m.BatchNo, &m.Headline, &m.Count, &m.CardSize,
		&m.PerPage, &m.CreatedAt, &m.UpdatedAt)
	m.Pages = (m.Count + m.PerPage - 1) / max(1, m.PerPage)
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return m, err
}

// Batches lists the batches of the codes in the caller's scope, newest first; codeID > 0 keeps
// one code's.
func (s *Service) Batches(ctx context.Context, codeID int64) ([]Batch, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	q := batchSelect + ` WHERE b.tenant_id = ? AND ` + cond
	args = append([]any{c.TenantID}, args...)
	if codeID > 0 {
		q += ` AND b.code_id = ?`
		args = append(args, codeID)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY b.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("packcard: batches: %w", err)
	}
	defer rows.Close()
	out := []Batch{}
	for rows.Next() {
		m, err := scanBatch(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Batch returns one batch of the caller's scope.
func (s *Service) Batch(ctx context.Context, id int64) (Batch, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Batch{}, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	m, err := scanBatch(s.db.QueryRowContext(ctx, batchSelect+` WHERE b.tenant_id = ? AND b.id = ? AND `+cond, append([]any{c.TenantID, id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return Batch{}, httpx.NotFoundf("card batch")
	}
	if err != nil {
		return Batch{}, fmt.Errorf("packcard: batch %d: %w", id, err)
	}
	return m, nil
}

func taken(err error) error {
	if store.IsUniqueViolation(err) {
		return httpx.FieldErr("batch_no", "taken")
	}
	return fmt.Errorf("packcard: write batch: %w", err)
}

// CreateBatch creates a batch of a live code in the caller's scope.
func (s *Service) CreateBatch(ctx context.Context, in BatchInput) (Batch, error) {
	c, err := writer(ctx)
	if err != nil {
		return Batch{}, err
	}
	if err := s.check(ctx, &in); err != nil {
		return Batch{}, err
	}
	now := s.clock()
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO acq_card_batches (tenant_id, code_id, name, batch_no, headline, card_count, card_size, per_page, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.TenantID, in.CodeID, in.Name, in.BatchNo, in.Headline, in.Count, in.CardSize, in.PerPage, now, now).Scan(&id)
	})
	if err != nil {
		return Batch{}, taken(err)
	}
	return s.Batch(ctx, id)
}

// UpdateBatch replaces a batch's fields.
func (s *Service) UpdateBatch(ctx context.Context, id int64, in BatchInput) (Batch, error) {
	c, err := writer(ctx)
	if err != nil {
		return Batch{}, err
	}
	if _, err := s.Batch(ctx, id); err != nil {
		return Batch{}, err
	}
	if err := s.check(ctx, &in); err != nil {
		return Batch{}, err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE acq_card_batches SET code_id = ?, name = ?, batch_no = ?, headline = ?, card_count = ?, card_size = ?, per_page = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`, in.CodeID, in.Name, in.BatchNo, in.Headline, in.Count, in.CardSize, in.PerPage, s.clock(), c.TenantID, id); err != nil {
		return Batch{}, taken(err)
	}
	return s.Batch(ctx, id)
}

// DeleteBatch deletes a batch (the cards already printed keep working: they are the code's).
func (s *Service) DeleteBatch(ctx context.Context, id int64) error {
	c, err := writer(ctx)
	if err != nil {
		return err
	}
	if _, err := s.Batch(ctx, id); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM acq_card_batches WHERE tenant_id = ? AND id = ?`, c.TenantID, id)
	return err
}

// CardOf is what a batch prints; landing is the code's absolute landing URL.
func CardOf(b Batch, landing string) Card {
	size, _ := sizeOf(b.CardSize)
	return Card{URL: landing + "?b=" + b.BatchNo, Headline: b.Headline, BatchNo: b.BatchNo, Size: size, PerPage: b.PerPage, Count: b.Count}
}
