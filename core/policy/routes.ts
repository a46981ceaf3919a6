/**
 * The route table, compiled from an upstream's OpenAPI 3.x document. Pure data, so the
 * edge can carry it as configuration and the request validator can compile it again on
 * its own from the same document.
 */
import { ClaimsSyntaxError, parseClaims } from '../claims/index.js'
import { GatewayError, SetupError } from '../errors/index.js'
import { METHODS, type Method } from '../envelope/index.js'
import { checkExtensions, EXTENSIONS } from './extensions.js'
import { declaredMediaTypeProblem } from './media-type.js'
import { DEFAULT_PORT } from './ports.js'
import { readRateLimit, type RouteRateLimit } from './rate-limit.js'

export const DEFAULT_ROUTE_PORTS: readonly number[] = [DEFAULT_PORT, 80]

export type Segment = { literal: string } | { param: string }

export interface CompiledRoute {
  operation: string
  method: Method
  /** The OpenAPI path template, e.g. `/orders/{id}`. */
  template: string
  segments: Segment[]
  ports: number[]
  /** Media types the request body may have; empty when the route takes no body. */
  mediaTypes: string[]
  bodyRequired: boolean
  maxBodyBytes?: number
  /**
   * The operation's claims expression as written; checked at compile time, so every stage
   * can parse it again from this text (the table stays plain data).
   */
  requiredClaims?: string
  rateLimit?: RouteRateLimit
}

export interface RouteTable {
  host: string
  routes: CompiledRoute[]
}

export type RouteMatch =
  | { ok: true; route: CompiledRoute; params: Record<string, string> }
  | { ok: false; code: 'ROUTE_NOT_FOUND' }
  | { ok: false; code: 'METHOD_NOT_ALLOWED'; allow: Method[] }

interface OpenApiOperation {
  operationId?: unknown
  requestBody?: { required?: unknown; content?: Record<string, unknown> }
  [ext: string]: unknown
}

export interface OpenApiDocument {
  openapi: string
  paths?: Record<string, Record<string, unknown>>
  components?: Record<string, unknown>
  [key: string]: unknown
}

const PARAM = /^\{([A-Za-z0-9_.-]+)\}$/
const OPERATION_ID = /^[A-Za-z0-9_.:-]{1,128}$/

/** A document the route table cannot be read from: its shape (OPENAPI_INVALID). */
function bad(reason: string): SetupError {
  return new SetupError('OPENAPI_INVALID', `openapi: ${reason}`)
}

/** An x-portcullis extension (or x-required-claims) of one operation that cannot be read. */
function badPolicy(reason: string): SetupError {
  return new SetupError('POLICY_INVALID', `openapi: ${reason}`)
}

function parseTemplate(template: string): Segment[] {
  if (!template.startsWith('/')) throw bad(`path ${template} must start with /`)
  return template
    .slice(1)
    .split('/')
    .map((part) => {
      const m = PARAM.exec(part)
      if (m) return { param: m[1]! }
      if (part.includes('{') || part.includes('}')) throw bad(`unsupported template ${template}`)
      return { literal: part }
    })
}

function portsOf(op: OpenApiOperation, where: string): number[] {
  const value = op[EXTENSIONS.ports]
  if (value === undefined) return [...DEFAULT_ROUTE_PORTS]
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((p) => Number.isInteger(p) && p > 0 && p < 65536)
  ) {
    throw badPolicy(`${where}: ${EXTENSIONS.ports} must be a list of ports`)
  }
  return value as number[]
}

function requiredClaimsOf(op: OpenApiOperation, where: string): string | undefined {
  const value = op[EXTENSIONS.requiredClaims]
  if (value === undefined) return undefined
  if (typeof value !== 'string')
    throw badPolicy(`${where}: ${EXTENSIONS.requiredClaims} must be a string`)
  try {
    parseClaims(value)
  } catch (err) {
    if (err instanceof ClaimsSyntaxError) {
      throw badPolicy(`${where}: ${EXTENSIONS.requiredClaims}: ${err.code}: ${err.message}`)
    }
    throw err
  }
  return value
}

/** The request body's content keys, lowercase; each a media type or range, none twice. */
function mediaTypesOf(op: OpenApiOperation, where: string): string[] {
  const keys = Object.keys(op.requestBody?.content ?? {}).map((t) => t.toLowerCase())
  const problem = declaredMediaTypeProblem(keys)
  if (problem !== undefined) throw bad(`${where}: requestBody: ${problem}`)
  return keys
}

/** Compiles every operation of the document. Throws on anything it cannot read exactly. */
export function compileRoutes(host: string, doc: OpenApiDocument): RouteTable {
  if (typeof doc?.openapi !== 'string' || !/^3\.[01]\./.test(doc.openapi)) {
    throw bad(`${host}: only OpenAPI 3.0 and 3.1 documents are supported`)
  }
  const routes: CompiledRoute[] = []
  for (const [template, item] of Object.entries(doc.paths ?? {})) {
    const segments = parseTemplate(template)
    for (const [key, value] of Object.entries(item)) {
      const method = key.toUpperCase() as Method
      if (!(METHODS as readonly string[]).includes(method)) continue
      const op = value as OpenApiOperation
      const operation =
        typeof op.operationId === 'string' && OPERATION_ID.test(op.operationId)
          ? op.operationId
          : `${method}:${template}`
      const where = `${method} ${template} (${operation})`
      const route: CompiledRoute = {
        operation,
        method,
        template,
        segments,
        ports: portsOf(op, where),
        mediaTypes: mediaTypesOf(op, where),
        bodyRequired: op.requestBody?.required === true,
      }
      const max = op[EXTENSIONS.maxBodyBytes]
      if (max !== undefined) {
        if (!Number.isInteger(max) || (max as number) < 0) {
          throw badPolicy(`${where}: ${EXTENSIONS.maxBodyBytes} must be a byte count`)
        }
        route.maxBodyBytes = max as number
      }
      const claims = requiredClaimsOf(op, where)
      if (claims !== undefined) route.requiredClaims = claims
      if (op[EXTENSIONS.rateLimit] !== undefined) {
        route.rateLimit = readRateLimit(op[EXTENSIONS.rateLimit], where)
      }
      routes.push(route)
    }
  }
  routes.sort(bySpecificity)
  // After the readers above (their messages name the operation): every key of ours in the
  // whole document, known, in its place and of its shape, or the start stops.
  checkExtensions(host, doc)
  return { host, routes }
}

/** Literal segments win over parameters, position by position (OpenAPI's rule). */
function bySpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.min(a.segments.length, b.segments.length)
  for (let i = 0; i < n; i++) {
    const la = 'literal' in a.segments[i]! ? 0 : 1
    const lb = 'literal' in b.segments[i]! ? 0 : 1
    if (la !== lb) return la - lb
  }
  return a.segments.length - b.segments.length
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < parts.length; i++) {
    const seg = segments[i]!
    const part = parts[i]!
    if ('literal' in seg) {
      if (seg.literal !== part) return undefined
    } else {
      if (part === '') return undefined
      params[seg.param] = part
    }
  }
  return params
}

/**
 * Finds the route for a request. `path` is the path below the host, starting with `/`.
 * A path that exists for other methods is 405 with the allowed ones; a route that exists
 * only on other ports is reported as not found, like a closed port.
 */
export function matchRoute(
  table: RouteTable,
  method: string,
  path: string,
  port: number,
): RouteMatch {
  const parts = path.slice(1).split('/')
  const allow = new Set<Method>()
  let template: string | undefined
  for (const route of table.routes) {
    if (!route.ports.includes(port)) continue
    if (template !== undefined && route.template !== template) continue
    const params = matchSegments(route.segments, parts)
    if (!params) continue
    // The first template that matches is the most specific; only its methods count.
    template = route.template
    if (route.method === method) return { ok: true, route, params }
    allow.add(route.method)
  }
  if (allow.size === 0) return { ok: false, code: 'ROUTE_NOT_FOUND' }
  return { ok: false, code: 'METHOD_NOT_ALLOWED', allow: [...allow].sort() }
}

/** 405 with `Allow` naming what the path takes (HTTP asks it of every 405, even when empty). */
export function methodNotAllowed(allow: readonly string[], reason: string): GatewayError {
  return new GatewayError('METHOD_NOT_ALLOWED', { reason, headers: { Allow: allow.join(', ') } })
}

/** Methods the gateway carries at all (TRACE, CONNECT and WebDAV's never). */
export function isCarriedMethod(method: string): boolean {
  return (METHODS as readonly string[]).includes(method)
}

/**
 * The route rule of the edge and the request validator alike. A method the gateway never
 * carries is 405 whether or not the path exists; otherwise `matchRoute`: 404
 * ROUTE_NOT_FOUND (a route only on other ports too), or 405 METHOD_NOT_ALLOWED with `Allow`.
 */
export function resolveRoute(
  table: RouteTable,
  method: string,
  path: string,
  port: number,
): { route: CompiledRoute; params: Record<string, string> } {
  const match = matchRoute(table, method, path, port)
  if (!isCarriedMethod(method)) {
    const allow = !match.ok && match.code === 'METHOD_NOT_ALLOWED' ? match.allow : []
    throw methodNotAllowed(allow, `method ${method.slice(0, 16)} is never carried`)
  }
  if (match.ok) return { route: match.route, params: match.params }
  if (match.code === 'METHOD_NOT_ALLOWED') {
    throw methodNotAllowed(match.allow, `${method} is not a method of this path`)
  }
  throw new GatewayError('ROUTE_NOT_FOUND', { reason: `no route for ${method} on port ${port}` })
}
