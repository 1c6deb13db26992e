// Logic of a customer's identities, notes and merges (the customer drawer and the WeCom
// sidebar), kept out of the components so it can be unit-tested. Values follow the
// "Customer profile" routes of docs/api.md.

import { parseDetail } from './customers.js'

export const MANUAL_IDENTITY_KINDS = ['phone', 'unionid', 'taobao_nick', 'jd_id', 'youzan_id', 'oa_openid']
export const NOTE_KINDS = ['note', 'follow_up']
export const FOLLOW_UP_METHODS = ['phone', 'wecom', 'visit', 'other']
export const MAX_NOTE = 2000

// Timeline kinds this module describes, with their el-timeline-item type.
export const PROFILE_KIND_TYPE = {
  note: 'primary',
  follow_up: 'success',
  merged: 'warning',
  split: 'warning',
  identity_added: 'info',
  identity_removed: 'info',
}

function text(v) {
  if (typeof v === 'string') return v.trim()
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return ''
}

// describeProfileEvent says what a note, merge, split or identity event means as a key under
// customerProfile.timeline.text and its parameters; null for other kinds.
export function describeProfileEvent(event) {
  const e = event && typeof event === 'object' ? event : {}
  if (!Object.prototype.hasOwnProperty.call(PROFILE_KIND_TYPE, e.kind)) return null
  const d = parseDetail(e.detail)
  const by = text(d.author) || text(d.by)
  const withBy = (key, params) => (by ? { key, params: { ...params, by } } : { key: `${key}Anon`, params })
  switch (e.kind) {
    case 'note':
      return withBy('note', { content: text(d.content) })
    case 'follow_up': {
      const method = FOLLOW_UP_METHODS.includes(d.method) ? d.method : 'other'
      const out = withBy('followUp', { content: text(d.content), method })
      if (text(d.next_follow_up_at)) out.params.next = text(d.next_follow_up_at)
      return out
    }
    case 'merged': {
      const other = text(d.other_name) || (Number.isInteger(d.other_id) ? `#${d.other_id}` : '')
      if (d.auto === true) return { key: 'mergedAuto', params: { other, kind: text(d.reason) } }
      return withBy('merged', { other })
    }
    case 'split': {
      const other = text(d.other_name) || (Number.isInteger(d.other_id) ? `#${d.other_id}` : '')
      return withBy('split', { other })
    }
    default:
      return { key: e.kind === 'identity_added' ? 'identityAdded' : 'identityRemoved', params: { kind: text(d.kind) } }
  }
}

// identityKindLabel is the translated name of an identity kind, or the kind itself.
export function identityKindLabel(kind, { t, te }) {
  if (te(`customerProfile.identityKinds.${kind}`)) return t(`customerProfile.identityKinds.${kind}`)
  if (te(`customers.identities.kinds.${kind}`)) return t(`customers.identities.kinds.${kind}`)
  return kind || ''
}

// formatProfileEvent is the description of an event of this module in the current language, ''
// for other kinds. fmtTime formats the next follow-up time.
export function formatProfileEvent(event, { t, te }, fmtTime = (v) => v) {
  const desc = describeProfileEvent(event)
  if (!desc) return ''
  try {
    const p = { ...desc.params }
    if (p.method !== undefined) p.method = t(`customerProfile.methods.${p.method}`)
    if (p.kind !== undefined) p.kind = identityKindLabel(p.kind, { t, te })
    let out = t(`customerProfile.timeline.text.${desc.key}`, p)
    if (p.next) out += t('customerProfile.timeline.text.nextSuffix', { time: fmtTime(p.next) })
    return out
  } catch {
    return ''
  }
}

// profileKindLabel is the translated name of a kind of this module, '' for others.
export function profileKindLabel(kind, { t, te }) {
  return PROFILE_KIND_TYPE[kind] && te(`customerProfile.timeline.kinds.${kind}`) ? t(`customerProfile.timeline.kinds.${kind}`) : ''
}

// emptyNote is a fresh note form.
export function emptyNote() {
  return { kind: 'note', content: '', method: 'wecom', next_follow_up_at: null }
}

// noteErrors checks a note form before sending: field → code (required, tooLong, past).
export function noteErrors(form, now = new Date()) {
  const errs = {}
  const content = text(form && form.content)
  if (!content) errs.content = 'required'
  else if (Array.from(content).length > MAX_NOTE) errs.content = 'tooLong'
  if (form && form.kind === 'follow_up') {
    if (!FOLLOW_UP_METHODS.includes(form.method)) errs.method = 'required'
    if (form.next_follow_up_at) {
      const next = new Date(form.next_follow_up_at)
      if (Number.isNaN(next.getTime()) || next <= now) errs.next_follow_up_at = 'past'
    }
  }
  return errs
}

// noteBody is the body of POST /customers/{id}/notes for a form: method and the next follow-up
// only for follow-ups.
export function noteBody(form) {
  const kind = form && form.kind === 'follow_up' ? 'follow_up' : 'note'
  const body = { kind, content: text(form && form.content) }
  if (kind === 'follow_up') {
    body.method = form.method
    if (form.next_follow_up_at) body.next_follow_up_at = new Date(form.next_follow_up_at).toISOString()
  }
  return body
}

// identityErrors checks an identity form: field → code.
export function identityErrors(kind, value) {
  const errs = {}
  if (!MANUAL_IDENTITY_KINDS.includes(kind)) errs.kind = 'required'
  const v = text(value)
  if (!v) errs.value = 'required'
  else if (kind === 'phone' && !/^\+?[\d\s-]{5,20}$/.test(v)) errs.value = 'invalid'
  return errs
}

// removableIdentity says whether an identity may be unlinked by people (not WeCom's own id).
export function removableIdentity(item) {
  return !!item && MANUAL_IDENTITY_KINDS.includes(item.kind)
}

// mergeCandidates are the customers a search found that can be merged into self.
export function mergeCandidates(page, selfId) {
  const items = page && Array.isArray(page.items) ? page.items : []
  return items.filter((c) => c && Number.isInteger(c.id) && c.id !== selfId)
}

// movedSummary lists a merge's moved rows per table as [table, count], largest first.
export function movedSummary(merge) {
  const moved = merge && merge.moved && typeof merge.moved === 'object' ? merge.moved : {}
  return Object.entries(moved)
    .filter(([, n]) => Number.isInteger(n) && n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
}

// externalUserIdOf reads ?external_userid= (the simulator, the demo and tests open the sidebar
// with it).
export function externalUserIdOf(query) {
  const v = query && query.external_userid
  const s = Array.isArray(v) ? v[0] : v
  return typeof s === 'string' ? s.trim() : ''
}

// currentExternalContact asks the WeCom JS-SDK (wx, after wx.agentConfig) which external contact
// the sidebar is open for; it resolves to '' outside WeCom or when the SDK refuses.
export function currentExternalContact(wx, timeoutMs = 5000) {
  if (!wx || typeof wx.invoke !== 'function') return Promise.resolve('')
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(''), timeoutMs)
    try {
      wx.invoke('getCurExternalContact', {}, (res) => {
        clearTimeout(timer)
        const ok = res && typeof res.err_msg === 'string' && res.err_msg === 'getCurExternalContact:ok'
        resolve(ok && typeof res.userId === 'string' ? res.userId : '')
      })
    } catch {
      clearTimeout(timer)
      resolve('')
    }
  })
}

// agentConfigure calls wx.agentConfig with a signature from GET /api/v1/sidebar/agent-config;
// it resolves to true once WeCom accepted it.
export function agentConfigure(wx, cfg, timeoutMs = 8000) {
  if (!wx || typeof wx.agentConfig !== 'function' || !cfg) return Promise.resolve(false)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs)
    const done = (ok) => {
      clearTimeout(timer)
      resolve(ok)
    }
    try {
      wx.agentConfig({
        corpid: cfg.corp_id,
        agentid: cfg.agent_id,
        timestamp: cfg.timestamp,
        nonceStr: cfg.nonce_str,
        signature: cfg.signature,
        jsApiList: ['getCurExternalContact'],
        success: () => done(true),
        fail: () => done(false),
      })
    } catch {
      done(false)
    }
  })
}

// sidebarContact finds the external_userid the sidebar is open for: ?external_userid= when
// given; inside the WeCom client, the JS-SDK (loadSdk makes window.wx available, fetchConfig
// signs the page URL for wx.agentConfig); '' otherwise.
export async function sidebarContact({ query, inWeCom, getWx, loadSdk, fetchConfig, href }) {
  const fromQuery = externalUserIdOf(query)
  if (fromQuery || !inWeCom) return fromQuery
  try {
    if (!getWx()) await loadSdk()
    const wx = getWx()
    if (!wx) return ''
    const cfg = await fetchConfig(String(href || '').split('#')[0])
    if (!(await agentConfigure(wx, cfg))) return ''
    return await currentExternalContact(wx)
  } catch {
    return ''
  }
}
