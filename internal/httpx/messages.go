package httpx

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Lang is a supported UI language.
type Lang string

const (
	ZhCN Lang = "zh-CN"
	En   Lang = "en"
)

// Message is one text in both languages.
type Message struct{ Zh, En string }

var messages = struct {
	sync.RWMutex
	m map[string]Message
}{m: map[string]Message{
	string(Invalid):              {"请检查输入", "Please check your input"},
	string(Unauthorized):         {"请先登录", "Please sign in"},
	string(Forbidden):            {"没有权限执行此操作", "You do not have permission to do this"},
	string(NotFound):             {"对象不存在", "Not found"},
	string(Conflict):             {"操作与现有数据冲突", "This conflicts with existing data"},
	string(Locked):               {"尝试次数过多，请稍后再试", "Too many attempts, try again later"},
	string(Internal):             {"服务器内部错误", "Internal server error"},
	string(UnsupportedMediaType): {"不支持的请求格式", "Unsupported media type"},
	"content_type":               {"请求体必须是 JSON（Content-Type: application/json）", "The body must be sent as Content-Type: application/json"},
	"bad_json":                   {"请求体不是有效的 JSON", "The request body is not valid JSON"},
	"too_large":                  {"请求体过大", "The request body is too large"},
	"csrf":                       {"页面已过期，请刷新后重试（CSRF 校验失败）", "The page is stale; reload and try again (CSRF check failed)"},
	"route_not_found":            {"接口不存在", "No such API route"},
	"bad_cursor":                 {"分页游标无效", "The pagination cursor is invalid"},

	"field.required":     {"不能为空", "is required"},
	"field.too_long":     {"不能超过 {limit} 个字符", "must be at most {limit} characters"},
	"field.invalid":      {"格式不正确", "is not valid"},
	"field.not_found":    {"不存在", "does not exist"},
	"field.taken":        {"已被使用", "is already taken"},
	"field.not_allowed":  {"不允许此值", "is not allowed"},
	"field.wrong":        {"不正确", "is wrong"},
	"field.unknown":      {"不是可识别的字段", "is not a known field"},
	"field.too_short":    {"太短，至少 {limit} 个字符", "is too short (at least {limit} characters)"},
	"field.out_of_range": {"超出允许范围", "is out of range"},
}}

// RegisterMessages adds domain messages (key → texts). Domain packages call it from init.
func RegisterMessages(m map[string]Message) {
	messages.Lock()
	defer messages.Unlock()
	for k, v := range m {
		messages.m[k] = v
	}
}

// LangOf picks the language from Accept-Language: English when English is preferred over
// Chinese, Chinese otherwise (zh-CN is the product's first language).
func LangOf(r *http.Request) Lang {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return ZhCN
		case strings.HasPrefix(tag, "en"):
			return En
		}
	}
	return ZhCN
}

// Text returns the message for key in lang, or "" when the key is unknown.
func Text(lang Lang, key string) string {
	messages.RLock()
	m, ok := messages.m[key]
	messages.RUnlock()
	if !ok {
		return ""
	}
	if lang == En {
		return m.En
	}
	return m.Zh
}

func fieldText(lang Lang, f FieldError) string {
	s := Text(lang, "field."+f.Code)
	if s == "" {
		s = Text(lang, "field.invalid")
	}
	return strings.ReplaceAll(s, "{limit}", strconv.Itoa(f.Limit))
}
