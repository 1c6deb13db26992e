// Endpoints of /api/v1 used by the console (see docs/api.md). Components call these,
// never fetch directly.
import { createClient } from './client.js'

export { ApiError, fieldMessages } from './client.js'

export const client = createClient()

const V1 = '/api/v1'

export const auth = {
  me: () => client.get(`${V1}/auth/me`, undefined, { noAuthRedirect: true }),
  login: (tenant, username, password) =>
    client.post(`${V1}/auth/login`, { tenant, username, password }, { noAuthRedirect: true }),
  logout: () => client.post(`${V1}/auth/logout`, undefined, { noAuthRedirect: true }),
  changePassword: (currentPassword, newPassword) =>
    client.post(`${V1}/auth/password`, { current_password: currentPassword, new_password: newPassword }),
}

export const orgUnits = {
  list: () => client.get(`${V1}/org-units`),
  get: (id) => client.get(`${V1}/org-units/${id}`),
  create: (unit) => client.post(`${V1}/org-units`, unit),
  update: (id, patch) => client.patch(`${V1}/org-units/${id}`, patch),
  remove: (id) => client.del(`${V1}/org-units/${id}`),
}

export const staff = {
  // query: {org_unit_id, status, q, limit, cursor}
  list: (query) => client.get(`${V1}/staff`, query),
  get: (id) => client.get(`${V1}/staff/${id}`),
  create: (member) => client.post(`${V1}/staff`, member),
  update: (id, patch) => client.patch(`${V1}/staff/${id}`, patch),
}

export const customers = {
  // query: {q, status: active|lost, state, staff_id, org_unit_id, owner_id, tag_ids: '1,2',
  // tag_mode: any|all|none, added_from, added_to, sort, limit, cursor}; names are masked for roles
  // without personal data (who may not search by keyword either)
  list: (query) => client.get(`${V1}/customers`, query),
  // the summary plus identities, relations and timeline (newest first)
  get: (id) => client.get(`${V1}/customers/${id}`),
  // {add: [tag id], remove: [tag id]} → {tags: [CustomerTag]}; written to WeCom first
  markTags: (id, changes) => client.post(`${V1}/customers/${id}/tags`, changes),
  // {customer_ids, add | remove} → {ok, failed, items: [{customer_id, ok, error}]}; each customer
  // goes to WeCom first, at most 500
  bulkTags: (body) => client.post(`${V1}/customers/bulk-tags`, body),
  // {customer_ids, staff_id | clear: true} → the same result; sets the follow-up owner (not a WeCom transfer)
  bulkAssign: (body) => client.post(`${V1}/customers/bulk-assign`, body),
}

// A customer's identities, merges, notes and the sidebar lookup (docs/api.md, "Customer profile").
export const customerProfile = {
  // {kind, value} → the detail of the customer in the caller's scope (404 otherwise)
  lookup: (kind, value) => client.get(`${V1}/customers/lookup`, { kind, value }),
  // {corp_id, agent_id, timestamp, nonce_str, signature} for wx.agentConfig of the sidebar page
  agentConfig: (url) => client.get(`${V1}/sidebar/agent-config`, { url }),
  identities: (id) => client.get(`${V1}/customers/${id}/identities`),
  // {customer_id, items, merged_from?}: a visible customer owning the identity is merged in
  addIdentity: (id, kind, value) => client.post(`${V1}/customers/${id}/identities`, { kind, value }),
  removeIdentity: (id, kind, value) => client.del(`${V1}/customers/${id}/identities`, { query: { kind, value } }),
  merges: (id) => client.get(`${V1}/customers/${id}/merges`),
  merge: (id, fromId) => client.post(`${V1}/customers/${id}/merge`, { from_id: fromId }),
  split: (id, mergeId) => client.post(`${V1}/customers/${id}/split`, { merge_id: mergeId }),
  // query: {limit, cursor}; newest first
  notes: (id, query) => client.get(`${V1}/customers/${id}/notes`, query),
  // {kind: note|follow_up, content, method, next_follow_up_at}
  addNote: (id, note) => client.post(`${V1}/customers/${id}/notes`, note),
  deleteNote: (noteId) => client.del(`${V1}/customer-notes/${noteId}`),
}

// The corp tag library; every write goes to WeCom first (409 when WeCom refuses or is not set up).
export const tags = {
  // {items: [{id, name, sort, tags: [{id, name, sort}]}]}
  groups: () => client.get(`${V1}/tag-groups`),
  createGroup: (name, tagNames) => client.post(`${V1}/tag-groups`, { name, tags: tagNames }),
  add: (groupId, name) => client.post(`${V1}/tag-groups/${groupId}/tags`, { name }),
  rename: (id, name) => client.patch(`${V1}/tags/${id}`, { name }),
  remove: (id) => client.del(`${V1}/tags/${id}`),
}

export const settings = {
  getWecom: () => client.get(`${V1}/settings/wecom`),
  putWecom: (body) => client.put(`${V1}/settings/wecom`, body),
}

export const wecom = {
  // {pending, processing, done, failed, last_received, last_errors: [EventError]}
  status: () => client.get(`${V1}/wecom/status`),
  // {items: [SyncRun]}, newest first
  syncRuns: () => client.get(`${V1}/wecom/sync-runs`),
  // 201 SyncRun; 409 conflict while a run is running
  startSync: () => client.post(`${V1}/wecom/sync-runs`, {}),
}

// My notifications (the bell): {items, next_cursor, unread}; query: {unread, kind, limit, cursor}.
export const notifications = {
  list: (query) => client.get(`${V1}/notifications`, query),
  read: (id) => client.post(`${V1}/notifications/${id}/read`),
  // {updated}
  readAll: () => client.post(`${V1}/notifications/read-all`),
}

// Customers who deleted a staff member of my scope: {items: [Loss]}; query: {days, limit}.
export const customerLosses = {
  list: (query) => client.get(`${V1}/customer-losses`, query),
}

// Customer transfers (docs/api.md "Customer transfers").
export const transfers = {
  // {from_staff_id, to_staff_id, customer_ids | all: true, message} → 201 TransferDetail
  create: (body) => client.post(`${V1}/customer-transfers`, body),
  // query: {limit, cursor} → {items: [Transfer], next_cursor}, newest first
  list: (query) => client.get(`${V1}/customer-transfers`, query),
  // TransferDetail: the transfer with items (per-customer results)
  get: (id) => client.get(`${V1}/customer-transfers/${id}`),
  // submits the failed customers again → TransferDetail; 409 when none failed
  retry: (id) => client.post(`${V1}/customer-transfers/${id}/retry`),
}
