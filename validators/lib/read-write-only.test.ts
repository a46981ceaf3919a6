/**
 * `readOnly` and `writeOnly` (OWASP API3): a client does not set what the server owns (mass
 * assignment), an upstream does not send back what only a client writes (a password), and
 * neither direction is asked for what the other one owns.
 */
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_REQUEST_VALIDATION,
  GatewayError,
  type OpenApiDocument,
  type ResponseEnvelope,
} from '../../core/index.js'
import { checkRequestBody } from './request/body.js'
import { checkResponse } from './response/contract.js'
import { compileResponseRulesFor } from './response/rules.js'
import { createSchemaCompiler } from './schema-compiler.js'
import { compileHost, compileHosts } from './schemas.js'

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } })
const answer = (schema: unknown) => ({ description: 'ok', ...json(schema) })
const FORM = 'application/x-www-form-urlencoded'

const components = {
  Id: { type: 'string', readOnly: true },
  Role: { type: 'string', enum: ['user', 'admin'], readOnly: true },
  RoleName: { type: 'string', enum: ['user', 'admin'] },
  Secret: { type: 'string', writeOnly: true },
  User: {
    type: 'object',
    required: ['id', 'name', 'password'],
    properties: {
      id: ref('Id'),
      name: { type: 'string' },
      role: ref('Role'),
      isAdmin: { type: 'boolean', readOnly: true },
      password: { type: 'string', writeOnly: true },
      token: ref('Secret'),
    },
  },
  // The flag beside the reference (OpenAPI 3.1).
  Member: {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string' }, role: { ...ref('RoleName'), readOnly: true } },
  },
  Stamped: {
    type: 'object',
    required: ['createdAt'],
    properties: { createdAt: { type: 'string', readOnly: true } },
  },
  // The flag in an `allOf` member, and a `required` in a sibling member naming it.
  Account: {
    allOf: [
      ref('Stamped'),
      {
        type: 'object',
        required: ['name', 'createdAt'],
        properties: { name: { type: 'string' }, role: { allOf: [ref('Role')] } },
      },
    ],
  },
  Plain: {
    type: 'object',
    required: ['id', 'name'],
    properties: { id: { type: 'string' }, name: { type: 'string' } },
  },
}

const doc: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'users', version: '1' },
  paths: {
    '/users': {
      post: {
        operationId: 'createUser',
        'x-portcullis-undeclared-fields': 'refuse',
        requestBody: json(ref('User')),
        responses: { '201': answer(ref('User')) },
      },
    },
    '/users/{id}': {
      get: {
        operationId: 'getUser',
        'x-portcullis-undeclared-fields': 'drop',
        parameters: [{ name: 'id', in: 'path', required: true, schema: ref('Id') }],
        responses: { '200': answer(ref('User')) },
      },
    },
    '/members': {
      post: {
        operationId: 'createMember',
        requestBody: json(ref('Member')),
        responses: { '201': answer(ref('Member')) },
      },
    },
    '/accounts': {
      post: {
        operationId: 'createAccount',
        requestBody: json(ref('Account')),
        responses: { '201': answer(ref('Account')) },
      },
    },
    '/forms': {
      post: {
        operationId: 'createByForm',
        requestBody: {
          content: {
            [FORM]: {
              schema: {
                type: 'object',
                required: ['name', 'id'],
                properties: { name: { type: 'string' }, id: ref('Id'), role: ref('Role') },
              },
            },
          },
        },
        responses: { '204': { description: 'done' } },
      },
    },
    '/plain': {
      post: {
        operationId: 'createPlain',
        requestBody: json(ref('Plain')),
        responses: { '201': answer(ref('Plain')) },
      },
    },
  },
  components: { schemas: components },
}

const host = compileHost('users', doc)
const contract = {
  hosts: compileHosts({ users: doc }),
  rules: compileResponseRulesFor({ users: doc }),
}
const rules = { ...DEFAULT_REQUEST_VALIDATION.json, forbiddenKeys: new Set<string>() }
const bytes = (text: string) => new TextEncoder().encode(text)

function request(operation: string, body: unknown, type = 'application/json') {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return checkRequestBody(
    [['content-type', type]],
    bytes(text),
    host.operations.get(operation)!,
    true,
    rules,
  )
}

function refusal(run: () => unknown): { code: string; reason: string } {
  try {
    run()
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e
    return { code: e.code, reason: e.reason ?? '' }
  }
  throw new Error('expected a refusal')
}

function respond(method: 'GET' | 'POST', path: string, status: number, body: unknown) {
  const env: ResponseEnvelope = {
    request: {
      requestId: 'rwonly0000000001',
      deadline: 1,
      method,
      host: 'users',
      port: 443,
      path,
      query: '',
    },
    status,
    headers: [['content-type', 'application/json']],
    body: bytes(JSON.stringify(body)),
  }
  return checkResponse(env, contract)
}

const sent = (out: { out: ResponseEnvelope }) =>
  JSON.parse(new TextDecoder().decode(out.out.body)) as unknown

describe('readOnly members of a request body', () => {
  it('PROP-001 a readOnly required id (through $ref) is not demanded in a POST body', () => {
    expect(request('createUser', { name: 'ann', password: 'pw' })).toEqual({
      json: true,
      value: { name: 'ann', password: 'pw' },
    })
    expect(request('createAccount', { name: 'ann' })).toMatchObject({ json: true })
  })

  it('PROP-002 a POST body setting a readOnly member is refused, naming its place', () => {
    expect(
      refusal(() => request('createUser', { name: 'a', password: 'p', isAdmin: true })),
    ).toEqual({
      code: 'BODY_SCHEMA_VIOLATION',
      reason: '/isAdmin is read-only',
    })
    expect(refusal(() => request('createUser', { name: 'a', password: 'p', id: 'u1' }))).toEqual({
      code: 'BODY_SCHEMA_VIOLATION',
      reason: '/id is read-only',
    })
  })

  it.each([
    [
      'PROP-003 a body setting role, whose $ref target is readOnly, is refused',
      'createUser',
      { name: 'a', password: 'p', role: 'admin' },
    ],
    [
      'PROP-004 a body setting role, readOnly beside its $ref (OpenAPI 3.1), is refused',
      'createMember',
      { name: 'a', role: 'admin' },
    ],
    [
      'PROP-005 a body setting role, readOnly through its allOf, is refused',
      'createAccount',
      { name: 'a', role: 'admin' },
    ],
    [
      'PROP-006 a body setting createdAt, readOnly in an allOf member of the body schema, is refused',
      'createAccount',
      { name: 'a', createdAt: 'now' },
    ],
  ])('%s', (_, op, body) => {
    const { code, reason } = refusal(() => request(op, body))
    expect(code).toBe('BODY_SCHEMA_VIOLATION')
    expect(reason).toMatch(/^\/(role|createdAt) is read-only$/)
  })

  it('PROP-007 a form body: a readOnly field is not demanded, and refused when sent', () => {
    expect(request('createByForm', 'name=ann', FORM)).toMatchObject({ value: { name: 'ann' } })
    expect(refusal(() => request('createByForm', 'name=ann&role=admin', FORM))).toEqual({
      code: 'BODY_SCHEMA_VIOLATION',
      reason: '/role is read-only',
    })
  })

  it('PROP-008 parameters are unaffected: a readOnly schema still checks a path parameter', () => {
    const compile = createSchemaCompiler('users', doc)
    const id = compile(ref('Id'), 'parameter id')
    expect(id('u1')).toBe(true)
    expect(id(1)).toBe(false)
  })
})

describe('writeOnly members of a response body', () => {
  const user = { id: 'u1', name: 'ann', role: 'user' }

  it('PROP-009 a response lacking a writeOnly required password passes', () => {
    expect(sent(respond('POST', '/users', 201, user))).toEqual(user)
    expect(respond('GET', '/users/u1', 200, user).dropped).toEqual([])
  })

  it('PROP-010 a response carrying a writeOnly password is refused under refuse, naming it', () => {
    const { code, reason } = refusal(() =>
      respond('POST', '/users', 201, { ...user, password: 'x' }),
    )
    expect(code).toBe('WRITE_OUTCOME_UNKNOWN')
    expect(reason).toBe('RESPONSE_SCHEMA_VIOLATION: write-only member /password')
    const both = refusal(() => respond('POST', '/users', 201, { ...user, extra: 1, token: 't' }))
    expect(both.reason).toBe('RESPONSE_SCHEMA_VIOLATION: write-only member /token and 1 more')
  })

  it('PROP-011 under drop, the writeOnly members are stripped from what goes out', () => {
    const out = respond('GET', '/users/u1', 200, { ...user, password: 'x', token: 't' })
    expect(out.dropped).toEqual(['/password', '/token'])
    expect(sent(out)).toEqual(user)
  })
})

describe('schemas with neither flag', () => {
  it('PROP-012 a schema with neither flag compiles exactly as before, and keeps its required members', () => {
    const compile = createSchemaCompiler('users', doc)
    const before = compile(components.Plain, 'plain').schema
    for (const direction of ['request', 'response'] as const) {
      expect(compile(components.Plain, 'plain', direction).schema).toEqual(before)
    }
    const { code, reason } = refusal(() => request('createPlain', { name: 'a' }))
    expect(code).toBe('BODY_SCHEMA_VIOLATION')
    expect(reason).toBe("/ must have required property 'id'")
    expect(respond('POST', '/plain', 201, { id: '1', name: 'a' }).dropped).toEqual([])
  })

  it('PROP-013 a document without flags refers to the shared components in both directions', () => {
    const plain: OpenApiDocument = { ...doc, components: { schemas: { Plain: components.Plain } } }
    const compile = createSchemaCompiler('plain', plain)
    const shared = compile(ref('Plain'), 'plain').schema
    expect(shared).toEqual({ $ref: 'urn:portcullis:plain:components#/$defs/Plain' })
    expect(compile(ref('Plain'), 'plain', 'request').schema).toEqual(shared)
    expect(compile(ref('Plain'), 'plain', 'response').schema).toEqual(shared)
  })
})
