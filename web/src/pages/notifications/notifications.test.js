import { describe, expect, it } from 'vitest'
import { badgeValue, linkOf, markAllRead, markRead, noteText, parseData } from './notifications.js'

describe('badgeValue', () => {
  it.each([
    [0, ''],
    [undefined, ''],
    [-3, ''],
    [1, '1'],
    [99, '99'],
    [100, '99+'],
  ])('%s → %s', (n, want) => expect(badgeValue(n)).toBe(want))
})

describe('parseData', () => {
  it('accepts objects and JSON text, and nothing else', () => {
    expect(parseData({ a: 1 })).toEqual({ a: 1 })
    expect(parseData('{"a":2}')).toEqual({ a: 2 })
    expect(parseData('not json')).toEqual({})
    expect(parseData('3')).toEqual({})
    expect(parseData(null)).toEqual({})
  })
})

describe('noteText', () => {
  const texts = { 'notifications.kinds.customer_lost.title': 'Lost: {customer_name}' }
  const te = (k) => k in texts || k === 'notifications.kinds.customer_lost.body'
  const t = (k, d) => `${k}|${JSON.stringify(d)}`
  it('localizes known kinds from data', () => {
    const n = { kind: 'customer_lost', title: '客户流失', data: { customer_name: '陈女士' } }
    expect(noteText(n, t, te)).toEqual({
      title: 'notifications.kinds.customer_lost.title|{"customer_name":"陈女士"}',
      body: 'notifications.kinds.customer_lost.body|{"customer_name":"陈女士"}',
    })
  })
  it('falls back to the stored texts', () => {
    expect(noteText({ kind: 'other', title: 'T', body: 'B' }, t, te)).toEqual({ title: 'T', body: 'B' })
    expect(noteText(null, t, te)).toEqual({ title: '', body: '' })
  })
})

describe('markRead and markAllRead', () => {
  const state = { items: [{ id: 1, read_at: null }, { id: 2, read_at: 'x' }, { id: 3, read_at: null }], unread: 2 }
  it('reads one unread notification once', () => {
    const s = markRead(state, 1, 'now')
    expect(s.unread).toBe(1)
    expect(s.items[0].read_at).toBe('now')
    expect(state.items[0].read_at).toBe(null)
    expect(markRead(s, 1, 'later').unread).toBe(1)
    expect(markRead(state, 2, 'now').unread).toBe(2)
    expect(markRead(state, 9, 'now').unread).toBe(2)
  })
  it('reads everything', () => {
    const s = markAllRead(state, 'now')
    expect(s.unread).toBe(0)
    expect(s.items.map((n) => n.read_at)).toEqual(['now', 'x', 'now'])
  })
})

describe('linkOf', () => {
  it('keeps console paths only', () => {
    expect(linkOf({ link: '/customers/12' })).toBe('/customers/12')
    expect(linkOf({ link: 'https://evil.example/' })).toBe('')
    expect(linkOf({ link: '//evilexample' })).toBe('')
    expect(linkOf({})).toBe('')
  })
})
