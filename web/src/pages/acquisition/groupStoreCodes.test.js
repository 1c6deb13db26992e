import { describe, expect, it } from 'vitest'
import {
  citiesOf,
  currentGroup,
  formOfGroupCode,
  groupCodeBody,
  groupCodeErrors,
  groupFill,
  joinsTable,
  moveChat,
  nextAutoName,
  storeCodeErrors,
  storeFinderPath,
} from './groupStoreCodes.js'

describe('currentGroup', () => {
  it('skips full and dismissed groups', () => {
    const gs = [
      { chat_id: 'a', member_count: 200, status: 'active' },
      { chat_id: 'b', member_count: 12, status: 'dismissed' },
      { chat_id: 'c', member_count: 199, status: 'active' },
    ]
    expect(currentGroup(gs)).toBe(2)
  })
  it('is -1 when every group is full, and counts unknown groups as open', () => {
    expect(currentGroup([{ member_count: 200, status: 'active' }])).toBe(-1)
    expect(currentGroup([{ member_count: 200, status: 'active' }, { member_count: 0, status: 'unknown' }])).toBe(1)
    expect(currentGroup(null)).toBe(-1)
  })
})

describe('group code form', () => {
  it('fills and moves', () => {
    expect(groupFill(50)).toBe(25)
    expect(groupFill(250)).toBe(100)
    expect(moveChat(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b'])
    expect(moveChat(['a', 'b'], 0, -1)).toEqual(['a', 'b'])
    expect(nextAutoName(' 福利群 ', 3)).toBe('福利群3')
  })
  it('validates like the server', () => {
    expect(groupCodeErrors({ name: '', chat_ids: [] })).toEqual({ name: 'required', org_unit_id: 'required', chat_ids: 'required' })
    expect(groupCodeErrors({ name: '群', org_unit_id: 1, chat_ids: ['a', 'a'] })).toEqual({ chat_ids: 'invalid' })
    expect(groupCodeErrors({ name: '群', org_unit_id: 1, chat_ids: ['a'], auto_create: true, room_base_name: '', room_base_id: 0 })).toEqual({
      room_base_name: 'required',
      room_base_id: 'out_of_range',
    })
    expect(groupCodeErrors({ name: '群', org_unit_id: 1, chat_ids: ['a'] })).toEqual({})
  })
  it('round-trips a code through the form', () => {
    const code = { org_unit_id: 3, name: '会员群', groups: [{ chat_id: 'x' }, { chat_id: 'y' }], auto_create: true, room_base_name: '会员', room_base_id: 4 }
    const body = groupCodeBody(formOfGroupCode(code))
    expect(body).toEqual({ org_unit_id: 3, name: '会员群', chat_ids: ['x', 'y'], auto_create: true, room_base_name: '会员', room_base_id: 4, disabled: false })
    expect(groupCodeBody({ ...formOfGroupCode(code), auto_create: false })).not.toHaveProperty('room_base_name')
  })
})

describe('joinsTable', () => {
  it('pivots per day and group', () => {
    const t = joinsTable([
      { day: '2026-11-02', chat_id: 'b', joins: 2 },
      { day: '2026-11-01', chat_id: 'a', joins: 1 },
      { day: '2026-11-02', chat_id: 'a', joins: 3 },
    ])
    expect(t.days).toEqual([
      { day: '2026-11-01', total: 1, a: 1 },
      { day: '2026-11-02', total: 5, a: 3, b: 2 },
    ])
    expect(t.totals).toEqual({ a: 4, b: 2 })
  })
})

describe('store codes', () => {
  it('builds the finder path and city list', () => {
    expect(storeFinderPath('acme')).toBe('/l/stores/acme')
    expect(storeFinderPath('acme', '上海')).toBe('/l/stores/acme?city=%E4%B8%8A%E6%B5%B7')
    expect(citiesOf([{ city: 'b' }, { city: 'a' }, { city: 'b' }, { city: '' }], 'en')).toEqual(['a', 'b'])
  })
  it('validates', () => {
    expect(storeCodeErrors({ city: ' ' })).toEqual({ org_unit_id: 'required', channel_id: 'required', city: 'required' })
    expect(storeCodeErrors({ org_unit_id: 1, channel_id: 2, city: '上海' })).toEqual({})
  })
})
