/**
 * What operators see, on one stack (one start for both; each is a whole stack with workerd):
 * - the console in a real browser (Debian's chromium, driven by playwright-core): without the
 *   token the page shows nothing; with it, the counts move as requests go through the edge,
 *   and a request id searched shows its timeline across the stages.
 *   `PORTCULLIS_CONSOLE_SCREENSHOT=<file>` keeps a screenshot of the page;
 * - one trace per request across the whole path, exported to a local OTLP endpoint: the edge
 *   (posting its own span from workerd), the relay's intake, the request validator, the
 *   backend and its upstream call, the response validator, the relay's answer; each span the
 *   child of the hop before, and a refused request's span naming its problem code.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../harness/otlp.js'
import { REPO_ROOT } from '../../cli/root.js'
import { startTestStack, type TestStack } from './test-stack.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))

let otlp: OtlpReceiver
let stack: TestStack
let browser: Browser
/** The stack's own config file and OpenAPI document, which the reload tests edit. */
let configDir: string
let docFile: string

beforeAll(async () => {
  if (!CHROMIUM) throw new Error("chromium is missing: npm test installs Debian's chromium")
  configDir = mkdtempSync(join(tmpdir(), 'portcullis-operations-'))
  docFile = join(configDir, 'openapi.json')
  copyFileSync(join(REPO_ROOT, 'demo/openapi.json'), docFile)
  const config = JSON.parse(readFileSync(join(REPO_ROOT, 'portcullis.config.json'), 'utf8'))
  config.upstreams.demo.openapi = 'openapi.json'
  writeFileSync(join(configDir, 'portcullis.config.json'), JSON.stringify(config, null, 2))
  otlp = await startOtlpReceiver()
  stack = await startTestStack(
    { tracing: { otlpUrl: otlp.url } },
    { configFile: join(configDir, 'portcullis.config.json') },
  )
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true })
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await stack?.dispose()
  await otlp?.close()
  if (configDir) rmSync(configDir, { recursive: true, force: true })
})

describe('the console', () => {
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
    await expect
      .poll(() => page.locator('#verify').textContent(), { timeout: 40_000 })
      .toMatch(/^ok/)

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
})

describe('traces', () => {
  const CLIENT_SPAN = '00f067aa0ba902b7'

  /** The spans of `traceId` once every one of `services` sent at least `count` of them. */
  async function spansOf(
    traceId: string,
    expected: Record<string, number>,
  ): Promise<ReceivedSpan[]> {
    const of = () => otlp.spans.filter((s) => s.traceId === traceId)
    await expect
      .poll(
        () => {
          const counts: Record<string, number> = {}
          for (const s of of()) counts[s.service] = (counts[s.service] ?? 0) + 1
          return Object.entries(expected).every(([k, n]) => (counts[k] ?? 0) >= n)
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe(true)
    return of()
  }

  it('TRACE-031 one trace covers edge, relay, request validator, backend with its upstream call, response validator and relay, each the child of the hop before', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const res = await fetch(`${stack.url}/demo/orders`, {
      headers: { traceparent: `00-${traceId}-${CLIENT_SPAN}-01` },
    })
    expect(res.status).toBe(200)
    const requestId = res.headers.get('x-request-id')!
    const spans = await spansOf(traceId, {
      'portcullis-edge': 1,
      'portcullis-relay': 2,
      'portcullis-request-validator': 1,
      'portcullis-backend-demo': 2,
      'portcullis-response-validator': 1,
    })
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name)
      expect(found, name).toHaveLength(1)
      return found[0]!
    }
    const edge = one('edge')
    const intake = one('relay:link')
    const rv = one('request-validator')
    const backend = one('backend-demo')
    const upstream = one('GET upstream')
    const respv = one('response-validator')
    const answer = one('relay')
    expect(edge.parentSpanId).toBe(CLIENT_SPAN)
    expect(intake.parentSpanId).toBe(edge.spanId)
    expect(rv.parentSpanId).toBe(intake.spanId)
    expect(backend.parentSpanId).toBe(rv.spanId)
    expect(upstream.parentSpanId).toBe(backend.spanId)
    expect(respv.parentSpanId).toBe(backend.spanId)
    expect(answer.parentSpanId).toBe(respv.spanId)
    expect(rv.attributes['portcullis.request_id']).toBe(requestId)
    expect(edge.attributes['http.response.status_code']).toBe(200)
    // The upstream saw the upstream call's span as its parent.
    const seen = (await stack.received()).find((r) => r.requestId === requestId)!
    expect(seen.headers.traceparent).toBe(`00-${traceId}-${upstream.spanId}-01`)
  })

  it("TRACE-032 a refused request's trace names its problem code on the span of the stage that refused it, and on the edge's", async () => {
    const traceId = '5cf92f3577b34da6a3ce929d0e0e4737'
    const res = await fetch(`${stack.url}/demo/orders?no_such_parameter=1`, {
      headers: { traceparent: `00-${traceId}-${CLIENT_SPAN}-01` },
    })
    expect(res.status).toBe(400)
    const { code } = (await res.json()) as { code: string }
    const spans = await spansOf(traceId, {
      'portcullis-edge': 1,
      'portcullis-request-validator': 1,
    })
    const rv = spans.find((s) => s.name === 'request-validator')!
    expect(rv.status).toMatchObject({ code: 2, message: code })
    expect(rv.attributes['error.type']).toBe(code)
    const edge = spans.find((s) => s.name === 'edge')!
    expect(edge.attributes['error.type']).toBe(code)
    expect(spans.some((s) => s.name === 'backend-demo')).toBe(false)
  })
})

describe('policy changes without a restart', () => {
  type Doc = { paths: Record<string, Record<string, Record<string, unknown>>> }
  const readDoc = (): Doc => JSON.parse(readFileSync(docFile, 'utf8'))
  const writeDoc = (doc: Doc) => writeFileSync(docFile, JSON.stringify(doc, null, 2))
  const logsSince = (mark: number) => stack.logs.slice(mark)
  /** Waits until each of `components` logged `event` after `mark`. */
  async function loggedBy(mark: number, event: string, components: string[]): Promise<void> {
    await expect
      .poll(
        () =>
          components.filter(
            (c) => !logsSince(mark).some((l) => l.startsWith(`${c} | `) && l.includes(` ${event}`)),
          ),
        { timeout: 20_000, interval: 100 },
      )
      .toEqual([])
  }
  const ON_PREM = ['request-validator', 'backend-demo', 'response-validator']

  /** A steady load of GET /demo/orders, which no change here touches: every answer must be 200. */
  const load = { statuses: [] as number[], errors: [] as string[], running: true }
  let loaders: Array<Promise<void>> = []
  beforeAll(() => {
    loaders = Array.from({ length: 4 }, async () => {
      while (load.running) {
        try {
          const res = await fetch(`${stack.url}/demo/orders`)
          await res.arrayBuffer()
          load.statuses.push(res.status)
        } catch (e) {
          load.errors.push(String(e))
        }
        await new Promise((r) => setTimeout(r, 20))
      }
    })
  })

  const search = (limit: number) =>
    fetch(`${stack.url}/demo/search?q=x&limit=${limit}`).then(async (res) => {
      await res.arrayBuffer()
      return res.status
    })

  it('RELOAD-010 a tightened schema in the OpenAPI document applies to the next request once the validators reloaded, with no restart', async () => {
    expect(await search(40)).toBe(200)
    const mark = stack.logs.length
    const doc = readDoc()
    const limit = (
      doc.paths['/search']!.get!.parameters as Array<{ name: string; schema: { maximum: number } }>
    ).find((p) => p.name === 'limit')!
    limit.schema.maximum = 30
    writeDoc(doc)
    await loggedBy(mark, 'reloaded', ON_PREM)
    expect(await search(40)).toBe(400)
    expect(await search(30)).toBe(200)
  })

  it('RELOAD-011 a claim added to a route is enforced by the edge too once portcullis up rewrote its policy', async () => {
    expect((await fetch(`${stack.url}/demo/orders/1`)).status).toBe(200)
    const mark = stack.logs.length
    const doc = readDoc()
    doc.paths['/orders/{id}']!.get!['x-required-claims'] = 'roles.admin'
    writeDoc(doc)
    await loggedBy(mark, 'edge-policy-updated', ['supervisor'])
    await loggedBy(mark, 'reloaded', ON_PREM)
    // wrangler dev swaps the worker in a moment after the file changed; from then on, always.
    await expect
      .poll(async () => (await fetch(`${stack.url}/demo/orders/1`)).status, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(401)
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${stack.url}/demo/orders/1`)
      expect(res.status).toBe(401)
      expect(((await res.json()) as { code: string }).code).toBe('TOKEN_MISSING')
    }
  })

  it('RELOAD-012 a document broken mid-edit is refused by every process and the running policy stays', async () => {
    const mark = stack.logs.length
    const good = readFileSync(docFile, 'utf8')
    writeFileSync(docFile, good.slice(0, good.length / 2))
    await loggedBy(mark, 'reload-refused', [...ON_PREM, 'supervisor'])
    expect(await search(40)).toBe(400)
    expect(await search(30)).toBe(200)
    expect((await fetch(`${stack.url}/demo/orders/1`)).status).toBe(401)
    writeFileSync(docFile, good)
  })

  it('RELOAD-013 SIGHUP reloads a stage on demand; a process with no policy ignores it and keeps serving', async () => {
    const mark = stack.logs.length
    stack.signal('request-validator', 'SIGHUP')
    stack.signal('relay', 'SIGHUP')
    await loggedBy(mark, 'reloaded cause=SIGHUP', ['request-validator'])
    await loggedBy(mark, 'reload-ignored', ['relay'])
    expect(await search(30)).toBe(200)
  })

  it('RELOAD-014 no request of the steady load failed across every reload above', async () => {
    load.running = false
    await Promise.all(loaders)
    expect(load.errors).toEqual([])
    expect(load.statuses.length).toBeGreaterThan(20)
    expect(load.statuses.filter((s) => s !== 200)).toEqual([])
  })
})
