import { describe, expect, it } from 'vitest'
import {
  DEFAULT_REQUEST_VALIDATION,
  GatewayError,
  type OpenApiDocument,
  type RequestEnvelope,
} from '../../../core/index.js'
import { compileHost } from '../schemas.js'
import { checkRequestBody, readRequestBody } from './body.js'
import { compileRequestHosts } from './rules.js'
import { createRequestChecks } from './validate.js'

const MULTIPART = 'multipart/form-data'
const BOUNDARY = 'x-boundary-1'
const TYPE = `${MULTIPART}; boundary=${BOUNDARY}`

const UPLOAD = {
  type: 'object',
  required: ['title', 'file'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', readOnly: true },
    title: { type: 'string', maxLength: 50 },
    pages: { type: 'integer', minimum: 1 },
    draft: { type: 'boolean' },
    tag: { type: 'array', maxItems: 3, items: { type: 'string' } },
    meta: { type: 'object', additionalProperties: false, properties: { a: { type: 'integer' } } },
    file: { type: 'string', format: 'binary', maxLength: 64 },
    thumb: { type: 'string', format: 'binary' },
  },
}

function docWith(media: Record<string, unknown>, openapi = '3.0.3'): OpenApiDocument {
  return {
    openapi,
    info: { title: 't', version: '1' },
    paths: {
      '/uploads': {
        post: {
          operationId: 'upload',
          'x-portcullis-scan': ['sql'],
          requestBody: { required: true, content: { [MULTIPART]: media } },
          responses: { '200': { description: 'ok' } },
        },
      },
    },
  }
}

const operation = compileHost(
  't',
  docWith({ schema: UPLOAD, encoding: { thumb: { contentType: 'image/png, image/jpeg' } } }),
).operations.get('upload')!

type Part = {
  name?: string
  headers?: string[]
  filename?: string
  disposition?: string
  body: string
}

const field = (name: string, body: string): Part => ({ name, body })
const file = (name: string, body: string, type = 'application/octet-stream'): Part => ({
  name,
  filename: `${name}.bin`,
  headers: [`Content-Type: ${type}`],
  body,
})

/** A multipart body as a browser sends it; `end` replaces the close delimiter. */
function multipart(parts: Part[], end = `--${BOUNDARY}--\r\n`): string {
  let out = ''
  for (const p of parts) {
    const disposition =
      p.disposition ??
      (p.name === undefined
        ? 'form-data'
        : `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`)
    out += `--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n`
    for (const h of p.headers ?? []) out += `${h}\r\n`
    out += `\r\n${p.body}\r\n`
  }
  return out + end
}

const rules = { ...DEFAULT_REQUEST_VALIDATION.json, forbiddenKeys: new Set<string>() }

function read(body: string, contentType = TYPE, op = operation) {
  return readRequestBody(
    [['content-type', contentType]],
    Buffer.from(body, 'latin1'),
    op,
    true,
    rules,
  )
}

async function codeOf(run: Promise<unknown>): Promise<string | undefined> {
  try {
    await run
  } catch (e) {
    if (e instanceof GatewayError) return e.code
    throw e
  }
  return undefined
}

const minimal = [field('title', 'report'), file('file', 'abc')]

describe('multipart bodies against the schema', () => {
  it('MPART-001 a valid upload passes: text as its property type, repeated parts as arrays, JSON parsed, files kept out of the value', async () => {
    const bytes = '\x00\xff\x89PNG\r\n'
    const body = multipart([
      field('title', 'annual report'),
      field('pages', '12'),
      field('draft', 'false'),
      field('tag', 'a'),
      field('tag', 'b'),
      { name: 'meta', headers: ['Content-Type: application/json'], body: '{"a":1}' },
      file('file', bytes),
      file('thumb', 'png', 'image/png'),
    ])
    expect(await read(body)).toEqual({
      json: true,
      value: { title: 'annual report', pages: 12, draft: false, tag: ['a', 'b'], meta: { a: 1 } },
    })
  })

  it.each([
    ['MPART-002 a missing required field', [file('file', 'abc')]],
    ['MPART-003 a field of the wrong type', [...minimal, field('pages', 'ten')]],
    ['MPART-004 a non-canonical integer spelling', [...minimal, field('pages', '012')]],
    ['MPART-005 a single-valued field sent twice', [...minimal, field('title', 'other')]],
    [
      'MPART-006 a file part in a text field place',
      [field('title', 'a'), file('file', 'x'), file('pages', '1')],
    ],
    [
      'MPART-007 a JSON part that is not JSON',
      [...minimal, { name: 'meta', headers: ['Content-Type: application/json'], body: "{'a':1}" }],
    ],
    [
      'MPART-008 a part type outside encoding.contentType',
      [...minimal, file('thumb', 'x', 'text/html')],
    ],
    [
      'MPART-009 a file over its maxLength (its size counts)',
      [field('title', 'a'), file('file', 'x'.repeat(65))],
    ],
    ['MPART-010 a readOnly property sent', [...minimal, field('id', 'u1')]],
    ['MPART-011 a part the schema does not allow', [...minimal, field('admin', 'true')]],
  ])('%s is BODY_SCHEMA_VIOLATION', async (_name, parts) => {
    expect(await codeOf(read(multipart(parts)))).toBe('BODY_SCHEMA_VIOLATION')
  })

  const tooMany = Array.from(
    { length: DEFAULT_REQUEST_VALIDATION.query.maxParameters + 1 },
    (_, i) => field('tag', String(i)),
  )
  it.each([
    ['MPART-020 a part without a name', multipart([...minimal, { body: 'x' }])],
    ['MPART-021 a part with an empty name', multipart([...minimal, field('', 'x')])],
    ['MPART-022 a truncated body (no close delimiter)', multipart(minimal, '').slice(0, -2)],
    ['MPART-023 a body cut inside a part', multipart(minimal).slice(0, 60)],
    ['MPART-024 more parts than the query parameter limit', multipart([...minimal, ...tooMany])],
    [
      'MPART-025 a part name with a control character',
      multipart([...minimal, field('ti\ttle', 'x')]),
    ],
    [
      'MPART-026 a filename with a NUL',
      multipart([field('title', 'a'), { ...file('file', 'x'), filename: 'a\x00.png' }]),
    ],
    [
      'MPART-027 a Content-Transfer-Encoding other than binary, 8bit, 7bit',
      multipart([
        field('title', 'a'),
        { ...file('file', 'YWJj'), headers: ['Content-Transfer-Encoding: base64'] },
      ]),
    ],
    ['MPART-028 bytes before the first boundary', `preamble\r\n${multipart(minimal)}`],
    [
      'MPART-029 a part after the close delimiter',
      `${multipart(minimal)}${multipart([field('admin', 'true')])}`,
    ],
    [
      'MPART-030 a part header RFC 7578 does not allow (a delimiter with a suffix)',
      multipart([...minimal, { name: 'draft', headers: ['X-Smuggled: 1'], body: 'true' }]),
    ],
    [
      'MPART-031 a part header sent twice',
      multipart([
        ...minimal,
        {
          name: 'draft',
          headers: ['Content-Type: text/plain', 'Content-Type: application/json'],
          body: 'true',
        },
      ]),
    ],
    [
      'MPART-032 a part without a header block',
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n--${BOUNDARY}--\r\n`,
    ],
    [
      'MPART-033 a filename* parameter (parsers prefer one or the other)',
      multipart([
        field('title', 'a'),
        {
          ...file('file', 'x'),
          disposition: `form-data; name="file"; filename="a.txt"; filename*=UTF-8''b.exe`,
        },
      ]),
    ],
    [
      'MPART-034 a text part that is not UTF-8',
      multipart([field('title', '\xc0\xae'), file('file', 'x')]),
    ],
  ])('%s is BODY_MALFORMED', async (_name, body) => {
    expect(await codeOf(read(body))).toBe('BODY_MALFORMED')
  })

  it.each([
    ['MPART-040 a missing boundary', MULTIPART],
    ['MPART-041 a boundary longer than 70 characters', `${MULTIPART}; boundary=${'b'.repeat(71)}`],
    [
      'MPART-042 a quoted boundary with a character RFC 2046 excludes',
      `${MULTIPART}; boundary="a;b"`,
    ],
    ['MPART-043 a boundary other than the body uses', `${MULTIPART}; boundary=other`],
  ])('%s is BODY_MALFORMED', async (_name, contentType) => {
    expect(await codeOf(read(multipart(minimal), contentType))).toBe('BODY_MALFORMED')
  })

  it('MPART-050 a form whose encoding the validator cannot enforce (headers, style) is refused, never passed', async () => {
    const media = { schema: UPLOAD, encoding: { file: { headers: { 'X-Rate': { schema: {} } } } } }
    const op = compileHost('t', docWith(media)).operations.get('upload')!
    expect(await codeOf(read(multipart(minimal), TYPE, op))).toBe('UNSUPPORTED_MEDIA_TYPE')
  })

  it('MPART-051 a multipart type declared without a schema passes as bytes', async () => {
    const op = compileHost('t', docWith({})).operations.get('upload')!
    expect(await read('anything', TYPE, op)).toEqual({ json: false })
  })

  it('MPART-052 a 3.1 part with contentMediaType is a file; an untyped 3.1 part is one too', async () => {
    const schema = {
      type: 'object',
      required: ['doc'],
      properties: { doc: { type: 'string', contentMediaType: 'application/pdf' }, raw: {} },
    }
    const op = compileHost('t', docWith({ schema }, '3.1.0')).operations.get('upload')!
    const body = multipart([file('doc', '%PDF\xff'), file('raw', '\x00')])
    expect(await read(body, TYPE, op)).toEqual({ json: true, value: {} })
  })

  it('MPART-053 the synchronous body step refuses a multipart body rather than pass it', () => {
    const run = () =>
      checkRequestBody(
        [['content-type', TYPE]],
        Buffer.from(multipart(minimal)),
        operation,
        true,
        rules,
      )
    expect(run).toThrow(expect.objectContaining({ code: 'INTERNAL_ERROR' }))
  })
})

describe('multipart bodies and the injection scan', () => {
  const policy = structuredClone(DEFAULT_REQUEST_VALIDATION)
  const checks = createRequestChecks({
    deployment: 'LAB',
    hosts: compileRequestHosts({ h: docWith({ schema: UPLOAD }) }, policy),
    maxBodyBytes: 100_000,
    policy,
  })
  const post = (body: string): RequestEnvelope => ({
    requestId: 'req0000000001',
    deadline: 0,
    method: 'POST',
    host: 'h',
    port: 443,
    path: '/uploads',
    query: '',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.abc1',
    headers: [['content-type', TYPE]],
    body: Buffer.from(body, 'latin1'),
  })
  const attack = "' OR 1=1 --"

  it("MPART-060 a file part's bytes are not scanned", async () => {
    expect(await codeOf(checks(post(multipart([field('title', 'a'), file('file', attack)]))))).toBe(
      undefined,
    )
  })

  it('MPART-061 a text part is scanned like a form field', async () => {
    expect(await codeOf(checks(post(multipart([field('title', attack), file('file', 'x')]))))).toBe(
      'INJECTION_DETECTED',
    )
  })
})
