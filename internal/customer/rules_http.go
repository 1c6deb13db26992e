package customer

import (
	"context"
	"net/http"

	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

func init() {
	httpx.RegisterMessages(map[string]httpx.Message{
		"field.rule_empty":      {Zh: "至少设置一个条件", En: "Set at least one condition"},
		"tag_rule_disabled":     {Zh: "规则已停用，启用后才能执行", En: "The rule is disabled; enable it to run it"},
		"tag_rules_tenant_wide": {Zh: "自动标签规则作用于全部客户，仅管理员可以修改", En: "Auto-tag rules act on every customer; only admins may change them"},
	})
}

// Routes lists the auto-tag rule API. Reading is open to anyone who reads customers; changing
// rules needs tags.write and a tenant-wide role, because a rule tags customers of every branch.
func (r *TagRules) Routes() []httpx.Route {
	type list struct {
		Items []TagRule `json:"items"`
	}
	return []httpx.Route{
		{Method: "GET", Path: "/api/v1/tag-rules", Perm: org.PermCustomerRead, Tag: "tags", Summary: "Auto-tag rules",
			Response: list{}, Handler: func(w http.ResponseWriter, req *http.Request) error {
				rules, err := r.Rules(req.Context())
				return httpx.Reply(w, http.StatusOK, list{Items: rules}, err)
			}},
		{Method: "POST", Path: "/api/v1/tag-rules", Perm: org.PermTagsWrite, Tag: "tags",
			Summary: "Create an auto-tag rule (applied to every customer at once, then on events and nightly)",
			Request: TagRuleInput{}, Response: TagRule{}, Status: http.StatusCreated, Handler: func(w http.ResponseWriter, req *http.Request) error {
				var in TagRuleInput
				if err := httpx.Decode(req, &in); err != nil {
					return err
				}
				if err := tenantWide(req.Context()); err != nil {
					return err
				}
				rule, err := r.CreateRule(req.Context(), in)
				return httpx.Reply(w, http.StatusCreated, rule, err)
			}},
		{Method: "PUT", Path: "/api/v1/tag-rules/{id}", Perm: org.PermTagsWrite, Tag: "tags", Summary: "Replace an auto-tag rule and re-apply it",
			Request: TagRuleInput{}, Response: TagRule{}, Handler: func(w http.ResponseWriter, req *http.Request) error {
				id, in, err := httpx.IDAndBody[TagRuleInput](req)
				if err != nil {
					return err
				}
				if err := tenantWide(req.Context()); err != nil {
					return err
				}
				rule, err := r.UpdateRule(req.Context(), id, in)
				return httpx.Reply(w, http.StatusOK, rule, err)
			}},
		{Method: "DELETE", Path: "/api/v1/tag-rules/{id}", Perm: org.PermTagsWrite, Tag: "tags", Summary: "Delete an auto-tag rule and take its tag off",
			Status: http.StatusNoContent, Handler: func(w http.ResponseWriter, req *http.Request) error {
				id, err := httpx.PathID(req, "id")
				if err == nil {
					err = tenantWide(req.Context())
				}
				if err == nil {
					err = r.DeleteRule(req.Context(), id)
				}
				if err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			}},
		{Method: "POST", Path: "/api/v1/tag-rules/{id}/run", Perm: org.PermTagsWrite, Tag: "tags", Summary: "Apply a rule to every customer now",
			Response: RuleRun{}, Handler: func(w http.ResponseWriter, req *http.Request) error {
				id, err := httpx.PathID(req, "id")
				if err == nil {
					err = tenantWide(req.Context())
				}
				if err != nil {
					return err
				}
				run, err := r.RunRule(req.Context(), id)
				return httpx.Reply(w, http.StatusOK, run, err)
			}},
	}
}

func tenantWide(ctx context.Context) error {
	c, err := org.RequireCaller(ctx)
	if err != nil {
		return err
	}
	if !org.ScopeOf(c).All {
		return httpx.Errorf(httpx.Forbidden, "tag_rules_tenant_wide", "customer: tag rules need a tenant-wide role")
	}
	return nil
}
