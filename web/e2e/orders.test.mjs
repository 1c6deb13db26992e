// Browser test of the orders and customer-value pages against a running Siyu server (started by
// scripts/e2e.sh with the demo data; see console.test.mjs for the environment). An order file with
// a bad row is rejected with the row listed, the fixed file imports, the orders list shows it, and
// the customer-value page draws its charts after a recompute.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const BASE = (process.env.SIYU_URL || '').replace(/\/+$/, '')
const TENANT = process.env.SIYU_TENANT || 'demo'
const USER = process.env.SIYU_USER || 'admin'
const PASSWORD = process.env.SIYU_PASSWORD || 'siyu-demo-2026'
const EXECUTABLE = process.env.SIYU_CHROMIUM || '/usr/bin/chromium'
const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url))

const byTestId = (id) => `[data-testid="${id}"]`
const inputOf = (id) => `input[data-testid="${id}"], [data-testid="${id}"] input`

test('orders: import with row errors, then import, list, and the customer-value charts', { skip: !BASE && process.env.CI !== 'true' && 'SIYU_URL is not set', timeout: 120_000 }, async (t) => {
  mkdirSync(RESULTS, { recursive: true })
  const profile = mkdtempSync(join(tmpdir(), 'siyu-e2e-orders-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
    viewport: { width: 1366, height: 860 },
    locale: 'zh-CN',
  })
  const page = context.pages()[0] || (await context.newPage())
  page.setDefaultTimeout(20_000)
  const pageErrors = []
  page.on('pageerror', (err) => pageErrors.push(err))
  const shot = (name) => page.screenshot({ path: join(RESULTS, `orders-${name}.png`), fullPage: true }).catch(() => {})
  const stamp = Date.now().toString(36)
  const header = 'order_id,source,phone,paid_at,amount,refund\n'
  const phone = `137${String(Date.now()).slice(-8)}`
  const good = `E2E-${stamp}-1,pos,${phone},2024-05-01 10:00:00,128.00,0\nE2E-${stamp}-2,mall,13700002222,2024-05-03 11:00:00,66.50,6.50\n`
  const bad = good.replace('2024-05-03 11:00:00', 'yesterday')
  const csv = (body) => ({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(header + body) })
  try {
    await page.goto(`${BASE}/login?tenant=${encodeURIComponent(TENANT)}`)
    await page.locator(inputOf('login-username')).fill(USER)
    await page.locator(inputOf('login-password')).fill(PASSWORD)
    await page.locator(byTestId('login-submit')).click()
    await page.waitForURL((u) => !u.pathname.startsWith('/login'))

    // Give a demo customer the phone of the first order, so it binds and shows in their profile.
    const api = page.request
    const login = await api.post(`${BASE}/api/v1/auth/login`, { data: { tenant: TENANT, username: USER, password: PASSWORD } })
    const csrf = (await login.json()).csrf_token
    const list = await (await api.get(`${BASE}/api/v1/customers?limit=1`)).json()
    const customerId = list.items[0].id
    const added = await api.post(`${BASE}/api/v1/customers/${customerId}/identities`, {
      data: { kind: 'phone', value: phone }, headers: { 'X-CSRF-Token': csrf },
    })
    assert.equal(added.status(), 200, await added.text())

    await page.goto(`${BASE}/orders`)
    await page.locator(byTestId('orders-page')).waitFor()
    await page.locator(byTestId('orders-import')).click()
    const dialog = page.locator(byTestId('orders-import-dialog'))
    await dialog.getByText('通用格式').click()
    await dialog.locator('input[type=file]').setInputFiles(csv(bad))
    await page.locator(byTestId('orders-import-run')).click()
    const errors = page.locator(byTestId('orders-import-errors'))
    await errors.waitFor()
    assert.match(await errors.innerText(), /3\s+paid_at/, 'the bad row is listed with its row number and column')
    await shot('row-errors')

    await dialog.locator('input[type=file]').setInputFiles(csv(good))
    await page.locator(byTestId('orders-import-dry-run')).click()
    await page.locator(byTestId('orders-import-run')).click()
    await page.locator(byTestId('orders-import-summary')).waitFor()
    assert.match(await page.locator(byTestId('orders-import-summary')).innerText(), /2/)
    await shot('imported')
    await page.keyboard.press('Escape')
    const table = page.locator(byTestId('orders-table'))
    await table.getByText(`E2E-${stamp}-1`).waitFor()
    assert.match(await table.innerText(), /128\.00/)

    await page.goto(`${BASE}/customer-value`)
    await page.locator(byTestId('value-page')).waitFor()
    await page.locator(byTestId('value-recompute')).click()
    await page.locator(`${byTestId('value-segment-chart')} canvas`).waitFor()
    await page.locator(byTestId('value-segment-table')).getByText('重要价值客户').waitFor()
    await page.locator(byTestId('value-rules')).waitFor()
    await shot('value')

    await page.goto(`${BASE}/customers/${customerId}`)
    const card = page.locator(byTestId('customer-value-card'))
    await card.waitFor()
    assert.match(await card.innerText(), /128\.00/, 'the profile shows the bound order')
    await shot('profile-value')
    assert.deepEqual(pageErrors.map(String), [], 'no uncaught errors in the page')
  } catch (err) {
    await shot('FAILED')
    throw err
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
})
