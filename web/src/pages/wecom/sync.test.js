import { describe, it, expect } from 'vitest'
import {
  FAST_POLL_MS,
  SLOW_POLL_MS,
  SYNC_STAGES,
  currentRun,
  durationMs,
  pollInterval,
  runningRun,
  splitDuration,
  stageIndex,
  stepsState,
  upsertRun,
} from './sync.js'

const run = (id, status, stage, extra = {}) => ({ id, status, stage, trigger: 'manual', ...extra })

describe('stageIndex', () => {
  it('maps each stage to its step in order', () => {
    expect(SYNC_STAGES.map((s) => stageIndex(s))).toEqual([0, 1, 2, 3, 4])
  })

  it('puts done past the last step', () => {
    expect(stageIndex('done')).toBe(SYNC_STAGES.length)
    expect(stageIndex('groups', 'done')).toBe(SYNC_STAGES.length)
  })

  it('treats unknown or missing stages as the first step', () => {
    expect(stageIndex('weird')).toBe(0)
    expect(stageIndex(undefined)).toBe(0)
    expect(stageIndex(null, 'running')).toBe(0)
  })
})

describe('stepsState', () => {
  it('shows a running run in process at its stage', () => {
    expect(stepsState(run(1, 'running', 'tags'))).toMatchObject({ active: 2, processStatus: 'process' })
  })

  it('marks the stage a run failed at as an error', () => {
    expect(stepsState(run(1, 'failed', 'customers'))).toMatchObject({ active: 3, processStatus: 'error' })
  })

  it('finishes every step of a done run', () => {
    expect(stepsState(run(1, 'done', 'done'))).toMatchObject({ active: 5, finishStatus: 'success' })
  })

  it('waits without a run', () => {
    expect(stepsState(null)).toMatchObject({ active: 0, processStatus: 'wait' })
  })
})

describe('runningRun / currentRun', () => {
  const items = [run(3, 'done', 'done'), run(2, 'running', 'staff'), run(1, 'failed', 'tags')]

  it('finds the running run', () => {
    expect(runningRun(items).id).toBe(2)
    expect(runningRun([run(1, 'done', 'done')])).toBeNull()
    expect(runningRun(undefined)).toBeNull()
  })

  it('prefers the running run, else the newest', () => {
    expect(currentRun(items).id).toBe(2)
    expect(currentRun([run(5, 'failed', 'tags'), run(4, 'done', 'done')]).id).toBe(5)
    expect(currentRun([])).toBeNull()
    expect(currentRun(null)).toBeNull()
  })
})

describe('pollInterval', () => {
  it('polls fast only while visible and running', () => {
    expect(pollInterval({ visible: true, running: true })).toBe(FAST_POLL_MS)
    expect(pollInterval({ visible: true, running: false })).toBe(SLOW_POLL_MS)
    expect(pollInterval({ visible: false, running: true })).toBe(SLOW_POLL_MS)
    expect(pollInterval({ visible: false, running: false })).toBe(SLOW_POLL_MS)
    expect(FAST_POLL_MS).toBe(3000)
    expect(SLOW_POLL_MS).toBe(15000)
  })
})

describe('upsertRun', () => {
  it('puts a new run in front and replaces a known one', () => {
    const items = [run(2, 'done', 'done'), run(1, 'failed', 'tags')]
    expect(upsertRun(items, run(3, 'running', 'departments')).map((r) => r.id)).toEqual([3, 2, 1])
    const replaced = upsertRun(items, run(2, 'failed', 'groups'))
    expect(replaced.map((r) => r.id)).toEqual([2, 1])
    expect(replaced[0].status).toBe('failed')
    expect(items[0].status).toBe('done')
  })

  it('ignores a missing run', () => {
    expect(upsertRun([run(1, 'done', 'done')], null)).toHaveLength(1)
    expect(upsertRun(undefined, {})).toEqual([])
  })
})

describe('durationMs / splitDuration', () => {
  it('measures finished and running runs', () => {
    const start = '2026-01-02T03:04:05Z'
    expect(durationMs({ started_at: start, finished_at: '2026-01-02T03:05:06Z' })).toBe(61_000)
    expect(durationMs({ started_at: start, finished_at: null }, Date.parse(start) + 2500)).toBe(2500)
    expect(durationMs({ started_at: 'nope' })).toBeNull()
    expect(durationMs(null)).toBeNull()
  })

  it('splits into hours, minutes and seconds', () => {
    expect(splitDuration(3_723_900)).toEqual({ h: 1, m: 2, s: 3 })
    expect(splitDuration(-5)).toEqual({ h: 0, m: 0, s: 0 })
  })
})
