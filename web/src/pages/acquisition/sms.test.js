import { describe, expect, it } from 'vitest'
import { OPT_OUT, normalizeTemplate, parsePhoneLines, progress, rate, recipientErrorRows, render, smsParts, templateError } from './sms.js'

describe('templates', () => {
  it('appends the opt-out text once', () => {
    expect(OPT_OUT).toBe('回T退订')
    expect(normalizeTemplate(' {name}您好 {link} ')).toBe('{name}您好 {link} 回T退订')
    expect(normalizeTemplate('{link} 回T退订')).toBe('{link} 回T退订')
    expect(normalizeTemplate('  ')).toBe('')
  })
  it('checks variables and the link like the server', () => {
    expect(templateError('')).toBe('required')
    expect(templateError('{coupon} {link}')).toBe('unknown_variable')
    expect(templateError('{name}您好')).toBe('needs_link')
    expect(templateError('长'.repeat(501))).toBe('too_long')
    expect(templateError('{name} {phone4} {link}')).toBe('')
  })
  it('renders a recipient message', () => {
    expect(render('{name}您好，尾号{phone4} {link}', { name: '李雷', phone: '+8613812345678', link: 'https://x/s/abc' })).toBe(
      '李雷您好，尾号5678 https://x/s/abc 回T退订',
    )
  })
  it('counts billed parts', () => {
    expect(smsParts('')).toBe(1)
    expect(smsParts('长'.repeat(70))).toBe(1)
    expect(smsParts('长'.repeat(71))).toBe(2)
    expect(smsParts('长'.repeat(134))).toBe(2)
    expect(smsParts('长'.repeat(135))).toBe(3)
  })
})

describe('phone lists', () => {
  it('reads pasted lines with optional names', () => {
    expect(parsePhoneLines('13812345678,李雷\n\n+86 139-1234-5678\t韩梅梅\nabc\n137 0000 1111，小明')).toEqual([
      { phone: '13812345678', name: '李雷' },
      { phone: '+8613912345678', name: '韩梅梅' },
      { phone: 'abc', name: '' },
      { phone: '13700001111', name: '小明' },
    ])
  })
  it('maps field errors to rows', () => {
    expect(recipientErrorRows({ 'recipients[2].phone': 'x', 'recipients[0].phone': 'y', 'recipients[2].name': 'z', name: 'n' })).toEqual([1, 3])
  })
})

describe('progress', () => {
  it('shows settled share and rates', () => {
    expect(progress({ recipients: 4, pending: 1 })).toBe(75)
    expect(progress({ recipients: 0, pending: 0 })).toBe(100)
    expect(rate(1, 3)).toBe('33.3%')
    expect(rate(1, 0)).toBe('')
  })
})
