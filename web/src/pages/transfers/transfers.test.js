import { describe, expect, it } from 'vitest'
import { anyRunning, buildRequest, canRetry, countItems, kindOf, progress, progressStatus } from './transfers.js'

describe('progress', () => {
  it('counts final customers', () => {
    expect(progress({ total: 4, succeeded: 1, failed: 1, rejected: 0, waiting: 2 })).toBe(50)
    expect(progress({ total: 3, succeeded: 2, rejected: 1 })).toBe(100)
    expect(progress({ total: 0 })).toBe(0)
    expect(progress(undefined)).toBe(0)
  })
})

describe('progressStatus', () => {
  it('is empty while running and tells success from partial success', () => {
    expect(progressStatus({ status: 'running', counts: { failed: 1 } })).toBe('')
    expect(progressStatus({ status: 'done', counts: { succeeded: 3 } })).toBe('success')
    expect(progressStatus({ status: 'done', counts: { succeeded: 2, rejected: 1 } })).toBe('warning')
  })
})

describe('kindOf', () => {
  it('uses the from-staff status', () => {
    expect(kindOf({ status: 'resigned' })).toBe('resigned')
    expect(kindOf({ status: 'active' })).toBe('on_job')
    expect(kindOf(null)).toBe('on_job')
  })
})

describe('buildRequest', () => {
  it('asks for what is missing', () => {
    expect(buildRequest({}).errors).toEqual({ from_staff_id: 'required', to_staff_id: 'required', customer_ids: 'required' })
    expect(buildRequest({ fromStaffId: 1, toStaffId: 1, all: true }).errors).toEqual({ to_staff_id: 'sameStaff' })
    expect(buildRequest({ fromStaffId: 1, toStaffId: 2, all: true, message: '字'.repeat(201) }).errors).toEqual({ message: 'tooLong' })
  })
  it('builds the body', () => {
    expect(buildRequest({ fromStaffId: 1, toStaffId: 2, customerIds: [5, 6], message: ' 你好 ' }).body).toEqual({
      from_staff_id: 1,
      to_staff_id: 2,
      customer_ids: [5, 6],
      message: '你好',
    })
    expect(buildRequest({ fromStaffId: 1, toStaffId: 2, all: true, customerIds: [5], kind: 'resigned', message: 'x' }).body).toEqual({
      from_staff_id: 1,
      to_staff_id: 2,
      all: true,
    })
  })
})

describe('canRetry, anyRunning, countItems', () => {
  it('work on partial data', () => {
    expect(canRetry({ counts: { failed: 2 } })).toBe(true)
    expect(canRetry({ counts: { failed: 0 } })).toBe(false)
    expect(canRetry(null)).toBe(false)
    expect(anyRunning([{ status: 'done' }, { status: 'running' }])).toBe(true)
    expect(anyRunning(undefined)).toBe(false)
    expect(countItems([{ status: 'failed' }, { status: 'failed' }, { status: 'waiting' }, { status: 'odd' }])).toEqual({
      pending: 0,
      waiting: 1,
      succeeded: 0,
      failed: 2,
      rejected: 0,
    })
  })
})
