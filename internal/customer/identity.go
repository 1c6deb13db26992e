package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Identities: one customer per person per tenant. Every identity (kind, value) belongs to exactly
// one customer (the key of customer_identities), so when two customers turn out to share one —
// the unionid of a WeCom contact equals that of a customer first known from an order's phone —
// they are the same person and Resolve merges them (see merge.go).

// Identity kinds beyond the WeCom ones in customer.go.
const (
	IdentityTaobaoNick = "taobao_nick" // Taobao / Tmall buyer nick (淘宝/天猫买家昵称)
	IdentityJDID       = "jd_id"       // JD.com user pin (京东)
	IdentityYouzanID   = "youzan_id"   // Youzan buyer id (有赞)
	IdentityOpenID     = "oa_openid"   // WeChat official-account openid (公众号)
)

// IdentityKinds lists every kind, in display order.
var IdentityKinds = []string{IdentityExternalUserID, IdentityUnionID, IdentityPhone, IdentityTaobaoNick, IdentityJDID, IdentityYouzanID, IdentityOpenID}

// ManualIdentityKinds are the kinds people may add and remove through the API; WeCom's
// external_userid is WeCom's to give and take (a relation event or a full sync).
var ManualIdentityKinds = []string{IdentityUnionID, IdentityPhone, IdentityTaobaoNick, IdentityJDID, IdentityYouzanID, IdentityOpenID}

var (
	// WeChat ids (unionid, openid, external_userid) and platform ids: ASCII letters, digits, _ and -.
	wechatIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)
	// external_userid as WeCom gives it; lenient, printable ASCII without spaces.
	externalIDRE = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)
	platformIDRE = regexp.MustCompile(`^[A-Za-z0-9_.@:-]{1,64}$`)
)

// NormalizeIdentity checks a value of a kind and returns it in its stored form (phones in E.164,
// other values trimmed); when it is not acceptable, ok is false and field says which of "kind"
// and "value" is wrong.
func NormalizeIdentity(kind, value string) (id Identity, field string, ok bool) {
	value = strings.TrimSpace(value)
	if !slices.Contains(IdentityKinds, kind) {
		return Identity{}, "kind", false
	}
	switch kind {
	case IdentityExternalUserID:
		ok = externalIDRE.MatchString(value)
	case IdentityUnionID, IdentityOpenID:
		ok = wechatIDRE.MatchString(value)
	case IdentityPhone:
		if value != "" {
			value, ok = org.NormalizeMobile(value)
		}
	case IdentityYouzanID:
		ok = platformIDRE.MatchString(value)
	case IdentityTaobaoNick, IdentityJDID:
		// Nicks and pins may be Chinese: 1–64 characters, no control characters.
		ok = value != "" && utf8.RuneCountInString(value) <= 64 && !strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 || r == 0x7f })
	}
	if !ok {
		return Identity{}, "value", false
	}
	return Identity{Kind: kind, Value: value}, "", true
}

// normalizeAll validates identities for Resolve: empty values are skipped (an order without a
// phone), the rest must be valid; duplicates are dropped.
func normalizeAll(ids []Identity) ([]Identity, error) {
	var v httpx.Validator
	out := make([]Identity, 0, len(ids))
	for i, id := range ids {
		if strings.TrimSpace(id.Value) == "" {
			continue
		}
		n, field, ok := NormalizeIdentity(id.Kind, id.Value)
		if !ok {
			v.Add(fmt.Sprintf("identities[%d].%s", i, field), "invalid")
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, httpx.FieldErr("identities", "required")
	}
	return out, nil
}

// Resolution is what Resolve did.
type Resolution struct {
	// CustomerID is the one customer of the person.
	CustomerID int64 `json:"customer_id"`
	// Created is true when the person was new.
	Created bool `json:"created"`
	// Merged lists customers that turned out to be the same person and were merged into
	// CustomerID by this call (each with a customer_merges record, so it can be split again).
	Merged []int64 `json:"merged"`
}

// Resolve returns the one customer of the person the identities identify — for example an order
// buyer's phone and Taobao nick, or a WeCom contact's external_userid and unionid — creating the
// customer when none of the identities is known, attaching the identities not yet known to it,
// and merging customers automatically when the identities belong to more than one (the oldest
// customer survives; see Merge). Values are normalised first (phones to E.164; empty values are
// skipped) and an invalid one fails the call with a field error naming identities[i]. It runs in
// its own transaction and retries when a concurrent transaction claimed an identity or customer
// first, so concurrent resolves of the same person never make two customers.
//
// Other capabilities (orders binding buyers, imports) call this; WeCom contacts go through
// ApplyContact, which uses the same rules.
func (s *Service) Resolve(ctx context.Context, tenantID int64, ids []Identity) (Resolution, error) {
	ids, err := normalizeAll(ids)
	if err != nil {
		return Resolution{}, err
	}
	var out Resolution
	for attempt := 0; ; attempt++ {
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			out, err = s.ResolveTx(ctx, tx, tenantID, ids)
			return err
		})
		if err == nil || attempt >= 4 || !(store.IsRetryable(err) || errors.Is(err, errRestart)) {
			break
		}
	}
	if err != nil {
		return Resolution{}, fmt.Errorf("customer: resolve: %w", err)
	}
	return out, nil
}

// errRestart means a customer involved was merged by a concurrent transaction meanwhile: look the
// identities up again.
var errRestart = errors.New("customer: merged concurrently, look up again")

// ResolveTx is Resolve inside the caller's transaction (for a capability that records its own
// rows — an order — in the same transaction). Identities must be valid (NormalizeIdentity). On
// PostgreSQL the caller should retry the whole transaction when store.IsRetryable(err).
func (s *Service) ResolveTx(ctx context.Context, tx *store.Tx, tenantID int64, ids []Identity) (Resolution, error) {
	ids, err := normalizeAll(ids)
	if err != nil {
		return Resolution{}, err
	}
	now := s.clock()
	var out Resolution
	for round := 0; round < 6; round++ {
		owners, err := identityOwners(ctx, tx, tenantID, ids)
		if err != nil {
			return Resolution{}, err
		}
		distinct := distinctOwners(owners)
		var target int64
		switch len(distinct) {
		case 0:
			if err := tx.QueryRowContext(ctx, `INSERT INTO customers (tenant_id, created_at, updated_at) VALUES (?, ?, ?) RETURNING id`,
				tenantID, now, now).Scan(&target); err != nil {
				return Resolution{}, err
			}
			if err := attach(ctx, tx, tenantID, target, now, ids); err != nil {
				return Resolution{}, err
			}
			// Another transaction may have claimed the identities first (an event and a full sync
			// of the same new person, two replicas): the identities' keys decide, and a customer
			// that got none of them is dropped again.
			owners, err = identityOwners(ctx, tx, tenantID, ids)
			if err != nil {
				return Resolution{}, err
			}
			if !slices.Contains(owners, target) {
				if _, err := tx.ExecContext(ctx, `DELETE FROM customers WHERE tenant_id = ? AND id = ?`, tenantID, target); err != nil {
					return Resolution{}, err
				}
				continue
			}
			out.CustomerID, out.Created = target, true
			if len(distinctOwners(owners)) == 1 {
				return out, RefreshSearch(ctx, tx, tenantID, target)
			}
			continue // some identities went to another customer meanwhile: merge next round
		case 1:
			target = distinct[0]
			if !slices.Contains(owners, 0) {
				// Everything is known already and on one customer: nothing to write.
				out.CustomerID = target
				return out, nil
			}
		default:
			target = distinct[0] // the oldest customer survives
			restarted := false
			for _, from := range distinct[1:] {
				if _, err := s.mergeTx(ctx, tx, tenantID, target, from, mergeOptions{auto: true, reason: sharedIdentity(ids, owners, from),
					by: "auto", now: now}); err != nil {
					if errors.Is(err, errRestart) {
						restarted = true
						break
					}
					return Resolution{}, err
				}
				out.Merged = append(out.Merged, from)
			}
			if restarted {
				continue
			}
		}
		// Lock the target for the attach: a concurrent merge of it makes this fail and look up again.
		res, err := tx.ExecContext(ctx, `UPDATE customers SET updated_at = ? WHERE tenant_id = ? AND id = ? AND merged_into IS NULL`, now, tenantID, target)
		if err != nil {
			return Resolution{}, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		if err := attach(ctx, tx, tenantID, target, now, ids); err != nil {
			return Resolution{}, err
		}
		owners, err = identityOwners(ctx, tx, tenantID, ids)
		if err != nil {
			return Resolution{}, err
		}
		if d := distinctOwners(owners); len(d) == 1 && d[0] == target {
			if out.Created && out.CustomerID != target {
				out.Created = false // the customer this call made was merged into an older one
			}
			out.CustomerID = target
			return out, RefreshSearch(ctx, tx, tenantID, target)
		}
	}
	return Resolution{}, errRestart
}

// sharedIdentity names the identity that made from the same person, for the merge record.
func sharedIdentity(ids []Identity, owners []int64, from int64) string {
	for i, o := range owners {
		if o == from {
			return ids[i].Kind
		}
	}
	return ""
}

// identityOwners returns, for each identity, the customer it belongs to (0 when unknown).
func identityOwners(ctx context.Context, tx *store.Tx, tenantID int64, ids []Identity) ([]int64, error) {
	out := make([]int64, len(ids))
	for i, id := range ids {
		err := tx.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value = ?`,
			tenantID, id.Kind, id.Value).Scan(&out[i])
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	return out, nil
}

func distinctOwners(owners []int64) []int64 {
	var out []int64
	for _, o := range owners {
		if o != 0 && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	slices.Sort(out)
	return out
}

// attach adds identities to a customer; ones that belong to someone already stay where they are.
func attach(ctx context.Context, tx *store.Tx, tenantID, cid int64, now time.Time, ids []Identity) error {
	for _, id := range ids {
		if id.Value == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO customer_identities (tenant_id, kind, value, customer_id, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, kind, value) DO NOTHING`, tenantID, id.Kind, id.Value, cid, now); err != nil {
			return err
		}
	}
	return nil
}

// Identity events on the timeline; detail {"kind": …} (never the value: the timeline is shown to
// roles that see personal data masked).
const (
	EventIdentityAdded   = "identity_added"
	EventIdentityRemoved = "identity_removed"
)

// IdentityInput adds an identity to a customer.
type IdentityInput struct {
	Kind  string `json:"kind" doc:"unionid, phone, taobao_nick, jd_id, youzan_id or oa_openid (wecom_external_userid comes from WeCom only)"`
	Value string `json:"value" doc:"phones in any common form, stored in E.164"`
}

// Identities is a customer's identities after a change.
type Identities struct {
	CustomerID int64      `json:"customer_id" doc:"the customer now holding them (the one in the path)"`
	Items      []Identity `json:"items"`
	// MergedFrom is set when the identity belonged to another customer, who was merged into this
	// one (the same person).
	MergedFrom *int64 `json:"merged_from,omitempty"`
}

// visible reports whether a live (not merged) customer is in the caller's scope.
func visible(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, c org.Caller, id int64) (bool, error) {
	cond, args := org.ScopeOf(c).CustomerFilter("c.id")
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers c WHERE c.tenant_id = ? AND c.id = ? AND c.merged_into IS NULL AND `+cond,
		append([]any{c.TenantID, id}, args...)...).Scan(&n)
	return n > 0, err
}

// ListIdentities returns a customer's identities (personal data: masked for roles without it).
func (s *Service) ListIdentities(ctx context.Context, customerID int64) ([]Identity, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := visible(ctx, s.db, c, customerID)
	if err != nil {
		return nil, fmt.Errorf("customer: identities of %d: %w", customerID, err)
	}
	if !ok {
		return nil, httpx.NotFoundf("customer")
	}
	ids, err := s.identitiesOf(ctx, s.db, c.TenantID, customerID)
	if err != nil {
		return nil, err
	}
	if !org.ScopeOf(c).PersonalData {
		for i := range ids {
			ids[i].Value = maskIdentity(ids[i])
		}
	}
	return ids, nil
}

func maskIdentity(id Identity) string {
	if id.Kind == IdentityPhone {
		return org.MaskMobile(id.Value)
	}
	r := []rune(id.Value)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:2]) + strings.Repeat("*", len(r)-4) + string(r[len(r)-2:])
}

func (s *Service) identitiesOf(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, tenantID, customerID int64) ([]Identity, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind, value FROM customer_identities WHERE tenant_id = ? AND customer_id = ? ORDER BY created_at, kind, value`,
		tenantID, customerID)
	if err != nil {
		return nil, fmt.Errorf("customer: identities of %d: %w", customerID, err)
	}
	defer rows.Close()
	out := []Identity{}
	for rows.Next() {
		var i Identity
		if err := rows.Scan(&i.Kind, &i.Value); err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// AddIdentity links an identity to a customer in the caller's scope — a phone the customer gave
// in the store, their Taobao nick. When the identity already belongs to another customer, that
// customer is the same person: if the caller may see them too they are merged into this one
// (recorded, so it can be split again), otherwise the call fails with identity_taken. Adding an
// identity the customer already has changes nothing.
func (s *Service) AddIdentity(ctx context.Context, customerID int64, in IdentityInput) (Identities, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Identities{}, err
	}
	var v httpx.Validator
	id, field, ok := NormalizeIdentity(in.Kind, in.Value)
	switch {
	case strings.TrimSpace(in.Kind) == "":
		v.Add("kind", "required")
	case !ok && field == "kind":
		v.Add("kind", "invalid")
	case !slices.Contains(ManualIdentityKinds, in.Kind):
		v.Add("kind", "not_allowed")
	}
	if strings.TrimSpace(in.Value) == "" {
		v.Add("value", "required")
	} else if !ok && field == "value" {
		v.Add("value", "invalid")
	}
	if err := v.Err(); err != nil {
		return Identities{}, err
	}
	out := Identities{CustomerID: customerID}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.clock()
		ok, err := visible(ctx, tx, c, customerID)
		if err != nil {
			return err
		}
		if !ok {
			return httpx.NotFoundf("customer")
		}
		var owner int64
		err = tx.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value = ?`,
			c.TenantID, id.Kind, id.Value).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := attach(ctx, tx, c.TenantID, customerID, now, []Identity{id}); err != nil {
				return err
			}
			if err := RefreshSearch(ctx, tx, c.TenantID, customerID); err != nil {
				return err
			}
			return appendEvent(ctx, tx, c.TenantID, customerID, EventIdentityAdded, "", jsonDetail(map[string]any{"kind": id.Kind, "by": callerName(c)}),
				"identity:"+randomKey(), now, now)
		case err != nil:
			return err
		case owner == customerID:
			return nil
		}
		seen, err := visible(ctx, tx, c, owner)
		if err != nil {
			return err
		}
		if !seen {
			return httpx.Errorf(httpx.Conflict, "identity_taken", "this identity belongs to another customer")
		}
		if _, err := s.mergeTx(ctx, tx, c.TenantID, customerID, owner, mergeOptions{reason: id.Kind, by: callerName(c), userID: c.UserID, now: now}); err != nil {
			if errors.Is(err, errRestart) {
				return httpx.Errorf(httpx.Conflict, "customer_merged", "the customer was merged meanwhile; reload")
			}
			return err
		}
		out.MergedFrom = &owner
		return nil
	})
	if err != nil {
		return Identities{}, wrap(err, "customer: add identity to %d", customerID)
	}
	out.Items, err = s.identitiesOf(ctx, s.db, c.TenantID, customerID)
	return out, err
}

// RemoveIdentity unlinks an identity from a customer in the caller's scope (a wrong phone).
// WeCom's external_userid cannot be removed: it is WeCom's relation to the person.
func (s *Service) RemoveIdentity(ctx context.Context, customerID int64, kind, value string) error {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return err
	}
	// The customer first: outside the scope it is not found, whatever the query says.
	if ok, err := visible(ctx, s.db, c, customerID); err != nil {
		return fmt.Errorf("customer: remove identity of %d: %w", customerID, err)
	} else if !ok {
		return httpx.NotFoundf("customer")
	}
	var v httpx.Validator
	id, field, ok := NormalizeIdentity(kind, value)
	switch {
	case kind == "":
		v.Add("kind", "required")
	case !ok && field == "kind":
		v.Add("kind", "invalid")
	case !slices.Contains(ManualIdentityKinds, kind):
		v.Add("kind", "not_allowed")
	}
	if strings.TrimSpace(value) == "" {
		v.Add("value", "required")
	} else if !ok && field == "value" {
		v.Add("value", "invalid")
	}
	if err := v.Err(); err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		ok, err := visible(ctx, tx, c, customerID)
		if err != nil {
			return err
		}
		if !ok {
			return httpx.NotFoundf("customer")
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM customer_identities WHERE tenant_id = ? AND kind = ? AND value = ? AND customer_id = ?`,
			c.TenantID, id.Kind, id.Value, customerID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return httpx.NotFoundf("identity")
		}
		if err := RefreshSearch(ctx, tx, c.TenantID, customerID); err != nil {
			return err
		}
		now := s.clock()
		return appendEvent(ctx, tx, c.TenantID, customerID, EventIdentityRemoved, "", jsonDetail(map[string]any{"kind": id.Kind, "by": callerName(c)}),
			"identity:"+randomKey(), now, now)
	})
	return wrap(err, "customer: remove identity of %d", customerID)
}

// wrap adds context to unexpected errors and leaves application errors as they are.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var he *httpx.Error
	if errors.As(err, &he) {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// callerName is how a caller is named in records: display name, else username, else "token".
func callerName(c org.Caller) string {
	switch {
	case c.Display != "":
		return c.Display
	case c.Username != "":
		return c.Username
	case c.TokenID != 0:
		return fmt.Sprintf("token#%d", c.TokenID)
	}
	return ""
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"identity_taken":  {Zh: "该身份属于另一位你无权查看的客户", En: "This identity belongs to another customer you cannot see"},
		"customer_merged": {Zh: "该客户已被合并，请刷新", En: "The customer was merged meanwhile; reload"},
	})
}
