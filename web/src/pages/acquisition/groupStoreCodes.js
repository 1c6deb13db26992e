// Logic of the group live code and store code pages, kept out of the
// components so it can be unit-tested. Shapes follow docs/api.md "Group live codes and store codes".

export const GROUP_CAP = 200
export const MAX_JOIN_WAY_CHATS = 5
export const MAX_GROUP_CODE_CHATS = 100

// currentGroup mirrors the server's pick: the index of the first group that is not dismissed and
// has fewer than 200 members (groups not synced yet count as having room); -1 when none.
export function currentGroup(groups) {
  const list = Array.isArray(groups) ? groups : []
  return list.findIndex((g) => g.status !== 'dismissed' && (g.member_count ?? 0) < GROUP_CAP)
}

// groupFill is a group's fill as a percentage 0–100 of the 200-member cap.
export function groupFill(memberCount) {
  const n = Number(memberCount) || 0
  return Math.max(0, Math.min(100, Math.round((n / GROUP_CAP) * 100)))
}

// moveChat moves the chat at index i by delta (-1 up, +1 down) in a copy of the ordered list.
export function moveChat(chatIds, i, delta) {
  const out = [...(chatIds || [])]
  const j = i + delta
  if (i < 0 || i >= out.length || j < 0 || j >= out.length) return out
  ;[out[i], out[j]] = [out[j], out[i]]
  return out
}

// groupCodeErrors checks a group code form as the server does: {field: code}.
export function groupCodeErrors(form) {
  const e = {}
  const name = String(form?.name ?? '').trim()
  if (!name) e.name = 'required'
  else if ([...name].length > 50) e.name = 'too_long'
  if (!form?.org_unit_id) e.org_unit_id = 'required'
  const chats = Array.isArray(form?.chat_ids) ? form.chat_ids : []
  if (!chats.length) e.chat_ids = 'required'
  else if (chats.length > MAX_GROUP_CODE_CHATS) e.chat_ids = 'out_of_range'
  else if (new Set(chats).size !== chats.length) e.chat_ids = 'invalid'
  if (form?.auto_create) {
    const base = String(form.room_base_name ?? '').trim()
    if (!base) e.room_base_name = 'required'
    else if ([...base].length > 40) e.room_base_name = 'too_long'
    const id = form.room_base_id ?? 1
    if (!Number.isInteger(id) || id < 1 || id > 1000000) e.room_base_id = 'out_of_range'
  }
  return e
}

// groupCodeBody is the request body of a group code form.
export function groupCodeBody(form) {
  const body = {
    org_unit_id: form.org_unit_id,
    name: String(form.name ?? '').trim(),
    chat_ids: [...(form.chat_ids || [])],
    auto_create: !!form.auto_create,
    disabled: !!form.disabled,
  }
  if (body.auto_create) {
    body.room_base_name = String(form.room_base_name ?? '').trim()
    body.room_base_id = form.room_base_id || 1
  }
  return body
}

// formOfGroupCode is the form of an existing group code.
export function formOfGroupCode(code) {
  return {
    org_unit_id: code.org_unit_id,
    name: code.name,
    chat_ids: (code.groups || []).map((g) => g.chat_id),
    auto_create: !!code.auto_create,
    room_base_name: code.room_base_name || '',
    room_base_id: code.room_base_id || 1,
    disabled: !!code.disabled,
  }
}

// nextAutoName is the name WeCom gives the next auto-created group ("base name + number").
export function nextAutoName(base, id) {
  return `${String(base ?? '').trim()}${id || 1}`
}

// joinsTable pivots stats rows ({day, chat_id, joins}) into one row per day with a column per
// group: {days: [{day, total, [chat_id]: joins}], totals: {chat_id: joins}}.
export function joinsTable(rows) {
  const byDay = new Map()
  const totals = {}
  for (const r of rows || []) {
    if (!byDay.has(r.day)) byDay.set(r.day, { day: r.day, total: 0 })
    const d = byDay.get(r.day)
    d[r.chat_id] = (d[r.chat_id] || 0) + r.joins
    d.total += r.joins
    totals[r.chat_id] = (totals[r.chat_id] || 0) + r.joins
  }
  return { days: [...byDay.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0)), totals }
}

// storeFinderPath is the public store finder of a tenant, optionally opened on a city.
export function storeFinderPath(tenantSlug, city) {
  const base = `/l/stores/${encodeURIComponent(tenantSlug || '')}`
  return city ? `${base}?city=${encodeURIComponent(city)}` : base
}

// citiesOf lists the distinct cities of store codes, sorted in the locale's order.
export function citiesOf(codes, locale = 'zh-CN') {
  const set = new Set((codes || []).map((c) => c.city).filter(Boolean))
  return [...set].sort((a, b) => a.localeCompare(b, locale))
}

// storeCodeErrors checks a store code form: {field: code}.
export function storeCodeErrors(form) {
  const e = {}
  if (!form?.org_unit_id) e.org_unit_id = 'required'
  if (!form?.channel_id) e.channel_id = 'required'
  const city = String(form?.city ?? '').trim()
  if (!city) e.city = 'required'
  else if ([...city].length > 30) e.city = 'too_long'
  return e
}
