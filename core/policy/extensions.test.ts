import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  checkExtensions,
  compileRoutes,
  EXTENSION_PLACES,
  EXTENSION_TABLE,
  EXTENSIONS,
  ExtensionError,
  extensionProblems,
  type OpenApiDocument,
} from '../index.js'

const demo = JSON.parse(
  readFileSync(new URL('../../demo/openapi.json', import.meta.url), 'utf8'),
) as OpenApiDocument

const ok = { '200': { description: 'ok' } }

/** A document with `/orders` (GET, POST), a parameter, a body, components: places to put keys. */
type Doc = Record<string, any>

function doc(): Doc {
  return {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: {
      '/orders': {
        parameters: [{ name: 'tenant', in: 'header', schema: { type: 'string' } }],
        get: {
          operationId: 'listOrders',
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }],
          responses: {
            '200': {
              description: 'ok',
              headers: { 'x-next': { schema: { type: 'string' } } },
              content: {
                'application/json': {
                  schema: { type: 'array', items: { $ref: '#/components/schemas/Order' } },
                },
              },
            },
          },
        },
        post: {
          operationId: 'createOrder',
          requestBody: {
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
          },
          responses: ok,
        },
      },
    },
    components: {
      schemas: {
        Order: {
          type: 'object',
          properties: { item: { type: 'string' }, 'a/b~c': { type: 'string' } },
        },
      },
      parameters: { Page: { name: 'page', in: 'query', schema: { type: 'integer' } } },
    },
  }
}

function pointersOf(d: unknown): string[] {
  return extensionProblems(d).map((p) => p.pointer)
}

function refused(d: Doc): ExtensionError {
  try {
    checkExtensions('demo', d)
  } catch (e) {
    if (e instanceof ExtensionError) return e
    throw e
  }
  throw new Error('the document was accepted')
}

describe('extension table', () => {
  it('names every extension once, with its places, readers, shape and checker', () => {
    const names = Object.values(EXTENSIONS)
    expect(new Set(names).size).toBe(names.length)
    for (const [key, spec] of Object.entries(EXTENSION_TABLE)) {
      expect(spec.name).toBe(EXTENSIONS[key as keyof typeof EXTENSIONS])
      expect(spec.places.length).toBeGreaterThan(0)
      for (const p of spec.places) expect(EXTENSION_PLACES).toContain(p)
      expect(spec.readers.length).toBeGreaterThan(0)
      expect(spec.shape.length).toBeGreaterThan(0)
      expect(spec.check(undefined)).toBeTypeOf('string')
    }
  })

  it('accepts the demo document and every extension in its place with a good value', () => {
    expect(extensionProblems(demo)).toEqual([])
    const d = doc()
    Object.assign(d.paths['/orders'].post, {
      [EXTENSIONS.ports]: [443, 444],
      [EXTENSIONS.maxBodyBytes]: 1024,
      [EXTENSIONS.requiredClaims]: 'level >= 3',
      [EXTENSIONS.rateLimit]: { limit: 5, period: 10 },
      [EXTENSIONS.scan]: ['sql'],
      [EXTENSIONS.paranoia]: 2,
      [EXTENSIONS.allowUnknownQuery]: false,
      [EXTENSIONS.jsonLimits]: { maxDepth: 4 },
      [EXTENSIONS.undeclaredFields]: 'drop',
      [EXTENSIONS.allowLeaks]: ['token/jwt'],
    })
    d.components.schemas.Order.properties.item[EXTENSIONS.userData] = true
    expect(extensionProblems(d)).toEqual([])
  })
})

describe('unknown extensions', () => {
  it('EXT-001 a typo of an extension on an operation stops the start, naming its JSON pointer', () => {
    const d = doc()
    d.paths['/orders'].post['x-portcullis-scna'] = ['sql']
    const e = refused(d)
    expect(e.pointer).toBe('/paths/~1orders/post/x-portcullis-scna')
    expect(e.code).toBe('POLICY_INVALID')
    expect(e.message).toContain('/paths/~1orders/post/x-portcullis-scna')
    expect(e.message).toContain('POST /orders')
    expect(e.message).toContain('is not an extension Portcullis knows')
  })

  it.each([
    'X-Portcullis-Scan',
    'x_portcullis_scan',
    'x-portcullisscan',
    'x-portcullis-scan ',
    'X-PORTCULLIS-RATE-LIMIT',
    'x-portcullis-',
    'x-required-claim',
    'X-Required-Claims',
    'x_required_claims',
  ])('EXT-002 a look-alike spelling of an extension (%j) is refused, not ignored', (key) => {
    const d = doc()
    d.paths['/orders'].post[key] = ['sql']
    expect(pointersOf(d)).toEqual([`/paths/~1orders/post/${key}`])
  })

  it('EXT-003 keys of ours are found anywhere: schemas deep in components, headers, parameters, items, allOf, $defs', () => {
    const d = doc()
    const order = d.components.schemas.Order
    order.properties['a/b~c']['x-portcullis-userdata'] = true
    order.allOf = [{ properties: { n: { items: { 'x-portcullis-mask': 1 } } } }]
    order.$defs = { 'x/y': { 'x-portcullis-foo': 1 } }
    d.paths['/orders'].get.responses['200'].headers['x-next'].schema['x-portcullis-foo'] = 1
    d.components.parameters.Page['x-portcullis-foo'] = 1
    d.paths['/orders'].get.parameters[0].schema['x-portcullis-foo'] = 1
    expect(pointersOf(d).sort()).toEqual(
      [
        '/components/schemas/Order/properties/a~1b~0c/x-portcullis-userdata',
        '/components/schemas/Order/allOf/0/properties/n/items/x-portcullis-mask',
        '/components/schemas/Order/$defs/x~1y/x-portcullis-foo',
        '/paths/~1orders/get/responses/200/headers/x-next/schema/x-portcullis-foo',
        '/components/parameters/Page/x-portcullis-foo',
        '/paths/~1orders/get/parameters/0/schema/x-portcullis-foo',
      ].sort(),
    )
  })

  it('EXT-004 other x-* keys, and our names used as data or as names, pass', () => {
    const d = doc()
    d['x-logo'] = { url: 'x' }
    d.paths['/orders'].post['x-amazon-apigateway-integration'] = { 'x-portcullis-scna': 1 }
    const order = d.components.schemas.Order
    order.properties['x-portcullis-scan'] = { type: 'string' }
    order.example = { 'x-portcullis-scna': 'a value, not an extension' }
    order.default = { 'x-required-claim': 'x' }
    order.enum = [{ 'x-portcullis-foo': 1 }]
    d.components.schemas['x-portcullis-thing'] = { type: 'string' }
    d.paths['/orders'].post.requestBody.content['application/json'].example = {
      'x-portcullis-ports': 'data',
    }
    expect(extensionProblems(d)).toEqual([])
  })
})

describe('misplaced extensions', () => {
  const cases: Array<[string, (d: Doc) => void, string]> = [
    ['on the document root', (d) => (d[EXTENSIONS.scan] = ['sql']), `/${EXTENSIONS.scan}`],
    [
      'on a path item (no reader looks there)',
      (d) => (d.paths['/orders'][EXTENSIONS.requiredClaims] = 'level >= 3'),
      `/paths/~1orders/${EXTENSIONS.requiredClaims}`,
    ],
    [
      'on a parameter',
      (d) => (d.paths['/orders'].get.parameters[0][EXTENSIONS.scan] = ['sql']),
      `/paths/~1orders/get/parameters/0/${EXTENSIONS.scan}`,
    ],
    [
      'on a request body',
      (d) => (d.paths['/orders'].post.requestBody[EXTENSIONS.maxBodyBytes] = 10),
      `/paths/~1orders/post/requestBody/${EXTENSIONS.maxBodyBytes}`,
    ],
    [
      'on a media type',
      (d) =>
        (d.paths['/orders'].post.requestBody.content['application/json'][EXTENSIONS.scan] = [
          'sql',
        ]),
      `/paths/~1orders/post/requestBody/content/application~1json/${EXTENSIONS.scan}`,
    ],
    [
      'on a response',
      (d) => (d.paths['/orders'].get.responses['200'][EXTENSIONS.undeclaredFields] = 'drop'),
      `/paths/~1orders/get/responses/200/${EXTENSIONS.undeclaredFields}`,
    ],
    [
      'on the responses object',
      (d) => (d.paths['/orders'].get.responses[EXTENSIONS.allowLeaks] = ['token']),
      `/paths/~1orders/get/responses/${EXTENSIONS.allowLeaks}`,
    ],
    [
      'on a schema (an operation extension)',
      (d) => (d.components.schemas.Order[EXTENSIONS.scan] = ['sql']),
      `/components/schemas/Order/${EXTENSIONS.scan}`,
    ],
    [
      'on an operation (a schema extension)',
      (d) => (d.paths['/orders'].post[EXTENSIONS.userData] = true),
      `/paths/~1orders/post/${EXTENSIONS.userData}`,
    ],
    [
      'on a path item (a schema extension)',
      (d) => (d.paths['/orders'][EXTENSIONS.userData] = true),
      `/paths/~1orders/${EXTENSIONS.userData}`,
    ],
    [
      'beside a $ref, where it is never read',
      (d) =>
        (d.paths['/orders'].get.parameters[1] = {
          $ref: '#/components/parameters/Page',
          [EXTENSIONS.paranoia]: 3,
        }),
      `/paths/~1orders/get/parameters/1/${EXTENSIONS.paranoia}`,
    ],
    ['on info', (d) => (d.info[EXTENSIONS.ports] = [443]), `/info/${EXTENSIONS.ports}`],
    [
      'on components',
      (d) => (d.components[EXTENSIONS.jsonLimits] = { maxDepth: 3 }),
      `/components/${EXTENSIONS.jsonLimits}`,
    ],
    [
      'on a webhook path item',
      (d) => (d.webhooks = { hook: { [EXTENSIONS.scan]: ['sql'], post: { responses: ok } } }),
      `/webhooks/hook/${EXTENSIONS.scan}`,
    ],
  ]

  it.each(cases)(
    'EXT-005 a known extension %s stops the start, naming its pointer',
    (_, put, pointer) => {
      const d = doc()
      put(d)
      const e = refused(d)
      expect(e.pointer).toBe(pointer)
      expect(e.message).toContain(pointer)
      expect(e.message).toMatch(/may appear only on: /)
    },
  )
})

describe('extension values', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    [EXTENSIONS.paranoia, 5, /must be 1, 2, 3 or 4/],
    [EXTENSIONS.paranoia, '2', /must be 1, 2, 3 or 4/],
    [EXTENSIONS.scan, [], /non-empty list/],
    [EXTENSIONS.scan, ['sql', 'sql'], /distinct/],
    [EXTENSIONS.scan, 'sql', /non-empty list/],
    [EXTENSIONS.allowUnknownQuery, 'true', /true or false/],
    [EXTENSIONS.jsonLimits, { maxDepht: 3 }, /unknown key maxDepht/],
    [EXTENSIONS.jsonLimits, { maxDepth: -1 }, /maxDepth must be a count/],
    [EXTENSIONS.undeclaredFields, 'ignore', /must be one of refuse, drop/],
    [EXTENSIONS.allowLeaks, 'token', /list of leak families/],
  ]

  it.each(cases)(
    'EXT-006 %s: %j on an operation stops the start, naming its pointer',
    (name, value, message) => {
      const d = doc()
      d.paths['/orders'].post[name] = value
      const e = refused(d)
      expect(e.pointer).toBe(`/paths/~1orders/post/${name}`)
      expect(e.message).toMatch(message)
    },
  )

  it.each([false, 'yes', 1, null])(
    'EXT-007 x-portcullis-user-data: %j on a schema is refused (only true marks user data)',
    (value) => {
      const d = doc()
      d.components.schemas.Order.properties.item[EXTENSIONS.userData] = value
      expect(pointersOf(d)).toEqual([
        `/components/schemas/Order/properties/item/${EXTENSIONS.userData}`,
      ])
    },
  )
})

describe('every component that compiles a route table', () => {
  it('EXT-008 compileRoutes (the edge policy, both validators, the backend) refuses a document with an unknown extension', () => {
    const d = doc()
    d.paths['/orders'].get.responses['200'].content['application/json'].schema.items[
      'x-portcullis-user_data'
    ] = true
    expect(() => compileRoutes('demo', d as OpenApiDocument)).toThrow(ExtensionError)
    expect(() => compileRoutes('demo', d as OpenApiDocument)).toThrow(
      '/paths/~1orders/get/responses/200/content/application~1json/schema/items/x-portcullis-user_data',
    )
  })

  it('EXT-009 a document nested without end is refused, not walked forever', () => {
    const d = doc()
    let schema: Record<string, unknown> = d.components.schemas.Order
    for (let i = 0; i < 400; i++) {
      const next: Record<string, unknown> = { type: 'object' }
      schema.properties = { n: next }
      schema = next
    }
    expect(extensionProblems(d)[0]?.problem).toMatch(/nested deeper/)
  })
})
