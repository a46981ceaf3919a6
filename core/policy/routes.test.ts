import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SetupError } from '../errors/index.js'
import { compileRoutes, matchRoute, type OpenApiDocument } from './routes.js'
import { isPortOpen } from './ports.js'
import { rateLimitTiers } from './rate-limit.js'

const demo = JSON.parse(
  readFileSync(new URL('../../demo/openapi.json', import.meta.url), 'utf8'),
) as OpenApiDocument
const table = compileRoutes('demo', demo)

describe('route table', () => {
  it('compiles every operation of the demo document', () => {
    expect(table.routes.map((r) => `${r.method} ${r.template}`).sort()).toEqual([
      'GET /admin/stats',
      'GET /debug/leak',
      'GET /orders',
      'GET /orders/{id}',
      'GET /ping',
      'GET /search',
      'GET /session',
      'POST /orders',
      'POST /orders/{id}/notes',
    ])
    const post = table.routes.find((r) => r.operation === 'createOrder')!
    expect(post.mediaTypes).toEqual(['application/json'])
    expect(post.bodyRequired).toBe(true)
  })

  it('matches literals and parameters', () => {
    const m = matchRoute(table, 'GET', '/orders/42', 443)
    expect(m.ok && m.route.operation).toBe('getOrder')
    expect(m.ok && m.params).toEqual({ id: '42' })
  })

  it('ROUTE-001 answers 405 with the allowed methods for a known path', () => {
    expect(matchRoute(table, 'DELETE', '/orders', 443)).toEqual({
      ok: false,
      code: 'METHOD_NOT_ALLOWED',
      allow: ['GET', 'POST'],
    })
  })

  it.each(['/orders/', '/orders/1/2', '/Orders', '/debug', '/', '/orders//'])(
    'ROUTE-002 does not match %s',
    (path) => {
      expect(matchRoute(table, 'GET', path, 443)).toEqual({ ok: false, code: 'ROUTE_NOT_FOUND' })
    },
  )

  it('ROUTE-003 a literal segment wins over a parameter', () => {
    const doc: OpenApiDocument = {
      openapi: '3.1.0',
      paths: {
        '/items/{id}': { get: { operationId: 'byId' } },
        '/items/new': { post: { operationId: 'create' } },
      },
    }
    const t = compileRoutes('x', doc)
    expect(matchRoute(t, 'GET', '/items/new', 443)).toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
      allow: ['POST'],
    })
    expect(matchRoute(t, 'GET', '/items/7', 443)).toMatchObject({ ok: true })
  })

  it('ROUTE-004 a route on an internal port is not found on a public one', () => {
    const doc: OpenApiDocument = {
      openapi: '3.1.0',
      paths: { '/ops': { get: { operationId: 'ops', 'x-portcullis-ports': [444] } } },
    }
    const t = compileRoutes('x', doc)
    expect(matchRoute(t, 'GET', '/ops', 443)).toEqual({ ok: false, code: 'ROUTE_NOT_FOUND' })
    expect(matchRoute(t, 'GET', '/ops', 444)).toMatchObject({ ok: true })
  })

  it('refuses documents it cannot read exactly', () => {
    expect(() => compileRoutes('x', { openapi: '2.0' } as OpenApiDocument)).toThrow(/OpenAPI 3/)
    expect(() => compileRoutes('x', { openapi: '3.1.0', paths: { nope: { get: {} } } })).toThrow(
      /must start with/,
    )
    expect(() =>
      compileRoutes('x', {
        openapi: '3.1.0',
        paths: { '/a': { get: { 'x-portcullis-ports': ['443'] } } },
      }),
    ).toThrow(/list of ports/)
  })

  it('names a bad document shape OPENAPI_INVALID and a bad extension POLICY_INVALID', () => {
    const codeOf = (doc: OpenApiDocument) => {
      try {
        compileRoutes('x', doc)
      } catch (e) {
        return e instanceof SetupError ? e.code : e
      }
      return 'compiled'
    }
    expect(codeOf({ openapi: '3.1.0', paths: { nope: { get: {} } } })).toBe('OPENAPI_INVALID')
    const ports = { openapi: '3.1.0', paths: { '/a': { get: { 'x-portcullis-ports': [0] } } } }
    expect(codeOf(ports)).toBe('POLICY_INVALID')
    const rate = { openapi: '3.1.0', paths: { '/a': { get: { 'x-portcullis-rate-limit': 5 } } } }
    expect(codeOf(rate)).toBe('POLICY_INVALID')
    const claims = { openapi: '3.1.0', paths: { '/a': { get: { 'x-required-claims': '' } } } }
    expect(codeOf(claims)).toBe('POLICY_INVALID')
  })
})

describe('route table: x-required-claims', () => {
  const docWith = (claims: unknown): OpenApiDocument => ({
    openapi: '3.1.0',
    paths: {
      '/orders': {
        get: { operationId: 'listOrders' },
        post: { operationId: 'createOrder', 'x-required-claims': claims },
      },
    },
  })

  it('keeps the expression as written on the route, and nothing on routes without one', () => {
    const t = compileRoutes('x', docWith('roles.orders || roles.admin'))
    const post = t.routes.find((r) => r.operation === 'createOrder')!
    const get = t.routes.find((r) => r.operation === 'listOrders')!
    expect(post.requiredClaims).toBe('roles.orders || roles.admin')
    expect('requiredClaims' in get).toBe(false)
    // The demo document declares its own: POST /orders and GET /admin/stats only.
    expect(
      Object.fromEntries(
        table.routes
          .filter((r) => 'requiredClaims' in r)
          .map((r) => [r.operation, r.requiredClaims]),
      ),
    ).toEqual({ createOrder: 'roles.orders || roles.admin', adminStats: 'roles.admin' })
    // The table stays plain data: it survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(t))).toEqual(t)
  })

  it.each([
    ['roles.orders ||', 'UNEXPECTED_END'],
    ['', 'EMPTY'],
    ['__proto__.admin', 'FORBIDDEN_PATH_SEGMENT'],
    ["email =~ '(a)\\1'", 'PATTERN_INVALID'],
  ])(
    'CLAIM-020 an unparsable x-required-claims is refused at compile time, naming the operation: %j',
    (claims, code) => {
      expect(() => compileRoutes('x', docWith(claims))).toThrow(
        new RegExp(
          `POST /orders \\(createOrder\\): x-required-claims: ${code}: .* at position \\d+`,
        ),
      )
    },
  )

  it.each([[['roles.admin']], [42], [true], [null], [{ all: ['a'] }]])(
    'CLAIM-021 a non-string x-required-claims is refused: %j',
    (claims) => {
      expect(() => compileRoutes('x', docWith(claims))).toThrow(
        /POST \/orders \(createOrder\): x-required-claims must be a string/,
      )
    },
  )
})

describe('route table: x-portcullis-rate-limit', () => {
  const docWith = (rateLimit: unknown): OpenApiDocument => ({
    openapi: '3.1.0',
    paths: {
      '/orders': {
        get: { operationId: 'listOrders' },
        post: { operationId: 'createOrder', 'x-portcullis-rate-limit': rateLimit },
      },
    },
  })

  it('RATE-001 compiles limit, period and quota onto the route, and nothing on routes without one', () => {
    const t = compileRoutes(
      'x',
      docWith({ limit: 5, period: 60, quota: { limit: 100, period: 86400 } }),
    )
    const post = t.routes.find((r) => r.operation === 'createOrder')!
    expect(post.rateLimit).toEqual({ limit: 5, period: 60, quota: { limit: 100, period: 86400 } })
    expect('rateLimit' in t.routes.find((r) => r.operation === 'listOrders')!).toBe(false)
    expect(rateLimitTiers([t, table])).toEqual([
      { binding: 'RATE_LIMIT_5_PER_10', limit: 5, period: 10 },
      { binding: 'RATE_LIMIT_5_PER_60', limit: 5, period: 60 },
    ])
    expect(JSON.parse(JSON.stringify(t))).toEqual(t)
  })

  it.each([
    [5, /must be an object/],
    [{ limit: 5 }, /period must be 10 or 60/],
    [{ limit: 5, period: 30 }, /period must be 10 or 60/],
    [{ limit: 0, period: 10 }, /limit must be an integer/],
    [{ limit: 2.5, period: 10 }, /limit must be an integer/],
    [{ limit: '5', period: 10 }, /limit must be an integer/],
    [{ limit: 5, period: 10, burst: 2 }, /unknown field burst/],
    [{ limit: 5, period: 10, quota: 100 }, /quota must be an object/],
    [{ limit: 5, period: 10, quota: { limit: -1, period: 60 } }, /quota.limit must be/],
    [{ limit: 5, period: 10, quota: { limit: 1, period: 0 } }, /quota.period must be/],
    [{ limit: 5, period: 10, quota: { limit: 1, period: 60, x: 1 } }, /unknown field quota.x/],
  ])(
    'RATE-002 a bad x-portcullis-rate-limit is refused at compile time, naming the operation: %j',
    (value, message) => {
      expect(() => compileRoutes('x', docWith(value))).toThrow(
        /POST \/orders \(createOrder\): x-portcullis-rate-limit: /,
      )
      expect(() => compileRoutes('x', docWith(value))).toThrow(message)
    },
  )
})

describe('port firewall', () => {
  it.each([
    [443, true, true],
    [80, true, true],
    [444, true, false],
    [417, true, false],
    [428, true, false],
    [888, false, false],
    [666, false, false],
    [8080, false, false],
    [22, false, false],
  ])('PORT-010 port %i: LAB %s, PROD %s', (port, lab, prod) => {
    expect(isPortOpen(port, 'LAB')).toBe(lab)
    expect(isPortOpen(port, 'PROD')).toBe(prod)
  })
})
