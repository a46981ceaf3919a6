import type {
  CompiledRoute,
  EdgePolicy,
  RequestEnvelope,
  ResponseEnvelope,
  TokenServices,
  TraceContext,
} from '../../core/index.js'
import type { RateLimits } from './rate-limit.js'
import type { ClientAddressSource } from './client-address.js'
import type { EdgeAudit } from './audit-trail.js'
import type { SpanExport } from './span.js'

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
  /**
   * Where the client address that keys anonymous rate limits comes from: `cloudflare` (the
   * `CF-Connecting-IP` Cloudflare sets) or `local` (workerd under `wrangler dev`, where a
   * client can write that header: every anonymous request shares one bucket). Default `local`.
   */
  clientAddress?: ClientAddressSource
  /**
   * Fetches an identity provider's pinned JWKS URL and returns the body text. The worker
   * uses `fetch` with the policy's timeout; tests pass a local stand-in.
   */
  fetchJwks?: (url: string) => Promise<string>
  /** Where the edge's audit events go (the worker: a link pool object). None: not recorded. */
  audit?: EdgeAudit
  /** Where the edge's span of each request goes (OTLP), when traces are collected. */
  spans?: SpanExport
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

/** Who a verified `Authorization` token stands for, in the gateway's own terms. */
export interface Caller {
  /** A bearer token's `sub`, or an external token's under its provider's prefix. */
  sub: string
  /** `bearer`, or the identity provider's name. */
  idp: string
  /** What claim rules see and the access token carries: `sub`, `idp`, `roles` and more. */
  claims: Record<string, unknown>
  /** One entry of the access-token cache per presented token. */
  cacheKey: string
  /** When the presented token expires, in epoch milliseconds. */
  expiresAtMs: number
}

/** What the checks learn about a request, in the order they learn it. */
export interface IngressEnv {
  Variables: {
    requestId: string
    /** The W3C trace the request belongs to, the edge's span as its parent (trace.ts). */
    trace: TraceContext
    /** The request's URL, parsed once (by the URL length check) for the checks after it. */
    url: URL
    target: Target
    route: CompiledRoute
    /** The verified caller, when the client sent a token. */
    caller?: Caller
    /** The access token minted for the caller: the envelope's actor. */
    actor?: string
    body: Uint8Array
    /** Set once the request was handed to the link (the audit trail's edge verdict). */
    forwarded?: boolean
  }
}
