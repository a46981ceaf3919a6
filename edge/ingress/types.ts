import type {
  CompiledRoute,
  EdgePolicy,
  RequestEnvelope,
  ResponseEnvelope,
  VerifiedToken,
} from '../../core/index.js'
import type { RateLimits } from './rate-limit.js'
import type { TokenServices } from './token-services.js'

/**
 * The way to the bridge. `send` resolves with the final answer for the request (which may
 * carry an `error` code set by a stage) and throws a GatewayError BUS_UNAVAILABLE when the
 * link cannot carry it, or GATEWAY_TIMEOUT when no answer came within `timeoutMs`.
 */
export interface Link {
  send(request: RequestEnvelope, timeoutMs: number): Promise<ResponseEnvelope>
}

export interface IngressOptions {
  policy: EdgePolicy
  link: Link
  /**
   * The token services behind the ingress's service bindings. Without them a request with
   * an `Authorization` header, or for a route with required claims, fails 500 (closed).
   */
  tokens?: TokenServices
  /**
   * The rate-limit bindings and the quota objects. Without them a route with
   * `x-portcullis-rate-limit` fails 500 (closed); other routes are not affected.
   */
  rateLimits?: RateLimits
  /** Clock in epoch milliseconds; the worker passes Date.now. */
  now?: () => number
  newRequestId?: () => string
}

/** Where the address sends a request: `/<host>[:<port>]/<path>?<query>`. */
export interface Target {
  host: string
  port: number
  /** Path below the host, percent-encoded as received, starting with `/`. */
  path: string
  /** Raw query without the `?`, possibly empty. */
  query: string
}

/** What the checks learn about a request, in the order they learn it. */
export interface IngressEnv {
  Variables: {
    requestId: string
    target: Target
    route: CompiledRoute
    /** The client's verified bearer token, when it sent one. */
    bearer?: VerifiedToken
    /** The access token minted for that bearer token: the envelope's actor. */
    actor?: string
    body: Uint8Array
  }
}
