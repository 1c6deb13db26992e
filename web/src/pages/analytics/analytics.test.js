import { describe, it, expect } from 'vitest'
import zhCN from '../../locales/zh-CN.json'
import {
  DASH,
  DEFAULT_STEPS,
  cellStyle,
  cohortAverage,
  cohortLineOption,
  cohortOffsets,
  cohortRows,
  compareNullable,
  defaultCohortStart,
  defaultRange,
  downloadName,
  formatDays,
  formatRatio,
  formatROI,
  formatYuan,
  funnelChartOption,
  funnelQuery,
  kindLabel,
  orderSteps,
  periodQuery,
  rhythmChartOption,
  rhythmFigures,
  roiChartOption,
  sortBy,
  stepLabel,
  stepsError,
  tierLabel,
  yuanValue,
} from './analytics.js'

// t resolves keys against the Chinese messages, so a key missing from the locale fails here.
function t(key, params = {}) {
  const v = key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), zhCN)
  if (typeof v !== 'string') throw new Error(`missing message ${key}`)
  return v.replace(/\{(\w+)\}/g, (_, k) => String(params[k]))
}

describe('money and ratios', () => {
  it('shows fen as yuan with two decimals', () => {
    expect(formatYuan(0)).toBe('¥0.00')
    expect(formatYuan(5)).toBe('¥0.05')
    expect(formatYuan(123456)).toBe('¥1,234.56')
    expect(formatYuan(100000000)).toBe('¥1,000,000.00')
    expect(formatYuan(-250)).toBe('-¥2.50')
    expect(formatYuan(null)).toBe(DASH)
    expect(formatYuan(undefined)).toBe(DASH)
    expect(yuanValue(12345)).toBe(123.45)
    expect(yuanValue(null)).toBe(0)
  })

  it('shows ratios as percentages and null as a dash', () => {
    expect(formatRatio(0.1234)).toBe('12.3%')
    expect(formatRatio(1)).toBe('100.0%')
    expect(formatRatio(0)).toBe('0.0%')
    expect(formatRatio(0.5, 0)).toBe('50%')
    expect(formatRatio(null)).toBe(DASH)
    expect(formatROI(2.345)).toBe('2.35')
    expect(formatROI(null)).toBe(DASH)
    expect(formatDays(14)).toBe('14')
    expect(formatDays(14.25)).toBe('14.3')
    expect(formatDays(null)).toBe(DASH)
  })

  it('sorts nullable numbers with the missing ones lowest', () => {
    const rows = [{ roi: 2 }, { roi: null }, { roi: 0.5 }, { roi: 3 }]
    expect([...rows].sort(sortBy('roi')).map((r) => r.roi)).toEqual([null, 0.5, 2, 3])
    expect(compareNullable(null, null)).toBe(0)
    expect(compareNullable(1, null)).toBeGreaterThan(0)
  })
})

describe('periods', () => {
  it('defaults to the 90 days ending today', () => {
    expect(defaultRange(new Date(2026, 2, 31))).toEqual(['2026-01-01', '2026-03-31'])
    expect(defaultRange(new Date(2026, 0, 5))).toEqual(['2025-10-08', '2026-01-05'])
  })

  it('starts cohorts 11 months back', () => {
    expect(defaultCohortStart(new Date(2026, 10, 23))).toBe('2025-12')
    expect(defaultCohortStart(new Date(2026, 0, 1))).toBe('2025-02')
  })

  it('builds the period query only from a full range', () => {
    expect(periodQuery(['2026-01-01', '2026-01-31'])).toEqual({ from: '2026-01-01', to: '2026-01-31' })
    expect(periodQuery(null)).toEqual({})
    expect(periodQuery(['2026-01-01'])).toEqual({})
  })

  it('names a download after its Content-Disposition', () => {
    expect(downloadName('attachment; filename="channel-roi-20261123.xlsx"', 'x.xlsx')).toBe('channel-roi-20261123.xlsx')
    expect(downloadName('', 'x.xlsx')).toBe('x.xlsx')
  })
})

const roiReport = {
  channels: [
    { channel_id: 1, name: 'Store', kind: 'offline_store', tier: 'bottom', adds: 10, spend_fen: 10050, gmv_fen: 250000, cac_fen: 1005, roi: 24.9 },
    { channel_id: 2, name: 'Ads', kind: 'paid_ads', tier: 'top', adds: 0, spend_fen: 0, gmv_fen: 0, cac_fen: null, roi: null },
  ],
  tiers: [],
  total: { tier: 'all' },
}

describe('channel ROI', () => {
  it('charts spend and GMV per channel in yuan', () => {
    const o = roiChartOption(roiReport, t)
    expect(o.xAxis.data).toEqual(['Store', 'Ads'])
    expect(o.series.map((s) => s.name)).toEqual(['花费', 'GMV'])
    expect(o.series[0].data).toEqual([100.5, 0])
    expect(o.series[1].data).toEqual([2500, 0])
    expect(o.tooltip.valueFormatter(100.5)).toBe('¥100.50')
    expect(roiChartOption(null, t).series[0].data).toEqual([])
  })

  it('labels tiers and kinds', () => {
    expect(tierLabel('top', t)).toBe('头部公域')
    expect(tierLabel('waist', t)).toBe('腰部公域')
    expect(tierLabel('bottom', t)).toBe('尾部公域')
    expect(tierLabel('all', t)).toBe('合计')
    expect(tierLabel('', t)).toBe(DASH)
    expect(kindLabel('package_card', t)).toBe('包裹卡')
    expect(kindLabel('future_kind', t)).toBe('future_kind')
  })
})

describe('funnel', () => {
  it('labels known steps and events', () => {
    expect(DEFAULT_STEPS.map((k) => stepLabel(k, t))).toEqual(['扫码', '添加好友', '进群', '首单', '复购', '转介绍'])
    expect(stepLabel('event:tagged', t)).toBe('事件：tagged')
  })

  it('keeps the picked order, drops repeats and moves scan first', () => {
    expect(orderSteps(['added', 'first_order', 'scan', 'added'])).toEqual(['scan', 'added', 'first_order'])
    expect(orderSteps([' added ', '', 'repeat_order'])).toEqual(['added', 'repeat_order'])
  })

  it('checks steps like the server', () => {
    expect(stepsError(DEFAULT_STEPS)).toBe('')
    expect(stepsError(['added', 'event:tagged'])).toBe('')
    expect(stepsError(['added'])).toBe('analytics.funnel.tooFew')
    expect(stepsError(Array.from({ length: 11 }, (_, i) => `event:k${'x'.repeat(i)}`))).toBe('analytics.funnel.tooMany')
    expect(stepsError(['added', 'bought'])).toBe('analytics.funnel.badStep')
    expect(stepsError(['added', 'event:Tagged'])).toBe('analytics.funnel.badStep')
    expect(stepsError(['added', 'scan'])).toBe('analytics.funnel.scanFirst')
    expect(funnelQuery(['2026-01-01', '2026-01-31'], ['scan', 'added'])).toEqual({ from: '2026-01-01', to: '2026-01-31', steps: 'scan,added' })
  })

  it('draws the steps in their order', () => {
    const rep = {
      steps: [
        { key: 'scan', customers: 200, from_previous: null, overall: null },
        { key: 'added', customers: 80, from_previous: 0.4, overall: 0.4 },
        { key: 'first_order', customers: 20, from_previous: 0.25, overall: 0.1 },
      ],
    }
    const o = funnelChartOption(rep, t)
    const s = o.series[0]
    expect(s.type).toBe('funnel')
    expect(s.sort).toBe('none')
    expect(s.max).toBe(200)
    expect(s.data).toEqual([
      { name: '扫码', value: 200 },
      { name: '添加好友', value: 80 },
      { name: '首单', value: 20 },
    ])
    expect(o.tooltip.formatter({ dataIndex: 1, name: '添加好友', value: 80 })).toBe('添加好友: 80<br/>上一步转化率: 40.0%')
    expect(o.tooltip.formatter({ dataIndex: 0, name: '扫码', value: 200 })).toBe('扫码: 200')
  })
})

const cohortReport = {
  cohorts: [
    { month: '2026-08', customers: 10, connected: [10, 8, 5], purchased: [2, 1, 0] },
    { month: '2026-09', customers: 30, connected: [27, 21], purchased: [6, 3] },
    { month: '2026-10', customers: 0, connected: [0], purchased: [0] },
  ],
}

describe('cohorts', () => {
  it('makes a row per cohort with a share per month offset', () => {
    expect(cohortOffsets(cohortReport)).toBe(3)
    const rows = cohortRows(cohortReport, 'connected')
    expect(rows[0]).toEqual({
      month: '2026-08',
      customers: 10,
      cells: [
        { count: 10, share: 1 },
        { count: 8, share: 0.8 },
        { count: 5, share: 0.5 },
      ],
    })
    // months not reached yet are empty cells; an empty cohort has no share
    expect(rows[1].cells[2]).toBeNull()
    expect(rows[2].cells).toEqual([{ count: 0, share: null }, null, null])
    expect(cohortRows(cohortReport, 'purchased')[1].cells[0]).toEqual({ count: 6, share: 0.2 })
    expect(cohortRows(null, 'connected')).toEqual([])
  })

  it('averages each offset over the cohorts that reached it, weighted by size', () => {
    expect(cohortAverage(cohortReport, 'connected')).toEqual([37 / 40, 29 / 40, 0.5])
    expect(cohortAverage(cohortReport, 'purchased')).toEqual([8 / 40, 4 / 40, 0])
    expect(cohortAverage({ cohorts: [{ month: '2026-10', customers: 0, connected: [0], purchased: [0] }] }, 'connected')).toEqual([null])
  })

  it('plots the average curves in percent', () => {
    const o = cohortLineOption(cohortReport, t)
    expect(o.xAxis.data).toEqual(['M0', 'M1', 'M2'])
    expect(o.series.map((s) => s.name)).toEqual(['仍为好友', '当月购买'])
    expect(o.series[0].data).toEqual([92.5, 72.5, 50])
    expect(o.series[1].data).toEqual([20, 10, 0])
  })

  it('shades a cell by its share', () => {
    expect(cellStyle(null)).toEqual({})
    expect(cellStyle({ count: 0, share: null })).toEqual({})
    const low = cellStyle({ count: 1, share: 0 })
    const high = cellStyle({ count: 9, share: 1 })
    expect(low.backgroundColor).toBe('rgba(64, 158, 255, 0.08)')
    expect(high.backgroundColor).toBe('rgba(64, 158, 255, 0.9)')
    expect(high.color).toBe('#fff')
    expect(low.color).toBe('inherit')
    // shares outside [0, 1] are clamped
    expect(cellStyle({ count: 1, share: 1.5 }).backgroundColor).toBe(high.backgroundColor)
  })
})

describe('repurchase rhythm', () => {
  const rep = {
    buyers: 100,
    repeaters: 40,
    intervals: 60,
    buckets: [
      { label: '1-7', min_days: 1, max_days: 7, count: 10 },
      { label: '8-14', min_days: 8, max_days: 14, count: 50 },
    ],
    median_days: 12,
    p25_days: 7.5,
    p75_days: 13.25,
    mean_days: 11.8333,
    mature_buyers: 50,
    repeat_within_year: 0.36,
  }

  it('charts the interval buckets', () => {
    const o = rhythmChartOption(rep, t)
    expect(o.xAxis.data).toEqual(['1-7', '8-14'])
    expect(o.series[0].data).toEqual([10, 50])
  })

  it('shows the figures, with a dash when nobody repeated yet', () => {
    expect(rhythmFigures(rep)).toEqual([
      { key: 'median', value: '12' },
      { key: 'p25', value: '7.5' },
      { key: 'p75', value: '13.3' },
      { key: 'mean', value: '11.8' },
      { key: 'repeatWithinYear', value: '36.0%' },
    ])
    expect(rhythmFigures({ median_days: null, repeat_within_year: null }).map((f) => f.value)).toEqual([DASH, DASH, DASH, DASH, DASH])
    for (const f of rhythmFigures(rep)) expect(t(`analytics.rhythm.${f.key}`)).toBeTruthy()
  })
})
