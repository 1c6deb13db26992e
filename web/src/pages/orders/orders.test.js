import { describe, expect, it } from 'vitest'
import { acceptFile, importErrorRows, importSummary, listQuery, nextDay, yuan } from './orders.js'

describe('orders page logic', () => {
  it('formats fen as yuan', () => {
    expect(yuan(0)).toBe('0.00')
    expect(yuan(5)).toBe('0.05')
    expect(yuan(123450)).toBe('1,234.50')
    expect(yuan(-990)).toBe('-9.90')
    expect(yuan(null)).toBe('')
    expect(yuan('x')).toBe('')
  })

  it('builds the list query', () => {
    expect(listQuery({ source: 'tmall', status: '', bound: 'unbound', customer_id: 7, range: ['2024-01-01', '2024-01-31'] }, 'c1')).toEqual({
      source: 'tmall',
      bound: 'unbound',
      customer_id: '7',
      from: '2024-01-01',
      to: '2024-02-01',
      limit: 50,
      cursor: 'c1',
    })
    expect(listQuery({})).toEqual({ limit: 50 })
    expect(listQuery({ range: ['2024-01-01', ''] })).toEqual({ limit: 50 })
  })

  it('steps a day across months and leap years', () => {
    expect(nextDay('2024-02-28')).toBe('2024-02-29')
    expect(nextDay('2023-02-28')).toBe('2023-03-01')
    expect(nextDay('2024-12-31')).toBe('2025-01-01')
  })

  it('lists import errors by row', () => {
    const err = { report: { errors: [{ row: 5, column: 'b', code: 'invalid' }, { row: 3, column: 'x', code: 'required' }, { row: 5, column: 'a' }] } }
    expect(importErrorRows(err)).toEqual([
      { row: 3, column: 'x', code: 'required' },
      { row: 5, column: 'a', code: 'invalid' },
      { row: 5, column: 'b', code: 'invalid' },
    ])
    expect(importErrorRows(null)).toEqual([])
    expect(importErrorRows({ report: null })).toEqual([])
  })

  it('summarises an import', () => {
    expect(importSummary({ rows: 5, created: 3, skipped: 1, dry_run: true })).toEqual({
      rows: 5, created: 3, updated: 0, unchanged: 0, skipped: 1, dryRun: true,
    })
  })

  it('accepts csv and xlsx files only', () => {
    expect(acceptFile('ExportOrderList.CSV')).toBe(true)
    expect(acceptFile('a.xlsx')).toBe(true)
    expect(acceptFile('a.xls')).toBe(false)
    expect(acceptFile('')).toBe(false)
  })
})
