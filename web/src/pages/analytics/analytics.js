// Formatting and chart options of the value reports (analytics): channel ROI, funnels, retention
// cohorts and the repurchase rhythm. Plain functions of the API's JSON (internal/analytics) so
// they can be tested without a browser. Texts come from a translate function t(key, params).

export const DASH = '—'

// The funnel steps the server knows besides event:KIND, in the default order.
export const DEFAULT_STEPS = ['scan', 'added', 'joined_group', 'first_order', 'repeat_order', 'referred']
export const EVENT_STEP = /^event:[a-z_]{1,40}$/
export const MAX_STEPS = 10
export const MAX_COHORT_MONTHS = 24
export const TIERS = ['top', 'waist', 'bottom']
export const CHANNEL_KINDS = ['offline_store', 'package_card', 'sms', 'poster', 'kol_koc', 'paid_ads', 'search', 'content', 'event', 'other']

const isNum = (v) => typeof v === 'number' && Number.isFinite(v)

function groupThousands(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

// formatYuan shows an amount in fen as yuan with two decimals: 123456 → "¥1,234.56";
// null/undefined → "—". Integer arithmetic, so no float rounding surprises.
export function formatYuan(fen) {
  if (!isNum(fen)) return DASH
  const n = Math.round(fen)
  const abs = Math.abs(n)
  const yuan = Math.floor(abs / 100)
  const cents = String(abs % 100).padStart(2, '0')
  return `${n < 0 ? '-' : ''}¥${groupThousands(String(yuan))}.${cents}`
}

// yuanValue is fen as a number of yuan (for charts): 12345 → 123.45.
export function yuanValue(fen) {
  return isNum(fen) ? Math.round(fen) / 100 : 0
}

// formatRatio shows a share as a percentage: 0.1234 → "12.3%"; null → "—".
export function formatRatio(r, digits = 1) {
  if (!isNum(r)) return DASH
  return `${(r * 100).toFixed(digits)}%`
}

// formatROI shows GMV / spend as a multiple: 2.345 → "2.35"; null (no spend) → "—".
export function formatROI(r) {
  return isNum(r) ? r.toFixed(2) : DASH
}

// formatDays shows a number of days with one decimal at most: 14 → "14", 14.25 → "14.3".
export function formatDays(d) {
  if (!isNum(d)) return DASH
  return String(Math.round(d * 10) / 10)
}

// compareNullable orders numbers ascending with missing values (null: no adds, no spend) first,
// the order el-table then reverses for a descending sort.
export function compareNullable(a, b) {
  const na = !isNum(a)
  const nb = !isNum(b)
  if (na || nb) return na === nb ? 0 : na ? -1 : 1
  return a - b
}

// sortBy returns an el-table sort-method comparing rows by prop, nulls as the lowest values.
export function sortBy(prop) {
  return (a, b) => compareNullable(a[prop], b[prop])
}

const pad2 = (n) => String(n).padStart(2, '0')

// isoDate is a Date's local calendar day as YYYY-MM-DD.
export function isoDate(d) {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`
}

// defaultRange is the server's default period: the 90 days ending today, [from, to] inclusive.
export function defaultRange(today = new Date()) {
  const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 89)
  return [isoDate(from), isoDate(today)]
}

// defaultCohortStart is the first of the 12 cohort months ending with the current one (YYYY-MM).
export function defaultCohortStart(today = new Date()) {
  const d = new Date(today.getFullYear(), today.getMonth() - 11, 1)
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}`
}

// periodQuery turns a [from, to] date-range value into the query of the period reports.
export function periodQuery(range) {
  if (!Array.isArray(range) || range.length !== 2 || !range[0] || !range[1]) return {}
  return { from: range[0], to: range[1] }
}

// ---- Channel ROI ----

export function tierLabel(tier, t) {
  if (TIERS.includes(tier)) return t(`analytics.tiers.${tier}`)
  if (tier === 'all') return t('analytics.roi.total')
  return tier || DASH
}

export function kindLabel(kind, t) {
  return CHANNEL_KINDS.includes(kind) ? t(`analytics.kinds.${kind}`) : kind || DASH
}

// roiChartOption is a grouped bar chart of spend and GMV (yuan) per channel.
export function roiChartOption(report, t) {
  const channels = (report && report.channels) || []
  const money = (v) => formatYuan(Math.round(v * 100))
  return {
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: money,
    },
    legend: { top: 0, data: [t('analytics.roi.spend'), t('analytics.roi.gmv')] },
    grid: { left: 16, right: 16, bottom: 8, top: 40, containLabel: true },
    xAxis: {
      type: 'category',
      data: channels.map((c) => c.name),
      axisLabel: { interval: 0, rotate: channels.length > 6 ? 30 : 0 },
    },
    yAxis: { type: 'value', name: t('analytics.roi.yuanAxis') },
    series: [
      { name: t('analytics.roi.spend'), type: 'bar', data: channels.map((c) => yuanValue(c.spend_fen)) },
      { name: t('analytics.roi.gmv'), type: 'bar', data: channels.map((c) => yuanValue(c.gmv_fen)) },
    ],
  }
}

// ---- Funnel ----

export function stepLabel(key, t) {
  if (DEFAULT_STEPS.includes(key)) return t(`analytics.steps.${key}`)
  if (typeof key === 'string' && key.startsWith('event:')) return t('analytics.steps.event', { kind: key.slice(6) })
  return key
}

// orderSteps keeps the chosen steps in the order they were picked, without repeats, with a scan
// step (an anonymous count the server accepts only first) moved to the front.
export function orderSteps(steps) {
  const out = []
  for (const s of steps || []) {
    const k = String(s).trim()
    if (k && !out.includes(k)) out.push(k)
  }
  const i = out.indexOf('scan')
  if (i > 0) {
    out.splice(i, 1)
    out.unshift('scan')
  }
  return out
}

// stepsError returns the locale key of what is wrong with a step list, or '' when the server
// will accept it.
export function stepsError(steps) {
  if (!Array.isArray(steps) || steps.length < 2) return 'analytics.funnel.tooFew'
  if (steps.length > MAX_STEPS) return 'analytics.funnel.tooMany'
  for (const s of steps) {
    if (!DEFAULT_STEPS.includes(s) && !EVENT_STEP.test(s)) return 'analytics.funnel.badStep'
  }
  if (steps.indexOf('scan') > 0) return 'analytics.funnel.scanFirst'
  return ''
}

export function funnelQuery(range, steps) {
  return { ...periodQuery(range), steps: steps.join(',') }
}

// funnelChartOption draws the steps top to bottom in their order (sort: none keeps a step with
// more customers than the previous one, e.g. a repeat event, where it belongs).
export function funnelChartOption(report, t) {
  const steps = (report && report.steps) || []
  const data = steps.map((s) => ({ name: stepLabel(s.key, t), value: s.customers }))
  const max = Math.max(1, ...steps.map((s) => s.customers || 0))
  return {
    tooltip: {
      trigger: 'item',
      formatter: (p) => {
        const st = steps[p.dataIndex] || {}
        const parts = [`${p.name}: ${p.value}`]
        if (st.from_previous !== null && st.from_previous !== undefined) {
          parts.push(`${t('analytics.funnel.fromPrevious')}: ${formatRatio(st.from_previous)}`)
        }
        return parts.join('<br/>')
      },
    },
    series: [
      {
        type: 'funnel',
        sort: 'none',
        min: 0,
        max,
        minSize: '8%',
        left: '10%',
        width: '80%',
        gap: 2,
        label: { show: true, position: 'inside', formatter: '{b}  {c}' },
        data,
      },
    ],
  }
}

// ---- Cohorts ----

export const COHORT_MEASURES = ['connected', 'purchased']

// cohortOffsets is the number of month columns (M0..Mn-1) the widest cohort has.
export function cohortOffsets(report) {
  const cohorts = (report && report.cohorts) || []
  return cohorts.reduce((n, c) => Math.max(n, (c[COHORT_MEASURES[0]] || []).length, (c[COHORT_MEASURES[1]] || []).length), 0)
}

// cohortRows turns the report into table rows: {month, customers, cells: [{count, share}]},
// one cell per month offset; an offset the cohort has not reached yet is null.
export function cohortRows(report, measure) {
  const cohorts = (report && report.cohorts) || []
  const n = cohortOffsets(report)
  return cohorts.map((c) => {
    const series = c[measure] || []
    const cells = []
    for (let m = 0; m < n; m++) {
      if (m >= series.length) {
        cells.push(null)
        continue
      }
      cells.push({ count: series[m], share: c.customers > 0 ? series[m] / c.customers : null })
    }
    return { month: c.month, customers: c.customers, cells }
  })
}

// cohortAverage is, per month offset, the share over all cohorts that reached it, weighted by
// cohort size (sum of counts / sum of customers); null where no such cohort has customers.
export function cohortAverage(report, measure) {
  const cohorts = (report && report.cohorts) || []
  const n = cohortOffsets(report)
  const out = []
  for (let m = 0; m < n; m++) {
    let count = 0
    let base = 0
    for (const c of cohorts) {
      const series = c[measure] || []
      if (m < series.length && c.customers > 0) {
        count += series[m]
        base += c.customers
      }
    }
    out.push(base > 0 ? count / base : null)
  }
  return out
}

// cellStyle colours a heat-map cell by its share (0 → white, 1 → the brand blue).
export function cellStyle(cell) {
  if (!cell || !isNum(cell.share)) return {}
  const s = Math.max(0, Math.min(1, cell.share))
  const alpha = Math.round((0.08 + 0.82 * s) * 100) / 100
  return {
    backgroundColor: `rgba(64, 158, 255, ${alpha})`,
    color: s > 0.55 ? '#fff' : 'inherit',
  }
}

export function offsetLabel(m) {
  return `M${m}`
}

// cohortLineOption plots the average curves of both measures against the month offset.
export function cohortLineOption(report, t) {
  const n = cohortOffsets(report)
  const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10)
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v) => (isNum(v) ? `${v}%` : DASH) },
    legend: { top: 0, data: COHORT_MEASURES.map((m) => t(`analytics.cohorts.${m}`)) },
    grid: { left: 16, right: 16, bottom: 8, top: 40, containLabel: true },
    xAxis: { type: 'category', data: Array.from({ length: n }, (_, m) => offsetLabel(m)) },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    series: COHORT_MEASURES.map((m) => ({
      name: t(`analytics.cohorts.${m}`),
      type: 'line',
      connectNulls: false,
      data: cohortAverage(report, m).map(pct),
    })),
  }
}

// ---- Repurchase rhythm ----

export function rhythmChartOption(report, t) {
  const buckets = (report && report.buckets) || []
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 16, right: 16, bottom: 28, top: 40, containLabel: true },
    xAxis: { type: 'category', name: t('analytics.rhythm.daysAxis'), nameLocation: 'middle', nameGap: 30, data: buckets.map((b) => b.label) },
    yAxis: { type: 'value', name: t('analytics.rhythm.countAxis'), minInterval: 1 },
    series: [{ name: t('analytics.rhythm.intervals'), type: 'bar', data: buckets.map((b) => b.count), barMaxWidth: 48 }],
  }
}

// rhythmFigures are the summary tiles of the rhythm tab: [{key, value}] with value formatted.
export function rhythmFigures(report) {
  const r = report || {}
  return [
    { key: 'median', value: formatDays(r.median_days) },
    { key: 'p25', value: formatDays(r.p25_days) },
    { key: 'p75', value: formatDays(r.p75_days) },
    { key: 'mean', value: formatDays(r.mean_days) },
    { key: 'repeatWithinYear', value: formatRatio(r.repeat_within_year) },
  ]
}

// downloadName picks the file name of a download from its Content-Disposition header.
export function downloadName(disposition, fallback) {
  const m = /filename="([^"]+)"/.exec(disposition || '')
  return m ? m[1] : fallback
}
