// Channels, spend, live codes and channel stats (docs/api.md, "Acquisition"). The xlsx export
// is a download, so it uses fetch with the client's error shape.
import { client } from './index.js'
import { errorFromResponse, ApiError } from './client.js'

const V1 = '/api/v1'

export const channels = {
  // {items: [Channel]}
  list: () => client.get(`${V1}/channels`),
  create: (ch) => client.post(`${V1}/channels`, ch),
  update: (id, ch) => client.put(`${V1}/channels/${id}`, ch),
  remove: (id) => client.del(`${V1}/channels/${id}`),
  // {items: [{id, date, amount_fen, note}]}
  spend: (id) => client.get(`${V1}/channels/${id}/spend`),
  addSpend: (id, entry) => client.post(`${V1}/channels/${id}/spend`, entry),
  removeSpend: (spendId) => client.del(`${V1}/channel-spend/${spendId}`),
}

export const liveCodes = {
  // query: {channel_id} → {items: [LiveCode]}
  list: (query) => client.get(`${V1}/live-codes`, query),
  get: (id) => client.get(`${V1}/live-codes/${id}`),
  create: (code) => client.post(`${V1}/live-codes`, code),
  update: (id, code) => client.put(`${V1}/live-codes/${id}`, code),
  remove: (id) => client.del(`${V1}/live-codes/${id}`),
  // the PNG of the code's permanent landing URL (an <img> src; the session cookie authorizes it)
  qrURL: (id, size = 512) => `${V1}/live-codes/${id}/qr.png?size=${size}`,
}

export const channelStats = {
  // query: {from, to, group_by: day|channel|code|staff, channel_id, code_id} → Stats
  get: (query) => client.get(`${V1}/acquisition/stats`, query),
}

// downloadStats saves the stats table of query as an xlsx file.
export async function downloadStats(query, locale) {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  }
  let res
  try {
    res = await globalThis.fetch(`${V1}/acquisition/stats.xlsx?${params}`, {
      credentials: 'same-origin',
      headers: { 'Accept-Language': locale || 'zh-CN' },
    })
  } catch (cause) {
    const err = new ApiError({ status: 0, code: 'network' })
    err.cause = cause
    throw err
  }
  if (!res.ok) {
    let body = null
    try {
      body = await res.json()
    } catch {
      body = null
    }
    throw errorFromResponse(res.status, body, res.headers.get('X-Request-Id') || '')
  }
  const blob = await res.blob()
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = `channel-stats-${query.from || ''}-${query.to || ''}.xlsx`
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
}

// Group live codes and store codes (docs/api.md, "Group live codes and store codes").
export const groupCodes = {
  // {items: [GroupCode]} — each with its ordered groups, member counts and current group
  list: () => client.get(`${V1}/group-codes`),
  get: (id) => client.get(`${V1}/group-codes/${id}`),
  create: (code) => client.post(`${V1}/group-codes`, code),
  update: (id, code) => client.put(`${V1}/group-codes/${id}`, code),
  remove: (id) => client.del(`${V1}/group-codes/${id}`),
  // query: {from, to} → {from, to, groups, rows: [{day, chat_id, joins}], total}
  stats: (id, query) => client.get(`${V1}/group-codes/${id}/stats`, query),
  qrURL: (id, size = 512) => `${V1}/group-codes/${id}/qr.png?size=${size}`,
}

export const storeCodes = {
  // query: {city} → {items: [StoreCode]}
  list: (query) => client.get(`${V1}/store-codes`, query),
  create: (code) => client.post(`${V1}/store-codes`, code),
  // saving refreshes the code's staff to the store's current guides
  update: (id, code) => client.put(`${V1}/store-codes/${id}`, code),
  remove: (id) => client.del(`${V1}/store-codes/${id}`),
}
