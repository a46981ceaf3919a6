/**
 * The client's `Idempotency-Key` at the edge, in workerd: one quoted key of 1..255 visible
 * characters travels; anything else is refused before the link (the request validator judges
 * it again on-prem, and the backend connector replays by it: backend/README.md).
 */
import { describe, expect, it } from 'vitest'
import { PROBLEM_CONTENT_TYPE } from '../../core/index.js'
import { openPolicy, recordingLink, tokenServices } from '../testing/index.js'
import { createIngress } from './index.js'

function setup(answer?: Parameters<typeof recordingLink>[0]) {
  const link = recordingLink(answer)
  const app = createIngress({
    policy: openPolicy(),
    link,
    tokens: tokenServices(),
    now: () => Date.now(),
  })
  const send = (key: string | string[]) => {
    const headers = new Headers()
    for (const k of Array.isArray(key) ? key : [key]) headers.append('idempotency-key', k)
    return app.fetch(new Request('https://edge.test/demo/orders', { headers }))
  }
  return { link, send, app }
}

describe('ingress: Idempotency-Key', () => {
  it('IDEM-020 an Idempotency-Key that is not one quoted key of 1..255 visible characters is refused 400 and never reaches the link', async () => {
    const { send, link } = setup()
    const bad: Array<string | string[]> = [
      'unquoted-key',
      '""',
      `"${'k'.repeat(256)}"`,
      '"with space"',
      '"esc\\"aped"',
      '"tab\there"',
      '"caf\u00e9"',
      ['"a"', '"b"'],
    ]
    for (const key of bad) {
      const res = await send(key)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
      const body = (await res.json()) as Record<string, unknown>
      // Two lines reach the worker joined (`"a", "b"`): refused as a repeat of a single-value field.
      expect(body.code).toBe(Array.isArray(key) ? 'HEADER_INVALID' : 'IDEMPOTENCY_KEY_INVALID')
    }
    expect(link.sent).toHaveLength(0)
  })

  it('IDEM-025 a write with an Idempotency-Key and no verified caller is refused 400 at the edge and never reaches the link; a read with one travels', async () => {
    const { link, app } = setup()
    // The route takes GET and POST; which methods write is core's (isWriteMethod).
    for (const method of ['POST']) {
      const res = await app.fetch(
        new Request('https://edge.test/demo/orders', {
          method,
          headers: { 'idempotency-key': '"k1"', 'content-type': 'application/json' },
          body: '{}',
        }),
      )
      expect(res.status, method).toBe(400)
      const body = (await res.json()) as { code: string; detail: string }
      expect(body.code).toBe('IDEMPOTENCY_KEY_INVALID')
      expect(body.detail).toMatch(/verified caller/)
    }
    expect(link.sent).toHaveLength(0)
    const read = await app.fetch(
      new Request('https://edge.test/demo/orders', { headers: { 'idempotency-key': '"k1"' } }),
    )
    expect(read.status).toBeLessThan(400)
    expect(link.sent).toHaveLength(1)
  })

  it('forwards a well-formed key to the link unchanged', async () => {
    const { send, link } = setup()
    const key = `"${'8e03978e-40d5-43e8-bc93-6894a57f9324'}"`
    const res = await send(key)
    expect(res.status).toBeLessThan(400)
    expect(link.sent).toHaveLength(1)
    expect(link.sent[0]!.request.headers).toContainEqual(['idempotency-key', key])
  })

  it("answers an on-prem 409 IDEMPOTENCY_KEY_IN_FLIGHT and 503 IDEMPOTENCY_STORE_UNAVAILABLE with core's Retry-After", async () => {
    for (const [code, status] of [
      ['IDEMPOTENCY_KEY_IN_FLIGHT', 409],
      ['IDEMPOTENCY_STORE_UNAVAILABLE', 503],
    ] as const) {
      const { send } = setup(() => ({ status, error: code }))
      const res = await send('"k1"')
      expect(res.status).toBe(status)
      expect(res.headers.get('retry-after')).toBe('1')
      expect(((await res.json()) as { code: string }).code).toBe(code)
    }
  })
})
