/**
 * An upstream nobody here wrote: Stoplight's Prism mock server serving a real published
 * OpenAPI document (the USPTO data set API, openapi/fixtures/uspto) behind the whole stack.
 * Valid requests reach it and its answers pass the response validator; requests that break
 * the document are refused at the gateway and never reach it. Runs on the isolated topology's
 * stack (request-path-isolated.test.ts), whose start takes these overrides.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../cli/root.js'
import type { PrismUpstream } from '../harness/prism.js'
import type { TestStack } from './test-stack.js'

export const USPTO_DOCUMENT = join(REPO_ROOT, 'openapi/fixtures/uspto/uspto.json')

/** The stack's config for the upstream `uspto`: Prism serving the document. */
export function thirdPartyUpstreamOverrides(prism: PrismUpstream): unknown {
  return {
    upstreams: { uspto: { baseUrl: prism.url, openapi: USPTO_DOCUMENT, timeoutMs: 5_000 } },
  }
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
})

async function callOn(stack: TestStack, path: string, init?: RequestInit) {
  const res = await fetch(`${stack.url}/uspto${path}`, init)
  const text = await res.text()
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined
  return { status: res.status, body, requestId: res.headers.get('x-request-id') }
}

export function thirdPartyUpstreamSuite(
  stackOf: () => TestStack,
  prismOf: () => PrismUpstream,
): void {
  const call = (path: string, init?: RequestInit) => callOn(stackOf(), path, init)
  describe('a real document served by a mock server nobody here wrote', () => {
    it('UPS-001 valid requests of every operation reach the upstream and its answers pass the response validator', async () => {
      const list = await call('/')
      expect(list.status).toBe(200)
      expect(list.body).toMatchObject({ total: expect.any(Number), apis: expect.any(Array) })
      const fields = await call('/oa_citations/v1/fields')
      expect(fields.status).toBe(200)
      const records = await call(
        '/oa_citations/v1/records',
        form({ criteria: '*:*', start: '0', rows: '10' }),
      )
      expect(records.status).toBe(200)
      expect(Array.isArray(records.body)).toBe(true)
      expect(prismOf().received).toEqual(
        expect.arrayContaining([
          'GET /',
          'GET /oa_citations/v1/fields',
          'POST /oa_citations/v1/records',
        ]),
      )
    })

    it.each([
      [
        'UPS-002 a form without its required criteria field',
        '/oa_citations/v1/records',
        form({ start: '0' }),
        400,
      ],
      [
        'UPS-003 a query parameter the document does not declare',
        '/oa_citations/v1/fields?debug=1',
        undefined,
        400,
      ],
      [
        'UPS-004 a body in a media type the operation does not take',
        '/oa_citations/v1/records',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"criteria":"*:*"}',
        },
        415,
      ],
      [
        'UPS-005 a method the path does not have',
        '/oa_citations/v1/fields',
        { method: 'DELETE' },
        405,
      ],
      [
        'UPS-006 a path the document does not have',
        '/oa_citations/v1/fields/../../admin',
        undefined,
        404,
      ],
    ] as Array<[string, string, RequestInit | undefined, number]>)(
      '%s is refused at the gateway and never reaches the upstream',
      async (_name, path, init, status) => {
        const before = prismOf().received.length
        const res = await call(path, init)
        expect(res.status).toBe(status)
        expect(res.body).toMatchObject({ code: expect.any(String) })
        // Give a request that did slip through time to show in Prism's log.
        await new Promise((r) => setTimeout(r, 300))
        expect(prismOf().received.slice(before)).toEqual([])
      },
    )
  })
}
