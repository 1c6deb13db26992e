// Values fixed by the API (docs/api.md); their labels live in the locale files.
export const ORG_KINDS = ['hq', 'branch', 'store', 'department']
export const ORG_KIND_TAG = { hq: 'danger', branch: 'warning', store: 'success', department: 'info' }
// The kind a new child most likely has, given its parent's kind.
export const CHILD_KIND = { hq: 'branch', branch: 'store', store: 'department', department: 'department' }
export const STAFF_STATUSES = ['active', 'resigned']
export const ROLES = ['owner', 'admin', 'manager', 'guide', 'analyst', 'service']
