import { describe, expect, it } from 'vitest'
import { chartOption, codeBody, dayOffset, fenToYuan, formOfCode, previewWelcome, shiftError, staffRowErrors, weightShares, yuanToFen } from './acquisition.js'

describe('money', () => {
  it('reads yuan as fen and shows fen as yuan', () => {
    expect(yuanToFen('12.5')).toBe(1250)
    expect(yuanToFen(' 3 ')).toBe(300)
    expect(yuanToFen('0.01')).toBe(1)
    for (const bad of ['', '0', '1.234', '-1', 'abc', '1,000']) expect(yuanToFen(bad)).toBeNaN()
    expect(fenToYuan(123456)).toBe('1234.56')
    expect(fenToYuan(5)).toBe('0.05')
    expect(fenToYuan(null)).toBe('')
  })
})

describe('working hours', () => {
  it('checks weekdays and hours like the server', () => {
    expect(shiftError({ weekdays: [1, 2, 3], start: '09:00', end: '18:00' })).toBe('')
    expect(shiftError({ weekdays: [7], start: '00:00', end: '24:00' })).toBe('')
    expect(shiftError({ weekdays: [], start: '09:00', end: '18:00' })).toBe('weekdays')
    expect(shiftError({ weekdays: [0], start: '09:00', end: '18:00' })).toBe('weekdays')
    expect(shiftError({ weekdays: [2, 2], start: '09:00', end: '18:00' })).toBe('weekdays')
    expect(shiftError({ weekdays: [1], start: '18:00', end: '09:00' })).toBe('hours')
    expect(shiftError({ weekdays: [1], start: '9:00', end: '18:00' })).toBe('hours')
    expect(shiftError({ weekdays: [1], start: '09:00', end: '24:30' })).toBe('hours')
  })
})

describe('staff rows', () => {
  it('needs a primary member, each once, weights and caps in range', () => {
    expect(staffRowErrors([{ staff_id: 1, weight: 2 }])).toEqual({})
    expect(staffRowErrors([{ staff_id: 1, backup: true }])).toEqual({ _: 'required' })
    expect(staffRowErrors([{ staff_id: 1 }, { staff_id: 1 }])).toEqual({ 1: { staff_id: 'duplicate' } })
    expect(staffRowErrors([{ staff_id: 1, weight: 101, daily_cap: -1 }])).toEqual({ 0: { weight: 'out_of_range', daily_cap: 'out_of_range' } })
    expect(staffRowErrors([{ staff_id: 1, schedule: [{ weekdays: [1], start: '10:00', end: '09:00' }] }])).toEqual({ 0: { schedule: 'hours' } })
  })
  it('shows the expected share of each weight', () => {
    expect(weightShares([{ weight: 3 }, { weight: 1 }, { weight: 9, backup: true }])).toEqual([0.75, 0.25, 0])
  })
})

describe('code form', () => {
  it('round-trips a code through the form', () => {
    const code = {
      channel_id: 4,
      name: '海报',
      strategy: 'weighted',
      skip_verify: true,
      staff: [{ staff_id: 7, staff_name: '王芳', weight: 3, daily_cap: 50, backup: false, schedule: [{ weekdays: [3, 1], start: '09:00', end: '18:00' }] }],
      tag_ids: [2],
      welcome: { text: '{name}您好', attachments: [{ msgtype: 'link', link: { title: '礼', url: 'https://x.cn' } }] },
      group_code: '',
      expires_at: null,
      disabled: false,
    }
    const body = codeBody(formOfCode(code))
    expect(body.staff).toEqual([{ staff_id: 7, weight: 3, daily_cap: 50, backup: false, schedule: [{ weekdays: [1, 3], start: '09:00', end: '18:00' }] }])
    expect(body.welcome).toEqual({ text: '{name}您好', attachments: [{ msgtype: 'link', link: { title: '礼', url: 'https://x.cn', picurl: undefined, desc: undefined } }] })
    expect(body.expires_at).toBeUndefined()
    expect(previewWelcome('{name}您好，我是{staff}', '李', '王芳')).toBe('李您好，我是王芳')
  })
})

describe('stats', () => {
  it('charts the daily series', () => {
    const o = chartOption([{ key: '2026-11-01', scans: 5, adds: 2, net_adds_30d: 1, spend_fen: 1050 }], { scans: 's', adds: 'a', net: 'n', spend: 'p', spendAxis: 'y' })
    expect(o.xAxis.data).toEqual(['2026-11-01'])
    expect(o.series.map((s) => s.data[0])).toEqual([5, 2, 1, 10.5])
  })
  it('counts days in Asia/Shanghai', () => {
    expect(dayOffset(0, new Date('2026-11-23T17:00:00Z'))).toBe('2026-11-24')
    expect(dayOffset(29, new Date('2026-11-23T01:00:00Z'))).toBe('2026-10-25')
  })
})
