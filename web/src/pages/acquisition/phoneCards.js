// Logic of the phone-task and package-card pages, kept out of the components so it can be
// unit-tested. Shapes follow docs/api.md "Batch add by phone and package cards".

export const TASK_STATUSES = ['pending', 'requested', 'added', 'failed', 'expired']
export const DEFAULT_DAILY_CAP = 20
export const MAX_DAILY_CAP = 200
export const CARD_SIZES = { '90x54': { w: 90, h: 54 }, '100x150': { w: 100, h: 150 } }
export const MAX_CARDS = 5000

// shares splits n rows among members by weight with the largest-remainder method, as the server
// does (ties go to the earlier member).
export function shares(n, weights) {
  const total = weights.reduce((a, w) => a + w, 0)
  if (!total) return weights.map(() => 0)
  const out = weights.map((w) => Math.floor((n * w) / total))
  const rem = weights.map((w) => (n * w) % total)
  let given = out.reduce((a, x) => a + x, 0)
  while (given < n) {
    let best = 0
    for (let i = 1; i < rem.length; i++) if (rem[i] > rem[best]) best = i
    out[best]++
    rem[best] = -1
    given++
  }
  return out
}

// daysNeeded is how many days the list takes at the daily cap for the busiest member, not counting
// tasks the members already have (the server counts those, so it can only take longer).
export function daysNeeded(n, weights, cap) {
  if (!n || !weights.length || !(cap > 0)) return 0
  return Math.max(...shares(n, weights).map((s) => Math.ceil(s / cap)))
}

// listErrors checks a list's form before it is sent: field → code, as the server names them.
export function listErrors(form) {
  const e = {}
  if (!String(form.name || '').trim()) e.name = 'required'
  const cap = Number(form.daily_cap)
  if (!Number.isInteger(cap) || cap < 1 || cap > MAX_DAILY_CAP) e.daily_cap = 'out_of_range'
  const exp = Number(form.expire_days)
  if (!Number.isInteger(exp) || exp < 1 || exp > 90) e.expire_days = 'out_of_range'
  if (!form.staff || !form.staff.length) e.staff = 'required'
  else if (form.staff.some((m) => !(m.weight >= 1 && m.weight <= 100))) e.staff = 'out_of_range'
  if (!form.rows || !form.rows.length) e.rows = 'required'
  return e
}

// statusType is the Element Plus tag type of a task status.
export function statusType(status) {
  return { pending: 'warning', requested: 'primary', added: 'success', failed: 'danger', expired: 'info' }[status] || 'info'
}

// canMark tells whether a staff member may still mark a task.
export function canMark(task) {
  return ['pending', 'requested', 'failed'].includes(task.status)
}

// addedRate shows a rate (0–1 or null) as a percentage with one decimal.
export function percent(rate) {
  if (rate === null || rate === undefined) return '—'
  return `${(rate * 100).toFixed(1)}%`
}

// Card sheets: A4 with cards touching, at least 5 mm of margin.
export function maxPerPage(size) {
  const s = CARD_SIZES[size]
  if (!s) return 0
  return Math.floor((210 - 10) / s.w) * Math.floor((297 - 10) / s.h)
}

export function pagesOf(count, perPage) {
  if (!(count > 0) || !(perPage > 0)) return 0
  return Math.ceil(count / perPage)
}

// batchErrors checks a card batch's form: field → code.
export function batchErrors(form) {
  const e = {}
  if (!form.code_id) e.code_id = 'required'
  if (!String(form.name || '').trim()) e.name = 'required'
  if (!/^[A-Za-z0-9-]{1,20}$/.test(String(form.batch_no || ''))) e.batch_no = 'invalid'
  if ([...String(form.headline || '')].length > 40) e.headline = 'too_long'
  const n = Number(form.count)
  if (!Number.isInteger(n) || n < 1 || n > MAX_CARDS) e.count = 'out_of_range'
  if (!CARD_SIZES[form.card_size]) e.card_size = 'invalid'
  else if (form.per_page && (form.per_page < 1 || form.per_page > maxPerPage(form.card_size))) e.per_page = 'out_of_range'
  return e
}

// today is the current day in Asia/Shanghai (YYYY-MM-DD), the server's task day.
export function today(now = new Date()) {
  return new Date(now.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 10)
}
