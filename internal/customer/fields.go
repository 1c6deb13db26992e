package customer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
)

// Custom fields (自定义字段) are a tenant's own profile fields. A definition has a key (what APIs
// and imports use, fixed once created), a label (what people see; imports match it too), a type
// and, for selects, its options. Values are stored per customer as JSON: "text", 12.5,
// "2001-02-03", "VIP", ["a","b"].

// Field types.
const (
	FieldText        = "text"
	FieldNumber      = "number"
	FieldDate        = "date"
	FieldSelect      = "select"
	FieldMultiSelect = "multiselect"
)

// FieldTypes lists the field types.
var FieldTypes = []string{FieldText, FieldNumber, FieldDate, FieldSelect, FieldMultiSelect}

const (
	maxFields      = 100 // per tenant
	maxFieldLabel  = 30
	maxOptions     = 100
	maxOptionLen   = 30
	maxTextValue   = 500
	maxRemark      = 500
	maxNameLen     = 64
	fieldKeyPrefix = "field:"
)

var fieldKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Field is a custom field definition.
type Field struct {
	ID        int64     `json:"id"`
	Key       string    `json:"key" doc:"a-z, 0-9 and _, starting with a letter; fixed once created"`
	Label     string    `json:"label"`
	Type      string    `json:"type" doc:"text, number, date, select or multiselect"`
	Options   []string  `json:"options" doc:"the choices of select and multiselect fields"`
	Sort      int       `json:"sort" doc:"smaller first"`
	Archived  bool      `json:"archived" doc:"hidden from forms and imports; values are kept"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FieldInput creates a field.
type FieldInput struct {
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Type    string   `json:"type"`
	Options []string `json:"options"`
	Sort    int      `json:"sort"`
}

// FieldPatch changes a field; absent members keep their value. Key and type cannot change:
// stored values and import templates depend on them.
type FieldPatch struct {
	Label    *string   `json:"label"`
	Options  *[]string `json:"options"`
	Sort     *int      `json:"sort"`
	Archived *bool     `json:"archived"`
}

// ProfileInput changes a customer's own profile fields. Absent members keep their value; a
// value of null in Fields removes it; Birthday "" clears the birthday.
type ProfileInput struct {
	Birthday *string                    `json:"birthday" doc:"YYYY-MM-DD, or empty to clear"`
	Remark   *string                    `json:"remark"`
	Fields   map[string]json.RawMessage `json:"fields" doc:"custom field values by key; null removes a value"`
}

// ProfileValues is a customer's birthday, remark and custom field values.
type ProfileValues struct {
	Birthday *string        `json:"birthday"`
	Remark   string         `json:"remark"`
	Fields   map[string]any `json:"fields"`
}

// Fields lists the tenant's custom field definitions, archived ones included, in sort order.
func (s *Service) Fields(ctx context.Context) ([]Field, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	return s.fieldDefs(ctx, s.db, c.TenantID)
}

func (s *Service) fieldDefs(ctx context.Context, q store.Querier, tenantID int64) ([]Field, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, key, label, type, options, sort, archived, created_at, updated_at
		FROM customer_fields WHERE tenant_id = ? ORDER BY sort, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("customer: fields: %w", err)
	}
	defer rows.Close()
	out := []Field{}
	for rows.Next() {
		var f Field
		var opts string
		if err := rows.Scan(&f.ID, &f.Key, &f.Label, &f.Type, &opts, &f.Sort, &f.Archived, &f.CreatedAt, &f.UpdatedAt); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(opts), &f.Options); err != nil {
			return nil, fmt.Errorf("customer: field %d options: %w", f.ID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *Service) fieldByID(ctx context.Context, tenantID, id int64) (Field, error) {
	defs, err := s.fieldDefs(ctx, s.db, tenantID)
	if err != nil {
		return Field{}, err
	}
	for _, f := range defs {
		if f.ID == id {
			return f, nil
		}
	}
	return Field{}, httpx.NotFoundf("customer field")
}

// checkOptions validates the options of a field of type typ.
func checkOptions(v *httpx.Validator, typ string, opts []string) []string {
	if typ != FieldSelect && typ != FieldMultiSelect {
		v.Check(len(opts) == 0, "options", "not_allowed")
		return []string{}
	}
	out := []string{}
	switch {
	case len(opts) == 0:
		v.Add("options", "required")
	case len(opts) > maxOptions:
		v.Add("options", "out_of_range")
	}
	for _, o := range opts {
		var ov httpx.Validator
		o = ov.Text("options", o, true, maxOptionLen)
		// A comma would be read as two values of a multiselect in imports.
		if ov.Err() != nil || slices.Contains(out, o) || strings.ContainsAny(o, ",，") {
			v.Add("options", "invalid")
			continue
		}
		out = append(out, o)
	}
	return out
}

// CreateField adds a custom field definition.
func (s *Service) CreateField(ctx context.Context, in FieldInput) (Field, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Field{}, err
	}
	var v httpx.Validator
	key := strings.TrimSpace(in.Key)
	v.Check(fieldKeyRE.MatchString(key) && !reservedKey(key), "key", "invalid")
	label := v.Text("label", in.Label, true, maxFieldLabel)
	v.OneOf("type", in.Type, FieldTypes...)
	opts := checkOptions(&v, in.Type, in.Options)
	v.Check(in.Sort >= 0 && in.Sort <= 1_000_000, "sort", "out_of_range")
	if err := v.Err(); err != nil {
		return Field{}, err
	}
	if reservedKey(strings.ToLower(label)) || builtinHeader(label) != "" {
		return Field{}, httpx.FieldErr("label", "taken") // would be read as a built-in column by imports
	}
	optJSON, _ := json.Marshal(opts)
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_fields WHERE tenant_id = ?`, c.TenantID).Scan(&n); err != nil {
			return err
		}
		if n >= maxFields {
			return httpx.Errorf(httpx.Conflict, "customer_fields_full", "a tenant has at most %d custom fields", maxFields)
		}
		now := s.clock()
		return tx.QueryRowContext(ctx, `INSERT INTO customer_fields (tenant_id, key, label, type, options, sort, archived, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, FALSE, ?, ?) RETURNING id`, c.TenantID, key, label, in.Type, string(optJSON), in.Sort, now, now).Scan(&id)
	})
	if err != nil {
		return Field{}, fieldUniqueErr(err)
	}
	return s.fieldByID(ctx, c.TenantID, id)
}

func fieldUniqueErr(err error) error {
	if store.IsUniqueViolation(err) {
		if strings.Contains(err.Error(), "label") {
			return httpx.FieldErr("label", "taken")
		}
		return httpx.FieldErr("key", "taken")
	}
	var he *httpx.Error
	if errors.As(err, &he) {
		return err
	}
	return fmt.Errorf("customer: save field: %w", err)
}

// UpdateField changes a field's label, options, sort or archived flag. Options taken away stay
// on the customers who have them until their value is next changed.
func (s *Service) UpdateField(ctx context.Context, id int64, p FieldPatch) (Field, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return Field{}, err
	}
	f, err := s.fieldByID(ctx, c.TenantID, id)
	if err != nil {
		return Field{}, err
	}
	var v httpx.Validator
	if p.Label != nil {
		f.Label = v.Text("label", *p.Label, true, maxFieldLabel)
		if !v.Has("label") && (reservedKey(strings.ToLower(f.Label)) || builtinHeader(f.Label) != "") {
			v.Add("label", "taken")
		}
	}
	if p.Options != nil {
		f.Options = checkOptions(&v, f.Type, *p.Options)
	}
	if p.Sort != nil {
		v.Check(*p.Sort >= 0 && *p.Sort <= 1_000_000, "sort", "out_of_range")
		f.Sort = *p.Sort
	}
	if p.Archived != nil {
		f.Archived = *p.Archived
	}
	if err := v.Err(); err != nil {
		return Field{}, err
	}
	optJSON, _ := json.Marshal(f.Options)
	_, err = s.db.ExecContext(ctx, `UPDATE customer_fields SET label = ?, options = ?, sort = ?, archived = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`, f.Label, string(optJSON), f.Sort, f.Archived, s.clock(), c.TenantID, id)
	if err != nil {
		return Field{}, fieldUniqueErr(err)
	}
	return s.fieldByID(ctx, c.TenantID, id)
}

// DeleteField removes a field and every customer's value of it. Archive a field to hide it and
// keep the values.
func (s *Service) DeleteField(ctx context.Context, id int64) error {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return err
	}
	if _, err := s.fieldByID(ctx, c.TenantID, id); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_field_values WHERE tenant_id = ? AND field_id = ?`, c.TenantID, id); err != nil {
			return fmt.Errorf("customer: delete values of field %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_fields WHERE tenant_id = ? AND id = ?`, c.TenantID, id); err != nil {
			return fmt.Errorf("customer: delete field %d: %w", id, err)
		}
		return nil
	})
}

// reservedKey reports whether a key would collide with a built-in import column.
func reservedKey(k string) bool {
	return slices.Contains([]string{ColName, ColPhone, ColGender, ColBirthday, ColTags, ColRemark}, k)
}

// fieldValue checks a JSON value given through the API for field f and returns its stored form.
func fieldValue(f Field, raw json.RawMessage) (string, string) {
	switch f.Type {
	case FieldNumber:
		var n float64
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", "invalid"
		}
		return numberJSON(n)
	case FieldMultiSelect:
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			return "", "invalid"
		}
		return multiJSON(f, list)
	default:
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return "", "invalid"
		}
		return fieldCell(f, str)
	}
}

// fieldCell checks a value written as text (an import cell, or a string through the API) for
// field f and returns its stored JSON form, or an error code. Empty text is "no value" and
// returns "".
func fieldCell(f Field, cell string) (string, string) {
	cell = strings.TrimSpace(cell)
	if cell == "" {
		return "", ""
	}
	switch f.Type {
	case FieldText:
		var v httpx.Validator
		v.Text("value", cell, false, maxTextValue)
		if v.Err() != nil {
			if utf8Len(cell) > maxTextValue {
				return "", "too_long"
			}
			return "", "invalid"
		}
		return jsonString(cell), ""
	case FieldNumber:
		n, err := strconv.ParseFloat(strings.ReplaceAll(cell, ",", ""), 64)
		if err != nil {
			return "", "invalid"
		}
		return numberJSON(n)
	case FieldDate:
		d, ok := parseDate(cell)
		if !ok {
			return "", "invalid"
		}
		return jsonString(d), ""
	case FieldSelect:
		if !slices.Contains(f.Options, cell) {
			return "", "not_option"
		}
		return jsonString(cell), ""
	case FieldMultiSelect:
		return multiJSON(f, splitList(cell))
	}
	return "", "invalid"
}

func numberJSON(n float64) (string, string) {
	if math.IsNaN(n) || math.IsInf(n, 0) || math.Abs(n) > 1e15 {
		return "", "out_of_range"
	}
	return strconv.FormatFloat(n, 'f', -1, 64), ""
}

func multiJSON(f Field, list []string) (string, string) {
	out := []string{}
	for _, o := range list {
		o = strings.TrimSpace(o)
		if o == "" || slices.Contains(out, o) {
			continue
		}
		if !slices.Contains(f.Options, o) {
			return "", "not_option"
		}
		out = append(out, o)
	}
	if len(out) == 0 {
		return "", ""
	}
	// Stored in the order of the options, so the same choice is always the same value.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(f.Options, a) - slices.Index(f.Options, b) })
	b, _ := json.Marshal(out)
	return string(b), ""
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func utf8Len(s string) int { return len([]rune(s)) }

// splitList splits a cell holding several values: "a,b，c" (ASCII or full-width commas, also
// semicolons and 、).
func splitList(cell string) []string {
	parts := strings.FieldsFunc(cell, func(r rune) bool { return r == ',' || r == '，' || r == ';' || r == '；' || r == '、' })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var dateRE = regexp.MustCompile(`^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$`)

// parseDate reads a calendar date: 2001-02-03, 2001/2/3, 2001.2.3, 2001年2月3日, or 20010203.
func parseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	var y, m, d int
	if mm := dateRE.FindStringSubmatch(s); mm != nil {
		y, _ = strconv.Atoi(mm[1])
		m, _ = strconv.Atoi(mm[2])
		d, _ = strconv.Atoi(mm[3])
	} else if len(s) == 8 && isDigits(s) {
		y, _ = strconv.Atoi(s[:4])
		m, _ = strconv.Atoi(s[4:6])
		d, _ = strconv.Atoi(s[6:])
	} else {
		return "", false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d || y < 1900 || y > 2100 {
		return "", false
	}
	return t.Format("2006-01-02"), true
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// decodeValue turns a stored JSON value back into a Go value for the API.
func decodeValue(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	return v
}

// profileFields reads a customer's birthday, remark and custom field values for the profile.
// Roles without personal-data access see no birthday, no remark and no text or date values
// (free text and dates often hold personal data); select and number values they see.
func (s *Service) profileFields(ctx context.Context, sc org.Scope, id int64) (*string, string, map[string]any, error) {
	var birthday sql.NullString
	var remark string
	if err := s.db.QueryRowContext(ctx, `SELECT birthday, remark FROM customers WHERE tenant_id = ? AND id = ?`, sc.TenantID, id).
		Scan(&birthday, &remark); err != nil {
		return nil, "", nil, fmt.Errorf("customer: profile fields of %d: %w", id, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT f.key, f.type, v.value FROM customer_field_values v
		JOIN customer_fields f ON f.tenant_id = v.tenant_id AND f.id = v.field_id
		WHERE v.tenant_id = ? AND v.customer_id = ? ORDER BY f.sort, f.id`, sc.TenantID, id)
	if err != nil {
		return nil, "", nil, fmt.Errorf("customer: field values of %d: %w", id, err)
	}
	defer rows.Close()
	values := map[string]any{}
	for rows.Next() {
		var key, typ, val string
		if err := rows.Scan(&key, &typ, &val); err != nil {
			return nil, "", nil, err
		}
		if !sc.PersonalData && (typ == FieldText || typ == FieldDate) {
			continue
		}
		values[key] = decodeValue(val)
	}
	if err := rows.Err(); err != nil {
		return nil, "", nil, err
	}
	if !sc.PersonalData {
		return nil, "", values, nil
	}
	var b *string
	if birthday.Valid && birthday.String != "" {
		b = &birthday.String
	}
	return b, remark, values, nil
}

// customerInScope reports whether a customer exists in the caller's scope.
func (s *Service) customerInScope(ctx context.Context, c org.Caller, id int64) error {
	cond, args := org.ScopeOf(c).CustomerFilter("c.id")
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers c WHERE c.tenant_id = ? AND c.id = ? AND `+cond,
		append([]any{c.TenantID, id}, args...)...).Scan(&n); err != nil {
		return fmt.Errorf("customer: find %d: %w", id, err)
	}
	if n == 0 {
		return httpx.NotFoundf("customer")
	}
	return nil
}

// ProfileOf returns a customer's birthday, remark and custom field values.
func (s *Service) ProfileOf(ctx context.Context, id int64) (ProfileValues, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return ProfileValues{}, err
	}
	if err := s.customerInScope(ctx, c, id); err != nil {
		return ProfileValues{}, err
	}
	b, r, f, err := s.profileFields(ctx, org.ScopeOf(c), id)
	return ProfileValues{Birthday: b, Remark: r, Fields: f}, err
}

// SetProfile changes a customer's birthday, remark and custom field values, each checked against
// its definition; archived fields cannot be set. A change lands on the timeline.
func (s *Service) SetProfile(ctx context.Context, id int64, in ProfileInput) (ProfileValues, error) {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return ProfileValues{}, err
	}
	sc := org.ScopeOf(c)
	if sc.ReadOnly {
		return ProfileValues{}, &httpx.Error{Code: httpx.Forbidden}
	}
	defs, err := s.fieldDefs(ctx, s.db, c.TenantID)
	if err != nil {
		return ProfileValues{}, err
	}
	byKey := map[string]Field{}
	for _, f := range defs {
		byKey[f.Key] = f
	}
	var v httpx.Validator
	var birthday *string
	if in.Birthday != nil {
		b := strings.TrimSpace(*in.Birthday)
		if b != "" {
			d, ok := parseDate(b)
			v.Check(ok && d == b, "birthday", "invalid")
			b = d
		}
		birthday = &b
	}
	var remark *string
	if in.Remark != nil {
		r := strings.TrimSpace(*in.Remark)
		if utf8Len(r) > maxRemark {
			v.AddLimit("remark", "too_long", maxRemark)
		}
		remark = &r
	}
	type change struct {
		field Field
		value string // "" removes
	}
	var changes []change
	keys := make([]string, 0, len(in.Fields))
	for k := range in.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		raw := in.Fields[k]
		name := "fields." + k
		f, ok := byKey[k]
		if !ok || f.Archived {
			v.Add(name, "not_found")
			continue
		}
		if string(raw) == "null" {
			changes = append(changes, change{field: f})
			continue
		}
		val, code := fieldValue(f, raw)
		if code != "" {
			v.Add(name, code)
			continue
		}
		changes = append(changes, change{field: f, value: val})
	}
	if birthday == nil && remark == nil && len(in.Fields) == 0 {
		v.Add("fields", "required")
	}
	if err := v.Err(); err != nil {
		return ProfileValues{}, err
	}
	if err := s.customerInScope(ctx, c, id); err != nil {
		return ProfileValues{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.clock()
		var changed []string
		if birthday != nil || remark != nil {
			var oldB sql.NullString
			var oldR string
			if err := tx.QueryRowContext(ctx, `SELECT birthday, remark FROM customers WHERE tenant_id = ? AND id = ?`, c.TenantID, id).Scan(&oldB, &oldR); err != nil {
				return err
			}
			nb, nr := oldB.String, oldR
			if birthday != nil && *birthday != nb {
				nb = *birthday
				changed = append(changed, ColBirthday)
			}
			if remark != nil && *remark != nr {
				nr = *remark
				changed = append(changed, ColRemark)
			}
			if nb != oldB.String || nr != oldR {
				if _, err := tx.ExecContext(ctx, `UPDATE customers SET birthday = ?, remark = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
					nullIfEmpty(nb), nr, now, c.TenantID, id); err != nil {
					return err
				}
			}
		}
		for _, ch := range changes {
			var res sql.Result
			var err error
			if ch.value == "" {
				res, err = tx.ExecContext(ctx, `DELETE FROM customer_field_values WHERE tenant_id = ? AND customer_id = ? AND field_id = ?`,
					c.TenantID, id, ch.field.ID)
			} else {
				res, err = tx.ExecContext(ctx, `INSERT INTO customer_field_values (tenant_id, customer_id, field_id, value, updated_at) VALUES (?, ?, ?, ?, ?)
					ON CONFLICT (tenant_id, customer_id, field_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
					WHERE customer_field_values.value <> excluded.value`, c.TenantID, id, ch.field.ID, ch.value, now)
			}
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				changed = append(changed, fieldKeyPrefix+ch.field.Key)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if slices.Contains(changed, ColRemark) {
			if err := RefreshSearch(ctx, tx, c.TenantID, id); err != nil {
				return err
			}
		}
		detail, _ := json.Marshal(map[string]any{"changed": changed, "by": actorOf(c)})
		return appendEvent(ctx, tx, c.TenantID, id, EventProfileEdited, "", string(detail), "profile:"+randomKey(), now, now)
	})
	if err != nil {
		return ProfileValues{}, fmt.Errorf("customer: set profile of %d: %w", id, err)
	}
	b, r, f, err := s.profileFields(ctx, sc, id)
	return ProfileValues{Birthday: b, Remark: r, Fields: f}, err
}

// EventProfileEdited is the timeline kind for profile fields changed in Siyu; detail
// {"changed":["birthday","field:level"],"by":"admin"}.
const EventProfileEdited = "profile_edited"

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// actorOf names a caller for audit records and timelines.
func actorOf(c org.Caller) string {
	switch {
	case c.Username != "":
		return c.Username
	case c.TokenID != 0:
		return "token:" + strconv.FormatInt(c.TokenID, 10)
	}
	return string(c.Role)
}

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"customer_fields_full": {Zh: "自定义字段数量已达上限", En: "This tenant has the maximum number of custom fields"},
		"field.not_option":     {Zh: "不是此字段的可选项", En: "is not one of the field's options"},
		"field.ambiguous":      {Zh: "有多个同名对象，无法确定", En: "matches more than one object"},
		"field.duplicate":      {Zh: "与文件中前面的行重复", En: "repeats an earlier row of the file"},
	})
}
