// Browser test of custom fields, customer import and export against a running Siyu server
// (started by scripts/e2e.sh with the demo data; see console.test.mjs for the environment). A
// select field is defined; a file with one bad row is dry-run, then imported skipping the bad
// row, which is listed with its spreadsheet row number; the imported customer's profile shows the
// field; the list exports as CSV.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
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

test('customer data: a custom field, an import with a bad row, the profile, an export', { skip: !BASE && process.env.CI !== 'true' && 'SIYU_URL is not set', timeout: 120_000 }, async () => {
  mkdirSync(RESULTS, { recursive: true })
  const profile = mkdtempSync(join(tmpdir(), 'siyu-e2e-customer-data-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
    viewport: { width: 1366, height: 860 },
    locale: 'zh-CN',
    acceptDownloads: true,
  })
  const page = context.pages()[0] || (await context.newPage())
  page.setDefaultTimeout(20_000)
  const pageErrors = []
  page.on('pageerror', (err) => pageErrors.push(err))
  const shot = (name) => page.screenshot({ path: join(RESULTS, `customer-data-${name}.png`), fullPage: true }).catch(() => {})
  const stamp = Date.now().toString(36)
  const key = `e2e_${stamp}`
  const label = `等级${stamp}`
  const phone = `1370${String(Date.now() % 10_000_000).padStart(7, '0')}`
  const name = `导入${stamp}`
  const csv = `姓名,手机号,${label},备注\n${name},${phone},金卡,来自导入\n坏行,123,银卡,\n`
  try {
    await page.goto(`${BASE}/login?tenant=${encodeURIComponent(TENANT)}`)
    await page.locator(inputOf('login-username')).fill(USER)
    await page.locator(inputOf('login-password')).fill(PASSWORD)
    await page.locator(byTestId('login-submit')).click()
    await page.waitForURL((u) => !u.pathname.startsWith('/login'))

    // A select field.
    await page.goto(`${BASE}/settings/custom-fields`)
    await page.locator(`${byTestId('custom-fields-card')}[data-state="ready"]`).waitFor()
    await page.locator(byTestId('custom-field-add')).click()
    await page.locator(inputOf('custom-field-label')).fill(label)
    await page.locator(inputOf('custom-field-key')).fill(key)
    await page.locator(byTestId('custom-field-type')).click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: '单选' }).click()
    await page.locator(`textarea[data-testid="custom-field-options"], ${byTestId('custom-field-options')} textarea`).fill('金卡\n银卡')
    await page.locator(byTestId('custom-field-save')).click()
    await page.locator(byTestId('custom-fields-table')).getByText(label).waitFor()
    await shot('field')

    // Import: the header is recognised, a dry run, then skip the bad row.
    await page.goto(`${BASE}/customers`)
    await page.locator(`${byTestId('customers-card')}[data-state="ready"]`).waitFor()
    await page.locator(byTestId('customers-import')).click()
    const dialog = page.locator(byTestId('customer-import-dialog'))
    await dialog.locator('input[type=file]').setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
    const mapping = page.locator(byTestId('customer-import-mapping'))
    await mapping.waitFor()
    assert.match(await mapping.innerText(), new RegExp(label), 'the custom field column is recognised by its label')
    await dialog.getByText('跳过错误行').click()
    await page.locator(byTestId('customer-import-dry-run')).click()
    await page.locator(`${byTestId('customer-import-result')}[data-status="done"]`).waitFor()
    assert.match(await page.locator(byTestId('customer-import-summary')).innerText(), /预检/)
    await dialog.getByRole('button', { name: '调整后重新运行' }).click()
    await page.locator(byTestId('customer-import-run')).click()
    await page.locator(`${byTestId('customer-import-result')}[data-status="done"]`).waitFor()
    const summary = await page.locator(byTestId('customer-import-summary')).innerText()
    assert.match(summary, /新建 1/, summary)
    assert.match(await page.locator(byTestId('customer-import-errors')).innerText(), /3\s+手机号/, 'the bad row is listed as row 3')
    await shot('imported')
    await page.keyboard.press('Escape')

    // The profile shows the field.
    await page.locator(inputOf('customers-filter-q')).fill(name)
    await page.keyboard.press('Enter')
    await page.locator('.customer-row', { hasText: name }).first().click()
    await page.locator(byTestId(`customer-field-value-${key}`)).getByText('金卡').waitFor()
    await shot('profile')
    await page.keyboard.press('Escape')

    // Export the list as CSV.
    await page.locator(byTestId('customers-export')).click()
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(byTestId('customers-export-csv')).click()])
    assert.match(download.suggestedFilename(), /\.csv$/)
    const file = await download.path()
    assert.match(readFileSync(file, 'utf8'), new RegExp(phone))
    assert.deepEqual(pageErrors.map(String), [], 'no uncaught errors in the page')
  } catch (err) {
    await shot('FAILED')
    throw err
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
})
