// Browser test of the console against a running Siyu server (scripts/e2e.sh starts one with the
// demo data). Environment:
//   SIYU_URL       base URL of the server, e.g. http://127.0.0.1:18080 (required; the test is
//                  skipped without it)
//   SIYU_TENANT    tenant slug (default demo)
//   SIYU_USER      username (default admin)
//   SIYU_PASSWORD  password (default siyu-demo-2026)
//   SIYU_CHROMIUM  chromium executable (default /usr/bin/chromium)
// Screenshots of every step (and of a failure) go to web/test-results/.
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

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
]

const byTestId = (id) => `[data-testid="${id}"]`
// Element Plus puts extra attributes of el-input on the <input> itself; accept either place.
const inputOf = (id) => `input[data-testid="${id}"], [data-testid="${id}"] input`

test('console: log in, browse customers, add a store and a staff member, switch to English', { skip: !BASE && process.env.CI !== 'true' && 'SIYU_URL is not set', timeout: 180_000 }, async (t) => {
  mkdirSync(RESULTS, { recursive: true })
  const profile = mkdtempSync(join(tmpdir(), 'siyu-e2e-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1366, height: 860 },
    locale: 'zh-CN',
  })
  const page = context.pages()[0] || (await context.newPage())
  page.setDefaultTimeout(20_000)
  page.setDefaultNavigationTimeout(30_000)

  const pageErrors = []
  page.on('pageerror', (err) => pageErrors.push(err))
  page.on('console', (msg) => {
    if (msg.type() === 'error') t.diagnostic(`browser console: ${msg.text()}`)
  })

  let n = 0
  const shot = async (name) => {
    n += 1
    const file = join(RESULTS, `${String(n).padStart(2, '0')}-${name}.png`)
    await page.screenshot({ path: file, fullPage: true })
    return file
  }
  // step runs one part of the scenario, then saves a screenshot; a failure saves one too and
  // stops the scenario.
  const step = async (name, fn) => {
    try {
      await fn()
    } catch (err) {
      const file = await shot(`FAILED-${name}`).catch(() => '')
      if (file) t.diagnostic(`failure screenshot: ${file}`)
      throw err
    }
    await shot(name)
  }

  const stamp = Date.now().toString(36)
  const storeName = `E2E门店-${stamp}`
  const staffName = `E2E导购-${stamp}`
  const mobile = `139${String(Date.now()).slice(-8)}`
  const wecomUserid = `e2e-${stamp}`

  try {
    await step('login', async () => {
      await page.goto(`${BASE}/login?tenant=${encodeURIComponent(TENANT)}`)
      const tenant = page.locator(inputOf('login-tenant'))
      assert.equal(await tenant.inputValue(), TENANT, 'tenant slug is prefilled from ?tenant=')
      await page.locator(inputOf('login-username')).fill(USER)
      await page.locator(inputOf('login-password')).fill(PASSWORD)
      await page.locator(byTestId('login-submit')).click()
      // The home page of a role with customer.read is the customer list, first in the menu.
      await page.waitForURL(/\/customers$/)
      await page.locator(byTestId('nav-org')).waitFor()
      assert.match(await page.locator(byTestId('nav-org')).innerText(), /组织架构/)
      assert.equal(await page.locator('[data-testid^="nav-"]').first().getAttribute('data-testid'), 'nav-customers')
    })

    await step('customers', async () => {
      // The demo may or may not have customers yet (its traffic keeps adding them): the list
      // shows rows or its empty state; with a row, its profile shows a timeline.
      await page.locator(`${byTestId('customers-card')}[data-state="ready"]`).waitFor()
      const table = page.locator(byTestId('customers-table'))
      assert.match(await table.innerText(), /客户/, 'the table has its headers')
      const rowSel = `${byTestId('customers-table')} .el-table__body-wrapper .el-table__row`
      const emptySel = `${byTestId('customers-table')} .el-table__empty-text`
      // A filter nobody matches shows the empty state, whatever the demo holds.
      await page.locator(inputOf('customers-filter-state')).fill(`no-such-channel-${stamp}`)
      await page.locator(byTestId('customers-search')).click()
      await page.waitForURL(/[?&]state=no-such-channel-/)
      await page.locator(emptySel).filter({ hasText: '没有符合条件的客户' }).waitFor()
      await page.locator(`${byTestId('customers-card')}[data-state="ready"]`).waitFor()
      assert.equal(await page.locator(rowSel).count(), 0)
      await page.locator(byTestId('customers-reset')).click()
      await page.waitForURL(/\/customers$/)
      await page.locator(`${byTestId('customers-card')}[data-state="ready"]`).waitFor()
      // Either rows or the plain empty state, once the list answered.
      await page.locator(`${rowSel}, ${emptySel}`).first().waitFor()
      const rows = page.locator(rowSel)
      const count = await rows.count()
      t.diagnostic(`customers listed: ${count}`)
      if (count === 0) {
        await page.locator(emptySel).filter({ hasText: '暂无客户' }).waitFor()
        return
      }
      const first = rows.first()
      const name = (await first.locator(byTestId('customer-row-name')).innerText()).trim()
      assert.ok(name, 'the row shows a name')
      // Click the name: the channel tag of a row filters by the channel instead.
      await first.locator(byTestId('customer-row-name')).click()
      await page.waitForURL(/\/customers\/\d+$/)
      const profile = page.locator(`${byTestId('customer-profile')}[data-state="ready"]`)
      await profile.waitFor()
      assert.equal((await profile.locator(byTestId('customer-name')).innerText()).trim(), name)
      await profile.locator(byTestId('customer-relations')).waitFor()
      const timeline = profile.locator(byTestId('customer-timeline'))
      await timeline.waitFor()
      const events = timeline.locator(byTestId('customer-timeline-item'))
      const n = await events.count()
      t.diagnostic(`timeline events of ${name}: ${n}`)
      if (n > 0) {
        assert.ok((await events.first().innerText()).trim(), 'a timeline entry has text')
      } else {
        await timeline.locator(byTestId('customer-timeline-empty')).waitFor()
      }
      // The profile is deep-linkable: a reload shows it again.
      await page.reload()
      await page.locator(`${byTestId('customer-profile')}[data-state="ready"]`).locator(byTestId('customer-name')).filter({ hasText: name }).waitFor()
      // Closing goes back to the list.
      await page.locator('.el-drawer__close-btn').click()
      await page.waitForURL(/\/customers$/)
      await page.locator(byTestId('customer-profile')).waitFor({ state: 'detached' })
    })

    await step('org', async () => {
      await page.locator(byTestId('nav-org')).click()
      await page.waitForURL(/\/org$/)
      await page.locator(`${byTestId('org-node')}[data-top="true"]`).first().waitFor()
    })

    await step('create-store', async () => {
      const root = page.locator(`${byTestId('org-node')}[data-top="true"]`).first()
      await root.click()
      const rootName = await root.getAttribute('data-name')
      await assert.doesNotReject(
        page.locator(byTestId('org-detail-name')).filter({ hasText: rootName }).waitFor(),
        'the root unit is selected',
      )
      await page.locator(byTestId('org-add-child')).click()
      const dialog = page.locator('.el-dialog').filter({ has: page.locator(byTestId('org-form-name')) })
      await dialog.waitFor()
      await dialog.locator(inputOf('org-form-name')).fill(storeName)
      await dialog.locator(byTestId('org-kind-store')).click()
      await dialog.locator(byTestId('org-form-submit')).click()
      await dialog.waitFor({ state: 'hidden' })
      const node = page.locator(`${byTestId('org-node')}[data-name="${storeName}"]`)
      await node.waitFor()
      assert.equal(await node.getAttribute('data-kind'), 'store')
      await page.locator(byTestId('org-detail-name')).filter({ hasText: storeName }).waitFor()
    })

    await step('add-staff', async () => {
      await page.locator(byTestId('nav-staff')).click()
      await page.waitForURL(/\/staff/)
      await page.locator(byTestId('staff-table')).waitFor()
      await page.locator(byTestId('staff-add')).click()
      const dialog = page.locator('.el-dialog').filter({ has: page.locator(byTestId('staff-form-name')) })
      await dialog.waitFor()
      await dialog.locator(inputOf('staff-form-name')).fill(staffName)
      await dialog.locator(inputOf('staff-form-mobile')).fill(mobile)
      await dialog.locator(inputOf('staff-form-wecom')).fill(wecomUserid)
      // Pick the new store in the org-unit tree select: open it, filter by name, click the node.
      const select = dialog.locator(byTestId('staff-form-org'))
      await select.click()
      await select.locator('input').fill(storeName)
      const option = page.locator('.org-unit-select-popper:visible .el-tree-node__content').filter({ hasText: storeName })
      await option.first().click()
      await assert.doesNotReject(select.filter({ hasText: storeName }).waitFor(), 'the store is chosen')
      await dialog.locator(byTestId('staff-form-submit')).click()
      await dialog.waitFor({ state: 'hidden' })
    })

    await step('staff-in-table', async () => {
      // Ask the server again, filtered by keyword, so the row comes from GET /api/v1/staff.
      await page.locator(inputOf('staff-filter-q')).fill(staffName)
      await page.locator(byTestId('staff-search')).click()
      await page.waitForURL(/[?&]q=/)
      const row = page.locator(`${byTestId('staff-table')} .el-table__row`).filter({ hasText: staffName })
      await row.waitFor()
      assert.equal(await page.locator(`${byTestId('staff-table')} .el-table__row`).count(), 1)
      const text = await row.innerText()
      assert.ok(text.includes(storeName), `row shows the store: ${text}`)
      assert.ok(text.includes(wecomUserid), `row shows the WeCom userid: ${text}`)
    })

    await step('wecom-settings', async () => {
      await page.locator(byTestId('nav-wecom-settings')).click()
      await page.waitForURL(/\/settings\/wecom$/)
      await page.locator(inputOf('wecom-api-base-url')).waitFor()
      await page.locator(`textarea[data-testid="wecom-welcome-text"], ${byTestId('wecom-welcome-text')} textarea`).waitFor()
    })

    await step('wecom-sync', async () => {
      await page.locator(byTestId('nav-wecom-sync')).click()
      await page.waitForURL(/\/wecom\/sync$/)
      const labels = { pending: '待处理', processing: '处理中', done: '已完成', failed: '失败' }
      for (const [status, label] of Object.entries(labels)) {
        const tile = page.locator(byTestId(`sync-stat-${status}`))
        // The value turns from "-" into a number once GET /api/v1/wecom/status answered.
        await tile.locator('.sync-tile-value').filter({ hasText: /^\d+$/ }).waitFor()
        assert.ok((await tile.innerText()).includes(label), `tile ${status} is labelled ${label}`)
      }
      await page.locator(byTestId('sync-last-received')).filter({ hasText: '最近收到回调' }).waitFor()
      await page.locator(byTestId('sync-runs-card')).waitFor()
      assert.equal(await page.locator(byTestId('sync-status-error')).count(), 0, 'the status endpoint answered')
      // Back to the staff list for the language switch below.
      await page.locator(byTestId('nav-staff')).click()
      await page.locator(byTestId('staff-table')).waitFor()
    })

    await step('english', async () => {
      await page.locator(byTestId('lang-switch')).click()
      await page.locator(byTestId('lang-option-en')).click()
      await page.locator(byTestId('nav-staff')).filter({ hasText: 'Staff' }).waitFor()
      assert.match(await page.locator(byTestId('nav-org')).innerText(), /Organization/)
      // The choice survives a reload.
      await page.reload()
      await page.locator(byTestId('nav-org')).filter({ hasText: 'Organization' }).waitFor()
      assert.match(await page.locator(byTestId('staff-table')).innerText(), /Name/)
    })

    assert.deepEqual(pageErrors.map(String), [], 'no uncaught errors in the page')
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
})
