import { describe, it, expect } from 'vitest'
import { MAX_TAG_NAME, groupsOf, splitTagNames, tagChanges, tagIdsOf, tagNameError } from './tags.js'

describe('tagNameError', () => {
  it('wants 1 to 30 characters, counted as characters', () => {
    expect(tagNameError('VIP')).toBe('')
    expect(tagNameError('  ')).toBe('required')
    expect(tagNameError(undefined)).toBe('required')
    expect(tagNameError('长'.repeat(MAX_TAG_NAME))).toBe('')
    expect(tagNameError('长'.repeat(MAX_TAG_NAME + 1))).toBe('tooLong')
    expect(tagNameError('😀'.repeat(MAX_TAG_NAME))).toBe('')
  })
})

describe('splitTagNames', () => {
  it('splits on lines, commas and 、, dropping blanks and repeats', () => {
    expect(splitTagNames('VIP, 新客，老客、VIP\n\n 金卡 ')).toEqual(['VIP', '新客', '老客', '金卡'])
    expect(splitTagNames('')).toEqual([])
    expect(splitTagNames(null)).toEqual([])
  })
})

describe('tagChanges', () => {
  it('adds what is newly selected and removes what was dropped', () => {
    expect(tagChanges([1, 2], [2, 3])).toEqual({ add: [3], remove: [1] })
    expect(tagChanges([], [])).toEqual({ add: [], remove: [] })
    expect(tagChanges(undefined, [4])).toEqual({ add: [4], remove: [] })
  })
})

describe('tagIdsOf and groupsOf', () => {
  it('reads ids and groups defensively', () => {
    expect(tagIdsOf([{ id: 1 }, null, { id: 'x' }, { id: 3 }])).toEqual([1, 3])
    expect(tagIdsOf(null)).toEqual([])
    expect(groupsOf({ items: [{ id: 1, name: '等级', tags: null }, null, { id: 2, name: 'x', tags: [{ id: 5 }, {}] }] })).toEqual([
      { id: 1, name: '等级', tags: [] },
      { id: 2, name: 'x', tags: [{ id: 5 }] },
    ])
    expect(groupsOf(undefined)).toEqual([])
  })
})
