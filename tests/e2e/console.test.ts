/**
 * The console in a real browser (Debian's chromium, driven by playwright-core) against the
 * whole stack: without the token the page shows nothing; with it, the counts move as
 * requests go through the edge, and a request id searched shows its timeline across the
 * stages. `PORTCULLIS_CONSOLE_SCREENSHOT=<file>` keeps a screenshot of the page.
 */
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startTestStack, type TestStack } from './test-stack.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))

let stack: TestStack
let browser: Browser

beforeAll(async () => {
  if (!CHROMIUM) throw new Error("chromium is missing: npm test installs Debian's chromium")
  stack = await startTestStack()
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true })
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await stack?.dispose()
})

const consoleBase = () => stack.consoleUrl!.split('#')[0]!

async function open(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } })
  await page.goto(url)
  return page
}

const number = async (page: Page, selector: string) =>
  Number((await page.locator(selector).textContent()) ?? 'NaN')

it('OPS-301 without the login token the console shows no data, and its API answers 401', async () => {
  expect(stack.consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/)
  const page = await open(consoleBase())
  await expect.poll(() => page.locator('#login-needed').isVisible()).toBe(true)
  expect(await page.locator('#data').isVisible()).toBe(false)
  expect(await page.locator('#routes tbody tr').count()).toBe(0)
  expect((await fetch(`${consoleBase()}api/overview`)).status).toBe(401)
  // A wrong token is refused the same way, and the page says so.
  const wrong = await open(`${consoleBase()}#token=${'x'.repeat(43)}`)
  await expect.poll(() => wrong.locator('#login-needed').isVisible()).toBe(true)
  await page.close()
  await wrong.close()
})

it('OPS-302 with the token the counts move as requests cross the edge, refusals show by code, and a request id shows its timeline', async () => {
  const page = await open(stack.consoleUrl!)
  await expect.poll(() => page.locator('#data').isVisible(), { timeout: 15_000 }).toBe(true)
  // The token left the address bar once read.
  expect(page.url()).not.toContain('token=')
  const before = await number(page, '#answered')
  let last = ''
  for (let i = 0; i < 12; i++) {
    const res = await fetch(`${stack.url}/demo/orders`)
    expect(res.status).toBe(200)
    last = res.headers.get('x-request-id')!
    await res.arrayBuffer()
  }
  const refused = await fetch(`${stack.url}/demo/orders?no_such_parameter=1`)
  expect(refused.status).toBe(400)
  const { code } = (await refused.json()) as { code: string }
  await expect
    .poll(() => number(page, '#answered'), { timeout: 20_000 })
    .toBeGreaterThanOrEqual(before + 13)
  await expect
    .poll(() => page.locator('#refusals tbody').textContent(), { timeout: 20_000 })
    .toContain(code)
  expect(await page.locator('#routes tbody tr').count()).toBeGreaterThan(0)
  expect(await page.locator('#stages tbody').textContent()).toContain('request-validator')
  expect(await page.locator('#topology tbody').textContent()).toContain('dreq')
  await expect.poll(() => page.locator('#verify').textContent(), { timeout: 40_000 }).toMatch(/^ok/)

  // The request's events from every stage, in order, as a timeline.
  await page.fill('#search-request', last)
  await page.click('#search-button')
  await expect
    .poll(() => page.locator('#timeline .timeline-row').count(), { timeout: 15_000 })
    .toBeGreaterThanOrEqual(5)
  const timeline = (await page.locator('#timeline').textContent()) ?? ''
  for (const stage of ['edge', 'relay', 'request-validator', 'backend', 'response-validator'])
    expect(timeline).toContain(stage)
  expect(await page.locator('#events tbody tr').count()).toBeGreaterThanOrEqual(5)

  const shot = process.env.PORTCULLIS_CONSOLE_SCREENSHOT
  if (shot) await page.screenshot({ path: shot, fullPage: true })
  await page.close()
})
