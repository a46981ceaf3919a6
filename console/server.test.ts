import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tokenCheck, newConsoleToken } from './auth.js'
import { auditQueryOf, serveConsole } from './server.js'

const token = newConsoleToken()
let base: string
let close: () => Promise<void>
const asked: unknown[] = []

beforeAll(async () => {
  const server = await serveConsole(
    {
      authorized: tokenCheck(token),
      overview: () => ({ summary: { rps: 1 } }),
      audit: async (q) => {
        asked.push(q)
        return [{ requestId: 'abcdefgh12' }]
      },
    },
    '127.0.0.1',
    0,
  )
  base = `http://127.0.0.1:${server.port}`
  close = server.close
})
afterAll(async () => close?.())

const auth = { authorization: `Bearer ${token}` }

describe('console server', () => {
  it('OPS-201 the page is served without data, and every API call without the token is 401 problem+json', async () => {
    const page = await fetch(`${base}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    // A static document: what it shows comes from the API, with the token.
    expect(await page.text()).not.toMatch(/summary|listOrders|audit-sink/)
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: token },
    ]
    for (const headers of attempts) {
      const res = await fetch(`${base}/api/overview`, { headers })
      expect(res.status).toBe(401)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(((await res.json()) as { code: string }).code).toBe('TOKEN_MISSING')
    }
    expect((await fetch(`${base}/api/overview`, { headers: auth })).status).toBe(200)
  })

  it('OPS-202 nothing but GET, no other path, and an audit search that is not one is 400 with the reason', async () => {
    expect((await fetch(`${base}/api/overview`, { method: 'POST', headers: auth })).status).toBe(
      405,
    )
    expect((await fetch(`${base}/etc/passwd`, { headers: auth })).status).toBe(404)
    expect((await fetch(`${base}/api/../api/overview`, { headers: auth })).status).toBe(200)
    for (const q of [
      '',
      'request=a%27or%201=1',
      'since=yesterday',
      'verdict=maybe',
      'limit=100000',
      'x=1',
      'request=abcdefgh12&request=abcdefgh13',
    ]) {
      const res = await fetch(`${base}/api/audit?${q}`, { headers: auth })
      expect(res.status, q).toBe(400)
      expect(((await res.json()) as { code: string }).code).toBe('BAD_REQUEST')
    }
    const ok = await fetch(`${base}/api/audit?request=abcdefgh12`, { headers: auth })
    expect(ok.status).toBe(200)
    expect(asked.at(-1)).toEqual({ requestId: 'abcdefgh12', limit: 500 })
  })

  it('reads a time range and a verdict', () => {
    expect(
      auditQueryOf(
        new URLSearchParams(
          'since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z&verdict=reject&limit=20',
        ),
      ),
    ).toEqual({
      since: '2026-01-01T00:00:00Z',
      until: '2026-01-02T00:00:00Z',
      verdict: 'reject',
      limit: 20,
    })
  })
})
