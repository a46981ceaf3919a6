/**
 * The request validator's verdict on one dirty request, in order: envelope shape, the
 * relay's stamps, deadline, port policy, host and route, the actor and the route's required
 * claims, media type, body. Pure: no I/O (the access keys are in the verifier, loaded at
 * start), the clock is passed in. A forward goes to NATS-2 with the operation stamped; a reject goes
 * to NATS-4 as an error response and never reaches NATS-2.
 */
import {
  compileClaims,
  decodeRequest,
  encodeRequest,
  encodeResponse,
  errorResponse,
  GatewayError,
  hasExpired,
  headerValue,
  isPortOpen,
  matchRoute,
  subjects,
  TokenError,
  type ClaimsPredicate,
  type CompiledRoute,
  type DeploymentMode,
  type ErrorCode,
  type RequestEnvelope,
  type WireMessage,
  type BusMessage,
  type TokenVerifier,
  failureReason,
} from '../../core/index.js'
import {
  describeViolation,
  isJsonMediaType,
  matchMediaType,
  parseJson,
  parseMediaType,
  type HostSchemas,
  type OperationSchemas,
} from '../lib/index.js'

export interface RequestValidatorOptions {
  deployment: DeploymentMode
  hosts: Record<string, HostSchemas>
  /** Body limit for routes that do not set `x-portcullis-max-body-bytes`. */
  maxBodyBytes: number
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

// Dot segments, plain or percent-encoded: an upstream could resolve them to another route.
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i

export function createRequestValidator(options: RequestValidatorOptions): RequestValidator {
  const checkActor = actorCheck(options.accessTokens)
  return async (msg, now) => {
    let env: RequestEnvelope
    try {
      env = decodeRequest(msg.headers, msg.data)
    } catch (e) {
      return { kind: 'drop', reason: failureReason(e) }
    }
    const { requestId } = env
    if (!env.edgeId || !env.replyTo) {
      return { kind: 'drop', reason: 'envelope has no edge or reply stamp', requestId }
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
      const { operation, route } = check(env, msg.subject, options)
      await checkActor(env, route)
      checkBody(env, operation, route.bodyRequired)
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
): { operation: OperationSchemas; route: CompiledRoute } {
  // Only the relay publishes on NATS-1, and it files each request under the edge it came
  // from and the host it names; anything else was not published by the relay.
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
  if (env.path.includes('?') || env.path.includes('#')) {
    throw new GatewayError('BAD_REQUEST', { reason: 'path carries a query or fragment' })
  }
  if (env.path.split('/').some((s) => DOT_SEGMENT.test(s))) {
    throw new GatewayError('ROUTE_NOT_FOUND', { reason: 'path has dot segments' })
  }
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
  const limit = route.maxBodyBytes ?? options.maxBodyBytes
  if (env.body.length > limit) {
    throw new GatewayError('BODY_TOO_LARGE', {
      reason: `body of ${env.body.length} bytes over ${limit}`,
    })
  }
  return { operation: op, route }
}

function checkBody(env: RequestEnvelope, op: OperationSchemas, required: boolean): void {
  if (env.body.length === 0) {
    if (required) {
      throw new GatewayError('BODY_MALFORMED', {
        detail: 'a request body is required',
        reason: 'empty body',
      })
    }
    return
  }
  if (op.request.size === 0) {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', { reason: 'the route takes no body' })
  }
  const media = parseMediaType(headerValue(env.headers, 'content-type'))
  const key = media && matchMediaType(op.request.keys(), media.essence)
  if (!media || key === undefined) {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', {
      reason: 'content type not declared for the route',
    })
  }
  if (!isJsonMediaType(media.essence)) return
  const charset = media.params.charset?.toLowerCase()
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', { reason: `charset ${charset.slice(0, 32)}` })
  }
  const parsed = parseJson(env.body)
  if (!parsed.ok)
    throw new GatewayError('BODY_MALFORMED', { detail: parsed.reason, reason: parsed.reason })
  const validate = op.request.get(key)
  if (validate && !validate(parsed.value)) {
    const detail = describeViolation(validate)
    throw new GatewayError('BODY_SCHEMA_VIOLATION', { detail, reason: detail })
  }
}
