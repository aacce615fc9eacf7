import { chromium } from 'playwright-core'
const base = 'http://127.0.0.1:18181'
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] })
const [user, pass, ...pages] = process.argv.slice(2)
for (const spec of pages) {
  const [path, w, h, name] = spec.split(',')
  const page = await browser.newPage({ viewport: { width: Number(w), height: Number(h) } })
  page.on('pageerror', (e) => console.log('pageerror', String(e)))
  await page.goto(`${base}/login`)
  await page.locator('[data-test=username]').fill(user)
  await page.locator('[data-test=password]').fill(pass)
  await page.locator('[data-test=login-submit]').click()
  await page.locator('[data-test=nav]').first().waitFor({ state: 'attached' })
  await page.goto(base + path)
  await page.waitForTimeout(1500)
  await page.screenshot({ path: `/tmp/h10-shots/${name}.png` })
  await page.close()
}
await browser.close()
