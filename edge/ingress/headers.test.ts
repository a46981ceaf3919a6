/**
 * The edge's header rules, in workerd: a `Headers` object that appends a field twice is what
 * the runtime makes of two lines on the wire (one value, joined with `, `); the raw-socket
 * proof under `wrangler dev` is tests/integration/edge-headers.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { PROBLEM_CONTENT_TYPE } from '../../core/index.js'
import { openPolicy, recordingLink, tokenServices } from '../testing/index.js'
import { createIngress } from './index.js'

function setup() {
  const link = recordingLink()
  const app = createIngress({
    policy: openPolicy(),
    link,
    tokens: tokenServices(),
    now: () => Date.now(),
  })
  const send = (path: string, init?: RequestInit) =>
    app.fetch(new Request('https://edge.test' + path, init))
  return { link, send }
}

function repeated(...lines: Array<[string, string]>): Headers {
  const headers = new Headers()
  for (const [name, value] of lines) headers.append(name, value)
  return headers
}

async function expectHeaderInvalid(res: Response, name: string) {
  expect(res.status).toBe(400)
  expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
  const body = (await res.json()) as Record<string, unknown>
  expect(body).toMatchObject({
    code: 'HEADER_INVALID',
    detail: `header ${name} must have one value`,
  })
}

describe('ingress: repeated and hop-by-hop headers', () => {
  it('HEADER-104 a single-value header appended twice is refused 400 HEADER_INVALID and never reaches the link', async () => {
    const { send, link } = setup()
    const cases: Array<[string, string, string]> = [
      ['user-agent', 'curl/8.0', 'evil/1.0'],
      ['if-modified-since', 'Sun, 06 Nov 1994 08:49:37 GMT', 'Mon, 07 Nov 1994 08:49:37 GMT'],
      ['if-unmodified-since', 'Sun, 06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:37 GMT'],
      ['origin', 'https://a.example', 'https://b.example'],
      ['referer', 'https://a.example/', 'https://b.example/'],
      ['sec-fetch-site', 'same-origin', 'cross-site'],
      ['content-type', 'application/json', 'application/json'],
    ]
    for (const [name, a, b] of cases) {
      const headers = repeated([name, a], [name, b])
      // What the worker reads is one joined value: the repeat can only be told by its grammar.
      expect(headers.get(name)).toBe(`${a}, ${b}`)
      await expectHeaderInvalid(await send('/demo/orders', { headers }), name)
    }
    expect(link.sent).toHaveLength(0)
  })

  it('HEADER-105 a repeated Authorization (two bearer tokens) never reaches the link', async () => {
    const { send, link } = setup()
    const res = await send('/demo/orders', {
      headers: repeated(['authorization', 'Bearer a.b.c'], ['authorization', 'Bearer d.e.f']),
    })
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    expect(link.sent).toHaveLength(0)
  })

  it('HEADER-106 Connection: close, x-secret-admin drops the named header with the hop-by-hop set', async () => {
    const { send, link } = setup()
    const res = await send('/demo/orders', {
      headers: {
        accept: 'application/json',
        connection: 'close, X-Secret-Admin ,x-debug-mode',
        'x-secret-admin': '1',
        'x-debug-mode': 'on',
        'http2-settings': 'AAMAAABkAAQAoAAAAAIAAAAA',
        'proxy-connection': 'keep-alive',
        'keep-alive': 'timeout=5',
        'x-kept': 'yes',
      },
    })
    expect(res.status).toBe(200)
    expect(link.sent[0]!.request.headers.sort()).toEqual([
      ['accept', 'application/json'],
      ['x-kept', 'yes'],
    ])
  })

  it('list headers appended twice and commas a single value allows pass unchanged', async () => {
    const { send, link } = setup()
    const res = await send('/demo/orders', {
      headers: repeated(
        ['accept', 'application/json'],
        ['accept', 'text/plain'],
        ['if-modified-since', 'Sun, 06 Nov 1994 08:49:37 GMT'],
        ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)'],
      ),
    })
    expect(res.status).toBe(200)
    expect(link.sent[0]!.request.headers).toContainEqual(['accept', 'application/json, text/plain'])
  })
})
