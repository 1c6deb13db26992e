// Pure logic of the short links and SMS page, mirroring the server's rules
// (internal/acquisition/outreach.go) so the console can preview before it asks.

// OPT_OUT is what every campaign message must end with (Chinese SMS rules): "reply T to unsubscribe".
export const OPT_OUT = '\u56deT\u9000\u8ba2'

export const TEMPLATE_VARS = ['name', 'link', 'phone4']

// normalizeTemplate trims a template and appends the opt-out text when it is missing.
export function normalizeTemplate(t) {
  const s = (t || '').trim()
  if (s && !s.endsWith(OPT_OUT)) return `${s} ${OPT_OUT}`
  return s
}

// templateError: '' when the template is usable, else the server's field code.
export function templateError(t) {
  const s = normalizeTemplate(t)
  if (!s) return 'required'
  if ([...s].length > 500) return 'too_long'
  for (const m of s.matchAll(/\{([a-z0-9_]*)\}/g)) {
    if (!TEMPLATE_VARS.includes(m[1])) return 'unknown_variable'
  }
  if (!s.includes('{link}')) return 'needs_link'
  return ''
}

// render fills a template for one recipient.
export function render(template, { name = '', phone = '', link = '' }) {
  const vals = { name, link, phone4: phone.slice(-4) }
  return normalizeTemplate(template).replace(/\{([a-z0-9_]*)\}/g, (m, k) => (k in vals ? vals[k] : m))
}

// smsParts is how many SMS a message of text is billed as: 70 characters alone, 67 each when longer.
export function smsParts(text) {
  const n = [...(text || '')].length
  if (n <= 70) return 1
  return Math.ceil(n / 67)
}

// parsePhoneLines reads pasted lines "phone[,name]" (comma, tab or space separated) into
// recipients; rows are numbered from 1 and blank lines skipped. Phones are checked by the server.
export function parsePhoneLines(text) {
  const out = []
  for (const line of (text || '').split(/\r?\n/)) {
    const s = line.trim()
    if (!s) continue
    const m = /^([+\d][\d\s-]*\d)\s*(?:[,\t\uff0c]\s*(.*))?$/.exec(s)
    if (m) out.push({ phone: m[1].replace(/[\s-]/g, ''), name: (m[2] || '').trim() })
    else out.push({ phone: s, name: '' })
  }
  return out
}

// progress is the share of a campaign's recipients that are settled (sent, failed, opted out
// or cancelled), 0-100.
export function progress(c) {
  const total = c.recipients || 0
  if (!total) return 100
  return Math.round(((total - (c.pending || 0)) / total) * 100)
}

// rate formats part/whole as a percentage with one decimal ('' without a whole).
export function rate(part, whole) {
  if (!whole) return ''
  return `${Math.round((part / whole) * 1000) / 10}%`
}

// recipientErrors maps a failed request's field errors recipients[i].phone to 1-based rows.
export function recipientErrorRows(fields) {
  const rows = []
  for (const key of Object.keys(fields || {})) {
    const m = /^recipients\[(\d+)\]/.exec(key)
    if (m) rows.push(Number(m[1]) + 1)
  }
  return [...new Set(rows)].sort((a, b) => a - b)
}
