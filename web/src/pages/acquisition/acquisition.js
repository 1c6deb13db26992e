// Logic of the acquisition pages (channels, live codes, channel stats), kept out of the
// components so it can be unit-tested. Shapes follow docs/api.md "Acquisition".

export const CHANNEL_KINDS = ['offline_store', 'package_card', 'sms', 'poster', 'kol_koc', 'paid_ads', 'search', 'content', 'event', 'other']
export const TIERS = ['top', 'waist', 'bottom']
export const STRATEGIES = ['round_robin', 'weighted', 'fewest_adds_today']
export const GROUP_BYS = ['day', 'channel', 'code', 'staff']
export const MAX_WEIGHT = 100
export const MAX_DAILY_CAP = 100000

// yuanToFen reads an amount typed in yuan ("12.5", "12.50") as integer fen; NaN when it is not
// a positive amount with at most two decimals.
export function yuanToFen(text) {
  const s = String(text ?? '').trim()
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return NaN
  const [yuan, dec = ''] = s.split('.')
  const fen = Number(yuan) * 100 + Number((dec + '00').slice(0, 2))
  return fen > 0 ? fen : NaN
}

// fenToYuan shows fen as yuan with two decimals (null/undefined → '').
export function fenToYuan(fen) {
  if (fen === null || fen === undefined || Number.isNaN(Number(fen))) return ''
  const n = Number(fen)
  const sign = n < 0 ? '-' : ''
  const a = Math.abs(Math.round(n))
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`
}

function minutes(hhmm) {
  const m = /^(\d{2}):(\d{2})$/.exec(String(hhmm || ''))
  if (!m) return NaN
  const h = Number(m[1])
  const mm = Number(m[2])
  if (h > 24 || mm > 59 || (h === 24 && mm !== 0)) return NaN
  return h * 60 + mm
}

// shiftError checks one working-hours window as the server does: '' when fine, 'weekdays'
// (none, out of 1–7, or repeated) or 'hours' (not HH:MM, or end not after start).
export function shiftError(shift) {
  const days = Array.isArray(shift?.weekdays) ? shift.weekdays : []
  if (!days.length || days.some((d) => !Number.isInteger(d) || d < 1 || d > 7) || new Set(days).size !== days.length) {
    return 'weekdays'
  }
  const a = minutes(shift.start)
  const b = minutes(shift.end)
  if (Number.isNaN(a) || Number.isNaN(b) || b <= a) return 'hours'
  return ''
}

// staffRowErrors checks a code's staff rows: {index: {field: code}}; plus '_' for the list
// itself ('required' when no primary member, 'duplicate' for a member twice).
export function staffRowErrors(rows) {
  const out = {}
  const list = Array.isArray(rows) ? rows : []
  const seen = new Set()
  let primary = 0
  list.forEach((r, i) => {
    const e = {}
    if (!Number.isInteger(r.staff_id) || r.staff_id <= 0) e.staff_id = 'required'
    else if (seen.has(r.staff_id)) e.staff_id = 'duplicate'
    seen.add(r.staff_id)
    const w = r.weight ?? 1
    if (!Number.isInteger(w) || w < 1 || w > MAX_WEIGHT) e.weight = 'out_of_range'
    const cap = r.daily_cap ?? 0
    if (!Number.isInteger(cap) || cap < 0 || cap > MAX_DAILY_CAP) e.daily_cap = 'out_of_range'
    const bad = (r.schedule || []).findIndex((s) => shiftError(s))
    if (bad >= 0) e.schedule = shiftError(r.schedule[bad])
    if (!r.backup) primary++
    if (Object.keys(e).length) out[i] = e
  })
  if (!primary) out._ = 'required'
  return out
}

// weightShares is each primary member's expected share of scans (0–1) under the weighted
// strategy, ignoring caps; backups get 0.
export function weightShares(rows) {
  const list = Array.isArray(rows) ? rows : []
  const total = list.filter((r) => !r.backup).reduce((s, r) => s + Math.max(1, r.weight || 1), 0)
  return list.map((r) => (r.backup || !total ? 0 : Math.max(1, r.weight || 1) / total))
}

// codeBody turns the code form into the body of POST/PUT /live-codes.
export function codeBody(form) {
  const attachments = (form.attachments || [])
    .map((a) => {
      switch (a.msgtype) {
        case 'image':
          return { msgtype: 'image', image: { pic_url: (a.pic_url || '').trim() } }
        case 'link':
          return { msgtype: 'link', link: { title: (a.title || '').trim(), url: (a.url || '').trim(), picurl: (a.pic_url || '').trim() || undefined, desc: (a.desc || '').trim() || undefined } }
        case 'miniprogram':
          return { msgtype: 'miniprogram', miniprogram: { title: (a.title || '').trim(), appid: (a.appid || '').trim(), page: (a.page || '').trim(), pic_media_id: (a.pic_media_id || '').trim() } }
        default:
          return null
      }
    })
    .filter(Boolean)
  return {
    channel_id: form.channel_id,
    name: (form.name || '').trim(),
    strategy: form.strategy,
    skip_verify: !!form.skip_verify,
    staff: (form.staff || []).map((r) => ({
      staff_id: r.staff_id,
      weight: r.weight || 1,
      daily_cap: r.daily_cap || 0,
      backup: !!r.backup,
      schedule: (r.schedule || []).map((s) => ({ weekdays: [...s.weekdays].sort((x, y) => x - y), start: s.start, end: s.end })),
    })),
    tag_ids: form.tag_ids || [],
    welcome: { text: (form.welcome_text || '').trim(), attachments },
    group_code: (form.group_code || '').trim(),
    expires_at: form.expires_at ? new Date(form.expires_at).toISOString() : undefined,
    disabled: !!form.disabled,
  }
}

// formOfCode is the edit form of a code from GET /live-codes/{id}.
export function formOfCode(code) {
  return {
    channel_id: code.channel_id,
    name: code.name,
    strategy: code.strategy,
    skip_verify: code.skip_verify,
    staff: (code.staff || []).map((s) => ({
      staff_id: s.staff_id,
      staff_name: s.staff_name,
      weight: s.weight,
      daily_cap: s.daily_cap,
      backup: s.backup,
      schedule: (s.schedule || []).map((x) => ({ weekdays: [...x.weekdays], start: x.start, end: x.end })),
      unavailable: s.unavailable,
    })),
    tag_ids: [...(code.tag_ids || [])],
    welcome_text: code.welcome?.text || '',
    attachments: (code.welcome?.attachments || []).map((a) => ({
      msgtype: a.msgtype,
      pic_url: a.image?.pic_url || a.link?.picurl || '',
      title: a.link?.title || a.miniprogram?.title || '',
      url: a.link?.url || '',
      desc: a.link?.desc || '',
      appid: a.miniprogram?.appid || '',
      page: a.miniprogram?.page || '',
      pic_media_id: a.miniprogram?.pic_media_id || '',
    })),
    group_code: code.group_code || '',
    expires_at: code.expires_at || null,
    disabled: !!code.disabled,
  }
}

// previewWelcome fills the welcome variables for the form's preview.
export function previewWelcome(text, name, staff) {
  return String(text || '')
    .replaceAll('{name}', name)
    .replaceAll('{staff}', staff)
}

// chartOption is the ECharts option of the stats page: scans and adds as bars, 30-day net adds
// as a line, spend (yuan) on a second axis. labels are the translated series names.
export function chartOption(daily, labels) {
  const rows = Array.isArray(daily) ? daily : []
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, left: 'center', data: [labels.scans, labels.adds, labels.net, labels.spend] },
    grid: { left: 48, right: 56, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: rows.map((r) => r.key) },
    yAxis: [
      { type: 'value', minInterval: 1 },
      { type: 'value', name: labels.spendAxis, position: 'right' },
    ],
    series: [
      { name: labels.scans, type: 'bar', data: rows.map((r) => r.scans) },
      { name: labels.adds, type: 'bar', data: rows.map((r) => r.adds) },
      { name: labels.net, type: 'line', smooth: true, data: rows.map((r) => r.net_adds_30d) },
      { name: labels.spend, type: 'line', yAxisIndex: 1, data: rows.map((r) => Number(fenToYuan(r.spend_fen))) },
    ],
  }
}

// dayOffset is the YYYY-MM-DD n days before today in Asia/Shanghai (the tenants' day).
export function dayOffset(n, now = new Date()) {
  const shanghai = new Date(now.getTime() + 8 * 3600 * 1000 - n * 86400 * 1000)
  return shanghai.toISOString().slice(0, 10)
}
