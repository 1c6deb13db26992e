import { describe, expect, it } from 'vitest'
import { SEGMENTS, customerFacts, distribution, formRules, percent, rulesForm, segmentChartOption, stageChartOption } from './value.js'

describe('customer value logic', () => {
  it('computes shares in order, with zeros for missing keys', () => {
    expect(distribution({ b: 1, a: 3 }, ['a', 'b', 'c'])).toEqual([
      { key: 'a', count: 3, share: 0.75 },
      { key: 'b', count: 1, share: 0.25 },
      { key: 'c', count: 0, share: 0 },
    ])
    expect(distribution(null, ['a'])).toEqual([{ key: 'a', count: 0, share: 0 }])
  })

  it('formats percentages', () => {
    expect(percent(0.125)).toBe('12.5%')
    expect(percent(1)).toBe('100.0%')
    expect(percent(undefined)).toBe('0.0%')
  })

  it('charts every segment and stage', () => {
    const opt = segmentChartOption({ segments: { important_value: 4, general_retain: 9 } }, (k) => `L:${k}`)
    expect(opt.xAxis.data).toEqual(SEGMENTS.map((k) => `L:${k}`))
    expect(opt.series[0].data).toEqual([4, 0, 0, 0, 0, 0, 0, 9])
    const pie = stageChartOption({ stages: { trust: 2 } }, (k) => k)
    expect(pie.series[0].data.map((d) => d.value)).toEqual([0, 2, 0, 0])
    expect(pie.series[0].stillShowZeroSum).toBe(false)
  })

  it('round-trips rules through the form', () => {
    const rules = {
      rfm: { bins: 4, window_days: 0, reference_date: '2024-06-30', split: 'median' },
      lifecycle: { rhythm_factor: 1.5, min_trust_days: 20, initial_days: 60, lost_days: 400 },
      value: { coupon_discount_pct: 25, refund_share_pct: 40, high_spend_fen: 123450, high_min_orders: 5 },
    }
    const out = formRules(rulesForm(rules))
    expect(out).toEqual({ body: rules })
    expect(rulesForm(null).bins).toBe(5)
  })

  it('names every bad field', () => {
    const form = rulesForm(null)
    Object.assign(form, { bins: 1, windowDays: -1, referenceDate: '2024/1/1', lostDays: 30, refundSharePct: 101, highMinOrders: 1.5 })
    expect(Object.keys(formRules(form).errors).sort()).toEqual([
      'lifecycle.lost_days', 'rfm.bins', 'rfm.reference_date', 'rfm.window_days', 'value.high_min_orders', 'value.refund_share_pct',
    ])
  })
})

describe('customer value card', () => {
  const yuan = (f) => (f / 100).toFixed(2)
  it('lists the metrics, scores and the history newest first', () => {
    const facts = customerFacts({
      metrics: { orders: 3, spend_fen: 15700, aov_fen: 5233, refunds: 1, refund_fen: 500, interval_days: 15.96,
        r_score: 4, f_score: 2, m_score: 5, segment: 'important_develop', stage: 'trust', value_class: 'regular' },
      history: [{ from: '', to: 'initial' }, { from: 'initial', to: 'trust' }],
    }, yuan)
    expect(facts.rows).toEqual([['orders', '3'], ['spend', '157.00'], ['aov', '52.33'], ['refunds', '1 / 5.00'], ['interval', '15.96']])
    expect(facts.rfm).toBe('R4 F2 M5')
    expect(facts.history.map((h) => h.to)).toEqual(['trust', 'initial'])
  })
  it('has nothing without orders and no scores outside the window', () => {
    expect(customerFacts(null, yuan)).toBe(null)
    expect(customerFacts({ metrics: null }, yuan)).toBe(null)
    const f = customerFacts({ metrics: { orders: 1, spend_fen: 1, aov_fen: 1, refunds: 0, interval_days: null, r_score: 0 } }, yuan)
    expect(f.rfm).toBe('')
    expect(f.rows[4]).toEqual(['interval', ''])
  })
})
