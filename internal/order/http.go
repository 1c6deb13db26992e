package order

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// Routes lists the order and customer-value API.
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/orders", Perm: org.PermCustomerRead, Tag: "orders", Summary: "List orders in my scope, newest first",
			Query: []httpx.Param{{Name: "source", Type: "string", Description: "tmall, taobao, jd, youzan, douyin, pos, mall or other"},
				{Name: "status", Type: "string", Description: "paid, partially_refunded or refunded"},
				{Name: "bound", Type: "string", Description: "bound (has a customer) or unbound"},
				{Name: "customer_id", Type: "integer", Description: "orders of this customer"},
				{Name: "store_id", Type: "integer", Description: "sold by this org unit"},
				{Name: "from", Type: "string", Description: "paid at or after (RFC 3339 or YYYY-MM-DD)"},
				{Name: "to", Type: "string", Description: "paid before (RFC 3339 or YYYY-MM-DD)"},
				{Name: "limit", Type: "integer", Description: "1-500"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
			Response: httpx.Page[Order]{}, Handler: s.handleList},
		{Method: "GET", Path: "/api/v1/orders/{id}", Perm: org.PermCustomerRead, Tag: "orders", Summary: "An order with its items",
			Response: Order{}, Handler: httpx.Read(s.Get)},
		{Method: "POST", Path: "/api/v1/orders", Perm: PermWrite, Tag: "orders",
			Summary: "Ingest one order; the same source and external_id updates it or changes nothing (Idempotency-Key header honoured)",
			Request: Input{}, Response: IngestReply{}, Handler: s.handleIngest},
		{Method: "POST", Path: "/api/v1/orders/batch", Perm: PermWrite, Tag: "orders", Summary: "Ingest up to 1000 orders; all are checked before any is written",
			Request: BatchInput{}, Response: Result{}, Handler: s.handleBatch},
		{Method: "POST", Path: "/api/v1/orders/import", Perm: PermWrite, Tag: "orders",
			Summary: "Import a Taobao/Tmall seller export or a generic order file (CSV in UTF-8 or GBK, or XLSX; multipart field file, at most 32 MB), synchronously",
			Query: []httpx.Param{{Name: "layout", Type: "string", Description: "taobao (default) or generic"},
				{Name: "source", Type: "string", Description: "taobao (default) or tmall, for the taobao layout"},
				{Name: "dry_run", Type: "boolean", Description: "check and count without writing"}},
			Response: ImportReport{}, Handler: s.handleImport},
		{Method: "POST", Path: "/api/v1/orders/bind", Perm: PermWrite, Tag: "orders", Summary: "Bind unbound orders whose buyer identity now belongs to a customer",
			Response: BindReply{}, Handler: s.handleBind},
		{Method: "POST", Path: "/api/v1/orders/webhook-secret", Perm: org.PermSettingsWrite, Tag: "orders",
			Summary: "Create or rotate the tenant's order webhook secret; shown once", Response: SecretReply{}, Handler: s.handleRotateSecret},
		{Method: "POST", Path: "/webhooks/orders/{tenant}", Public: true, Tag: "orders",
			Summary:  "Order webhook: a JSON order or {\"orders\":[…]}, signed with X-Siyu-Signature: sha256=HEX(HMAC-SHA256(secret, body))",
			Response: Result{}, Handler: s.handleWebhook},
		{Method: "GET", Path: "/api/v1/customers/{id}/value", Perm: org.PermCustomerRead, Tag: "customer-value",
			Summary: "A customer's metrics, RFM segment, lifecycle stage and its history", Response: Value{}, Handler: httpx.Read(s.CustomerValue)},
		{Method: "GET", Path: "/api/v1/customer-value/summary", Perm: org.PermCustomerRead, Tag: "customer-value",
			Summary: "Customers in my scope by RFM segment, lifecycle stage and value class", Response: Summary{}, Handler: s.handleSummary},
		{Method: "POST", Path: "/api/v1/customer-value/recompute", Perm: PermWrite, Tag: "customer-value",
			Summary:  "Recompute every customer's metrics, RFM scores, stage and value class now (also run periodically)",
			Response: RecomputeTimings{}, Handler: s.handleRecompute},
		{Method: "POST", Path: "/api/v1/customer-value/predict", Perm: PermWrite, Tag: "customer-value",
			Summary:  "Fit BG/NBD and Gamma-Gamma on the tenant's orders now and replace every customer's P(alive), expected purchases and predicted value (also run daily)",
			Response: ModelFit{}, Handler: s.handlePredict},
		{Method: "GET", Path: "/api/v1/customer-value/model", Perm: org.PermCustomerRead, Tag: "customer-value",
			Summary: "The tenant's last CLV model fit (404 before the first)", Response: ModelFit{}, Handler: s.handleModel},
		{Method: "GET", Path: "/api/v1/settings/customer-value", Perm: org.PermSettingsRead, Tag: "customer-value",
			Summary: "The tenant's RFM, lifecycle and value-class rules", Response: Settings{}, Handler: s.handleGetSettings},
		{Method: "PUT", Path: "/api/v1/settings/customer-value", Perm: org.PermSettingsWrite, Tag: "customer-value",
			Summary: "Replace the tenant's RFM, lifecycle and value-class rules", Request: Rules{}, Response: Settings{}, Handler: s.handlePutSettings},
	}
}

// PermWrite is the permission to write orders.
const PermWrite = org.PermOrdersWrite

// IngestReply is the answer to a single ingest.
type IngestReply struct {
	Outcome Outcome `json:"outcome" doc:"created, updated or unchanged"`
	Order   Order   `json:"order"`
}

// BindReply says how many orders a bind pass attached.
type BindReply struct {
	Bound int `json:"bound"`
}

// SecretReply carries a new webhook secret, shown once.
type SecretReply struct {
	Secret string `json:"secret"`
	URL    string `json:"url" doc:"path to post orders to"`
}

// Settings are the rules plus whether a webhook secret is set.
type Settings struct {
	Rules         Rules `json:"rules"`
	WebhookSecret bool  `json:"webhook_secret" doc:"a webhook secret is set"`
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) error {
	page, err := httpx.PageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := Filter{Source: q.Get("source"), Status: q.Get("status"), Bound: q.Get("bound"), Page: page}
	var v httpx.Validator
	if f.Source != "" {
		v.OneOf("source", f.Source, Sources...)
	}
	if f.Status != "" {
		v.OneOf("status", f.Status, StatusPaid, StatusPartiallyRefunded, StatusRefunded)
	}
	if f.Bound != "" {
		v.OneOf("bound", f.Bound, "bound", "unbound")
	}
	id := func(name string) int64 {
		if s := q.Get(name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			v.Check(err == nil && n > 0, name, "invalid")
			return n
		}
		return 0
	}
	f.CustomerID, f.StoreID = id("customer_id"), id("store_id")
	when := func(name string) *time.Time {
		s := q.Get(name)
		if s == "" {
			return nil
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return &t
		}
		if t, err := time.ParseInLocation(time.DateOnly, s, shanghai); err == nil {
			return &t
		}
		v.Add(name, "invalid")
		return nil
	}
	f.From, f.To = when("from"), when("to")
	if err := v.Err(); err != nil {
		return err
	}
	out, err := s.List(r.Context(), f)
	return httpx.Reply(w, http.StatusOK, out, err)
}

// readBody reads a JSON body once (bounded), so it can be hashed for idempotency.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 4<<20))
	if err != nil {
		return nil, &httpx.Error{Code: httpx.Invalid, Key: "too_large", Message: "request body too large"}
	}
	return b, nil
}

func (s *Service) handleIngest(w http.ResponseWriter, r *http.Request) error {
	var in Input
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		o, out, err := s.Ingest(r.Context(), in)
		return httpx.Reply(w, http.StatusOK, IngestReply{Outcome: out, Order: o}, err)
	}
	reply, err := s.IngestOnce(r.Context(), key, in)
	return httpx.Reply(w, http.StatusOK, reply, err)
}

// IngestOnce runs Ingest under an Idempotency-Key: a repeat with the same key and body answers the
// first reply; the same key with another body is a conflict.
func (s *Service) IngestOnce(ctx context.Context, key string, in Input) (IngestReply, error) {
	c, err := writer(ctx)
	if err != nil {
		return IngestReply{}, err
	}
	if len(key) > 128 {
		return IngestReply{}, httpx.FieldErr("Idempotency-Key", "too_long")
	}
	body, _ := json.Marshal(in)
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	var stored, resp string
	err = s.db.QueryRowContext(ctx, `SELECT request_hash, response FROM order_idempotency WHERE tenant_id = ? AND idem_key = ?`, c.TenantID, key).Scan(&stored, &resp)
	if err == nil {
		if stored != hash {
			return IngestReply{}, &httpx.Error{Code: httpx.Conflict, Key: "idempotency_mismatch", Message: "Idempotency-Key reused with a different body"}
		}
		var out IngestReply
		if err := json.Unmarshal([]byte(resp), &out); err != nil {
			return IngestReply{}, err
		}
		return out, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return IngestReply{}, err
	}
	o, outcome, err := s.Ingest(ctx, in)
	if err != nil {
		return IngestReply{}, err
	}
	out := IngestReply{Outcome: outcome, Order: o}
	b, _ := json.Marshal(out)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO order_idempotency (tenant_id, idem_key, request_hash, response, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, idem_key) DO NOTHING`, c.TenantID, key, hash, string(b), s.clock()); err != nil {
		return IngestReply{}, fmt.Errorf("order: record idempotency key: %w", err)
	}
	return out, nil
}

func (s *Service) handleBatch(w http.ResponseWriter, r *http.Request) error {
	var in BatchInput
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	out, err := s.IngestBatch(r.Context(), in)
	return httpx.Reply(w, http.StatusOK, out, err)
}

const maxUpload = 32 << 20

func (s *Service) handleImport(w http.ResponseWriter, r *http.Request) error {
	c, err := writer(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	opts := ImportOptions{Layout: q.Get("layout"), Source: q.Get("source"), DryRun: q.Get("dry_run") == "true" || q.Get("dry_run") == "1"}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	f, _, err := r.FormFile("file")
	if err != nil {
		return httpx.FieldErr("file", "required")
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return &httpx.Error{Code: httpx.Invalid, Key: "too_large", Message: "file too large"}
	}
	rep, err := s.ImportFile(r.Context(), c.TenantID, data, opts)
	if err != nil && httpx.ErrorCode(err) == httpx.Invalid && len(rep.Errors) > 0 {
		// The report with every row error is the useful answer.
		httpx.JSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": httpx.Invalid,
			"message": httpx.Text(httpx.LangOf(r), "import_failed"), "fields": rowFields(r, err)}, "report": rep})
		return nil
	}
	return httpx.Reply(w, http.StatusOK, rep, err)
}

func rowFields(r *http.Request, err error) map[string]string {
	out := map[string]string{}
	for k, f := range httpx.AsError(err).Fields {
		t := httpx.Text(httpx.LangOf(r), "field."+f.Code)
		if t == "" {
			t = f.Code
		}
		out[k] = t
	}
	return out
}

func (s *Service) handleBind(w http.ResponseWriter, r *http.Request) error {
	c, err := writer(r.Context())
	if err != nil {
		return err
	}
	n, err := s.BindPending(r.Context(), c.TenantID)
	return httpx.Reply(w, http.StatusOK, BindReply{Bound: n}, err)
}

func (s *Service) handleRecompute(w http.ResponseWriter, r *http.Request) error {
	c, err := writer(r.Context())
	if err != nil {
		return err
	}
	out, err := s.Recompute(r.Context(), c.TenantID)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handlePredict(w http.ResponseWriter, r *http.Request) error {
	c, err := writer(r.Context())
	if err != nil {
		return err
	}
	out, err := s.Predict(r.Context(), c.TenantID)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleModel(w http.ResponseWriter, r *http.Request) error {
	c, err := org.RequireCaller(r.Context())
	if err != nil {
		return err
	}
	out, err := s.Model(r.Context(), c.TenantID)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handleSummary(w http.ResponseWriter, r *http.Request) error {
	out, err := s.ValueSummary(r.Context())
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) settings(ctx context.Context, tenantID int64) (Settings, error) {
	rules, err := s.Rules(ctx, tenantID)
	if err != nil {
		return Settings{}, err
	}
	var enc string
	err = s.db.QueryRowContext(ctx, `SELECT webhook_secret_enc FROM order_settings WHERE tenant_id = ?`, tenantID).Scan(&enc)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Settings{}, err
	}
	return Settings{Rules: rules, WebhookSecret: enc != ""}, nil
}

func (s *Service) handleGetSettings(w http.ResponseWriter, r *http.Request) error {
	c, err := org.RequireCaller(r.Context())
	if err != nil {
		return err
	}
	out, err := s.settings(r.Context(), c.TenantID)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func (s *Service) handlePutSettings(w http.ResponseWriter, r *http.Request) error {
	var in Rules
	if err := httpx.Decode(r, &in); err != nil {
		return err
	}
	c, err := writer(r.Context())
	if err != nil {
		return err
	}
	if err := s.SetRulesFor(r.Context(), c.TenantID, in); err != nil {
		return err
	}
	out, err := s.settings(r.Context(), c.TenantID)
	return httpx.Reply(w, http.StatusOK, out, err)
}

func secretAAD(tenantID int64) string {
	return "order_settings:webhook_secret:" + strconv.FormatInt(tenantID, 10)
}

// RotateSecret makes a new webhook secret for the caller's tenant and returns it (once).
func (s *Service) RotateSecret(ctx context.Context) (SecretReply, error) {
	c, err := writer(ctx)
	if err != nil {
		return SecretReply{}, err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return SecretReply{}, err
	}
	secret := hex.EncodeToString(b)
	sealed, err := s.box.Seal(secret, secretAAD(c.TenantID))
	if err != nil {
		return SecretReply{}, err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO order_settings (tenant_id, webhook_secret_enc, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET webhook_secret_enc = excluded.webhook_secret_enc, updated_at = excluded.updated_at`,
		c.TenantID, sealed, s.clock()); err != nil {
		return SecretReply{}, fmt.Errorf("order: save webhook secret: %w", err)
	}
	return SecretReply{Secret: secret, URL: "/webhooks/orders/" + c.TenantSlug}, nil
}

func (s *Service) handleRotateSecret(w http.ResponseWriter, r *http.Request) error {
	out, err := s.RotateSecret(r.Context())
	return httpx.Reply(w, http.StatusOK, out, err)
}

// Sign returns the X-Siyu-Signature value of body under secret (for senders and tests).
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Webhook verifies a signed body for the tenant slug and ingests the order(s) in it. Unknown
// tenants, tenants without a secret and bad signatures all answer the same 401.
func (s *Service) Webhook(ctx context.Context, slug string, body []byte, signature string) (Result, error) {
	deny := &httpx.Error{Code: httpx.Unauthorized, Key: "bad_signature", Message: "the signature does not match"}
	t, err := s.org.TenantBySlug(ctx, slug)
	if err != nil {
		if httpx.ErrorCode(err) == httpx.NotFound {
			return Result{}, deny
		}
		return Result{}, err
	}
	var enc string
	err = s.db.QueryRowContext(ctx, `SELECT webhook_secret_enc FROM order_settings WHERE tenant_id = ?`, t.ID).Scan(&enc)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Result{}, err
	}
	if enc == "" {
		return Result{}, deny
	}
	secret, err := s.box.Open(enc, secretAAD(t.ID))
	if err != nil {
		return Result{}, fmt.Errorf("order: open webhook secret: %w", err)
	}
	if !hmac.Equal([]byte(Sign(secret, body)), []byte(strings.TrimSpace(signature))) {
		return Result{}, deny
	}
	var batch BatchInput
	trimmed := strings.TrimSpace(string(body))
	if err := strictJSON([]byte(trimmed), &batch); err != nil || len(batch.Orders) == 0 {
		var one Input
		if err := strictJSON([]byte(trimmed), &one); err != nil {
			return Result{}, err
		}
		batch.Orders = []Input{one}
	}
	if len(batch.Orders) > maxBatch {
		return Result{}, &httpx.Error{Code: httpx.Invalid, Fields: map[string]httpx.FieldError{"orders": {Code: "too_long", Limit: maxBatch}}}
	}
	res, err := s.IngestFor(ctx, t.ID, batch.Orders)
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &httpx.Error{Code: httpx.Invalid, Key: "bad_json", Message: "bad JSON: " + err.Error()}
	}
	return nil
}

func (s *Service) handleWebhook(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	out, err := s.Webhook(r.Context(), r.PathValue("tenant"), body, r.Header.Get("X-Siyu-Signature"))
	return httpx.Reply(w, http.StatusOK, out, err)
}
