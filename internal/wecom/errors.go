package wecom

import (
	"errors"
	"fmt"
)

// APIError is a non-zero errcode answered by the WeCom server. Every call of Client returns one
// (possibly wrapped) when errcode != 0; use errors.As to read the code, errors.Is with the
// category sentinels below to decide what to do, and IsTokenExpired / IsRetryable for the two
// decisions the client itself makes.
type APIError struct {
	Code int    // WeCom's errcode
	Msg  string // WeCom's errmsg, verbatim (it carries a hint id useful in support tickets)
	Path string // the endpoint, e.g. "externalcontact/get"; empty when unknown
}

func (e *APIError) Error() string {
	where := "wecom"
	if e.Path != "" {
		where = "wecom: " + e.Path
	}
	return fmt.Sprintf("%s: errcode %d (%s): %s", where, e.Code, Meaning(e.Code), e.Msg)
}

// Meaning is the readable meaning of the error code.
func (e *APIError) Meaning() string { return Meaning(e.Code) }

// Is makes errors.Is(err, ErrNotFound) and friends work on API errors: each code belongs to at
// most one category.
func (e *APIError) Is(target error) bool {
	c := categoryOf(e.Code)
	return c != nil && c == target
}

// Category sentinels. An *APIError matches the one its code belongs to (see categoryOf).
var (
	// ErrTokenExpired: the access token is invalid or expired; refresh it and retry once.
	ErrTokenExpired = errors.New("wecom: access token invalid or expired")
	// ErrRateLimited: the server is busy or a frequency / concurrency / quota limit was hit; back
	// off and retry later.
	ErrRateLimited = errors.New("wecom: busy or rate limited")
	// ErrCredential: the corp id or secret is wrong (configuration, not transient).
	ErrCredential = errors.New("wecom: invalid corp id or secret")
	// ErrPermission: the app may not call this API or may not see this member / object.
	ErrPermission = errors.New("wecom: no permission")
	// ErrNotFound: an id in the request does not exist (user, customer, tag, chat, config, …) or
	// the staff–customer relation does not exist.
	ErrNotFound = errors.New("wecom: no such object")
	// ErrInvalid: a parameter is missing or malformed; fix the request, do not retry.
	ErrInvalid = errors.New("wecom: invalid request")
	// ErrLimit: a documented size or count limit was exceeded (attachments, members, links, …).
	ErrLimit = errors.New("wecom: limit exceeded")
)

// Codes used by name in Siyu and by the simulator. The catalogue (codeMeanings) has more.
const (
	CodeOK                     = 0
	CodeBusy                   = -1
	CodeVersionConflict        = 6000
	CodeInvalidSecret          = 40001
	CodeInvalidUserID          = 40003
	CodeInvalidMediaType       = 40004
	CodeInvalidFileType        = 40005
	CodeInvalidMediaID         = 40007
	CodeInvalidCorpID          = 40013
	CodeInvalidToken           = 40014
	CodeInvalidUserIDList      = 40031
	CodeInvalidArgs            = 40035
	CodeChatNotFound           = 40050
	CodeInvalidParameter       = 40058
	CodeEmptyParameter         = 40063
	CodeInvalidDepartmentList  = 40066
	CodeInvalidTagID           = 40068
	CodeTagNameExists          = 40071
	CodeInvalidTagNameLen      = 40072
	CodeJobIDNotFound          = 40088
	CodeInvalidJSAPISignature  = 40093
	CodeInvalidExternalUserID  = 40096
	CodeNotResigned            = 40097
	CodeExternalContactLimit   = 40099
	CodeAlreadyInTransfer      = 40100
	CodeCorpTagLimit           = 40126
	CodeTransferTooFrequent    = 40128
	CodeCustomerInTransfer     = 40129
	CodeSameHandoverTakeover   = 40130
	CodeHandoverNotFollower    = 40131
	CodeMissingToken           = 41001
	CodeMissingCorpID          = 41002
	CodeMissingSecret          = 41004
	CodeMissingMediaID         = 41006
	CodeMissingUserID          = 41009
	CodeMissingExternalUserID  = 41035
	CodeMissingContactWayType  = 41037
	CodeMissingContactWayScene = 41038
	CodeInvalidContactWayType  = 41039
	CodeInvalidContactWayScene = 41040
	CodeContactWayUserLimit    = 41041
	CodeInvalidContactWayStyle = 41042
	CodeMissingConfigID        = 41043
	CodeInvalidConfigID        = 41044
	CodeContactWayCountLimit   = 41045
	CodeMissingMsgID           = 41046
	CodeInvalidMsgID           = 41047
	CodeNoRecipient            = 41048
	CodeMissingWelcomeCode     = 41049
	CodeInvalidWelcomeCode     = 41050
	CodeChatAlreadyStarted     = 41051
	CodeMissingMomentID        = 41059
	CodeInvalidMomentID        = 41060
	CodeMassMsgDispatching     = 41063
	CodeTooManyAttachments     = 41064
	CodeInvalidAttachmentType  = 41065
	CodeMomentTaskLimit        = 41078
	CodeEmptyAttachments       = 41088
	CodeEmptyMoment            = 41089
	CodeJoinWayTooManyChats    = 41091
	CodeMassMsgCancelled       = 41093
	CodeRemindTooFrequent      = 41094
	CodeAcquisitionLinkLimit   = 41095
	CodeWelcomeMsgSending      = 41096
	CodeTokenExpired           = 42001
	CodePreAuthCodeExpired     = 42007
	CodeSuiteTokenExpired      = 42009
	CodeJSAPITicketUnavailable = 42012
	CodeEmptyMedia             = 44001
	CodeEmptyContent           = 44004
	CodeMediaTooLarge          = 45001
	CodeContentTooLarge        = 45002
	CodeFrequencyLimit         = 45009
	CodeConcurrencyLimit       = 45033
	CodeQuotaLimit45035        = 45035
	CodeQuotaLimit45047        = 45047
	CodeUserNotExist           = 46004
	CodeAPIUnauthorized        = 48001
	CodeAPIForbidden           = 48002
	CodeAPIRevoked             = 48006
	CodeCursorInvalid          = 50100
	CodeGroupDismissed         = 49008
	CodeDepartmentNotFound     = 60003
	CodeNoPrivilege            = 60011
	CodeUntrustedIP            = 60020
	CodeUserNotVisible         = 60021
	CodeUserIDNotFound         = 60111
	CodeInvalidDepartmentID    = 60123
	CodeNoRelation             = 84061
	CodeNotFollowUser          = 84084
	CodeInvalidTicketType      = 91040
	CodeMemberNotVisible       = 92000
	CodeCrossCorp              = 92002
)

// codeMeanings is the readable meaning of each errcode, from WeCom's global error-code page
// (全局错误码, developer.work.weixin.qq.com/document/path/90313) and the endpoint pages.
// Codes marked "unconfirmed" come from ../shared/wecom-api.md and could not be found in the
// public catalogue; their category is our best reading.
var codeMeanings = map[int]string{
	-1:     "system busy, retry later (at most 3 times)",
	0:      "ok",
	6000:   "data version conflict, retry later",
	40001:  "invalid secret (wrong or reset secret, corp id/secret mismatch, or app disabled)",
	40003:  "invalid userid (malformed, not in the directory, or staff has left)",
	40004:  "invalid media file type",
	40005:  "invalid type parameter",
	40006:  "invalid file size",
	40007:  "invalid media_id (wrong source, expired after 3 days, or wrong media type)",
	40008:  "invalid msgtype",
	40009:  "invalid image size",
	40011:  "invalid video size",
	40013:  "invalid corp id",
	40014:  "invalid access_token (expired, malformed, or of the wrong app)",
	40029:  "invalid oauth code (already used or older than 5 minutes)",
	40031:  "invalid userid list",
	40032:  "invalid userid list length",
	40033:  "invalid characters in request",
	40035:  "invalid parameter",
	40050:  "chat id does not exist",
	40056:  "invalid agentid",
	40057:  "invalid callback url or callback url verification failed",
	40058:  "invalid parameter (bad JSON, value too long, too many elements, missing required value, or wrong HTTP method)",
	40063:  "empty parameter",
	40066:  "invalid department list",
	40068:  "invalid tag or tag group id",
	40071:  "tag name already exists",
	40072:  "invalid tag name length",
	40082:  "invalid suite_access_token",
	40088:  "jobid does not exist",
	40091:  "invalid secret (possibly another corp's secret)",
	40093:  "invalid jsapi signature",
	40094:  "invalid url",
	40096:  "invalid external userid",
	40097:  "the member has not left the company (resigned transfer needs a resigned member)",
	40098:  "member has not completed real-name verification",
	40099:  "external contact count limit reached",
	40100:  "this member's external contacts are already being transferred",
	40123:  "invalid image format",
	40125:  "invalid open_userid",
	40126:  "corp tag count limit reached (3000)",
	40128:  "transfer too frequent (an on-job member's customer can be transferred twice in 90 days)",
	40129:  "the customer is already being transferred",
	40130:  "handover and takeover member are the same",
	40131:  "handover_userid is not a follower of this customer",
	40132:  "team accounts do not support this operation",
	40143:  "takeover member is banned; transfer impossible",
	40201:  "blocked by anti-spam: sensitive content",
	41001:  "missing access_token",
	41002:  "missing corpid",
	41004:  "missing secret",
	41006:  "missing media_id",
	41009:  "missing userid",
	41010:  "missing url",
	41011:  "missing agentid",
	41016:  "missing title",
	41017:  "missing tagid",
	41018:  "missing tag name",
	41019:  "missing department",
	41033:  "missing description",
	41035:  "missing external userid",
	41037:  "missing contact-way type",
	41038:  "missing contact-way scene",
	41039:  "invalid contact-way type",
	41040:  "invalid contact-way scene",
	41041:  "too many members in contact way (default limit 100)",
	41042:  "invalid contact-way style",
	41043:  "missing contact-way config_id",
	41044:  "invalid contact-way config_id",
	41045:  "contact-way count limit reached for API-created ways",
	41046:  "missing mass-message msgid",
	41047:  "invalid mass-message msgid",
	41048:  "no customer to send to",
	41049:  "missing welcome_code",
	41050:  "invalid welcome_code (must be used within 20 seconds of the add, once)",
	41051:  "customer and member have already started chatting; no welcome message",
	41052:  "invalid send time",
	41053:  "customer has not agreed to chat archiving",
	41054:  "member not activated",
	41055:  "group welcome template limit reached",
	41056:  "wrong external contact id type",
	41057:  "no WeChat developer account bound",
	41059:  "missing moment_id",
	41060:  "invalid moment_id",
	41061:  "moment was not published by this member",
	41062:  "moment not yet published by this member",
	41063:  "mass message is still being dispatched, try again later",
	41064:  "too many attachments",
	41065:  "invalid attachment type",
	41067:  "wrong moment type for this API",
	41072:  "attachment resource used in the wrong scene",
	41078:  "too many moment tasks in progress",
	41079:  "moment is still being dispatched, try again later",
	41080:  "attachment too large",
	41088:  "attachment list is empty",
	41089:  "moment text and attachments cannot both be empty",
	41090:  "invalid video format",
	41091:  "a group join way may link at most 5 groups",
	41093:  "mass message task was cancelled",
	41094:  "mass message reminders too frequent",
	41095:  "customer acquisition link count limit reached",
	41096:  "welcome message is already being sent",
	42001:  "access_token expired",
	42003:  "oauth code expired",
	42007:  "pre_auth_code expired",
	42009:  "suite_access_token expired",
	42012:  "jsapi_ticket unusable (use the agent ticket for agentConfig)",
	42022:  "code already used",
	43004:  "member has not bound WeChat",
	44001:  "empty media file",
	44004:  "empty text content",
	45001:  "media file too large",
	45002:  "message content too large",
	45009:  "API call frequency limit exceeded",
	45024:  "account count limit reached",
	45029:  "response too large",
	45033:  "API concurrency limit exceeded",
	45035:  "quota exceeded (unconfirmed: listed in wecom-api.md, not in the public catalogue)",
	45047:  "quota exceeded (unconfirmed: listed in wecom-api.md, not in the public catalogue)",
	46004:  "user does not exist",
	48001:  "API not authorized for this corp",
	48002:  "API forbidden for this app (check the app's permissions; customer-contact APIs need the customer-contact secret or an app listed under it)",
	48004:  "authorization invalid or cancelled",
	48005:  "API deprecated",
	48006:  "API permission revoked after long inactivity",
	49008:  "group has been dismissed",
	50001:  "redirect_url domain not trusted",
	50002:  "member outside the app's permission range",
	50003:  "app disabled",
	50100:  "invalid pagination cursor",
	60001:  "invalid department name length",
	60003:  "department does not exist",
	60004:  "parent department does not exist",
	60011:  "no privilege for the member, department or tag (outside the app's visible range)",
	60020:  "untrusted client IP",
	60021:  "userid outside the app's visible range",
	60102:  "userid already exists",
	60103:  "invalid mobile",
	60111:  "userid not found",
	60112:  "invalid member name",
	60123:  "invalid department id",
	60124:  "invalid parent department id",
	81013:  "all userids, department ids and tag ids invalid or without permission",
	84061:  "no external-contact relation between this member and customer",
	84074:  "no external contact permission",
	84084:  "not a follower (no friend relation or member outside the app's visible range)",
	91040:  "invalid ticket type",
	92000:  "member outside the app's visible range",
	92001:  "app lacks sensitive-information permission",
	92002:  "cross-corp call not allowed (agentConfig corp mismatch)",
	92003:  "cross-app call not allowed",
	301002: "no permission for the specified app",
}

// Meaning returns the readable meaning of a WeCom errcode, or a generic text for codes outside
// the catalogue.
func Meaning(code int) string {
	if m, ok := codeMeanings[code]; ok {
		return m
	}
	switch {
	case code >= 41000 && code < 42000:
		return "missing or invalid parameter"
	case code >= 60000 && code < 61000:
		return "directory (members/departments/tags) error"
	default:
		return "unknown error code"
	}
}

// categoryOf maps a code to its sentinel. Codes without a clear category map to nil, so
// errors.Is with any sentinel is false for them.
func categoryOf(code int) error {
	switch code {
	case 40014, 42001, 42009, 40082:
		// 42007 (pre_auth_code expired) is deliberately not here: it is a third-party
		// onboarding code, and refreshing the access token cannot fix it.
		return ErrTokenExpired
	case -1, 6000, 45009, 45033, 45035, 45047:
		return ErrRateLimited
	case 40001, 40013, 40091, 41002, 41004:
		return ErrCredential
	case 48001, 48002, 48004, 48006, 50002, 60011, 60020, 60021, 84074, 92000, 92001, 92003, 301002:
		return ErrPermission
	case 40003, 40007, 40050, 40068, 40088, 40096, 41044, 41047, 41060, 46004, 49008, 60003, 60111,
		60123, 84061, 84084:
		return ErrNotFound
	case 40031, 40032, 40035, 40058, 40063, 40066, 41050, 50100, 91040, 44001, 44004,
		40004, 40005, 40006, 40008, 40009, 40011, 40094, 40130, 40131, 40097:
		return ErrInvalid
	case 40099, 40126, 41041, 41045, 41064, 41078, 41091, 41094, 41095, 45001, 45002, 40128:
		return ErrLimit
	}
	if code > 41000 && code < 42000 {
		return ErrInvalid
	}
	return nil
}

// IsTokenExpired reports whether err is an API error that a fresh access token fixes.
func IsTokenExpired(err error) bool { return errors.Is(err, ErrTokenExpired) }

// IsRetryable reports whether err is an API error worth retrying after a back-off: system busy
// (-1), version conflict (6000), or a frequency / concurrency / quota limit.
func IsRetryable(err error) bool { return errors.Is(err, ErrRateLimited) }

// ErrorCode returns the WeCom errcode carried by err, if any.
func ErrorCode(err error) (int, bool) {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code, true
	}
	return 0, false
}
