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
  // query: {q, status: active|lost, state, staff_id, limit, cursor}; names are masked for
  // roles without personal data
  list: (query) => client.get(`${V1}/customers`, query),
  // the summary plus identities, relations and timeline (newest first)
  get: (id) => client.get(`${V1}/customers/${id}`),
  // {add: [tag id], remove: [tag id]} → {tags: [CustomerTag]}; written to WeCom first
  markTags: (id, changes) => client.post(`${V1}/customers/${id}/tags`, changes),
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
