// Custom fields, profile field values, customer imports and exports (see docs/api.md). Uploads
// and downloads are not JSON, so they use fetch here with the client's CSRF token and error shape.
import { client } from './index.js'
import { errorFromResponse, ApiError } from './client.js'

const V1 = '/api/v1'

export const customerFields = {
  // {items: [{id, key, label, type, options, sort, archived}]}
  list: () => client.get(`${V1}/customer-fields`),
  create: (field) => client.post(`${V1}/customer-fields`, field),
  update: (id, patch) => client.patch(`${V1}/customer-fields/${id}`, patch),
  remove: (id) => client.del(`${V1}/customer-fields/${id}`),
  // {birthday, remark, fields: {key: value}}
  values: (customerId) => client.get(`${V1}/customers/${customerId}/fields`),
  // {birthday?, remark?, fields?: {key: value|null}}
  setValues: (customerId, input) => client.put(`${V1}/customers/${customerId}/fields`, input),
}

async function failed(res) {
  let body = null
  try {
    body = await res.json()
  } catch {
    body = null
  }
  return errorFromResponse(res.status, body, (res.headers && res.headers.get && res.headers.get('X-Request-Id')) || '')
}

async function send(path, init, locale) {
  const headers = { 'Accept-Language': locale || 'zh-CN', ...(init.headers || {}) }
  if (init.method && init.method !== 'GET' && client.csrfToken) headers['X-CSRF-Token'] = client.csrfToken
  let res
  try {
    res = await globalThis.fetch(path, { credentials: 'same-origin', ...init, headers })
  } catch (cause) {
    const err = new ApiError({ status: 0, code: 'network' })
    err.cause = cause
    throw err
  }
  if (!res.ok) throw await failed(res)
  return res
}

export const customerImports = {
  // Uploads a File; answers the job with headers, the proposed mapping and sample rows.
  async upload(file, locale) {
    const form = new FormData()
    form.append('file', file, file.name)
    const res = await send(`${V1}/customer-imports`, { method: 'POST', body: form }, locale)
    return res.json()
  },
  get: (id) => client.get(`${V1}/customer-imports/${id}`),
  // {mapping: [...], mode: 'all_or_nothing'|'skip_bad', dry_run}
  run: (id, run) => client.post(`${V1}/customer-imports/${id}/run`, run),
}

// exportCustomers downloads the export of the list filters in query as a file.
export async function exportCustomers(query, format, locale) {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) v.forEach((x) => params.append(k, String(x)))
    else params.append(k, String(v))
  }
  params.set('format', format)
  params.set('lang', locale === 'en' ? 'en' : 'zh-CN')
  const res = await send(`${V1}/customers/export?${params}`, { method: 'GET' }, locale)
  const blob = await res.blob()
  const disposition = res.headers.get('Content-Disposition') || ''
  const m = /filename="([^"]+)"/.exec(disposition)
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = m ? m[1] : `customers.${format}`
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 10000)
}
