// Batch add by phone (phone lists and tasks) and package-card batches (docs/api.md, "Batch add
// by phone and package cards"). The list upload is multipart, so it uses fetch with the client's
// CSRF token and error shape; card images and sheets are plain URLs the session cookie authorizes.
import { client } from './index.js'
import { errorFromResponse, ApiError } from './client.js'

const V1 = '/api/v1'

export const phoneLists = {
  // Reads a .csv/.xlsx File → {rows: [{phone, name, remark}], errors: [{row, field, code}]}; stores nothing.
  async parse(file, locale) {
    const form = new FormData()
    form.append('file', file, file.name)
    const headers = { 'Accept-Language': locale || 'zh-CN' }
    if (client.csrfToken) headers['X-CSRF-Token'] = client.csrfToken
    let res
    try {
      res = await globalThis.fetch(`${V1}/phone-lists/parse`, { method: 'POST', body: form, credentials: 'same-origin', headers })
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
  },
  // {items: [List]}
  list: () => client.get(`${V1}/phone-lists`),
  // {name, staff: [{staff_id, weight}], daily_cap, expire_days, start_day, rows} → List
  create: (input) => client.post(`${V1}/phone-lists`, input),
}

export const phoneTasks = {
  // query: {list_id, staff_id, day, status, limit, cursor} → {items: [Task], next_cursor}
  list: (query) => client.get(`${V1}/phone-tasks`, query),
  // {status: pending|requested|failed, reason}
  update: (id, input) => client.patch(`${V1}/phone-tasks/${id}`, input),
  detect: () => client.post(`${V1}/phone-tasks/detect`),
  // query: {list_id} → {total, by_staff, by_day}
  stats: (query) => client.get(`${V1}/phone-tasks/stats`, query),
}

export const cardBatches = {
  // query: {code_id} → {items: [Batch]}
  list: (query) => client.get(`${V1}/card-batches`, query),
  create: (batch) => client.post(`${V1}/card-batches`, batch),
  update: (id, batch) => client.put(`${V1}/card-batches/${id}`, batch),
  remove: (id) => client.del(`${V1}/card-batches/${id}`),
  pngURL: (id) => `${V1}/card-batches/${id}/card.png`,
  pdfURL: (id) => `${V1}/card-batches/${id}/sheet.pdf`,
}
