/**
 * The request contract, step by step, on one decoded envelope: port policy, host and route
 * (and the body size), the actor and the route's required claims, headers, the path's
 * canonical form and path parameters, the query, the body (media type, JSON rules, schema),
 * and injection signatures where the route asks for them. Used by the request validator and,
 * in the `single-validation` topology, by the backend connector: same code, same verdicts.
 * Pure: no I/O (the access keys are in the verifier, loaded at start). A failure throws the
 * `GatewayError` the client gets.
 */
import {
  accessAudienceOf,
  checkPort,
  DEFAULT_REQUEST_VALIDATION,
  errorResponse,
  GatewayError,
  requiredClaimsCheck,
  resolveRoute,
  type CompiledRoute,
  type DeploymentMode,
  type ErrorCode,
  type RequestEnvelope,
  type RequestValidationPolicy,
  type ResponseEnvelope,
  type TokenVerifier,
} from '../../../core/index.js'
import type { OperationSchemas } from '../schemas.js'
import { readRequestBody } from './body.js'
import { checkIdempotencyKey, checkRequestHeaders } from './headers.js'
import { checkParameter, type CompiledParameter } from './parameters.js'
import { checkCanonicalPath } from './path.js'
import { parseQuery, shownName, type QueryValues } from './query.js'
import type { RequestHost, RequestRules } from './rules.js'
import { scanRequest } from './scan.js'
import { checkUserData, type UserDataChecks } from './user-data.js'

export interface RequestCheckOptions {
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
  /**
   * Text that will come back in answers, judged at the door with the response validator's
   * leak signatures (`compileUserDataFor(config.openapi, config.validation.response)`,
   * lib/request/user-data.ts). Without it, nothing is checked.
   */
  userData?: UserDataChecks
}

/**
 * Checks `env` against its host's contract; on success its headers are the normalised ones
 * and `operation` is stamped. Throws a `GatewayError` (or `TokenError`) on the first failure.
 */
export type RequestChecks = (env: RequestEnvelope) => Promise<RequestChecked>

export interface RequestChecked {
  /** The verified actor's subject (`sub` of its access token), when the request has one. */
  actor?: string
}

/** The client's answer to a refused request: the error, with its headers (`Allow` on a 405). */
export function rejection(env: RequestEnvelope, error: GatewayError): ResponseEnvelope {
  const out = errorResponse(env, error)
  for (const [name, value] of Object.entries(error.headers ?? {}))
    out.headers.push([name.toLowerCase(), value])
  return out
}

export function createRequestChecks(options: RequestCheckOptions): RequestChecks {
  const checkActor = actorCheck(options.accessTokens)
  const policy = options.policy ?? DEFAULT_REQUEST_VALIDATION
  return async (env) => {
    const { operation, route, rules, params } = check(env, options)
    const actor = await checkActor(env, route)
    env.headers = checkRequestHeaders(
      env.headers,
      env.body.length,
      rules.allowedHeaders,
      policy.headers,
    )
    checkIdempotencyKey(env.headers, env.method, actor)
    checkHeaderParameters(env, rules)
    const pathParams = checkPath(env.path, params, rules, policy)
    const query = checkQuery(env.query, rules, policy)
    const body = await readRequestBody(
      env.headers,
      env.body,
      operation,
      route.bodyRequired,
      rules.json,
      policy.query,
    )
    if (rules.scanner) {
      // The operation's declared header parameters are the client's input too.
      const headers = env.headers.filter(([name]) => rules.headers.has(name))
      scanRequest(
        { pathParams, query, headers, ...(body.json ? { body: body.value } : {}) },
        rules.scanner,
      )
    }
    // Last: an attack is named as one (INJECTION_DETECTED) before its text is judged as stored.
    const userData = body.json && options.userData?.[env.host]?.get(operation.operation)
    if (userData) checkUserData(userData, body.value)
    env.operation = operation.operation
    return actor === undefined ? {} : { actor }
  }
}

/**
 * The actor again, on-prem: a present actor must be an access token of the gateway's access
 * service for this envelope's host (`aud: "portcullis:<host>"`), and a route's required
 * claims are evaluated against its claims. No actor on such a route is TOKEN_MISSING.
 */
function actorCheck(verifier: TokenVerifier | undefined) {
  // The claims rule is core's, the edge's too (core/policy/required-claims.ts).
  const requireClaims = requiredClaimsCheck()
  return async (env: RequestEnvelope, route: CompiledRoute): Promise<string | undefined> => {
    const rule = route.requiredClaims
    if (env.actor === undefined) {
      requireClaims(rule, undefined)
      return undefined
    }
    if (!verifier) {
      throw new GatewayError('INTERNAL_ERROR', { reason: 'no access keys to verify the actor' })
    }
    // An access token names the upstream host it was minted for; another host's is refused.
    const { claims } = await verifier.verify(env.actor, 'access', {
      audience: accessAudienceOf(env.host),
    })
    requireClaims(rule, claims)
    return typeof claims.sub === 'string' ? claims.sub : undefined
  }
}

function check(
  env: RequestEnvelope,
  options: RequestCheckOptions,
): {
  operation: OperationSchemas
  route: CompiledRoute
  rules: RequestRules
  params: Record<string, string>
} {
  // The port and route rules are core's, the edge's too (core/policy/ports.ts, routes.ts).
  checkPort(env.port, options.deployment)
  const host = Object.hasOwn(options.hosts, env.host) ? options.hosts[env.host] : undefined
  if (!host)
    throw new GatewayError('HOST_NOT_FOUND', { reason: `host ${env.host} is not configured` })
  // Matched on the path as received; its spelling is checked after the actor (checkPath).
  const { route, params } = resolveRoute(host.routes, env.method, env.path, env.port)
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
  return { operation: op, route, rules, params }
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
