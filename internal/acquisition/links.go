package acquisition

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// ShortLink is a link to a live code with per-recipient tokens, and its click tracking.
type ShortLink struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	ChannelID   int64     `json:"channel_id"`
	ChannelName string    `json:"channel_name"`
	CodeID      int64     `json:"code_id"`
	CodeName    string    `json:"code_name"`
	CampaignID  *int64    `json:"campaign_id"`
	CreatedAt   time.Time `json:"created_at"`
	LinkStats
}

// LinkStats are a link's (or campaign's) recipients and what they did.
type LinkStats struct {
	Recipients   int `json:"recipients"`
	Clicks       int `json:"clicks" doc:"every visit of a recipient's link"`
	UniqueClicks int `json:"unique_clicks" doc:"recipients who clicked at least once"`
	Converted    int `json:"converted" doc:"recipients who clicked and were then added as a customer (by their phone)"`
}

// Recipient is one recipient of a link: their token, clicks and (in a campaign) send status.
type Recipient struct {
	ID           int64      `json:"id"`
	Phone        string     `json:"phone"`
	Name         string     `json:"name"`
	Token        string     `json:"token"`
	Path         string     `json:"path" doc:"the recipient's short link path /s/{token}"`
	Status       string     `json:"status" doc:"empty outside campaigns; pending, sending, sent, failed, opted_out or cancelled"`
	Attempts     int        `json:"attempts"`
	Error        string     `json:"error"`
	SentAt       *time.Time `json:"sent_at"`
	Clicks       int        `json:"clicks"`
	FirstClickAt *time.Time `json:"first_click_at"`
	Converted    bool       `json:"converted"`
}

// RecipientInput is one recipient as imported.
type RecipientInput struct {
	Phone string `json:"phone"`
	Name  string `json:"name,omitempty"`
}

// ShortLinkInput creates a link to a live code with its first recipients.
type ShortLinkInput struct {
	Name       string           `json:"name"`
	CodeID     int64            `json:"code_id"`
	Recipients []RecipientInput `json:"recipients"`
}

// RecipientsInput adds recipients to a link.
type RecipientsInput struct {
	Recipients []RecipientInput `json:"recipients"`
}

// AddedRecipients says how many recipients a write added and how many it skipped as already
// there (the same phone twice in one link).
type AddedRecipients struct {
	Added   int `json:"added"`
	Skipped int `json:"skipped"`
}

// MaxRecipients is the most recipients one request may bring.
const MaxRecipients = 10000

var tokenRE = regexp.MustCompile(`^[a-z0-9]{12}$`)

func newToken() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// checkRecipients normalises phones to E.164 and reports bad and repeated rows by index.
func checkRecipients(v *httpx.Validator, field string, in []RecipientInput) []RecipientInput {
	switch {
	case len(in) == 0:
		v.Add(field, "required")
		return nil
	case len(in) > MaxRecipients:
		v.AddLimit(field, "out_of_range", MaxRecipients)
		return nil
	}
	out := make([]RecipientInput, 0, len(in))
	seen := map[string]bool{}
	for i, r := range in {
		phone, ok := org.NormalizeMobile(r.Phone)
		f := fmt.Sprintf("%s[%d]", field, i)
		name := v.Text(f+".name", r.Name, false, 50)
		switch {
		case !ok || phone == "":
			v.Add(f+".phone", "invalid")
		case seen[phone]:
			v.Add(f+".phone", "duplicate")
		default:
			seen[phone] = true
			out = append(out, RecipientInput{Phone: phone, Name: name})
		}
	}
	return out
}

// linkSelect reads links with their stats; the caller's scope is the channel's org unit.
const linkSelect = `SELECT l.id, l.name, l.channel_id, ch.name, l.code_id, lc.name, l.campaign_id, l.created_at,
	(SELECT COUNT(*) FROM sms_recipients r WHERE r.tenant_id = l.tenant_id AND r.link_id = l.id),
	(SELECT COALESCE(SUM(r.clicks), 0) FROM sms_recipients r WHERE r.tenant_id = l.tenant_id AND r.link_id = l.id),
	(SELECT COUNT(*) FROM sms_recipients r WHERE r.tenant_id = l.tenant_id AND r.link_id = l.id AND r.first_click_at IS NOT NULL),
	(SELECT COUNT(*) FROM sms_recipients r WHERE r.tenant_id = l.tenant_id AND r.link_id = l.id AND ` + convertedCond + `)
	FROM sms_links l JOIN acq_channels ch ON ch.tenant_id = l.tenant_id AND ch.id = l.channel_id
	JOIN org_units u ON u.tenant_id = ch.tenant_id AND u.id = ch.org_unit_id
	JOIN acq_live_codes lc ON lc.tenant_id = l.tenant_id AND lc.id = l.code_id`

// convertedCond: the recipient r clicked, and afterwards a customer with their phone was added.
const convertedCond = `r.first_click_at IS NOT NULL AND EXISTS (SELECT 1 FROM customer_identities ci
	JOIN customer_staff cs ON cs.tenant_id = ci.tenant_id AND cs.customer_id = ci.customer_id
	WHERE ci.tenant_id = r.tenant_id AND ci.kind = 'phone' AND ci.value = r.phone AND cs.added_at >= r.first_click_at)`

func scanLink(row interface{ Scan(...any) error }) (ShortLink, error) {
	var l ShortLink
	var campaign sql.NullInt64
	err := row.Scan(&l.ID, &l.Name, &l.ChannelID, &l.ChannelName, &l.CodeID, &l.CodeName, &campaign, &l.CreatedAt,
		&l.Recipients, &l.Clicks, &l.UniqueClicks, &l.Converted)
	if campaign.Valid {
		l.CampaignID = &campaign.Int64
	}
	return l, err
}

// Links lists the short links of the caller's scope, newest first.
func (o *Outreach) Links(ctx context.Context) ([]ShortLink, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	rows, err := o.db.QueryContext(ctx, linkSelect+` WHERE l.tenant_id = ? AND `+cond+` ORDER BY l.id DESC LIMIT 1000`, append([]any{c.TenantID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("acquisition: short links: %w", err)
	}
	defer rows.Close()
	out := []ShortLink{}
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Link returns one short link of the caller's scope.
func (o *Outreach) Link(ctx context.Context, id int64) (ShortLink, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return ShortLink{}, err
	}
	return o.linkIn(ctx, o.db, c, id)
}

func (o *Outreach) linkIn(ctx context.Context, q store.Querier, c org.Caller, id int64) (ShortLink, error) {
	cond, args := org.ScopeOf(c).UnitFilter("u.path")
	l, err := scanLink(q.QueryRowContext(ctx, linkSelect+` WHERE l.tenant_id = ? AND l.id = ? AND `+cond, append([]any{c.TenantID, id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return ShortLink{}, httpx.NotFoundf("short link")
	}
	if err != nil {
		return ShortLink{}, fmt.Errorf("acquisition: short link %d: %w", id, err)
	}
	return l, nil
}

// checkCode validates a code id of a link or campaign input against the caller's scope.
func (o *Outreach) checkCode(ctx context.Context, v *httpx.Validator, id int64) LiveCode {
	if id <= 0 {
		v.Add("code_id", "required")
		return LiveCode{}
	}
	code, err := o.acq.Code(ctx, id)
	if err != nil {
		v.Add("code_id", "not_found")
	}
	return code
}

// CreateLink makes a short link to a live code (the link's channel is the code's) with its
// recipients, each with their own token.
func (o *Outreach) CreateLink(ctx context.Context, in ShortLinkInput) (ShortLink, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return ShortLink{}, err
	}
	var v httpx.Validator
	name := v.Text("name", in.Name, true, 50)
	code := o.checkCode(ctx, &v, in.CodeID)
	recipients := checkRecipients(&v, "recipients", in.Recipients)
	if err := v.Err(); err != nil {
		return ShortLink{}, err
	}
	var id int64
	err = o.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = o.insertLink(ctx, tx, c.TenantID, name, code, nil)
		if err != nil {
			return err
		}
		_, err = o.insertRecipients(ctx, tx, c.TenantID, id, nil, recipients)
		return err
	})
	if err != nil {
		return ShortLink{}, err
	}
	return o.Link(ctx, id)
}

func (o *Outreach) insertLink(ctx context.Context, tx *store.Tx, tenantID int64, name string, code LiveCode, campaignID *int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO sms_links (tenant_id, name, channel_id, code_id, campaign_id, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		tenantID, name, code.ChannelID, code.ID, campaignID, o.clock()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("acquisition: insert short link: %w", err)
	}
	return id, nil
}

// insertRecipients adds recipients (phones already in the link are skipped).
func (o *Outreach) insertRecipients(ctx context.Context, tx *store.Tx, tenantID, linkID int64, campaignID *int64, in []RecipientInput) (AddedRecipients, error) {
	status := ""
	if campaignID != nil {
		status = "pending"
	}
	var out AddedRecipients
	now := o.clock()
	for _, r := range in {
		res, err := tx.ExecContext(ctx, `INSERT INTO sms_recipients (tenant_id, link_id, campaign_id, phone, name, token, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (link_id, phone) DO NOTHING`, tenantID, linkID, campaignID, r.Phone, r.Name, newToken(), status, now)
		if err != nil {
			return out, fmt.Errorf("acquisition: insert recipient: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out.Added++
		} else {
			out.Skipped++
		}
	}
	return out, nil
}

// AddRecipients adds recipients to a link that is not a campaign's.
func (o *Outreach) AddRecipients(ctx context.Context, id int64, in RecipientsInput) (AddedRecipients, error) {
	c, _, err := writer(ctx)
	if err != nil {
		return AddedRecipients{}, err
	}
	l, err := o.linkIn(ctx, o.db, c, id)
	if err != nil {
		return AddedRecipients{}, err
	}
	var v httpx.Validator
	recipients := checkRecipients(&v, "recipients", in.Recipients)
	if l.CampaignID != nil {
		v.Add("recipients", "not_allowed") // a campaign's recipients are its import
	}
	if err := v.Err(); err != nil {
		return AddedRecipients{}, err
	}
	var out AddedRecipients
	err = o.db.InTx(ctx, func(tx *store.Tx) error {
		out, err = o.insertRecipients(ctx, tx, c.TenantID, id, nil, recipients)
		return err
	})
	return out, err
}

// Recipients pages through a link's recipients in id order (phones masked for analysts).
func (o *Outreach) Recipients(ctx context.Context, linkID int64, page httpx.PageRequest, status string) (httpx.Page[Recipient], error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return httpx.Page[Recipient]{}, err
	}
	if _, err := o.linkIn(ctx, o.db, c, linkID); err != nil {
		return httpx.Page[Recipient]{}, err
	}
	q := `SELECT r.id, r.phone, r.name, r.token, r.status, r.attempts, r.error, r.sent_at, r.clicks, r.first_click_at,
		CASE WHEN ` + convertedCond + ` THEN 1 ELSE 0 END
		FROM sms_recipients r WHERE r.tenant_id = ? AND r.link_id = ? AND r.id > ?`
	args := []any{c.TenantID, linkID, page.After}
	if status != "" {
		q += ` AND r.status = ?`
		args = append(args, status)
	}
	rows, err := o.db.QueryContext(ctx, q+` ORDER BY r.id LIMIT ?`, append(args, page.Limit+1)...)
	if err != nil {
		return httpx.Page[Recipient]{}, fmt.Errorf("acquisition: recipients of link %d: %w", linkID, err)
	}
	defer rows.Close()
	personal := org.ScopeOf(c).PersonalData
	var items []Recipient
	for rows.Next() {
		var m Recipient
		var sent, first sql.NullTime
		var conv int
		if err := rows.Scan(&m.ID, &m.Phone, &m.Name, &m.Token, &m.Status, &m.Attempts, &m.Error, &sent, &m.Clicks, &first, &conv); err != nil {
			return httpx.Page[Recipient]{}, err
		}
		if sent.Valid {
			m.SentAt = &sent.Time
		}
		if first.Valid {
			m.FirstClickAt = &first.Time
		}
		m.Converted = conv == 1
		m.Path = "/s/" + m.Token
		if !personal {
			m.Phone, m.Name = org.MaskMobile(m.Phone), org.MaskName(m.Name)
		}
		items = append(items, m)
	}
	if err := rows.Err(); err != nil {
		return httpx.Page[Recipient]{}, err
	}
	return httpx.MakePage(items, page.Limit, func(r Recipient) int64 { return r.ID }), nil
}

// Click counts a visit of a recipient's link and returns the slug of the code it leads to and
// the recipient; ok is false for an unknown token.
func (o *Outreach) Click(ctx context.Context, token string) (slug string, tenantID, recipientID int64, ok bool, err error) {
	if !tokenRE.MatchString(token) {
		return "", 0, 0, false, nil
	}
	err = o.db.QueryRowContext(ctx, `SELECT r.tenant_id, r.id, lc.slug FROM sms_recipients r
		JOIN sms_links l ON l.tenant_id = r.tenant_id AND l.id = r.link_id
		JOIN acq_live_codes lc ON lc.tenant_id = l.tenant_id AND lc.id = l.code_id WHERE r.token = ?`, token).Scan(&tenantID, &recipientID, &slug)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, 0, false, nil
	}
	if err != nil {
		return "", 0, 0, false, fmt.Errorf("acquisition: short link %s: %w", token, err)
	}
	now := o.clock()
	_, err = o.db.ExecContext(ctx, `UPDATE sms_recipients SET clicks = clicks + 1, first_click_at = COALESCE(first_click_at, ?), last_click_at = ?
		WHERE tenant_id = ? AND id = ?`, now, now, tenantID, recipientID)
	if err != nil {
		return "", 0, 0, false, fmt.Errorf("acquisition: count click of %s: %w", token, err)
	}
	return slug, tenantID, recipientID, true, nil
}

// ShortLinkHandler serves GET /s/{token}: anonymous, it counts the click and answers as the
// code's landing /l/{slug} does (the same page or JSON); the staff member the first click was
// routed to is kept on the recipient.
func (o *Outreach) ShortLinkHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slug, tid, rid, ok, err := o.Click(r.Context(), r.PathValue("token"))
		if err != nil {
			o.log.ErrorContext(r.Context(), "short link click not counted", "err", err)
		}
		if !ok {
			slug = "" // answers 404 as an unknown code does
		}
		land, err := o.acq.ServeLanding(w, r, slug)
		if err == nil && ok && land.UserID != "" {
			if _, err := o.db.ExecContext(r.Context(), `UPDATE sms_recipients SET click_userid = ? WHERE tenant_id = ? AND id = ? AND click_userid = ''`, land.UserID, tid, rid); err != nil {
				o.log.WarnContext(r.Context(), "short link staff not kept", "err", err)
			}
		}
	})
}
