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

// filtersFromQuery reads the list's filters from the route query (a deep link or a reload).
export function filtersFromQuery(query = {}) {
  const q = query || {}
  const sid = queryString(q.staff_id)
  const n = Number(sid)
  return {
    q: queryString(q.q),
    status: CUSTOMER_STATUSES.includes(q.status) ? q.status : '',
    state: queryString(q.state),
    staff_id: sid !== '' && Number.isSafeInteger(n) && n > 0 ? n : null,
  }
}

// queryFromFilters is the route query for filters: only what is set, all as strings.
export function queryFromFilters(f) {
  const out = {}
  if (f.q && f.q.trim()) out.q = f.q.trim()
  if (CUSTOMER_STATUSES.includes(f.status)) out.status = f.status
  if (f.state && f.state.trim()) out.state = f.state.trim()
  if (f.staff_id !== null && f.staff_id !== undefined && f.staff_id !== '') out.staff_id = String(f.staff_id)
  return out
}

// apiQuery is the query of GET /api/v1/customers for filters and a page.
export function apiQuery(f, { limit, cursor = '' } = {}) {
  return { ...queryFromFilters(f), limit, cursor }
}

// initialOf is what an avatar shows without a picture: the name's first character.
export function initialOf(name) {
  const s = typeof name === 'string' ? name.trim() : ''
  return s ? Array.from(s)[0] : '?'
}
