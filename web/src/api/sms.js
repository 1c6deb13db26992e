// Short links, SMS campaigns, the opt-out list and SMS settings (docs/api.md, "Short links and
// SMS"). The phone-list upload is multipart, so it uses fetch with the client's CSRF token.
import { client } from './index.js'
import { errorFromResponse, ApiError } from './client.js'

const V1 = '/api/v1'

export const shortLinks = {
  // {items: [ShortLink]} with recipients, clicks, unique_clicks, converted
  list: () => client.get(`${V1}/short-links`),
  get: (id) => client.get(`${V1}/short-links/${id}`),
  // {name, code_id, recipients: [{phone, name}]}
  create: (link) => client.post(`${V1}/short-links`, link),
  // query: {status, limit, cursor} → {items, next_cursor}
  recipients: (id, query) => client.get(`${V1}/short-links/${id}/recipients`, query),
  addRecipients: (id, recipients) => client.post(`${V1}/short-links/${id}/recipients`, { recipients }),
}

export const campaigns = {
  list: () => client.get(`${V1}/sms/campaigns`),
  get: (id) => client.get(`${V1}/sms/campaigns/${id}`),
  // {name, code_id, template, recipients: [{phone, name}]}
  preview: (c) => client.post(`${V1}/sms/campaigns/preview`, c),
  create: (c) => client.post(`${V1}/sms/campaigns`, c),
  cancel: (id) => client.post(`${V1}/sms/campaigns/${id}/cancel`),
}

export const optOuts = {
  list: () => client.get(`${V1}/sms/opt-outs`),
  add: (phone) => client.post(`${V1}/sms/opt-outs`, { phone }),
  // an inbound reply: T / TD / (unsubscribe) puts the phone on the list
  reply: (phone, content) => client.post(`${V1}/sms/replies`, { phone, content }),
}

export const smsSettings = {
  get: () => client.get(`${V1}/settings/sms`),
  put: (s) => client.put(`${V1}/settings/sms`, s),
}

// uploadPhoneList reads a CSV/XLSX file on the server: {recipients, errors: [{row, value, message}], duplicates}.
export async function uploadPhoneList(file, locale) {
  const form = new FormData()
  form.append('file', file, file.name)
  const headers = { 'Accept-Language': locale || 'zh-CN' }
  if (client.csrfToken) headers['X-CSRF-Token'] = client.csrfToken
  let res
  try {
    res = await globalThis.fetch(`${V1}/sms/phone-lists`, { method: 'POST', body: form, credentials: 'same-origin', headers })
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
  if (!res.ok) throw errorFromResponse(res.status, body, res.headers.get('X-Request-Id') || '')
  return body
}
