import { describe, expect, it } from 'vitest'
import { SEGMENTS, customerFacts, distribution, formRules, modelRows, money, oneDecimal, param, percent, predictionFacts, rulesForm, segmentChartOption, stageChartOption } from './value.js'
import { yuan as yuanOf } from '../orders/orders.js'

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

describe('customer value predictions', () => {
  it('formats one decimal and money', () => {
    expect(oneDecimal(2.345)).toBe('2.3')
    expect(oneDecimal(0.05)).toBe('0.1')
    expect(oneDecimal(3)).toBe('3.0')
    expect(oneDecimal(null)).toBe('')
    expect(oneDecimal(NaN)).toBe('')
    expect(money(123450, yuanOf)).toBe('¥1,234.50')
    expect(money(0, yuanOf)).toBe('¥0.00')
    expect(money(-5, yuanOf)).toBe('-¥0.05')
    expect(money(null, yuanOf)).toBe('')
  })

  it('shows a prediction as percentage, purchases and yuan', () => {
    const f = predictionFacts({ p_alive: 0.83456, expected_purchases: 2.349, predicted_value_fen: 1234567, horizon_days: 365,
      predicted_at: '2026-11-23T02:00:00Z' }, yuanOf)
    expect(f).toEqual({ pAlive: '83.5%', expectedPurchases: '2.3', predictedValue: '¥12,345.67', horizonDays: 365, predictedAt: '2026-11-23T02:00:00Z' })
    expect(predictionFacts({ p_alive: 1, expected_purchases: 0, predicted_value_fen: 0, horizon_days: 365 }, yuanOf).pAlive).toBe('100.0%')
    expect(predictionFacts(null, yuanOf)).toBe(null)
    expect(predictionFacts(undefined, yuanOf)).toBe(null)
  })

  it('formats model parameters', () => {
    expect(param(0.243123)).toBe('0.2431')
    expect(param(12.5678)).toBe('12.57')
    expect(param(5432.1)).toBe('5432')
    expect(param(0)).toBe('0')
    expect(param(1234567)).toBe('1.235e+6')
    expect(param(0.0000123)).toBe('1.230e-5')
    expect(param(undefined)).toBe('')
    const rows = modelRows({ bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, loglik: -9582.43 },
      gammagamma: { p: 6.25, q: 3.74, v: 15.45, loglik: -4000.123 } })
    expect(rows.bgnbd).toEqual([['r', '0.243'], ['alpha', '4.414'], ['a', '0.793'], ['b', '2.426'], ['loglik', '-9582.43']])
    expect(rows.gammagamma).toEqual([['p', '6.25'], ['q', '3.74'], ['v', '15.45'], ['loglik', '-4000.12']])
    expect(modelRows(null).bgnbd.map((r) => r[1])).toEqual(['', '', '', '', ''])
  })
})
