import { describe, expect, it } from 'vitest'
import { changedValues, displayValue, fieldPayload, formProblems, fromFormValue, parseOptions, toFormValue } from './customFields.js'

describe('definition form', () => {
  it('parses options by line and comma', () => {
    expect(parseOptions('金卡\n银卡， 铜卡,金卡\n\n')).toEqual(['金卡', '银卡', '铜卡'])
  })
  it('builds the payload', () => {
    expect(fieldPayload({ key: ' level ', label: ' 等级 ', type: 'select', options: 'a\nb', sort: 2 })).toEqual({
      key: 'level',
      label: '等级',
      type: 'select',
      options: ['a', 'b'],
      sort: 2,
    })
    expect(fieldPayload({ key: 'n', label: 'n', type: 'number', options: 'x' }).options).toEqual([])
  })
  it('finds problems before the server does', () => {
    expect(formProblems({ key: 'Bad', label: '', type: 'select', options: '' })).toEqual({
      key: 'invalid',
      label: 'required',
      options: 'required',
    })
    expect(formProblems({ key: 'ok_1', label: 'x', type: 'text' })).toEqual({})
  })
})

describe('values', () => {
  const num = { key: 'spend', type: 'number' }
  const multi = { key: 'hobbies', type: 'multiselect' }
  const text = { key: 'company', type: 'text' }
  it('round-trips through the form', () => {
    expect(toFormValue(num, 12.5)).toBe(12.5)
    expect(toFormValue(num, undefined)).toBe(null)
    expect(toFormValue(multi, ['a'])).toEqual(['a'])
    expect(toFormValue(text, undefined)).toBe('')
    expect(fromFormValue(text, '  ')).toBe(null)
    expect(fromFormValue(multi, [])).toBe(null)
    expect(fromFormValue(num, 3)).toBe(3)
  })
  it('sends only what changed', () => {
    const fields = [num, multi, text]
    const stored = { spend: 1, hobbies: ['a'] }
    expect(changedValues(fields, stored, { spend: 1, hobbies: ['a'], company: '' })).toEqual({})
    expect(changedValues(fields, stored, { spend: null, hobbies: ['a', 'b'], company: '峨眉' })).toEqual({
      spend: null,
      hobbies: ['a', 'b'],
      company: '峨眉',
    })
  })
  it('displays lists joined', () => {
    expect(displayValue(multi, ['跑步', '阅读'])).toBe('跑步、阅读')
    expect(displayValue(num, 0)).toBe('0')
    expect(displayValue(text, null)).toBe('')
  })
})
