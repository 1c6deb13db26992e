// Logic of the orders page and its import dialog, kept out of the components so it can be
// unit-tested. Values follow /api/v1/orders (docs/api.md).

export const SOURCES = ['tmall', 'taobao', 'jd', 'youzan', 'douyin', 'pos', 'mall', 'other']
export const STATUSES = ['paid', 'partially_refunded', 'refunded']
export const STATUS_TAG = { paid: 'success', partially_refunded: 'warning', refunded: 'danger' }
export const LAYOUTS = ['taobao', 'generic']

// fen → "1,234.50" (yuan, two decimals); empty for missing values.
export function yuan(fen) {
  if (fen === null || fen === undefined || fen === '' || Number.isNaN(Number(fen))) return ''
  const n = Number(fen)
  const sign = n < 0 ? '-' : ''
  const abs = Math.abs(Math.trunc(n))
  const whole = Math.floor(abs / 100).toLocaleString('en-US')
  const cents = String(abs % 100).padStart(2, '0')
  return `${sign}${whole}.${cents}`
}

// listQuery turns the filter form into the list query: empty values are left out, the date range
// [from, to] (YYYY-MM-DD, inclusive) becomes from and the day after to.
export function listQuery(filters, cursor) {
  const f = filters || {}
  const q = {}
  for (const k of ['source', 'status', 'bound']) if (f[k]) q[k] = f[k]
  for (const k of ['customer_id', 'store_id']) if (f[k]) q[k] = String(f[k])
  if (Array.isArray(f.range) && f.range.length === 2 && f.range[0] && f.range[1]) {
    q.from = f.range[0]
    q.to = nextDay(f.range[1])
  }
  q.limit = 50
  if (cursor) q.cursor = cursor
  return q
}

// nextDay returns the YYYY-MM-DD after d (calendar arithmetic, no time zones).
export function nextDay(d) {
  const [y, m, day] = String(d).split('-').map(Number)
  const t = new Date(Date.UTC(y, m - 1, day + 1))
  return t.toISOString().slice(0, 10)
}

// importErrorRows turns a rejected import (ApiError with .report, or a report) into table rows
// sorted by row number, with the column and a code to translate.
export function importErrorRows(errOrReport) {
  const report = errOrReport && errOrReport.report !== undefined ? errOrReport.report : errOrReport
  const errors = (report && Array.isArray(report.errors) && report.errors) || []
  return errors
    .map((e) => ({ row: Number(e.row) || 0, column: e.column || '', code: e.code || 'invalid' }))
    .sort((a, b) => a.row - b.row || a.column.localeCompare(b.column))
}

// importSummary counts what an import did, for the result line.
export function importSummary(report) {
  const r = report || {}
  return {
    rows: Number(r.rows) || 0,
    created: Number(r.created) || 0,
    updated: Number(r.updated) || 0,
    unchanged: Number(r.unchanged) || 0,
    skipped: Number(r.skipped) || 0,
    dryRun: Boolean(r.dry_run),
  }
}

// acceptFile says whether a file name is an order file the server reads.
export function acceptFile(name) {
  return /\.(csv|xlsx)$/i.test(String(name || ''))
}
