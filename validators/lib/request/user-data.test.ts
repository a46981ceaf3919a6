/**
 * Text that will come back in answers is judged at the door with the response validator's
 * leak signatures, so that one client's stored text cannot shut a route for everyone.
 */
import { describe, expect, it } from 'vitest'
import { GatewayError, type OpenApiDocument } from '../../../core/index.js'
import { checkUserData, compileUserData } from './user-data.js'

const json = (schema: unknown) => ({
  description: 'json',
  content: { 'application/json': { schema } },
})
const body = (schema: unknown) => ({ content: { 'application/json': { schema } } })

const doc: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'shop', version: '1' },
  paths: {
    '/orders': {
      get: {
        operationId: 'listOrders',
        responses: {
          '200': json({ type: 'array', items: { $ref: '#/components/schemas/Order' } }),
        },
      },
      post: {
        operationId: 'createOrder',
        requestBody: body({
          type: 'object',
          properties: {
            item: { type: 'string' },
            comment: { type: 'string' },
            labels: {
              type: 'object',
              'x-portcullis-user-data': true,
              additionalProperties: { type: 'string' },
            },
            lines: {
              type: 'array',
              items: { type: 'object', properties: { text: { type: 'string' } } },
            },
          },
        }),
        responses: { '204': { description: 'stored' } },
      },
    },
    '/login': {
      post: {
        operationId: 'login',
        'x-portcullis-allow-leaks': ['token/jwt'],
        requestBody: body({ type: 'object', properties: { token: { type: 'string' } } }),
        responses: {
          '200': json({ type: 'object', properties: { token: { type: 'string' } } }),
        },
      },
    },
  },
  components: {
    schemas: {
      Order: {
        type: 'object',
        properties: {
          item: { type: 'string' },
          lines: { type: 'array', items: { type: 'object', properties: { text: {} } } },
        },
      },
    },
  },
}

const checks = compileUserData('shop', doc)

function verdict(operation: string, value: unknown): string | undefined {
  try {
    checkUserData(checks.get(operation)!, value)
    return undefined
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e
    expect(e.code).toBe('BODY_LEAK_SIGNATURE')
    expect(e.status).toBe(400)
    return e.detail
  }
}

const JWT = [
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
  'eyJzdWIiOiJhbGljZSJ9',
  'c2lnbmF0dXJlLXNoYXBlZA',
].join('.')

describe('user data at the door', () => {
  it('STORE-010 a field the answers echo (same name) that would be a leak on the way out is refused at the door', () => {
    expect(verdict('createOrder', { item: 'router 10.0.0.1' })).toBe(
      'internal-address/ipv4 in /item',
    )
    expect(verdict('createOrder', { lines: [{ text: 'ok' }, { text: 'see /home/ops/x' }] })).toBe(
      'file-path/unix in /lines/1/text',
    )
  })

  it('STORE-011 a field no answer echoes keeps its text (it never comes back)', () => {
    expect(verdict('createOrder', { item: 'tea', comment: 'router 10.0.0.1' })).toBeUndefined()
  })

  it('STORE-012 a field marked x-portcullis-user-data is checked, keys and values', () => {
    expect(verdict('createOrder', { labels: { colour: 'at 10.0.0.1' } })).toBe(
      'internal-address/ipv4 in /labels/colour',
    )
    expect(verdict('createOrder', { labels: { '10.0.0.1': 'x' } })).toBe(
      'internal-address/ipv4 in /labels/10.0.0.1',
    )
  })

  it('STORE-013 escapes and invisible characters hide nothing at the door either', () => {
    expect(verdict('createOrder', { item: 'router 10.0.0\u200b.1' })).toBe(
      'internal-address/ipv4 in /item',
    )
    expect(verdict('createOrder', JSON.parse('{"item":"10.0.0\\u002e1"}'))).toBe(
      'internal-address/ipv4 in /item',
    )
  })

  it("STORE-014 the route's own allowances apply at the door as on the way out", () => {
    expect(verdict('login', { token: JWT })).toBeUndefined()
    expect(verdict('login', { token: 'AKIA' + 'IOSFODNN7EXAMPLE' })).toBe(
      'cloud-key/aws-access-key in /token',
    )
  })

  it('STORE-015 ordinary text passes: names with apostrophes, versions, times, public URLs', () => {
    for (const item of [
      "O'Brien's tea",
      'v10.0.0.1 build 10.0.0.1-beta',
      'at 10:30:00, ratio 3:2',
      'see https://example.com/var/1',
    ]) {
      expect(verdict('createOrder', { item })).toBeUndefined()
    }
  })

  it('only operations with a JSON request body have a check', () => {
    expect([...checks.keys()].sort()).toEqual(['createOrder', 'login'])
  })
})
