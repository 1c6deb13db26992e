package wecomsync

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

// CallbackPath is where WeCom is told to deliver a tenant's events.
const CallbackPath = "/callback/wecom/{tenant}"

// CallbackHandlers returns the raw (non-JSON) callback routes; they authenticate by signature, not by
// session, so they sit outside the API route tables.
func (s *Service) CallbackHandlers() map[string]http.Handler {
	return map[string]http.Handler{
		"GET " + CallbackPath:  http.HandlerFunc(s.handleVerify),
		"POST " + CallbackPath: http.HandlerFunc(s.handleEvent),
	}
}

// handleVerify answers WeCom's URL verification with the bare decrypted echostr.
func (s *Service) handleVerify(w http.ResponseWriter, r *http.Request) {
	slug, e, ok := s.tenantCrypter(w, r)
	if !ok {
		return
	}
	plain, err := e.crypter.VerifyURLRequest(r)
	if err != nil {
		s.reject(r, slug, "url verification failed", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(plain)
}

// handleEvent verifies, decrypts and parses a callback, stores it (once, whatever the number of
// deliveries) and answers at once; processing happens later from the stored copy.
func (s *Service) handleEvent(w http.ResponseWriter, r *http.Request) {
	slug, e, ok := s.tenantCrypter(w, r)
	if !ok {
		return
	}
	plain, err := e.crypter.DecryptRequest(r)
	if err != nil {
		s.reject(r, slug, "callback rejected", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	ev, err := wecom.ParseEvent(plain)
	if err != nil {
		s.reject(r, slug, "callback payload unparseable", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	h := ev.Header()
	if h.ToUserName != "" && h.ToUserName != e.crypter.ReceiveID() {
		s.reject(r, slug, "callback for another corp", fmt.Errorf("ToUserName %q", h.ToUserName))
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	row := eventRow{tenantID: e.tenantID, dedupKey: ev.DedupKey(), event: h.Event, changeType: h.ChangeType,
		payload: string(plain), receivedAt: s.clock()}
	if err := s.store(r.Context(), row); err != nil {
		// Not acknowledged: WeCom will deliver it again.
		s.log.ErrorContext(r.Context(), "wecom callback not stored", slog.String("tenant", slug), slog.Any("err", err))
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("success"))
}

// tenantCrypter finds the crypter of the tenant named in the path, answering 404 when the tenant
// is unknown or has no callback settings.
func (s *Service) tenantCrypter(w http.ResponseWriter, r *http.Request) (string, crypterEntry, bool) {
	slug := r.PathValue("tenant")
	e, err := s.crypterFor(r.Context(), slug)
	if err != nil {
		s.reject(r, slug, "tenant not configured", err)
		http.Error(w, "unknown tenant", http.StatusNotFound)
		return slug, e, false
	}
	return slug, e, true
}

func (s *Service) reject(r *http.Request, slug, reason string, err error) {
	s.log.WarnContext(r.Context(), "wecom callback "+reason, slog.String("tenant", slug),
		slog.String("remote", r.RemoteAddr), slog.Bool("crypto", wecom.IsCallbackRejection(err)), slog.Any("err", err))
}

type eventRow struct {
	tenantID   int64
	dedupKey   string
	event      string
	changeType string
	payload    string
	receivedAt time.Time
}

type ingestReq struct {
	row  eventRow
	done chan error
}

// store hands the row to the batching writer and waits until it is committed. Batching turns
// thousands of concurrent callbacks into a few transactions a second, which is what lets one
// SQLite writer (or one PostgreSQL WAL flush) keep up; the answer still waits for durability.
func (s *Service) store(ctx context.Context, row eventRow) error {
	req := ingestReq{row: row, done: make(chan error, 1)}
	select {
	case s.ingest <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

const maxBatch = 200

func (s *Service) writeLoop(ctx context.Context) {
	batch := make([]ingestReq, 0, maxBatch)
	for {
		select {
		case <-ctx.Done():
			return
		case first := <-s.ingest:
			batch = append(batch[:0], first)
		drain:
			for len(batch) < maxBatch {
				select {
				case more := <-s.ingest:
					batch = append(batch, more)
				default:
					break drain
				}
			}
			err := s.insertBatch(ctx, batch)
			for _, req := range batch {
				req.done <- err
			}
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
}

func (s *Service) insertBatch(ctx context.Context, batch []ingestReq) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO wecom_events (tenant_id, dedup_key, event, change_type, payload, received_at) VALUES `)
	args := make([]any, 0, len(batch)*6)
	for i, req := range batch {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?)")
		r := req.row
		args = append(args, r.tenantID, r.dedupKey, r.event, r.changeType, r.payload, r.receivedAt)
	}
	// A re-delivery, in this batch or an earlier one, is a no-op.
	b.WriteString(` ON CONFLICT (tenant_id, dedup_key) DO NOTHING`)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, b.String(), args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("wecomsync: store %d events: %w", len(batch), err)
	}
	return nil
}
