// createPoller calls tick() now and then again and again, waiting interval() milliseconds after
// each call has finished (so slow answers never pile up). interval is asked anew every time, so
// the period can follow the page's state. A refresh() during a tick runs one more tick right
// after it, so a caller that just changed something always sees a fresh answer. tick's errors
// are the caller's business (it shows them); the poller only keeps going.
//
//   const p = createPoller({ tick: load, interval: () => 3000 })
//   p.refresh()   // start, or refresh now
//   p.reschedule() // the period changed: wait interval() from now
//   p.stop()      // for good (unmount)
export function createPoller({ tick, interval, setTimer = setTimeout, clearTimer = clearTimeout }) {
  let timer = null
  let stopped = false
  let inFlight = null
  let again = false

  function clear() {
    if (timer !== null) {
      clearTimer(timer)
      timer = null
    }
  }

  function schedule() {
    clear()
    if (stopped) return
    timer = setTimer(() => {
      timer = null
      refresh()
    }, interval())
  }

  function refresh() {
    if (stopped) return Promise.resolve()
    if (inFlight) {
      again = true
      return inFlight
    }
    clear()
    inFlight = (async () => {
      do {
        again = false
        try {
          await tick()
        } catch {
          // shown by tick itself
        }
      } while (again && !stopped)
      inFlight = null
      schedule()
    })()
    return inFlight
  }

  return {
    refresh,
    reschedule() {
      if (!inFlight) schedule()
    },
    stop() {
      stopped = true
      clear()
    },
    get stopped() {
      return stopped
    },
  }
}
