// Orders and customer value (docs/api.md, "Orders and customer value"). The file import is a
// multipart upload, so it uses fetch here with the client's CSRF token and error shape; a
// rejected file answers 400 with the report of every bad row, which the error carries as .report.
import { client } from './index.js'
import { errorFromResponse, ApiError } from './client.js'

const V1 = '/api/v1'

export const orders = {
  // query: {source, status, bound: bound|unbound, customer_id, store_id, from, to, limit, cursor}
  list: (query) => client.get(`${V1}/orders`, query),
  get: (id) => client.get(`${V1}/orders/${id}`),
  bind: () => client.post(`${V1}/orders/bind`),
  rotateWebhookSecret: () => client.post(`${V1}/orders/webhook-secret`),
}

export const customerValue = {
  summary: () => client.get(`${V1}/customer-value/summary`),
  ofCustomer: (id) => client.get(`${V1}/customers/${id}/value`),
  recompute: () => client.post(`${V1}/customer-value/recompute`),
  // model: the tenant's last BG/NBD + Gamma-Gamma fit (404 before the first); predict fits now
  // (409 when the tenant has too few buyers).
  model: () => client.get(`${V1}/customer-value/model`),
  predict: () => client.post(`${V1}/customer-value/predict`),
  settings: () => client.get(`${V1}/settings/customer-value`),
  saveRules: (rules) => client.put(`${V1}/settings/customer-value`, rules),
}

// importOrders uploads a File: options {layout: taobao|generic, source: taobao|tmall, dryRun}.
// Answers the ImportReport; a file with bad rows throws an ApiError whose report lists them.
export async function importOrders(file, options, locale, fetchImpl = globalThis.fetch) {
  const form = new FormData()
  form.append('file', file, file.name)
  const params = new URLSearchParams({ layout: options.layout || 'taobao' })
  if (options.source) params.set('source', options.source)
  if (options.dryRun) params.set('dry_run', 'true')
  const headers = { 'Accept-Language': locale || 'zh-CN' }
  if (client.csrfToken) headers['X-CSRF-Token'] = client.csrfToken
  let res
  try {
    res = await fetchImpl(`${V1}/orders/import?${params}`, { method: 'POST', body: form, headers, credentials: 'same-origin' })
  } catch (cause) {
    const err = new ApiError({ status: 0, code: 'network' })
    err.cause = cause
    throw err
  }
  let body = null
  try {
    body = await res.json()
  } catch {
    body = null
  }
  if (!res.ok) {
    const err = errorFromResponse(res.status, body, (res.headers && res.headers.get && res.headers.get('X-Request-Id')) || '')
    err.report = body && body.report ? body.report : null
    throw err
  }
  return body
}
