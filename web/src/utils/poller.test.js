import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest'
import { createPoller } from './poller.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createPoller', () => {
  it('ticks now and then every interval', async () => {
    const tick = vi.fn(async () => {})
    const p = createPoller({ tick, interval: () => 1000 })
    await p.refresh()
    expect(tick).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(999)
    expect(tick).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(tick).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(3000)
    expect(tick).toHaveBeenCalledTimes(5)
    p.stop()
  })

  it('asks the interval anew after every tick', async () => {
    let period = 15000
    const tick = vi.fn(async () => {})
    const p = createPoller({ tick, interval: () => period })
    await p.refresh()
    period = 3000
    // the timer set before the change still waits 15 s; reschedule applies the new one now
    p.reschedule()
    await vi.advanceTimersByTimeAsync(3000)
    expect(tick).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(3000)
    expect(tick).toHaveBeenCalledTimes(3)
    p.stop()
  })

  it('keeps polling after a failing tick', async () => {
    const tick = vi.fn(async () => {
      throw new Error('boom')
    })
    const p = createPoller({ tick, interval: () => 100 })
    await p.refresh()
    await vi.advanceTimersByTimeAsync(100)
    expect(tick).toHaveBeenCalledTimes(2)
    p.stop()
  })

  it('does not overlap ticks and runs one more after a refresh during a tick', async () => {
    let release
    let running = 0
    let maxRunning = 0
    const tick = vi.fn(async () => {
      running += 1
      maxRunning = Math.max(maxRunning, running)
      await new Promise((r) => {
        release = r
      })
      running -= 1
    })
    const p = createPoller({ tick, interval: () => 1000 })
    const first = p.refresh()
    p.refresh()
    p.refresh()
    expect(tick).toHaveBeenCalledTimes(1)
    release()
    await vi.advanceTimersByTimeAsync(0)
    expect(tick).toHaveBeenCalledTimes(2)
    release()
    await first
    expect(tick).toHaveBeenCalledTimes(2)
    expect(maxRunning).toBe(1)
    p.stop()
  })

  it('stops for good', async () => {
    const tick = vi.fn(async () => {})
    const p = createPoller({ tick, interval: () => 100 })
    await p.refresh()
    p.stop()
    await vi.advanceTimersByTimeAsync(1000)
    expect(tick).toHaveBeenCalledTimes(1)
    await p.refresh()
    p.reschedule()
    await vi.advanceTimersByTimeAsync(1000)
    expect(tick).toHaveBeenCalledTimes(1)
    expect(p.stopped).toBe(true)
  })

  it('does not schedule when stopped during a tick', async () => {
    let release
    const tick = vi.fn(
      () =>
        new Promise((r) => {
          release = r
        }),
    )
    const p = createPoller({ tick, interval: () => 100 })
    const done = p.refresh()
    p.stop()
    release()
    await done
    await vi.advanceTimersByTimeAsync(1000)
    expect(tick).toHaveBeenCalledTimes(1)
  })
})
