/**
 * The rules the edge and the request validator both apply (port, route and 405 + `Allow`,
 * media type, required claims), as one table of cases. Three runners: the core functions
 * themselves (rules.test.ts), the edge's ingress inside workerd
 * (edge/ingress/rules.test.ts) and the request validator's pure handler
 * (validators/lib/request/rules-shared.test.ts). Each case breaks at most one rule, so every
 * stage must give the same answer whatever the order of its steps. `npm run catalog` reads
 * the ids from here.
 */
import type { ErrorCode } from '../errors/index.js'
import type { DeploymentMode } from './ports.js'
import type { OpenApiDocument } from './routes.js'

/** The host name the runners give `RULES_DOCUMENT`. */
export const RULES_HOST = 'rules'

const ok = { '200': { description: 'ok' } }
const anyObject = { schema: { type: 'object' } }

/** Routes for every rule: bodies of several declared types, ports, claims. */
export const RULES_DOCUMENT: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'rules', version: '1' },
  paths: {
    '/items': {
      get: { operationId: 'listItems', responses: ok },
      // The review's case: a declared charset on the JSON type.
      post: {
        operationId: 'createItem',
        requestBody: { required: true, content: { 'application/json; charset=utf-8': anyObject } },
        responses: ok,
      },
      put: {
        operationId: 'putItem',
        requestBody: { content: { 'text/*': {}, 'application/xml': {} } },
        responses: ok,
      },
    },
    '/items/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { operationId: 'getItem', responses: ok },
      delete: { operationId: 'deleteItem', 'x-portcullis-ports': [443, 444], responses: ok },
    },
    '/upload': {
      post: { operationId: 'upload', requestBody: { content: { '*/*': {} } }, responses: ok },
    },
    '/latin': {
      post: {
        operationId: 'latin',
        requestBody: { content: { 'text/plain; charset=ISO-8859-1': {} } },
        responses: ok,
      },
    },
    '/admin': {
      get: { operationId: 'admin', 'x-required-claims': 'level >= 3', responses: ok },
    },
    '/ops': {
      get: { operationId: 'ops', 'x-portcullis-ports': [444], responses: ok },
    },
  },
}

export interface RuleRequest {
  deployment: DeploymentMode
  method: string
  port: number
  /** Below the host, starting with `/`. */
  path: string
  /** With `body`; none when undefined. */
  contentType?: string
  body?: string
  /** The caller's claims (a token that carries them); undefined: no token. */
  claims?: Record<string, unknown>
}

/** Passes every shared rule, or is refused with this code, status and (on a 405) `Allow`. */
export type RuleOutcome = 'pass' | { code: ErrorCode; status: number; allow?: string }

export type RuleCase = [name: string, request: RuleRequest, outcome: RuleOutcome]

function req(method: string, path: string, more: Partial<RuleRequest> = {}): RuleRequest {
  return { deployment: 'LAB', method, port: 443, path, ...more }
}
const withBody = (method: string, path: string, contentType: string | undefined, body = '{}') =>
  req(method, path, { body, ...(contentType === undefined ? {} : { contentType }) })
const refused = (code: ErrorCode, status: number, allow?: string): RuleOutcome =>
  allow === undefined ? { code, status } : { code, status, allow }

// prettier-ignore
export const RULE_CASES: RuleCase[] = [
  // Ports (core/policy/ports.ts): public open, internal only in LAB, control and trust root never.
  ['RULE-001 a public port passes', req('GET', '/items'), 'pass'],
  ['RULE-002 the control port 888 is closed in LAB', req('GET', '/items', { port: 888 }), refused('PORT_BLOCKED', 404)],
  ['RULE-003 the trust-root port 666 is closed in LAB', req('GET', '/items', { port: 666 }), refused('PORT_BLOCKED', 404)],
  ['RULE-004 an internal port is closed in PROD', req('GET', '/ops', { port: 444, deployment: 'PROD' }), refused('PORT_BLOCKED', 404)],
  ['RULE-005 an internal port is open in LAB for a route that declares it', req('GET', '/ops', { port: 444 }), 'pass'],
  ['RULE-006 a port of no class is closed', req('GET', '/items', { port: 8443 }), refused('PORT_BLOCKED', 404)],
  ['RULE-007 the control port is closed in PROD too', req('GET', '/items', { port: 888, deployment: 'PROD' }), refused('PORT_BLOCKED', 404)],

  // Routes (core/policy/routes.ts): 404, 405 with Allow, methods never carried.
  ['RULE-010 an unknown path is 404', req('GET', '/nothing'), refused('ROUTE_NOT_FOUND', 404)],
  ['RULE-011 a method the path does not take is 405 naming the ones it does', req('PATCH', '/items'), refused('METHOD_NOT_ALLOWED', 405, 'GET, POST, PUT')],
  ['RULE-012 TRACE on a known path is 405 naming what the path takes', req('TRACE', '/items'), refused('METHOD_NOT_ALLOWED', 405, 'GET, POST, PUT')],
  ['RULE-013 TRACE on an unknown path is 405 with an empty Allow', req('TRACE', '/nothing'), refused('METHOD_NOT_ALLOWED', 405, '')],
  ['RULE-014 a route declared only on an internal port is not found on a public one', req('GET', '/ops'), refused('ROUTE_NOT_FOUND', 404)],
  ['RULE-015 Allow counts only the methods open on the port asked', req('DELETE', '/items/7', { port: 80 }), refused('METHOD_NOT_ALLOWED', 405, 'GET')],
  ['RULE-016 a templated path passes', req('GET', '/items/7'), 'pass'],

  // Media types (core/policy/media-type.ts).
  ['RULE-020 JSON without a charset passes a route that declares application/json; charset=utf-8', withBody('POST', '/items', 'application/json'), 'pass'],
  ['RULE-021 JSON with the declared charset passes', withBody('POST', '/items', 'application/json; charset=utf-8'), 'pass'],
  ['RULE-022 case, spaces and a quoted charset do not change the type', withBody('POST', '/items', 'Application/JSON ;  Charset="UTF-8"'), 'pass'],
  ['RULE-023 JSON in another charset is 415', withBody('POST', '/items', 'application/json; charset=iso-8859-1'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-024 a type the route does not declare is 415', withBody('POST', '/items', 'text/plain'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-025 a body without a content type is 415', withBody('POST', '/items', undefined), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-026 a range as the content type is 415', withBody('POST', '/items', 'application/*'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-027 a charset named twice is 415, not whichever a parser keeps', withBody('POST', '/items', 'application/json; charset=utf-8; charset=iso-8859-1'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-029 a type covered by a declared type/* range passes', withBody('PUT', '/items', 'text/csv', 'a,b'), 'pass'],
  ['RULE-030 an exact declared type passes beside a range', withBody('PUT', '/items', 'application/xml', '<a/>'), 'pass'],
  ['RULE-031 a type/* range covers its own type only', withBody('PUT', '/items', 'application/json'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-032 a declared */* takes any concrete type', withBody('POST', '/upload', 'image/png', 'png'), 'pass'],
  ['RULE-033 a declared */* does not take */* itself', withBody('POST', '/upload', '*/*', 'x'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-034 a body on a route that takes none is 415', withBody('DELETE', '/items/7', 'text/plain', 'x'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-035 a charset other than the declared one is 415', withBody('POST', '/latin', 'text/plain; charset=utf-8', 'x'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-036 the declared charset, in another case, passes', withBody('POST', '/latin', 'text/plain; charset=iso-8859-1', 'x'), 'pass'],
  ['RULE-037 no charset passes a route that declares one', withBody('POST', '/latin', 'text/plain', 'x'), 'pass'],
  ['RULE-038 an empty parameter (a trailing semicolon) is allowed, as RFC 9110 says', withBody('POST', '/items', 'application/json;'), 'pass'],
  ['RULE-039 a parameter without a value is 415', withBody('POST', '/items', 'application/json; charset'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-040 a type without a subtype is 415', withBody('POST', '/upload', 'json', 'x'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-041 an unterminated quoted parameter is 415', withBody('POST', '/items', 'application/json; charset="utf-8'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],
  ['RULE-042 JSON named by a structured suffix in a foreign charset is 415', withBody('POST', '/upload', 'application/problem+json; charset=utf-16', '{}'), refused('UNSUPPORTED_MEDIA_TYPE', 415)],

  // Required claims (core/policy/required-claims.ts).
  ['RULE-050 no token on a route with required claims is 401', req('GET', '/admin'), refused('TOKEN_MISSING', 401)],
  ['RULE-051 claims that do not satisfy the rule are 403', req('GET', '/admin', { claims: { level: 2 } }), refused('CLAIMS_NOT_MET', 403)],
  ['RULE-052 claims that satisfy the rule pass', req('GET', '/admin', { claims: { level: 3 } }), 'pass'],
  ['RULE-053 a token without the claim is 403', req('GET', '/admin', { claims: {} }), refused('CLAIMS_NOT_MET', 403)],
  ['RULE-054 a token on a route without required claims passes', req('GET', '/items', { claims: { level: 1 } }), 'pass'],
]
