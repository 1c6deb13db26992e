// Logic of the WeCom sync page, kept out of the component so it can be unit-tested.
// Values follow the contract of GET/POST /api/v1/wecom/sync-runs and GET /api/v1/wecom/status.

// The stages a full sync goes through, in order; "done" follows the last one.
export const SYNC_STAGES = ['departments', 'staff', 'tags', 'customers', 'groups']
export const RUN_STATUSES = ['running', 'done', 'failed']
export const RUN_STATUS_TAG = { running: 'primary', done: 'success', failed: 'danger' }
export const COUNT_KEYS = ['departments', 'staff', 'tags', 'customers', 'relations', 'groups']
export const EVENT_STATUSES = ['pending', 'processing', 'done', 'failed']
export const EVENT_STATUS_TAG = { pending: 'info', processing: 'primary', done: 'success', failed: 'danger' }

// Polling periods: fast while the user watches a run, slow otherwise.
export const FAST_POLL_MS = 3000
export const SLOW_POLL_MS = 15000

// stageIndex maps a run's stage to the index of its step in SYNC_STAGES; "done" (or a run
// whose status is done) is SYNC_STAGES.length, i.e. past the last step. An unknown or
// missing stage counts as the first step.
export function stageIndex(stage, status) {
  if (stage === 'done' || status === 'done') return SYNC_STAGES.length
  const i = SYNC_STAGES.indexOf(stage)
  return i < 0 ? 0 : i
}

// stepsState gives the props of el-steps for a run: the active index and the status of the
// step the run is on (process while running, error where it failed, success when done).
export function stepsState(run) {
  if (!run) return { active: 0, processStatus: 'wait', finishStatus: 'success' }
  const active = stageIndex(run.stage, run.status)
  let processStatus = 'process'
  if (run.status === 'failed') processStatus = 'error'
  else if (run.status === 'done') processStatus = 'success'
  return { active, processStatus, finishStatus: 'success' }
}

// runningRun returns the run that is running, if any (the server allows one at a time).
export function runningRun(items) {
  return (Array.isArray(items) ? items : []).find((r) => r && r.status === 'running') || null
}

// currentRun is the run the progress card shows: the running one, else the newest.
export function currentRun(items) {
  const list = Array.isArray(items) ? items : []
  return runningRun(list) || list[0] || null
}

// pollInterval chooses the period of the next refresh: FAST_POLL_MS while the page is
// visible and a run is running, SLOW_POLL_MS otherwise.
export function pollInterval({ visible, running }) {
  return visible && running ? FAST_POLL_MS : SLOW_POLL_MS
}

// upsertRun puts a run (e.g. the answer of POST) at its place in a newest-first list:
// it replaces the item with the same id or goes in front.
export function upsertRun(items, run) {
  const list = Array.isArray(items) ? items.slice() : []
  if (!run || run.id === undefined || run.id === null) return list
  const i = list.findIndex((r) => r && r.id === run.id)
  if (i >= 0) list[i] = run
  else list.unshift(run)
  return list
}

// durationMs is how long a run took (or has taken until `now`), or null when unknown.
export function durationMs(run, now = Date.now()) {
  if (!run || !run.started_at) return null
  const start = Date.parse(run.started_at)
  if (Number.isNaN(start)) return null
  const end = run.finished_at ? Date.parse(run.finished_at) : now
  if (Number.isNaN(end)) return null
  return Math.max(0, end - start)
}

// splitDuration breaks milliseconds into whole hours, minutes and seconds, for a
// translated "1h 2m 3s" text.
export function splitDuration(ms) {
  const total = Math.max(0, Math.floor((Number(ms) || 0) / 1000))
  return { h: Math.floor(total / 3600), m: Math.floor((total % 3600) / 60), s: total % 60 }
}
