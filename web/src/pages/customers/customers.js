// Logic of the customer pages, kept out of the components so it can be unit-tested. Values
// follow the contract of GET /api/v1/customers and GET /api/v1/customers/{id}.

export const CUSTOMER_STATUSES = ['active', 'lost']
export const RELATION_STATUSES = ['active', 'lost', 'removed']
export const RELATION_STATUS_TAG = { active: 'success', lost: 'danger', removed: 'warning' }
export const IDENTITY_KINDS = ['wecom_external_userid', 'unionid', 'phone']
export const TIMELINE_KINDS = [
  'added_staff',
  'welcome_sent',
  'welcome_failed',
  'relation_edited',
  'lost',
  'removed_by_staff',
  'transfer_failed',
  'joined_group',
  'left_group',
  'relation_ended',
  'tagged',
  'owner_assigned',
]
// el-timeline-item type per kind: good news green, losses red, failures orange.
export const TIMELINE_KIND_TYPE = {
  added_staff: 'success',
  welcome_sent: 'primary',
  welcome_failed: 'warning',
  relation_edited: 'info',
  lost: 'danger',
  removed_by_staff: 'danger',
  transfer_failed: 'warning',
  joined_group: 'primary',
  left_group: 'info',
  relation_ended: 'warning',
  tagged: 'primary',
  owner_assigned: 'info',
}
// WeCom's add_way codes that have a label in the locale files (customers.addWays.<code>).
export const ADD_WAYS = [0, 1, 2, 3, 4, 5, 6, 9, 10, 16, 201, 202]
// WeCom's fail_reason values of a failed transfer that have a label (customers.failReasons.<value>).
export const FAIL_REASONS = ['customer_refused', 'customer_limit_exceed']

// genderKey maps the API's gender (0 unknown, 1 male, 2 female) to a locale key suffix.
export function genderKey(gender) {
  if (gender === 1) return 'male'
  if (gender === 2) return 'female'
  return 'unknown'
}

// list returns v when it is an array, else [] (the profile's staff is null without an
// active relation, while the list always sends an array).
export function list(v) {
  return Array.isArray(v) ? v : []
}

// parseDetail turns an event's detail (a JSON object encoded as a string, or already an
// object) into a plain object; anything else, or malformed JSON, gives {}.
export function parseDetail(detail) {
  let v = detail
  if (typeof v === 'string') {
    if (!v.trim()) return {}
    try {
      v = JSON.parse(v)
    } catch {
      return {}
    }
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {}
}

function text(v) {
  if (typeof v === 'string') return v.trim()
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return ''
}

// staffNamesOf maps the wecom_userid of each relation to the staff member's name, for
// putting names on timeline events (which only carry the wecom_userid).
export function staffNamesOf(relations) {
  const names = {}
  for (const r of list(relations)) {
    if (r && typeof r.wecom_userid === 'string' && r.wecom_userid && text(r.staff_name)) {
      names[r.wecom_userid] = text(r.staff_name)
    }
  }
  return names
}

// describeEvent says what a timeline event means as an i18n key under customers.timeline.text
// and its parameters; key is '' when there is nothing to say beyond the kind's label. The staff
// member is named by name when known, else by wecom_userid; a text without anyone to name uses
// the "…Anon" variant of its key.
export function describeEvent(event, staffNames = {}) {
  const e = event && typeof event === 'object' ? event : {}
  const d = parseDetail(e.detail)
  const userid = text(e.wecom_userid)
  const staff = (userid && staffNames && text(staffNames[userid])) || userid
  const withStaff = (key, params = {}) =>
    staff ? { key, params: { ...params, staff } } : { key: `${key}Anon`, params }
  switch (e.kind) {
    case 'added_staff': {
      const state = text(d.state)
      const way = typeof d.add_way === 'number' && ADD_WAYS.includes(d.add_way) && d.add_way !== 0 ? d.add_way : null
      const params = { ...(state ? { state } : {}), ...(way !== null ? { addWay: way } : {}) }
      return withStaff(state ? 'addedWithState' : 'added', params)
    }
    case 'welcome_sent':
      return withStaff('welcomeSent')
    case 'welcome_failed': {
      const error = text(d.error)
      return error ? { key: 'welcomeFailedWithError', params: { error } } : { key: 'welcomeFailed', params: {} }
    }
    case 'relation_edited':
      return withStaff('relationEdited')
    case 'lost':
      return withStaff('lost')
    case 'removed_by_staff':
      return withStaff('removedByStaff')
    case 'relation_ended':
      return withStaff('relationEnded')
    case 'transfer_failed': {
      const reason = text(d.fail_reason)
      return withStaff(reason ? 'transferFailedWithReason' : 'transferFailed', reason ? { reason } : {})
    }
    case 'joined_group':
    case 'left_group': {
      const group = text(d.name) || text(d.chat_id)
      const base = e.kind === 'joined_group' ? 'joinedGroup' : 'leftGroup'
      return group ? { key: base, params: { group } } : { key: `${base}Anon`, params: {} }
    }
    case 'tagged': {
      const names = (v) => (Array.isArray(v) ? v.map(text).filter(Boolean) : [])
      const added = names(d.added)
      const removed = names(d.removed)
      if (added.length && removed.length) return { key: 'tagged', params: { added, removed } }
      if (added.length) return { key: 'taggedAdded', params: { added } }
      if (removed.length) return { key: 'taggedRemoved', params: { removed } }
      return { key: 'taggedNone', params: {} }
    }
    case 'owner_assigned': {
      const by = text(d.by)
      const base = d.owner_staff_id === null || d.owner_staff_id === undefined ? 'ownerCleared' : 'ownerAssigned'
      return by ? { key: base, params: { by } } : { key: `${base}Anon`, params: {} }
    }
    default:
      return { key: '', params: {} }
  }
}

// kindLabel is the translated name of an event kind, or the kind itself when unknown.
export function kindLabel(kind, { t, te }) {
  const k = typeof kind === 'string' ? kind : ''
  return k && te(`customers.timeline.kinds.${k}`) ? t(`customers.timeline.kinds.${k}`) : k
}

// formatEvent is the human description of a timeline event in the current language (t and te
// of vue-i18n). It never throws, whatever the event holds.
export function formatEvent(event, staffNames, { t, te }) {
  let out
  try {
    const { key, params } = describeEvent(event, staffNames)
    if (!key) return ''
    const p = { ...params }
    // Lists of tag names are quoted and joined the way the language does it.
    for (const k of ['added', 'removed']) {
      if (Array.isArray(p[k])) {
        p[k] = p[k].map((name) => t('customers.timeline.text.tagName', { name })).join(t('customers.timeline.text.tagSeparator'))
      }
    }
    if (p.reason !== undefined && te(`customers.failReasons.${p.reason}`)) {
      p.reason = t(`customers.failReasons.${p.reason}`)
    }
    out = t(`customers.timeline.text.${key}`, p)
    if (p.addWay !== undefined && te(`customers.addWays.${p.addWay}`)) {
      out += t('customers.timeline.text.addWaySuffix', { way: t(`customers.addWays.${p.addWay}`) })
    }
  } catch {
    return ''
  }
  return out
}

function queryString(v) {
  return typeof v === 'string' ? v.trim() : ''
}

// Sorts of the list (GET /api/v1/customers?sort=) and the tag modes of its tag filter.
export const SORTS = ['recent', 'added_desc', 'added_asc', 'name', 'active']
export const TAG_MODES = ['any', 'all', 'none']
// The most tags one filter takes, and the most customers one bulk request takes.
export const MAX_FILTER_TAGS = 20
export const MAX_BULK_TAG = 500
export const MAX_BULK_ASSIGN = 1000

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/

function positiveId(v) {
  const s = queryString(v)
  const n = Number(s)
  return s !== '' && Number.isSafeInteger(n) && n > 0 ? n : null
}

function dateString(v) {
  const s = queryString(v)
  if (!DATE_RE.test(s)) return ''
  const d = new Date(`${s}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s ? s : ''
}

// tagIdsOf reads tag ids from a query value ('1,2' or ['1', '2,3']): positive, distinct, in
// order, at most MAX_FILTER_TAGS.
export function tagIdsOf(v) {
  const parts = (Array.isArray(v) ? v : [v]).flatMap((x) => (typeof x === 'string' ? x.split(',') : typeof x === 'number' ? [String(x)] : []))
  const out = []
  for (const p of parts) {
    const n = positiveId(p)
    if (n !== null && !out.includes(n)) out.push(n)
  }
  return out.slice(0, MAX_FILTER_TAGS)
}

// filtersFromQuery reads the list's filters from the route query (a deep link or a reload).
export function filtersFromQuery(query = {}) {
  const q = query || {}
  let from = dateString(q.added_from)
  let to = dateString(q.added_to)
  if (from && to && to < from) [from, to] = [to, from]
  return {
    q: queryString(q.q),
    status: CUSTOMER_STATUSES.includes(q.status) ? q.status : '',
    state: queryString(q.state),
    staff_id: positiveId(q.staff_id),
    org_unit_id: positiveId(q.org_unit_id),
    tag_ids: tagIdsOf(q.tag_ids),
    tag_mode: TAG_MODES.includes(q.tag_mode) ? q.tag_mode : 'any',
    added_from: from,
    added_to: to,
    sort: SORTS.includes(q.sort) ? q.sort : 'recent',
  }
}

// queryFromFilters is the route query for filters: only what is set (and differs from the
// defaults), all as strings — the same names GET /api/v1/customers takes.
export function queryFromFilters(f) {
  const out = {}
  if (f.q && f.q.trim()) out.q = f.q.trim()
  if (CUSTOMER_STATUSES.includes(f.status)) out.status = f.status
  if (f.state && f.state.trim()) out.state = f.state.trim()
  if (f.staff_id !== null && f.staff_id !== undefined && f.staff_id !== '') out.staff_id = String(f.staff_id)
  if (f.org_unit_id !== null && f.org_unit_id !== undefined && f.org_unit_id !== '') out.org_unit_id = String(f.org_unit_id)
  const tags = tagIdsOf(Array.isArray(f.tag_ids) ? f.tag_ids.map(String) : [])
  if (tags.length) {
    out.tag_ids = tags.join(',')
    if (TAG_MODES.includes(f.tag_mode) && f.tag_mode !== 'any') out.tag_mode = f.tag_mode
  }
  const from = dateString(f.added_from)
  const to = dateString(f.added_to)
  if (from) out.added_from = from
  if (to) out.added_to = to
  if (SORTS.includes(f.sort) && f.sort !== 'recent') out.sort = f.sort
  return out
}

// apiQuery is the query of GET /api/v1/customers for filters and a page.
export function apiQuery(f, { limit, cursor = '' } = {}) {
  return { ...queryFromFilters(f), limit, cursor }
}

// dateRangeOf and withDateRange convert between the filters and el-date-picker's
// [from, to] value (value-format YYYY-MM-DD).
export function dateRangeOf(f) {
  return f.added_from && f.added_to ? [f.added_from, f.added_to] : null
}

export function withDateRange(f, range) {
  const [from, to] = Array.isArray(range) && range.length === 2 ? range.map(dateString) : ['', '']
  return { ...f, added_from: from && to ? from : '', added_to: from && to ? to : '' }
}

// selectedIds is the ids of the selected rows, distinct, in order.
export function selectedIds(rows) {
  const out = []
  for (const r of list(rows)) {
    if (r && Number.isSafeInteger(r.id) && r.id > 0 && !out.includes(r.id)) out.push(r.id)
  }
  return out
}

// bulkTagBody and bulkAssignBody build the bodies of the bulk endpoints; they return null when
// there is nothing to send (no customers, no tags, no staff member) or too many customers.
export function bulkTagBody(ids, tagIds, remove = false) {
  const customers = selectedIds(ids.map((id) => ({ id })))
  const tags = tagIdsOf(list(tagIds).map(String))
  if (!customers.length || !tags.length || customers.length > MAX_BULK_TAG) return null
  return remove ? { customer_ids: customers, remove: tags } : { customer_ids: customers, add: tags }
}

export function bulkAssignBody(ids, staffId) {
  const customers = selectedIds(ids.map((id) => ({ id })))
  const staff = positiveId(staffId === null || staffId === undefined ? '' : String(staffId))
  if (!customers.length || customers.length > MAX_BULK_ASSIGN) return null
  return staff === null ? { customer_ids: customers, clear: true } : { customer_ids: customers, staff_id: staff }
}

// bulkOutcome sums up a bulk result: how many succeeded, and the failures grouped by reason
// ({reason, count}, most frequent first).
export function bulkOutcome(result) {
  const items = list(result && result.items)
  const ok = items.filter((i) => i && i.ok).length
  const byReason = {}
  for (const i of items) {
    if (!i || i.ok) continue
    const reason = typeof i.error === 'string' && i.error ? i.error : 'unknown'
    byReason[reason] = (byReason[reason] || 0) + 1
  }
  const failures = Object.entries(byReason)
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
  return { ok, failed: items.length - ok, failures }
}

// tagOptionsOf flattens the tag library into grouped select options.
export function tagOptionsOf(groups) {
  return list(groups)
    .filter((g) => g && list(g.tags).length)
    .map((g) => ({ label: String(g.name || ''), options: list(g.tags).map((t) => ({ value: t.id, label: String(t.name || '') })) }))
}

// initialOf is what an avatar shows without a picture: the name's first character.
export function initialOf(name) {
  const s = typeof name === 'string' ? name.trim() : ''
  return s ? Array.from(s)[0] : '?'
}
