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

describe('filters and the route query', () => {
  it('reads valid filters and drops bad ones', () => {
    expect(filtersFromQuery({ q: ' 张 ', status: 'lost', state: 'poster-618', staff_id: '7' })).toEqual({
      q: '张',
      status: 'lost',
      state: 'poster-618',
      staff_id: 7,
    })
    expect(filtersFromQuery({ status: 'weird', staff_id: 'x', q: ['a', 'b'] })).toEqual({
      q: '',
      status: '',
      state: '',
      staff_id: null,
    })
    expect(filtersFromQuery({ staff_id: '-3' }).staff_id).toBeNull()
    expect(filtersFromQuery(undefined)).toEqual({ q: '', status: '', state: '', staff_id: null })
  })

  it('writes only what is set, as strings', () => {
    expect(queryFromFilters({ q: '', status: '', state: '  ', staff_id: null })).toEqual({})
    expect(queryFromFilters({ q: ' 王 ', status: 'active', state: 'poster', staff_id: 3 })).toEqual({
      q: '王',
      status: 'active',
      state: 'poster',
      staff_id: '3',
    })
  })

  it('round-trips', () => {
    const f = { q: '王', status: 'lost', state: 'douyin-live', staff_id: 12 }
    expect(filtersFromQuery(queryFromFilters(f))).toEqual(f)
  })

  it('builds the list query with page parameters', () => {
    expect(apiQuery({ q: 'a', status: '', state: '', staff_id: null }, { limit: 50, cursor: 'abc' })).toEqual({
      q: 'a',
      limit: 50,
      cursor: 'abc',
    })
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
