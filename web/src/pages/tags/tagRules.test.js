import { describe, it, expect } from 'vitest'
import zhCN from '../../locales/zh-CN.json'
import en from '../../locales/en.json'
import {
  DEFAULT_SPENT_DAYS,
  canWriteRules,
  conditionsSummary,
  emptyForm,
  formErrors,
  formOf,
  nameMap,
  parseYuan,
  payloadOf,
  rulesOf,
  yuanText,
} from './tagRules.js'

// translator is a tiny stand-in for vue-i18n's t over the real messages, so the tests also
// check the keys the module uses exist.
function translator(messages) {
  return (key, params = {}) => {
    let v = messages
    for (const part of key.split('.')) v = v && v[part]
    if (typeof v !== 'string') throw new Error(`missing message ${key}`)
    return v.replace(/\{(\w+)\}/g, (_, k) => String(params[k]))
  }
}
const tZh = translator(zhCN)
const tEn = translator(en)

describe('canWriteRules', () => {
  const can = (perms) => (p) => perms.includes(p)
  it('needs tags.write and a tenant-wide role', () => {
    expect(canWriteRules(can(['tags.write']), 'owner')).toBe(true)
    expect(canWriteRules(can(['tags.write']), 'admin')).toBe(true)
    expect(canWriteRules(can(['tags.write']), 'manager')).toBe(false)
    expect(canWriteRules(can(['customer.read']), 'admin')).toBe(false)
    expect(canWriteRules(undefined, 'owner')).toBe(false)
  })
})

describe('yuan and fen', () => {
  it('reads yuan as integer fen', () => {
    expect(parseYuan('100')).toBe(10000)
    expect(parseYuan(' 99.9 ')).toBe(9990)
    expect(parseYuan('12.05')).toBe(1205)
    expect(parseYuan('0')).toBe(0)
    expect(parseYuan('1.234')).toBeNaN()
    expect(parseYuan('-5')).toBeNaN()
    expect(parseYuan('abc')).toBeNaN()
    expect(parseYuan('')).toBeNaN()
  })
  it('shows fen as yuan, decimals only when needed', () => {
    expect(yuanText(10000)).toBe('100')
    expect(yuanText(12345)).toBe('123.45')
    expect(yuanText(1205)).toBe('12.05')
    expect(yuanText(5)).toBe('0.05')
    expect(yuanText(-250)).toBe('-2.50')
  })
})

describe('form and payload', () => {
  it('a new rule is enabled, with the default spend window and no conditions', () => {
    const f = emptyForm()
    expect(f.enabled).toBe(true)
    expect(f.spent_days).toBe(DEFAULT_SPENT_DAYS)
    expect(payloadOf({ ...f, name: ' 高消费 ', tag_id: 7 })).toEqual({ name: '高消费', tag_id: 7, conditions: {}, enabled: true })
  })

  it('sends spend in fen with its window, and only the conditions that are set', () => {
    const f = { ...emptyForm(), name: 'VIP', tag_id: 3, spent_yuan: '100.5', spent_days: 30, group_ids: [4, 4, 9], birthday_this_month: true, enabled: false }
    expect(payloadOf(f)).toEqual({
      name: 'VIP',
      tag_id: 3,
      conditions: { spent_at_least_fen: 10050, spent_within_days: 30, group_ids: [4, 9], birthday_this_month: true },
      enabled: false,
    })
    // a blank window means the default; no amount means no window either
    expect(payloadOf({ ...f, spent_days: '' }).conditions.spent_within_days).toBe(90)
    expect(payloadOf({ ...f, spent_yuan: ' ' }).conditions).toEqual({ group_ids: [4, 9], birthday_this_month: true })
    expect(payloadOf({ ...f, tag_id: null }).tag_id).toBe(0)
  })

  it('round-trips a rule through the form', () => {
    const rule = {
      id: 1,
      name: '高消费群友',
      tag_id: 5,
      conditions: { spent_at_least_fen: 10000, spent_within_days: 90, group_ids: [2], channel_ids: [8] },
      enabled: true,
    }
    const f = formOf(rule)
    expect(f).toEqual({
      name: '高消费群友',
      tag_id: 5,
      spent_yuan: '100',
      spent_days: 90,
      group_ids: [2],
      channel_ids: [8],
      birthday_this_month: false,
      enabled: true,
    })
    expect(payloadOf(f)).toEqual({ name: rule.name, tag_id: 5, conditions: rule.conditions, enabled: true })
  })

  it('fills defaults for a rule without spend window or with odd data', () => {
    const f = formOf({ name: 'x', tag_id: 2, conditions: { spent_at_least_fen: 1, group_ids: [0, 'a', 3] }, enabled: false })
    expect(f.spent_yuan).toBe('0.01')
    expect(f.spent_days).toBe(90)
    expect(f.group_ids).toEqual([3])
    expect(f.enabled).toBe(false)
    expect(formOf(null)).toEqual(emptyForm())
  })
})

describe('formErrors', () => {
  const good = { ...emptyForm(), name: '生日', tag_id: 1, birthday_this_month: true }
  it('accepts a complete form', () => {
    expect(formErrors(good)).toEqual({})
    expect(formErrors({ ...good, birthday_this_month: false, spent_yuan: '1', spent_days: '' })).toEqual({})
  })
  it('names the API field of each problem', () => {
    expect(formErrors({ ...emptyForm() })).toEqual({ name: 'nameRequired', tag_id: 'tagRequired', conditions: 'empty' })
    expect(formErrors({ ...good, name: 'x'.repeat(65) })).toEqual({ name: 'nameTooLong' })
    expect(formErrors({ ...good, name: '长'.repeat(64) })).toEqual({})
    expect(formErrors({ ...good, spent_yuan: '0' })).toEqual({ 'conditions.spent_at_least_fen': 'amount' })
    expect(formErrors({ ...good, spent_yuan: '1.234' })).toEqual({ 'conditions.spent_at_least_fen': 'amount' })
    expect(formErrors({ ...good, spent_yuan: '20000000000' })).toEqual({ 'conditions.spent_at_least_fen': 'amount' })
    expect(formErrors({ ...good, spent_yuan: '5', spent_days: 0 })).toEqual({ 'conditions.spent_within_days': 'days' })
    expect(formErrors({ ...good, spent_yuan: '5', spent_days: 3661 })).toEqual({ 'conditions.spent_within_days': 'days' })
    expect(formErrors({ ...good, spent_yuan: '5', spent_days: 2.5 })).toEqual({ 'conditions.spent_within_days': 'days' })
  })
  it('every message key exists in both languages', () => {
    for (const key of ['nameRequired', 'nameTooLong', 'tagRequired', 'amount', 'days', 'empty']) {
      expect(zhCN.tagRules.errors[key]).toBeTruthy()
      expect(en.tagRules.errors[key]).toBeTruthy()
    }
  })
})

describe('conditionsSummary', () => {
  const groups = nameMap({ items: [{ id: 2, name: '福利群' }, { id: 3, name: '老客群' }] })
  const channels = nameMap([{ id: 8, name: '抖音' }])

  it('says the conditions in words, joined by and', () => {
    const c = { spent_at_least_fen: 10000, spent_within_days: 90, group_ids: [2] }
    expect(conditionsSummary(c, tZh, { groups, channels })).toBe('近90天消费≥¥100 且 在群「福利群」')
    expect(conditionsSummary(c, tEn, { groups, channels })).toBe('spent ≥ ¥100 in the last 90 days and in group “福利群”')
  })

  it('lists alternatives with or, names unknown ids, defaults the window', () => {
    const c = { spent_at_least_fen: 9950, group_ids: [2, 3], channel_ids: [8, 99], birthday_this_month: true }
    expect(conditionsSummary(c, tZh, { groups, channels })).toBe(
      '近90天消费≥¥99.50 且 在群「福利群」或「老客群」 且 来自渠道「抖音」或渠道#99 且 本月生日',
    )
    expect(conditionsSummary({ group_ids: [7] }, tEn)).toBe('in group group #7')
  })

  it('says when there is no condition', () => {
    expect(conditionsSummary({}, tZh)).toBe('无条件')
    expect(conditionsSummary(undefined, tEn)).toBe('no conditions')
  })
})

describe('rulesOf and nameMap', () => {
  it('reads lists defensively', () => {
    expect(rulesOf({ items: [{ id: 1, name: 'a', conditions: null }, null, { name: 'no id' }] })).toEqual([{ id: 1, name: 'a', conditions: {} }])
    expect(rulesOf(undefined)).toEqual([])
    expect([...nameMap({ items: [{ id: 1, name: 'x' }, { id: 'y' }, null] })]).toEqual([[1, 'x']])
    expect(nameMap(null).size).toBe(0)
  })
})
