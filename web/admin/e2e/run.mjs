// Browser tests of the admin app: Debian's chromium (driven by playwright-core, headless) against
// `wxhub dev` started here on free ports with a fresh SQLite database. Exits non-zero on any
// failure — and when chromium is missing: CI must never skip these.
//
//   WXHUB_PYTHON=../../.venv/bin/python node e2e/run.mjs [name-filter]
//   (WXHUB_E2E_SCREENSHOTS=1 also refreshes docs/screenshots/)
import { spawn } from 'node:child_process'
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
  admin: { password: 'admin-TEST-pass-1', nav: ['overview', 'console', 'simulator', 'commands', 'menus', 'publications', 'materials', 'reminders', 'locations', 'customers', 'accounts', 'orgs', 'users', 'roles', 'config', 'audit'] },
  approver: { password: 'approver-TEST-pass-1', nav: ['overview', 'menus', 'publications', 'materials', 'customers', 'accounts', 'audit'] },
  sh_editor: { password: 'editor-TEST-pass-1', nav: ['overview', 'simulator', 'commands', 'menus', 'publications', 'materials', 'reminders', 'locations', 'customers', 'accounts'] },
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
  await page.locator('[data-test=sim-subscribe]').click()
  await page.locator('[data-test=bubble][data-source=passive]').first().waitFor()
  await simulatorAsk(page, '[data-test=sim-input]', '[data-test=sim-send]', '你好wxhub', '这是浏览器测试创建的指令的回答')
  await simulatorAsk(page, '[data-test=sim-input]', '[data-test=sim-send]', '基金 000001', '单位净值')
  await page.locator('[data-test=sim-status]').waitFor()
  mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: join(shots, 'simulator.png') })
})

await test('build and publish a menu and see it in the simulator', async (page) => {
  await login(page, 'admin')
  await page.goto(`${base}/menus`)
  await page.locator('[data-test=menu-preview]').waitFor()
  // start from a one-button menu: remove what the draft holds, then add a button
  for (let i = 0; i < 3 && (await page.locator('[data-test=menu-preview] .cell').count()); i++) {
    await page.locator('[data-test=menu-preview] .cell .top').first().click()
    await page.getByRole('button', { name: '删除' }).last().click()
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

await test('pages render at 1280x800 and on a 390-px phone', async (page) => {
  await login(page, 'admin')
  for (const name of USERS.admin.nav) {
    const path = name === 'overview' ? '/' : `/${name}`
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport)
      await page.goto(`${base}${path}`)
      await page.locator('.main .page').first().waitFor()
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(overflow <= 1, `${path} at ${viewport.width}px overflows by ${overflow}px`)
    }
  }
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
