import { describe, expect, it } from 'vitest'
import { batchErrors, canMark, daysNeeded, listErrors, maxPerPage, pagesOf, percent, shares, statusType, today } from './phoneCards.js'

describe('phone lists', () => {
  it('splits rows by weight like the server', () => {
    expect(shares(10, [1, 1])).toEqual([5, 5])
    expect(shares(10, [1, 1, 1])).toEqual([4, 3, 3])
    expect(shares(10, [3, 1])).toEqual([8, 2])
    expect(shares(1, [1, 5])).toEqual([0, 1])
    expect(shares(5, [])).toEqual([])
  })
  it('estimates the days a list takes', () => {
    expect(daysNeeded(100, [1, 1], 20)).toBe(3)
    expect(daysNeeded(40, [1, 1], 20)).toBe(1)
    expect(daysNeeded(41, [1, 1], 20)).toBe(2)
    expect(daysNeeded(0, [1], 20)).toBe(0)
    expect(daysNeeded(10, [1], 0)).toBe(0)
  })
  it('checks the list form', () => {
    expect(listErrors({ name: 'a', daily_cap: 20, expire_days: 7, staff: [{ staff_id: 1, weight: 1 }], rows: [{ phone: '1' }] })).toEqual({})
    expect(listErrors({ name: ' ', daily_cap: 201, expire_days: 0, staff: [], rows: [] })).toEqual({
      name: 'required', daily_cap: 'out_of_range', expire_days: 'out_of_range', staff: 'required', rows: 'required',
    })
    expect(listErrors({ name: 'a', daily_cap: 1, expire_days: 90, staff: [{ staff_id: 1, weight: 101 }], rows: [{}] })).toEqual({ staff: 'out_of_range' })
  })
  it('shows statuses', () => {
    expect(statusType('added')).toBe('success')
    expect(statusType('nope')).toBe('info')
    expect(canMark({ status: 'failed' })).toBe(true)
    expect(canMark({ status: 'added' })).toBe(false)
    expect(percent(null)).toBe('—')
    expect(percent(2 / 3)).toBe('66.7%')
  })
  it('knows the day in Shanghai', () => {
    expect(today(new Date('2026-11-23T16:30:00Z'))).toBe('2026-11-24')
    expect(today(new Date('2026-11-23T15:59:00Z'))).toBe('2026-11-23')
  })
})

describe('package cards', () => {
  it('lays cards out on A4', () => {
    expect(maxPerPage('90x54')).toBe(10)
    expect(maxPerPage('100x150')).toBe(2)
    expect(maxPerPage('a4')).toBe(0)
    expect(pagesOf(25, 10)).toBe(3)
    expect(pagesOf(20, 10)).toBe(2)
    expect(pagesOf(0, 10)).toBe(0)
  })
  it('checks the batch form', () => {
    const ok = { code_id: 1, name: 'n', batch_no: 'N11-01', headline: '扫码', count: 100, card_size: '90x54', per_page: 10 }
    expect(batchErrors(ok)).toEqual({})
    expect(batchErrors({ ...ok, code_id: null, name: '', batch_no: 'a b', headline: '长'.repeat(41), count: 0, per_page: 11 })).toEqual({
      code_id: 'required', name: 'required', batch_no: 'invalid', headline: 'too_long', count: 'out_of_range', per_page: 'out_of_range',
    })
    expect(batchErrors({ ...ok, card_size: 'a4' })).toEqual({ card_size: 'invalid' })
  })
})
