// Browser tests of the admin app: Debian's chromium (driven by playwright-core, headless) against
// `wxhub dev` started here on free ports with a fresh SQLite database. Exits non-zero on any
// failure — and when chromium is missing: CI must never skip these.
//
//   WXHUB_PYTHON=../../.venv/bin/python node e2e/run.mjs [name-filter]
//   (WXHUB_E2E_SCREENSHOTS=1 also refreshes docs/screenshots/)
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '../../..')
const artifacts = join(here, 'artifacts')
// The README's screenshots are refreshed only when asked (make web-screenshots); otherwise the
// run leaves its pictures with the other artifacts, outside the tracked tree.
const shots = process.env.WXHUB_E2E_SCREENSHOTS ? join(repo, 'docs', 'screenshots') : join(artifacts, 'screenshots')
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const PYTHON = process.env.WXHUB_PYTHON || join(repo, '.venv', 'bin', 'python')
const filter = process.argv[2] || ''
const DESKTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }

// Demo users (TEST passwords, libs/common/db/demo_admin.py) and the side-menu entries their roles
// open (web/admin/src/lib/nav.ts order).
const USERS = {
  admin: { password: 'admin-TEST-pass-1', nav: ['overview', 'stats', 'console', 'simulator', 'commands', 'menus', 'publications', 'materials', 'reminders', 'locations', 'customers', 'applications', 'accounts', 'orgs', 'users', 'roles', 'config', 'audit', 'deadLetters'] },
  approver: { password: 'approver-TEST-pass-1', nav: ['overview', 'menus', 'publications', 'materials', 'customers', 'accounts', 'audit'] },
  sh_editor: { password: 'editor-TEST-pass-1', nav: ['overview', 'simulator', 'commands', 'menus', 'publications', 'materials', 'reminders', 'locations', 'customers', 'applications', 'accounts'] },
  agent1: { password: 'agent1-TEST-pass-1', nav: ['overview', 'console', 'customers', 'accounts'] },
}

function fail(message) {
  console.error(`e2e: ${message}`)
  process.exit(1)
}

if (!existsSync(CHROMIUM)) fail(`chromium not found at ${CHROMIUM}: install Debian's chromium (make chromium)`)
if (!existsSync(PYTHON)) fail(`python not found at ${PYTHON}: run make venv`)
if (!existsSync(join(here, '..', 'dist', 'index.html'))) fail('the app is not built: run make web')

function freePort() {
  return new Promise((ok, ko) => {
    const server = createServer()
    server.once('error', ko)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => ok(port))
    })
  })
}

async function waitReady(url, child, logFile, seconds = 90) {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300))
  }
  fail(`wxhub dev did not become ready:\n${readFileSync(logFile, 'utf8').slice(-3000)}`)
}

// ---- start wxhub dev ---------------------------------------------------------------------------
const names = ['gateway', 'admin', 'stats', 'engine', 'dispatcher', 'wechat_sandbox', 'sms_sandbox', 'core_sandbox']
const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()])))
const work = mkdtempSync(join(tmpdir(), 'wxhub-e2e-'))
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WXHUB_')))
for (const [name, port] of Object.entries(ports)) env[`WXHUB_${name.toUpperCase()}_PORT`] = String(port)
Object.assign(env, {
  WXHUB_DATABASE_URL: `sqlite+aiosqlite:///${work}/wxhub.db`,
  WXHUB_STORAGE_DIR: join(work, 'materials'),
  WXHUB_SCHEDULER_INTERVAL_S: '1',
  WXHUB_LOG_LEVEL: 'INFO',
})
const logFile = join(work, 'dev.log')
const log = openSync(logFile, 'w')
const dev = spawn(PYTHON, ['-m', 'wxhub.cli', 'dev'], { cwd: repo, env, stdio: ['ignore', log, log] })
const base = `http://127.0.0.1:${ports.admin}`
const stop = () => {
  if (dev.exitCode === null) dev.kill('SIGTERM')
}
process.on('exit', stop)
await waitReady(`${base}/readyz`, dev, logFile)
await waitReady(`http://127.0.0.1:${ports.gateway}/readyz`, dev, logFile)

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})

// ---- a tiny harness ------------------------------------------------------------------------------
const results = []
async function test(name, body) {
  if (filter && !name.includes(filter)) return
  const started = Date.now()
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' })
  const page = await context.newPage()
  const errors = []
  const calls = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('response', (r) => {
    if (r.url().includes('/api/')) calls.push(`${r.status()} ${r.request().method()} ${r.url().replace(base, '')}`)
  })
  try {
    await body(page, context)
    if (errors.length) throw new Error(`errors in the page: ${errors.join('; ')}`)
    results.push([name, null])
    console.log(`  ok    ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  } catch (error) {
    results.push([name, error])
    mkdirSync(artifacts, { recursive: true })
    await page.screenshot({ path: join(artifacts, `${name.replace(/\W+/g, '_')}.png`), fullPage: true }).catch(() => {})
    console.log(`  FAIL  ${name}\n        ${String(error?.stack ?? error).split('\n').slice(0, 6).join('\n        ')}`)
    console.log(`        last API calls:\n          ${calls.slice(-8).join('\n          ')}`)
  } finally {
    await context.close()
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message)
}

async function login(page, username, password = USERS[username].password) {
  await page.goto(`${base}/login`)
  await page.locator('[data-test=username]').fill(username)
  await page.locator('[data-test=password]').fill(password)
  await page.locator('[data-test=login-submit]').click()
  await page.locator('[data-test=nav]').first().waitFor({ state: 'attached' })
  // let the overview's requests finish before the test navigates away
  await page.waitForLoadState('networkidle')
}

/** The path of a side-menu entry (web/admin/src/lib/nav.ts). */
function pathOf(name) {
  return name === 'overview' ? '/' : `/${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
}

/** Submit a business notification signed like the demo business system (Python signs it). */
async function notify(fields) {
  const body = JSON.stringify({
    account: 'demo', event_type: 'fund_confirm', to: { customer_no: 'C00000001' },
    data: { fund_name: '演示成长混合', fund_code: '000001', amount: '10,000.00', shares: '8,100.45', confirm_date: '2025-06-30' },
    ...fields,
  })
  const sign = 'import json, sys\nfrom services.gateway.api.auth import signed_headers\nfrom wxhub.demo.outbound import DEMO_SYSTEM\n' +
    'print(json.dumps(signed_headers(DEMO_SYSTEM.code, DEMO_SYSTEM.secret, sys.stdin.buffer.read())))'
  const headers = JSON.parse(execFileSync(PYTHON, ['-c', sign], { cwd: repo, input: body }).toString())
  const answer = await fetch(`http://127.0.0.1:${ports.gateway}/api/v1/notifications`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } })
  const text = await answer.text()
  expect(answer.status === 202, `notification: ${answer.status} ${text}`)
  return JSON.parse(text).id
}

/** What the focused element is and the name a screen reader announces for it. */
async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement
    if (!el || el === document.body) return { tag: 'body', name: '' }
    const labelled = el.getAttribute('aria-labelledby')
    const name = el.getAttribute('aria-label') ||
      (labelled && document.getElementById(labelled)?.textContent) ||
      (el.labels && el.labels[0]?.textContent) ||
      el.textContent || ''
    return { tag: el.tagName.toLowerCase(), type: el.getAttribute('type') || '', name: name.trim() }
  })
}

/** Visible form fields without an accessible name (label, aria-label or aria-labelledby). */
async function unlabelledFields(page) {
  return page.evaluate(() => {
    const named = (el) => Boolean(
      el.getAttribute('aria-label')?.trim() ||
      (el.getAttribute('aria-labelledby') || '').split(' ').some((id) => document.getElementById(id)?.textContent?.trim()) ||
      [...(el.labels ?? [])].some((l) => l.textContent.trim()) ||
      el.getAttribute('title')?.trim(),
    )
    const visible = (el) => el.offsetParent !== null || el.getClientRects().length > 0
    return [...document.querySelectorAll('input:not([type=hidden]):not([type=radio]):not([type=checkbox]), textarea, select')]
      .filter((el) => visible(el) && !el.closest('.el-select-dropdown, .el-picker-panel') && !named(el))
      .map((el) => `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ')[0] : ''}${el.placeholder ? ` "${el.placeholder}"` : ''} in ${el.closest('.el-select')?.parentElement?.outerHTML.slice(0, 300) ?? ''}`)
  })
}

async function navNames(page) {
  return page.locator('.aside [data-nav]').evaluateAll((items) => items.map((i) => i.getAttribute('data-nav')))
}

async function chooseLocale(page, label) {
  await page.locator('[data-test=locale]').first().click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: label }).click()
}

/** Send text in the simulator until the reply contains `expected` (the engine caches config 5 s). */
async function simulatorAsk(page, input, send, text, expected, seconds = 15) {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    await page.locator(input).fill(text)
    await page.locator(send).click()
    const reply = page.locator('[data-test=bubble][data-source=passive]').last()
    await reply.waitFor()
    await page.waitForTimeout(200)
    if ((await reply.innerText()).includes(expected)) return
    await page.waitForTimeout(1500)
  }
  throw new Error(`no passive reply containing ${JSON.stringify(expected)} to ${JSON.stringify(text)}`)
}

// ---- scenarios -------------------------------------------------------------------------------
console.log(`e2e: wxhub dev at ${base} (gateway ${ports.gateway}), chromium ${browser.version()}`)

for (const [username, { nav }] of Object.entries(USERS)) {
  await test(`${username} sees only permitted menu entries`, async (page) => {
    await login(page, username)
    const shown = await navNames(page)
    expect(JSON.stringify(shown) === JSON.stringify(nav), `menu of ${username}: ${shown} (expected ${nav})`)
    if (!nav.includes('users')) {
      await page.goto(`${base}/users`)
      await page.locator('[data-test=forbidden]').waitFor()
    }
  })
}

await test('wrong password is refused with a clear message', async (page) => {
  await page.goto(`${base}/login`)
  await page.locator('[data-test=username]').fill('approver')
  await page.locator('[data-test=password]').fill('not-the-password')
  await page.locator('[data-test=login-submit]').click()
  await page.locator('[data-test=login-error]', { hasText: '用户名或密码错误' }).waitFor()
})

await test('an expired access token is renewed; a refused refresh token asks to log in again', async (page) => {
  await login(page, 'approver')
  await page.evaluate(() => {
    const tokens = JSON.parse(localStorage.getItem('wxhub.tokens'))
    localStorage.setItem('wxhub.tokens', JSON.stringify({ ...tokens, access: 'expired-access-token' }))
  })
  await page.goto(`${base}/publications`)
  await page.locator('[data-test=pub-table]').waitFor()
  const renewed = await page.evaluate(() => JSON.parse(localStorage.getItem('wxhub.tokens')).access)
  expect(renewed !== 'expired-access-token', 'the access token was renewed')
  await page.evaluate(() => localStorage.setItem('wxhub.tokens', JSON.stringify({ access: 'expired', refresh: 'revoked.refresh' })))
  await page.goto(`${base}/audit`)
  await page.locator('.el-message', { hasText: '登录已过期' }).waitFor()
  await page.locator('[data-test=login-submit]').waitFor()
})

await test('the login form works from the keyboard, every field labelled', async (page) => {
  await page.goto(`${base}/login`)
  await page.locator('[data-test=login-submit]').waitFor()
  const order = []
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab')
    const now = await focused(page)
    order.push(now)
    if (now.tag === 'button') break
  }
  const names = order.map((f) => f.name)
  expect(JSON.stringify(names) === JSON.stringify(['语言', '用户名', '密码', '登录']), `tab order: ${JSON.stringify(order)}`)
  expect(order[1].tag === 'input' && order[2].type === 'password', `fields: ${JSON.stringify(order)}`)
  expect((await unlabelledFields(page)).length === 0, `unlabelled: ${await unlabelledFields(page)}`)
  // fill and submit without the mouse: Shift+Tab back to the user name, Enter submits
  await page.keyboard.press('Shift+Tab')
  await page.keyboard.press('Shift+Tab')
  expect((await focused(page)).name === '用户名', 'Shift+Tab returns to the user name')
  await page.keyboard.type('approver')
  await page.keyboard.press('Tab')
  await page.keyboard.type('wrong-password')
  await page.keyboard.press('Enter')
  await page.locator('[data-test=login-error]', { hasText: '用户名或密码错误' }).waitFor()
  await page.locator('[data-test=password]').fill('')
  await page.locator('[data-test=password]').focus()
  await page.keyboard.type(USERS.approver.password)
  await page.keyboard.press('Enter')
  await page.locator('[data-test=nav]').first().waitFor()
})

await test('switch language', async (page) => {
  await page.goto(`${base}/login`)
  await page.locator('[data-test=login-submit]', { hasText: '登录' }).waitFor()
  await chooseLocale(page, 'English')
  await page.locator('[data-test=login-submit]', { hasText: 'Log in' }).waitFor()
  await login(page, 'approver')
  await page.locator('.aside [data-nav=publications]', { hasText: 'Publishing' }).waitFor()
  await page.reload()
  await page.locator('.aside [data-nav=publications]', { hasText: 'Publishing' }).waitFor()
  await chooseLocale(page, '简体中文')
  await page.locator('.aside [data-nav=publications]', { hasText: '消息发布' }).waitFor()
})

await test('create a command and get its answer in the simulator', async (page) => {
  await login(page, 'admin')
  await page.goto(`${base}/commands`)
  await page.waitForLoadState('networkidle')
  await page.locator('[data-test=create]').click()
  const dialog = page.locator('.el-dialog:visible')
  await dialog.locator('#f-commands-name').fill('浏览器测试指令')
  await dialog.locator('#f-commands-pattern').fill('你好wxhub')
  await dialog.locator('#f-commands-params').fill('{"content": "这是浏览器测试创建的指令的回答"}')
  await dialog.locator('[data-test=save]').click()
  await page.locator('.el-table', { hasText: '你好wxhub' }).waitFor()
  // the "try it" box on the same page goes through the simulator
  await simulatorAsk(page, '[data-test=try-input]', '[data-test=try-send]', '你好wxhub', '这是浏览器测试创建的指令的回答')
  await page.goto(`${base}/simulator`)
  // the account and its menu load after the page shows: act once they are there
  await page.waitForLoadState('networkidle')
  await page.locator('[data-test=sim-subscribe]').click()
  await page.locator('[data-test=bubble][data-source=passive]').first().waitFor()
  await simulatorAsk(page, '[data-test=sim-input]', '[data-test=sim-send]', '你好wxhub', '这是浏览器测试创建的指令的回答')
  await simulatorAsk(page, '[data-test=sim-input]', '[data-test=sim-send]', '基金 000001', '单位净值')
  await page.locator('[data-test=sim-status]').waitFor()
  mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: join(shots, 'simulator.png') })
})

await test('a command answers from the material library, picked in the form', async (page) => {
  await login(page, 'admin')
  await page.goto(`${base}/commands`)
  await page.waitForLoadState('networkidle')
  await page.locator('[data-test=create]').click()
  const dialog = page.locator('.el-dialog:visible')
  await dialog.locator('#f-commands-name').fill('素材回复测试')
  await dialog.locator('#f-commands-pattern').fill('素材E2E')
  await dialog.locator('.el-form-item', { has: page.locator('#f-commands-handler') }).locator('.el-select__wrapper').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '素材库回复' }).click()
  await dialog.locator('[data-test=material-reply-type]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '图文' }).click()
  await dialog.locator('[data-test=material-choice]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '信用卡办理指南' }).click()
  const params = JSON.parse(await dialog.locator('#f-commands-params').inputValue())
  expect(params.reply_type === 'news' && Number.isInteger(params.material_id) && !('content' in params), `params: ${JSON.stringify(params)}`)
  mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: join(shots, 'command-material-picker.png') })
  await dialog.locator('[data-test=save]').click()
  await page.locator('.el-table', { hasText: '素材E2E' }).waitFor()
  await simulatorAsk(page, '[data-test=try-input]', '[data-test=try-send]', '素材E2E', '信用卡办理指南')
})

await test('build and publish a menu and see it in the simulator', async (page) => {
  await login(page, 'admin')
  // the saved draft (the demo account has one) loads after the page shows: edit once it is there
  const draft = page.waitForResponse((r) => /\/api\/v1\/accounts\/\d+\/menu$/.test(r.url()))
  await page.goto(`${base}/menus`)
  await draft
  await page.locator('[data-test=menu-preview]').waitFor()
  await page.waitForLoadState('networkidle')
  // start from a one-button menu: remove what the draft holds, then add a button
  const tops = page.locator('[data-test=menu-preview] .cell')
  for (let left = await tops.count(); left > 0; left--) {
    await page.locator('[data-test=menu-preview] .cell .top').first().click()
    await page.locator('[data-test=menu-remove]').click()
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=menu-preview] .cell').length < n, left)
  }
  await page.locator('[data-test=menu-add-top]').click()
  await page.locator('[data-test=menu-name]').fill('一二三四五六')
  await page.locator('[data-test=menu-problems]', { hasText: '18' }).waitFor()
  expect(await page.locator('[data-test=menu-publish]').isDisabled(), 'publish must be disabled over the limit')
  await page.locator('[data-test=menu-name]').fill('净值E2E')
  await page.locator('[data-test=menu-key]').fill('E2E_NAV')
  await page.locator('[data-test=menu-publish]').click()
  await page.locator('[data-test=menu-remote]', { hasText: '净值E2E' }).waitFor()
  // what the button answers: a menu key action
  await page.goto(`${base}/commands`)
  await page.getByRole('tab', { name: '菜单 KEY 动作' }).click()
  await page.locator('.el-tab-pane:visible [data-test=create]').click()
  const dialog = page.locator('.el-dialog:visible')
  await dialog.locator('#f-menuActions-key').fill('E2E_NAV')
  await dialog.locator('#f-menuActions-params').fill('{"content": "菜单按钮的回答 E2E"}')
  await dialog.locator('[data-test=save]').click()
  await page.locator('.el-tab-pane:visible .el-table', { hasText: 'E2E_NAV' }).waitFor()
  await page.goto(`${base}/simulator`)
  const button = page.locator('[data-test=sim-menu] [data-menu="净值E2E"]')
  await button.waitFor()
  const deadline = Date.now() + 15000
  for (;;) {
    await button.click()
    await page.locator('[data-test=bubble][data-source=user]', { hasText: 'E2E_NAV' }).last().waitFor()
    await page.waitForTimeout(300)
    const replies = await page.locator('[data-test=bubble][data-source=passive]').allInnerTexts()
    if (replies.some((r) => r.includes('菜单按钮的回答 E2E'))) break
    if (Date.now() > deadline) throw new Error(`the menu button got no answer: ${replies.slice(-2)}`)
    await page.waitForTimeout(1500)
  }
})

await test('branch editor submits a mass send, approver approves on a phone, the follower receives it', async (page, context) => {
  const openid = `oE2eMass${Date.now() % 100000}`
  const text = `E2E 群发 ${openid}`
  // the follower exists: subscribe through the simulator
  await login(page, 'sh_editor')
  await page.goto(`${base}/simulator`)
  await page.waitForLoadState('networkidle')
  await page.locator('[data-test=sim-openid]').fill(openid)
  await page.locator('[data-test=sim-openid]').press('Enter')
  await page.locator('[data-test=sim-subscribe]').click()
  await page.locator('[data-test=sim-status]', { hasText: '200' }).waitFor()
  // compose and submit
  await page.goto(`${base}/publications`)
  await page.locator('[data-kind=mass]').click()
  await page.locator('[data-test=pub-title]').fill(text)
  await page.locator('[data-test=pub-text]').fill(text)
  await page.locator('[data-test=pub-count]', { hasText: /\d+/ }).waitFor()
  mkdirSync(shots, { recursive: true })
  await page.setViewportSize({ width: 1280, height: 1060 })
  await page.screenshot({ path: join(shots, 'publishing.png') })
  await page.setViewportSize(DESKTOP)
  await page.locator('[data-test=pub-submit]').click()
  await page.locator('[data-test=pub-status]', { hasText: '待审核' }).waitFor()
  // the approver, on a phone
  const phone = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', isMobile: true, hasTouch: true })
  try {
    const p = await phone.newPage()
    await login(p, 'approver')
    expect(await p.locator('[data-test=menu-toggle]').isVisible(), 'the menu toggle shows on a phone')
    expect(!(await p.locator('.aside').isVisible()), 'the side menu is folded away on a phone')
    await p.goto(`${base}/publications`)
    await p.locator('[data-test=pub-table] .el-table__row', { hasText: text }).first().click()
    await p.locator('[data-test=pub-comment]').fill('同意发送')
    const box = await p.locator('[data-test=pub-approve]').boundingBox()
    expect(box && box.x >= 0 && box.x + box.width <= PHONE.width, 'the approve button is on screen')
    await p.screenshot({ path: join(shots, 'publishing-phone.png') })
    await p.locator('[data-test=pub-approve]').click()
    await p.locator('[data-test=pub-status]', { hasText: /已通过|已排期|发送中|已完成/ }).waitFor()
  } finally {
    await phone.close()
  }
  // the approval claimed a send of the month's quota: the ledger names it
  await page.goto(`${base}/publications`)
  await page.locator('[data-test=pub-ledger-open]').click()
  await page.locator('[data-test=pub-ledger]', { hasText: text }).waitFor()
  await page.keyboard.press('Escape')
  // the follower receives it (the simulator polls the WeChat sandbox's record)
  await page.goto(`${base}/simulator`)
  await page.locator('[data-test=sim-openid]').fill(openid)
  await page.locator('[data-test=sim-openid]').press('Enter')
  await page.locator('[data-test=bubble]', { hasText: text }).waitFor({ timeout: 30000 })
  void context
})

await test('an oversized image shows the limit message', async (page) => {
  await login(page, 'sh_editor')
  await page.goto(`${base}/materials`)
  const big = Buffer.alloc(3 * 1024 * 1024 + 5, 0)
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(big)
  await page.locator('[data-test=upload-file]').setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: big })
  await page.locator('[data-test=upload-error]', { hasText: '2 MB' }).waitFor()
})

await test('config file: save a version, see its diff, roll back', async (page) => {
  await login(page, 'admin')
  await page.goto(`${base}/config`)
  await page.locator('[data-test=create]').click()
  const dialog = page.locator('.el-dialog:visible')
  await dialog.locator('#f-config-name').fill('e2e.yaml')
  await dialog.locator('#f-config-content').fill('limit: 1\n')
  await dialog.locator('[data-test=save]').click()
  await page.locator('.el-table__row', { hasText: 'e2e.yaml' }).getByRole('button', { name: '打开' }).click()
  const drawer = page.locator('.el-drawer:visible')
  await drawer.locator('textarea').first().fill('limit: 2\n')
  await drawer.getByRole('button', { name: '保存' }).click()
  await drawer.locator('.diff .add', { hasText: '+limit: 2' }).waitFor()
  await drawer.getByRole('button', { name: '回滚到此版本' }).click()
  await page.locator('.el-drawer__header', { hasText: 'v3' }).waitFor()
  expect((await drawer.locator('textarea').first().inputValue()) === 'limit: 1\n', 'rolled back to version 1')
})

await test('customers: numbers masked; reveal asks for a reason, shows them, and is audited', async (page) => {
  await login(page, 'admin')
  await page.goto(`${base}/customers`)
  const row = page.locator('.el-table__row', { hasText: 'oWxhubDemoCustomer0000000001' }).first()
  await row.waitFor()
  const masked = await page.locator('.el-table').first().innerText()
  expect(masked.includes('138****0001') && !masked.includes('13800000001') && !masked.includes('C00000001'), 'the table shows masked numbers only')
  await row.locator('[data-test=reveal]').click()
  const dialog = page.locator('.el-dialog:visible')
  await dialog.locator('[data-test=reveal-submit]').click()
  await dialog.locator('.el-form-item__error', { hasText: '查看原因' }).waitFor()
  // the label names the field (keyboard and screen-reader users reach it by its label)
  await page.getByLabel('查看原因').fill('客户来电核实身份')
  await dialog.locator('[data-test=reveal-submit]').click()
  const shown = dialog.locator('[data-test=revealed]')
  await shown.waitFor()
  const text = await shown.innerText()
  expect(text.includes('13800000001') && text.includes('C00000001'), `the full numbers are shown: ${text}`)
  await dialog.getByRole('button', { name: '关闭', exact: true }).click()
  await page.goto(`${base}/audit`)
  await page.locator('.el-table__row', { hasText: 'customer.reveal' }).first().waitFor()
  // the approver reads customers but may not reveal them
  await page.evaluate(() => localStorage.clear())
  await login(page, 'approver')
  await page.goto(`${base}/customers`)
  await page.locator('.el-table__row', { hasText: 'oWxhubDemoCustomer0000000001' }).first().waitFor()
  expect((await page.locator('[data-test=reveal]').count()) === 0, 'no reveal button without customer.reveal')
})

await test('applications: phone masked; the status moves on with a note for the applicant, audited', async (page) => {
  await login(page, 'admin')
  await page.goto(`${base}/applications`)
  const row = page.locator('.el-table__row', { hasText: '王小明' }).first()
  await row.waitFor()
  const table = await page.locator('.el-table').first().innerText()
  expect(table.includes('139****0021') && !table.includes('13900000021'), 'the table shows the phone masked')
  await row.locator('[data-test=change-status]').click()
  const dialog = page.locator('.el-dialog:visible')
  await page.getByLabel('给客户的说明').fill('资料已收到，预计 3 个工作日内完成审核')
  await dialog.locator('[data-test=status-submit]').click()
  await page.locator('.el-table__row', { hasText: '审核中' }).first().waitFor()
  await page.locator('.el-table__row', { hasText: '资料已收到' }).first().waitFor()
  await page.goto(`${base}/audit`)
  await page.locator('.el-table__row', { hasText: 'application.status' }).first().waitFor()
  // the approver may not read applications at all
  await page.evaluate(() => localStorage.clear())
  await login(page, 'approver')
  await page.goto(`${base}/applications`)
  await page.locator('[data-test=forbidden]').waitFor()
})

await test('dead letters: inspect an undeliverable notification and replay it', async (page) => {
  const sandbox = `http://127.0.0.1:${ports.wechat_sandbox}/__sandbox__/faults`
  const fault = { path: '/cgi-bin/message/template/send', http_status: 503 }
  expect((await fetch(sandbox, { method: 'POST', body: JSON.stringify(fault), headers: { 'Content-Type': 'application/json' } })).ok, 'fault armed')
  let id
  try {
    id = await notify({ fallback: 'none', deadline_s: 1, idempotency_key: `e2e-dead-${Date.now()}` })
    await login(page, 'admin')
    await page.goto(`${base}/dead-letters`)
    const row = page.locator('[data-test=dl-table] .el-table__row', { hasText: id })
    const deadline = Date.now() + 30000
    while (!(await row.count())) {
      if (Date.now() > deadline) throw new Error(`notification ${id} never reached the dead letters`)
      await page.waitForTimeout(1000)
      await page.locator('[data-test=dl-refresh]').click()
      await page.waitForLoadState('networkidle')
    }
  } finally {
    await fetch(sandbox, { method: 'DELETE' })
  }
  const row = page.locator('[data-test=dl-table] .el-table__row', { hasText: id })
  await row.locator('[data-test=dl-inspect]').click()
  await page.locator('[data-test=dl-body]', { hasText: id }).waitFor()
  await page.keyboard.press('Escape')
  await row.locator('[data-test=dl-replay]').click()
  await page.locator('.el-message-box').getByRole('button', { name: /确定|OK/ }).click()
  await page.locator('[data-test=dl-result]', { hasText: '已重放 1 条' }).waitFor()
  await row.waitFor({ state: 'detached' })
  // the branch editor has no deadletter.replay: no menu entry, and the page is refused
  await page.evaluate(() => localStorage.clear())
  await login(page, 'sh_editor')
  await page.goto(`${base}/dead-letters`)
  await page.locator('[data-test=forbidden]').waitFor()
})

await test('statistics: a follower\'s messages show in the report, its chart, its CSV and the overview', async (page) => {
  await login(page, 'admin')
  await page.goto(`${base}/simulator`)
  await page.waitForLoadState('networkidle')
  await page.locator('[data-test=sim-openid]').fill(`oE2eStats${Date.now() % 100000}`)
  await page.locator('[data-test=sim-openid]').press('Enter')
  await page.locator('[data-test=sim-subscribe]').click()
  await page.locator('[data-test=bubble][data-source=passive]').first().waitFor()
  await page.goto(`${base}/stats`)
  const row = page.locator('[data-test=stats-table] .el-table__row', { hasText: 'demo' }).first()
  const deadline = Date.now() + 30000
  while (!(await row.count())) {
    if (Date.now() > deadline) throw new Error('the inbound report never showed the demo account')
    await page.waitForTimeout(1000)
    await page.getByRole('button', { name: '刷新' }).click()
    await page.waitForLoadState('networkidle')
  }
  await page.locator('[data-test=stats-chart] canvas').waitFor()
  // the organisation filter keeps the accounts of that subtree: BJ is granted the demo account
  await page.locator('[data-test=stats-org]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '北京分公司' }).click()
  await page.waitForLoadState('networkidle')
  await row.waitFor()
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=stats-csv]').click()])
  const csv = readFileSync(await download.path(), 'utf8')
  expect(/^\ufeff?account,kind,outcome,count/.test(csv) && csv.includes('demo'), `the CSV export: ${csv.slice(0, 200)}`)
  expect(/stats-inbound-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv/.test(download.suggestedFilename()), download.suggestedFilename())
  mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: join(shots, 'statistics.png') })
  await page.locator('[data-test=stats-report] [data-report=outbound]').click()
  await page.locator('[data-test=stats-table] th', { hasText: '渠道' }).waitFor()
  await page.goto(`${base}/`)
  await page.locator('[data-test=week-chart] canvas').waitFor()
  const inbound = Number(await page.locator('[data-test=inbound-today]').innerText())
  expect(inbound >= 1, `today's inbound on the overview: ${inbound}`)
})

await test('statistics: the supervision tab charts customer service per agent and exports it', async (page) => {
  await login(page, 'admin')
  await page.goto(`${base}/stats`)
  await page.getByRole('tab', { name: '客服监管' }).click()
  await page.locator('[data-test=cs-times] canvas').waitFor()
  await page.locator('[data-test=cs-sessions] canvas').waitFor()
  await page.locator('[data-test=cs-level] [data-level=cs_groups]').click()
  await page.waitForLoadState('networkidle')
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=cs-csv]').click()])
  const csv = readFileSync(await download.path(), 'utf8')
  expect(/^\ufeff?account,group,queued,assigned/.test(csv), `the supervision CSV: ${csv.slice(0, 200)}`)
  expect(/stats-cs_groups-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv/.test(download.suggestedFilename()), download.suggestedFilename())
  const [workbook] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=cs-xlsx]').click()])
  expect(workbook.suggestedFilename().endsWith('.xlsx'), workbook.suggestedFilename())
  mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: join(shots, 'statistics-supervision.png') })
})

await test('the overview shows every service\'s heartbeat', async (page) => {
  await login(page, 'sh_editor')
  const panel = page.locator('[data-test=heartbeats]')
  const wanted = ['gateway', 'engine', 'dispatcher', 'admin', 'stats']
  const deadline = Date.now() + 30000
  for (;;) {
    await panel.waitFor()
    const text = await panel.innerText()
    const alive = await panel.locator('[data-alive=true]').count()
    if (wanted.every((s) => text.includes(s)) && alive >= wanted.length) break
    if (Date.now() > deadline) throw new Error(`heartbeats: ${text}`)
    await page.waitForTimeout(1000)
    await page.reload()
  }
})

await test('accounts: the head office grants branches the right to publish', async (page) => {
  await login(page, 'admin')
  await page.goto(`${base}/accounts`)
  const row = page.locator('.el-table__row', { hasText: 'demo' }).first()
  await row.locator('text=北京分公司').waitFor()
  const setGrants = async (drop, add) => {
    await row.locator('[data-test=grants]').click()
    const dialog = page.locator('.el-dialog:visible')
    const select = dialog.locator('[data-test=grants-orgs]')
    if (drop) await select.locator('.el-tag', { hasText: drop }).locator('.el-tag__close').click()
    if (add) {
      await select.click()
      await page.locator('.el-select-dropdown__item:visible', { hasText: add }).click()
      await page.keyboard.press('Escape')
    }
    await dialog.locator('[data-test=grants-save]').click()
    await dialog.waitFor({ state: 'hidden' })
  }
  await setGrants('北京分公司', null)
  await page.locator('.el-table__row', { hasText: 'demo' }).first().locator('text=上海分公司').waitFor()
  expect(!(await row.innerText()).includes('北京分公司'), 'the Beijing grant is withdrawn')
  await page.goto(`${base}/audit`)
  await page.locator('.el-table__row', { hasText: 'account.grants' }).first().waitFor()
  await page.goto(`${base}/accounts`)
  await setGrants(null, '北京分公司')
  await row.locator('text=北京分公司').waitFor()
})

await test('locations CSV import reports errors per row', async (page) => {
  await login(page, 'admin')
  await page.goto(`${base}/locations`)
  await page.getByRole('button', { name: 'CSV 导入' }).click()
  const csv = 'kind,name,address,latitude,longitude\nbranch,E2E 网点,上海市,31.23,121.47\natm,,上海市,95,121.47\n'
  await page.locator('[data-test=csv-file]').setInputFiles({ name: 'sites.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
  await page.getByRole('button', { name: '开始' }).click()
  const errors = page.locator('[data-test=csv-errors]')
  await errors.waitFor()
  const text = await errors.innerText()
  expect(text.includes('3') && /name|latitude/.test(text), `row 3 is reported: ${text}`)
  await page.locator('.el-alert', { hasText: '1 行有误' }).waitFor()
  await page.locator('.el-dialog:visible .el-checkbox').click()
  await page.getByRole('button', { name: '开始' }).click()
  await page.locator('.el-alert', { hasText: '成功 1 行，失败 1 行' }).waitFor()
  await page.keyboard.press('Escape')
  await page.locator('.el-table', { hasText: 'E2E 网点' }).waitFor()
})

await test('a permission withdrawn mid-session: the API 403 is shown as a clear message', async (page) => {
  await login(page, 'sh_editor')
  // an administrator withdraws material.read from the branch editors' role meanwhile
  const form = new URLSearchParams({ username: 'admin', password: USERS.admin.password })
  const { access_token: token } = await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', body: form })).json()
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
  const roles = await (await fetch(`${base}/api/v1/roles?q=branch_editor`, { headers })).json()
  const role = roles.items.find((r) => r.code === 'branch_editor')
  const permissions = role.permissions.filter((p) => p !== 'material.read')
  const patched = await fetch(`${base}/api/v1/roles/${role.id}`, { method: 'PATCH', headers, body: JSON.stringify({ permissions }) })
  expect(patched.ok, `role update: ${patched.status}`)
  try {
    await page.locator('.aside [data-nav=materials]').click()
    await page.locator('.el-message--error', { hasText: 'material.read' }).waitFor()
    await page.locator('.el-message--error', { hasText: '没有权限' }).waitFor()
  } finally {
    await fetch(`${base}/api/v1/roles/${role.id}`, { method: 'PATCH', headers, body: JSON.stringify({ permissions: role.permissions }) })
  }
})

await test('two agents and a customer from the simulator: assignment, chat both ways, offline hands over', async (page) => {
  const contexts = []
  async function agent(username, password) {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' })
    contexts.push(context)
    const console_ = await context.newPage()
    await login(console_, username, password)
    await console_.goto(`${base}/console`)
    await console_.locator('[data-test=cs-live]', { hasText: '实时连接正常' }).waitFor()
    return console_
  }
  async function status(console_, label) {
    await console_.locator('[data-test=cs-status] .el-radio-button', { hasText: label }).click()
    await console_.locator('[data-test=cs-status] .el-radio-button.is-active', { hasText: label }).waitFor()
  }
  try {
    const first = await agent('agent1')
    const second = await agent('agent2', 'agent2-TEST-pass-1')
    await status(first, '在线')
    await login(page, 'admin')
    await page.goto(`${base}/simulator`)
    await page.locator('[data-test=sim-openid]').fill('oBrowserCustomer01')
    await page.locator('[data-test=sim-openid]').press('Enter')
    await simulatorAsk(page, '[data-test=sim-input]', '[data-test=sim-send]', '人工', '人工客服')
    await first.locator('[data-test=cs-tabs] .el-tabs__item').first().waitFor()
    expect((await second.locator('[data-test=cs-tabs]').count()) === 0, 'the offline agent got no chat')
    await page.locator('[data-test=sim-input]').fill('我想咨询基金定投')
    await page.locator('[data-test=sim-send]').click()
    await first.locator('.transcript .line.customer', { hasText: '我想咨询基金定投' }).waitFor()
    await first.locator('[data-test=cs-window]', { hasText: '48 小时窗口剩余 47:' }).waitFor()
    await first.locator('textarea[data-test=cs-draft], [data-test=cs-draft] textarea').first().fill('您好，定投可以每月自动扣款。')
    await first.locator('[data-test=cs-send]').click()
    await first.locator('.transcript .line.agent', { hasText: '每月自动扣款' }).waitFor()
    await page.locator('[data-test=bubble]', { hasText: '每月自动扣款' }).waitFor({ timeout: 20000 })
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)])
    await first.locator('[data-test=cs-image]').setInputFiles({ name: 'chart.png', mimeType: 'image/png', buffer: png })
    await first.locator('.transcript .line.agent', { hasText: '[image]' }).waitFor()
    // agent2 comes online and agent1 leaves: the chat moves with its transcript.
    await status(second, '在线')
    await status(first, '离线')
    await second.locator('.transcript .line.customer', { hasText: '我想咨询基金定投' }).waitFor()
    await second.locator('[data-test=cs-profile]').waitFor()
    // The supervisor sees the session among every session of the scope.
    const lead = await agent('cs_lead', 'cslead-TEST-pass-1')
    await lead.locator('[data-test=cs-supervise] .el-table__row', { hasText: 'oBrowserCustomer01' }).waitFor()
    mkdirSync(shots, { recursive: true })
    await second.screenshot({ path: join(shots, 'console.png') })
  } finally {
    for (const context of contexts) await context.close()
  }
})

await test('pages render at 1280x800 and on a 390-px phone, their form fields labelled', async (page) => {
  await login(page, 'admin')
  const problems = []
  for (const name of USERS.admin.nav) {
    const path = pathOf(name)
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport)
      await page.goto(`${base}${path}`)
      await page.locator('.main .page').first().waitFor()
      await page.waitForLoadState('networkidle')
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      if (overflow > 1) problems.push(`${path} at ${viewport.width}px overflows by ${overflow}px`)
      const unlabelled = await unlabelledFields(page)
      if (unlabelled.length) problems.push(`${path} at ${viewport.width}px: form fields without a label: ${unlabelled.join(', ')}`)
    }
  }
  expect(problems.length === 0, problems.join('\n        '))
})

await browser.close()
stop()
const failed = results.filter(([, e]) => e)
if (failed.length) {
  mkdirSync(artifacts, { recursive: true })
  copyFileSync(logFile, join(artifacts, 'wxhub-dev.log'))
  console.log(`e2e: the server log is in ${join(artifacts, 'wxhub-dev.log')}`)
}
rmSync(work, { recursive: true, force: true })
console.log(`e2e: ${results.length - failed.length} passed, ${failed.length} failed`)
process.exit(failed.length ? 1 : 0)
