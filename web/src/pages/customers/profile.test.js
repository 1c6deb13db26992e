import { describe, expect, it } from 'vitest'
import {
  agentConfigure,
  currentExternalContact,
  sidebarContact,
  describeProfileEvent,
  externalUserIdOf,
  formatProfileEvent,
  identityErrors,
  mergeCandidates,
  movedSummary,
  noteBody,
  noteErrors,
  profileKindLabel,
  removableIdentity,
} from './profile.js'

const messages = {
  'customerProfile.timeline.text.note': 'N {by}: {content}',
  'customerProfile.timeline.text.followUp': 'F {by} {method}: {content}',
  'customerProfile.timeline.text.nextSuffix': ' next {time}',
  'customerProfile.timeline.text.mergedAuto': 'auto {other} by {kind}',
  'customerProfile.timeline.text.identityAdded': 'added {kind}',
  'customerProfile.methods.phone': 'Phone',
  'customerProfile.identityKinds.phone': 'Mobile',
  'customerProfile.timeline.kinds.note': 'Note',
}
const i18n = {
  te: (k) => k in messages,
  t: (k, p = {}) => (messages[k] || k).replace(/\{(\w+)\}/g, (_, n) => p[n]),
}

describe('describeProfileEvent', () => {
  it('describes notes with and without an author', () => {
    expect(describeProfileEvent({ kind: 'note', detail: '{"content":" hi ","author":"王芳"}' })).toEqual({
      key: 'note',
      params: { content: 'hi', by: '王芳' },
    })
    expect(describeProfileEvent({ kind: 'note', detail: '{"content":"hi"}' }).key).toBe('noteAnon')
  })
  it('describes follow-ups with the next time, unknown methods as other', () => {
    const d = describeProfileEvent({ kind: 'follow_up', detail: { content: 'x', method: 'fax', next_follow_up_at: '2026-12-01T00:00:00Z' } })
    expect(d.params).toEqual({ content: 'x', method: 'other', next: '2026-12-01T00:00:00Z' })
  })
  it('describes automatic and manual merges and splits', () => {
    expect(describeProfileEvent({ kind: 'merged', detail: { auto: true, other_id: 7, reason: 'unionid' } })).toEqual({
      key: 'mergedAuto',
      params: { other: '#7', kind: 'unionid' },
    })
    expect(describeProfileEvent({ kind: 'merged', detail: { other_name: '乙', by: 'admin' } })).toEqual({
      key: 'merged',
      params: { other: '乙', by: 'admin' },
    })
    expect(describeProfileEvent({ kind: 'split', detail: 'not json' })).toEqual({ key: 'splitAnon', params: { other: '' } })
  })
  it('leaves other kinds alone', () => {
    expect(describeProfileEvent({ kind: 'tagged', detail: '{}' })).toBeNull()
    expect(describeProfileEvent(null)).toBeNull()
  })
})

describe('formatProfileEvent', () => {
  it('translates methods, identity kinds and the next follow-up', () => {
    const ev = { kind: 'follow_up', detail: { content: '回访', method: 'phone', author: 'A', next_follow_up_at: 'T' } }
    expect(formatProfileEvent(ev, i18n, (v) => `<${v}>`)).toBe('F A Phone: 回访 next <T>')
    expect(formatProfileEvent({ kind: 'identity_added', detail: { kind: 'phone' } }, i18n)).toBe('added Mobile')
    expect(formatProfileEvent({ kind: 'merged', detail: { auto: true, other_name: 'B', reason: 'qq' } }, i18n)).toBe('auto B by qq')
    expect(formatProfileEvent({ kind: 'lost' }, i18n)).toBe('')
  })
  it('labels only its own kinds', () => {
    expect(profileKindLabel('note', i18n)).toBe('Note')
    expect(profileKindLabel('lost', i18n)).toBe('')
  })
})

describe('notes', () => {
  const now = new Date('2026-11-23T00:00:00Z')
  it('checks the form', () => {
    expect(noteErrors({ kind: 'note', content: '  ' }, now)).toEqual({ content: 'required' })
    expect(noteErrors({ kind: 'note', content: 'x'.repeat(2001) }, now)).toEqual({ content: 'tooLong' })
    expect(noteErrors({ kind: 'follow_up', content: 'x', method: '', next_follow_up_at: '2026-11-01T00:00:00Z' }, now)).toEqual({
      method: 'required',
      next_follow_up_at: 'past',
    })
    expect(noteErrors({ kind: 'follow_up', content: 'x', method: 'visit', next_follow_up_at: '2026-12-01T00:00:00Z' }, now)).toEqual({})
  })
  it('sends method and next time only with follow-ups', () => {
    expect(noteBody({ kind: 'note', content: ' a ', method: 'phone', next_follow_up_at: 'x' })).toEqual({ kind: 'note', content: 'a' })
    expect(noteBody({ kind: 'follow_up', content: 'a', method: 'phone', next_follow_up_at: new Date('2026-12-01T08:00:00Z') })).toEqual({
      kind: 'follow_up',
      content: 'a',
      method: 'phone',
      next_follow_up_at: '2026-12-01T08:00:00.000Z',
    })
  })
})

describe('identities and merges', () => {
  it('checks identities', () => {
    expect(identityErrors('', '')).toEqual({ kind: 'required', value: 'required' })
    expect(identityErrors('wecom_external_userid', 'wm1')).toEqual({ kind: 'required' })
    expect(identityErrors('phone', 'abc')).toEqual({ value: 'invalid' })
    expect(identityErrors('phone', '+86 138-0013-8000')).toEqual({})
    expect(identityErrors('taobao_nick', '小王')).toEqual({})
  })
  it('lets people remove only their own kinds', () => {
    expect(removableIdentity({ kind: 'phone' })).toBe(true)
    expect(removableIdentity({ kind: 'wecom_external_userid' })).toBe(false)
    expect(removableIdentity(null)).toBe(false)
  })
  it('offers other customers for a merge', () => {
    expect(mergeCandidates({ items: [{ id: 1 }, { id: 2 }, null, { id: 'x' }] }, 1)).toEqual([{ id: 2 }])
    expect(mergeCandidates(null, 1)).toEqual([])
  })
  it('summarises moved rows', () => {
    expect(movedSummary({ moved: { customer_events: 5, customer_identities: 2, customer_tags: 0, x: 'y' } })).toEqual([
      ['customer_events', 5],
      ['customer_identities', 2],
    ])
  })
})

describe('sidebar contact', () => {
  it('reads ?external_userid=', () => {
    expect(externalUserIdOf({ external_userid: ' wm1 ' })).toBe('wm1')
    expect(externalUserIdOf({ external_userid: ['wm2', 'wm3'] })).toBe('wm2')
    expect(externalUserIdOf({})).toBe('')
  })
  it('asks the JS-SDK when there is one', async () => {
    expect(await currentExternalContact(undefined)).toBe('')
    const wx = { invoke: (name, args, cb) => cb({ err_msg: `${name}:ok`, userId: 'wmSDK' }) }
    expect(await currentExternalContact(wx)).toBe('wmSDK')
    const denied = { invoke: (name, args, cb) => cb({ err_msg: `${name}:fail no permission` }) }
    expect(await currentExternalContact(denied)).toBe('')
    const silent = { invoke: () => {} }
    expect(await currentExternalContact(silent, 10)).toBe('')
  })
})

describe('sidebar JS-SDK flow', () => {
  const cfg = { corp_id: 'ww1', agent_id: 1000002, timestamp: 1, nonce_str: 'n', signature: 's' }
  const sdk = (agentOk) => ({
    seen: null,
    agentConfig(o) {
      this.seen = o
      agentOk ? o.success() : o.fail({})
    },
    invoke: (name, args, cb) => cb({ err_msg: `${name}:ok`, userId: 'wmInside' }),
  })
  it('passes the signature to wx.agentConfig', async () => {
    const wx = sdk(true)
    expect(await agentConfigure(wx, cfg)).toBe(true)
    expect(wx.seen).toMatchObject({ corpid: 'ww1', agentid: 1000002, nonceStr: 'n', signature: 's', jsApiList: ['getCurExternalContact'] })
    expect(await agentConfigure(sdk(false), cfg)).toBe(false)
    expect(await agentConfigure(undefined, cfg)).toBe(false)
  })
  it('prefers the query, then asks WeCom with the page URL signed', async () => {
    const base = { inWeCom: true, loadSdk: async () => {}, href: 'https://x/sidebar?a=1#h' }
    expect(await sidebarContact({ ...base, query: { external_userid: 'wmQ' }, getWx: () => null, fetchConfig: async () => cfg })).toBe('wmQ')
    let signed = ''
    const wx = sdk(true)
    const got = await sidebarContact({
      ...base,
      query: {},
      getWx: () => wx,
      fetchConfig: async (url) => {
        signed = url
        return cfg
      },
    })
    expect(got).toBe('wmInside')
    expect(signed).toBe('https://x/sidebar?a=1')
    expect(await sidebarContact({ ...base, query: {}, inWeCom: false, getWx: () => wx, fetchConfig: async () => cfg })).toBe('')
    expect(await sidebarContact({ ...base, query: {}, getWx: () => sdk(false), fetchConfig: async () => cfg })).toBe('')
    expect(
      await sidebarContact({
        ...base,
        query: {},
        getWx: () => wx,
        fetchConfig: async () => {
          throw new Error('409')
        },
      }),
    ).toBe('')
  })
})
