// Pure logic of the customer import dialog: the column mapping preview, its checks, the job's
// progress. The server proposes the mapping (auto-detected from the headers); the user may
// change any column, and each target takes one column.

export const BUILTIN_TARGETS = ['name', 'phone', 'gender', 'birthday', 'tags', 'remark']
export const IMPORT_MODES = ['all_or_nothing', 'skip_bad']
export const RUNNING_STATUSES = ['queued', 'validating', 'writing']
export const FIELD_PREFIX = 'field:'

// targetOptions lists what a column can feed: nothing, the built-in fields, then the custom
// fields that are not archived. label(key) translates a built-in target.
export function targetOptions(fields, label) {
  const out = [{ value: '', label: label('ignore') }]
  for (const b of BUILTIN_TARGETS) out.push({ value: b, label: label(b) })
  for (const f of Array.isArray(fields) ? fields : []) {
    if (f && !f.archived && f.key) out.push({ value: FIELD_PREFIX + f.key, label: f.label || f.key })
  }
  return out
}

// previewColumns pairs every header with its target and its sample cells.
export function previewColumns(headers, mapping, sample) {
  const hs = Array.isArray(headers) ? headers : []
  const rows = Array.isArray(sample) ? sample : []
  return hs.map((header, index) => ({
    index,
    header: header || '',
    target: (Array.isArray(mapping) && mapping[index]) || '',
    samples: rows.map((r) => (Array.isArray(r) && r[index] !== undefined ? String(r[index]) : '')),
  }))
}

// setTarget returns the mapping with column index feeding target; a column that fed the same
// target before is cleared, so each target stays on one column.
export function setTarget(mapping, index, target) {
  const out = (Array.isArray(mapping) ? mapping : []).map((t) => t || '')
  if (index < 0 || index >= out.length) return out
  if (target) {
    for (let i = 0; i < out.length; i++) if (i !== index && out[i] === target) out[i] = ''
  }
  out[index] = target || ''
  return out
}

// mappingProblems says what keeps a mapping from running: no phone column (phones match and
// create customers), or a target on two columns.
export function mappingProblems(mapping) {
  const seen = new Set()
  const duplicates = []
  for (const t of Array.isArray(mapping) ? mapping : []) {
    if (!t) continue
    if (seen.has(t) && !duplicates.includes(t)) duplicates.push(t)
    seen.add(t)
  }
  return { missingPhone: !seen.has('phone'), duplicates }
}

export function isRunning(job) {
  return !!job && RUNNING_STATUSES.includes(job.status)
}

// progressPercent is the progress bar's value: rows checked are not a fraction of a known total
// (the total is known once checking ends), so checking shows 0–50% by a guess of at most 50
// and writing fills the rest.
export function progressPercent(job) {
  if (!job) return 0
  switch (job.status) {
    case 'done':
    case 'rejected':
      return 100
    case 'writing': {
      const total = Math.max(job.ok || 0, 1)
      return Math.min(100, 50 + Math.floor(((job.processed || 0) * 50) / total))
    }
    case 'validating':
      return job.total > 0 ? Math.min(50, Math.floor(((job.processed || 0) * 50) / job.total)) : 10
    default:
      return 0
  }
}

// sortedErrors returns the row errors by row, then column order.
export function sortedErrors(job) {
  const list = job && Array.isArray(job.errors) ? job.errors.slice() : []
  return list.sort((a, b) => (a.row || 0) - (b.row || 0))
}

// canRunAgain: a dry run, a rejected import or a failed one may run again; an imported one not.
export function canRunAgain(job) {
  if (!job) return false
  if (job.status === 'uploaded' || job.status === 'rejected' || job.status === 'failed') return true
  return job.status === 'done' && !!job.dry_run
}
