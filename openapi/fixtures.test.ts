/**
 * Real published OpenAPI documents (openapi/fixtures/, each with its LICENSE and SOURCE.md),
 * loaded as their authors wrote them: every operation becomes a route, and for every
 * operation a request that fits the document is forwarded and one that breaks it is refused
 * with its problem code, through the request validator's pure handler.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import {
  compileRoutes,
  DEFAULT_REQUEST_VALIDATION,
  encodeRequest,
  subjects,
  type CompiledRoute,
  type ErrorCode,
  type OpenApiDocument,
  type RequestEnvelope,
} from '../core/index.js'
import { compileRequestHosts } from '../validators/lib/index.js'
import { createRequestValidator } from '../validators/request/handler.js'
import { loadOpenApi } from './index.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']
const HOST = 'fixture'
const NOW = 1_700_000_000_000

/** Fixture root documents, with their style and the operations they hold. */
const DOCUMENTS: Array<[string, string, number]> = [
  ['swagger-petstore: OpenAPI 3.0, YAML, one file', 'swagger-petstore/openapi.yaml', 19],
  ['petstore-expanded: OpenAPI 3.0, YAML, one file', 'petstore-expanded/petstore-expanded.yaml', 4],
  ['museum: OpenAPI 3.1, YAML, one file', 'museum/openapi.yaml', 8],
  ['redocly-cafe: OpenAPI 3.1, YAML, 40 files', 'redocly-cafe/openapi/openapi.yaml', 12],
  ['tictactoe: OpenAPI 3.1, JSON, one file', 'tictactoe/tictactoe.json', 3],
  ['uspto: OpenAPI 3.0, JSON, one file', 'uspto/uspto.json', 3],
]

/** Values for the fixtures' string patterns (a pattern has no generic sample). */
const PATTERN_SAMPLES: Record<string, string> = {
  '^prd_[0-9abcdefghjkmnpqrstvwxyz]{26}$': 'prd_01khr487f7qm7p44xn427m43vb',
  '^ord_[0-9abcdefghjkmnpqrstvwxyz]{26}$': 'ord_01khr487f7qm7p44xn427m43vb',
  "^[A-Za-z]+(?:[\\s'-][A-Za-z]+)*$": 'Ada Lovelace',
  '^([01]\\d|2[0-3]):?([0-5]\\d)$': '09:30',
}

const FORMAT_SAMPLES: Record<string, string> = {
  date: '2024-05-01',
  'date-time': '2024-05-01T10:00:00Z',
  email: 'ada@example.com',
  uuid: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  uri: 'https://example.com/a',
  'uri-reference': '/a',
  ulid: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
}

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Operations counted on the raw files: paths x methods, a path item `$ref` read by hand. */
function rawOperations(root: string): string[] {
  const read = (file: string) => parse(readFileSync(file, 'utf8')) as Obj
  const doc = read(root)
  const out: string[] = []
  for (const [template, raw] of Object.entries(doc.paths as Obj)) {
    const item =
      isObj(raw) && typeof raw.$ref === 'string'
        ? read(resolve(dirname(root), raw.$ref))
        : (raw as Obj)
    for (const key of Object.keys(item))
      if (METHODS.includes(key)) out.push(`${key.toUpperCase()} ${template}`)
  }
  return out.sort()
}

/** Follows local references in the bundled document. */
function deref(doc: OpenApiDocument, value: unknown): Obj {
  let node = value
  for (let hops = 0; isObj(node) && typeof node.$ref === 'string'; hops++) {
    if (hops > 16) throw new Error('reference loop')
    node = node.$ref
      .slice(2)
      .split('/')
      .map((t) => decodeURIComponent(t).replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((n, t) => (n as Obj)[t], doc)
  }
  if (!isObj(node)) throw new Error('not an object')
  return node
}

/** One value `schema` accepts. */
function sample(doc: OpenApiDocument, raw: unknown, depth = 0): unknown {
  if (raw === true || raw === undefined) return 'x'
  const s = deref(doc, raw)
  if (depth > 12) throw new Error('schema too deep to sample')
  if ('const' in s) return s.const
  if (Array.isArray(s.enum)) return s.enum.find((v) => v !== null)
  if (Array.isArray(s.allOf)) {
    const parts = s.allOf.map((b) => sample(doc, b, depth + 1))
    const own = s.properties || s.required ? sample(doc, { ...s, allOf: undefined }, depth + 1) : {}
    return Object.assign({}, ...parts.filter(isObj), isObj(own) ? own : {})
  }
  const branches = (s.oneOf ?? s.anyOf) as unknown[] | undefined
  if (branches) {
    const base = s.properties
      ? (sample(doc, { ...s, oneOf: undefined, anyOf: undefined }, depth + 1) as Obj)
      : {}
    return { ...base, ...(sample(doc, branches[0], depth + 1) as Obj) }
  }
  const type = (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type) as
    string | undefined
  if (type === 'object' || (type === undefined && (s.properties || s.required))) {
    const out: Obj = {}
    const props = (s.properties ?? {}) as Obj
    // A request's members: read-only ones are the server's to send, never the client's.
    for (const name of (s.required ?? []) as string[]) {
      if (props[name] !== undefined && deref(doc, props[name]).readOnly === true) continue
      out[name] = sample(doc, props[name], depth + 1)
    }
    return out
  }
  if (type === 'array') {
    return Array.from({ length: Number(s.minItems ?? 1) }, () => sample(doc, s.items, depth + 1))
  }
  if (type === 'integer' || type === 'number') {
    const min =
      typeof s.minimum === 'number'
        ? s.minimum
        : typeof s.exclusiveMinimum === 'number'
          ? s.exclusiveMinimum + 1
          : 1
    return Math.ceil(min)
  }
  if (type === 'boolean') return true
  if (typeof s.pattern === 'string') {
    const v = PATTERN_SAMPLES[s.pattern]
    if (v === undefined) throw new Error(`no sample for the pattern ${s.pattern}`)
    return v
  }
  if (typeof s.format === 'string' && FORMAT_SAMPLES[s.format]) return FORMAT_SAMPLES[s.format]
  return 'a'.repeat(Math.max(Number(s.minLength ?? 0), 3))
}

/** A value of the wrong type for `schema`, or undefined when any string is one it takes. */
function wrongValue(doc: OpenApiDocument, raw: unknown): string | undefined {
  const s = deref(doc, raw ?? {})
  const type = Array.isArray(s.type) ? s.type[0] : s.type
  if (type === 'integer' || type === 'number') return 'abc'
  if (typeof s.pattern === 'string' || Array.isArray(s.enum) || typeof s.format === 'string') {
    return 'zz!zz'
  }
  return undefined
}

interface Case {
  valid: RequestEnvelope
  invalid: RequestEnvelope
  expected: ErrorCode
  breaks: string
}

function cases(doc: OpenApiDocument, route: CompiledRoute): Case {
  const item = doc.paths![route.template] as Obj
  const op = item[route.method.toLowerCase()] as Obj
  const params = [
    ...((item.parameters as unknown[]) ?? []),
    ...((op.parameters as unknown[]) ?? []),
  ].map((p) => deref(doc, p))
  const pathValues = new Map<string, string>()
  const query: string[] = []
  const headers: Array<[string, string]> = []
  for (const p of params) {
    const value = sample(doc, p.schema)
    if (p.in === 'path') pathValues.set(p.name as string, String(value))
    else if (p.in === 'query' && p.required) {
      for (const v of Array.isArray(value) ? value : [value]) {
        query.push(`${encodeURIComponent(p.name as string)}=${encodeURIComponent(String(v))}`)
      }
    } else if (p.in === 'header' && p.required)
      headers.push([String(p.name).toLowerCase(), String(value)])
  }
  const pathOf = (values: Map<string, string>) =>
    '/' +
    route.segments
      .map((s) => ('literal' in s ? s.literal : encodeURIComponent(values.get(s.param)!)))
      .join('/')
  let body = new Uint8Array()
  let bodySchema: unknown
  let multipartBreak: Uint8Array<ArrayBuffer> | undefined
  const requestBody = op.requestBody === undefined ? undefined : deref(doc, op.requestBody)
  if (requestBody?.required === true) {
    const content = requestBody.content as Obj
    const json = Object.keys(content).find((t) => /^application\/(?:[\w.+-]+\+)?json/.test(t))
    const type = json ?? Object.keys(content)[0]!
    if (json) {
      bodySchema = (content[json] as Obj).schema
      body = new TextEncoder().encode(JSON.stringify(sample(doc, bodySchema)))
      headers.push(['content-type', json])
    } else if (type.startsWith('multipart/form-data') && (content[type] as Obj).schema) {
      // A form of the schema's required members; the break leaves the first of them out.
      const value = sample(doc, (content[type] as Obj).schema) as Obj
      body = multipartOf(value)
      const [first] = Object.keys(value)
      multipartBreak = multipartOf(
        Object.fromEntries(Object.entries(value).filter(([k]) => k !== first)),
      )
      headers.push(['content-type', `${type}; boundary=b`])
    } else {
      body = new TextEncoder().encode('--b\r\n\r\nx\r\n--b--\r\n')
      headers.push(['content-type', type.startsWith('multipart/') ? `${type}; boundary=b` : type])
    }
  }
  const valid: RequestEnvelope = {
    requestId: 'req0000000001',
    deadline: NOW + 10_000,
    method: route.method,
    host: HOST,
    port: 443,
    path: pathOf(pathValues),
    query: query.join('&'),
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.abc1',
    headers,
    body,
  }

  // The request that breaks the document: the most specific break the operation allows.
  const requiredQuery = params.find((p) => p.in === 'query' && p.required)
  if (requiredQuery) {
    const name = encodeURIComponent(requiredQuery.name as string)
    return {
      valid,
      invalid: { ...valid, query: query.filter((q) => !q.startsWith(`${name}=`)).join('&') },
      expected: 'QUERY_SCHEMA_VIOLATION',
      breaks: `without the required query parameter ${name}`,
    }
  }
  for (const p of params.filter((p) => p.in === 'path')) {
    const wrong = wrongValue(doc, p.schema)
    if (wrong === undefined) continue
    const values = new Map(pathValues).set(p.name as string, wrong)
    return {
      valid,
      invalid: { ...valid, path: pathOf(values) },
      expected: 'PATH_SCHEMA_VIOLATION',
      breaks: `path parameter ${String(p.name)} = ${wrong}`,
    }
  }
  if (multipartBreak !== undefined) {
    return {
      valid,
      invalid: { ...valid, body: multipartBreak },
      expected: 'BODY_SCHEMA_VIOLATION',
      breaks: 'a multipart form without a required part',
    }
  }
  if (bodySchema !== undefined) {
    const good = JSON.parse(new TextDecoder().decode(body)) as unknown
    const bad =
      isObj(good) && Object.keys(good).length > 0
        ? { ...good, [Object.keys(good)[0]!]: [[]] }
        : [[[]]]
    return {
      valid,
      invalid: { ...valid, body: new TextEncoder().encode(JSON.stringify(bad)) },
      expected: 'BODY_SCHEMA_VIOLATION',
      breaks: 'a body member of the wrong type',
    }
  }
  for (const p of params.filter((p) => p.in === 'query')) {
    const wrong = wrongValue(doc, p.schema)
    if (wrong === undefined) continue
    const name = encodeURIComponent(p.name as string)
    return {
      valid,
      invalid: { ...valid, query: [...query, `${name}=${encodeURIComponent(wrong)}`].join('&') },
      expected: 'QUERY_SCHEMA_VIOLATION',
      breaks: `query parameter ${name} = ${wrong}`,
    }
  }
  return {
    valid,
    invalid: { ...valid, query: [...query, 'unexpected=1'].join('&') },
    expected: 'QUERY_SCHEMA_VIOLATION',
    breaks: 'an undeclared query parameter',
  }
}

/** A multipart/form-data body (boundary `b`): a part per member, a list as repeated parts. */
function multipartOf(value: Obj): Uint8Array<ArrayBuffer> {
  const parts = Object.entries(value).flatMap(([name, v]) =>
    (Array.isArray(v) ? v : [v]).map(
      (item) =>
        `--b\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n` +
        `${typeof item === 'object' ? JSON.stringify(item) : String(item)}\r\n`,
    ),
  )
  return new TextEncoder().encode(`${parts.join('')}--b--\r\n`)
}

function message(env: RequestEnvelope) {
  const wire = encodeRequest(env)
  return { subject: subjects.dirtyRequest('local', HOST), headers: wire.headers, data: wire.data }
}

function load(root: string) {
  const { document, files } = loadOpenApi(join(FIXTURES, root))
  const routes = compileRoutes(HOST, document)
  const hosts = compileRequestHosts({ [HOST]: document }, DEFAULT_REQUEST_VALIDATION)
  const validator = createRequestValidator({ deployment: 'LAB', hosts, maxBodyBytes: 1_000_000 })
  return { document, files, routes, validator }
}

describe('real OpenAPI documents', () => {
  it.each(DOCUMENTS)('%s: loads, and every operation becomes a route', (_, root, count) => {
    const { document, files } = loadOpenApi(join(FIXTURES, root))
    const routes = compileRoutes(HOST, document)
    const raw = rawOperations(join(FIXTURES, root))
    expect(raw).toHaveLength(count)
    expect(routes.routes.map((r) => `${r.method} ${r.template}`).sort()).toEqual(raw)
    expect(files[0]).toBe(join(FIXTURES, root))
    // One self-contained document: schema references name components, all others are local.
    const walk = (node: unknown, schema: boolean): void => {
      if (Array.isArray(node)) return node.forEach((n) => walk(n, schema))
      if (!isObj(node)) return
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref') expect(v).toMatch(schema ? /^#\/components\/schemas\/[^/]+/ : /^#\//)
        else if (!k.startsWith('x-') && k !== 'example' && k !== 'examples')
          walk(v, schema || k === 'schema' || k === 'schemas')
      }
    }
    walk(document, false)
  })

  it('OAS-101 swagger-petstore: a form body whose fields are objects is refused as 415, never passed unchecked; the same operation in JSON passes', async () => {
    // PUT and POST /pet declare application/x-www-form-urlencoded with the Pet schema, whose
    // `category` is an object: the request validator cannot read such a form exactly
    // (validators/lib/request/form-body.ts), so it refuses that media type and serves the rest.
    const { document } = loadOpenApi(join(FIXTURES, 'swagger-petstore/openapi.yaml'))
    const validator = createRequestValidator({
      deployment: 'LAB',
      hosts: compileRequestHosts({ [HOST]: document }, DEFAULT_REQUEST_VALIDATION),
      maxBodyBytes: 1_000_000,
    })
    const pet = (contentType: string, body: string) =>
      validator(
        message({
          requestId: 'req0000000101',
          deadline: NOW + 10_000,
          method: 'POST',
          host: HOST,
          port: 443,
          path: '/pet',
          query: '',
          edgeId: 'local',
          replyTo: 'pc.link.inbox.local.abc1',
          headers: [['content-type', contentType]],
          body: new TextEncoder().encode(body),
        }),
        NOW,
      )
    expect(await pet('application/x-www-form-urlencoded', 'name=doggie&photoUrls=x')).toMatchObject(
      { kind: 'reject', code: 'UNSUPPORTED_MEDIA_TYPE' },
    )
    expect(
      await pet('application/json', JSON.stringify({ name: 'doggie', photoUrls: ['x'] })),
    ).toMatchObject({ kind: 'forward' })
  })

  it.each([
    [
      'OAS-106 petstore-expanded: a request that breaks an operation is refused, one that fits is forwarded',
      'petstore-expanded/petstore-expanded.yaml',
    ],
    [
      'OAS-102 museum: a request that breaks an operation is refused, one that fits is forwarded',
      'museum/openapi.yaml',
    ],
    [
      'OAS-103 redocly-cafe (40 files): a request that breaks an operation is refused, one that fits is forwarded',
      'redocly-cafe/openapi/openapi.yaml',
    ],
    [
      'OAS-104 tictactoe (JSON): a request that breaks an operation is refused, one that fits is forwarded',
      'tictactoe/tictactoe.json',
    ],
    [
      'OAS-105 uspto (JSON): a request that breaks an operation is refused, one that fits is forwarded',
      'uspto/uspto.json',
    ],
    [
      'OAS-107 swagger-petstore: a request that breaks an operation is refused, one that fits is forwarded',
      'swagger-petstore/openapi.yaml',
    ],
  ])('%s', async (_, root) => {
    const { document, routes, validator } = load(root)
    const outcomes: string[] = []
    for (const route of routes.routes) {
      const c = cases(document, route)
      const ok = await validator(message(c.valid), NOW)
      const bad = await validator(message(c.invalid), NOW)
      const name = `${route.method} ${route.template}`
      expect(ok, `${name}: ${'reason' in ok ? ok.reason : ''}`).toMatchObject({
        kind: 'forward',
        operation: route.operation,
      })
      expect(bad, `${name} ${c.breaks}`).toMatchObject({ kind: 'reject', code: c.expected })
      outcomes.push(`${name}: ${c.breaks} -> ${c.expected}`)
    }
    if (process.env.PORTCULLIS_SHOW_CASES) console.log(outcomes.join('\n'))
    expect(outcomes).toHaveLength(routes.routes.length)
  })
})
