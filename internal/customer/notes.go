package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Notes and follow-up records (跟进记录): what staff wrote about a customer. Each is also an
// event on the customer's timeline (kind note or follow_up, dedup key note:<id>), removed with it.

// Note kinds and follow-up methods.
const (
	NoteKindNote     = "note"
	NoteKindFollowUp = "follow_up"
)

// FollowUpMethods are how a follow-up happened.
var FollowUpMethods = []string{"phone", "wecom", "visit", "other"}

// maxNote is the longest note, in characters.
const maxNote = 2000

// Note is one note or follow-up record.
type Note struct {
	ID             int64      `json:"id"`
	CustomerID     int64      `json:"customer_id"`
	Kind           string     `json:"kind" doc:"note or follow_up"`
	Content        string     `json:"content"`
	Method         string     `json:"method" doc:"follow_up only: phone, wecom, visit or other"`
	NextFollowUpAt *time.Time `json:"next_follow_up_at"`
	AuthorUserID   *int64     `json:"author_user_id"`
	AuthorStaffID  *int64     `json:"author_staff_id"`
	AuthorName     string     `json:"author_name"`
	Mine           bool       `json:"mine" doc:"written by the caller (who may delete it)"`
	CreatedAt      time.Time  `json:"created_at"`
}

// NoteInput writes a note or a follow-up record.
type NoteInput struct {
	Kind           string     `json:"kind" doc:"note (default) or follow_up"`
	Content        string     `json:"content" doc:"1-2000 characters"`
	Method         string     `json:"method" doc:"follow_up: phone, wecom, visit or other (required)"`
	NextFollowUpAt *time.Time `json:"next_follow_up_at" doc:"follow_up: when to follow up next (in the future)"`
}

// AddNote writes a note on a customer in the caller's scope (a guide on their own customers) and
// puts it on the timeline.
func (s *Service) AddNote(ctx context.Context, customerID int64, in NoteInput) (Note, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Note{}, err
	}
	now := s.clock()
	var v httpx.Validator
	if in.Kind == "" {
		in.Kind = NoteKindNote
	}
	v.OneOf("kind", in.Kind, NoteKindNote, NoteKindFollowUp)
	content := strings.TrimSpace(in.Content)
	switch {
	case content == "":
		v.Add("content", "required")
	case utf8.RuneCountInString(content) > maxNote:
		v.AddLimit("content", "too_long", maxNote)
	case strings.ContainsRune(content, 0):
		v.Add("content", "invalid")
	}
	if in.Kind == NoteKindFollowUp {
		v.OneOf("method", in.Method, FollowUpMethods...)
		if in.NextFollowUpAt != nil {
			v.Check(in.NextFollowUpAt.After(now) && in.NextFollowUpAt.Before(now.AddDate(5, 0, 0)), "next_follow_up_at", "out_of_range")
		}
	} else {
		v.Check(in.Method == "", "method", "not_allowed")
		v.Check(in.NextFollowUpAt == nil, "next_follow_up_at", "not_allowed")
	}
	if err := v.Err(); err != nil {
		return Note{}, err
	}
	var next *time.Time
	if in.NextFollowUpAt != nil {
		t := in.NextFollowUpAt.UTC().Truncate(time.Second)
		next = &t
	}
	var userID, staffID *int64
	if c.UserID != 0 {
		userID = &c.UserID
	}
	if c.StaffID != 0 {
		staffID = &c.StaffID
	}
	author := callerName(c)
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		ok, err := visible(ctx, tx, c, customerID)
		if err != nil {
			return err
		}
		if !ok {
			return httpx.NotFoundf("customer")
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO customer_notes (tenant_id, customer_id, author_user_id, author_staff_id, author_name, kind, content, method, next_follow_up_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.TenantID, customerID, userID, staffID, author, in.Kind, content, in.Method, next, now).Scan(&id); err != nil {
			return err
		}
		detail := map[string]any{"note_id": id, "content": content, "author": author}
		if in.Kind == NoteKindFollowUp {
			detail["method"] = in.Method
			if next != nil {
				detail["next_follow_up_at"] = next
			}
		}
		return appendEvent(ctx, tx, c.TenantID, customerID, in.Kind, "", jsonDetail(detail), fmt.Sprintf("note:%d", id), now, now)
	})
	if err != nil {
		return Note{}, wrap(err, "customer: add note to %d", customerID)
	}
	return s.note(ctx, c, id)
}

const noteSelect = `SELECT id, customer_id, kind, content, method, next_follow_up_at, author_user_id, author_staff_id, author_name, created_at FROM customer_notes`

func scanNote(sc interface{ Scan(...any) error }, c org.Caller) (Note, error) {
	var n Note
	var next sql.NullTime
	var user, staff sql.NullInt64
	if err := sc.Scan(&n.ID, &n.CustomerID, &n.Kind, &n.Content, &n.Method, &next, &user, &staff, &n.AuthorName, &n.CreatedAt); err != nil {
		return Note{}, err
	}
	if next.Valid {
		n.NextFollowUpAt = &next.Time
	}
	if user.Valid {
		n.AuthorUserID = &user.Int64
	}
	if staff.Valid {
		n.AuthorStaffID = &staff.Int64
	}
	n.Mine = user.Valid && c.UserID != 0 && user.Int64 == c.UserID
	return n, nil
}

func (s *Service) note(ctx context.Context, c org.Caller, id int64) (Note, error) {
	n, err := scanNote(s.db.QueryRowContext(ctx, noteSelect+` WHERE tenant_id = ? AND id = ?`, c.TenantID, id), c)
	if err != nil {
		return Note{}, fmt.Errorf("customer: note %d: %w", id, err)
	}
	return n, nil
}

// Notes lists a customer's notes, newest first (cursor = last id).
func (s *Service) Notes(ctx context.Context, customerID int64, page httpx.PageRequest) (httpx.Page[Note], error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return httpx.Page[Note]{}, err
	}
	ok, err := visible(ctx, s.db, c, customerID)
	if err != nil {
		return httpx.Page[Note]{}, fmt.Errorf("customer: notes of %d: %w", customerID, err)
	}
	if !ok {
		return httpx.Page[Note]{}, httpx.NotFoundf("customer")
	}
	q := noteSelect + ` WHERE tenant_id = ? AND customer_id = ?`
	args := []any{c.TenantID, customerID}
	if page.After > 0 {
		q += ` AND id < ?`
		args = append(args, page.After)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, page.Limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return httpx.Page[Note]{}, fmt.Errorf("customer: notes of %d: %w", customerID, err)
	}
	defer rows.Close()
	var items []Note
	for rows.Next() {
		n, err := scanNote(rows, c)
		if err != nil {
			return httpx.Page[Note]{}, err
		}
		items = append(items, n)
	}
	if err := rows.Err(); err != nil {
		return httpx.Page[Note]{}, err
	}
	return httpx.MakePage(items, page.Limit, func(n Note) int64 { return n.ID }), nil
}

// DeleteNote deletes a note (and its timeline entry). Authors delete their own; owners and
// admins any; the customer must be in the caller's scope.
func (s *Service) DeleteNote(ctx context.Context, id int64) error {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var customerID int64
		var author sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT customer_id, author_user_id FROM customer_notes WHERE tenant_id = ? AND id = ?`, c.TenantID, id).
			Scan(&customerID, &author)
		if errors.Is(err, sql.ErrNoRows) {
			return httpx.NotFoundf("note")
		}
		if err != nil {
			return err
		}
		ok, err := visible(ctx, tx, c, customerID)
		if err != nil {
			return err
		}
		if !ok {
			return httpx.NotFoundf("note")
		}
		mine := author.Valid && c.UserID != 0 && author.Int64 == c.UserID
		if !mine && c.Role != org.Owner && c.Role != org.Admin {
			return httpx.Errorf(httpx.Forbidden, "note_not_yours", "only its author may delete a note")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_notes WHERE tenant_id = ? AND id = ?`, c.TenantID, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM customer_events WHERE tenant_id = ? AND dedup_key = ?`, c.TenantID, fmt.Sprintf("note:%d", id))
		return err
	})
	return wrap(err, "customer: delete note %d", id)
}

func (s *Service) handleNotes(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	page, err := httpx.PageParams(r)
	if err != nil {
		return err
	}
	out, err := s.Notes(r.Context(), id, page)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleAddNote(w http.ResponseWriter, r *http.Request) error {
	id, in, err := httpx.IDAndBody[NoteInput](r)
	if err != nil {
		return err
	}
	out, err := s.AddNote(r.Context(), id, in)
	return httpx.Reply(w, http.StatusCreated, out, err)
}

func (s *Service) handleDeleteNote(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.DeleteNote(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"note_not_yours": {Zh: "只能删除自己写的记录", En: "Only its author may delete a note"},
	})
}
