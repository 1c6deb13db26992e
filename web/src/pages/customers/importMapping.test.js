import { describe, expect, it } from 'vitest'
import {
  canRunAgain,
  mappingProblems,
  previewColumns,
  progressPercent,
  setTarget,
  sortedErrors,
  targetOptions,
} from './importMapping.js'

describe('targetOptions', () => {
  it('lists ignore, built-ins and live custom fields', () => {
    const opts = targetOptions(
      [
        { key: 'level', label: '会员等级' },
        { key: 'old', label: '旧', archived: true },
      ],
      (k) => `T:${k}`,
    )
    expect(opts.map((o) => o.value)).toEqual(['', 'name', 'phone', 'gender', 'birthday', 'tags', 'remark', 'field:level'])
    expect(opts[0].label).toBe('T:ignore')
    expect(opts.at(-1).label).toBe('会员等级')
  })
  it('survives missing fields', () => {
    expect(targetOptions(null, (k) => k)).toHaveLength(7)
  })
})

describe('previewColumns', () => {
  it('pairs headers with targets and samples', () => {
    const cols = previewColumns(['姓名', '手机号', '其他'], ['name', 'phone', ''], [['张三', '138'], ['李四', '139', 'x']])
    expect(cols).toEqual([
      { index: 0, header: '姓名', target: 'name', samples: ['张三', '李四'] },
      { index: 1, header: '手机号', target: 'phone', samples: ['138', '139'] },
      { index: 2, header: '其他', target: '', samples: ['', 'x'] },
    ])
  })
})

describe('setTarget', () => {
  it('moves a target from the column that had it', () => {
    expect(setTarget(['phone', 'name', ''], 2, 'phone')).toEqual(['', 'name', 'phone'])
  })
  it('clears a column', () => {
    expect(setTarget(['phone', 'name'], 1, '')).toEqual(['phone', ''])
  })
  it('ignores an index out of range', () => {
    expect(setTarget(['phone'], 3, 'name')).toEqual(['phone'])
  })
})

describe('mappingProblems', () => {
  it('needs a phone column', () => {
    expect(mappingProblems(['name', ''])).toEqual({ missingPhone: true, duplicates: [] })
    expect(mappingProblems(['name', 'phone'])).toEqual({ missingPhone: false, duplicates: [] })
  })
  it('finds duplicates', () => {
    expect(mappingProblems(['tags', 'phone', 'tags', 'tags']).duplicates).toEqual(['tags'])
  })
})

describe('progressPercent', () => {
  it('follows the phases', () => {
    expect(progressPercent(null)).toBe(0)
    expect(progressPercent({ status: 'queued' })).toBe(0)
    expect(progressPercent({ status: 'validating', processed: 100, total: 0 })).toBe(10)
    expect(progressPercent({ status: 'writing', processed: 500, ok: 1000 })).toBe(75)
    expect(progressPercent({ status: 'writing', processed: 0, ok: 0 })).toBe(50)
    expect(progressPercent({ status: 'done' })).toBe(100)
    expect(progressPercent({ status: 'rejected' })).toBe(100)
  })
})

describe('sortedErrors and canRunAgain', () => {
  it('sorts row errors by row', () => {
    expect(sortedErrors({ errors: [{ row: 9 }, { row: 3 }] }).map((e) => e.row)).toEqual([3, 9])
    expect(sortedErrors({})).toEqual([])
  })
  it('lets dry runs, rejections and failures run again', () => {
    expect(canRunAgain({ status: 'done', dry_run: true })).toBe(true)
    expect(canRunAgain({ status: 'done', dry_run: false })).toBe(false)
    expect(canRunAgain({ status: 'rejected' })).toBe(true)
    expect(canRunAgain({ status: 'writing' })).toBe(false)
  })
})
