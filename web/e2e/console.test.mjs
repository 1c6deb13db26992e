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

test('console: log in, browse customers, tag a customer and write a note, the sidebar, add a store and a staff member, a channel and a live code scanned into the channel stats, switch to English', { skip: !BASE && process.env.CI !== 'true' && 'SIYU_URL is not set', timeout: 180_000 }, async (t) => {
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
  const noteText = `E2E备注-${stamp}`
  let customerName = ''
  let tagName = ''
  let externalUserId = ''
  const channelName = `E2E渠道-${stamp}`
  const codeName = `E2E活码-${stamp}`
  let landingPath = ''

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

    await step('customer-tag-note', async () => {
      // A connected customer of the demo (its traffic brings the first ones within seconds).
      const rowSel = `${byTestId('customers-table')} .el-table__body-wrapper .el-table__row`
      const emptySel = `${byTestId('customers-table')} .el-table__empty-text`
      const deadline = Date.now() + 90_000
      for (;;) {
        await page.goto(`${BASE}/customers?status=active`)
        await page.locator(`${rowSel}, ${emptySel}`).first().waitFor()
        if ((await page.locator(rowSel).count()) > 0) break
        assert.ok(Date.now() < deadline, 'the demo has a connected customer within 90 s')
        await page.waitForTimeout(2000)
      }
      const first = page.locator(rowSel).first()
      customerName = (await first.locator(byTestId('customer-row-name')).innerText()).trim()
      await first.locator(byTestId('customer-row-name')).click()
      await page.waitForURL(/\/customers\/\d+/)
      const profile = page.locator(`${byTestId('customer-profile')}[data-state="ready"]`)
      await profile.locator(byTestId('customer-name')).filter({ hasText: customerName }).waitFor()
      const timeline = profile.locator(byTestId('customer-timeline'))

      // Tag: pick a tag of the library the customer does not have yet and save.
      await profile.locator(byTestId('customer-tags-edit')).click()
      await profile.locator(byTestId('customer-tags-select')).click()
      const option = page.locator('.el-select-dropdown:visible .el-select-dropdown__item:not(.is-selected)').first()
      await option.waitFor()
      tagName = (await option.innerText()).trim()
      assert.ok(tagName, 'the tag library has a tag to put on')
      await option.click()
      await profile.locator(byTestId('customer-tags-save')).click()
      await profile.locator(byTestId('customer-tags')).filter({ hasText: tagName }).waitFor()
      await timeline.locator(`${byTestId('customer-timeline-item')}[data-kind="tagged"]`).filter({ hasText: tagName }).first().waitFor()

      // Note: written in the notes panel, listed there and on the timeline.
      await profile.locator(`textarea[data-testid="note-content"], ${byTestId('note-content')} textarea`).fill(noteText)
      await profile.locator(byTestId('note-submit')).click()
      await profile.locator(byTestId('note-item')).filter({ hasText: noteText }).waitFor()
      await timeline.locator(`${byTestId('customer-timeline-item')}[data-kind="note"]`).filter({ hasText: noteText }).waitFor()
      externalUserId = (
        await profile.locator(`${byTestId('customer-identity')}[data-kind="wecom_external_userid"] .identity-value`).first().innerText()
      ).trim()
      assert.ok(externalUserId, 'the profile shows the WeCom external_userid')
    })

    await step('customer-search-bulk', async () => {
      // Find the tagged customer by keyword, select it and tag it again in bulk (through WeCom).
      const rowSel = `${byTestId('customers-table')} .el-table__body-wrapper .el-table__row`
      await page.goto(`${BASE}/customers?status=active`)
      await page.locator(`${byTestId('customers-card')}[data-state="ready"]`).waitFor()
      await page.locator(inputOf('customers-filter-q')).fill(customerName)
      await page.locator(byTestId('customers-search')).click()
      await page.waitForURL(/[?&]q=/)
      await page.locator(`${byTestId('customers-card')}[data-state="ready"]`).waitFor()
      const row = page.locator(rowSel).filter({ hasText: customerName }).first()
      await row.waitFor()
      await row.locator(byTestId('customer-row-tags')).filter({ hasText: tagName }).waitFor()
      await row.locator('.el-checkbox').first().click()
      await page.locator(byTestId('customers-bulk-bar')).waitFor()
      await page.locator(byTestId('customers-bulk-tag')).click()
      const dialog = page.locator('.el-dialog:visible').first()
      await dialog.waitFor()
      await dialog.locator(byTestId('customers-bulk-tags')).click()
      const option = page.locator('.el-select-dropdown:visible .el-select-dropdown__item').first()
      await option.waitFor()
      await option.click()
      await dialog.locator('.el-dialog__header').click() // closes the options
      await page.locator(byTestId('customers-bulk-confirm')).click()
      await page.locator('.el-message--success').first().waitFor()
      await page.locator(byTestId('customers-bulk-bar')).waitFor({ state: 'detached' })
    })

    await step('sidebar', async () => {
      // The WeCom sidebar of the same contact, at a phone's width: profile, the new tag and note.
      await page.setViewportSize({ width: 400, height: 800 })
      await page.goto(`${BASE}/sidebar?external_userid=${encodeURIComponent(externalUserId)}`)
      const sidebar = page.locator(`${byTestId('sidebar')}[data-state="ready"]`)
      await sidebar.locator(byTestId('sidebar-name')).filter({ hasText: customerName }).waitFor()
      await sidebar.locator(byTestId('sidebar-tags')).filter({ hasText: tagName }).waitFor()
      await sidebar.locator(byTestId('note-item')).filter({ hasText: noteText }).waitFor()
      await shot('sidebar-page')
      await page.setViewportSize({ width: 1366, height: 860 })
      await page.goto(`${BASE}/customers`)
      await page.locator(byTestId('nav-org')).waitFor()
    })

    await step('analytics', async () => {
      // The value reports: the channel ROI tab opens first; its tier table always ends with the
      // total row, whether or not the demo has channels.
      await page.locator(byTestId('nav-analytics')).click()
      await page.waitForURL(/\/analytics/)
      await page.locator(`${byTestId('roi-card')}[data-state="ready"]`).waitFor()
      assert.equal(await page.locator(`${byTestId('roi-card')} .el-alert--error`).count(), 0, 'the ROI report answered')
      assert.match(await page.locator(byTestId('roi-table')).innerText(), /渠道/)
      await page.locator(`${byTestId('roi-tier-table')} .el-table__row`).filter({ hasText: '合计' }).waitFor()
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

    await step('acquisition-channel', async () => {
      // A channel, created through its form (the owning unit picked in the org tree).
      await page.locator(byTestId('nav-channels')).click()
      await page.waitForURL(/\/acquisition\/channels$/)
      await page.locator(byTestId('channel-new')).click()
      await page.locator(inputOf('channel-name')).fill(channelName)
      await page.locator(`${byTestId('channel-unit')} .el-select__wrapper, ${byTestId('channel-unit')} .el-input__wrapper`).first().click()
      await page.locator('.org-unit-select-popper:visible .el-tree-node__content').first().click()
      await page.locator(byTestId('channel-save')).click()
      await page.locator(byTestId('channels-table')).filter({ hasText: channelName }).waitFor()
    })

    await step('acquisition-code', async () => {
      // A live code of that channel with one guide.
      await page.locator(byTestId('nav-live-codes')).click()
      await page.waitForURL(/\/acquisition\/live-codes$/)
      await page.locator(byTestId('code-new')).click()
      await page.locator(`${byTestId('code-channel')} .el-select__wrapper`).click()
      await page.locator('.el-popper.code-channel-popper .el-select-dropdown__item').filter({ hasText: channelName }).click()
      await page.locator('.el-popper.code-channel-popper').waitFor({ state: 'hidden' })
      await page.locator(inputOf('code-name')).fill(codeName)
      await page.locator(byTestId('code-add-staff')).click()
      await page.locator(`${byTestId('code-staff-0')} .el-select__wrapper`).click()
      await page.locator('.el-popper.code-staff-popper-0 .el-select-dropdown__item').first().click()
      await page.locator(byTestId('code-save')).click()
      const row = page.locator(`${byTestId('codes-table')} .el-table__row`).filter({ hasText: codeName })
      await row.waitFor()
      landingPath = (await row.locator('[data-testid^="code-landing-"]').innerText()).trim()
      assert.match(landingPath, /^\/l\/[a-z0-9]+$/)
      await row.locator('[data-testid^="code-qr-"]').click()
      await page.locator(`${byTestId('code-qr-img')}`).waitFor()
      await page.keyboard.press('Escape')
    })

    await step('acquisition-scan', async () => {
      // A customer scans the printed QR: the landing URL picks the guide, the simulator adds them.
      const landing = await page.request.get(`${BASE}${landingPath}?format=json`)
      assert.equal(landing.status(), 200, await landing.text())
      const { config_id: configId } = await landing.json()
      const settings = await (await page.request.get(`${BASE}/api/v1/settings/wecom`)).json()
      const sim = settings.api_base_url.replace(/\/cgi-bin\/?$/, '')
      const cu = await (await page.request.post(`${sim}/sim/customers`, { data: { name: `E2E扫码-${stamp}` } })).json()
      const scanned = await page.request.post(`${sim}/sim/scan`, { data: { external_userid: cu.external_userid, config_id: configId } })
      assert.equal(scanned.status(), 200, await scanned.text())
    })

    await step('acquisition-stats', async () => {
      // The add shows in the channel stats (the event is processed in the background).
      await page.locator(byTestId('nav-channel-stats')).click()
      await page.waitForURL(/\/acquisition\/stats$/)
      await page.locator(`${byTestId('stats-group-by')} .el-radio-button`).nth(1).click()
      const row = page.locator(`${byTestId('stats-table')} .el-table__row`).filter({ hasText: channelName })
      for (let i = 0; ; i++) {
        await page.locator(byTestId('stats-load')).click()
        await page.waitForTimeout(500)
        const cells = (await row.count()) ? await row.first().locator('td').allInnerTexts() : []
        // label, scans, adds, …
        if (cells.length > 2 && Number(cells[1]) >= 1 && Number(cells[2]) >= 1) break
        assert.ok(i < 40, `the channel's scan and add reach the stats: ${cells.join(' | ')}`)
      }
      await page.locator(`${byTestId('stats-chart')} canvas`).waitFor()
      await shot('acquisition-stats-page')
      await page.locator(byTestId('nav-staff')).click()
      await page.locator(byTestId('staff-table')).waitFor()
    })

    await step('sms-campaign', async () => {
      // An SMS campaign to two phones through the new live code (the demo's log provider "sends"
      // it); a recipient's short link counts the click and lands on the code.
      await page.locator(byTestId('nav-sms')).click()
      await page.waitForURL(/\/acquisition\/sms$/)
      await page.locator(byTestId('campaign-new')).click()
      await page.locator(inputOf('sms-name')).fill(`E2E短信-${stamp}`)
      await page.locator(`${byTestId('sms-code')} .el-select__wrapper`).click()
      await page.locator('.el-popper.sms-code-popper .el-select-dropdown__item').filter({ hasText: codeName }).click()
      await page.locator('.el-popper.sms-code-popper').waitFor({ state: 'hidden' })
      await page.locator(`textarea[data-testid="sms-phones"], [data-testid="sms-phones"] textarea`).fill(`13800138000,E2E\n${mobile}`)
      await page.locator(byTestId('sms-preview-btn')).click()
      await page.locator(byTestId('sms-preview')).filter({ hasText: '回T退订' }).waitFor()
      await page.locator(byTestId('sms-save')).click()
      const row = page.locator(`${byTestId('campaigns-table')} .el-table__row`).filter({ hasText: `E2E短信-${stamp}` })
      await row.waitFor()
      const campaigns = await (await page.request.get(`${BASE}/api/v1/sms/campaigns`)).json()
      const camp = campaigns.items.find((c) => c.name === `E2E短信-${stamp}`)
      let sent = camp
      for (let i = 0; sent.status !== 'done'; i++) {
        assert.ok(i < 40, `the campaign is sent: ${JSON.stringify(sent)}`)
        await page.waitForTimeout(500)
        sent = await (await page.request.get(`${BASE}/api/v1/sms/campaigns/${camp.id}`)).json()
      }
      assert.equal(sent.sent, 2)
      const recipients = await (await page.request.get(`${BASE}/api/v1/short-links/${camp.link_id}/recipients`)).json()
      const landing = await page.request.get(`${BASE}${recipients.items[0].path}?format=json`)
      assert.equal(landing.status(), 200, await landing.text())
      const link = await (await page.request.get(`${BASE}/api/v1/short-links/${camp.link_id}`)).json()
      assert.equal(link.unique_clicks, 1)
      await row.locator('[data-testid^="campaign-recipients-"]').click()
      await page.locator(`${byTestId('recipients-table')} .el-table__row`).first().waitFor()
      await page.keyboard.press('Escape')
      await page.locator(byTestId('nav-staff')).click()
      await page.locator(byTestId('staff-table')).waitFor()
    })

    await step('notifications, lost customers and transfers', async () => {
      // The bell in the header opens the latest notifications; the lost-customers view lists
      // what the demo's churn produced (or its empty state).
      await page.locator(byTestId('notification-bell')).click()
      await page.locator(byTestId('notification-view-all')).click()
      await page.waitForURL(/\/notifications$/)
      await page.locator(byTestId('notifications-table')).waitFor()
      await page.locator(byTestId('nav-losses')).click()
      await page.locator(byTestId('losses-table')).waitFor()

      // A transfer: a staff member with a customer, and another active member to take it.
      let from = null
      const list = await (await page.request.get(`${BASE}/api/v1/customers?status=active&limit=50`)).json()
      for (const c of list.items || []) {
        const d = await (await page.request.get(`${BASE}/api/v1/customers/${c.id}`)).json()
        const r = (d.relations || []).find((x) => x.status === 'active' && x.staff_id && x.staff_name)
        if (r) {
          from = { id: r.staff_id, name: r.staff_name }
          break
        }
      }
      assert.ok(from, 'the demo has a customer with an active staff relation')
      const staffList = await (await page.request.get(`${BASE}/api/v1/staff?status=active&limit=100`)).json()
      const to = (staffList.items || []).find((m) => m.id !== from.id && m.wecom_userid && m.name !== from.name)
      assert.ok(to, 'the demo has another active staff member')

      await page.locator(byTestId('nav-transfers')).click()
      await page.locator(byTestId('transfers-table')).waitFor()
      await page.locator(byTestId('transfer-new')).click()
      const dialog = page.locator('.el-dialog:visible').first()
      await dialog.waitFor()
      // The empty form says what is missing.
      await page.locator(byTestId('transfer-submit')).click()
      await dialog.locator('.el-form-item__error').first().waitFor()
      assert.ok((await dialog.locator('.el-form-item__error').count()) >= 3, 'from, to and customers are required')

      const pick = async (testId, name) => {
        await dialog.locator(byTestId(testId)).click()
        await page.keyboard.type(name)
        const option = page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: name }).first()
        await option.waitFor()
        await option.click()
      }
      await pick('transfer-from', from.name)
      const firstRow = dialog.locator(`${byTestId('transfer-customers')} tbody tr`).first()
      await firstRow.waitFor()
      await firstRow.locator('.el-checkbox').click()
      await pick('transfer-to', to.name)
      await page.locator(byTestId('transfer-submit')).click()

      // The detail opens with the customer; the worker submits it to WeCom (the simulator),
      // where it waits for the customer's 24 hours.
      const items = page.locator(`${byTestId('transfer-items')} tbody tr`)
      await items.first().waitFor()
      assert.equal(await items.count(), 1)
      for (let i = 0; ; i++) {
        await page.waitForTimeout(500)
        await page.locator(byTestId('transfer-detail')).locator('.el-drawer__close-btn').click()
        await page.locator(`${byTestId('transfers-table')} tbody tr`).first().click()
        const text = await items.first().innerText()
        if (/等待接替|成功/.test(text)) break
        assert.ok(i < 30, `the customer reaches WeCom: ${text}`)
      }
      await page.locator(byTestId('transfer-detail')).locator('.el-drawer__close-btn').click()
      // Back where the next step expects to be.
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
