/**
 * The request validator's verdict on one dirty request, in order: envelope shape, the
 * relay's stamps, deadline, port policy, host and route (and the body size), the actor and
 * the route's required claims, headers, the path's canonical form and path parameters, the
 * query, the body (media type, JSON rules, schema), and injection signatures where the
 * route asks for them. Each check is a pure function of validators/lib/request. Pure: no
 * I/O (the access keys are in the verifier, loaded at start), the clock is passed in. A
 * forward goes to NATS-2 with the operation stamped; a reject goes to NATS-4 as an error
 * response and never reaches NATS-2.
 */
import {
  compileClaims,
  DEFAULT_REQUEST_VALIDATION,
  encodeRequest,
  encodeResponse,
  errorResponse,
  GatewayError,
  hasExpired,
  isPortOpen,
  matchRoute,
  parseDirtyRequest,
  subjects,
  TokenError,
  type ClaimsPredicate,
  type CompiledRoute,
  type DeploymentMode,
  type ErrorCode,
  type RequestEnvelope,
  type RequestValidationPolicy,
  type WireMessage,
  type BusMessage,
  type TokenVerifier,
  failureReason,
} from '../../core/index.js'
import {
  checkCanonicalPath,
  checkParameter,
  checkRequestBody,
  checkRequestHeaders,
  parseQuery,
  scanRequest,
  shownName,
  type CompiledParameter,
  type OperationSchemas,
  type QueryValues,
  type RequestHost,
  type RequestRules,
} from '../lib/index.js'
import { decodeDirtyRequest, type DirtyRequest } from './decode.js'

export interface RequestValidatorOptions {
  deployment: DeploymentMode
  /** Compiled with the same `policy` (`compileRequestHosts`). */
  hosts: Record<string, RequestHost>
  /** Body limit for routes that do not set `x-portcullis-max-body-bytes`. */
  maxBodyBytes: number
  /** The config's `validation` section; its defaults when absent. */
  policy?: RequestValidationPolicy
  /**
   * Verifies the envelope's actor as an access token (the access service's keys). Without
   * it, a request with an actor or for a route with required claims is refused (closed).
   */
  accessTokens?: TokenVerifier
}

export type RequestVerdict =
  | { kind: 'forward'; subject: string; wire: WireMessage; requestId: string; operation: string }
  | {
      kind: 'reject'
      subject: string
      wire: WireMessage
      requestId: string
      code: ErrorCode
      reason: string
    }
  | { kind: 'drop'; reason: string; requestId?: string }

export type RequestValidator = (msg: BusMessage, now: number) => Promise<RequestVerdict>

export function createRequestValidator(options: RequestValidatorOptions): RequestValidator {
  const checkActor = actorCheck(options.accessTokens)
  const policy = options.policy ?? DEFAULT_REQUEST_VALIDATION
  return async (msg, now) => {
    let env: RequestEnvelope
    let headerFault: DirtyRequest['headerFault']
    try {
      ;({ env, headerFault } = decodeDirtyRequest(msg))
    } catch (e) {
      return { kind: 'drop', reason: failureReason(e) }
    }
    const { requestId } = env
    if (!env.edgeId || !env.replyTo) {
      return { kind: 'drop', reason: 'envelope has no edge or reply stamp', requestId }
    }
    // The caller is the edge the subject names: only the relay publishes on NATS-1, and it
    // takes the edge id from the link subject the edge's own grant pins. An envelope naming
    // another edge carries that edge's reply inbox: answering it would reach an edge the
    // subject does not certify, so it is dropped, never answered.
    const filed = parseDirtyRequest(msg.subject)
    if (!filed) return { kind: 'drop', reason: 'not a dirty request subject', requestId }
    if (filed.edgeId !== env.edgeId) {
      return {
        kind: 'drop',
        reason: `envelope names edge ${env.edgeId}, its subject edge ${filed.edgeId}`,
        requestId,
      }
    }
    if (hasExpired(env, now)) return { kind: 'drop', reason: 'deadline passed', requestId }

    const reject = (error: GatewayError): RequestVerdict => ({
      kind: 'reject',
      subject: subjects.cleanResponse('request-validator', env.host),
      wire: encodeResponse(withAllow(errorResponse(env, error), error)),
      requestId,
      code: error.code,
      reason: error.reason ?? error.detail ?? error.code,
    })
    try {
      if (headerFault !== undefined) {
        throw new GatewayError('HEADER_INVALID', headerFault)
      }
      const { operation, route, rules, params } = check(env, msg.subject, options)
      await checkActor(env, route)
      env.headers = checkRequestHeaders(
        env.headers,
        env.body.length,
        rules.allowedHeaders,
        policy.headers,
      )
      checkHeaderParameters(env, rules)
      const pathParams = checkPath(env.path, params, rules, policy)
      const query = checkQuery(env.query, rules, policy)
      const body = checkRequestBody(
        env.headers,
        env.body,
        operation,
        route.bodyRequired,
        rules.json,
      )
      if (rules.scanner) {
        scanRequest(
          { pathParams, query, ...(body.json ? { body: body.value } : {}) },
          rules.scanner,
        )
      }
      env.operation = operation.operation
      return {
        kind: 'forward',
        subject: subjects.cleanRequest(env.host),
        wire: encodeRequest(env),
        requestId,
        operation: operation.operation,
      }
    } catch (e) {
      if (e instanceof GatewayError) return reject(e)
      throw e
    }
  }
}

function withAllow<T extends { headers: Array<[string, string]> }>(env: T, error: GatewayError): T {
  for (const [name, value] of Object.entries(error.headers ?? {}))
    env.headers.push([name.toLowerCase(), value])
  return env
}

/**
 * The actor again, on-prem: a present actor must be an access token of the gateway's access
 * service, and a route's required claims are evaluated against its claims. No actor on such
 * a route is TOKEN_MISSING.
 */
function actorCheck(verifier: TokenVerifier | undefined) {
  const compiled = new Map<string, ClaimsPredicate>()
  const predicateOf = (source: string) => {
    let p = compiled.get(source)
    if (!p) compiled.set(source, (p = compileClaims(source)))
    return p
  }
  return async (env: RequestEnvelope, route: CompiledRoute): Promise<void> => {
    const rule = route.requiredClaims
    if (env.actor === undefined) {
      if (rule !== undefined) throw new TokenError('TOKEN_MISSING', 'the route requires claims')
      return
    }
    if (!verifier) {
      throw new GatewayError('INTERNAL_ERROR', { reason: 'no access keys to verify the actor' })
    }
    const { claims } = await verifier.verify(env.actor, 'access')
    if (rule !== undefined && !predicateOf(rule)(claims)) {
      throw new GatewayError('CLAIMS_NOT_MET', { reason: 'required claims not met' })
    }
  }
}

function check(
  env: RequestEnvelope,
  subject: string,
  options: RequestValidatorOptions,
): {
  operation: OperationSchemas
  route: CompiledRoute
  rules: RequestRules
  params: Record<string, string>
} {
  // The relay files each request under the host it names; the edge matched already.
  if (subject !== subjects.dirtyRequest(env.edgeId!, env.host)) {
    throw new GatewayError('ENVELOPE_INVALID', {
      reason: `subject ${subject} does not match the envelope`,
    })
  }
  if (!isPortOpen(env.port, options.deployment)) {
    throw new GatewayError('PORT_BLOCKED', {
      reason: `port ${env.port} is closed in ${options.deployment}`,
    })
  }
  const host = Object.hasOwn(options.hosts, env.host) ? options.hosts[env.host] : undefined
  if (!host)
    throw new GatewayError('HOST_NOT_FOUND', { reason: `host ${env.host} is not configured` })
  // Matched on the path as received; its spelling is checked after the actor (checkPath).
  const match = matchRoute(host.routes, env.method, env.path, env.port)
  if (!match.ok) {
    if (match.code === 'METHOD_NOT_ALLOWED') {
      throw new GatewayError('METHOD_NOT_ALLOWED', {
        reason: `${env.method} not allowed`,
        headers: { allow: match.allow.join(', ') },
      })
    }
    throw new GatewayError('ROUTE_NOT_FOUND', { reason: `no route for ${env.method} ${env.path}` })
  }
  const route = match.route
  const op = host.operations.get(route.operation)!
  const rules = host.rules.get(route.operation)
  if (!rules) {
    throw new GatewayError('INTERNAL_ERROR', { reason: `no request rules for ${route.operation}` })
  }
  const limit = route.maxBodyBytes ?? options.maxBodyBytes
  if (env.body.length > limit) {
    throw new GatewayError('BODY_TOO_LARGE', {
      reason: `body of ${env.body.length} bytes over ${limit}`,
    })
  }
  return { operation: op, route, rules, params: match.params }
}

function parameterError(code: ErrorCode, detail: string): GatewayError {
  return new GatewayError(code, { detail, reason: detail })
}

function checkDeclared(
  declared: Map<string, CompiledParameter>,
  valuesOf: (name: string) => readonly string[],
  code: ErrorCode,
): void {
  for (const p of declared.values()) {
    const result = checkParameter(p, valuesOf(p.name))
    if (!result.ok) throw parameterError(code, result.detail)
  }
}

/** Declared header parameters against their schemas (the allow-list ran before). */
function checkHeaderParameters(env: RequestEnvelope, rules: RequestRules): void {
  checkDeclared(
    rules.headers,
    (name) => env.headers.filter(([n]) => n === name).map(([, v]) => v),
    'HEADER_SCHEMA_VIOLATION',
  )
}

/** The path's canonical form, then each path parameter (decoded) against its schema. */
function checkPath(
  path: string,
  raw: Record<string, string>,
  rules: RequestRules,
  policy: RequestValidationPolicy,
): Record<string, string> {
  checkCanonicalPath(path, policy.path)
  const decoded: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) decoded[name] = decodeURIComponent(value)
  checkDeclared(rules.path, (name) => [decoded[name]!], 'PATH_SCHEMA_VIOLATION')
  return decoded
}

/** The query's encoding and sizes, then unknown, repeated and declared parameters. */
function checkQuery(
  raw: string,
  rules: RequestRules,
  policy: RequestValidationPolicy,
): QueryValues {
  const values = parseQuery(raw, policy.query)
  if (!rules.allowUnknownQuery) {
    for (const name of values.keys()) {
      if (!rules.query.has(name)) {
        throw parameterError(
          'QUERY_SCHEMA_VIOLATION',
          `query parameter ${shownName(name)} is not declared`,
        )
      }
    }
  }
  checkDeclared(rules.query, (name) => values.get(name) ?? [], 'QUERY_SCHEMA_VIOLATION')
  return values
}
