// Logic of the customer-value page, kept out of the component so it can be unit-tested. Values
// follow /api/v1/customer-value and /api/v1/settings/customer-value (docs/api.md).

export const SEGMENTS = [
  'important_value', 'important_keep', 'important_develop', 'important_retain',
  'general_value', 'general_keep', 'general_develop', 'general_retain',
]
export const STAGES = ['initial', 'trust', 'decline', 'lost']
export const VALUE_CLASSES = ['high', 'regular', 'coupon_only', 'heavy_refunder']

// distribution turns a {key: count} map into rows in the given order with each row's share (0-1).
export function distribution(counts, order) {
  const c = counts || {}
  const total = order.reduce((s, k) => s + (Number(c[k]) || 0), 0)
  return order.map((key) => {
    const count = Number(c[key]) || 0
    return { key, count, share: total > 0 ? count / total : 0 }
  })
}

// percent formats a share as "12.5%".
export function percent(share) {
  return `${(Math.round((Number(share) || 0) * 1000) / 10).toFixed(1)}%`
}

// segmentChartOption is the ECharts bar chart of the RFM segments; label(key) names a segment.
export function segmentChartOption(summary, label) {
  const rows = distribution(summary && summary.segments, SEGMENTS)
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 16, bottom: 88 },
    xAxis: { type: 'category', data: rows.map((r) => label(r.key)), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', data: rows.map((r) => r.count), itemStyle: { color: '#409eff' } }],
  }
}

// stageChartOption is the ECharts pie of the lifecycle stages.
export function stageChartOption(summary, label) {
  const rows = distribution(summary && summary.stages, STAGES)
  return {
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    // With no customers yet ECharts would draw equal slices for the zeros; draw nothing instead.
    series: [{ type: 'pie', radius: ['40%', '70%'], stillShowZeroSum: false, data: rows.map((r) => ({ name: label(r.key), value: r.count })) }],
  }
}

// rulesForm copies rules into a flat form; formRules turns the form back into the PUT body, or
// answers {errors} with field → message key (the server checks the same and more).
export function rulesForm(rules) {
  const r = rules || {}
  const rfm = r.rfm || {}
  const lc = r.lifecycle || {}
  const v = r.value || {}
  return {
    bins: rfm.bins ?? 5,
    windowDays: rfm.window_days ?? 365,
    referenceDate: rfm.reference_date || '',
    split: rfm.split || 'mean',
    rhythmFactor: lc.rhythm_factor ?? 2,
    minTrustDays: lc.min_trust_days ?? 30,
    initialDays: lc.initial_days ?? 90,
    lostDays: lc.lost_days ?? 365,
    couponDiscountPct: v.coupon_discount_pct ?? 30,
    refundSharePct: v.refund_share_pct ?? 50,
    highSpendYuan: (v.high_spend_fen ?? 200000) / 100,
    highMinOrders: v.high_min_orders ?? 4,
  }
}

function int(v) {
  const n = Number(v)
  return Number.isInteger(n) ? n : NaN
}

export function formRules(form) {
  const f = form || {}
  const errors = {}
  const check = (ok, field, key = 'outOfRange') => {
    if (!ok) errors[field] = key
  }
  const bins = int(f.bins)
  check(bins >= 2 && bins <= 10, 'rfm.bins')
  const windowDays = int(f.windowDays)
  check(windowDays >= 0 && windowDays <= 3650, 'rfm.window_days')
  check(!f.referenceDate || /^\d{4}-\d{2}-\d{2}$/.test(f.referenceDate), 'rfm.reference_date', 'invalid')
  const k = Number(f.rhythmFactor)
  check(k >= 1 && k <= 10, 'lifecycle.rhythm_factor')
  const minTrust = int(f.minTrustDays)
  const initial = int(f.initialDays)
  const lost = int(f.lostDays)
  check(minTrust >= 1 && minTrust <= 3650, 'lifecycle.min_trust_days')
  check(initial >= 1 && initial <= 3650, 'lifecycle.initial_days')
  check(lost > initial && lost > minTrust && lost <= 3650, 'lifecycle.lost_days')
  const coupon = int(f.couponDiscountPct)
  const refund = int(f.refundSharePct)
  check(coupon >= 1 && coupon <= 100, 'value.coupon_discount_pct')
  check(refund >= 1 && refund <= 100, 'value.refund_share_pct')
  const spendFen = Math.round(Number(f.highSpendYuan) * 100)
  check(spendFen >= 1, 'value.high_spend_fen')
  const minOrders = int(f.highMinOrders)
  check(minOrders >= 2 && minOrders <= 10000, 'value.high_min_orders')
  if (Object.keys(errors).length > 0) return { errors }
  return {
    body: {
      rfm: { bins, window_days: windowDays, reference_date: f.referenceDate || '', split: f.split === 'median' ? 'median' : 'mean' },
      lifecycle: { rhythm_factor: k, min_trust_days: minTrust, initial_days: initial, lost_days: lost },
      value: { coupon_discount_pct: coupon, refund_share_pct: refund, high_spend_fen: spendFen, high_min_orders: minOrders },
    },
  }
}

// customerFacts turns a customer's value (sections.value of the profile: {metrics, history}) into
// the card's rows: [labelKey, text] pairs, with fen as yuan via yuan(); null when there are no
// orders. Scores of 0 mean the customer has no order in the RFM window.
export function customerFacts(value, yuan) {
  const m = value && value.metrics
  if (!m) return null
  const rows = [
    ['orders', String(m.orders)],
    ['spend', yuan(m.spend_fen)],
    ['aov', yuan(m.aov_fen)],
    ['refunds', m.refunds ? `${m.refunds} / ${yuan(m.refund_fen)}` : '0'],
    ['interval', m.interval_days === null || m.interval_days === undefined ? '' : String(m.interval_days)],
  ]
  return {
    rows,
    rfm: m.r_score > 0 ? `R${m.r_score} F${m.f_score} M${m.m_score}` : '',
    segment: m.segment || '',
    stage: m.stage || '',
    valueClass: m.value_class || '',
    history: ((value && value.history) || []).slice().reverse(),
  }
}

// oneDecimal formats a number with one decimal ("2.3"); empty for missing values.
export function oneDecimal(n) {
  if (n === null || n === undefined || n === '' || !Number.isFinite(Number(n))) return ''
  return (Math.round(Number(n) * 10) / 10).toFixed(1)
}

// money formats fen as "¥1,234.50" via yuan(); empty for missing values.
export function money(fen, yuan) {
  const y = yuan(fen)
  if (!y) return ''
  return y.startsWith('-') ? `-¥${y.slice(1)}` : `¥${y}`
}

// predictionFacts turns a customer's prediction (GET /api/v1/customers/{id}/value, .prediction:
// {p_alive, expected_purchases, predicted_value_fen, horizon_days, predicted_at}) into the card's
// texts; null when there is no prediction yet.
export function predictionFacts(prediction, yuan) {
  const p = prediction
  if (!p) return null
  return {
    pAlive: percent(p.p_alive),
    expectedPurchases: oneDecimal(p.expected_purchases),
    predictedValue: money(p.predicted_value_fen, yuan),
    horizonDays: p.horizon_days,
    predictedAt: p.predicted_at || '',
  }
}

// param formats a fitted model parameter with 4 significant digits, without exponent noise for
// ordinary magnitudes ("0.2431", "12.57", "5432"); large or tiny values use exponent notation.
export function param(x) {
  if (x === null || x === undefined || x === '' || !Number.isFinite(Number(x))) return ''
  const n = Number(x)
  if (n === 0) return '0'
  const abs = Math.abs(n)
  if (abs >= 1e6 || abs < 1e-4) return n.toExponential(3)
  return String(Number(n.toPrecision(4)))
}

// modelRows lists the fitted parameters of GET /api/v1/customer-value/model as
// {bgnbd: [[key, text]], gammagamma: [[key, text]]}; key names the label (customerValue.prediction.params.<key>).
export function modelRows(fit) {
  const bg = (fit && fit.bgnbd) || {}
  const gg = (fit && fit.gammagamma) || {}
  const ll = (v) => (Number.isFinite(Number(v)) && v !== null && v !== undefined ? Number(v).toFixed(2) : '')
  return {
    bgnbd: [['r', param(bg.r)], ['alpha', param(bg.alpha)], ['a', param(bg.a)], ['b', param(bg.b)], ['loglik', ll(bg.loglik)]],
    gammagamma: [['p', param(gg.p)], ['q', param(gg.q)], ['v', param(gg.v)], ['loglik', ll(gg.loglik)]],
  }
}
