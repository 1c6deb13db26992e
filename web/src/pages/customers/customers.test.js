import { describe, it, expect } from 'vitest'
import { createI18n } from 'vue-i18n'
import zhCN from '../../locales/zh-CN.json'
import en from '../../locales/en.json'
import {
  TIMELINE_KINDS,
  TIMELINE_KIND_TYPE,
  ADD_WAYS,
  apiQuery,
  describeEvent,
  filtersFromQuery,
  formatEvent,
  genderKey,
  initialOf,
  kindLabel,
  list,
  parseDetail,
  queryFromFilters,
  staffNamesOf,
  dateRangeOf,
  withDateRange,
  selectedIds,
  bulkTagBody,
  bulkAssignBody,
  bulkOutcome,
  tagOptionsOf,
  MAX_BULK_TAG,
} from './customers.js'

function i18nFor(locale) {
  const i18n = createI18n({ legacy: false, locale, fallbackLocale: 'zh-CN', messages: { 'zh-CN': zhCN, en } })
  return { t: i18n.global.t, te: i18n.global.te }
}
const zh = i18nFor('zh-CN')
const enI = i18nFor('en')

const names = { guide02: '王芳' }
const ev = (kind, detail, wecom_userid = 'guide02') => ({ id: 1, kind, wecom_userid, detail, occurred_at: '2026-11-09T14:41:56Z' })
const zhText = (e, n = names) => formatEvent(e, n, zh)

describe('parseDetail', () => {
  it('parses a JSON object string', () => {
    expect(parseDetail('{"state":"poster-618","add_way":1}')).toEqual({ state: 'poster-618', add_way: 1 })
  })

  it('accepts an object as it is', () => {
    expect(parseDetail({ name: 'x' })).toEqual({ name: 'x' })
  })

  it('gives {} for anything that is not a JSON object', () => {
    for (const bad of ['', '   ', '{', 'null', '[1,2]', '"text"', '42', 'true', null, undefined, 7, [], '{"a":']) {
      expect(parseDetail(bad)).toEqual({})
    }
  })
})

describe('staffNamesOf', () => {
  it('maps wecom_userid to the staff name, skipping unknown names', () => {
    expect(
      staffNamesOf([
        { wecom_userid: 'guide02', staff_name: '王芳' },
        { wecom_userid: 'guide09', staff_name: '' },
        { wecom_userid: '', staff_name: '无名' },
        null,
      ]),
    ).toEqual({ guide02: '王芳' })
    expect(staffNamesOf(null)).toEqual({})
  })
})

describe('describeEvent', () => {
  it('names the staff member by name, else by wecom_userid, else anonymously', () => {
    expect(describeEvent(ev('lost', '{}'), names)).toEqual({ key: 'lost', params: { staff: '王芳' } })
    expect(describeEvent(ev('lost', '{}', 'guide09'), names)).toEqual({ key: 'lost', params: { staff: 'guide09' } })
    expect(describeEvent(ev('lost', '{}', ''), names)).toEqual({ key: 'lostAnon', params: {} })
  })

  it('says nothing beyond the label for unknown kinds', () => {
    expect(describeEvent(ev('tag_added', '{}'), names)).toEqual({ key: '', params: {} })
    expect(describeEvent(null)).toEqual({ key: '', params: {} })
  })

  it('keeps the add_way only when it has a label', () => {
    expect(describeEvent(ev('added_staff', '{"state":"s","add_way":1}'), names).params.addWay).toBe(1)
    expect(describeEvent(ev('added_staff', '{"state":"s","add_way":0}'), names).params.addWay).toBeUndefined()
    expect(describeEvent(ev('added_staff', '{"state":"s","add_way":77}'), names).params.addWay).toBeUndefined()
    expect(describeEvent(ev('added_staff', '{"state":"s","add_way":"1"}'), names).params.addWay).toBeUndefined()
  })
})

describe('formatEvent (zh-CN)', () => {
  it('describes every kind', () => {
    expect(zhText(ev('added_staff', '{"state":"poster-618","add_way":1}'))).toBe('通过「poster-618」添加了 王芳（扫描二维码）')
    expect(zhText(ev('added_staff', '{"state":"poster-618"}'))).toBe('通过「poster-618」添加了 王芳')
    expect(zhText(ev('added_staff', '{"state":"","add_way":2}'))).toBe('添加了 王芳（搜索手机号）')
    expect(zhText(ev('welcome_sent', '{}'))).toBe('王芳 的欢迎语已发送')
    expect(zhText(ev('welcome_sent', '{}', ''))).toBe('欢迎语已发送')
    expect(zhText(ev('welcome_failed', '{"error":"welcome code expired"}'))).toBe('欢迎语发送失败：welcome code expired')
    expect(zhText(ev('welcome_failed', '{}'))).toBe('欢迎语发送失败')
    expect(zhText(ev('relation_edited', '{}'))).toBe('王芳 更新了客户的备注或标签')
    expect(zhText(ev('lost', '{"fail_reason":"","source":""}'))).toBe('客户删除了员工 王芳')
    expect(zhText(ev('lost', '{}', 'guide09'))).toBe('客户删除了员工 guide09')
    expect(zhText(ev('removed_by_staff', '{}'))).toBe('员工 王芳 删除了客户')
    expect(zhText(ev('transfer_failed', '{"fail_reason":"customer_refused"}'))).toBe('转接给 王芳 失败：客户拒绝')
    expect(zhText(ev('transfer_failed', '{"fail_reason":"weird_reason"}'))).toBe('转接给 王芳 失败：weird_reason')
    expect(zhText(ev('transfer_failed', '{}'))).toBe('转接给 王芳 失败')
    expect(zhText(ev('joined_group', '{"chat_id":"wrOgQh","name":"南京路福利群"}', ''))).toBe('加入群「南京路福利群」')
    expect(zhText(ev('joined_group', '{"chat_id":"wrOgQh","name":""}', ''))).toBe('加入群「wrOgQh」')
    expect(zhText(ev('left_group', '{"chat_id":"wrOgQh","name":"南京路福利群"}', ''))).toBe('退出群「南京路福利群」')
    expect(zhText(ev('left_group', '{}', ''))).toBe('退出了客户群')
  })

  it('has a text for every kind and its anonymous variant', () => {
    for (const kind of TIMELINE_KINDS) {
      const named = zhText(ev(kind, '{}'))
      const anon = zhText(ev(kind, '{}', ''))
      expect(named, kind).not.toBe('')
      expect(anon, kind).not.toBe('')
      expect(named, kind).not.toMatch(/[{}]/)
      expect(anon, kind).not.toMatch(/[{}]/)
      expect(anon, kind).not.toContain('undefined')
    }
  })

  it('never throws on malformed events', () => {
    const bad = [
      null,
      undefined,
      42,
      'lost',
      {},
      { kind: 'added_staff' },
      { kind: 'added_staff', detail: 'not json' },
      { kind: 'added_staff', detail: '[]' },
      { kind: 'added_staff', detail: '{"state":{"nested":true},"add_way":null}' },
      { kind: 'joined_group', detail: '{"name":123}' },
      { kind: 'welcome_failed', detail: '{"error":["x"]}' },
      { kind: 'transfer_failed', detail: '{"fail_reason":{}}', wecom_userid: 5 },
      { kind: 'lost', detail: null, wecom_userid: null },
      { kind: {}, detail: {} },
    ]
    for (const e of bad) {
      expect(() => formatEvent(e, names, zh)).not.toThrow()
      expect(() => formatEvent(e, undefined, zh)).not.toThrow()
      expect(typeof formatEvent(e, null, zh)).toBe('string')
    }
    expect(formatEvent({ kind: 'joined_group', detail: '{"name":123}' }, names, zh)).toBe('加入群「123」')
    expect(formatEvent({ kind: 'added_staff', detail: 'not json', wecom_userid: 'guide02' }, names, zh)).toBe('添加了 王芳')
  })

  it('survives a translator that throws', () => {
    const broken = {
      t: () => {
        throw new Error('boom')
      },
      te: () => true,
    }
    expect(formatEvent(ev('lost', '{}'), names, broken)).toBe('')
  })
})

describe('formatEvent (tagged)', () => {
  it('names the tags added and removed', () => {
    expect(zhText(ev('tagged', '{"added":["VIP"],"removed":["新客"]}'))).toBe('已添加标签「VIP」、已移除标签「新客」')
    expect(zhText(ev('tagged', '{"added":["VIP","金卡"],"removed":[]}'))).toBe('已添加标签「VIP」、「金卡」')
    expect(zhText(ev('tagged', '{"removed":["新客"]}', ''))).toBe('已移除标签「新客」')
    expect(zhText(ev('tagged', '{"added":[1,{}]}'))).toBe('已添加标签「1」')
    expect(zhText(ev('tagged', '{"added":"VIP"}'))).toBe('标签已更新')
    expect(formatEvent(ev('tagged', '{"added":["VIP"],"removed":["New"]}'), names, enI)).toBe('Added tags “VIP”; removed tags “New”')
  })
})

describe('formatEvent (en)', () => {
  it('describes in English', () => {
    expect(formatEvent(ev('added_staff', '{"state":"poster-618","add_way":1}'), names, enI)).toBe(
      'Added 王芳 via “poster-618” (scanned QR code)',
    )
    expect(formatEvent(ev('lost', '{}', 'guide09'), names, enI)).toBe('The customer deleted staff member guide09')
    expect(formatEvent(ev('joined_group', '{"name":"VIP"}', ''), names, enI)).toBe('Joined group “VIP”')
  })
})

describe('kindLabel', () => {
  it('labels every known kind and falls back to the kind itself', () => {
    for (const kind of TIMELINE_KINDS) {
      expect(kindLabel(kind, zh)).not.toBe(kind)
      expect(TIMELINE_KIND_TYPE[kind], kind).toBeTruthy()
    }
    expect(kindLabel('lost', zh)).toBe('流失')
    expect(kindLabel('something_new', zh)).toBe('something_new')
    expect(kindLabel(undefined, zh)).toBe('')
  })

  it('has a label for every add_way it keeps', () => {
    for (const w of ADD_WAYS) {
      expect(zh.te(`customers.addWays.${w}`), String(w)).toBe(true)
    }
  })
})

const EMPTY = {
  q: '',
  status: '',
  state: '',
  staff_id: null,
  org_unit_id: null,
  tag_ids: [],
  tag_mode: 'any',
  added_from: '',
  added_to: '',
  sort: 'recent',
}

describe('filters and the route query', () => {
  it('reads valid filters and drops bad ones', () => {
    expect(filtersFromQuery({ q: ' 张 ', status: 'lost', state: 'poster-618', staff_id: '7' })).toEqual({
      ...EMPTY,
      q: '张',
      status: 'lost',
      state: 'poster-618',
      staff_id: 7,
    })
    expect(filtersFromQuery({ status: 'weird', staff_id: 'x', q: ['a', 'b'] })).toEqual(EMPTY)
    expect(filtersFromQuery({ staff_id: '-3' }).staff_id).toBeNull()
    expect(filtersFromQuery(undefined)).toEqual(EMPTY)
  })

  it('reads tags, mode, unit, dates and sort', () => {
    expect(
      filtersFromQuery({ tag_ids: ['3,1', '3', 'x', '-2'], tag_mode: 'none', org_unit_id: '9', added_from: '2026-01-01', added_to: '2026-01-31', sort: 'name' }),
    ).toEqual({ ...EMPTY, tag_ids: [3, 1], tag_mode: 'none', org_unit_id: 9, added_from: '2026-01-01', added_to: '2026-01-31', sort: 'name' })
    expect(filtersFromQuery({ tag_mode: 'some', sort: 'random', added_from: '2026-02-30', added_to: 'today' })).toEqual(EMPTY)
    // a reversed range is put right
    expect(filtersFromQuery({ added_from: '2026-03-01', added_to: '2026-01-01' })).toMatchObject({ added_from: '2026-01-01', added_to: '2026-03-01' })
    expect(filtersFromQuery({ tag_ids: Array.from({ length: 30 }, (_, i) => String(i + 1)).join(',') }).tag_ids).toHaveLength(20)
  })

  it('writes only what is set, as strings', () => {
    expect(queryFromFilters(EMPTY)).toEqual({})
    expect(queryFromFilters({ ...EMPTY, q: ' 王 ', status: 'active', state: 'poster', staff_id: 3 })).toEqual({
      q: '王',
      status: 'active',
      state: 'poster',
      staff_id: '3',
    })
    expect(queryFromFilters({ ...EMPTY, tag_ids: [5, 2], tag_mode: 'all', org_unit_id: 4, added_from: '2026-01-01', added_to: '2026-01-02', sort: 'active' })).toEqual({
      tag_ids: '5,2',
      tag_mode: 'all',
      org_unit_id: '4',
      added_from: '2026-01-01',
      added_to: '2026-01-02',
      sort: 'active',
    })
    // the mode means nothing without tags; the defaults are left out
    expect(queryFromFilters({ ...EMPTY, tag_mode: 'none', sort: 'recent' })).toEqual({})
    expect(queryFromFilters({ ...EMPTY, tag_ids: [1], tag_mode: 'any' })).toEqual({ tag_ids: '1' })
  })

  it('round-trips', () => {
    const f = { ...EMPTY, q: '王', status: 'lost', state: 'douyin-live', staff_id: 12, tag_ids: [7, 8], tag_mode: 'all', org_unit_id: 2, sort: 'name' }
    expect(filtersFromQuery(queryFromFilters(f))).toEqual(f)
  })

  it('builds the list query with page parameters', () => {
    expect(apiQuery({ ...EMPTY, q: 'a' }, { limit: 50, cursor: 'abc' })).toEqual({ q: 'a', limit: 50, cursor: 'abc' })
    expect(apiQuery({ ...EMPTY, tag_ids: [1, 2, 3], tag_mode: 'all', q: 'zs' }, { limit: 50 })).toEqual({
      q: 'zs',
      tag_ids: '1,2,3',
      tag_mode: 'all',
      limit: 50,
      cursor: '',
    })
  })

  it('converts the date range of the picker', () => {
    expect(dateRangeOf({ added_from: '2026-01-01', added_to: '2026-01-31' })).toEqual(['2026-01-01', '2026-01-31'])
    expect(dateRangeOf({ added_from: '2026-01-01', added_to: '' })).toBeNull()
    expect(withDateRange(EMPTY, ['2026-01-01', '2026-01-31'])).toMatchObject({ added_from: '2026-01-01', added_to: '2026-01-31' })
    expect(withDateRange({ ...EMPTY, added_from: '2026-01-01', added_to: '2026-01-02' }, null)).toMatchObject({ added_from: '', added_to: '' })
    expect(withDateRange(EMPTY, ['bad', '2026-01-31'])).toMatchObject({ added_from: '', added_to: '' })
  })
})

describe('bulk actions', () => {
  it('collects distinct selected ids', () => {
    expect(selectedIds([{ id: 3 }, { id: 1 }, { id: 3 }, null, { id: 'x' }, { id: -1 }])).toEqual([3, 1])
  })

  it('builds tag and untag bodies, or nothing', () => {
    expect(bulkTagBody([1, 2], [5])).toEqual({ customer_ids: [1, 2], add: [5] })
    expect(bulkTagBody([1, 2], [5, 6], true)).toEqual({ customer_ids: [1, 2], remove: [5, 6] })
    expect(bulkTagBody([], [5])).toBeNull()
    expect(bulkTagBody([1], [])).toBeNull()
    expect(bulkTagBody(Array.from({ length: MAX_BULK_TAG + 1 }, (_, i) => i + 1), [5])).toBeNull()
  })

  it('builds assign bodies; no staff member clears', () => {
    expect(bulkAssignBody([4], 9)).toEqual({ customer_ids: [4], staff_id: 9 })
    expect(bulkAssignBody([4], null)).toEqual({ customer_ids: [4], clear: true })
    expect(bulkAssignBody([], 9)).toBeNull()
  })

  it('sums up results by reason', () => {
    expect(
      bulkOutcome({
        items: [
          { customer_id: 1, ok: true },
          { customer_id: 2, ok: false, error: 'customer_no_relation' },
          { customer_id: 3, ok: false, error: 'not_found' },
          { customer_id: 4, ok: false, error: 'customer_no_relation' },
          { customer_id: 5, ok: false },
        ],
      }),
    ).toEqual({
      ok: 1,
      failed: 4,
      failures: [
        { reason: 'customer_no_relation', count: 2 },
        { reason: 'not_found', count: 1 },
        { reason: 'unknown', count: 1 },
      ],
    })
    expect(bulkOutcome(null)).toEqual({ ok: 0, failed: 0, failures: [] })
  })

  it('has a message for every reason a customer can fail', () => {
    for (const reason of ['not_found', 'customer_no_relation', 'wecom_rejected', 'wecom_unavailable', 'cancelled', 'internal', 'unknown']) {
      expect(zh.te(`customerSearch.bulkReasons.${reason}`), reason).toBe(true)
    }
  })
})

describe('pickers', () => {
  it('groups the tag library for the tag picker', () => {
    expect(
      tagOptionsOf([
        { id: 1, name: '等级', tags: [{ id: 11, name: 'VIP' }] },
        { id: 2, name: '空组', tags: [] },
      ]),
    ).toEqual([{ label: '等级', options: [{ value: 11, label: 'VIP' }] }])
    expect(tagOptionsOf(undefined)).toEqual([])
  })
})

describe('small helpers', () => {
  it('genderKey', () => {
    expect([0, 1, 2, 3, null, '1'].map(genderKey)).toEqual(['unknown', 'male', 'female', 'unknown', 'unknown', 'unknown'])
  })

  it('list', () => {
    expect(list(null)).toEqual([])
    expect(list(['a'])).toEqual(['a'])
    expect(list({})).toEqual([])
  })

  it('initialOf', () => {
    expect(initialOf('张**')).toBe('张')
    expect(initialOf('  ')).toBe('?')
    expect(initialOf(undefined)).toBe('?')
    expect(initialOf('😀 smile')).toBe('😀')
  })
})
