package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/siyu-scrm/siyu/internal/app"
	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/org"
)

// TestOpenAPIIsTrue: every registered route is documented, and every documented operation is
// served by a registered handler (not the catch-all 404, not 405).
func TestOpenAPIIsTrue(t *testing.T) {
	a, srv := start(t, "")
	w := build(t, a, srv)
	owner := w.users[org.Owner]
	r := owner.do("GET", "/api/openapi.json", nil)
	if r.Status != 200 {
		t.Fatalf("openapi: %d", r.Status)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	registered := map[string]bool{}
	for _, route := range a.Router.Routes() {
		key := strings.ToLower(route.Method) + " " + route.Path
		registered[key] = true
		op, ok := doc.Paths[route.Path][strings.ToLower(route.Method)]
		if !ok {
			t.Errorf("route %s is not documented", key)
			continue
		}
		if op["summary"] == "" || op["responses"] == nil {
			t.Errorf("route %s documented without summary or responses", key)
		}
	}
	idRE := regexp.MustCompile(`\{[a-z_]+\}`)
	documented := 0
	for path, ops := range doc.Paths {
		for method := range ops {
			documented++
			if !registered[method+" "+path] {
				t.Errorf("documented %s %s is not registered", method, path)
			}
			// The router itself must own the path: probe it and make sure the answer does not come
			// from the catch-all or from a method mismatch.
			resp := owner.do(strings.ToUpper(method), idRE.ReplaceAllString(path, "999999"), nil)
			if resp.Status == http.StatusMethodNotAllowed || strings.Contains(string(resp.Body), `"No such API route"`) ||
				strings.Contains(string(resp.Body), "接口不存在") {
				t.Errorf("documented %s %s is not served: %d %s", method, path, resp.Status, resp.Body)
			}
		}
	}
	if documented != len(registered) {
		t.Errorf("%d documented operations, %d registered routes", documented, len(registered))
	}
	// Schemas referenced from operations exist.
	for _, ref := range regexp.MustCompile(`"#/components/schemas/([A-Za-z0-9]*)"`).FindAllStringSubmatch(string(r.Body), -1) {
		if ref[1] == "" || !strings.Contains(string(r.Body), `"`+ref[1]+`":{`) {
			t.Errorf("schema %s referenced but not defined", ref[1])
		}
	}
}

func TestConventions(t *testing.T) {
	a, srv := start(t, "")
	w := build(t, a, srv)
	owner := w.users[org.Owner]

	t.Run("health, readiness, metrics", func(t *testing.T) {
		for path, want := range map[string]string{"/healthz": `"ok"`, "/readyz": `"ready"`, "/metrics": "siyu_http_requests_total"} {
			r := owner.do("GET", path, nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), want) {
				t.Errorf("GET %s = %d %.200s, want 200 containing %s", path, r.Status, r.Body, want)
			}
		}
	})

	t.Run("csrf required for cookie writes", func(t *testing.T) {
		noCSRF := *owner
		noCSRF.csrf = ""
		r := noCSRF.do("POST", "/api/v1/org-units", map[string]any{"parent_id": w.root.ID, "name": "x", "kind": "store"})
		if r.Status != 403 || !strings.Contains(string(r.Body), "CSRF") {
			t.Errorf("write without CSRF: %d %s", r.Status, r.Body)
		}
		wrong := *owner
		wrong.csrf = "forged"
		if r := wrong.do("PATCH", "/api/v1/staff/1", map[string]any{"name": "x"}); r.Status != 403 {
			t.Errorf("write with wrong CSRF: %d", r.Status)
		}
		if r := noCSRF.do("GET", "/api/v1/org-units", nil); r.Status != 200 {
			t.Errorf("read without CSRF: %d", r.Status)
		}
	})

	t.Run("session cookie flags", func(t *testing.T) {
		resp, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json",
			strings.NewReader(`{"tenant":"`+w.a.Slug+`","username":"owner","password":"`+pw+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		set := resp.Header.Get("Set-Cookie")
		for _, want := range []string{"siyu_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(set, want) {
				t.Errorf("Set-Cookie %q lacks %s", set, want)
			}
		}
	})

	t.Run("login CSRF: a form-encodable body is refused", func(t *testing.T) {
		resp, err := http.Post(srv.URL+"/api/v1/auth/login", "text/plain",
			strings.NewReader(`{"tenant":"`+w.a.Slug+`","username":"owner","password":"`+pw+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 415 || resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("text/plain login: %d, Set-Cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("X-Frame-Options = %q", resp.Header.Get("X-Frame-Options"))
		}
	})

	t.Run("lockout over HTTP", func(t *testing.T) {
		anon := &client{t: t, base: srv.URL, http: http.DefaultClient}
		var last response
		for i := 0; i <= org.MaxFailedLogins; i++ {
			last = anon.do("POST", "/api/v1/auth/login", map[string]string{"tenant": w.a.Slug, "username": "analyst", "password": "wrong-password"})
		}
		if last.Status != 429 {
			t.Errorf("after %d failures: %d %s, want 429", org.MaxFailedLogins+1, last.Status, last.Body)
		}
	})

	t.Run("request ids and error shape", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/nope", nil)
		req.Header.Set("X-Request-Id", "trace-123")
		req.Header.Set("Accept-Language", "en-US,en;q=0.9")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Error struct{ Code, Message, RequestID string } `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != 404 || resp.Header.Get("X-Request-Id") != "trace-123" || body.Error.Code != "not_found" ||
			body.Error.Message != "No such API route" {
			t.Errorf("unknown route: %d %+v %s", resp.StatusCode, body, resp.Header.Get("X-Request-Id"))
		}
	})

	t.Run("bearer tokens need no CSRF and are scoped", func(t *testing.T) {
		nt, err := a.Org.CreateToken(w.ownerCtx, org.TokenInput{Name: "manager bot", Role: org.Manager, OrgUnitID: w.east.ID})
		if err != nil {
			t.Fatal(err)
		}
		bot := &client{t: t, base: srv.URL, http: http.DefaultClient, bearer: nt.Secret}
		if r := bot.do("POST", "/api/v1/staff", map[string]any{"name": "机器人加的", "org_unit_id": w.shopA.ID}); r.Status != 201 {
			t.Errorf("token write: %d %s", r.Status, r.Body)
		}
		if r := bot.do("POST", "/api/v1/staff", map[string]any{"name": "越界", "org_unit_id": w.shopB.ID}); r.Status != 400 {
			t.Errorf("token write outside scope: %d %s", r.Status, r.Body)
		}
		bad := &client{t: t, base: srv.URL, http: http.DefaultClient, bearer: "siyu_forged"}
		if r := bad.do("GET", "/api/v1/staff", nil); r.Status != 401 {
			t.Errorf("forged token: %d", r.Status)
		}
	})

	t.Run("console fallback", func(t *testing.T) {
		r := owner.do("GET", "/org", nil)
		if r.Status != 200 || !strings.Contains(strings.ToLower(string(r.Body)), "<!doctype html>") {
			t.Errorf("GET /org: %d %.100s", r.Status, r.Body)
		}
	})
}

// TestStartAndClose runs the server on :0 as `siyu serve` does.
func TestStartAndClose(t *testing.T) {
	a, _ := start(t, "")
	a.Config.Addr = "127.0.0.1:0"
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + a.Addr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("readyz: %d", resp.StatusCode)
	}
}

// TestWrongSecretKeyStopsStart: a database sealed with one key refuses to open with another.
func TestWrongSecretKeyStopsStart(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = dir
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Open(context.Background(), cfg, log, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	cfg.SecretKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	if _, err := app.Open(context.Background(), cfg, log, app.Options{}); err == nil || !strings.Contains(err.Error(), "secret key does not match") {
		t.Errorf("open with another key: %v", err)
	}
	cfg.SecretKey = ""
	a, err = app.Open(context.Background(), cfg, log, app.Options{})
	if err != nil {
		t.Errorf("reopen with the key file: %v", err)
	} else {
		a.Close()
	}
}
