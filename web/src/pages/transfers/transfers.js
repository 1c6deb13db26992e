// Logic of the customer-transfer page, kept out of the component so it can be
// unit-tested. Values follow /api/v1/customer-transfers.

export const ITEM_STATUSES = ['pending', 'waiting', 'succeeded', 'failed', 'rejected']
export const ITEM_STATUS_TAG = { pending: 'info', waiting: 'warning', succeeded: 'success', failed: 'danger', rejected: 'danger' }
export const TRANSFER_STATUS_TAG = { running: 'primary', done: 'success' }
// The longest transfer_success_msg WeCom takes.
export const MAX_MESSAGE = 200
// Refresh period while a transfer in view is running.
export const POLL_MS = 5000

// progress is the share of a transfer's customers with a final result, 0–100.
export function progress(counts) {
  const c = counts || {}
  const total = Number(c.total) || 0
  if (total <= 0) return 0
  const final = (Number(c.succeeded) || 0) + (Number(c.failed) || 0) + (Number(c.rejected) || 0)
  return Math.min(100, Math.round((final * 100) / total))
}

// progressStatus is the el-progress status: success when all succeeded, warning when some
// failed or were rejected at the end, none while running.
export function progressStatus(transfer) {
  if (!transfer || transfer.status !== 'done') return ''
  const c = transfer.counts || {}
  return (Number(c.failed) || 0) + (Number(c.rejected) || 0) > 0 ? 'warning' : 'success'
}

// kindOf says which transfer a from-staff gets: a member who left goes through a resigned transfer.
export function kindOf(fromStaff) {
  return fromStaff && fromStaff.status === 'resigned' ? 'resigned' : 'on_job'
}

// buildRequest turns the form into the POST body, or returns the field errors (keys of
// validation messages) the user must fix first.
export function buildRequest(form) {
  const f = form || {}
  const errors = {}
  if (!f.fromStaffId) errors.from_staff_id = 'required'
  if (!f.toStaffId) errors.to_staff_id = 'required'
  else if (f.fromStaffId && f.fromStaffId === f.toStaffId) errors.to_staff_id = 'sameStaff'
  const ids = Array.isArray(f.customerIds) ? f.customerIds : []
  if (!f.all && ids.length === 0) errors.customer_ids = 'required'
  const message = (f.message || '').trim()
  if ([...message].length > MAX_MESSAGE) errors.message = 'tooLong'
  if (Object.keys(errors).length > 0) return { errors }
  const body = { from_staff_id: f.fromStaffId, to_staff_id: f.toStaffId }
  if (f.all) body.all = true
  else body.customer_ids = ids.slice()
  if (message && f.kind !== 'resigned') body.message = message
  return { body }
}

// canRetry reports whether a transfer has failed customers to submit again.
export function canRetry(transfer) {
  return Boolean(transfer && transfer.counts && Number(transfer.counts.failed) > 0)
}

// anyRunning reports whether a list of transfers has one still running (to keep refreshing).
export function anyRunning(items) {
  return (Array.isArray(items) ? items : []).some((t) => t && t.status === 'running')
}

// countItems counts a detail's items by status, for the filter tabs.
export function countItems(items) {
  const out = Object.fromEntries(ITEM_STATUSES.map((s) => [s, 0]))
  for (const it of Array.isArray(items) ? items : []) {
    if (it && it.status in out) out[it.status]++
  }
  return out
}
