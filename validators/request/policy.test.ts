/**
 * The handler under other policies than the defaults: the config's `validation` section and
 * the route extensions change what passes, and only that.
 */
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_REQUEST_VALIDATION,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  subjects,
  type OpenApiDocument,
  type RequestEnvelope,
  type RequestValidationPolicy,
} from '../../core/index.js'
import { compileRequestHosts } from '../lib/index.js'
import { createRequestValidator } from './handler.js'

const NOW = 1_700_000_000_000
const ok = { '200': { description: 'ok' } }
const doc: OpenApiDocument = {
  openapi: '3.0.3',
  info: { title: 't', version: '1' },
  paths: {
    '/open': {
      get: { operationId: 'open', 'x-portcullis-allow-unknown-query': true, responses: ok },
    },
    '/files/{name}': {
      get: {
        operationId: 'file',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: ok,
      },
    },
    '/text': {
      post: {
        operationId: 'text',
        requestBody: { content: { 'text/plain': {}, 'application/json': { schema: {} } } },
        responses: ok,
      },
    },
  },
}

function validator(change: (p: RequestValidationPolicy) => void = () => undefined) {
  const policy = structuredClone(DEFAULT_REQUEST_VALIDATION)
  change(policy)
  return createRequestValidator({
    deployment: 'LAB',
    hosts: compileRequestHosts({ h: doc }, policy),
    maxBodyBytes: 1_000_000,
    policy,
  })
}

async function run(v: ReturnType<typeof validator>, overrides: Partial<RequestEnvelope>) {
  const env: RequestEnvelope = {
    requestId: 'req0000000001',
    deadline: NOW + 10_000,
    method: 'GET',
    host: 'h',
    port: 443,
    path: '/open',
    query: '',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.abc1',
    headers: [],
    body: new Uint8Array(),
    ...overrides,
  }
  const wire = encodeRequest(env)
  const verdict = await v(
    { subject: subjects.dirtyRequest('local', 'h'), headers: wire.headers, data: wire.data },
    NOW,
  )
  if (verdict.kind === 'forward')
    return { forwarded: decodeRequest(verdict.wire.headers, verdict.wire.data) }
  if (verdict.kind === 'reject')
    return { refused: decodeResponse(verdict.wire.headers, verdict.wire.data).error }
  throw new Error(verdict.reason)
}

describe('request validator policy', () => {
  it('drops headers outside the allow-list when the config says drop, and forwards the rest', async () => {
    const headers: RequestEnvelope['headers'] = [
      ['accept', '*/*'],
      ['x-other', '1'],
    ]
    expect(await run(validator(), { headers })).toEqual({ refused: 'HEADER_NOT_ALLOWED' })
    const { forwarded } = await run(
      validator((p) => (p.headers.unknown = 'drop')),
      { headers },
    )
    expect(forwarded?.headers).toEqual([['accept', '*/*']])
    // Dropping never covers the smuggling and hop-by-hop refusals.
    const drop = validator((p) => (p.headers.unknown = 'drop'))
    expect(await run(drop, { headers: [['connection', 'close']] })).toEqual({
      refused: 'HEADER_NOT_ALLOWED',
    })
  })

  it('adds header names from the config, exact or as a prefix', async () => {
    const v = validator((p) => (p.headers.allow = ['x-tenant', 'x-b3-*']))
    const { forwarded } = await run(v, {
      headers: [
        ['x-tenant', 'a'],
        ['x-b3-traceid', 'b'],
      ],
    })
    expect(forwarded?.headers).toHaveLength(2)
  })

  it('passes unknown query parameters on a route that allows them, still decoded and checked', async () => {
    expect((await run(validator(), { query: 'anything=1&more=%C3%A9' })).forwarded?.query).toBe(
      'anything=1&more=%C3%A9',
    )
    expect(await run(validator(), { query: 'a=%ff' })).toEqual({ refused: 'QUERY_MALFORMED' })
    expect(await run(validator(), { path: '/files/x', query: 'a=1' })).toEqual({
      refused: 'QUERY_SCHEMA_VIOLATION',
    })
  })

  it('takes the encoded-slash option and the path limits from the config', async () => {
    expect(await run(validator(), { path: '/files/a%2Fb' })).toEqual({
      refused: 'PATH_NOT_CANONICAL',
    })
    const slash = validator((p) => (p.path.allowEncodedSlash = true))
    expect((await run(slash, { path: '/files/a%2Fb' })).forwarded?.path).toBe('/files/a%2Fb')
    const short = validator((p) => (p.path.maxSegmentBytes = 3))
    expect(await run(short, { path: '/files/abcd' })).toEqual({ refused: 'PATH_NOT_CANONICAL' })
  })

  it('takes the JSON limits from the config, and passes declared non-JSON bodies as bytes', async () => {
    const json = {
      method: 'POST' as const,
      path: '/text',
      headers: [['content-type', 'application/json']] as [string, string][],
    }
    const deep = new TextEncoder().encode('[[[1]]]')
    expect((await run(validator(), { ...json, body: deep })).forwarded).toBeDefined()
    expect(
      await run(
        validator((p) => (p.json.maxDepth = 2)),
        { ...json, body: deep },
      ),
    ).toEqual({
      refused: 'BODY_LIMIT_EXCEEDED',
    })
    const keys = validator((p) => (p.json.forbiddenKeys = ['secret']))
    expect(await run(keys, { ...json, body: new TextEncoder().encode('{"secret":1}') })).toEqual({
      refused: 'BODY_KEY_NOT_ALLOWED',
    })
    expect(
      (await run(keys, { ...json, body: new TextEncoder().encode('{"constructor":1}') })).forwarded,
    ).toBeDefined()
    const text = {
      method: 'POST' as const,
      path: '/text',
      headers: [['content-type', 'text/plain']] as [string, string][],
    }
    expect(
      (await run(validator(), { ...text, body: new TextEncoder().encode('{{not json') })).forwarded,
    ).toBeDefined()
  })

  it('looks for injection signatures only where the route asks', async () => {
    expect((await run(validator(), { query: "q='%20OR%20'1'='1" })).forwarded).toBeDefined()
  })
})
