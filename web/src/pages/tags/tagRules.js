// Logic of the auto-tag rules panel, kept out of the component so it can be unit-tested.
// Shapes follow GET/POST /api/v1/tag-rules (TagRule, TagRuleInput, RuleConditions): money is
// integer fen in the API and yuan in the form. Texts come from the caller's translate function
// (vue-i18n's t) with keys under "tagRules".

export const DEFAULT_SPENT_DAYS = 90
export const MAX_SPENT_DAYS = 3660
export const MAX_RULE_NAME = 64
// The server refuses more than 1e12 fen (10 billion yuan).
export const MAX_SPENT_FEN = 1e12
// Rules change every customer of the tenant, so only tenant-wide roles may write them.
export const RULE_WRITER_ROLES = ['owner', 'admin']

// canWriteRules: the session may create, change, delete and run rules — it has tags.write and a
// tenant-wide role (others get 403 from the server).
export function canWriteRules(can, role) {
  return typeof can === 'function' && !!can('tags.write') && RULE_WRITER_ROLES.includes(role)
}

// parseYuan reads an amount typed in yuan ("100", "99.9", "12.50") as integer fen; NaN when it
// is not a non-negative amount with at most two decimals.
export function parseYuan(text) {
  const s = String(text ?? '').trim()
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return NaN
  const [yuan, dec = ''] = s.split('.')
  return Number(yuan) * 100 + Number((dec + '00').slice(0, 2))
}

// yuanText shows fen as yuan: whole amounts without decimals (10000 → "100"), others with two
// (12345 → "123.45").
export function yuanText(fen) {
  const n = Math.round(Number(fen) || 0)
  const sign = n < 0 ? '-' : ''
  const a = Math.abs(n)
  const cents = a % 100
  return `${sign}${Math.floor(a / 100)}${cents ? '.' + String(cents).padStart(2, '0') : ''}`
}

function ids(list) {
  return Array.isArray(list) ? [...new Set(list.filter((id) => Number.isInteger(id) && id > 0))] : []
}

// emptyForm is the form of a new rule: enabled, no conditions, spend over the default window.
export function emptyForm() {
  return {
    name: '',
    tag_id: null,
    spent_yuan: '',
    spent_days: DEFAULT_SPENT_DAYS,
    group_ids: [],
    channel_ids: [],
    birthday_this_month: false,
    enabled: true,
  }
}

// formOf turns a TagRule into the edit form.
export function formOf(rule) {
  const r = rule || {}
  const c = r.conditions || {}
  const fen = Number(c.spent_at_least_fen) || 0
  return {
    name: r.name || '',
    tag_id: Number.isInteger(r.tag_id) && r.tag_id > 0 ? r.tag_id : null,
    spent_yuan: fen > 0 ? yuanText(fen) : '',
    spent_days: Number(c.spent_within_days) > 0 ? Number(c.spent_within_days) : DEFAULT_SPENT_DAYS,
    group_ids: ids(c.group_ids),
    channel_ids: ids(c.channel_ids),
    birthday_this_month: !!c.birthday_this_month,
    enabled: r.enabled === undefined ? true : !!r.enabled,
  }
}

// payloadOf turns the form into a TagRuleInput. A blank amount means no spend condition (and
// then no window is sent); a blank window means the default.
export function payloadOf(form) {
  const f = form || {}
  const conditions = {}
  const fen = String(f.spent_yuan ?? '').trim() === '' ? 0 : parseYuan(f.spent_yuan)
  if (fen !== 0) {
    conditions.spent_at_least_fen = fen
    const days = f.spent_days === '' || f.spent_days === null || f.spent_days === undefined ? DEFAULT_SPENT_DAYS : Number(f.spent_days)
    conditions.spent_within_days = days
  }
  const groups = ids(f.group_ids)
  if (groups.length) conditions.group_ids = groups
  const channels = ids(f.channel_ids)
  if (channels.length) conditions.channel_ids = channels
  if (f.birthday_this_month) conditions.birthday_this_month = true
  return {
    name: String(f.name ?? '').trim(),
    tag_id: Number.isInteger(f.tag_id) ? f.tag_id : 0,
    conditions,
    enabled: f.enabled === undefined ? true : !!f.enabled,
  }
}

// formErrors checks the form as the server would: field (named as in the API's error.fields)
// → message key under "tagRules.errors". Empty when the form may be sent.
export function formErrors(form) {
  const f = form || {}
  const out = {}
  const name = String(f.name ?? '').trim()
  if (!name) out.name = 'nameRequired'
  else if (Array.from(name).length > MAX_RULE_NAME) out.name = 'nameTooLong'
  if (!Number.isInteger(f.tag_id) || f.tag_id <= 0) out.tag_id = 'tagRequired'
  const hasAmount = String(f.spent_yuan ?? '').trim() !== ''
  if (hasAmount) {
    const fen = parseYuan(f.spent_yuan)
    if (!(fen > 0) || fen > MAX_SPENT_FEN) out['conditions.spent_at_least_fen'] = 'amount'
    const d = f.spent_days
    if (d !== '' && d !== null && d !== undefined && !(Number.isInteger(Number(d)) && Number(d) >= 1 && Number(d) <= MAX_SPENT_DAYS)) {
      out['conditions.spent_within_days'] = 'days'
    }
  }
  const p = payloadOf(f)
  if (!out['conditions.spent_at_least_fen'] && Object.keys(p.conditions).length === 0) out.conditions = 'empty'
  return out
}

// nameMap makes id → name from a list response ({items: [{id, name}]}) or an array.
export function nameMap(data) {
  const items = Array.isArray(data) ? data : data && Array.isArray(data.items) ? data.items : []
  const m = new Map()
  for (const it of items) if (it && Number.isInteger(it.id)) m.set(it.id, it.name || '')
  return m
}

// conditionsSummary says a rule's conditions in words, e.g. (zh-CN)
// "spent >= 100 yuan in 90 days AND in group X" in the console's language. t is vue-i18n's
// translate function; groups and channels map ids to names (unknown ids show as #id).
export function conditionsSummary(conditions, t, { groups = new Map(), channels = new Map() } = {}) {
  const c = conditions || {}
  const parts = []
  const quoted = (name) => t('tagRules.summary.quoted', { name })
  const list = (values, names, unknownKey) =>
    values.map((id) => (names.get(id) ? quoted(names.get(id)) : t(unknownKey, { id }))).join(t('tagRules.summary.or'))
  const fen = Number(c.spent_at_least_fen) || 0
  if (fen > 0) {
    const days = Number(c.spent_within_days) > 0 ? Number(c.spent_within_days) : DEFAULT_SPENT_DAYS
    parts.push(t('tagRules.summary.spent', { days, amount: yuanText(fen) }))
  }
  const g = ids(c.group_ids)
  if (g.length) parts.push(t('tagRules.summary.groups', { names: list(g, groups, 'tagRules.summary.unknownGroup') }))
  const ch = ids(c.channel_ids)
  if (ch.length) parts.push(t('tagRules.summary.channels', { names: list(ch, channels, 'tagRules.summary.unknownChannel') }))
  if (c.birthday_this_month) parts.push(t('tagRules.summary.birthday'))
  return parts.length ? parts.join(t('tagRules.summary.and')) : t('tagRules.summary.none')
}

// rulesOf returns the API's rules, skipping malformed entries.
export function rulesOf(data) {
  const items = data && Array.isArray(data.items) ? data.items : []
  return items.filter((r) => r && Number.isInteger(r.id)).map((r) => ({ ...r, conditions: r.conditions || {} }))
}
