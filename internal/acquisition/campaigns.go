package acquisition

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/sheet"
	"github.com/siyu-scrm/siyu/internal/sms"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Campaign is an SMS campaign and its progress.
type Campaign struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Template   string     `json:"template" doc:"ends with 回T退订"`
	Status     string     `json:"status" doc:"sending, done or cancelled"`
	LinkID     int64      `json:"link_id"`
	CodeID     int64      `json:"code_id"`
	CodeName   string     `json:"code_name"`
	ChannelID  int64      `json:"channel_id"`
	Pending    int        `json:"pending"`
	Sent       int        `json:"sent"`
	Failed     int        `json:"failed"`
	OptedOut   int        `json:"opted_out"`
	Cancelled  int        `json:"cancelled"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
	LinkStats
}

// CampaignInput creates a campaign: a template, a live code to lead to and the phone list.
type CampaignInput struct {
	Name       string           `json:"name"`
	CodeID     int64            `json:"code_id"`
	Template   string           `json:"template" doc:"variables {name}, {link} (the recipient's short link) and {phone4}; 回T退订 is appended when missing"`
	Recipients []RecipientInput `json:"recipients"`
	// IdempotencyKey comes from the request's Idempotency-Key header: the same key answers the
	// campaign it first created instead of messaging everyone again.
	IdempotencyKey string `json:"-"`
}

// PreviewMessage is one rendered message of a preview.
type PreviewMessage struct {
	Phone string `json:"phone"`
	Text  string `json:"text"`
	Chars int    `json:"chars"`
	Parts int    `json:"parts" doc:"billed SMS parts: 70 characters alone, 67 each when longer"`
}

// CampaignPreview is what a campaign would send, written nowhere.
type CampaignPreview struct {
	Template   string           `json:"template"`
	Recipients int              `json:"recipients"`
	OptedOut   int              `json:"opted_out" doc:"recipients on the opt-out list, who will not be sent to"`
	Samples    []PreviewMessage `json:"samples"`
}

// Parts is how many SMS parts a message of n characters is billed as.
func Parts(n int) int {
	if n <= 70 {
		return 1
	}
	return (n + 66) / 67
}

func (o *Outreach) checkCampaign(ctx context.Context, in *CampaignInput) (string, LiveCode, []RecipientInput, error) {
	var v httpx.Validator
	name := v.Text("name", in.Name, true, 50)
	code := o.checkCode(ctx, &v, in.CodeID)
	in.Template = NormalizeTemplate(in.Template)
	checkTemplate(&v, "template", in.Template)
	recipients := checkRecipients(&v, "recipients", in.Recipients)
	return name, code, recipients, v.Err()
}

// Preview renders a campaign's first messages (with placeholder links) and counts opted-out
// recipients, without writing anything.
func (o *Outreach) Preview(ctx context.Context, in CampaignInput, base string) (CampaignPreview, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return CampaignPreview{}, err
	}
	_, _, recipients, err := o.checkCampaign(ctx, &in)
	if err != nil {
		return CampaignPreview{}, err
	}
	out := CampaignPreview{Template: in.Template, Recipients: len(recipients), Samples: []PreviewMessage{}}
	opted, err := o.optedOut(ctx, c.TenantID, recipients)
	if err != nil {
		return out, err
	}
	out.OptedOut = len(opted)
	for i, r := range recipients {
		if i == 5 {
			break
		}
		text, _ := Render(in.Template, r.Name, r.Phone, ShortURL(base, "xxxxxxxxxxxx"))
		n := utf8.RuneCountInString(text)
		out.Samples = append(out.Samples, PreviewMessage{Phone: r.Phone, Text: text, Chars: n, Parts: Parts(n)})
	}
	return out, nil
}

func (o *Outreach) optedOut(ctx context.Context, tenantID int64, rs []RecipientInput) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(rs); start += 500 {
		chunk := rs[start:min(len(rs), start+500)]
		args := []any{tenantID}
		for _, r := range chunk {
			args = append(args, r.Phone)
		}
		rows, err := o.db.QueryContext(ctx, `SELECT phone FROM sms_optouts WHERE tenant_id = ? AND phone IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("acquisition: opt-outs: %w", err)
		}
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return nil, err
			}
			out[p] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CreateCampaign validates a campaign, makes its link and recipients (each with a token,
// pending) and leaves the sending to the worker. base is scheme://host for the short links.
func (o *Outreach) CreateCampaign(ctx context.Context, in CampaignInput, base string) (Campaign, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return Campaign{}, err
	}
	if len(in.IdempotencyKey) > 200 {
		return Campaign{}, httpx.FieldErr("Idempotency-Key", "too_long")
	}
	if id, err := o.campaignByKey(ctx, c.TenantID, in.IdempotencyKey); err != nil || id != 0 {
		if err != nil {
			return Campaign{}, err
		}
		return o.Campaign(ctx, id)
	}
	name, code, recipients, err := o.checkCampaign(ctx, &in)
	if err != nil {
		return Campaign{}, err
	}
	var configured int
	if err := o.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sms_settings WHERE tenant_id = ?`, c.TenantID).Scan(&configured); err != nil {
		return Campaign{}, err
	}
	if configured == 0 {
		return Campaign{}, &httpx.Error{Code: httpx.Invalid, Key: "sms_not_configured", Message: "configure an SMS provider first"}
	}
	var id int64
	err = o.db.InTx(ctx, func(tx *store.Tx) error {
		now := o.clock()
		if err := tx.QueryRowContext(ctx, `INSERT INTO sms_campaigns (tenant_id, name, template, base_url, status, created_at, updated_at, idem_key)
			VALUES (?, ?, ?, ?, 'sending', ?, ?, ?) RETURNING id`, c.TenantID, name, in.Template, base, now, now, in.IdempotencyKey).Scan(&id); err != nil {
			return fmt.Errorf("acquisition: insert campaign: %w", err)
		}
		linkID, err := o.insertLink(ctx, tx, c.TenantID, name, code, &id)
		if err != nil {
			return err
		}
		_, err = o.insertRecipients(ctx, tx, c.TenantID, linkID, &id, recipients)
		return err
	})
	if err != nil && store.IsUniqueViolation(err) && in.IdempotencyKey != "" {
		// The same request, retried while the first was still being written.
		if id, kerr := o.campaignByKey(ctx, c.TenantID, in.IdempotencyKey); kerr == nil && id != 0 {
			return o.Campaign(ctx, id)
		}
	}
	if err != nil {
		return Campaign{}, err
	}
	o.Wake()
	return o.Campaign(ctx, id)
}

// campaignByKey returns the campaign an Idempotency-Key created, 0 when none (or no key).
func (o *Outreach) campaignByKey(ctx context.Context, tenantID int64, key string) (int64, error) {
	if key == "" {
		return 0, nil
	}
	var id int64
	err := o.db.QueryRowContext(ctx, `SELECT id FROM sms_campaigns WHERE tenant_id = ? AND idem_key = ?`, tenantID, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

const campaignSelect = `SELECT cp.id, cp.name, cp.template, cp.status, cp.created_at, cp.finished_at, ` + linkCols + `,
	(SELECT COUNT(*) FROM sms_recipients r WHERE r.tenant_id = cp.tenant_id AND r.campaign_id = cp.id AND r.status IN ('pending', 'sending')),
	(SELECT COUNT(*) FROM sms_recipients r WHERE r.tenant_id = cp.tenant_id AND r.campaign_id = cp.id AND r.status = 'sent'),
	(SELECT COUNT(*) FROM sms_recipients r WHERE r.tenant_id = cp.tenant_id AND r.campaign_id = cp.id AND r.status = 'failed'),
	(SELECT COUNT(*) FROM sms_recipients r WHERE r.tenant_id = cp.tenant_id AND r.campaign_id = cp.id AND r.status = 'opted_out'),
	(SELECT COUNT(*) FROM sms_recipients r WHERE r.tenant_id = cp.tenant_id AND r.campaign_id = cp.id AND r.status = 'cancelled')
	FROM sms_campaigns cp JOIN sms_links l ON l.tenant_id = cp.tenant_id AND l.campaign_id = cp.id
	JOIN acq_channels ch ON ch.tenant_id = l.tenant_id AND ch.id = l.channel_id
	JOIN org_units u ON u.tenant_id = ch.tenant_id AND u.id = ch.org_unit_id
	JOIN acq_live_codes lc ON lc.tenant_id = l.tenant_id AND lc.id = l.code_id`

const linkCols = `l.id, l.code_id, lc.name, l.channel_id,
	(SELECT COUNT(*) FROM sms_recipients r WHERE r.tenant_id = l.tenant_id AND r.link_id = l.id),
	(SELECT COALESCE(SUM(r.clicks), 0) FROM sms_recipients r WHERE r.tenant_id = l.tenant_id AND r.link_id = l.id),
	(SELECT COUNT(*) FROM sms_recipients r WHERE r.tenant_id = l.tenant_id AND r.link_id = l.id AND r.first_click_at IS NOT NULL),
	(SELECT COUNT(*) FROM sms_recipients r WHERE r.tenant_id = l.tenant_id AND r.link_id = l.id AND ` + convertedCond + `)`

func scanCampaign(row interface{ Scan(...any) error }) (Campaign, error) {
	var m Campaign
	var fin sql.NullTime
	err := row.Scan(&m.ID, &m.Name, &m.Template, &m.Status, &m.CreatedAt, &fin, &m.LinkID, &m.CodeID, &m.CodeName, &m.ChannelID,
		&m.Recipients, &m.Clicks, &m.UniqueClicks, &m.Converted, &m.Pending, &m.Sent, &m.Failed, &m.OptedOut, &m.Cancelled)
	if fin.Valid {
		m.FinishedAt = &fin.Time
	}
	return m, err
}

// Campaigns lists the campaigns of the caller's scope (by their link's channel), newest first.
func (o *Outreach) Campaigns(ctx context.Context) ([]Campaign, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	rows, err := o.db.QueryContext(ctx, campaignSelect+` WHERE cp.tenant_id = ? AND `+cond+` ORDER BY cp.id DESC LIMIT 500`, append([]any{c.TenantID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("acquisition: campaigns: %w", err)
	}
	defer rows.Close()
	out := []Campaign{}
	for rows.Next() {
		m, err := scanCampaign(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Campaign returns one campaign of the caller's scope with its progress.
func (o *Outreach) Campaign(ctx context.Context, id int64) (Campaign, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Campaign{}, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	m, err := scanCampaign(o.db.QueryRowContext(ctx, campaignSelect+` WHERE cp.tenant_id = ? AND cp.id = ? AND `+cond, append([]any{c.TenantID, id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return Campaign{}, httpx.NotFoundf("campaign")
	}
	if err != nil {
		return Campaign{}, fmt.Errorf("acquisition: campaign %d: %w", id, err)
	}
	return m, nil
}

// CancelCampaign stops a campaign: recipients not sent yet are cancelled (a message being sent
// right now still completes).
func (o *Outreach) CancelCampaign(ctx context.Context, id int64) (Campaign, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return Campaign{}, err
	}
	m, err := o.Campaign(ctx, id)
	if err != nil {
		return Campaign{}, err
	}
	if m.Status != "sending" {
		return Campaign{}, &httpx.Error{Code: httpx.Conflict, Key: "campaign_finished", Message: "the campaign has ended"}
	}
	err = o.db.InTx(ctx, func(tx *store.Tx) error {
		now := o.clock()
		if _, err := tx.ExecContext(ctx, `UPDATE sms_campaigns SET status = 'cancelled', updated_at = ?, finished_at = ? WHERE tenant_id = ? AND id = ? AND status = 'sending'`,
			now, now, c.TenantID, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE sms_recipients SET status = 'cancelled' WHERE tenant_id = ? AND campaign_id = ? AND status = 'pending'`, c.TenantID, id)
		return err
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("acquisition: cancel campaign %d: %w", id, err)
	}
	return o.Campaign(ctx, id)
}

// PhoneList is an uploaded phone list read into recipients, with its bad rows.
type PhoneList struct {
	Recipients []RecipientInput `json:"recipients"`
	Errors     []RowError       `json:"errors"`
	Duplicates int              `json:"duplicates"`
}

// RowError is a bad row of an uploaded list (row numbers as the spreadsheet shows them).
type RowError struct {
	Row     int    `json:"row"`
	Value   string `json:"value"`
	Message string `json:"message"`
}

var phoneHeaders = map[string]bool{"手机号": true, "手机": true, "手机号码": true, "电话": true, "电话号码": true, "phone": true, "mobile": true, "tel": true}
var nameHeaders = map[string]bool{"姓名": true, "名字": true, "称呼": true, "客户": true, "name": true}

// ParsePhoneList reads a CSV (UTF-8 or GBK) or XLSX phone list: a header row naming the phone
// (手机号/phone…) and optional name (姓名/name…) columns, or, without one, phone in the first
// column and name in the second. Numbers are normalised to E.164; bad ones are reported by row.
func ParsePhoneList(data []byte, lang httpx.Lang) (PhoneList, error) {
	rows, err := readTable(data)
	if err != nil {
		return PhoneList{}, err
	}
	out := PhoneList{Recipients: []RecipientInput{}, Errors: []RowError{}}
	phoneCol, nameCol, first := 0, 1, 0
	if len(rows) > 0 {
		for i, cell := range rows[0] {
			h := strings.ToLower(strings.TrimSpace(cell))
			if phoneHeaders[h] {
				phoneCol, first = i, 1
			}
			if nameHeaders[h] {
				nameCol = i
			}
		}
	}
	seen := map[string]bool{}
	for i := first; i < len(rows); i++ {
		raw := strings.TrimSpace(cellAt(rows[i], phoneCol))
		if raw == "" && strings.TrimSpace(strings.Join(rows[i], "")) == "" {
			continue
		}
		phone, ok := org.NormalizeMobile(raw)
		if !ok || phone == "" {
			out.Errors = append(out.Errors, RowError{Row: i + 1, Value: raw, Message: httpx.Text(lang, "field.invalid")})
			continue
		}
		if seen[phone] {
			out.Duplicates++
			continue
		}
		seen[phone] = true
		name := strings.TrimSpace(cellAt(rows[i], nameCol))
		if nameCol == phoneCol || utf8.RuneCountInString(name) > 50 {
			name = ""
		}
		out.Recipients = append(out.Recipients, RecipientInput{Phone: phone, Name: name})
	}
	if len(out.Recipients) > MaxRecipients {
		return PhoneList{}, httpx.FieldErr("file", "out_of_range")
	}
	return out, nil
}

func cellAt(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// readTable reads CSV (UTF-8, with or without BOM, or GBK) or XLSX (first sheet) into rows.
func readTable(data []byte) ([][]string, error) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		f, err := sheet.OpenXLSX(data, 64<<20)
		if err != nil {
			return nil, httpx.FieldErr("file", "invalid")
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, httpx.FieldErr("file", "invalid")
		}
		rows, err := f.GetRows(sheets[0])
		if err != nil {
			return nil, httpx.FieldErr("file", "invalid")
		}
		return rows, nil
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, httpx.FieldErr("file", "invalid")
		}
		data = dec
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, httpx.FieldErr("file", "invalid")
		}
		rows = append(rows, rec)
	}
}

// Wake tells the worker there may be messages to send now.
func (o *Outreach) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Start runs the sending worker until ctx ends. Recipients left "sending" by a previous process
// (it stopped between claiming and recording the provider's answer) are marked failed rather
// than sent again: never sending twice wins over never missing one.
func (o *Outreach) Start(ctx context.Context) {
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		if _, err := o.db.ExecContext(ctx, `UPDATE sms_recipients SET status = 'failed', error = ? WHERE status = 'sending'`,
			"interrupted while sending; not resent to avoid a double send"); err != nil && ctx.Err() == nil {
			o.log.Error("sms: recover interrupted sends", "err", err)
		}
		for {
			n, err := o.SendDue(ctx)
			if err != nil && ctx.Err() == nil {
				o.log.Error("sms: send", "err", err)
			}
			if n > 0 && err == nil {
				continue
			}
			t := time.NewTimer(o.opts.Poll)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-o.wake:
			case <-t.C:
			}
			t.Stop()
		}
	}()
}

// Wait returns when the worker has stopped.
func (o *Outreach) Wait() { o.wg.Wait() }

// SendDue sends one batch of due messages of every running campaign and closes campaigns with
// nothing left; it returns how many recipients it handled.
func (o *Outreach) SendDue(ctx context.Context) (int, error) {
	type camp struct {
		id, tenantID   int64
		template, base string
	}
	rows, err := o.db.QueryContext(ctx, `SELECT id, tenant_id, template, base_url FROM sms_campaigns WHERE status = 'sending' ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("acquisition: running campaigns: %w", err)
	}
	var camps []camp
	for rows.Next() {
		var c camp
		if err := rows.Scan(&c.id, &c.tenantID, &c.template, &c.base); err != nil {
			rows.Close()
			return 0, err
		}
		camps = append(camps, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	handled := 0
	var errs []error
	for _, c := range camps {
		n, err := o.sendBatch(ctx, c.tenantID, c.id, c.template, c.base)
		handled += n
		if err != nil {
			if ctx.Err() != nil {
				return handled, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("campaign %d: %w", c.id, err))
		}
	}
	return handled, errors.Join(errs...)
}

type dueRecipient struct {
	id                 int64
	phone, name, token string
	attempts           int
}

func (o *Outreach) sendBatch(ctx context.Context, tenantID, campaignID int64, template, base string) (int, error) {
	p, rate, ok, err := o.providerFor(ctx, tenantID)
	if err != nil || !ok {
		return 0, err // settings removed: the campaign waits
	}
	now := o.clock()
	rows, err := o.db.QueryContext(ctx, `SELECT id, phone, name, token, attempts FROM sms_recipients
		WHERE tenant_id = ? AND campaign_id = ? AND status = 'pending' AND (next_at IS NULL OR next_at <= ?) ORDER BY id LIMIT ?`,
		tenantID, campaignID, now, o.opts.Batch)
	if err != nil {
		return 0, fmt.Errorf("due recipients: %w", err)
	}
	var due []dueRecipient
	for rows.Next() {
		var r dueRecipient
		if err := rows.Scan(&r.id, &r.phone, &r.name, &r.token, &r.attempts); err != nil {
			rows.Close()
			return 0, err
		}
		due = append(due, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for i, r := range due {
		if err := o.sendOne(ctx, p, rate, tenantID, campaignID, template, base, r); err != nil {
			return i, err
		}
	}
	if len(due) == 0 {
		now := o.clock()
		_, err := o.db.ExecContext(ctx, `UPDATE sms_campaigns SET status = 'done', finished_at = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ? AND status = 'sending'
			AND NOT EXISTS (SELECT 1 FROM sms_recipients r WHERE r.tenant_id = ? AND r.campaign_id = ? AND r.status IN ('pending', 'sending'))`,
			now, now, tenantID, campaignID, tenantID, campaignID)
		if err != nil {
			return 0, fmt.Errorf("close campaign: %w", err)
		}
	}
	return len(due), nil
}

// sendOne claims a recipient (pending → sending, so no other pass or replica sends it), checks
// the opt-out list, waits for the tenant's rate, sends and records the outcome.
func (o *Outreach) sendOne(ctx context.Context, p sms.Provider, rate int, tenantID, campaignID int64, template, base string, r dueRecipient) error {
	var opted int
	if err := o.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sms_optouts WHERE tenant_id = ? AND phone = ?`, tenantID, r.phone).Scan(&opted); err != nil {
		return err
	}
	if opted > 0 {
		_, err := o.db.ExecContext(ctx, `UPDATE sms_recipients SET status = 'opted_out' WHERE tenant_id = ? AND id = ? AND status = 'pending'`, tenantID, r.id)
		return err
	}
	res, err := o.db.ExecContext(ctx, `UPDATE sms_recipients SET status = 'sending', attempts = attempts + 1 WHERE tenant_id = ? AND id = ? AND status = 'pending'`, tenantID, r.id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // cancelled or taken meanwhile
	}
	if err := o.limit(ctx, tenantID, rate); err != nil {
		// Not sent: hand it back.
		_, uerr := o.db.ExecContext(context.WithoutCancel(ctx), `UPDATE sms_recipients SET status = 'pending', attempts = attempts - 1 WHERE tenant_id = ? AND id = ? AND status = 'sending'`, tenantID, r.id)
		return errors.Join(err, uerr)
	}
	text, params := Render(template, r.name, r.phone, ShortURL(base, r.token))
	id, sendErr := p.Send(ctx, sms.Message{Phone: r.phone, Text: text, Params: params, OutID: fmt.Sprintf("c%d-r%d", campaignID, r.id)})
	now := o.clock()
	wctx := context.WithoutCancel(ctx) // the outcome is recorded even when shutting down
	switch {
	case sendErr == nil:
		_, err = o.db.ExecContext(wctx, `UPDATE sms_recipients SET status = 'sent', sent_at = ?, provider_id = ?, error = '' WHERE tenant_id = ? AND id = ?`, now, id, tenantID, r.id)
	case errors.Is(sendErr, context.Canceled) && ctx.Err() != nil:
		// Stopped mid-request: whether the provider took it is unknown.
		_, err = o.db.ExecContext(wctx, `UPDATE sms_recipients SET status = 'failed', error = ? WHERE tenant_id = ? AND id = ?`, "interrupted while sending; not resent", tenantID, r.id)
	case sms.IsTransient(sendErr) && r.attempts+1 < o.opts.MaxAttempts:
		next := now.Add(o.opts.Backoff << r.attempts)
		_, err = o.db.ExecContext(wctx, `UPDATE sms_recipients SET status = 'pending', next_at = ?, error = ? WHERE tenant_id = ? AND id = ?`, next, truncateErr(sendErr), tenantID, r.id)
	default:
		_, err = o.db.ExecContext(wctx, `UPDATE sms_recipients SET status = 'failed', error = ? WHERE tenant_id = ? AND id = ?`, truncateErr(sendErr), tenantID, r.id)
	}
	if err != nil {
		return fmt.Errorf("record send to recipient %d: %w", r.id, err)
	}
	return nil
}

func truncateErr(err error) string {
	s := err.Error()
	if utf8.RuneCountInString(s) > 300 {
		s = string([]rune(s)[:300])
	}
	return s
}

// limit waits until the tenant may send its next message at rate messages a second.
func (o *Outreach) limit(ctx context.Context, tenantID int64, rate int) error {
	interval := time.Second / time.Duration(max(1, rate))
	o.limitMu.Lock()
	now := time.Now()
	at := o.nextAt[tenantID]
	if at.Before(now) {
		at = now
	}
	o.nextAt[tenantID] = at.Add(interval)
	o.limitMu.Unlock()
	if d := at.Sub(now); d > 0 {
		return o.opts.Wait(ctx, d)
	}
	return nil
}
